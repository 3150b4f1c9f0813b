/**
 * Forward kinematics of one joint written once in the symbolic form (server/model/joints/
 * types.ts SymOps) and run by both printers: the generated JavaScript (compiled/
 * kinematics-kernel.ts, f64, results === kinematics.ts's generic loop) and the WGSL step
 * (compute/webgpu/step/kinematics.ts, f32). The same operations in the same order as the
 * generic loop: liMi from the joint type's placement, oMi = oMi_parent liMi,
 * v = liMi^-1 v_parent + S qd.
 *
 * Each printer supplies the I/O: where q, qd and the parent's placement and velocity come from
 * (array loads, or traced values) and what happens to the results (stores, or values kept).
 * The callbacks run in program order, so a printer that emits statements keeps its order.
 */
import { jointOf, type SymOps } from '../../model/joints/index.ts';
import { jointMotionSym } from '../../model/joints/subspace.ts';
import type { Model } from '../../model/model.ts';
import { motionActInvSym, se3MulSym } from '../../model/spatial-sym.ts';

type S<T> = T | number;

export interface FkJointIo<T> {
  /** q[idxQ[j] + i]. */
  q(i: number): S<T>;
  /** qd[idxV[j] + i]. */
  v(i: number): S<T>;
  /** liMi (12), named for reuse; called first. */
  liMi(L: S<T>[]): S<T>[];
  /** The parent's oMi (12), read after liMi. */
  parentPlacement(): S<T>[];
  oMi(O: S<T>[]): void;
  /** The parent's body velocity (6), read after oMi. */
  parentVelocity(): S<T>[];
  velocity(V: S<T>[]): void;
}

export function fkJointSym<T>(ops: SymOps<T>, model: Model, j: number, io: FkJointIo<T>, withV: boolean): void {
  const L = io.liMi(jointOf(model, j).placementSym(ops, model, j, (i) => io.q(i)));
  io.oMi(se3MulSym(ops, io.parentPlacement(), L));
  if (!withV) return;
  const m = motionActInvSym(ops, L, io.parentVelocity());
  const vJ = jointMotionSym(ops, model, j, (i) => io.v(i), 'j');
  io.velocity(m.map((x, k) => ops.add(x, vJ[k])));
}
