/**
 * The motion subspace S of a joint (joint frame), applied by its class (types.ts): the one
 * place the algorithms' S qd, S column and Sᵀ f live, numeric and symbolic.
 */
import { jointOf } from './index.ts';
import { S_FULL, S_LINEAR_AXIS, type JointArrays, type SymOps } from './types.ts';

/** Joint j's S class, from the model's joint kinds. */
interface Kinds extends JointArrays { readonly jointTypes: Int32Array }

/** Offset in a motion [v; w] of the axis of a 1-dof joint: 0 (linear) or 3 (angular). */
export function axisOffset(model: Kinds, j: number): number {
  return jointOf(model, j).subspace === S_LINEAR_AXIS ? 0 : 3;
}

/** Writes the joint's own velocity S qd of joint j at out[oo..oo+6] (joint frame). */
export function jointMotion(model: Kinds, j: number, qd: ArrayLike<number>, out: Float64Array, oo: number): void {
  const iv = model.idxV[j];
  const cls = jointOf(model, j).subspace;
  if (cls === S_FULL) {
    for (let k = 0; k < 6; k++) out[oo + k] = qd[iv + k];
    return;
  }
  const x = qd[iv];
  const ax = model.axes[3 * j] * x, ay = model.axes[3 * j + 1] * x, az = model.axes[3 * j + 2] * x;
  if (cls === S_LINEAR_AXIS) {
    out[oo] = ax; out[oo + 1] = ay; out[oo + 2] = az; out[oo + 3] = 0; out[oo + 4] = 0; out[oo + 5] = 0;
  } else {
    out[oo] = 0; out[oo + 1] = 0; out[oo + 2] = 0; out[oo + 3] = ax; out[oo + 4] = ay; out[oo + 5] = az;
  }
}

/** Adds the joint's own velocity S qd of joint j to the motion at out[oo..oo+6] (joint frame). */
export function addJointMotion(model: Kinds, j: number, qd: ArrayLike<number>, out: Float64Array, oo: number): void {
  const iv = model.idxV[j];
  if (jointOf(model, j).subspace === S_FULL) {
    for (let k = 0; k < 6; k++) out[oo + k] += qd[iv + k];
    return;
  }
  const x = qd[iv];
  const off = axisOffset(model, j);
  out[oo + off] += model.axes[3 * j] * x;
  out[oo + off + 1] += model.axes[3 * j + 1] * x;
  out[oo + off + 2] += model.axes[3 * j + 2] * x;
}

/** Column k of joint j's motion subspace S (in the joint frame), written to out[0..6]. */
export function motionSubspaceColumn(model: Kinds, j: number, k: number, out: Float64Array | number[]): void {
  out[0] = 0; out[1] = 0; out[2] = 0; out[3] = 0; out[4] = 0; out[5] = 0;
  if (jointOf(model, j).subspace === S_FULL) { out[k] = 1; return; }
  const off = axisOffset(model, j);
  out[off] = model.axes[3 * j]; out[off + 1] = model.axes[3 * j + 1]; out[off + 2] = model.axes[3 * j + 2];
}

/** Row r of S_j^T applied to the force at F[o..o+6]. */
export function projectColumn(model: Kinds, j: number, r: number, F: Float64Array, o: number): number {
  if (jointOf(model, j).subspace === S_FULL) return F[o + r];
  const off = o + axisOffset(model, j);
  return model.axes[3 * j] * F[off] + model.axes[3 * j + 1] * F[off + 1] + model.axes[3 * j + 2] * F[off + 2];
}

/** Writes S_j^T f (the joint torque of force f at F[o..]) into tau at joint j's dofs. */
export function projectForce(model: Kinds, j: number, F: Float64Array, o: number, tau: Float64Array): void {
  const iv = model.idxV[j];
  if (jointOf(model, j).subspace === S_FULL) {
    for (let k = 0; k < 6; k++) tau[iv + k] = F[o + k];
    return;
  }
  const off = o + axisOffset(model, j);
  tau[iv] = model.axes[3 * j] * F[off] + model.axes[3 * j + 1] * F[off + 1] + model.axes[3 * j + 2] * F[off + 2];
}

/**
 * S qd symbolically: qd(i) is the symbolic qd[idxV[j] + i]; the axis products are formed as
 * jointMotion forms them (axis * qd). `def` names the three products (JavaScript locals).
 */
export function jointMotionSym<T>(ops: SymOps<T>, model: Kinds, j: number, qd: (i: number) => T | number, name = 'vj'): (T | number)[] {
  if (jointOf(model, j).subspace === S_FULL) return [0, 1, 2, 3, 4, 5].map((i) => qd(i));
  const x = qd(0);
  const s = [0, 1, 2].map((c) => ops.def(`${name}${c}`, ops.mul(model.axes[3 * j + c], x)));
  return axisOffset(model, j) === 0 ? [...s, 0, 0, 0] : [0, 0, 0, ...s];
}

/** Row r of S_j^T applied to a symbolic force F (6 values), as projectColumn forms it. */
export function projectSym<T>(ops: SymOps<T>, model: Kinds, j: number, r: number, F: readonly (T | number)[]): T | number {
  if (jointOf(model, j).subspace === S_FULL) return F[r];
  const off = axisOffset(model, j);
  const a = model.axes;
  return ops.add(ops.add(ops.mul(a[3 * j], F[off]), ops.mul(a[3 * j + 1], F[off + 1])), ops.mul(a[3 * j + 2], F[off + 2]));
}
