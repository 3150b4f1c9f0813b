/**
 * The tree-sparse LTDL factor and solve (dynamics/factor-m.ts) written once in the symbolic
 * form (server/model/joints/types.ts SymOps) over the dof tree lambda, and run by both printers:
 * the generated JavaScript (compiled/ltdl-kernel.ts, f64, === factor-m.ts's generic loops,
 * working in memory) and the WGSL step (compute/webgpu/step/factor.ts, f32, over values).
 *
 * The matrix H (nv x nv, row-major) and the right-hand side b are the printer's: it reads and
 * writes their entries through the I/O below, in program order, in place.
 */
import type { SymOps } from '../../model/joints/types.ts';

type S<T> = T | number;

/** The ancestors of each dof (lambda[k], lambda[lambda[k]], ...), nearest first. */
export function dofAncestors(lambda: Int32Array): number[][] {
  const anc: number[][] = [];
  for (let k = 0; k < lambda.length; k++) {
    const l: number[] = [];
    for (let i = lambda[k]; i !== -1; i = lambda[i]) l.push(i);
    anc.push(l);
  }
  return anc;
}

export interface LtdlFactorIo<T> {
  /** H[idx] as it stands. */
  get(idx: number): S<T>;
  /** H[idx] = x. */
  set(idx: number, x: S<T>): void;
  /** H[idx] -= y. */
  subFrom(idx: number, y: S<T>): void;
  /** The pivot d of dof k (H[k, k] as it stands): checked positive by the printer; returns the value to divide by. */
  pivot(k: number, idx: number): S<T>;
}

/** H = L^T D L in place (ltdlFactor): dofs leaves to root; for each ancestor i of k, row i's chain loses a_ki H_k. */
export function ltdlFactorSym<T>(ops: SymOps<T>, lambda: Int32Array, io: LtdlFactorIo<T>): void {
  const nv = lambda.length, anc = dofAncestors(lambda);
  for (let k = nv - 1; k >= 0; k--) {
    const l = anc[k], rk = k * nv;
    const d = io.pivot(k, rk + k);
    for (let p = 0; p < l.length; p++) {
      const i = l[p], ri = i * nv;
      const h = ops.def('h', io.get(rk + i));
      const a = ops.def('a', ops.div(h, d));
      io.subFrom(ri + i, ops.mul(a, h));
      for (let q = p + 1; q < l.length; q++) io.subFrom(ri + l[q], ops.mul(a, io.get(rk + l[q])));
      io.set(rk + i, a);
    }
  }
}

export interface LtdlSolveIo<T> {
  /** Entry idx of the factor. */
  L(idx: number): S<T>;
  /** b[k] as it stands. */
  get(k: number): S<T>;
  set(k: number, x: S<T>): void;
  /** b[k] -= y. */
  subFrom(k: number, y: S<T>): void;
  /** b[k] /= y. */
  divBy(k: number, y: S<T>): void;
  /** Runs body unless x is zero (the generic loop skips zero entries). */
  nonZero(x: S<T>, body: () => void): void;
}

/** Solves L^T D L x = b in place (ltdlSolve): L^T y = b leaves to root, then D, then L x = z (withBack false: L x = z only, ltdlSolveL). */
export function ltdlSolveSym<T>(ops: SymOps<T>, lambda: Int32Array, io: LtdlSolveIo<T>, withBack = true): void {
  const nv = lambda.length, anc = dofAncestors(lambda);
  if (withBack) {
    for (let k = nv - 1; k >= 0; k--) {
      const l = anc[k];
      if (l.length === 0) continue;
      const x = ops.def('x', io.get(k));
      io.nonZero(x, () => { for (const i of l) io.subFrom(i, ops.mul(io.L(k * nv + i), x)); });
    }
    for (let k = 0; k < nv; k++) io.divBy(k, io.L(k * nv + k));
  }
  for (let k = 0; k < nv; k++) {
    const l = anc[k];
    if (l.length === 0) continue;
    let s = io.get(k);
    for (const i of l) s = ops.sub(s, ops.mul(io.L(k * nv + i), io.get(i)));
    io.set(k, s);
  }
}
