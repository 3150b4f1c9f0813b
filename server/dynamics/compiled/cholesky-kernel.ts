/**
 * Generated dense Cholesky factor and solve for one size n: the loops of linalg.ts's
 * choleskyInvDiagInPlace / choleskyInvDiagSolveInPlace unrolled (same operations, same order,
 * so equal results; the diagonal holds 1 / L_jj, so the solves multiply). The contact polish
 * factors the sticking block of the Delassus matrix, 3 rows per contact, every step.
 */
import { compileKernel } from './emit.ts';

export interface CholeskyKernels {
  /**
   * A + ridge[0] I (n x n row-major) = L L^T, the strict lower triangle of L and the inverse
   * of its diagonal written to L (which may be A itself: in place); false if not positive
   * definite. Equal to copying A to L, adding the ridge to its diagonal and running
   * choleskyInvDiagInPlace. (The ridge comes in an array: a double
   * argument to a call V8 does not inline is boxed, an allocation per call.)
   */
  factor: (A: Float64Array, L: Float64Array, ridge: Float64Array) => boolean;
  /** Solves L L^T x = b in place (b dense, length n). */
  solve: (L: Float64Array, b: Float64Array) => void;
}

const cache = new Map<number, CholeskyKernels | null>();

/** Largest size unrolled: n^3/6 terms of source, about 45 KB at 21. */
export const MAX_CHOLESKY_KERNEL = 21;

/** The kernels for size n (cached), or null when n is too large to unroll. */
export function choleskyKernels(n: number): CholeskyKernels | null {
  if (n > MAX_CHOLESKY_KERNEL) return null;
  const hit = cache.get(n);
  if (hit !== undefined) return hit;
  const k = build(n);
  cache.set(n, k);
  return k;
}

function build(n: number): CholeskyKernels | null {
  const f: string[] = ['const r = ridge[0]; let d = 0, inv = 0;'];
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    f.push(`d = (A[${rj + j}] + r)${Array.from({ length: j }, (_, k) => ` - L[${rj + k}] * L[${rj + k}]`).join('')};`,
      'if (!(d > 0) || d === Infinity) return false;',
      `inv = 1 / Math.sqrt(d); L[${rj + j}] = inv;`);
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      f.push(`L[${ri + j}] = (A[${ri + j}]${Array.from({ length: j }, (_, k) => ` - L[${ri + k}] * L[${rj + k}]`).join('')}) * inv;`);
    }
  }
  f.push('return true;');
  const s: string[] = [];
  for (let i = 0; i < n; i++) {
    s.push(`b[${i}] = (b[${i}]${Array.from({ length: i }, (_, k) => ` - L[${i * n + k}] * b[${k}]`).join('')}) * L[${i * n + i}];`);
  }
  for (let i = n - 1; i >= 0; i--) {
    s.push(`b[${i}] = (b[${i}]${Array.from({ length: n - 1 - i }, (_, t) => ` - L[${(i + 1 + t) * n + i}] * b[${i + 1 + t}]`).join('')}) * L[${i * n + i}];`);
  }
  const factor = compileKernel<CholeskyKernels['factor']>('choleskyCompiled', ['A', 'L', 'ridge'], f.join('\n'));
  const solve = compileKernel<CholeskyKernels['solve']>('choleskySolveCompiled', ['L', 'b'], s.join('\n'));
  return factor && solve ? { factor, solve } : null;
}
