import { describe, expect, it } from 'vitest';
import { choleskyInPlace, choleskyInvDiagInPlace, choleskyInvDiagSolveInPlace, choleskySolveInPlace, gemmNN, gemmTN, gemmTNUpper, mirrorUpper } from '../../server/math/linalg.ts';
import { mulberry32 } from '../helpers/random-model.ts';

/** Deterministic fill in [-0.5, 0.5) from the tests' seeded generator. */
function fill(n: number, seed: number): Float64Array {
  const rng = mulberry32(seed);
  return Float64Array.from({ length: n }, () => rng() - 0.5);
}

/** Textbook C = Aᵀ B for A (k x n), B (k x m). */
function naiveTN(A: Float64Array, B: Float64Array, n: number, k: number, m: number): Float64Array {
  const C = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) { let s = 0; for (let p = 0; p < k; p++) s += A[p * n + i] * B[p * m + j]; C[i * m + j] = s; }
  return C;
}

describe('dense kernels (linalg.ts) against textbook loops', () => {
  it('gemmNN and gemmTN accumulate A B and Aᵀ B at offsets (sizes not multiples of 4)', () => {
    for (const [n, k, m] of [[7, 5, 9], [36, 36, 12], [1, 3, 1]]) {
      const A = fill(3 + n * k, 1), B = fill(2 + k * m, 2);
      const C = fill(4 + n * m, 3), C0 = C.slice();
      gemmTN(A, 3, B, 2, C, 4, n, k, m);
      const ref = naiveTN(A.subarray(3), B.subarray(2), n, k, m);
      for (let i = 0; i < n * m; i++) expect(C[4 + i]).toBeCloseTo(C0[4 + i] + ref[i], 12);
      // A (n x k) B (k x m) = (Aᵀ)ᵀ B
      const At = new Float64Array(k * n);
      for (let i = 0; i < n; i++) for (let p = 0; p < k; p++) At[p * n + i] = A[3 + i * k + p];
      const D = new Float64Array(n * m);
      gemmNN(A, 3, B, 2, D, 0, n, k, m);
      const ref2 = naiveTN(At, B.subarray(2), n, k, m);
      for (let i = 0; i < n * m; i++) expect(D[i]).toBeCloseTo(ref2[i], 12);
    }
  });

  it('gemmTNUpper + mirrorUpper give Aᵀ V A and Kᵀ Q + Qᵀ K exactly symmetric, equal to the full products', () => {
    for (const [n, k] of [[36, 36], [13, 12], [3, 5]]) {
      const A = fill(n * k, 4);
      const Vh = fill(k * k, 5), V = new Float64Array(k * k);
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) V[i * k + j] = Vh[i * k + j] + Vh[j * k + i];
      const VA = new Float64Array(k * n);
      gemmNN(V, 0, A, 0, VA, 0, k, k, n);
      const C = new Float64Array(n * n);
      gemmTNUpper(A, 0, VA, 0, C, 0, n, k);
      mirrorUpper(C, 0, n);
      const ref = naiveTN(A, VA, n, k, n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        expect(C[i * n + j]).toBe(C[j * n + i]);
        expect(C[i * n + j]).toBeCloseTo(ref[i * n + j], 10);
      }
      const K = fill(k * n, 6), Q = fill(k * n, 7), S = new Float64Array(n * n);
      gemmTNUpper(K, 0, Q, 0, S, 0, n, k);
      gemmTNUpper(Q, 0, K, 0, S, 0, n, k);
      mirrorUpper(S, 0, n);
      const r1 = naiveTN(K, Q, n, k, n), r2 = naiveTN(Q, K, n, k, n);
      for (let i = 0; i < n * n; i++) expect(S[i]).toBeCloseTo(r1[i] + r2[i], 10);
      // the strict lower triangle is not written (rows are tiled in pairs across the diagonal)
      const U = new Float64Array(n * n).fill(7);
      gemmTNUpper(K, 0, Q, 0, U, 0, n, k);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        if (j < i) expect(U[i * n + j]).toBe(7);
        else expect(U[i * n + j]).toBeCloseTo(7 + r1[i * n + j], 10);
      }
    }
  });

  it('Cholesky solves an SPD system; refuses an indefinite one', () => {
    const n = 12, R = fill(n * n, 8), A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { let s = i === j ? 1 : 0; for (let p = 0; p < n; p++) s += R[i * n + p] * R[j * n + p]; A[i * n + j] = s; }
    const x = fill(n, 9), b = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b[i] += A[i * n + j] * x[j];
    const L = A.slice();
    expect(choleskyInPlace(L, n)).toBe(true);
    choleskySolveInPlace(L, n, b);
    for (let i = 0; i < n; i++) expect(b[i]).toBeCloseTo(x[i], 10);
    const bad = A.slice(); bad[0] = -1;
    expect(choleskyInPlace(bad, n)).toBe(false);
    // the inverse-diagonal variant: the same strict lower triangle, 1 / L_jj on the diagonal
    const Li = A.slice(), bi = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) bi[i] += A[i * n + j] * x[j];
    expect(choleskyInvDiagInPlace(Li, n)).toBe(true);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) {
      if (j < i) expect(Li[i * n + j]).toBe(L[i * n + j]);
      else expect(Li[i * n + i]).toBeCloseTo(1 / L[i * n + i], 14);
    }
    choleskyInvDiagSolveInPlace(Li, n, bi);
    for (let i = 0; i < n; i++) expect(bi[i]).toBeCloseTo(x[i], 10);
    expect(choleskyInvDiagInPlace(bad, n)).toBe(false);
  });
});
