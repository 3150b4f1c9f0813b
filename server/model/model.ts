/**
 * Model: the immutable kinematic tree and inertias of a robot, in flat arrays.
 *
 * Conventions (Pinocchio's; every module follows them and none repeats them):
 * - SI units, world z up, gravity (0, 0, -9.81).
 * - Joint 0 is the universe (world). Moving joints are 1..njoints-1, numbered in URDF
 *   depth-first order, with parents[i] < i. Each moving joint carries one body (its child
 *   link with every link hanging from it through fixed joints merged in).
 * - A placement (SE3) is 12 numbers: rotation R row-major (9) then translation p (3), and
 *   maps coordinates of the child frame to the parent: x_parent = R x_child + p.
 * - Spatial motion vectors are [linear; angular] = [v; w] at the frame origin, expressed in
 *   that frame; forces are [f; n] likewise.
 * - Configuration q and velocity v: free-flyer q = [x y z, qx qy qz qw] (position of the base
 *   in the world, unit quaternion base->world), v = [linear, angular velocity of the base,
 *   both expressed in the base frame]; revolute/continuous/prismatic joints have one q and one v.
 * - Controls u are the torques/forces of the actuated (non-free) joints, in v order.
 */

import { JOINT_TYPES, JOINT_FREE, JOINT_PRISMATIC, JOINT_REVOLUTE } from './joints/index.ts';

// Joint types live in ./joints/ (one file each, a registry); their kinds are re-exported here.
export { JOINT_FREE, JOINT_PRISMATIC, JOINT_REVOLUTE };
export type JointKind = typeof JOINT_FREE | typeof JOINT_REVOLUTE | typeof JOINT_PRISMATIC;

export type GeometryShape =
  | { type: 'box'; size: [number, number, number] }
  | { type: 'sphere'; radius: number }
  | { type: 'cylinder'; radius: number; length: number }
  | { type: 'capsule'; radius: number; length: number }
  | {
      type: 'mesh';
      /** URI exactly as written in the URDF (e.g. package://...). */
      uri: string;
      /** Absolute path on disk when it could be resolved, else null. */
      path: string | null;
      scale: [number, number, number];
      /**
       * Its convex hull's vertices (3 each, in the geometry frame, scale applied), when a task
       * collides it as a hull without Rapier (model/convex-hull.ts, dynamics/mesh-collision.ts).
       */
      hull?: Float64Array;
    };

export interface Geometry {
  /** URDF link the geometry belongs to. */
  link: string;
  /** Optional name attribute of the <visual>/<collision> element. */
  name: string;
  /** Joint (body) the link is rigidly attached to; 0 = world. */
  parentJoint: number;
  /** Placement of the geometry in the parent joint frame (SE3, 12 numbers). */
  placement: Float64Array;
  shape: GeometryShape;
  /** RGBA colour of the visual material, when the URDF gives one. */
  rgba?: [number, number, number, number];
}

export type FrameKind = 'body' | 'joint' | 'fixed';

export interface Frame {
  /** Link name for 'body' and 'fixed' frames, joint name for 'joint' frames. */
  name: string;
  kind: FrameKind;
  /** Moving joint the frame is rigidly attached to; 0 = world. */
  parentJoint: number;
  /** Placement of the frame in the parent joint frame (SE3, 12 numbers). */
  placement: Float64Array;
}

export interface Model {
  readonly name: string;
  /** Source file the model was built from (for messages), or '<string>'. */
  readonly source: string;
  readonly nq: number;
  readonly nv: number;
  /** Number of actuated degrees of freedom (all non-free joint dofs). */
  readonly nu: number;
  /** Number of joints including the universe (index 0). */
  readonly njoints: number;
  /** Joint names; [0] = 'universe'; the free-flyer is 'root_joint'. */
  readonly jointNames: readonly string[];
  /** Name of the body (URDF child link) of each joint; [0] = the URDF root link when fixed, else 'universe'. */
  readonly bodyNames: readonly string[];
  /** Joint kind per joint: the index of its type in joints/index.ts JOINT_TYPES ([0] unused). */
  readonly jointTypes: Int32Array;
  /** Parent joint index per joint ([0] = -1). */
  readonly parents: Int32Array;
  /** First index in q / v, and sizes, per joint. */
  readonly idxQ: Int32Array;
  readonly idxV: Int32Array;
  readonly nqs: Int32Array;
  readonly nvs: Int32Array;
  /** 1 when a revolute joint is URDF 'continuous' (no position limit). */
  readonly continuous: Uint8Array;
  /** Placement of each joint frame in its parent joint frame at q = 0 (12 per joint). */
  readonly jointPlacements: Float64Array;
  /** Unit joint axis in the joint frame (3 per joint; zero for free/universe). */
  readonly axes: Float64Array;
  /**
   * Body inertia per joint, 10 numbers, in the joint frame:
   * [m, cx, cy, cz, Ixx, Iyy, Izz, Ixy, Ixz, Iyz] with c the centre of mass and I the
   * rotational inertia about the centre of mass.
   */
  readonly inertias: Float64Array;
  /** Position limits (nq); +-Infinity where none (free-flyer, continuous). */
  readonly lowerPositionLimit: Float64Array;
  readonly upperPositionLimit: Float64Array;
  /** Velocity and effort limits, damping and Coulomb friction (nv); Infinity where none. */
  readonly velocityLimit: Float64Array;
  readonly effortLimit: Float64Array;
  readonly damping: Float64Array;
  readonly friction: Float64Array;
  /** Gravity in the world frame. */
  readonly gravity: Float64Array;
  readonly frames: readonly Frame[];
  readonly visuals: readonly Geometry[];
  readonly collisions: readonly Geometry[];
  /**
   * Inertia of the URDF root link (with its fixed children) when the root is fixed to the
   * world, same 10-number layout; zeros when floating (the root is then body 1).
   */
  readonly rootInertia: Float64Array;
  /** True when joint 1 is a free-flyer. */
  readonly floating: boolean;
}

export function jointIndex(model: Model, name: string): number {
  const i = model.jointNames.indexOf(name);
  if (i < 0) throw new Error(`model ${model.name}: no joint named '${name}'`);
  return i;
}

export function frameIndex(model: Model, name: string): number {
  const i = model.frames.findIndex((f) => f.name === name && f.kind !== 'joint');
  const j = i >= 0 ? i : model.frames.findIndex((f) => f.name === name);
  if (j < 0) throw new Error(`model ${model.name}: no frame named '${name}'`);
  return j;
}

/** The neutral configuration (each joint type's: zeros, identity quaternion for the free-flyer). */
export function neutral(model: Model): Float64Array {
  const q = new Float64Array(model.nq);
  for (let j = 1; j < model.njoints; j++) JOINT_TYPES[model.jointTypes[j]].neutral(q, model.idxQ[j]);
  return q;
}

/** Indices in v of the actuated dofs (u order). */
export function actuatedDofs(model: Model): Int32Array {
  const out = new Int32Array(model.nu);
  let k = 0;
  for (let j = 1; j < model.njoints; j++) {
    if (!JOINT_TYPES[model.jointTypes[j]].actuated) continue;
    for (let d = 0; d < model.nvs[j]; d++) out[k++] = model.idxV[j] + d;
  }
  return out;
}

/** Total mass of the moving bodies (the fixed root's mass is not part of the dynamics). */
export function totalMass(model: Model): number {
  let m = 0;
  for (let j = 1; j < model.njoints; j++) m += model.inertias[10 * j];
  return m;
}

/**
 * The dof tree: the parent of each dof (velocity index) is the previous dof of the same joint,
 * else the last dof of the parent joint, else -1. Sparse factorizations of the mass matrix walk it.
 */
export function dofParents(model: Model): Int32Array {
  const out = new Int32Array(model.nv);
  for (let j = 1; j < model.njoints; j++) {
    const iv = model.idxV[j];
    const p = model.parents[j];
    out[iv] = p > 0 ? model.idxV[p] + model.nvs[p] - 1 : -1;
    for (let k = 1; k < model.nvs[j]; k++) out[iv + k] = iv + k - 1;
  }
  return out;
}
