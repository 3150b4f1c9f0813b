/**
 * The null-space solve of the active rows (active-set-nullspace.ts) against the KKT system
 * [H J_Sᵀ; J_S 0] [δv; −δλ] = [r; −C δq] solved densely by Gaussian elimination with partial
 * pivoting, on random problems; dependent rows (a duplicated row with a consistent offset)
 * change nothing; rows that lock every dof give exactly zero non-q columns.
 */
import { describe, expect, it } from 'vitest';
import { ActiveSetNullSpace } from '../../server/dynamics/active-set-nullspace.ts';
import { mulberry32 } from '../helpers/random-model.ts';

function gaussSolve(A: number[][], b: number[]): number[] {
  const n = b.length, M = A.map((r, i) => [...r, b[i]]);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(M[i][k]) > Math.abs(M[p][k])) p = i;
    [M[k], M[p]] = [M[p], M[k]];
    for (let i = k + 1; i < n; i++) { const f = M[i][k] / M[k][k]; for (let j = k; j <= n; j++) M[i][j] -= f * M[k][j]; }
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) { let s = M[i][n]; for (let j = i + 1; j < n; j++) s -= M[i][j] * x[j]; x[i] = s / M[i][i]; }
  return x;
}

function problem(rng: () => number, nv: number, m: number, ncols: number) {
  const G = Array.from({ length: nv * nv }, () => rng() - 0.5);
  const M = new Float64Array(nv * nv);
  for (let i = 0; i < nv; i++) for (let j = 0; j < nv; j++) { let s = i === j ? 0.5 : 0; for (let k = 0; k < nv; k++) s += G[i * nv + k] * G[j * nv + k]; M[i * nv + j] = s; }
  const hdiag = Float64Array.from({ length: nv }, () => 0.1 * rng());
  const JS = Float64Array.from({ length: m * nv }, () => rng() - 0.5);
  const C = Float64Array.from({ length: m * nv }, () => rng() - 0.5);
  const X = Float64Array.from({ length: nv * ncols }, () => rng() - 0.5);
  return { M, hdiag, JS, C, X };
}

/** Column c of the KKT solution. */
function kkt(nv: number, m: number, ncols: number, p: ReturnType<typeof problem>, c: number): number[] {
  const n = nv + m, A: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0)), b = new Array<number>(n).fill(0);
  for (let i = 0; i < nv; i++) {
    for (let j = 0; j < nv; j++) A[i][j] = p.M[i * nv + j] + (i === j ? p.hdiag[i] : 0);
    for (let a = 0; a < m; a++) { A[i][nv + a] = p.JS[a * nv + i]; A[nv + a][i] = p.JS[a * nv + i]; }
    b[i] = p.X[i * ncols + c];
  }
  for (let a = 0; a < m; a++) b[nv + a] = c < nv ? -p.C[a * nv + c] : 0;
  return gaussSolve(A, b).slice(0, nv);
}

describe('ActiveSetNullSpace', () => {
  it('matches the dense KKT solution on random problems', () => {
    const rng = mulberry32(17);
    for (const [nv, m] of [[7, 3], [18, 12], [6, 5]]) {
      const ncols = 2 * nv + 4, p = problem(rng, nv, m, ncols), ns = new ActiveSetNullSpace(nv, m, ncols);
      const X = p.X.slice();
      expect(ns.solve(X, ncols, p.JS, p.C, m, p.M, p.hdiag)).toBe(true);
      expect(ns.rank).toBe(m);
      let err = 0, scale = 0;
      for (let c = 0; c < ncols; c++) {
        const ref = kkt(nv, m, ncols, p, c);
        for (let i = 0; i < nv; i++) { err = Math.max(err, Math.abs(X[i * ncols + c] - ref[i])); scale = Math.max(scale, Math.abs(ref[i])); }
      }
      expect(err / scale).toBeLessThan(1e-10);
    }
  });

  it('ignores a dependent row with a consistent offset', () => {
    const rng = mulberry32(3), nv = 8, m = 4, ncols = 2 * nv;
    const p = problem(rng, nv, m, ncols);
    const JS2 = new Float64Array((m + 1) * nv), C2 = new Float64Array((m + 1) * nv);
    JS2.set(p.JS); C2.set(p.C);
    for (let i = 0; i < nv; i++) { JS2[m * nv + i] = 2 * p.JS[i] - p.JS[nv + i]; C2[m * nv + i] = 2 * p.C[i] - p.C[nv + i]; }
    const X1 = p.X.slice(), X2 = p.X.slice();
    new ActiveSetNullSpace(nv, m, ncols).solve(X1, ncols, p.JS, p.C, m, p.M, p.hdiag);
    const ns = new ActiveSetNullSpace(nv, m + 1, ncols);
    ns.solve(X2, ncols, JS2, C2, m + 1, p.M, p.hdiag);
    expect(ns.rank).toBe(m);
    let err = 0, scale = 0;
    for (let i = 0; i < X1.length; i++) { err = Math.max(err, Math.abs(X1[i] - X2[i])); scale = Math.max(scale, Math.abs(X1[i])); }
    expect(err / scale).toBeLessThan(1e-10);
  });

  it('gives exactly zero v and u columns when the rows lock every dof', () => {
    const rng = mulberry32(9), nv = 5, m = 7, ncols = 2 * nv + 3;
    const p = problem(rng, nv, m, ncols), ns = new ActiveSetNullSpace(nv, m, ncols), X = p.X.slice();
    ns.solve(X, ncols, p.JS, p.C, m, p.M, p.hdiag);
    expect(ns.rank).toBe(nv);
    for (let i = 0; i < nv; i++) for (let c = nv; c < ncols; c++) expect(X[i * ncols + c]).toBe(0);
    // while the q columns (driven by the offsets C) are not
    let nz = 0;
    for (let i = 0; i < nv * nv; i++) if (X[Math.floor(i / nv) * ncols + (i % nv)] !== 0) nz++;
    expect(nz).toBeGreaterThan(0);
  });
});
