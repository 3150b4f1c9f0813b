/**
 * Costs of the optimal-control problem with analytic Gauss-Newton derivatives in the tangent
 * space of the state (ndx = 2 nv; see problem.ts):
 *   lx (ndx), lu (nu), lxx (ndx × ndx), luu (nu × nu), lux (nu × ndx), row-major.
 *
 * A `Cost` is what the solvers see (one per knot, or one shared by every running knot, plus a
 * terminal one evaluated on x_T with u = null). The robot costs are a weighted `CostSum` of
 * least-squares terms ½ Σ_i w_i r_i(x, u)², each term giving its residual r and adding its
 * gradient Jᵀ W r and Gauss-Newton Hessian Jᵀ W J (J = ∂r/∂(dx, du), the second derivatives of
 * r are neglected, so every Hessian is PSD). Weights are in cost units: a running cost is
 * summed over the knots as is, so scale the weights by dt yourself if you want a time integral.
 *
 * Allocation-free per evaluation: a CostSum owns its Data (kinematics workspace) and every
 * term owns its scratch. Not reentrant (one evaluation at a time per object), which is the
 * single-threaded JavaScript case; a worker builds its own.
 */
import { createData, type Data } from '../dynamics/data.ts';
import { computeJointJacobians } from '../dynamics/jacobian.ts';
import { dDifference, difference as lieDifference } from '../dynamics/lie.ts';
import { frameIndex, neutral, type Model } from '../model/model.ts';

/** Derivatives of a cost at one knot (row-major). */
export interface CostDerivatives {
  lx: Float64Array;
  lu: Float64Array;
  lxx: Float64Array;
  luu: Float64Array;
  lux: Float64Array;
}

export function createCostDerivatives(ndx: number, nu: number): CostDerivatives {
  return {
    lx: new Float64Array(ndx),
    lu: new Float64Array(nu),
    lxx: new Float64Array(ndx * ndx),
    luu: new Float64Array(nu * nu),
    lux: new Float64Array(nu * ndx),
  };
}

/** What a solver needs from a cost. u = null: terminal evaluation (only lx and lxx are written). */
export interface Cost {
  readonly ndx: number;
  readonly nu: number;
  value(x: Float64Array, u: Float64Array | null): number;
  /** Writes (overwrites) the derivatives at (x, u) into out and returns the value. */
  calcDiff(x: Float64Array, u: Float64Array | null, out: CostDerivatives): number;
}

/** Kinematics shared by the terms of a CostSum (computed once per evaluation). */
export interface TermContext {
  readonly model: Model;
  /**
   * When any term needsKinematics: data.oMi (joint placements) and data.J (world joint
   * Jacobian, 6 × nv) at the q of the evaluated state.
   */
  readonly data: Data;
}

/** A least-squares term ½ Σ_i w_i r_i² of a CostSum. */
export interface CostTerm {
  readonly name: string;
  /** Residual dimension. */
  readonly nr: number;
  /** Per-coordinate weights w (nr), mutable. */
  readonly weights: Float64Array;
  /** True when the residual depends on u (such a term cannot be in a terminal cost). */
  readonly usesControl: boolean;
  /** True when the term reads data.oMi / data.J (the CostSum computes them once). */
  readonly needsKinematics: boolean;
  /** r(x, u) into r (nr). */
  residual(ctx: TermContext, x: Float64Array, u: Float64Array | null, r: Float64Array): void;
  /**
   * Adds scale × (Jᵀ W r, Jᵀ W J) to out (lx, lxx and, when usesControl and u is given, lu,
   * luu, lux) and returns the unscaled value ½ Σ w r².
   */
  addDerivatives(ctx: TermContext, x: Float64Array, u: Float64Array | null, scale: number, out: CostDerivatives): number;
}

function toWeights(w: number | ArrayLike<number> | undefined, n: number, what: string): Float64Array {
  const out = new Float64Array(n);
  if (w === undefined) out.fill(1);
  else if (typeof w === 'number') out.fill(w);
  else {
    if (w.length !== n) throw new Error(`${what}: expected ${n} weights, got ${w.length}`);
    for (let i = 0; i < n; i++) out[i] = w[i];
  }
  for (let i = 0; i < n; i++) {
    if (!(out[i] >= 0) || !Number.isFinite(out[i])) throw new Error(`${what}: weights must be finite and >= 0, got ${out[i]}`);
  }
  return out;
}

function halfWeightedSq(r: Float64Array, w: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += w[i] * r[i] * r[i];
  return 0.5 * s;
}

function resolveFrame(model: Model, frame: string | number): number {
  if (typeof frame === 'number') {
    if (!(frame >= 0 && frame < model.frames.length && Number.isInteger(frame))) throw new Error(`cost: no frame ${frame} in ${model.name}`);
    return frame;
  }
  return frameIndex(model, frame);
}

// ---------------------------------------------------------------------------------------------
// State regularization

export interface StateRegularizationOptions {
  /** Reference state x_ref = [q_ref; v_ref] (nq + nv); default [neutral(model); 0]. */
  xRef?: ArrayLike<number>;
  /** Weights per tangent coordinate (2 nv), or one number for all; default 1. */
  weights?: number | ArrayLike<number>;
  name?: string;
}

/**
 * ½ Σ w_i r_i² with r = x ⊖ x_ref (lie.ts difference: SE(3) log for the free-flyer, plain
 * differences elsewhere). Jacobian ∂r/∂dx = blockdiag(dDifference/dq1 (Jlog6 on the
 * free-flyer block), I). The gradient is exact; the Hessian is Gauss-Newton (Jᵀ W J).
 */
export class StateRegularization implements CostTerm {
  readonly name: string;
  readonly nr: number;
  readonly weights: Float64Array;
  readonly usesControl = false;
  readonly needsKinematics = false;
  /** The reference state (nq + nv), mutable. */
  readonly xRef: Float64Array;
  private readonly model: Model;
  private readonly r: Float64Array;
  private readonly Jq: Float64Array;
  private readonly wr: Float64Array;
  private readonly identityQ: boolean;

  constructor(model: Model, opts: StateRegularizationOptions = {}) {
    this.model = model;
    const nq = model.nq, nv = model.nv;
    this.name = opts.name ?? 'stateReg';
    this.nr = 2 * nv;
    this.weights = toWeights(opts.weights, 2 * nv, this.name);
    this.xRef = new Float64Array(nq + nv);
    if (opts.xRef) {
      if (opts.xRef.length !== nq + nv) throw new Error(`${this.name}: xRef must have nq + nv = ${nq + nv} numbers, got ${opts.xRef.length}`);
      for (let i = 0; i < nq + nv; i++) this.xRef[i] = opts.xRef[i];
    } else {
      this.xRef.set(neutral(model));
    }
    this.r = new Float64Array(2 * nv);
    this.Jq = new Float64Array(nv * nv);
    this.wr = new Float64Array(2 * nv);
    this.identityQ = nq === nv; // no free-flyer: the q block of the Jacobian is the identity
  }

  residual(_ctx: TermContext, x: Float64Array, _u: Float64Array | null, r: Float64Array): void {
    const nq = this.model.nq, nv = this.model.nv;
    lieDifference(this.model, this.xRef, x, r);
    for (let i = 0; i < nv; i++) r[nv + i] = x[nq + i] - this.xRef[nq + i];
  }

  addDerivatives(ctx: TermContext, x: Float64Array, _u: Float64Array | null, scale: number, out: CostDerivatives): number {
    const nv = this.model.nv, ndx = 2 * nv, w = this.weights, r = this.r, wr = this.wr;
    this.residual(ctx, x, null, r);
    for (let i = 0; i < ndx; i++) wr[i] = scale * w[i] * r[i];
    const lx = out.lx, lxx = out.lxx;
    // velocity block: identity Jacobian
    for (let i = nv; i < ndx; i++) {
      lx[i] += wr[i];
      lxx[i * ndx + i] += scale * w[i];
    }
    if (this.identityQ) {
      for (let i = 0; i < nv; i++) {
        lx[i] += wr[i];
        lxx[i * ndx + i] += scale * w[i];
      }
    } else {
      const J = this.Jq;
      dDifference(this.model, this.xRef, x, null, J);
      // lx_q += Jᵀ (s W r); lxx_qq += Jᵀ (s W) J
      for (let k = 0; k < nv; k++) {
        const wk = wr[k], sw = scale * w[k], ko = k * nv;
        if (sw === 0) continue;
        for (let i = 0; i < nv; i++) {
          const Jki = J[ko + i];
          if (Jki === 0) continue;
          lx[i] += Jki * wk;
          const a = sw * Jki, io = i * ndx;
          for (let j = 0; j < nv; j++) lxx[io + j] += a * J[ko + j];
        }
      }
    }
    return halfWeightedSq(r, w, ndx);
  }
}

// ---------------------------------------------------------------------------------------------
// Control regularization

export interface ControlRegularizationOptions {
  /** Reference controls (nu), e.g. static gravity-compensation torques; default 0. */
  uRef?: ArrayLike<number>;
  /** Weights per control (nu), or one number; default 1. */
  weights?: number | ArrayLike<number>;
  name?: string;
}

/** ½ Σ w_i (u_i − uRef_i)²: lu = W (u − uRef), luu = W. */
export class ControlRegularization implements CostTerm {
  readonly name: string;
  readonly nr: number;
  readonly weights: Float64Array;
  readonly usesControl = true;
  readonly needsKinematics = false;
  /** The reference controls (nu), mutable. */
  readonly uRef: Float64Array;

  constructor(nu: number, opts: ControlRegularizationOptions = {}) {
    this.name = opts.name ?? 'controlReg';
    this.nr = nu;
    this.weights = toWeights(opts.weights, nu, this.name);
    this.uRef = new Float64Array(nu);
    if (opts.uRef) {
      if (opts.uRef.length !== nu) throw new Error(`${this.name}: uRef must have nu = ${nu} numbers, got ${opts.uRef.length}`);
      for (let i = 0; i < nu; i++) this.uRef[i] = opts.uRef[i];
    }
  }

  residual(_ctx: TermContext, _x: Float64Array, u: Float64Array | null, r: Float64Array): void {
    if (!u) throw new Error(`${this.name}: a control term cannot be evaluated without u (terminal cost?)`);
    for (let i = 0; i < this.nr; i++) r[i] = u[i] - this.uRef[i];
  }

  addDerivatives(_ctx: TermContext, _x: Float64Array, u: Float64Array | null, scale: number, out: CostDerivatives): number {
    if (!u) throw new Error(`${this.name}: a control term cannot be evaluated without u (terminal cost?)`);
    const nu = this.nr, w = this.weights;
    let v = 0;
    for (let i = 0; i < nu; i++) {
      const ri = u[i] - this.uRef[i];
      v += w[i] * ri * ri;
      out.lu[i] += scale * w[i] * ri;
      out.luu[i * nu + i] += scale * w[i];
    }
    return 0.5 * v;
  }
}

// ---------------------------------------------------------------------------------------------
// Frame terms: shared chain bookkeeping

/** Dofs supporting a frame, grouped by joint, leaf to root. */
class FrameChain {
  readonly frameId: number;
  readonly parentJoint: number;
  /** Joints of the chain, leaf first. */
  readonly joints: Int32Array;
  readonly model: Model;
  /** World position of the frame origin (after update). */
  readonly p = new Float64Array(3);

  constructor(model: Model, frameId: number) {
    this.model = model;
    this.frameId = frameId;
    this.parentJoint = model.frames[frameId].parentJoint;
    const js: number[] = [];
    for (let j = this.parentJoint; j > 0; j = model.parents[j]) js.push(j);
    this.joints = Int32Array.from(js);
  }

  /** Frame origin in the world from data.oMi. */
  updatePosition(data: Data): void {
    const M = data.oMi, o = 12 * this.parentJoint, f = this.model.frames[this.frameId].placement;
    const x = f[9], y = f[10], z = f[11];
    this.p[0] = M[o] * x + M[o + 1] * y + M[o + 2] * z + M[o + 9];
    this.p[1] = M[o + 3] * x + M[o + 4] * y + M[o + 5] * z + M[o + 10];
    this.p[2] = M[o + 6] * x + M[o + 7] * y + M[o + 8] * z + M[o + 11];
  }

  /**
   * Linear rows of the local-world-aligned frame Jacobian (3 × nv, zero outside the chain):
   * column k = v_k + ω_k × p with (v_k, ω_k) the world column of data.J. Call updatePosition first.
   */
  linearJacobian(data: Data, out: Float64Array): void {
    const model = this.model, nv = model.nv, J = data.J;
    const px = this.p[0], py = this.p[1], pz = this.p[2];
    out.fill(0);
    for (let c = 0; c < this.joints.length; c++) {
      const j = this.joints[c], iv = model.idxV[j];
      for (let d = 0; d < model.nvs[j]; d++) {
        const k = iv + d;
        const wx = J[3 * nv + k], wy = J[4 * nv + k], wz = J[5 * nv + k];
        out[k] = J[k] + wy * pz - wz * py;
        out[nv + k] = J[nv + k] + wz * px - wx * pz;
        out[2 * nv + k] = J[2 * nv + k] + wx * py - wy * px;
      }
    }
  }
}

function toVec3(x: ArrayLike<number> | undefined, what: string): Float64Array {
  const out = new Float64Array(3);
  if (x === undefined) return out;
  if (x.length !== 3) throw new Error(`${what}: expected 3 numbers, got ${x.length}`);
  for (let i = 0; i < 3; i++) out[i] = x[i];
  return out;
}

/** Adds scale × (Jᵀ W r, Jᵀ W J) for a 3-row Jacobian Jr (3 × nv) acting on the tangent block starting at col0. */
function addThreeRow(
  Jr: Float64Array, nv: number, r: Float64Array, w: Float64Array, scale: number, lx: Float64Array, lxx: Float64Array,
  ndx: number, row0: number, col0: number,
): void {
  for (let a = 0; a < 3; a++) {
    const sw = scale * w[a];
    if (sw === 0) continue;
    const swr = sw * r[a], ao = a * nv;
    for (let i = 0; i < nv; i++) {
      const Ji = Jr[ao + i];
      if (Ji === 0) continue;
      lx[row0 + i] += Ji * swr;
      const s = sw * Ji, io = (row0 + i) * ndx + col0;
      for (let j = 0; j < nv; j++) lxx[io + j] += s * Jr[ao + j];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Frame position

export interface FramePositionOptions {
  /** Frame name or index. */
  frame: string | number;
  /** World target position (3). */
  target: ArrayLike<number>;
  /** Per-axis weights (3), or one number; default 1. E.g. [0, 0, 1]: height only. */
  weights?: number | ArrayLike<number>;
  name?: string;
}

/**
 * ½ Σ_a w_a r_a² with r = p_frame(q) − p_target (world). ∂r/∂dq = linear rows of the
 * local-world-aligned frame Jacobian (the Jacobian w.r.t. the tangent of q, i.e. v-space, as
 * frameJacobian gives it); ∂r/∂v = 0. Gauss-Newton Hessian.
 */
export class FramePosition implements CostTerm {
  readonly name: string;
  readonly nr = 3;
  readonly weights: Float64Array;
  readonly usesControl = false;
  readonly needsKinematics = true;
  /** World target (3), mutable. */
  readonly target: Float64Array;
  readonly frameId: number;
  private readonly chain: FrameChain;
  private readonly nv: number;
  private readonly Jr: Float64Array;
  private readonly r = new Float64Array(3);

  constructor(model: Model, opts: FramePositionOptions) {
    this.frameId = resolveFrame(model, opts.frame);
    this.name = opts.name ?? `framePosition:${model.frames[this.frameId].name}`;
    this.weights = toWeights(opts.weights, 3, this.name);
    this.target = toVec3(opts.target, `${this.name} target`);
    this.chain = new FrameChain(model, this.frameId);
    this.nv = model.nv;
    this.Jr = new Float64Array(3 * model.nv);
  }

  residual(ctx: TermContext, _x: Float64Array, _u: Float64Array | null, r: Float64Array): void {
    this.chain.updatePosition(ctx.data);
    const p = this.chain.p;
    for (let a = 0; a < 3; a++) r[a] = p[a] - this.target[a];
  }

  addDerivatives(ctx: TermContext, x: Float64Array, _u: Float64Array | null, scale: number, out: CostDerivatives): number {
    const r = this.r;
    this.residual(ctx, x, null, r);
    this.chain.linearJacobian(ctx.data, this.Jr);
    addThreeRow(this.Jr, this.nv, r, this.weights, scale, out.lx, out.lxx, 2 * this.nv, 0, 0);
    return halfWeightedSq(r, this.weights, 3);
  }
}

// ---------------------------------------------------------------------------------------------
// Frame velocity

export interface FrameVelocityOptions {
  /** Frame name or index. */
  frame: string | number;
  /** Target linear velocity (world axes, 3); default 0 (e.g. a foot that must not slide). */
  target?: ArrayLike<number>;
  /** Per-axis weights (3), or one number; default 1. */
  weights?: number | ArrayLike<number>;
  name?: string;
}

/**
 * ½ Σ_a w_a r_a² with r = J_lin(q) v − target: the linear velocity of the frame origin in world
 * axes (local_world_aligned). ∂r/∂v = J_lin; ∂r/∂dq is included exactly (analytic, not
 * neglected): with ξ_k = (v_k, ω_k) the world joint-Jacobian columns, c_k = v_k + ω_k × p the
 * J_lin columns, Ω the frame's angular velocity and (V⁺, Ω⁺) = Σ_{j ⪰ k} ξ_j v_j the velocity
 * contributed by joint(k) and its descendants on the chain,
 *   ∂ṗ/∂q_k = ω_k × V⁺ + v_k × Ω⁺ + (ω_k × Ω⁺) × p + Ω × c_k
 * (from ∂ξ_j/∂q_k = ξ_k × ξ_j for j ⪰ k and ∂p/∂q_k = c_k). Gauss-Newton Hessian on (dq, dv).
 */
export class FrameVelocity implements CostTerm {
  readonly name: string;
  readonly nr = 3;
  readonly weights: Float64Array;
  readonly usesControl = false;
  readonly needsKinematics = true;
  /** Target linear velocity (3), mutable. */
  readonly target: Float64Array;
  readonly frameId: number;
  private readonly chain: FrameChain;
  private readonly model: Model;
  private readonly Jv: Float64Array;
  private readonly Jq: Float64Array;
  private readonly r = new Float64Array(3);

  constructor(model: Model, opts: FrameVelocityOptions) {
    this.model = model;
    this.frameId = resolveFrame(model, opts.frame);
    this.name = opts.name ?? `frameVelocity:${model.frames[this.frameId].name}`;
    this.weights = toWeights(opts.weights, 3, this.name);
    this.target = toVec3(opts.target, `${this.name} target`);
    this.chain = new FrameChain(model, this.frameId);
    this.Jv = new Float64Array(3 * model.nv);
    this.Jq = new Float64Array(3 * model.nv);
  }

  residual(ctx: TermContext, x: Float64Array, _u: Float64Array | null, r: Float64Array): void {
    const model = this.model, nv = model.nv, nq = model.nq, J = ctx.data.J;
    this.chain.updatePosition(ctx.data);
    const px = this.chain.p[0], py = this.chain.p[1], pz = this.chain.p[2];
    // spatial velocity of the frame body at the world origin, then shifted to p
    let Vx = 0, Vy = 0, Vz = 0, Wx = 0, Wy = 0, Wz = 0;
    const joints = this.chain.joints;
    for (let c = 0; c < joints.length; c++) {
      const j = joints[c], iv = model.idxV[j];
      for (let d = 0; d < model.nvs[j]; d++) {
        const k = iv + d, vk = x[nq + k];
        Vx += J[k] * vk; Vy += J[nv + k] * vk; Vz += J[2 * nv + k] * vk;
        Wx += J[3 * nv + k] * vk; Wy += J[4 * nv + k] * vk; Wz += J[5 * nv + k] * vk;
      }
    }
    r[0] = Vx + Wy * pz - Wz * py - this.target[0];
    r[1] = Vy + Wz * px - Wx * pz - this.target[1];
    r[2] = Vz + Wx * py - Wy * px - this.target[2];
  }

  addDerivatives(ctx: TermContext, x: Float64Array, _u: Float64Array | null, scale: number, out: CostDerivatives): number {
    const model = this.model, nv = model.nv, nq = model.nq, ndx = 2 * nv, J = ctx.data.J;
    const r = this.r, Jv = this.Jv, Jq = this.Jq;
    this.residual(ctx, x, null, r);
    this.chain.linearJacobian(ctx.data, Jv); // also ∂r/∂v
    const px = this.chain.p[0], py = this.chain.p[1], pz = this.chain.p[2];
    // total angular velocity Ω
    let Ox = 0, Oy = 0, Oz = 0;
    const joints = this.chain.joints;
    for (let c = 0; c < joints.length; c++) {
      const j = joints[c], iv = model.idxV[j];
      for (let d = 0; d < model.nvs[j]; d++) {
        const k = iv + d, vk = x[nq + k];
        Ox += J[3 * nv + k] * vk; Oy += J[4 * nv + k] * vk; Oz += J[5 * nv + k] * vk;
      }
    }
    Jq.fill(0);
    // walk leaf to root accumulating (V⁺, Ω⁺) including the current joint's own columns
    let Vx = 0, Vy = 0, Vz = 0, Wx = 0, Wy = 0, Wz = 0;
    for (let c = 0; c < joints.length; c++) {
      const j = joints[c], iv = model.idxV[j], n = model.nvs[j];
      for (let d = 0; d < n; d++) {
        const k = iv + d, vk = x[nq + k];
        Vx += J[k] * vk; Vy += J[nv + k] * vk; Vz += J[2 * nv + k] * vk;
        Wx += J[3 * nv + k] * vk; Wy += J[4 * nv + k] * vk; Wz += J[5 * nv + k] * vk;
      }
      for (let d = 0; d < n; d++) {
        const k = iv + d;
        const vkx = J[k], vky = J[nv + k], vkz = J[2 * nv + k];
        const wkx = J[3 * nv + k], wky = J[4 * nv + k], wkz = J[5 * nv + k];
        // ω_k × V⁺ + v_k × Ω⁺
        let gx = wky * Vz - wkz * Vy + vky * Wz - vkz * Wy;
        let gy = wkz * Vx - wkx * Vz + vkz * Wx - vkx * Wz;
        let gz = wkx * Vy - wky * Vx + vkx * Wy - vky * Wx;
        // (ω_k × Ω⁺) × p
        const ax = wky * Wz - wkz * Wy, ay = wkz * Wx - wkx * Wz, az = wkx * Wy - wky * Wx;
        gx += ay * pz - az * py; gy += az * px - ax * pz; gz += ax * py - ay * px;
        // Ω × c_k
        const cx = Jv[k], cy = Jv[nv + k], cz = Jv[2 * nv + k];
        gx += Oy * cz - Oz * cy; gy += Oz * cx - Ox * cz; gz += Ox * cy - Oy * cx;
        Jq[k] = gx; Jq[nv + k] = gy; Jq[2 * nv + k] = gz;
      }
    }
    // gradient and Gauss-Newton Hessian on the stacked Jacobian [Jq Jv]
    const w = this.weights, lx = out.lx, lxx = out.lxx;
    for (let a = 0; a < 3; a++) {
      const sw = scale * w[a];
      if (sw === 0) continue;
      const swr = sw * r[a], ao = a * nv;
      for (let i = 0; i < ndx; i++) {
        const Ji = i < nv ? Jq[ao + i] : Jv[ao + i - nv];
        if (Ji === 0) continue;
        lx[i] += Ji * swr;
        const s = sw * Ji, io = i * ndx;
        for (let j = 0; j < nv; j++) lxx[io + j] += s * Jq[ao + j];
        for (let j = 0; j < nv; j++) lxx[io + nv + j] += s * Jv[ao + j];
      }
    }
    return halfWeightedSq(r, w, 3);
  }
}

// ---------------------------------------------------------------------------------------------
// Weighted sum

export interface CostSumItem {
  readonly term: CostTerm;
  /** Scalar weight multiplying the term, mutable (0 switches it off). */
  weight: number;
}

/**
 * Σ_k weight_k · term_k on a robot model: the Cost the solvers use. Computes the kinematics
 * (forward kinematics and the world joint Jacobian) once per evaluation when a term needs them.
 * A terminal cost is a CostSum without control terms evaluated with u = null.
 */
export class CostSum implements Cost {
  readonly model: Model;
  readonly ndx: number;
  readonly nu: number;
  readonly data: Data;
  readonly items: CostSumItem[] = [];
  private readonly ctx: TermContext;
  private needsKinematics = false;
  private r: Float64Array = new Float64Array(0);

  constructor(model: Model, items: Array<{ term: CostTerm; weight?: number }> = []) {
    this.model = model;
    this.ndx = 2 * model.nv;
    this.nu = model.nu;
    this.data = createData(model);
    this.ctx = { model, data: this.data };
    for (const it of items) this.add(it.term, it.weight);
  }

  add(term: CostTerm, weight = 1): this {
    if (!(weight >= 0) || !Number.isFinite(weight)) throw new Error(`cost ${term.name}: weight must be finite and >= 0, got ${weight}`);
    this.items.push({ term, weight });
    this.needsKinematics ||= term.needsKinematics;
    if (term.nr > this.r.length) this.r = new Float64Array(term.nr);
    return this;
  }

  /** The first item whose term has this name. */
  item(name: string): CostSumItem {
    const it = this.items.find((i) => i.term.name === name);
    if (!it) throw new Error(`cost: no term named '${name}' (have: ${this.items.map((i) => i.term.name).join(', ')})`);
    return it;
  }

  /** True when some term depends on u (then it cannot serve as a terminal cost). */
  get usesControl(): boolean {
    return this.items.some((i) => i.term.usesControl);
  }

  private kinematics(x: Float64Array): void {
    if (this.needsKinematics) computeJointJacobians(this.model, this.data, x);
  }

  value(x: Float64Array, u: Float64Array | null): number {
    this.kinematics(x);
    let v = 0;
    const r = this.r;
    for (const it of this.items) {
      if (it.weight === 0) continue;
      it.term.residual(this.ctx, x, u, r);
      v += it.weight * halfWeightedSq(r, it.term.weights, it.term.nr);
    }
    return v;
  }

  /** Weighted value of each term into out (items order); returns the total. */
  termValues(x: Float64Array, u: Float64Array | null, out: Float64Array): number {
    this.kinematics(x);
    let v = 0;
    const r = this.r;
    for (let k = 0; k < this.items.length; k++) {
      const it = this.items[k];
      it.term.residual(this.ctx, x, u, r);
      out[k] = it.weight * halfWeightedSq(r, it.term.weights, it.term.nr);
      v += out[k];
    }
    return v;
  }

  calcDiff(x: Float64Array, u: Float64Array | null, out: CostDerivatives): number {
    out.lx.fill(0);
    out.lxx.fill(0);
    if (u) { out.lu.fill(0); out.luu.fill(0); out.lux.fill(0); }
    this.kinematics(x);
    let v = 0;
    for (const it of this.items) {
      if (it.weight === 0) continue;
      v += it.weight * it.term.addDerivatives(this.ctx, x, u, it.weight, out);
    }
    return v;
  }
}

// ---------------------------------------------------------------------------------------------
// Plain quadratic cost on a Euclidean state (LQR problems, tests)

export interface QuadraticCostOptions {
  /** State weight (ndx × ndx, symmetric PSD). */
  Q: ArrayLike<number>;
  /** Control weight (nu × nu, symmetric); omit for a terminal cost. */
  R?: ArrayLike<number>;
  /** Cross term N (nu × ndx): cost += (u − uRef)ᵀ N (x − xRef). */
  N?: ArrayLike<number>;
  xRef?: ArrayLike<number>;
  uRef?: ArrayLike<number>;
}

/**
 * ½ dxᵀ Q dx + ½ duᵀ R du + duᵀ N dx with dx = x − xRef, du = u − uRef, for a EUCLIDEAN state
 * (nx = ndx: x ⊖ x_ref is a plain difference). Exact derivatives.
 */
export class QuadraticCost implements Cost {
  readonly ndx: number;
  readonly nu: number;
  readonly Q: Float64Array;
  readonly R: Float64Array;
  readonly N: Float64Array;
  readonly xRef: Float64Array;
  readonly uRef: Float64Array;
  private readonly dx: Float64Array;
  private readonly du: Float64Array;

  constructor(ndx: number, nu: number, opts: QuadraticCostOptions) {
    this.ndx = ndx;
    this.nu = nu;
    const take = (a: ArrayLike<number> | undefined, n: number, what: string): Float64Array => {
      const out = new Float64Array(n);
      if (a === undefined) return out;
      if (a.length !== n) throw new Error(`QuadraticCost: ${what} must have ${n} numbers, got ${a.length}`);
      for (let i = 0; i < n; i++) out[i] = a[i];
      return out;
    };
    this.Q = take(opts.Q, ndx * ndx, 'Q');
    this.R = take(opts.R, nu * nu, 'R');
    this.N = take(opts.N, nu * ndx, 'N');
    this.xRef = take(opts.xRef, ndx, 'xRef');
    this.uRef = take(opts.uRef, nu, 'uRef');
    this.dx = new Float64Array(ndx);
    this.du = new Float64Array(nu);
  }

  private deltas(x: Float64Array, u: Float64Array | null): void {
    for (let i = 0; i < this.ndx; i++) this.dx[i] = x[i] - this.xRef[i];
    if (u) for (let i = 0; i < this.nu; i++) this.du[i] = u[i] - this.uRef[i];
  }

  value(x: Float64Array, u: Float64Array | null): number {
    this.deltas(x, u);
    const n = this.ndx, m = this.nu, dx = this.dx, du = this.du;
    let v = 0;
    for (let i = 0; i < n; i++) { let s = 0; for (let j = 0; j < n; j++) s += this.Q[i * n + j] * dx[j]; v += 0.5 * dx[i] * s; }
    if (u) {
      for (let a = 0; a < m; a++) {
        let s = 0; for (let b = 0; b < m; b++) s += this.R[a * m + b] * du[b];
        let c = 0; for (let j = 0; j < n; j++) c += this.N[a * n + j] * dx[j];
        v += du[a] * (0.5 * s + c);
      }
    }
    return v;
  }

  calcDiff(x: Float64Array, u: Float64Array | null, out: CostDerivatives): number {
    const v = this.value(x, u);
    const n = this.ndx, m = this.nu, dx = this.dx, du = this.du;
    for (let i = 0; i < n; i++) {
      let s = 0; for (let j = 0; j < n; j++) s += this.Q[i * n + j] * dx[j];
      if (u) for (let a = 0; a < m; a++) s += this.N[a * n + i] * du[a];
      out.lx[i] = s;
    }
    out.lxx.set(this.Q);
    if (u) {
      for (let a = 0; a < m; a++) {
        let s = 0;
        for (let b = 0; b < m; b++) s += this.R[a * m + b] * du[b];
        for (let j = 0; j < n; j++) s += this.N[a * n + j] * dx[j];
        out.lu[a] = s;
      }
      out.luu.set(this.R);
      out.lux.set(this.N);
    }
    return v;
  }
}
