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
 * "variation" doYcrb = ∂(Y·)/∂ along the body's own motion (a 6x6), the force of and the
 * columns J = oMi·S, dV/dq, dA/dq, dA/dv; one forward and one backward pass, O(nv · depth).
 *
 * Tangent space (Pinocchio's): a free-flyer's column k is the perturbation q ⊕ h e_k =
 * q · exp6(h e_k) (lie.ts), i.e. a twist in the base frame; other joints are Euclidean.
 * Matrices are nv x nv row-major (row = τ component, column = coordinate).
 */
import { JOINT_FREE, type Model } from '../model/model.ts';
import { inertiaActAdd, inertiaMulMotion, motionAct, motionCrossForce } from '../model/spatial.ts';
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
  /** Per joint: world velocity, acceleration with gravity, force (6), composite inertia (10), its variation (36). */
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
    oYcrb: new Float64Array(10 * nj), doYcrb: new Float64Array(36 * nj),
    J: cols(), dVdq: cols(), dAdq: cols(), dAdv: cols(), dFdq: cols(), dFdv: cols(), dFda: cols(), dYtJ: cols(),
    subtreeStart, subtreeDofs: Int32Array.from(list), t6: new Float64Array(6), col: new Float64Array(12),
  };
}

/** out[oo..] = a × b (motion cross product, [w_a × v_b + v_a × w_b ; w_a × w_b]). out may not alias b. */
function motionCross(a: Float64Array, ao: number, b: Float64Array, bo: number, out: Float64Array, oo: number): void {
  const v1x = a[ao], v1y = a[ao + 1], v1z = a[ao + 2], w1x = a[ao + 3], w1y = a[ao + 4], w1z = a[ao + 5];
  const v2x = b[bo], v2y = b[bo + 1], v2z = b[bo + 2], w2x = b[bo + 3], w2y = b[bo + 4], w2z = b[bo + 5];
  out[oo] = w1y * v2z - w1z * v2y + v1y * w2z - v1z * w2y;
  out[oo + 1] = w1z * v2x - w1x * v2z + v1z * w2x - v1x * w2z;
  out[oo + 2] = w1x * v2y - w1y * v2x + v1x * w2y - v1y * w2x;
  out[oo + 3] = w1y * w2z - w1z * w2y;
  out[oo + 4] = w1z * w2x - w1x * w2z;
  out[oo + 5] = w1x * w2y - w1y * w2x;
}

function dot6(a: Float64Array, ao: number, b: Float64Array, bo: number): number {
  return a[ao] * b[bo] + a[ao + 1] * b[bo + 1] + a[ao + 2] * b[bo + 2] + a[ao + 3] * b[bo + 3] + a[ao + 4] * b[bo + 4] + a[ao + 5] * b[bo + 5];
}

/** out = D x (6x6 row-major D at D[o..]). */
function mat6Mul(D: Float64Array, o: number, x: Float64Array, xo: number, out: Float64Array, oo: number, add: boolean): void {
  for (let r = 0; r < 6; r++) {
    const s = dot6(D, o + 6 * r, x, xo);
    out[oo + r] = add ? out[oo + r] + s : s;
  }
}

/** out = Dᵀ x. */
function mat6MulT(D: Float64Array, o: number, x: Float64Array, xo: number, out: Float64Array, oo: number): void {
  for (let c = 0; c < 6; c++) {
    out[oo + c] = D[o + c] * x[xo] + D[o + 6 + c] * x[xo + 1] + D[o + 12 + c] * x[xo + 2]
      + D[o + 18 + c] * x[xo + 3] + D[o + 24 + c] * x[xo + 4] + D[o + 30 + c] * x[xo + 5];
  }
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
    // of = Y oa + ov ×* (Y ov), with h = Y ov kept in col[6..12]
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
    // doY m = ov ×* (Y m) - Y (ov × m) + m ×* (Y ov), column by column (h = Y ov in col[6..12])
    const D = doYcrb, io = 36 * j;
    for (let c = 0; c < 6; c++) {
      for (let r = 0; r < 6; r++) col[r] = r === c ? 1 : 0;
      inertiaMulMotion(oYcrb, yo, col, 0, t6, 0);
      motionCrossForce(ov, o, t6, 0, dFdv, 0); // dFdv's first column as scratch (set again below)
      for (let r = 0; r < 6; r++) D[io + 6 * r + c] = dFdv[r];
      motionCross(ov, o, col, 0, t6, 0);
      inertiaMulMotion(oYcrb, yo, t6, 0, dFdv, 0);
      for (let r = 0; r < 6; r++) D[io + 6 * r + c] -= dFdv[r];
      motionCrossForce(col, 0, col, 6, dFdv, 0);
      for (let r = 0; r < 6; r++) D[io + 6 * r + c] += dFdv[r];
    }
  }

  // Backward pass: composite quantities, leaves to root.
  for (let j = nj - 1; j >= 1; j--) {
    const p = parents[j], o = 6 * j, yo = 10 * j, io = 36 * j;
    const iv = model.idxV[j], nvj = model.nvs[j], s0 = w.subtreeStart[j], s1 = w.subtreeStart[j + 1], sub = w.subtreeDofs;
    for (let k = 0; k < nvj; k++) {
      const c = 6 * (iv + k);
      tau[iv + k] = dot6(J, c, of, o);
      inertiaMulMotion(oYcrb, yo, J, c, dFda, c);
    }
    // rows of the descendants, columns of j
    for (let t = s0 + nvj; t < s1; t++) {
      const r = sub[t], ro = 6 * r;
      for (let k = 0; k < nvj; k++) {
        const c = 6 * (iv + k);
        dq[r * nv + iv + k] = dot6(dFda, ro, dAdq, c) + dot6(dYtJ, ro, dVdq, c);
        dv[r * nv + iv + k] = dot6(dFda, ro, dAdv, c) + dot6(dYtJ, ro, J, c);
      }
    }
    for (let k = 0; k < nvj; k++) {
      const c = 6 * (iv + k);
      if (p > 0) { mat6Mul(doYcrb, io, dVdq, c, dFdq, c, false); inertiaMulMotion(oYcrb, yo, dAdq, c, t6, 0); for (let r = 0; r < 6; r++) dFdq[c + r] += t6[r]; }
      else inertiaMulMotion(oYcrb, yo, dAdq, c, dFdq, c);
      mat6MulT(doYcrb, io, J, c, dYtJ, c);
      mat6Mul(doYcrb, io, J, c, dFdv, c, false);
      inertiaMulMotion(oYcrb, yo, dAdv, c, t6, 0);
      for (let r = 0; r < 6; r++) dFdv[c + r] += t6[r];
    }
    // rows of j, columns of its subtree
    for (let k = 0; k < nvj; k++) {
      const row = iv + k, c = 6 * row;
      for (let t = s0; t < s1; t++) {
        const s = sub[t];
        dq[row * nv + s] = dot6(J, c, dFdq, 6 * s);
        dv[row * nv + s] = dot6(J, c, dFdv, 6 * s);
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
      for (let k = 0; k < 36; k++) doYcrb[36 * p + k] += doYcrb[io + k];
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
