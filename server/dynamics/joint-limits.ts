/**
 * Joint position limits as unilateral constraint rows of the contact step (step.ts).
 *
 * A revolute or prismatic joint with a finite URDF limit (Model.lowerPositionLimit /
 * upperPositionLimit; continuous and free joints have none) has up to two stops. A stop
 * becomes a row of the step's NCP when the joint is within a margin of it, exactly as a
 * contact enters within the collision margin: the distance to the stop d (>= 0 inside the
 * range) is below margin + dt |v_joint| (the distance the joint can travel in the step at its
 * current speed). The row is 1-D: its Jacobian is s e_dof with s = +1 at the lower stop and -1
 * at the upper one, its impulse lambda >= 0 pushes the joint away from the stop, and
 * 0 <= lambda ⟂ s v_next + b >= 0 with the contacts' bias rule on d (speculative closure of
 * the gap d / dt, the non-energetic correction beyond the slop: contact-solver.ts
 * computeContactBias).
 */
import type { Model } from '../model/model.ts';
import { jointOf } from '../model/joints/index.ts';

/** Side of a stop: the lower stop pushes q up (+1), the upper one down (-1). */
export const LIMIT_LOWER = 1;
export const LIMIT_UPPER = -1;

/** The model's limited joints (constant for a model). */
export class JointLimits {
  /** Number of limited joints. */
  readonly count: number;
  /** Model joint index of each limited joint. */
  readonly joint: Int32Array;
  /** Its q and v index. */
  readonly iq: Int32Array;
  readonly iv: Int32Array;
  /** Its stops (-Infinity / Infinity for a side without a stop). */
  readonly lower: Float64Array;
  readonly upper: Float64Array;

  /** enabled false: no limited joint (limits not enforced). */
  constructor(model: Model, enabled = true) {
    const js: number[] = [];
    for (let j = 1; enabled && j < model.njoints; j++) {
      if (!jointOf(model, j).limited || model.nqs[j] !== 1 || model.nvs[j] !== 1) continue;
      const iq = model.idxQ[j];
      if (Number.isFinite(model.lowerPositionLimit[iq]) || Number.isFinite(model.upperPositionLimit[iq])) js.push(j);
    }
    this.count = js.length;
    this.joint = Int32Array.from(js);
    this.iq = Int32Array.from(js, (j) => model.idxQ[j]);
    this.iv = Int32Array.from(js, (j) => model.idxV[j]);
    this.lower = Float64Array.from(js, (j) => model.lowerPositionLimit[model.idxQ[j]]);
    this.upper = Float64Array.from(js, (j) => model.upperPositionLimit[model.idxQ[j]]);
    for (let l = 0; l < js.length; l++) {
      if (!(this.lower[l] <= this.upper[l])) {
        throw new Error(`joint limits: joint '${model.jointNames[js[l]]}' has lower ${this.lower[l]} > upper ${this.upper[l]}`);
      }
    }
  }
}

/** The limit rows of one position stage (a class: fixed shape, fast properties). */
export class LimitRows {
  /** Number of rows. */
  count = 0;
  /** Per row: the limited joint (index into JointLimits), its side (LIMIT_LOWER / LIMIT_UPPER), its dof, its distance to the stop. */
  readonly limit: Int32Array;
  readonly side: Int8Array;
  readonly dof: Int32Array;
  readonly dist: Float64Array;
  /** [margin, dt]: doubles read by hot code through an array (a double argument would be boxed). */
  readonly params: Float64Array;

  constructor(readonly capacity: number, margin: number, dt: number) {
    this.limit = new Int32Array(capacity);
    this.side = new Int8Array(capacity);
    this.dof = new Int32Array(capacity);
    this.dist = new Float64Array(capacity);
    this.params = Float64Array.of(margin, dt);
  }
}

/**
 * The rows of the stops within reach at (q, v): distance to the stop <= margin + dt |v_joint|
 * (without v: <= margin). Lower stop before upper stop, joints in model order. Returns the count.
 */
export function detectLimitRows(lim: JointLimits, q: ArrayLike<number>, v: ArrayLike<number> | undefined, rows: LimitRows): number {
  const margin = rows.params[0], dt = rows.params[1];
  let n = 0;
  for (let l = 0; l < lim.count; l++) {
    const x = q[lim.iq[l]], iv = lim.iv[l];
    let reach = margin;
    if (v !== undefined) {
      const s = v[iv];
      reach += dt * (s < 0 ? -s : s);
    }
    const dl = x - lim.lower[l];
    if (dl <= reach) { rows.limit[n] = l; rows.side[n] = LIMIT_LOWER; rows.dof[n] = iv; rows.dist[n] = dl; n++; }
    const du = lim.upper[l] - x;
    if (du <= reach) { rows.limit[n] = l; rows.side[n] = LIMIT_UPPER; rows.dof[n] = iv; rows.dist[n] = du; n++; }
  }
  rows.count = n;
  return n;
}
