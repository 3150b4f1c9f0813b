/**
 * CRBA written once in the symbolic form (server/model/joints/types.ts SymOps) and run by both
 * printers: the generated JavaScript (compiled/crba-kernel.ts, f64, results === crba.ts's
 * generic loop) and the WGSL step (compute/webgpu/step/crba.ts, f32).
 *
 * crbaJointSym is joint j's pass of the backward sweep: the force columns F = Yc_j S_j, then the
 * walk up to the root writing the blocks (i, j) of M and carrying F to the parent frame
 * (forceAct); crbaCompositeSym what joint j's composite adds to its parent's (inertiaActAdd).
 * Each printer supplies the I/O: where the composite and the placements come from, what
 * happens to the entries of M. The callbacks run in program order.
 */
import { projectSym, motionSubspaceColumn } from '../../model/joints/subspace.ts';
import type { SymOps } from '../../model/joints/types.ts';
import type { Model } from '../../model/model.ts';
import { forceActSym, inertiaActAddSym, inertiaMulMotionSym } from '../../model/spatial-sym.ts';

type S<T> = T | number;

export interface CrbaJointIo<T> {
  /** Yc_j, the composite inertia of joint j (10, origin form); called first. */
  composite(): S<T>[];
  /** A new level of the walk starts (level 0: joint j itself). */
  level?(level: number): void;
  /** M[row, col] = M[col, row] = x (row: a dof of the walk's joint, col: one of j's). */
  write(level: number, row: number, col: number, x: S<T>): void;
  /** liMi of joint i, read to carry the columns from i to its parent. */
  placement(i: number): S<T>[];
  /** The columns have been carried with liMi_i. */
  carried?(i: number): void;
}

export function crbaJointSym<T>(ops: SymOps<T>, model: Model, j: number, io: CrbaJointIo<T>): void {
  const ivj = model.idxV[j], nvj = model.nvs[j];
  const Y = io.composite();
  const s = [0, 0, 0, 0, 0, 0];
  const def = (x: S<T>) => ops.def('f', x);
  let F: S<T>[][] = [];
  for (let k = 0; k < nvj; k++) {
    motionSubspaceColumn(model, j, k, s);
    F.push(inertiaMulMotionSym(ops, Y, s).map(def));
  }
  for (let i = j, level = 0; ; level++) {
    io.level?.(level);
    const ivi = model.idxV[i];
    for (let k = 0; k < nvj; k++) {
      for (let r = 0; r < model.nvs[i]; r++) io.write(level, ivi + r, ivj + k, projectSym(ops, model, i, r, F[k]));
    }
    const p = model.parents[i];
    if (p === 0) return;
    const L = io.placement(i);
    F = F.map((f) => forceActSym(ops, L, f).map(def));
    io.carried?.(i);
    i = p;
  }
}

/** What joint j's composite Yc_j adds to its parent's: liMi_j Yc_j (10, origin form). */
export function crbaCompositeSym<T>(ops: SymOps<T>, liMi: readonly S<T>[], Yc: readonly S<T>[]): S<T>[] {
  return inertiaActAddSym(ops, liMi, Yc);
}
