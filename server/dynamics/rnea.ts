import { JOINT_FREE, JOINT_PRISMATIC, type Model } from '../model/model.ts';
import { forceActAdd, inertiaMulMotion, motionActInv, motionCrossForce } from '../model/spatial.ts';
import type { Data } from './data.ts';
import { addJointMotion, addMotionCross, jointMotion, jointTransform } from './kinematics.ts';

/**
 * Recursive Newton-Euler: tau = M(q) a + C(q, v) v + g(q), written to data.tau (and returned).
 * Gravity enters as an upward acceleration of the universe, a_0 = -g. `a` null means zero.
 */
export function rnea(model: Model, data: Data, q: ArrayLike<number>, v: ArrayLike<number>, a: ArrayLike<number> | null): Float64Array {
  const nj = model.njoints;
  const parents = model.parents;
  const V = data.v, A = data.a, F = data.f, Y = data.Ybody, L = data.liMi;
  const vJ = data.tmp6;
  A[0] = -model.gravity[0]; A[1] = -model.gravity[1]; A[2] = -model.gravity[2];
  A[3] = 0; A[4] = 0; A[5] = 0;
  for (let j = 1; j < nj; j++) {
    const p = parents[j];
    const o = 6 * j;
    jointTransform(model, data, j, q);
    motionActInv(L, 12 * j, V, 6 * p, V, o);
    jointMotion(model, j, v, vJ, 0);
    for (let k = 0; k < 6; k++) V[o + k] += vJ[k];
    motionActInv(L, 12 * j, A, 6 * p, A, o);
    if (a) addJointMotion(model, j, a, A, o);
    addMotionCross(V, o, vJ, 0, A, o);
    // f = Y a + v x* (Y v)
    inertiaMulMotion(Y, 10 * j, V, o, vJ, 0);
    motionCrossForce(V, o, vJ, 0, F, o);
    inertiaMulMotion(Y, 10 * j, A, o, vJ, 0);
    for (let k = 0; k < 6; k++) F[o + k] += vJ[k];
  }
  const tau = data.tau;
  for (let j = nj - 1; j >= 1; j--) {
    const o = 6 * j;
    projectForce(model, j, F, o, tau);
    const p = parents[j];
    if (p > 0) forceActAdd(L, 12 * j, F, o, F, 6 * p);
  }
  return tau;
}

/** Writes S_j^T f (the joint torque of force f at F[o..]) into tau at joint j's dofs. */
export function projectForce(model: Model, j: number, F: Float64Array, o: number, tau: Float64Array): void {
  const iv = model.idxV[j];
  const type = model.jointTypes[j];
  if (type === JOINT_FREE) {
    for (let k = 0; k < 6; k++) tau[iv + k] = F[o + k];
    return;
  }
  const off = type === JOINT_PRISMATIC ? o : o + 3;
  tau[iv] = model.axes[3 * j] * F[off] + model.axes[3 * j + 1] * F[off + 1] + model.axes[3 * j + 2] * F[off + 2];
}

/** Nonlinear effects C(q, v) v + g(q) = RNEA(q, v, 0), written to data.nle (and returned). */
export function nonLinearEffects(model: Model, data: Data, q: ArrayLike<number>, v: ArrayLike<number>): Float64Array {
  rnea(model, data, q, v, null);
  data.nle.set(data.tau);
  return data.nle;
}

/** Generalized gravity g(q) = RNEA(q, 0, 0), written to data.tau (and returned). */
export function computeGeneralizedGravity(model: Model, data: Data, q: ArrayLike<number>): Float64Array {
  const z = data.tmpNv;
  for (let i = 0; i < z.length; i++) z[i] = 0;
  return rnea(model, data, q, data.tmpNv, null);
}
