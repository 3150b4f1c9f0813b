/**
 * Analytic derivatives of inverse dynamics (Carpentier & Mansard, "Analytical derivatives of
 * rigid body dynamics algorithms", RSS 2018; the algorithm of Pinocchio's
 * computeRNEADerivatives, written here over this project's layouts):
 *     ∂τ/∂q, ∂τ/∂v of τ = RNEA(q, v, a),
 * and from them the forward dynamics' ∂a/∂q = -M⁻¹ ∂τ/∂q, ∂a/∂v = -M⁻¹ ∂τ/∂v, ∂a/∂τ = M⁻¹
 * at a = ABA(q, v, τ).
 *
 * Everything is expressed in the WORLD frame at the world origin (as aba.ts): per joint the
 * composite inertia oYcrb (origin form, spatial.ts: composites add component-wise), its
 * variation doYcrb along the bodies' motion (12 numbers, see inertiaVariation), the force of and the
 * columns J = oMi·S, dV/dq, dA/dq, dA/dv; one forward and one backward pass, O(nv · depth).
 *
 * Tangent space (Pinocchio's): a free-flyer's column k is the perturbation q ⊕ h e_k =
 * q · exp6(h e_k) (lie.ts), i.e. a twist in the base frame; other joints are Euclidean.
 * Matrices are nv x nv row-major (row = τ component, column = coordinate).
 */
import { JOINT_FREE, type Model } from '../model/model.ts';
import { inertiaActAdd, inertiaMulMotion, motionAct, motionCross, motionCrossForce } from '../model/spatial.ts';
import { aba } from './aba.ts';
import { crbaFromPlacements } from './crba.ts';
import { motionSubspaceColumn } from './crba.ts';
import type { Data } from './data.ts';
import { factorMassMatrix, solveMassMatrix } from './factor-m.ts';
import { forwardKinematics } from './kinematics.ts';

/** Workspace of the derivative algorithms for one model (allocated once, like Data). */
export interface RneaDerivativesData {
  /** ∂τ/∂q and ∂τ/∂v (nv x nv row-major), written by rneaDerivatives. */
  readonly dtau_dq: Float64Array;
  readonly dtau_dv: Float64Array;
  /** τ = RNEA(q, v, a) (nv), written by rneaDerivatives. */
  readonly tau: Float64Array;
  /** Forward dynamics: ∂a/∂q, ∂a/∂v, ∂a/∂τ = M⁻¹ (nv x nv) and a (nv), written by abaDerivatives. */
  readonly da_dq: Float64Array;
  readonly da_dv: Float64Array;
  readonly da_dtau: Float64Array;
  readonly ddq: Float64Array;
  /**
   * Per joint: world velocity, acceleration with gravity, force (6), composite inertia (10),
   * and its variation doYcrb (12: see doYMul).
   */
  readonly ov: Float64Array;
  readonly oa: Float64Array;
  readonly of: Float64Array;
  readonly oYcrb: Float64Array;
  readonly doYcrb: Float64Array;
  /** Per dof (6 each, column k at 6k): J, dV/dq, dA/dq, dA/dv, dF/dq, dF/dv, dF/da (= Ycrb J), doYcrbᵀ J. */
  readonly J: Float64Array;
  readonly dVdq: Float64Array;
  readonly dAdq: Float64Array;
  readonly dAdv: Float64Array;
  readonly dFdq: Float64Array;
  readonly dFdv: Float64Array;
  readonly dFda: Float64Array;
  readonly dYtJ: Float64Array;
  /**
   * Dofs of each joint's subtree, the joint's own first: subtreeDofs[subtreeStart[j] ..
   * subtreeStart[j + 1]) (lists, not ranges: parents[i] < i does not make subtrees contiguous).
   */
  readonly subtreeStart: Int32Array;
  readonly subtreeDofs: Int32Array;
  readonly t6: Float64Array;
  readonly col: Float64Array;
}

export function createRneaDerivativesData(model: Model): RneaDerivativesData {
  const nj = model.njoints, nv = model.nv;
  const subtreeStart = new Int32Array(nj + 1), list: number[] = [];
  for (let j = 0; j < nj; j++) {
    subtreeStart[j] = list.length;
    if (j === 0) continue;
    for (let i = j; i < nj; i++) {
      let a = i;
      while (a > j) a = model.parents[a];
      if (a === j) for (let k = 0; k < model.nvs[i]; k++) list.push(model.idxV[i] + k);
    }
  }
  subtreeStart[nj] = list.length;
  const cols = () => new Float64Array(6 * nv);
  return {
    dtau_dq: new Float64Array(nv * nv), dtau_dv: new Float64Array(nv * nv), tau: new Float64Array(nv),
    da_dq: new Float64Array(nv * nv), da_dv: new Float64Array(nv * nv), da_dtau: new Float64Array(nv * nv), ddq: new Float64Array(nv),
    ov: new Float64Array(6 * nj), oa: new Float64Array(6 * nj), of: new Float64Array(6 * nj),
    oYcrb: new Float64Array(10 * nj), doYcrb: new Float64Array(12 * nj),
    J: cols(), dVdq: cols(), dAdq: cols(), dAdv: cols(), dFdq: cols(), dFdv: cols(), dFda: cols(), dYtJ: cols(),
    subtreeStart, subtreeDofs: Int32Array.from(list), t6: new Float64Array(6), col: new Float64Array(12),
  };
}


/**
 * out[oo] = a·b (6 entries), + c·d when c is given. Results are stored, never returned: a double
 * returned from a call V8 does not inline is boxed (an allocation per call).
 */
function dotInto(a: Float64Array, ao: number, b: Float64Array, bo: number, out: Float64Array, oo: number): void {
  out[oo] = a[ao] * b[bo] + a[ao + 1] * b[bo + 1] + a[ao + 2] * b[bo + 2] + a[ao + 3] * b[bo + 3] + a[ao + 4] * b[bo + 4] + a[ao + 5] * b[bo + 5];
}

function dot2Into(
  a: Float64Array, ao: number, b: Float64Array, bo: number, c: Float64Array, co: number, d: Float64Array, dO: number,
  out: Float64Array, oo: number,
): void {
  out[oo] = a[ao] * b[bo] + a[ao + 1] * b[bo + 1] + a[ao + 2] * b[bo + 2] + a[ao + 3] * b[bo + 3] + a[ao + 4] * b[bo + 4] + a[ao + 5] * b[bo + 5]
    + c[co] * d[dO] + c[co + 1] * d[dO + 1] + c[co + 2] * d[dO + 2] + c[co + 3] * d[dO + 3] + c[co + 4] * d[dO + 4] + c[co + 5] * d[dO + 5];
}

/*
 * The inertia variation (Pinocchio's doYcrb): for a body of world inertia Y moving at ov = [v; w]
 * with momentum h = Y ov = [f; n],
 *     doY m = ov ×* (Y m) − Y (ov × m) + m ×* h.
 * Written out in blocks with Y = [[m I, −[H]×], [[H]×, J]] (origin form: H = m c, J about the
 * origin), the identity [a]×[b]× − [b]×[a]× = [a × b]× and f = m v + w × H, its left column
 * vanishes and
 *     doY = [[0, −2 [f]×], [0, Δ]],   Δ = −(H vᵀ + v Hᵀ) + 2 (v·H) I + [w]× J + ([w]× J)ᵀ − [n]×
 * (J [w]× = −([w]× J)ᵀ as J is symmetric). Stored as 12 numbers: f (3), Δ (9, row-major); a
 * composite's is the sum of its bodies'.
 */

/** out = doY x (12-number variation at D[o..]): [−2 f × x_ω ; Δ x_ω]. */
function doYMul(D: Float64Array, o: number, x: Float64Array, xo: number, out: Float64Array, oo: number): void {
  const fx = D[o], fy = D[o + 1], fz = D[o + 2];
  const ax = x[xo + 3], ay = x[xo + 4], az = x[xo + 5];
  out[oo] = -2 * (fy * az - fz * ay);
  out[oo + 1] = -2 * (fz * ax - fx * az);
  out[oo + 2] = -2 * (fx * ay - fy * ax);
  out[oo + 3] = D[o + 3] * ax + D[o + 4] * ay + D[o + 5] * az;
  out[oo + 4] = D[o + 6] * ax + D[o + 7] * ay + D[o + 8] * az;
  out[oo + 5] = D[o + 9] * ax + D[o + 10] * ay + D[o + 11] * az;
}

/** out = doYᵀ x: [0 ; 2 f × x_lin + Δᵀ x_ang]. */
function doYMulT(D: Float64Array, o: number, x: Float64Array, xo: number, out: Float64Array, oo: number): void {
  const fx = D[o], fy = D[o + 1], fz = D[o + 2];
  const lx = x[xo], ly = x[xo + 1], lz = x[xo + 2], ax = x[xo + 3], ay = x[xo + 4], az = x[xo + 5];
  out[oo] = 0; out[oo + 1] = 0; out[oo + 2] = 0;
  out[oo + 3] = 2 * (fy * lz - fz * ly) + D[o + 3] * ax + D[o + 6] * ay + D[o + 9] * az;
  out[oo + 4] = 2 * (fz * lx - fx * lz) + D[o + 4] * ax + D[o + 7] * ay + D[o + 10] * az;
  out[oo + 5] = 2 * (fx * ly - fy * lx) + D[o + 5] * ax + D[o + 8] * ay + D[o + 11] * az;
}

/** Writes the variation of the origin-form inertia Y[yo..] at the velocity ov[vo..] into D[o..]. */
function inertiaVariation(Y: Float64Array, yo: number, ov: Float64Array, vo: number, D: Float64Array, o: number): void {
  const m = Y[yo], Hx = Y[yo + 1], Hy = Y[yo + 2], Hz = Y[yo + 3];
  const Jxx = Y[yo + 4], Jyy = Y[yo + 5], Jzz = Y[yo + 6], Jxy = Y[yo + 7], Jxz = Y[yo + 8], Jyz = Y[yo + 9];
  const vx = ov[vo], vy = ov[vo + 1], vz = ov[vo + 2], wx = ov[vo + 3], wy = ov[vo + 4], wz = ov[vo + 5];
  // f = m v − H × w, n = H × v + J w
  D[o] = m * vx - (Hy * wz - Hz * wy);
  D[o + 1] = m * vy - (Hz * wx - Hx * wz);
  D[o + 2] = m * vz - (Hx * wy - Hy * wx);
  const nx = Hy * vz - Hz * vy + Jxx * wx + Jxy * wy + Jxz * wz;
  const ny = Hz * vx - Hx * vz + Jxy * wx + Jyy * wy + Jyz * wz;
  const nz = Hx * vy - Hy * vx + Jxz * wx + Jyz * wy + Jzz * wz;
  // W = [w]× J: column k is w × J_k
  const w00 = wy * Jxz - wz * Jxy, w10 = wz * Jxx - wx * Jxz, w20 = wx * Jxy - wy * Jxx;
  const w01 = wy * Jyz - wz * Jyy, w11 = wz * Jxy - wx * Jyz, w21 = wx * Jyy - wy * Jxy;
  const w02 = wy * Jzz - wz * Jyz, w12 = wz * Jxz - wx * Jzz, w22 = wx * Jyz - wy * Jxz;
  const vH = 2 * (vx * Hx + vy * Hy + vz * Hz);
  D[o + 3] = -2 * Hx * vx + vH + 2 * w00;
  D[o + 4] = -(Hx * vy + vx * Hy) + w01 + w10 + nz;
  D[o + 5] = -(Hx * vz + vx * Hz) + w02 + w20 - ny;
  D[o + 6] = -(Hy * vx + vy * Hx) + w10 + w01 - nz;
  D[o + 7] = -2 * Hy * vy + vH + 2 * w11;
  D[o + 8] = -(Hy * vz + vy * Hz) + w12 + w21 + nx;
  D[o + 9] = -(Hz * vx + vz * Hx) + w20 + w02 + ny;
  D[o + 10] = -(Hz * vy + vz * Hy) + w21 + w12 - nx;
  D[o + 11] = -2 * Hz * vz + vH + 2 * w22;
}

/**
 * ∂τ/∂q and ∂τ/∂v of τ = RNEA(q, v, a) into w.dtau_dq, w.dtau_dv (and τ into w.tau).
 * Runs forward kinematics at q (data.liMi, data.oMi). Allocation-free.
 */
export function rneaDerivatives(
  model: Model, data: Data, w: RneaDerivativesData, q: ArrayLike<number>, v: ArrayLike<number>, a: ArrayLike<number>,
): void {
  forwardKinematics(model, data, q);
  rneaDerivativesFromPlacements(model, data, w, v, a);
}

/** rneaDerivatives from the placements already in data.oMi (forward kinematics at q). */
export function rneaDerivativesFromPlacements(
  model: Model, data: Data, w: RneaDerivativesData, v: ArrayLike<number>, a: ArrayLike<number>,
): void {
  const nj = model.njoints, nv = model.nv, parents = model.parents;
  const O = data.oMi, Yb = data.Ybody;
  const { ov, oa, of, oYcrb, doYcrb, J, dVdq, dAdq, dAdv, dFdq, dFdv, dFda, dYtJ, t6, col } = w;
  const dq = w.dtau_dq, dv = w.dtau_dv, tau = w.tau;
  dq.fill(0); dv.fill(0);
  for (let k = 0; k < 6; k++) ov[k] = 0;
  oa[0] = -model.gravity[0]; oa[1] = -model.gravity[1]; oa[2] = -model.gravity[2]; oa[3] = 0; oa[4] = 0; oa[5] = 0;

  // Forward pass: world velocities, accelerations (with -g), forces, columns, inertia variations.
  for (let j = 1; j < nj; j++) {
    const p = parents[j], o = 6 * j, po = 6 * p, mo = 12 * j;
    const iv = model.idxV[j], nvj = model.nvs[j];
    for (let k = 0; k < 6; k++) t6[k] = 0; // Σ J_k v_k
    for (let k = 0; k < nvj; k++) {
      const c = 6 * (iv + k);
      motionSubspaceColumn(model, j, k, col);
      motionAct(O, mo, col, 0, J, c);
      const vk = v[iv + k];
      for (let r = 0; r < 6; r++) t6[r] += J[c + r] * vk;
    }
    for (let r = 0; r < 6; r++) ov[o + r] = ov[po + r] + t6[r];
    // oa = oa_p + Σ J_k a_k + ov × (Σ J_k v_k)
    motionCross(ov, o, t6, 0, oa, o);
    for (let r = 0; r < 6; r++) oa[o + r] += oa[po + r];
    for (let k = 0; k < nvj; k++) {
      const c = 6 * (iv + k), ak = a[iv + k];
      for (let r = 0; r < 6; r++) oa[o + r] += J[c + r] * ak;
    }
    // world inertia of the body alone (composites are summed in the backward pass)
    const yo = 10 * j;
    for (let k = 0; k < 10; k++) oYcrb[yo + k] = 0;
    inertiaActAdd(O, mo, Yb, yo, oYcrb, yo);
    // of = Y oa + ov ×* (Y ov)
    inertiaMulMotion(oYcrb, yo, ov, o, col, 6);
    motionCrossForce(ov, o, col, 6, of, o);
    inertiaMulMotion(oYcrb, yo, oa, o, t6, 0);
    for (let r = 0; r < 6; r++) of[o + r] += t6[r];
    // columns: dA/dq = oa_p × J (+ ov_p × dV/dq), dV/dq = ov_p × J, dA/dv = ov × J + dV/dq
    for (let k = 0; k < nvj; k++) {
      const c = 6 * (iv + k);
      motionCross(oa, po, J, c, dAdq, c);
      motionCross(ov, o, J, c, dAdv, c);
      if (p > 0) {
        motionCross(ov, po, J, c, dVdq, c);
        motionCross(ov, po, dVdq, c, t6, 0);
        for (let r = 0; r < 6; r++) { dAdq[c + r] += t6[r]; dAdv[c + r] += dVdq[c + r]; }
      } else {
        for (let r = 0; r < 6; r++) dVdq[c + r] = 0;
      }
    }
    inertiaVariation(oYcrb, yo, ov, o, doYcrb, 12 * j);
  }

  // Backward pass: composite quantities, leaves to root.
  for (let j = nj - 1; j >= 1; j--) {
    const p = parents[j], o = 6 * j, yo = 10 * j, io = 12 * j;
    const iv = model.idxV[j], nvj = model.nvs[j], s0 = w.subtreeStart[j], s1 = w.subtreeStart[j + 1], sub = w.subtreeDofs;
    for (let k = 0; k < nvj; k++) {
      const c = 6 * (iv + k);
      dotInto(J, c, of, o, tau, iv + k);
      inertiaMulMotion(oYcrb, yo, J, c, dFda, c);
    }
    // rows of the descendants, columns of j
    for (let t = s0 + nvj; t < s1; t++) {
      const r = sub[t], ro = 6 * r;
      for (let k = 0; k < nvj; k++) {
        const c = 6 * (iv + k);
        dot2Into(dFda, ro, dAdq, c, dYtJ, ro, dVdq, c, dq, r * nv + iv + k);
        dot2Into(dFda, ro, dAdv, c, dYtJ, ro, J, c, dv, r * nv + iv + k);
      }
    }
    for (let k = 0; k < nvj; k++) {
      const c = 6 * (iv + k);
      if (p > 0) { doYMul(doYcrb, io, dVdq, c, dFdq, c); inertiaMulMotion(oYcrb, yo, dAdq, c, t6, 0); for (let r = 0; r < 6; r++) dFdq[c + r] += t6[r]; }
      else inertiaMulMotion(oYcrb, yo, dAdq, c, dFdq, c);
      doYMulT(doYcrb, io, J, c, dYtJ, c);
      doYMul(doYcrb, io, J, c, dFdv, c);
      inertiaMulMotion(oYcrb, yo, dAdv, c, t6, 0);
      for (let r = 0; r < 6; r++) dFdv[c + r] += t6[r];
    }
    // rows of j, columns of its subtree
    for (let k = 0; k < nvj; k++) {
      const row = iv + k, c = 6 * row;
      for (let t = s0; t < s1; t++) {
        const s = sub[t];
        dotInto(J, c, dFdq, 6 * s, dq, row * nv + s);
        dotInto(J, c, dFdv, 6 * s, dv, row * nv + s);
      }
    }
    // the ancestors' rows see J ×* f as well (their own columns do not move with q_j)
    for (let k = 0; k < nvj; k++) {
      const c = 6 * (iv + k);
      motionCrossForce(J, c, of, o, t6, 0);
      for (let r = 0; r < 6; r++) dFdq[c + r] += t6[r];
    }
    if (p > 0) {
      for (let k = 0; k < 10; k++) oYcrb[10 * p + k] += oYcrb[yo + k];
      for (let k = 0; k < 12; k++) doYcrb[12 * p + k] += doYcrb[io + k];
      for (let k = 0; k < 6; k++) of[6 * p + k] += of[o + k];
    }
  }
}

/**
 * Forward dynamics derivatives at a = ABA(q, v, τ): w.ddq = a, w.da_dq = -M⁻¹ ∂τ/∂q,
 * w.da_dv = -M⁻¹ ∂τ/∂v, w.da_dtau = M⁻¹ (dense, nv x nv). Uses data.M and data.Mfactor
 * (CRBA and its LᵀDL factor at q). Allocation-free.
 */
export function abaDerivatives(
  model: Model, data: Data, w: RneaDerivativesData, q: ArrayLike<number>, v: ArrayLike<number>, tau: ArrayLike<number>,
): void {
  const nv = model.nv;
  w.ddq.set(aba(model, data, q, v, tau));
  rneaDerivatives(model, data, w, q, v, w.ddq);
  crbaFromPlacements(model, data);
  factorMassMatrix(model, data);
  const col = data.tmpNv;
  for (let c = 0; c < nv; c++) {
    // columns of -M⁻¹ ∂τ/∂q, -M⁻¹ ∂τ/∂v and M⁻¹
    for (let r = 0; r < nv; r++) col[r] = -w.dtau_dq[r * nv + c];
    solveMassMatrix(model, data, col, 0);
    for (let r = 0; r < nv; r++) w.da_dq[r * nv + c] = col[r];
    for (let r = 0; r < nv; r++) col[r] = -w.dtau_dv[r * nv + c];
    solveMassMatrix(model, data, col, 0);
    for (let r = 0; r < nv; r++) w.da_dv[r * nv + c] = col[r];
    for (let r = 0; r < nv; r++) col[r] = r === c ? 1 : 0;
    solveMassMatrix(model, data, col, 0);
    for (let r = 0; r < nv; r++) w.da_dtau[r * nv + c] = col[r];
  }
}

/** True when the model has only joints these derivatives support (free-flyer as joint 1, revolute, prismatic). */
export function rneaDerivativesSupported(model: Model): boolean {
  for (let j = 1; j < model.njoints; j++) if (model.jointTypes[j] === JOINT_FREE && j !== 1) return false;
  return true;
}
