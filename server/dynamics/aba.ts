import { JOINT_FREE, JOINT_PRISMATIC, type Model } from '../model/model.ts';
import { forceAct, forceActAdd, inertiaActAdd, inertiaToMatrix, inertiaMulMotion, motionAct, motionActInv, motionCrossForce, se3Mul } from '../model/spatial.ts';
import { choleskyInPlace, choleskySolveInPlace } from '../math/linalg.ts';
import type { Data } from './data.ts';
import { addMotionCross, jointTransform } from './kinematics.ts';

/**
 * Articulated Body Algorithm (Featherstone): ddq = M(q)^-1 (tau - C(q, v) v - g(q) + J^T fext),
 * written to data.ddq and returned.
 *
 * Like Pinocchio 3, every quantity lives in the WORLD frame (at the world origin): articulated
 * inertias and bias forces then pass from child to parent by plain addition, with no 6x6
 * change of frame per body. `fext` (optional, 6 per joint) are spatial forces on the bodies
 * expressed in their joint frames. A free-flyer must be joint 1 (the root).
 */
export function aba(
  model: Model, data: Data, q: ArrayLike<number>, v: ArrayLike<number>, tau: ArrayLike<number>,
  fext?: Float64Array,
): Float64Array {
  const nj = model.njoints;
  const parents = model.parents;
  const types = model.jointTypes;
  const axes = model.axes;
  const O = data.oMi, ov = data.ov, oc = data.c, Ia = data.Ia, pA = data.pA, oa = data.oa, oS = data.oS;
  const U = data.U, D = data.D, u = data.u, ddq = data.ddq;
  const t6 = data.tmp6, t36 = data.tmp36, Yw = data.Ycrb;

  // Pass 1: placements, world velocities, motion-subspace columns, bias terms, inertias.
  for (let j = 1; j < nj; j++) {
    const p = parents[j];
    const o = 6 * j, mo = 12 * j;
    jointTransform(model, data, j, q);
    se3Mul(O, 12 * p, data.liMi, mo, O, mo);
    const iv = model.idxV[j];
    if (types[j] === JOINT_FREE) {
      for (let k = 0; k < 6; k++) t6[k] = v[iv + k];
      motionAct(O, mo, t6, 0, ov, o);
      for (let k = 0; k < 6; k++) oc[o + k] = 0;
    } else {
      // s = oMi act S: revolute [p x w; w] with w = R axis; prismatic [R axis; 0]
      const ax = axes[3 * j], ay = axes[3 * j + 1], az = axes[3 * j + 2];
      const rx = O[mo] * ax + O[mo + 1] * ay + O[mo + 2] * az;
      const ry = O[mo + 3] * ax + O[mo + 4] * ay + O[mo + 5] * az;
      const rz = O[mo + 6] * ax + O[mo + 7] * ay + O[mo + 8] * az;
      const so = 6 * iv;
      if (types[j] === JOINT_PRISMATIC) {
        oS[so] = rx; oS[so + 1] = ry; oS[so + 2] = rz; oS[so + 3] = 0; oS[so + 4] = 0; oS[so + 5] = 0;
      } else {
        const px = O[mo + 9], py = O[mo + 10], pz = O[mo + 11];
        oS[so] = py * rz - pz * ry; oS[so + 1] = pz * rx - px * rz; oS[so + 2] = px * ry - py * rx;
        oS[so + 3] = rx; oS[so + 4] = ry; oS[so + 5] = rz;
      }
      const qd = v[iv];
      for (let k = 0; k < 6; k++) { t6[k] = oS[so + k] * qd; oc[o + k] = 0; }
      // c = v_parent x (s qd): the rate of change of the moving column
      addMotionCross(ov, 6 * p, t6, 0, oc, o);
      for (let k = 0; k < 6; k++) ov[o + k] = ov[6 * p + k] + t6[k];
    }
    // world inertia, its 6x6 matrix and the bias force v x* (Y v) - fext
    const yo = 10 * j;
    for (let k = 0; k < 10; k++) Yw[yo + k] = 0;
    inertiaActAdd(O, mo, data.Ybody, yo, Yw, yo);
    inertiaToMatrix(Yw, yo, Ia, 36 * j);
    inertiaMulMotion(Yw, yo, ov, o, t6, 0);
    motionCrossForce(ov, o, t6, 0, pA, o);
    if (fext) {
      forceAct(O, mo, fext, o, t6, 0);
      for (let k = 0; k < 6; k++) pA[o + k] -= t6[k];
    }
  }

  // Pass 2: articulated inertias and bias forces, leaves to root.
  for (let j = nj - 1; j >= 1; j--) {
    if (types[j] === JOINT_FREE) continue;
    const o = 6 * j, io = 36 * j;
    const iv = model.idxV[j];
    const so = 6 * iv;
    const s0 = oS[so], s1 = oS[so + 1], s2 = oS[so + 2], s3 = oS[so + 3], s4 = oS[so + 4], s5 = oS[so + 5];
    let Dj = 0;
    for (let r = 0; r < 6; r++) {
      const b = io + 6 * r;
      const x = Ia[b] * s0 + Ia[b + 1] * s1 + Ia[b + 2] * s2 + Ia[b + 3] * s3 + Ia[b + 4] * s4 + Ia[b + 5] * s5;
      U[so + r] = x;
    }
    Dj = U[so] * s0 + U[so + 1] * s1 + U[so + 2] * s2 + U[so + 3] * s3 + U[so + 4] * s4 + U[so + 5] * s5;
    D[iv] = Dj;
    const uj = tau[iv] - (pA[o] * s0 + pA[o + 1] * s1 + pA[o + 2] * s2 + pA[o + 3] * s3 + pA[o + 4] * s4 + pA[o + 5] * s5);
    u[iv] = uj;
    const p = parents[j];
    if (p === 0) continue;
    // parent += Ia - U U^T / D ; pA_parent += pA + Ia c + U (u - U.c) / D
    const invD = 1 / Dj;
    const c0 = oc[o], c1 = oc[o + 1], c2 = oc[o + 2], c3 = oc[o + 3], c4 = oc[o + 4], c5 = oc[o + 5];
    const Uc = U[so] * c0 + U[so + 1] * c1 + U[so + 2] * c2 + U[so + 3] * c3 + U[so + 4] * c4 + U[so + 5] * c5;
    const k = (uj - Uc) * invD;
    const po = 36 * p;
    for (let r = 0; r < 6; r++) {
      const b = io + 6 * r, pb = po + 6 * r;
      const ur = U[so + r];
      const urD = ur * invD;
      pA[6 * p + r] += pA[o + r] + Ia[b] * c0 + Ia[b + 1] * c1 + Ia[b + 2] * c2 + Ia[b + 3] * c3 + Ia[b + 4] * c4 + Ia[b + 5] * c5 + ur * k;
      for (let s = 0; s < 6; s++) Ia[pb + s] += Ia[b + s] - urD * U[so + s];
    }
  }

  // Pass 3: accelerations, root to leaves. The universe accelerates upward at -g.
  oa[0] = -model.gravity[0]; oa[1] = -model.gravity[1]; oa[2] = -model.gravity[2];
  oa[3] = 0; oa[4] = 0; oa[5] = 0;
  for (let j = 1; j < nj; j++) {
    const o = 6 * j, io = 36 * j, mo = 12 * j;
    const p = parents[j];
    const iv = model.idxV[j];
    if (types[j] === JOINT_FREE) {
      // Ia oa = f_tau - pA with f_tau the body-frame generalized force moved to the world;
      // then ddq = body-frame acceleration relative to the (gravity-shifted) universe.
      for (let k = 0; k < 6; k++) t6[k] = tau[iv + k];
      forceAct(O, mo, t6, 0, oa, o);
      for (let k = 0; k < 6; k++) oa[o + k] -= pA[o + k];
      for (let k = 0; k < 36; k++) t36[k] = Ia[io + k];
      if (!choleskyInPlace(t36, 6, 0)) throw new Error(`aba: articulated inertia of joint '${model.jointNames[j]}' is not positive definite`);
      choleskySolveInPlace(t36, 6, oa, 0, o);
      for (let k = 0; k < 6; k++) t6[k] = oa[o + k] - oa[6 * p + k];
      motionActInv(O, mo, t6, 0, ddq, iv);
      continue;
    }
    const so = 6 * iv;
    for (let k = 0; k < 6; k++) oa[o + k] = oa[6 * p + k] + oc[o + k];
    const x = (u[iv] - (U[so] * oa[o] + U[so + 1] * oa[o + 1] + U[so + 2] * oa[o + 2]
      + U[so + 3] * oa[o + 3] + U[so + 4] * oa[o + 4] + U[so + 5] * oa[o + 5])) / D[iv];
    ddq[iv] = x;
    for (let k = 0; k < 6; k++) oa[o + k] += oS[so + k] * x;
  }
  return ddq;
}
