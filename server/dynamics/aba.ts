import type { Model } from '../model/model.ts';
import { JOINT_TYPES, S_FULL, S_LINEAR_AXIS } from '../model/joints/index.ts';
import { forceAct, motionAct, motionActInv, se3Mul } from '../model/spatial.ts';
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
  const t6 = data.tmp6, t36 = data.tmp36;

  // Pass 1: placements, world velocities, motion-subspace columns, bias terms, inertias.
  for (let j = 1; j < nj; j++) {
    const p = parents[j];
    const o = 6 * j, mo = 12 * j;
    jointTransform(model, data, j, q);
    se3Mul(O, 12 * p, data.liMi, mo, O, mo);
    const iv = model.idxV[j];
    if (JOINT_TYPES[types[j]].subspace === S_FULL) {
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
      if (JOINT_TYPES[types[j]].subspace === S_LINEAR_AXIS) {
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
    // World inertia (origin form, see spatial.ts) written straight into the upper triangle of
    // the 6x6 articulated inertia, and the bias force v x* (Y v).
    worldInertiaToAba(O, mo, data.Ybody, 10 * j, Ia, 36 * j, ov, o, pA, o);
    if (fext) {
      forceAct(O, mo, fext, o, t6, 0);
      for (let k = 0; k < 6; k++) pA[o + k] -= t6[k];
    }
  }

  // Pass 2: articulated inertias and bias forces, leaves to root. Ia is symmetric: only its
  // upper triangle is read and updated (unrolled by hand: this is the hottest loop).
  for (let j = nj - 1; j >= 1; j--) {
    if (JOINT_TYPES[types[j]].subspace === S_FULL) continue;
    const o = 6 * j, io = 36 * j;
    const iv = model.idxV[j];
    const so = 6 * iv;
    const s0 = oS[so], s1 = oS[so + 1], s2 = oS[so + 2], s3 = oS[so + 3], s4 = oS[so + 4], s5 = oS[so + 5];
    const b = io;
    const a00 = Ia[b + 0];
    const a01 = Ia[b + 1];
    const a02 = Ia[b + 2];
    const a03 = Ia[b + 3];
    const a04 = Ia[b + 4];
    const a05 = Ia[b + 5];
    const a11 = Ia[b + 7];
    const a12 = Ia[b + 8];
    const a13 = Ia[b + 9];
    const a14 = Ia[b + 10];
    const a15 = Ia[b + 11];
    const a22 = Ia[b + 14];
    const a23 = Ia[b + 15];
    const a24 = Ia[b + 16];
    const a25 = Ia[b + 17];
    const a33 = Ia[b + 21];
    const a34 = Ia[b + 22];
    const a35 = Ia[b + 23];
    const a44 = Ia[b + 28];
    const a45 = Ia[b + 29];
    const a55 = Ia[b + 35];
    const U0 = a00 * s0 + a01 * s1 + a02 * s2 + a03 * s3 + a04 * s4 + a05 * s5;
    const U1 = a01 * s0 + a11 * s1 + a12 * s2 + a13 * s3 + a14 * s4 + a15 * s5;
    const U2 = a02 * s0 + a12 * s1 + a22 * s2 + a23 * s3 + a24 * s4 + a25 * s5;
    const U3 = a03 * s0 + a13 * s1 + a23 * s2 + a33 * s3 + a34 * s4 + a35 * s5;
    const U4 = a04 * s0 + a14 * s1 + a24 * s2 + a34 * s3 + a44 * s4 + a45 * s5;
    const U5 = a05 * s0 + a15 * s1 + a25 * s2 + a35 * s3 + a45 * s4 + a55 * s5;
    U[so] = U0; U[so + 1] = U1; U[so + 2] = U2; U[so + 3] = U3; U[so + 4] = U4; U[so + 5] = U5;
    const Dj = U0 * s0 + U1 * s1 + U2 * s2 + U3 * s3 + U4 * s4 + U5 * s5;
    D[iv] = Dj;
    const uj = tau[iv] - (pA[o] * s0 + pA[o + 1] * s1 + pA[o + 2] * s2 + pA[o + 3] * s3 + pA[o + 4] * s4 + pA[o + 5] * s5);
    u[iv] = uj;
    const p = parents[j];
    if (p === 0) continue;
    // parent += Ia - U U^T / D ; pA_parent += pA + Ia c + U (u - U.c) / D
    const invD = 1 / Dj;
    const c0 = oc[o], c1 = oc[o + 1], c2 = oc[o + 2], c3 = oc[o + 3], c4 = oc[o + 4], c5 = oc[o + 5];
    const Uc = U0 * c0 + U1 * c1 + U2 * c2 + U3 * c3 + U4 * c4 + U5 * c5;
    const k = (uj - Uc) * invD;
    const po = 36 * p, pp = 6 * p;
    const W0 = U0 * invD, W1 = U1 * invD, W2 = U2 * invD, W3 = U3 * invD, W4 = U4 * invD, W5 = U5 * invD;
    pA[pp + 0] += pA[o + 0] + a00 * c0 + a01 * c1 + a02 * c2 + a03 * c3 + a04 * c4 + a05 * c5 + U0 * k;
    pA[pp + 1] += pA[o + 1] + a01 * c0 + a11 * c1 + a12 * c2 + a13 * c3 + a14 * c4 + a15 * c5 + U1 * k;
    pA[pp + 2] += pA[o + 2] + a02 * c0 + a12 * c1 + a22 * c2 + a23 * c3 + a24 * c4 + a25 * c5 + U2 * k;
    pA[pp + 3] += pA[o + 3] + a03 * c0 + a13 * c1 + a23 * c2 + a33 * c3 + a34 * c4 + a35 * c5 + U3 * k;
    pA[pp + 4] += pA[o + 4] + a04 * c0 + a14 * c1 + a24 * c2 + a34 * c3 + a44 * c4 + a45 * c5 + U4 * k;
    pA[pp + 5] += pA[o + 5] + a05 * c0 + a15 * c1 + a25 * c2 + a35 * c3 + a45 * c4 + a55 * c5 + U5 * k;
    Ia[po + 0] += a00 - W0 * U0;
    Ia[po + 1] += a01 - W0 * U1;
    Ia[po + 2] += a02 - W0 * U2;
    Ia[po + 3] += a03 - W0 * U3;
    Ia[po + 4] += a04 - W0 * U4;
    Ia[po + 5] += a05 - W0 * U5;
    Ia[po + 7] += a11 - W1 * U1;
    Ia[po + 8] += a12 - W1 * U2;
    Ia[po + 9] += a13 - W1 * U3;
    Ia[po + 10] += a14 - W1 * U4;
    Ia[po + 11] += a15 - W1 * U5;
    Ia[po + 14] += a22 - W2 * U2;
    Ia[po + 15] += a23 - W2 * U3;
    Ia[po + 16] += a24 - W2 * U4;
    Ia[po + 17] += a25 - W2 * U5;
    Ia[po + 21] += a33 - W3 * U3;
    Ia[po + 22] += a34 - W3 * U4;
    Ia[po + 23] += a35 - W3 * U5;
    Ia[po + 28] += a44 - W4 * U4;
    Ia[po + 29] += a45 - W4 * U5;
    Ia[po + 35] += a55 - W5 * U5;
  }

  // Pass 3: accelerations, root to leaves. The universe accelerates upward at -g.
  oa[0] = -model.gravity[0]; oa[1] = -model.gravity[1]; oa[2] = -model.gravity[2];
  oa[3] = 0; oa[4] = 0; oa[5] = 0;
  for (let j = 1; j < nj; j++) {
    const o = 6 * j, io = 36 * j, mo = 12 * j;
    const p = parents[j];
    const iv = model.idxV[j];
    if (JOINT_TYPES[types[j]].subspace === S_FULL) {
      // Ia oa = f_tau - pA with f_tau the body-frame generalized force moved to the world;
      // then ddq = body-frame acceleration relative to the (gravity-shifted) universe.
      for (let k = 0; k < 6; k++) t6[k] = tau[iv + k];
      forceAct(O, mo, t6, 0, oa, o);
      for (let k = 0; k < 6; k++) oa[o + k] -= pA[o + k];
      // only the upper triangle of Ia is maintained: mirror it for the lower-triangle Cholesky
      for (let r = 0; r < 6; r++) for (let s = r; s < 6; s++) { const x = Ia[io + 6 * r + s]; t36[6 * r + s] = x; t36[6 * s + r] = x; }
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

/**
 * Y' = M act Y (origin form, spatial.ts inertiaActAdd), written as the upper triangle of its
 * 6x6 matrix at Ia[io..], and the bias force pA = v x* (Y' v) for the world velocity at ov[vo..].
 */
function worldInertiaToAba(
  M: Float64Array, mo: number, Y: Float64Array, yo: number, Ia: Float64Array, io: number,
  ov: Float64Array, vo: number, pA: Float64Array, fo: number,
): void {
  const m = Y[yo];
  const hx = Y[yo + 1], hy = Y[yo + 2], hz = Y[yo + 3];
  const Ixx = Y[yo + 4], Iyy = Y[yo + 5], Izz = Y[yo + 6], Ixy = Y[yo + 7], Ixz = Y[yo + 8], Iyz = Y[yo + 9];
  const r0 = M[mo], r1 = M[mo + 1], r2 = M[mo + 2], r3 = M[mo + 3], r4 = M[mo + 4], r5 = M[mo + 5];
  const r6 = M[mo + 6], r7 = M[mo + 7], r8 = M[mo + 8];
  const px = M[mo + 9], py = M[mo + 10], pz = M[mo + 11];
  const kx = r0 * hx + r1 * hy + r2 * hz, ky = r3 * hx + r4 * hy + r5 * hz, kz = r6 * hx + r7 * hy + r8 * hz;
  const t00 = r0 * Ixx + r1 * Ixy + r2 * Ixz, t01 = r0 * Ixy + r1 * Iyy + r2 * Iyz, t02 = r0 * Ixz + r1 * Iyz + r2 * Izz;
  const t10 = r3 * Ixx + r4 * Ixy + r5 * Ixz, t11 = r3 * Ixy + r4 * Iyy + r5 * Iyz, t12 = r3 * Ixz + r4 * Iyz + r5 * Izz;
  const t20 = r6 * Ixx + r7 * Ixy + r8 * Ixz, t21 = r6 * Ixy + r7 * Iyy + r8 * Iyz, t22 = r6 * Ixz + r7 * Iyz + r8 * Izz;
  const kp = kx * px + ky * py + kz * pz;
  const diag = 2 * kp + m * (px * px + py * py + pz * pz);
  const Hx = kx + m * px, Hy = ky + m * py, Hz = kz + m * pz;
  const Jxx = t00 * r0 + t01 * r1 + t02 * r2 - 2 * px * kx - m * px * px + diag;
  const Jyy = t10 * r3 + t11 * r4 + t12 * r5 - 2 * py * ky - m * py * py + diag;
  const Jzz = t20 * r6 + t21 * r7 + t22 * r8 - 2 * pz * kz - m * pz * pz + diag;
  const Jxy = t00 * r3 + t01 * r4 + t02 * r5 - (px * ky + kx * py) - m * px * py;
  const Jxz = t00 * r6 + t01 * r7 + t02 * r8 - (px * kz + kx * pz) - m * px * pz;
  const Jyz = t10 * r6 + t11 * r7 + t12 * r8 - (py * kz + ky * pz) - m * py * pz;
  // rows f: [m I, -[H]x] ; rows n: [[H]x, J] (upper triangle only)
  Ia[io] = m; Ia[io + 1] = 0; Ia[io + 2] = 0; Ia[io + 3] = 0; Ia[io + 4] = Hz; Ia[io + 5] = -Hy;
  Ia[io + 7] = m; Ia[io + 8] = 0; Ia[io + 9] = -Hz; Ia[io + 10] = 0; Ia[io + 11] = Hx;
  Ia[io + 14] = m; Ia[io + 15] = Hy; Ia[io + 16] = -Hx; Ia[io + 17] = 0;
  Ia[io + 21] = Jxx; Ia[io + 22] = Jxy; Ia[io + 23] = Jxz;
  Ia[io + 28] = Jyy; Ia[io + 29] = Jyz;
  Ia[io + 35] = Jzz;
  // h = Y' v = [m v - H x w ; H x v + J w], then pA = v x* h = [w x f ; w x n + v x f]
  const vx = ov[vo], vy = ov[vo + 1], vz = ov[vo + 2], wx = ov[vo + 3], wy = ov[vo + 4], wz = ov[vo + 5];
  const fx = m * vx - (Hy * wz - Hz * wy), fy = m * vy - (Hz * wx - Hx * wz), fz = m * vz - (Hx * wy - Hy * wx);
  const nx = Hy * vz - Hz * vy + Jxx * wx + Jxy * wy + Jxz * wz;
  const ny = Hz * vx - Hx * vz + Jxy * wx + Jyy * wy + Jyz * wz;
  const nz = Hx * vy - Hy * vx + Jxz * wx + Jyz * wy + Jzz * wz;
  pA[fo] = wy * fz - wz * fy;
  pA[fo + 1] = wz * fx - wx * fz;
  pA[fo + 2] = wx * fy - wy * fx;
  pA[fo + 3] = wy * nz - wz * ny + vy * fz - vz * fy;
  pA[fo + 4] = wz * nx - wx * nz + vz * fx - vx * fz;
  pA[fo + 5] = wx * ny - wy * nx + vx * fy - vy * fx;
}
