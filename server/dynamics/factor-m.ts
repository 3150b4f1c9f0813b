import { type Model } from '../model/model.ts';
import type { Data } from './data.ts';
import { ltdlKernels } from './compiled/ltdl-kernel.ts';
import { compiledKernelsEnabled } from './compiled/emit.ts';

/**
 * Sparse L^T D L factorization of the joint-space mass matrix (Featherstone's LTDL, as
 * MuJoCo's mj_factorM): M = L^T D L with L unit lower triangular whose off-diagonal entries lie
 * only on each dof's chain of ancestor dofs. No fill-in outside the tree's sparsity, so a
 * quadruped's factorization and solves touch a fraction of the dense n^3/6 and n^2 entries.
 * The tree of dofs it walks is model.ts dofParents.
 */

/**
 * Ancestor lists of every dof, flattened: dof k's ancestors (parent first, up to the root) are
 * list[start[k] .. start[k + 1]). A model constant, cached per dof-parent array; it turns the
 * factorization's linked-list walks into contiguous loops with independent loads.
 */
interface AncestorLists { start: Int32Array; list: Int32Array }
const ancestorCache = new WeakMap<Int32Array, AncestorLists>();
function ancestorLists(lambda: Int32Array): AncestorLists {
  let a = ancestorCache.get(lambda);
  if (a) return a;
  const nv = lambda.length, start = new Int32Array(nv + 1), list: number[] = [];
  for (let k = 0; k < nv; k++) {
    start[k] = list.length;
    for (let i = lambda[k]; i !== -1; i = lambda[i]) list.push(i);
  }
  start[nv] = list.length;
  a = { start, list: Int32Array.from(list) };
  ancestorCache.set(lambda, a);
  return a;
}

/**
 * Factorizes H (nv x nv row-major, the mass matrix, possibly with a positive diagonal added)
 * in place: afterwards H[k][k] = D_k and H[k][i] = L_ki for i an ancestor of k. Only entries
 * on ancestor chains are read or written. Returns false if a pivot is not positive.
 */
export function ltdlFactorGeneric(lambda: Int32Array, H: Float64Array, nv: number): boolean {
  const { start, list } = ancestorLists(lambda);
  for (let k = nv - 1; k >= 0; k--) {
    const rk = k * nv;
    const dk = H[rk + k];
    if (!(dk > 0)) return false;
    const s0 = start[k], s1 = start[k + 1];
    // ancestors of ancestor list[p] are list[p+1..]: H_i,j -= L_ki H_kj for j = i and above
    for (let p = s0; p < s1; p++) {
      const i = list[p];
      const a = H[rk + i] / dk;
      const ri = i * nv;
      H[ri + i] -= a * H[rk + i];
      for (let q = p + 1; q < s1; q++) { const j = list[q]; H[ri + j] -= a * H[rk + j]; }
      H[rk + i] = a;
    }
  }
  return true;
}

/** Solves M x = b in place (b at b[bo..bo+nv]) with the factor from ltdlFactor. */
export function ltdlSolveGeneric(lambda: Int32Array, H: Float64Array, nv: number, b: Float64Array, bo = 0): void {
  const { start, list } = ancestorLists(lambda);
  // L^T y = b (leaves to root), then D z = y, then L x = z (root to leaves)
  for (let k = nv - 1; k >= 0; k--) {
    const bk = b[bo + k];
    if (bk === 0) continue;
    const rk = k * nv;
    for (let p = start[k], e = start[k + 1]; p < e; p++) { const i = list[p]; b[bo + i] -= H[rk + i] * bk; }
  }
  for (let k = 0; k < nv; k++) b[bo + k] /= H[k * nv + k];
  for (let k = 0; k < nv; k++) {
    const rk = k * nv;
    let s = b[bo + k];
    for (let p = start[k], e = start[k + 1]; p < e; p++) { const i = list[p]; s -= H[rk + i] * b[bo + i]; }
    b[bo + k] = s;
  }
}

/**
 * Solves M X = B in place for ncols right-hand sides at once: X is nv x ncols row-major (one
 * row per dof). The sweeps of ltdlSolveGeneric, each factor entry applied to a whole row, so
 * the inner loops run over contiguous columns (the analytic derivatives solve 2nv + nu columns).
 */
export function ltdlSolveMany(lambda: Int32Array, H: Float64Array, nv: number, X: Float64Array, ncols: number): void {
  const { start, list } = ancestorLists(lambda);
  for (let k = nv - 1; k >= 0; k--) {
    const rk = k * nv, xk = k * ncols;
    for (let p = start[k], e = start[k + 1]; p < e; p++) {
      const i = list[p], h = H[rk + i], xi = i * ncols;
      for (let c = 0; c < ncols; c++) X[xi + c] -= h * X[xk + c];
    }
  }
  for (let k = 0; k < nv; k++) {
    const d = 1 / H[k * nv + k], xk = k * ncols;
    for (let c = 0; c < ncols; c++) X[xk + c] *= d;
  }
  for (let k = 0; k < nv; k++) {
    const rk = k * nv, xk = k * ncols;
    for (let p = start[k], e = start[k + 1]; p < e; p++) {
      const i = list[p], h = H[rk + i], xi = i * ncols;
      for (let c = 0; c < ncols; c++) X[xk + c] -= h * X[xi + c];
    }
  }
}

/**
 * The last sweep of ltdlSolve alone: solves L x = z in place (root to leaves). With
 * z = D^-1 L^-T b already known in another form (the contact stage has D^-1/2 L^-T Jc^T), this
 * finishes M^-1 b at a third of a full solve.
 */
export function ltdlSolveLGeneric(lambda: Int32Array, H: Float64Array, nv: number, b: Float64Array, bo = 0): void {
  const { start, list } = ancestorLists(lambda);
  for (let k = 0; k < nv; k++) {
    const rk = k * nv;
    let s = b[bo + k];
    for (let p = start[k], e = start[k + 1]; p < e; p++) { const i = list[p]; s -= H[rk + i] * b[bo + i]; }
    b[bo + k] = s;
  }
}

/*
 * Dispatch: the model-specialized kernels (compiled/ltdl-kernel.ts, the loops above unrolled
 * over the tree, bit for bit the same results) when the tree is small enough to compile; the
 * generic loops above are the reference and the fallback.
 */

/** Factorizes H in place (see ltdlFactorGeneric); false if a pivot is not positive. */
export function ltdlFactor(lambda: Int32Array, H: Float64Array, nv: number): boolean {
  const k = compiledKernelsEnabled() ? ltdlKernels(lambda) : null;
  return k ? k.factor(H) : ltdlFactorGeneric(lambda, H, nv);
}

/** Solves M x = b in place at b[bo..] with the factor from ltdlFactor. */
export function ltdlSolve(lambda: Int32Array, H: Float64Array, nv: number, b: Float64Array, bo = 0): void {
  const k = compiledKernelsEnabled() ? ltdlKernels(lambda) : null;
  if (k) k.solve(H, b, bo); else ltdlSolveGeneric(lambda, H, nv, b, bo);
}

/** Solves L x = z in place at b[bo..] (see ltdlSolveLGeneric). */
export function ltdlSolveL(lambda: Int32Array, H: Float64Array, nv: number, b: Float64Array, bo = 0): void {
  const k = compiledKernelsEnabled() ? ltdlKernels(lambda) : null;
  if (k) k.solveL(H, b, bo); else ltdlSolveLGeneric(lambda, H, nv, b, bo);
}

/**
 * Factorizes data.M (+ diag `extraDiag` if given) into data.Mfactor; throws if not positive
 * definite. Only the diagonal and the ancestor entries of Mfactor hold the factor.
 */
export function factorMassMatrix(model: Model, data: Data, extraDiag?: ArrayLike<number>): void {
  const F = data.Mfactor, nv = model.nv;
  const k = compiledKernelsEnabled() && extraDiag instanceof Float64Array ? ltdlKernels(data.dofParent) : null;
  if (k !== null) {
    // straight from M: no copy, the same factor on the entries it holds
    if (!k.factorFrom(data.M, F, extraDiag as Float64Array)) throw new Error(`model ${model.name}: mass matrix is not positive definite`);
    return;
  }
  F.set(data.M);
  if (extraDiag) for (let i = 0; i < nv; i++) F[i * nv + i] += extraDiag[i];
  if (!ltdlFactor(data.dofParent, F, nv)) throw new Error(`model ${model.name}: mass matrix is not positive definite`);
}

/** x = M^-1 b in place, with the factor in data.Mfactor. */
export function solveMassMatrix(model: Model, data: Data, b: Float64Array, bo = 0): void {
  ltdlSolve(data.dofParent, data.Mfactor, model.nv, b, bo);
}

/** X = M⁻¹ X in place for X nv x ncols row-major, with the factor in data.Mfactor (ltdlSolveMany). */
export function solveMassMatrixMany(model: Model, data: Data, X: Float64Array, ncols: number): void {
  ltdlSolveMany(data.dofParent, data.Mfactor, model.nv, X, ncols);
}
