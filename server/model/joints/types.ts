/**
 * The joint-type interface (as Pinocchio's one file per joint model): everything the model
 * builder, the generic algorithms, the generated JavaScript kernels and the WGSL generator need
 * to know about one kind of joint. A joint type is one file in this folder implementing
 * `JointType`, listed once in `index.ts`.
 *
 * The algorithms do not switch on joint types. They switch on two small classes a joint type
 * declares, because that is where their hot loops differ:
 * - its motion subspace S in the joint frame (`subspace`): the identity (6 dofs), or one unit
 *   axis in the linear or in the angular half (1 dof). `subspace.ts` applies S and Sᵀ for each.
 * - its configuration space (`lieGroup`): a vector space (q + v) or SE(3) (`lie.ts`).
 * A new joint type whose S and configuration space are of these classes (URDF `continuous`,
 * a prismatic or revolute variant) is one file. One with a new class (planar: 3 columns;
 * spherical: SO(3)) also needs the new class in `subspace.ts`, `lie.ts`, ABA's pass 2 and the
 * RNEA's fused forward step: see docs/architecture.md, *Joint types*.
 */

/** The arrays of a Model a joint type reads (structural, so this folder needs no Model import). */
export interface JointArrays {
  readonly idxQ: Int32Array;
  readonly idxV: Int32Array;
  /** Unit joint axis in the joint frame (3 per joint). */
  readonly axes: Float64Array;
  /** Placement of each joint frame in its parent joint frame at q = 0 (12 per joint). */
  readonly jointPlacements: Float64Array;
}

/** S = I6 (6 dofs, velocity [v; w] in the joint frame). */
export const S_FULL = 0;
/** S = [axis; 0] (1 dof). */
export const S_LINEAR_AXIS = 1;
/** S = [0; axis] (1 dof). */
export const S_ANGULAR_AXIS = 2;
export type SubspaceClass = typeof S_FULL | typeof S_LINEAR_AXIS | typeof S_ANGULAR_AXIS;

/** q in R^nq with nq = nv: integrate is q + v, difference q1 - q0. */
export const LIE_VECTOR = 0;
/** q = [p, quaternion (x y z w)], v a body twist: SE(3) exp6 / log6 (lie.ts). */
export const LIE_SE3 = 1;
export type LieGroupClass = typeof LIE_VECTOR | typeof LIE_SE3;

/**
 * Scalar operations of a symbolic form. A symbolic value is a number (known when the code is
 * generated: folded by the printer) or a T (runtime source). The JavaScript printer
 * (dynamics/compiled/) and the WGSL printer (compute/webgpu/trace.ts) both implement it, so a
 * joint's symbolic pieces are written once.
 */
export interface SymOps<T> {
  add(a: T | number, b: T | number): T | number;
  sub(a: T | number, b: T | number): T | number;
  mul(a: T | number, b: T | number): T | number;
  neg(a: T | number): T | number;
  /**
   * a + b c. The JavaScript printer forms it as add(a, mul(b, c)) (the same double as the
   * generic code's a + b * c); the WGSL printer emits it as one expression.
   */
  fma(a: T | number, b: T | number, c: T | number): T | number;
  div(a: T | number, b: T | number): T | number;
  cos(a: T | number): T | number;
  sin(a: T | number): T | number;
  /** Names a value that is used more than once (a `const` in JavaScript; WGSL binds every operation already). */
  def(name: string, a: T | number): T | number;
}

export interface JointType {
  /** The id stored in Model.jointTypes (the index in the registry). */
  readonly kind: number;
  /** Name shown by the API and the CLIs. */
  readonly name: string;
  /** URDF joint types built as this joint type (the free-flyer is not a URDF joint: none). */
  readonly urdfTypes: readonly string[];
  readonly nq: number;
  readonly nv: number;
  /** Its dofs are controls (u); the free-flyer's are not. */
  readonly actuated: boolean;
  /** Can carry URDF position limits (1-dof stops, joint-limits.ts). */
  readonly limited: boolean;
  readonly subspace: SubspaceClass;
  readonly lieGroup: LieGroupClass;
  /** Writes the neutral configuration at q[iq..iq+nq]. */
  neutral(q: Float64Array, iq: number): void;
  /** Whether dof k moves a translation (the simulator scales its tolerances by it). */
  translational(k: number): boolean;
  /**
   * The placement fast path of joint j: 0, 1, 2 when liMi is a rotation about that principal
   * axis with the placement's translation (identity placement rotation, axis e_k), else 3.
   */
  placementPath(model: JointArrays, j: number): number;
  /**
   * liMi of joint j at q written at out[12 j..]: the constant placement composed with the
   * joint's own motion. `tmp` is scratch of at least 12; `path` is placementPath's answer.
   */
  placement(model: JointArrays, j: number, q: ArrayLike<number>, out: Float64Array, tmp: Float64Array, path: number): void;
  /**
   * The same placement in a symbolic form: q(i) is the symbolic q[idxQ[j] + i]. Performs the
   * numeric `placement`'s operations in the same order (the JavaScript printer's results are
   * === the numeric ones).
   */
  placementSym<T>(ops: SymOps<T>, model: JointArrays, j: number, q: (i: number) => T | number): (T | number)[];
}
