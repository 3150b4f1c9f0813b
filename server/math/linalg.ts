/**
 * Small dense linear algebra on Float64Array (row-major, explicit offsets, no allocation).
 * Hand-written on purpose: a generic library solve is tens of times slower at these sizes.
 */

/**
 * In-place Cholesky factorization A = L L^T of the n x n symmetric matrix at A[ao..]; the
 * lower triangle receives L (the strict upper triangle is left untouched). Returns false when
 * A is not (numerically) positive definite.
 */
export function choleskyInPlace(A: Float64Array, n: number, ao = 0): boolean {
  return choleskyFactor(A, n, ao, false);
}

/**
 * Solves L L^T x = b in place with the factor from choleskyInPlace; b's entries are at
 * b[bo + i * bs] (bs > 1 solves a column of a row-major matrix in place).
 */
export function choleskySolveInPlace(L: Float64Array, n: number, b: Float64Array, lo = 0, bo = 0, bs = 1): void {
  choleskySolve(L, n, b, lo, bo, bs, false);
}

/**
 * choleskyInPlace, but the diagonal receives 1 / L_jj (the factor computes it anyway): the
 * solves then multiply where choleskySolveInPlace divides. A division's latency is several
 * multiplications', and the 2n of a solve sit on its critical path one after the other. For
 * factors solved against many right-hand sides (the contact polish, every step).
 */
export function choleskyInvDiagInPlace(A: Float64Array, n: number, ao = 0): boolean {
  return choleskyFactor(A, n, ao, true);
}

/** Solves L L^T x = b in place (b dense, length n) with the factor from choleskyInvDiagInPlace. */
export function choleskyInvDiagSolveInPlace(L: Float64Array, n: number, b: Float64Array): void {
  choleskySolve(L, n, b, 0, 0, 1, true);
}

function choleskyFactor(A: Float64Array, n: number, ao: number, invDiag: boolean): boolean {
  for (let j = 0; j < n; j++) {
    const rj = ao + j * n;
    let d = A[rj + j];
    for (let k = 0; k < j; k++) d -= A[rj + k] * A[rj + k];
    if (!(d > 0) || d === Infinity) return false;
    const ljj = Math.sqrt(d);
    const inv = 1 / ljj;
    A[rj + j] = invDiag ? inv : ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = ao + i * n;
      let s = A[ri + j];
      for (let k = 0; k < j; k++) s -= A[ri + k] * A[rj + k];
      A[ri + j] = s * inv;
    }
  }
  return true;
}

/** The two triangular sweeps; the diagonal holds L_jj (divide) or 1 / L_jj (invDiag: multiply). */
function choleskySolve(L: Float64Array, n: number, b: Float64Array, lo: number, bo: number, bs: number, invDiag: boolean): void {
  for (let i = 0; i < n; i++) {
    const ri = lo + i * n;
    let s = b[bo + i * bs];
    for (let k = 0; k < i; k++) s -= L[ri + k] * b[bo + k * bs];
    b[bo + i * bs] = invDiag ? s * L[ri + i] : s / L[ri + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[bo + i * bs];
    for (let k = i + 1; k < n; k++) s -= L[lo + k * n + i] * b[bo + k * bs];
    b[bo + i * bs] = invDiag ? s * L[lo + i * n + i] : s / L[lo + i * n + i];
  }
}

/**
 * C += A B with A (n x k) at A[ao..], B (k x m) at B[bo..], C (n x m) at C[co..], all
 * row-major and dense. A 2 x 4 block of C is accumulated in registers over k (register
 * tiling): six loads per eight multiply-adds instead of the textbook loop's two per one. Each
 * entry is still summed over k in order, then added to C.
 */
export function gemmNN(A: Float64Array, ao: number, B: Float64Array, bo: number, C: Float64Array, co: number, n: number, k: number, m: number): void {
  const m4 = m - (m % 4);
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const ar = ao + i * k, ar2 = ar + k, cr = co + i * m, cr2 = cr + m;
    for (let j = 0; j < m4; j += 4) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
      for (let p = 0; p < k; p++) {
        const a = A[ar + p], a2 = A[ar2 + p], br = bo + p * m + j;
        const b0 = B[br], b1 = B[br + 1], b2 = B[br + 2], b3 = B[br + 3];
        s0 += a * b0; s1 += a * b1; s2 += a * b2; s3 += a * b3;
        t0 += a2 * b0; t1 += a2 * b1; t2 += a2 * b2; t3 += a2 * b3;
      }
      C[cr + j] += s0; C[cr + j + 1] += s1; C[cr + j + 2] += s2; C[cr + j + 3] += s3;
      C[cr2 + j] += t0; C[cr2 + j + 1] += t1; C[cr2 + j + 2] += t2; C[cr2 + j + 3] += t3;
    }
    for (let j = m4; j < m; j++) {
      let s = 0, t = 0;
      for (let p = 0; p < k; p++) { const b = B[bo + p * m + j]; s += A[ar + p] * b; t += A[ar2 + p] * b; }
      C[cr + j] += s; C[cr2 + j] += t;
    }
  }
  if (i < n) {
    const ar = ao + i * k, cr = co + i * m;
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += A[ar + p] * B[bo + p * m + j];
      C[cr + j] += s;
    }
  }
}

/** C += Aᵀ B with A (k x n) at A[ao..], B (k x m) at B[bo..], C (n x m) at C[co..], row-major (2 x 4 register tiles). */
export function gemmTN(A: Float64Array, ao: number, B: Float64Array, bo: number, C: Float64Array, co: number, n: number, k: number, m: number): void {
  const m4 = m - (m % 4);
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const cr = co + i * m, cr2 = cr + m;
    for (let j = 0; j < m4; j += 4) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
      for (let p = 0; p < k; p++) {
        const ap = ao + p * n + i, a = A[ap], a2 = A[ap + 1], br = bo + p * m + j;
        const b0 = B[br], b1 = B[br + 1], b2 = B[br + 2], b3 = B[br + 3];
        s0 += a * b0; s1 += a * b1; s2 += a * b2; s3 += a * b3;
        t0 += a2 * b0; t1 += a2 * b1; t2 += a2 * b2; t3 += a2 * b3;
      }
      C[cr + j] += s0; C[cr + j + 1] += s1; C[cr + j + 2] += s2; C[cr + j + 3] += s3;
      C[cr2 + j] += t0; C[cr2 + j + 1] += t1; C[cr2 + j + 2] += t2; C[cr2 + j + 3] += t3;
    }
    for (let j = m4; j < m; j++) {
      let s = 0, t = 0;
      for (let p = 0; p < k; p++) { const b = B[bo + p * m + j], ap = ao + p * n + i; s += A[ap] * b; t += A[ap + 1] * b; }
      C[cr + j] += s; C[cr2 + j] += t;
    }
  }
  if (i < n) {
    const cr = co + i * m;
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += A[ao + p * n + i] * B[bo + p * m + j];
      C[cr + j] += s;
    }
  }
}

/**
 * The upper triangle (j >= i) of C += Aᵀ B, A (k x n), B (k x n), C (n x n), row-major; the
 * strict lower triangle of C is left untouched. For sums that are symmetric as a whole
 * (Aᵀ V A with V symmetric, Kᵀ Q + Qᵀ K): accumulate the upper triangles, then mirrorUpper.
 * About half the work of gemmTN; rows go in pairs (2 x 4 register tiles), and the one entry
 * of a pair below the diagonal is computed but not stored.
 */
export function gemmTNUpper(A: Float64Array, ao: number, B: Float64Array, bo: number, C: Float64Array, co: number, n: number, k: number): void {
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const cr = co + i * n, cr2 = cr + n;
    let j = i;
    for (; j + 4 <= n; j += 4) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
      for (let p = 0; p < k; p++) {
        const ap = ao + p * n + i, a = A[ap], a2 = A[ap + 1], br = bo + p * n + j;
        const b0 = B[br], b1 = B[br + 1], b2 = B[br + 2], b3 = B[br + 3];
        s0 += a * b0; s1 += a * b1; s2 += a * b2; s3 += a * b3;
        t0 += a2 * b0; t1 += a2 * b1; t2 += a2 * b2; t3 += a2 * b3;
      }
      C[cr + j] += s0; C[cr + j + 1] += s1; C[cr + j + 2] += s2; C[cr + j + 3] += s3;
      if (j > i) C[cr2 + j] += t0;
      C[cr2 + j + 1] += t1; C[cr2 + j + 2] += t2; C[cr2 + j + 3] += t3;
    }
    for (; j < n; j++) {
      let s = 0, t = 0;
      for (let p = 0; p < k; p++) { const b = B[bo + p * n + j], ap = ao + p * n + i; s += A[ap] * b; t += A[ap + 1] * b; }
      C[cr + j] += s;
      if (j > i) C[cr2 + j] += t;
    }
  }
  if (i < n) {
    const cr = co + i * n;
    let s = 0;
    for (let p = 0; p < k; p++) s += A[ao + p * n + i] * B[bo + p * n + i];
    C[cr + i] += s;
  }
}

/** Overwrites the strict lower triangle of the n x n matrix at C[co..] with its upper triangle. */
export function mirrorUpper(C: Float64Array, co: number, n: number): void {
  for (let i = 1; i < n; i++) for (let j = 0; j < i; j++) C[co + i * n + j] = C[co + j * n + i];
}
