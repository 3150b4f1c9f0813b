import { JOINT_FREE, JOINT_PRISMATIC, type Model } from '../model/model.ts';
import { articulatedInertiaActAdd, forceActAdd, inertiaMulMotion, inertiaToMatrix, motionActInv, motionCrossForce } from '../model/spatial.ts';
import { choleskyInPlace, choleskySolveInPlace } from '../math/linalg.ts';
import type { Data } from './data.ts';
import { addJointMotion, addMotionCross, jointTransform } from './kinematics.ts';

/**
 * Articulated Body Algorithm (Featherstone): ddq = M(q)^-1 (tau - C(q, v) v - g(q)), written
 * to data.ddq and returned. `fext` (optional, 6 per joint, in the joint frames) are external
 * spatial forces applied to the bodies. A free-flyer is supported as joint 1 only (its
 * articulated inertia is then solved with a 6x6 Cholesky).
 */
export function aba(
  model: Model, data: Data, q: ArrayLike<number>, v: ArrayLike<number>, tau: ArrayLike<number>,
  fext?: Float64Array,
): Float64Array {
  const nj = model.njoints;
  const parents = model.parents;
  const types = model.jointTypes;
  const axes = model.axes;
  const L = data.liMi, V = data.v, C = data.c, Ia = data.Ia, pA = data.pA, A = data.a;
  const U = data.U, D = data.D, u = data.u, ddq = data.ddq;
  const t6 = data.tmp6, t36 = data.tmp36;

  // Pass 1: kinematics, velocity-product accelerations, bias forces, body inertias.
  for (let j = 1; j < nj; j++) {
    const p = parents[j];
    const o = 6 * j;
    jointTransform(model, data, j, q);
    motionActInv(L, 12 * j, V, 6 * p, V, o);
    t6.fill(0);
    addJointMotion(model, j, v, t6, 0);
    for (let k = 0; k < 6; k++) V[o + k] += t6[k];
    C.fill(0, o, o + 6);
    if (p > 0) addMotionCross(V, o, t6, 0, C, o);
    inertiaToMatrix(data.Ybody, 10 * j, Ia, 36 * j);
    inertiaMulMotion(data.Ybody, 10 * j, V, o, t6, 0);
    motionCrossForce(V, o, t6, 0, pA, o);
    if (fext) for (let k = 0; k < 6; k++) pA[o + k] -= fext[o + k];
  }

  // Pass 2: articulated inertias and bias forces, leaves to root.
  for (let j = nj - 1; j >= 1; j--) {
    const o = 6 * j, io = 36 * j;
    const p = parents[j];
    if (types[j] === JOINT_FREE) {
      // u = tau - pA; nothing to propagate (the free-flyer is the root).
      const iv = model.idxV[j];
      for (let k = 0; k < 6; k++) u[iv + k] = tau[iv + k] - pA[o + k];
      continue;
    }
    const iv = model.idxV[j];
    const off = types[j] === JOINT_PRISMATIC ? 0 : 3;
    const ax = axes[3 * j], ay = axes[3 * j + 1], az = axes[3 * j + 2];
    // U = Ia S (S has a single 3-vector block at off)
    const uo = 6 * iv;
    for (let r = 0; r < 6; r++) {
      const b = io + 6 * r + off;
      U[uo + r] = Ia[b] * ax + Ia[b + 1] * ay + Ia[b + 2] * az;
    }
    const Dj = U[uo + off] * ax + U[uo + off + 1] * ay + U[uo + off + 2] * az;
    D[iv] = Dj;
    const uj = tau[iv] - (pA[o + off] * ax + pA[o + off + 1] * ay + pA[o + off + 2] * az);
    u[iv] = uj;
    if (p === 0) continue;
    // Ia_a = Ia - U U^T / D ; pa = pA + Ia_a c + U u / D
    const invD = 1 / Dj;
    for (let r = 0; r < 6; r++) {
      const ur = U[uo + r] * invD;
      for (let s = 0; s < 6; s++) Ia[io + 6 * r + s] -= ur * U[uo + s];
    }
    const ud = uj * invD;
    for (let r = 0; r < 6; r++) {
      const b = io + 6 * r;
      t6[r] = pA[o + r] + U[uo + r] * ud
        + Ia[b] * C[o] + Ia[b + 1] * C[o + 1] + Ia[b + 2] * C[o + 2]
        + Ia[b + 3] * C[o + 3] + Ia[b + 4] * C[o + 4] + Ia[b + 5] * C[o + 5];
    }
    articulatedInertiaActAdd(L, 12 * j, Ia, io, t36, Ia, 36 * p);
    forceActAdd(L, 12 * j, t6, 0, pA, 6 * p);
  }

  // Pass 3: accelerations, root to leaves. The universe accelerates upward at -g.
  A[0] = -model.gravity[0]; A[1] = -model.gravity[1]; A[2] = -model.gravity[2];
  A[3] = 0; A[4] = 0; A[5] = 0;
  for (let j = 1; j < nj; j++) {
    const o = 6 * j, io = 36 * j;
    const p = parents[j];
    motionActInv(L, 12 * j, A, 6 * p, A, o);
    for (let k = 0; k < 6; k++) A[o + k] += C[o + k];
    const iv = model.idxV[j];
    if (types[j] === JOINT_FREE) {
      // Ia ddq = u - Ia a
      for (let r = 0; r < 6; r++) {
        const b = io + 6 * r;
        ddq[iv + r] = u[iv + r] - (Ia[b] * A[o] + Ia[b + 1] * A[o + 1] + Ia[b + 2] * A[o + 2]
          + Ia[b + 3] * A[o + 3] + Ia[b + 4] * A[o + 4] + Ia[b + 5] * A[o + 5]);
      }
      t36.set(Ia.subarray(io, io + 36));
      if (!choleskyInPlace(t36, 6, 0)) throw new Error(`aba: articulated inertia of joint '${model.jointNames[j]}' is not positive definite`);
      choleskySolveInPlace(t36, 6, ddq, 0, iv);
      for (let k = 0; k < 6; k++) A[o + k] += ddq[iv + k];
      continue;
    }
    const uo = 6 * iv;
    const x = (u[iv] - (U[uo] * A[o] + U[uo + 1] * A[o + 1] + U[uo + 2] * A[o + 2]
      + U[uo + 3] * A[o + 3] + U[uo + 4] * A[o + 4] + U[uo + 5] * A[o + 5])) / D[iv];
    ddq[iv] = x;
    addJointMotion(model, j, ddq, A, o);
  }
  return ddq;
}
