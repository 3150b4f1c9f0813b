import { JOINT_FREE, JOINT_PRISMATIC, type Model } from '../model/model.ts';
import { motionActInv, motionAct, se3Mul } from '../model/spatial.ts';
import { compiledKernelsEnabled } from './compiled/emit.ts';
import { fkKernel } from './compiled/kinematics-kernel.ts';
import type { Data } from './data.ts';

/**
 * Writes data.liMi for joint j: the joint frame in its parent joint frame at configuration q
 * (the constant joint placement composed with the joint's own motion).
 * Revolute: rotation of q about the axis; prismatic: translation q along the axis;
 * free-flyer: [R(quaternion), position].
 */
export function jointTransform(model: Model, data: Data, j: number, q: ArrayLike<number>): void {
  const P = model.jointPlacements;
  const po = 12 * j;
  const out = data.liMi;
  const type = model.jointTypes[j];
  const iq = model.idxQ[j];
  if (type === JOINT_FREE) {
    // rotation of the unit quaternion, written inline: passing the four doubles to a helper
    // that V8 does not inline boxes them (an allocation per call in the hot path)
    const t = data.tmp36;
    const x = q[iq + 3], y = q[iq + 4], z = q[iq + 5], w = q[iq + 6];
    const xx = x * x, yy = y * y, zz = z * z, xy = x * y, xz = x * z, yz = y * z, wx = w * x, wy = w * y, wz = w * z;
    t[0] = 1 - 2 * (yy + zz); t[1] = 2 * (xy - wz); t[2] = 2 * (xz + wy);
    t[3] = 2 * (xy + wz); t[4] = 1 - 2 * (xx + zz); t[5] = 2 * (yz - wx);
    t[6] = 2 * (xz - wy); t[7] = 2 * (yz + wx); t[8] = 1 - 2 * (xx + yy);
    t[9] = q[iq]; t[10] = q[iq + 1]; t[11] = q[iq + 2];
    se3Mul(P, po, t, 0, out, po);
    return;
  }
  const ax = model.axes[3 * j], ay = model.axes[3 * j + 1], az = model.axes[3 * j + 2];
  const r0 = P[po], r1 = P[po + 1], r2 = P[po + 2], r3 = P[po + 3], r4 = P[po + 4], r5 = P[po + 5];
  const r6 = P[po + 6], r7 = P[po + 7], r8 = P[po + 8];
  const qj = q[iq];
  if (type === JOINT_PRISMATIC) {
    out[po] = r0; out[po + 1] = r1; out[po + 2] = r2; out[po + 3] = r3; out[po + 4] = r4;
    out[po + 5] = r5; out[po + 6] = r6; out[po + 7] = r7; out[po + 8] = r8;
    out[po + 9] = P[po + 9] + qj * (r0 * ax + r1 * ay + r2 * az);
    out[po + 10] = P[po + 10] + qj * (r3 * ax + r4 * ay + r5 * az);
    out[po + 11] = P[po + 11] + qj * (r6 * ax + r7 * ay + r8 * az);
    return;
  }
  const c = Math.cos(qj), s = Math.sin(qj);
  const path = data.jointPath[j];
  if (path !== 3) {
    // identity placement rotation and a principal axis: R = Rot_axis(q)
    out[po + 9] = P[po + 9]; out[po + 10] = P[po + 10]; out[po + 11] = P[po + 11];
    if (path === 0) {
      out[po] = 1; out[po + 1] = 0; out[po + 2] = 0;
      out[po + 3] = 0; out[po + 4] = c; out[po + 5] = -s;
      out[po + 6] = 0; out[po + 7] = s; out[po + 8] = c;
    } else if (path === 1) {
      out[po] = c; out[po + 1] = 0; out[po + 2] = s;
      out[po + 3] = 0; out[po + 4] = 1; out[po + 5] = 0;
      out[po + 6] = -s; out[po + 7] = 0; out[po + 8] = c;
    } else {
      out[po] = c; out[po + 1] = -s; out[po + 2] = 0;
      out[po + 3] = s; out[po + 4] = c; out[po + 5] = 0;
      out[po + 6] = 0; out[po + 7] = 0; out[po + 8] = 1;
    }
    return;
  }
  // revolute, general: R = R_P * Rot(axis, q) with Rodrigues' formula
  const t = 1 - c;
  const m00 = c + ax * ax * t, m01 = ax * ay * t - az * s, m02 = ax * az * t + ay * s;
  const m10 = ay * ax * t + az * s, m11 = c + ay * ay * t, m12 = ay * az * t - ax * s;
  const m20 = az * ax * t - ay * s, m21 = az * ay * t + ax * s, m22 = c + az * az * t;
  out[po] = r0 * m00 + r1 * m10 + r2 * m20;
  out[po + 1] = r0 * m01 + r1 * m11 + r2 * m21;
  out[po + 2] = r0 * m02 + r1 * m12 + r2 * m22;
  out[po + 3] = r3 * m00 + r4 * m10 + r5 * m20;
  out[po + 4] = r3 * m01 + r4 * m11 + r5 * m21;
  out[po + 5] = r3 * m02 + r4 * m12 + r5 * m22;
  out[po + 6] = r6 * m00 + r7 * m10 + r8 * m20;
  out[po + 7] = r6 * m01 + r7 * m11 + r8 * m21;
  out[po + 8] = r6 * m02 + r7 * m12 + r8 * m22;
  out[po + 9] = P[po + 9]; out[po + 10] = P[po + 10]; out[po + 11] = P[po + 11];
}

/** Writes the joint's own velocity S qd of joint j at out[oo..oo+6] (joint frame). */
export function jointMotion(model: Model, j: number, qd: ArrayLike<number>, out: Float64Array, oo: number): void {
  const iv = model.idxV[j];
  const type = model.jointTypes[j];
  if (type === JOINT_FREE) {
    for (let k = 0; k < 6; k++) out[oo + k] = qd[iv + k];
    return;
  }
  const x = qd[iv];
  const ax = model.axes[3 * j] * x, ay = model.axes[3 * j + 1] * x, az = model.axes[3 * j + 2] * x;
  if (type === JOINT_PRISMATIC) {
    out[oo] = ax; out[oo + 1] = ay; out[oo + 2] = az; out[oo + 3] = 0; out[oo + 4] = 0; out[oo + 5] = 0;
  } else {
    out[oo] = 0; out[oo + 1] = 0; out[oo + 2] = 0; out[oo + 3] = ax; out[oo + 4] = ay; out[oo + 5] = az;
  }
}

/**
 * Adds the joint's own velocity S(q) qd of joint j to the motion at out[oo..oo+6] (joint frame).
 * Revolute S = [0; axis], prismatic S = [axis; 0], free-flyer S = identity.
 */
export function addJointMotion(model: Model, j: number, qd: ArrayLike<number>, out: Float64Array, oo: number): void {
  const iv = model.idxV[j];
  const type = model.jointTypes[j];
  if (type === JOINT_FREE) {
    for (let k = 0; k < 6; k++) out[oo + k] += qd[iv + k];
    return;
  }
  const x = qd[iv];
  const off = type === JOINT_PRISMATIC ? 0 : 3;
  out[oo + off] += model.axes[3 * j] * x;
  out[oo + off + 1] += model.axes[3 * j + 1] * x;
  out[oo + off + 2] += model.axes[3 * j + 2] * x;
}

/**
 * Forward kinematics: data.liMi and data.oMi for every joint; with v, the body spatial
 * velocities data.v; with a as well, the body spatial accelerations data.a (no gravity),
 * all in the joint frames.
 *
 * from/to (inclusive joint range): only those joints are recomputed, the others keep what
 * data holds. Valid when q (and v, a) changed only on joints in the range and the range is
 * closed under descendants (joints are in depth-first order: a subtree is a range).
 *
 * Without a, runs the model's generated kernel (compiled/kinematics-kernel.ts, equal to
 * forwardKinematicsGeneric's results) when there is one and kernels are enabled; otherwise
 * the generic loop.
 */
export function forwardKinematics(
  model: Model, data: Data, q: ArrayLike<number>, v?: ArrayLike<number>, a?: ArrayLike<number>,
  from = 1, to = model.njoints - 1,
): void {
  // (with v and a the generic loop runs; a joint range past the tree is left to it as well)
  if ((!v || !a) && from >= 1 && to < model.njoints && compiledKernelsEnabled()) {
    const k = fkKernel(model, !!v);
    if (k !== null) { k(data.liMi, data.oMi, data.v, q, v, from, to); return; }
  }
  forwardKinematicsGeneric(model, data, q, v, a, from, to);
}

/** Forward kinematics by the generic loop over the joints (the reference; see forwardKinematics). */
export function forwardKinematicsGeneric(
  model: Model, data: Data, q: ArrayLike<number>, v?: ArrayLike<number>, a?: ArrayLike<number>,
  from = 1, to = model.njoints - 1,
): void {
  const parents = model.parents;
  const t6 = data.tmp6;
  for (let j = from; j <= to; j++) {
    const p = parents[j];
    jointTransform(model, data, j, q);
    se3Mul(data.oMi, 12 * p, data.liMi, 12 * j, data.oMi, 12 * j);
    if (!v) continue;
    motionActInv(data.liMi, 12 * j, data.v, 6 * p, data.v, 6 * j);
    // vJ (joint velocity alone) in t6, then v_j += vJ
    jointMotion(model, j, v, t6, 0);
    for (let k = 0; k < 6; k++) data.v[6 * j + k] += t6[k];
    if (!a) continue;
    if (p === 0) { for (let k = 0; k < 6; k++) data.a[6 * j + k] = 0; } else motionActInv(data.liMi, 12 * j, data.a, 6 * p, data.a, 6 * j);
    addJointMotion(model, j, a, data.a, 6 * j);
    // + v_j x vJ
    addMotionCross(data.v, 6 * j, t6, 0, data.a, 6 * j);
  }
}

/** out += m1 x m2 (motion cross product [w1 x v2 + v1 x w2 ; w1 x w2]). */
export function addMotionCross(m1: Float64Array, o1: number, m2: Float64Array, o2: number, out: Float64Array, oo: number): void {
  const v1x = m1[o1], v1y = m1[o1 + 1], v1z = m1[o1 + 2], w1x = m1[o1 + 3], w1y = m1[o1 + 4], w1z = m1[o1 + 5];
  const v2x = m2[o2], v2y = m2[o2 + 1], v2z = m2[o2 + 2], w2x = m2[o2 + 3], w2y = m2[o2 + 4], w2z = m2[o2 + 5];
  out[oo] += w1y * v2z - w1z * v2y + v1y * w2z - v1z * w2y;
  out[oo + 1] += w1z * v2x - w1x * v2z + v1z * w2x - v1x * w2z;
  out[oo + 2] += w1x * v2y - w1y * v2x + v1x * w2y - v1y * w2x;
  out[oo + 3] += w1y * w2z - w1z * w2y;
  out[oo + 4] += w1z * w2x - w1x * w2z;
  out[oo + 5] += w1x * w2y - w1y * w2x;
}

/** data.oMf for every frame (after forwardKinematics). */
export function updateFramePlacements(model: Model, data: Data): void {
  const frames = model.frames;
  for (let f = 0; f < frames.length; f++) {
    const fr = frames[f];
    se3Mul(data.oMi, 12 * fr.parentJoint, fr.placement, 0, data.oMf, 12 * f);
  }
}

/** World placement of one frame (after forwardKinematics), written to data.oMf and returned as a view. */
export function updateFramePlacement(model: Model, data: Data, frameId: number): Float64Array {
  const fr = model.frames[frameId];
  se3Mul(data.oMi, 12 * fr.parentJoint, fr.placement, 0, data.oMf, 12 * frameId);
  return data.oMf.subarray(12 * frameId, 12 * frameId + 12);
}

export type ReferenceFrame = 'local' | 'world' | 'local_world_aligned';

/**
 * Spatial velocity of a frame (after forwardKinematics with v): 'local' in the frame itself,
 * 'local_world_aligned' at the frame origin with world axes, 'world' at the world origin.
 */
export function frameVelocity(model: Model, data: Data, frameId: number, ref: ReferenceFrame, out: Float64Array, oo = 0): void {
  const fr = model.frames[frameId];
  const j = fr.parentJoint;
  if (ref === 'local') {
    motionActInv(fr.placement, 0, data.v, 6 * j, out, oo);
    return;
  }
  // world: act with oMi
  motionAct(data.oMi, 12 * j, data.v, 6 * j, out, oo);
  if (ref === 'world') return;
  updateFramePlacement(model, data, frameId);
  shiftToPointWorld(data.oMf, 12 * frameId, out, oo);
}

/** Turns a world motion (at the world origin) into one at the origin of placement oMf: v += w x p. */
export function shiftToPointWorld(oMf: Float64Array, fo: number, out: Float64Array, oo: number): void {
  const px = oMf[fo + 9], py = oMf[fo + 10], pz = oMf[fo + 11];
  const wx = out[oo + 3], wy = out[oo + 4], wz = out[oo + 5];
  out[oo] += wy * pz - wz * py;
  out[oo + 1] += wz * px - wx * pz;
  out[oo + 2] += wx * py - wy * px;
}
