import type { Model } from '../model/model.ts';
import { JOINT_TYPES } from '../model/joints/index.ts';
import { addJointMotion, jointMotion } from '../model/joints/subspace.ts';
import { motionActInv, motionAct, se3Mul } from '../model/spatial.ts';
import { compiledKernelsEnabled } from './compiled/emit.ts';
import { fkKernel } from './compiled/kinematics-kernel.ts';
import type { Data } from './data.ts';

/**
 * Writes data.liMi for joint j: the joint frame in its parent joint frame at configuration q
 * (the constant joint placement composed with the joint's own motion; its joint type's
 * `placement`, server/model/joints/).
 */
export function jointTransform(model: Model, data: Data, j: number, q: ArrayLike<number>): void {
  JOINT_TYPES[model.jointTypes[j]].placement(model, j, q, data.liMi, data.tmp36, data.jointPath[j]);
}

// S qd of a joint, by its motion-subspace class (one home: server/model/joints/subspace.ts)
export { jointMotion, addJointMotion };

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
