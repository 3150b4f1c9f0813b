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
  for (let j = 0; j < n; j++) {
    const rj = ao + j * n;
    let d = A[rj + j];
    for (let k = 0; k < j; k++) d -= A[rj + k] * A[rj + k];
    if (!(d > 0) || d === Infinity) return false;
    const ljj = Math.sqrt(d);
    A[rj + j] = ljj;
    const inv = 1 / ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = ao + i * n;
      let s = A[ri + j];
      for (let k = 0; k < j; k++) s -= A[ri + k] * A[rj + k];
      A[ri + j] = s * inv;
    }
  }
  return true;
}

/**
 * Solves L L^T x = b in place with the factor from choleskyInPlace; b's entries are at
 * b[bo + i * bs] (bs > 1 solves a column of a row-major matrix in place).
 */
export function choleskySolveInPlace(L: Float64Array, n: number, b: Float64Array, lo = 0, bo = 0, bs = 1): void {
  for (let i = 0; i < n; i++) {
    const ri = lo + i * n;
    let s = b[bo + i * bs];
    for (let k = 0; k < i; k++) s -= L[ri + k] * b[bo + k * bs];
    b[bo + i * bs] = s / L[ri + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[bo + i * bs];
    for (let k = i + 1; k < n; k++) s -= L[lo + k * n + i] * b[bo + k * bs];
    b[bo + i * bs] = s / L[lo + i * n + i];
  }
}

/**
 * C += A B with A (n x k) at A[ao..], B (k x m) at B[bo..], C (n x m) at C[co..], all
 * row-major and dense. Four columns of C are accumulated in registers over k (register
 * tiling): far fewer loads and stores than the textbook triple loop.
 */
export function gemmNN(A: Float64Array, ao: number, B: Float64Array, bo: number, C: Float64Array, co: number, n: number, k: number, m: number): void {
  const m4 = m - (m % 4);
  for (let i = 0; i < n; i++) {
    const ar = ao + i * k, cr = co + i * m;
    for (let j = 0; j < m4; j += 4) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let p = 0; p < k; p++) {
        const a = A[ar + p], br = bo + p * m + j;
        s0 += a * B[br]; s1 += a * B[br + 1]; s2 += a * B[br + 2]; s3 += a * B[br + 3];
      }
      C[cr + j] += s0; C[cr + j + 1] += s1; C[cr + j + 2] += s2; C[cr + j + 3] += s3;
    }
    for (let j = m4; j < m; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += A[ar + p] * B[bo + p * m + j];
      C[cr + j] += s;
    }
  }
}

/** C += Aᵀ B with A (k x n) at A[ao..], B (k x m) at B[bo..], C (n x m) at C[co..], row-major. */
export function gemmTN(A: Float64Array, ao: number, B: Float64Array, bo: number, C: Float64Array, co: number, n: number, k: number, m: number): void {
  const m4 = m - (m % 4);
  for (let i = 0; i < n; i++) {
    const cr = co + i * m;
    for (let j = 0; j < m4; j += 4) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let p = 0; p < k; p++) {
        const a = A[ao + p * n + i], br = bo + p * m + j;
        s0 += a * B[br]; s1 += a * B[br + 1]; s2 += a * B[br + 2]; s3 += a * B[br + 3];
      }
      C[cr + j] += s0; C[cr + j + 1] += s1; C[cr + j + 2] += s2; C[cr + j + 3] += s3;
    }
    for (let j = m4; j < m; j++) {
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
 * About half the work of gemmTN.
 */
export function gemmTNUpper(A: Float64Array, ao: number, B: Float64Array, bo: number, C: Float64Array, co: number, n: number, k: number): void {
  for (let i = 0; i < n; i++) {
    const cr = co + i * n;
    let j = i;
    for (; j + 4 <= n; j += 4) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let p = 0; p < k; p++) {
        const a = A[ao + p * n + i], br = bo + p * n + j;
        s0 += a * B[br]; s1 += a * B[br + 1]; s2 += a * B[br + 2]; s3 += a * B[br + 3];
      }
      C[cr + j] += s0; C[cr + j + 1] += s1; C[cr + j + 2] += s2; C[cr + j + 3] += s3;
    }
    for (; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += A[ao + p * n + i] * B[bo + p * n + j];
      C[cr + j] += s;
    }
  }
}

/** Overwrites the strict lower triangle of the n x n matrix at C[co..] with its upper triangle. */
export function mirrorUpper(C: Float64Array, co: number, n: number): void {
  for (let i = 1; i < n; i++) for (let j = 0; j < i; j++) C[co + i * n + j] = C[co + j * n + i];
}
