import { dofParents, type Model } from '../model/model.ts';
import { jointOf } from '../model/joints/index.ts';
import { inertiaComToOrigin } from '../model/spatial.ts';

/**
 * Data: the preallocated workspace of the algorithms for one model (one per thread).
 * Nothing in the algorithms allocates; they read and write these arrays. Per-joint arrays are
 * indexed by joint (index 0 = universe) with the stride in their comment.
 */
export interface Data {
  /** Placement of each joint frame in the world (12 per joint). */
  readonly oMi: Float64Array;
  /** Placement of each joint frame in its parent joint frame at the current q (12 per joint). */
  readonly liMi: Float64Array;
  /** Placement of each model frame in the world (12 per frame). */
  readonly oMf: Float64Array;
  /** Spatial velocity, acceleration and force of each body, in its joint frame (6 per joint). */
  readonly v: Float64Array;
  readonly a: Float64Array;
  readonly f: Float64Array;
  /** Body inertias in origin form (spatial.ts), constant, copied from the model (10 per joint). */
  readonly Ybody: Float64Array;
  /** Composite rigid-body inertias (CRBA), origin form (10 per joint). */
  readonly Ycrb: Float64Array;
  /** Joint-space mass matrix, nv x nv row-major, full (both triangles). */
  readonly M: Float64Array;
  /** Sparse L^T D L factor of M (factor-m.ts) and the dof parent array it follows. */
  readonly Mfactor: Float64Array;
  readonly dofParent: Int32Array;
  /** Generalized torques (RNEA output), nonlinear effects, accelerations (ABA output) (nv). */
  readonly tau: Float64Array;
  readonly nle: Float64Array;
  readonly ddq: Float64Array;
  /** ABA: articulated inertias (36 per joint), bias forces and velocity-product accelerations (6 per joint), world frame. */
  readonly Ia: Float64Array;
  readonly pA: Float64Array;
  readonly c: Float64Array;
  /** ABA: U = Ia S columns (6 per dof), D = S^T U and u = tau - S^T pA (per dof). */
  readonly U: Float64Array;
  readonly D: Float64Array;
  readonly u: Float64Array;
  /** World-frame ABA quantities: velocities, accelerations (6 per joint), motion-subspace columns (6 per dof). */
  readonly ov: Float64Array;
  readonly oa: Float64Array;
  readonly oS: Float64Array;
  /** Joint Jacobian columns in the world frame at the world origin, 6 x nv row-major. */
  readonly J: Float64Array;
  /** Centre of mass of the whole robot in the world, and total moving mass. */
  readonly com: Float64Array;
  mass: number;
  /**
   * Per joint, precomputed from the model to pick fast paths: 0/1/2 when the joint axis is
   * +x/+y/+z and the constant placement has an identity rotation, else 3 (general).
   */
  readonly jointPath: Int32Array;
  /** Scratch. */
  readonly tmp6: Float64Array;
  readonly tmp36: Float64Array;
  readonly tmpNv: Float64Array;
}

export function createData(model: Model): Data {
  const nj = model.njoints;
  const nv = model.nv;
  const Ybody = new Float64Array(10 * nj);
  for (let j = 1; j < nj; j++) inertiaComToOrigin(model.inertias, 10 * j, Ybody, 10 * j);
  let mass = 0;
  for (let j = 1; j < nj; j++) mass += model.inertias[10 * j];
  const jointPath = new Int32Array(nj).fill(3);
  for (let j = 1; j < nj; j++) jointPath[j] = jointOf(model, j).placementPath(model, j);
  const oMi = new Float64Array(12 * nj);
  oMi[0] = 1; oMi[4] = 1; oMi[8] = 1;
  return {
    oMi,
    liMi: new Float64Array(12 * nj),
    oMf: new Float64Array(12 * model.frames.length),
    v: new Float64Array(6 * nj),
    a: new Float64Array(6 * nj),
    f: new Float64Array(6 * nj),
    Ybody,
    Ycrb: new Float64Array(10 * nj),
    M: new Float64Array(nv * nv),
    Mfactor: new Float64Array(nv * nv),
    dofParent: dofParents(model),
    tau: new Float64Array(nv),
    nle: new Float64Array(nv),
    ddq: new Float64Array(nv),
    Ia: new Float64Array(36 * nj),
    pA: new Float64Array(6 * nj),
    c: new Float64Array(6 * nj),
    U: new Float64Array(6 * nv),
    D: new Float64Array(nv),
    u: new Float64Array(nv),
    ov: new Float64Array(6 * nj),
    oa: new Float64Array(6 * nj),
    oS: new Float64Array(6 * nv),
    J: new Float64Array(6 * nv),
    com: new Float64Array(3),
    mass,
    jointPath,
    tmp6: new Float64Array(6),
    tmp36: new Float64Array(36),
    tmpNv: new Float64Array(nv),
  };
}
