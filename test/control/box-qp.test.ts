/**
 * Projected-Newton box QP against brute-force enumeration of the active sets on random small
 * QPs (n ≤ 5), and trivial cases.
 */
import { describe, expect, it } from 'vitest';
import { BoxQP, cholesky } from '../../server/control/box-qp.ts';
import { choleskySolveInPlace } from '../../server/math/linalg.ts';
import { gaussian, mulberry32 } from '../helpers/random-model.ts';

function randomSPD(n: number, rng: () => number, ridge = 0.1): Float64Array {
  const M = new Float64Array(n * n).map(() => gaussian(rng));
  const H = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += M[k * n + i] * M[k * n + j];
    H[i * n + j] = s + (i === j ? ridge : 0);
  }
  return H;
}

function objective(H: Float64Array, g: Float64Array, x: ArrayLike<number>): number {
  const n = g.length;
  let v = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += H[i * n + j] * x[j];
    v += x[i] * (g[i] + 0.5 * s);
  }
  return v;
}

/** Dense Gaussian elimination with partial pivoting (independent of the Cholesky under test). */
function gaussSolve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((r, i) => [...r, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = c + 1; r < n; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r][n];
    for (let k = r + 1; k < n; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x;
}

/** Global minimum by enumerating every assignment free / at lower / at upper (3^n). */
function bruteForce(H: Float64Array, g: Float64Array, lb: Float64Array, ub: Float64Array): { x: number[]; value: number } {
  const n = g.length;
  let best: { x: number[]; value: number } | null = null;
  const total = 3 ** n;
  for (let code = 0; code < total; code++) {
    const kind: number[] = [];
    let c = code;
    for (let i = 0; i < n; i++) { kind.push(c % 3); c = Math.floor(c / 3); }
    if (kind.some((k, i) => (k === 1 && !Number.isFinite(lb[i])) || (k === 2 && !Number.isFinite(ub[i])))) continue;
    const x = new Array<number>(n).fill(0);
    const free: number[] = [];
    for (let i = 0; i < n; i++) {
      if (kind[i] === 1) x[i] = lb[i]; else if (kind[i] === 2) x[i] = ub[i]; else free.push(i);
    }
    if (free.length > 0) {
      const A = free.map((i) => free.map((j) => H[i * n + j]));
      const b = free.map((i) => {
        let s = -g[i];
        for (let j = 0; j < n; j++) if (kind[j] !== 0) s -= H[i * n + j] * x[j];
        return s;
      });
      const xf = gaussSolve(A, b);
      free.forEach((i, a) => { x[i] = xf[a]; });
    }
    if (x.some((v, i) => v < lb[i] - 1e-12 || v > ub[i] + 1e-12)) continue;
    const value = objective(H, g, x);
    if (!best || value < best.value) best = { x, value };
  }
  if (!best) throw new Error('no feasible point');
  return best;
}

describe('BoxQP', () => {
  it('matches brute-force enumeration of the active sets on 300 random QPs (n = 1..5)', () => {
    const rng = mulberry32(42);
    let withActive = 0;
    let maxIter = 0;
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + (trial % 5);
      const H = randomSPD(n, rng, 0.05 + rng());
      const g = new Float64Array(n).map(() => 3 * gaussian(rng));
      const lb = new Float64Array(n), ub = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const r = rng();
        lb[i] = r < 0.1 ? -Infinity : -2 * rng();
        ub[i] = r > 0.9 ? Infinity : 2 * rng();
        if (trial % 7 === 0) { lb[i] += 0.5; ub[i] += 0.6; } // boxes that exclude 0
      }
      const qp = new BoxQP(n);
      const x0 = trial % 3 === 0 ? new Float64Array(n).map(() => gaussian(rng)) : null;
      const status = qp.solve(H, g, lb, ub, x0);
      expect(status).not.toBe('notPD');
      expect(['converged', 'allClamped', 'smallImprovement']).toContain(status);
      maxIter = Math.max(maxIter, qp.iterations);
      const ref = bruteForce(H, g, lb, ub);
      for (let i = 0; i < n; i++) {
        expect(qp.x[i]).toBeGreaterThanOrEqual(lb[i]);
        expect(qp.x[i]).toBeLessThanOrEqual(ub[i]);
        expect(Math.abs(qp.x[i] - ref.x[i])).toBeLessThan(1e-8);
      }
      expect(qp.value).toBeCloseTo(ref.value, 9);
      // free set: clamped variables sit on a bound with the gradient pushing outward
      let nClamped = 0;
      for (let i = 0; i < n; i++) {
        if (qp.free[i]) continue;
        nClamped++;
        const atLower = qp.x[i] === lb[i] && qp.grad[i] > 0;
        const atUpper = qp.x[i] === ub[i] && qp.grad[i] < 0;
        expect(atLower || atUpper).toBe(true);
      }
      if (nClamped > 0) withActive++;
      expect(qp.nFree).toBe(n - nClamped);
      // L is the Cholesky factor of H on the free set
      const nf = qp.nFree;
      for (let a = 0; a < nf; a++) {
        for (let b = 0; b < nf; b++) {
          let s = 0;
          for (let k = 0; k < nf; k++) s += qp.L[a * nf + k] * qp.L[b * nf + k];
          expect(s).toBeCloseTo(H[qp.freeIdx[a] * n + qp.freeIdx[b]], 9);
        }
      }
      // solveFree: H_ff y = b_f, zeros on the clamped rows
      const b = new Float64Array(n).map(() => gaussian(rng));
      const y = Float64Array.from(b);
      qp.solveFree(y);
      for (let i = 0; i < n; i++) {
        if (!qp.free[i]) { expect(y[i]).toBe(0); continue; }
        let s = 0;
        for (let j = 0; j < n; j++) if (qp.free[j]) s += H[i * n + j] * y[j];
        expect(s).toBeCloseTo(b[i], 9);
      }
    }
    expect(withActive).toBeGreaterThan(100); // the bounds were really active in many cases
    expect(maxIter).toBeLessThan(30);
  });

  it('without active bounds it is one Newton step', () => {
    const rng = mulberry32(3);
    for (const n of [1, 3, 5]) {
      const H = randomSPD(n, rng, 1);
      const g = new Float64Array(n).map(() => gaussian(rng));
      const qp = new BoxQP(n);
      const lb = new Float64Array(n).fill(-1e6), ub = new Float64Array(n).fill(1e6);
      expect(qp.solve(H, g, lb, ub)).toBe('converged');
      expect(qp.iterations).toBeLessThanOrEqual(2); // the step, then the gradient test
      expect(qp.nFree).toBe(n);
      const L = new Float64Array(n * n);
      expect(cholesky(H, n, L)).toBe(true);
      const newton = g.map((v) => -v);
      choleskySolveInPlace(L, n, newton);
      for (let i = 0; i < n; i++) expect(qp.x[i]).toBeCloseTo(newton[i], 12);
      // infinite bounds as well
      const qp2 = new BoxQP(n);
      qp2.solve(H, g, new Float64Array(n).fill(-Infinity), new Float64Array(n).fill(Infinity));
      for (let i = 0; i < n; i++) expect(qp2.x[i]).toBeCloseTo(newton[i], 12);
    }
  });

  it('all clamped, warm start at the solution, zero-width box, non-PD Hessian', () => {
    const n = 3;
    const H = new Float64Array([2, 0.5, 0, 0.5, 1, 0.2, 0, 0.2, 3]);
    const g = new Float64Array([10, -10, 10]);
    const lb = new Float64Array([-1, -1, -1]), ub = new Float64Array([1, 1, 1]);
    const qp = new BoxQP(n);
    expect(qp.solve(H, g, lb, ub)).toBe('allClamped');
    expect(Array.from(qp.x)).toEqual([-1, 1, -1]);
    expect(qp.nFree).toBe(0);
    const y = new Float64Array([1, 2, 3]);
    qp.solveFree(y);
    expect(Array.from(y)).toEqual([0, 0, 0]);

    const g2 = new Float64Array([0.3, -0.2, 0.1]);
    qp.solve(H, g2, lb, ub);
    const sol = Float64Array.from(qp.x);
    const qp2 = new BoxQP(n);
    expect(qp2.solve(H, g2, lb, ub, sol)).toBe('converged');
    expect(qp2.iterations).toBe(1);

    const fixed = new Float64Array([0.5, 0.5, 0.5]);
    qp.solve(H, g2, fixed, fixed);
    expect(Array.from(qp.x)).toEqual([0.5, 0.5, 0.5]);

    const Hbad = new Float64Array([1, 0, 0, 0, -1, 0, 0, 0, 1]);
    expect(qp.solve(Hbad, g2, new Float64Array(3).fill(-Infinity), new Float64Array(3).fill(Infinity))).toBe('notPD');
    expect(() => qp.solve(H, g2, ub, lb)).toThrow(/empty box/);
  });
});
