import type { Model } from '../model/model.ts';
import { JOINT_TYPES, S_FULL, S_LINEAR_AXIS } from '../model/joints/index.ts';
import { projectForce } from '../model/joints/subspace.ts';
import { forceActAdd, inertiaMulMotion, motionActInv, motionCrossForce } from '../model/spatial.ts';
import { compiledKernelsEnabled } from './compiled/emit.ts';
import { rneaKernel } from './compiled/rnea-kernel.ts';
import type { Data } from './data.ts';
import { addJointMotion, addMotionCross, jointMotion, jointTransform } from './kinematics.ts';

/**
 * Recursive Newton-Euler: tau = M(q) a + C(q, v) v + g(q), written to data.tau (and returned).
 * Gravity enters as an upward acceleration of the universe, a_0 = -g. `a` null means zero.
 */
export function rnea(model: Model, data: Data, q: ArrayLike<number>, v: ArrayLike<number>, a: ArrayLike<number> | null): Float64Array {
  for (let j = 1; j < model.njoints; j++) jointTransform(model, data, j, q);
  return rneaFromPlacements(model, data, v, a);
}

/**
 * RNEA from the joint placements already in data.liMi (after forward kinematics at q).
 *
 * Precondition: data.liMi as written by jointTransform / forwardKinematics (kinematics.ts; the
 * generated forward kinematics writes the same values). The generated kernels take what
 * jointTransform writes for the revolute joints on its fast path (data.jointPath 0/1/2) as
 * known: of such a placement they read one cos and one sin entry only, and take the rotation's
 * 0 and 1 entries as constants, the other cos entry as the same value, the -sin entry as the
 * negation of the sin one and the translation as the joint placement's; see
 * compiled/rnea-kernel.ts and placementLayout in compiled/crba-kernel.ts. A liMi written any
 * other way gives wrong results without warning (rneaFromPlacementsGeneric reads every entry).
 *
 * affected (optional, per joint): data holds a previous call's results for the same v and a,
 * and since then only placements of joints whose subtrees are marked, together with all their
 * ancestors, changed. Unmarked joints keep their velocities, accelerations, accumulated
 * forces and torques; marked ones are redone with the same operations in the same order (bit
 * for bit a full pass).
 *
 * Runs the model's generated kernel (compiled/rnea-kernel.ts, equal to
 * rneaFromPlacementsGeneric's results) when there is one and kernels are enabled.
 */
export function rneaFromPlacements(model: Model, data: Data, v: ArrayLike<number>, a: ArrayLike<number> | null, affected?: Uint8Array): Float64Array {
  const k = compiledKernelsEnabled() ? rneaKernel(model, !!a) : null;
  if (k === null) return rneaFromPlacementsGeneric(model, data, v, a, affected);
  k(data.liMi, data.v, data.a, data.f, data.Ybody, data.tau, model.gravity, v, a, affected);
  return data.tau;
}

/** RNEA from placements by the generic loops over the joints (the reference; see rneaFromPlacements). */
export function rneaFromPlacementsGeneric(model: Model, data: Data, v: ArrayLike<number>, a: ArrayLike<number> | null, affected?: Uint8Array): Float64Array {
  const nj = model.njoints;
  const parents = model.parents;
  const V = data.v, A = data.a, F = data.f, Y = data.Ybody, L = data.liMi;
  const vJ = data.tmp6;
  A[0] = -model.gravity[0]; A[1] = -model.gravity[1]; A[2] = -model.gravity[2];
  A[3] = 0; A[4] = 0; A[5] = 0;
  for (let j = 1; j < nj; j++) {
    if (affected && !affected[j]) continue;
    const p = parents[j];
    const o = 6 * j;
    if (JOINT_TYPES[model.jointTypes[j]].subspace === S_FULL) {
      motionActInv(L, 12 * j, V, 6 * p, V, o);
      jointMotion(model, j, v, vJ, 0);
      for (let k = 0; k < 6; k++) V[o + k] += vJ[k];
      motionActInv(L, 12 * j, A, 6 * p, A, o);
      if (a) addJointMotion(model, j, a, A, o);
      addMotionCross(V, o, vJ, 0, A, o);
      inertiaMulMotion(Y, 10 * j, V, o, vJ, 0);
      motionCrossForce(V, o, vJ, 0, F, o);
      inertiaMulMotion(Y, 10 * j, A, o, vJ, 0);
      for (let k = 0; k < 6; k++) F[o + k] += vJ[k];
      continue;
    }
    oneDofForward(model, j, p, L, V, A, Y, F, v, a);
  }
  const tau = data.tau;
  for (let j = nj - 1; j >= 1; j--) {
    const o = 6 * j;
    const p = parents[j];
    if (affected && !affected[j]) {
      // its force is the accumulated one of the previous call; a redone parent still collects it
      if (p > 0 && affected[p]) forceActAdd(L, 12 * j, F, o, F, 6 * p);
      continue;
    }
    projectForce(model, j, F, o, tau);
    if (p > 0) forceActAdd(L, 12 * j, F, o, F, 6 * p);
  }
  return tau;
}

// Sᵀ f of a joint, by its motion-subspace class (server/model/joints/subspace.ts)
export { projectForce };

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

/**
 * RNEA forward step of a 1-dof joint (S one axis, linear or angular), fused into local variables (the hot path):
 * v = X v_p + S qd ; a = X a_p + S qdd + v x (S qd) ; f = Y a + v x* (Y v).
 */
function oneDofForward(
  model: Model, j: number, p: number, L: Float64Array, V: Float64Array, A: Float64Array, Y: Float64Array,
  F: Float64Array, qd: ArrayLike<number>, qdd: ArrayLike<number> | null,
): void {
  const mo = 12 * j, o = 6 * j, po = 6 * p;
  const r0 = L[mo], r1 = L[mo + 1], r2 = L[mo + 2], r3 = L[mo + 3], r4 = L[mo + 4], r5 = L[mo + 5];
  const r6 = L[mo + 6], r7 = L[mo + 7], r8 = L[mo + 8];
  const px = L[mo + 9], py = L[mo + 10], pz = L[mo + 11];
  const iv = model.idxV[j];
  const x = qd[iv], xa = qdd ? qdd[iv] : 0;
  const ax = model.axes[3 * j], ay = model.axes[3 * j + 1], az = model.axes[3 * j + 2];
  const prismatic = JOINT_TYPES[model.jointTypes[j]].subspace === S_LINEAR_AXIS;
  // joint velocity vJ = S qd
  const jlx = prismatic ? ax * x : 0, jly = prismatic ? ay * x : 0, jlz = prismatic ? az * x : 0;
  const jwx = prismatic ? 0 : ax * x, jwy = prismatic ? 0 : ay * x, jwz = prismatic ? 0 : az * x;
  // v = R^T (v_p - p x w_p) + vJ, w = R^T w_p + wJ
  let ux = V[po + 3], uy = V[po + 4], uz = V[po + 5];
  let lx = V[po] - (py * uz - pz * uy), ly = V[po + 1] - (pz * ux - px * uz), lz = V[po + 2] - (px * uy - py * ux);
  const vx = r0 * lx + r3 * ly + r6 * lz + jlx, vy = r1 * lx + r4 * ly + r7 * lz + jly, vz = r2 * lx + r5 * ly + r8 * lz + jlz;
  const wx = r0 * ux + r3 * uy + r6 * uz + jwx, wy = r1 * ux + r4 * uy + r7 * uz + jwy, wz = r2 * ux + r5 * uy + r8 * uz + jwz;
  // a = R^T (a_p - p x alpha_p) + S qdd + v x vJ
  ux = A[po + 3]; uy = A[po + 4]; uz = A[po + 5];
  lx = A[po] - (py * uz - pz * uy); ly = A[po + 1] - (pz * ux - px * uz); lz = A[po + 2] - (px * uy - py * ux);
  const cax = prismatic ? ax * xa : 0, cay = prismatic ? ay * xa : 0, caz = prismatic ? az * xa : 0;
  const cwx = prismatic ? 0 : ax * xa, cwy = prismatic ? 0 : ay * xa, cwz = prismatic ? 0 : az * xa;
  const alx = r0 * lx + r3 * ly + r6 * lz + cax + (wy * jlz - wz * jly) + (vy * jwz - vz * jwy);
  const aly = r1 * lx + r4 * ly + r7 * lz + cay + (wz * jlx - wx * jlz) + (vz * jwx - vx * jwz);
  const alz = r2 * lx + r5 * ly + r8 * lz + caz + (wx * jly - wy * jlx) + (vx * jwy - vy * jwx);
  const aax = r0 * ux + r3 * uy + r6 * uz + cwx + (wy * jwz - wz * jwy);
  const aay = r1 * ux + r4 * uy + r7 * uz + cwy + (wz * jwx - wx * jwz);
  const aaz = r2 * ux + r5 * uy + r8 * uz + cwz + (wx * jwy - wy * jwx);
  V[o] = vx; V[o + 1] = vy; V[o + 2] = vz; V[o + 3] = wx; V[o + 4] = wy; V[o + 5] = wz;
  A[o] = alx; A[o + 1] = aly; A[o + 2] = alz; A[o + 3] = aax; A[o + 4] = aay; A[o + 5] = aaz;
  // f = Y a + v x* (Y v), Y in origin form [m, h, I]
  const yo = 10 * j;
  const m = Y[yo], hx = Y[yo + 1], hy = Y[yo + 2], hz = Y[yo + 3];
  const Ixx = Y[yo + 4], Iyy = Y[yo + 5], Izz = Y[yo + 6], Ixy = Y[yo + 7], Ixz = Y[yo + 8], Iyz = Y[yo + 9];
  const hvx = m * vx - (hy * wz - hz * wy), hvy = m * vy - (hz * wx - hx * wz), hvz = m * vz - (hx * wy - hy * wx);
  const hwx = hy * vz - hz * vy + Ixx * wx + Ixy * wy + Ixz * wz;
  const hwy = hz * vx - hx * vz + Ixy * wx + Iyy * wy + Iyz * wz;
  const hwz = hx * vy - hy * vx + Ixz * wx + Iyz * wy + Izz * wz;
  F[o] = m * alx - (hy * aaz - hz * aay) + (wy * hvz - wz * hvy);
  F[o + 1] = m * aly - (hz * aax - hx * aaz) + (wz * hvx - wx * hvz);
  F[o + 2] = m * alz - (hx * aay - hy * aax) + (wx * hvy - wy * hvx);
  F[o + 3] = hy * alz - hz * aly + Ixx * aax + Ixy * aay + Ixz * aaz + (wy * hwz - wz * hwy + vy * hvz - vz * hvy);
  F[o + 4] = hz * alx - hx * alz + Ixy * aax + Iyy * aay + Iyz * aaz + (wz * hwx - wx * hwz + vz * hvx - vx * hvz);
  F[o + 5] = hx * aly - hy * alx + Ixz * aax + Iyz * aay + Izz * aaz + (wx * hwy - wy * hwx + vx * hvy - vy * hvx);
}
