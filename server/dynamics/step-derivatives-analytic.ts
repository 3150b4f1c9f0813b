/**
 * Analytic Jacobians of the contact-free step (Simulator.stepInto with no contact and no limit
 * row), in step-derivatives.ts's layout: for x = (q, v), dx = [dq (nv, tangent); dv (nv)],
 *     A = d x_next / d x (2nv x 2nv),   B = d x_next / d tau_actuated (2nv x nu),
 * row-major at offsets ao / bo.
 *
 * The step (step.ts): H = M(q) + dt D, a = H⁻¹ (τ − nle(q, v) − D v),
 *     v_t = v + dt a + dt c(v),   c(v) = [ω × v_lin; 0] on a free-flyer (the transport term),
 * then `advance`: joints q' = q + dt v_t, v' = v_t; the free-flyer (R, p) moves to
 * (R E, p + dt R l) with E = exp(dt ω), and its stored linear velocity is v_lin' = Eᵀ l
 * (l, ω: v_t's linear and angular parts).
 *
 * Derivatives:
 *   ∂a/∂q = −H⁻¹ ∂RNEA(q, v, a)/∂q (∂H/∂q a = ∂M/∂q a: D is constant), ∂a/∂v = −H⁻¹ (∂RNEA/∂v + D),
 *   ∂a/∂τ = H⁻¹ (rnea-derivatives.ts); ∂c/∂v = [[ω]×, −[v_lin]×] on the base's linear rows.
 *   Integration, base rows (tangent of SE(3), q ⊕ δ = q exp6(δ), first order):
 *     δl' = Eᵀ δl − dt Eᵀ [l]× δω + dt Eᵀ δl_t,      δω' = Eᵀ δω + dt Jr(dt ω) δω_t,
 *     δv_lin' = Eᵀ δl_t + dt Eᵀ [l]× Jr(−dt ω) δω_t  (Jr: SO(3)'s right Jacobian).
 * B is with respect to the applied torque before the effort clamp, as the finite differences.
 */
import { JOINT_FREE, type Model } from '../model/model.ts';
import { solveMassMatrix } from './factor-m.ts';
import { createRneaDerivativesData, rneaDerivativesFromPlacements, type RneaDerivativesData } from './rnea-derivatives.ts';
import type { Simulator } from './step.ts';

export class FreeStepDerivatives {
  readonly sim: Simulator;
  readonly model: Model;
  readonly rd: RneaDerivativesData;
  /** ∂v_t/∂q, ∂v_t/∂v (nv x nv) and ∂v_t/∂τ_act (nv x nu), row-major. */
  readonly Xq: Float64Array;
  readonly Xv: Float64Array;
  readonly Xu: Float64Array;
  private readonly acc: Float64Array;
  private readonly col: Float64Array;
  private readonly vt: Float64Array;
  /** Base blocks (3x3 row-major): Eᵀ, Eᵀ[l]×, Jr(dt ω), Eᵀ[l]× Jr(−dt ω). */
  private readonly Et = new Float64Array(9);
  private readonly EtL = new Float64Array(9);
  private readonly Jr = new Float64Array(9);
  private readonly EtLJ = new Float64Array(9);
  private readonly floatingBase: boolean;

  constructor(sim: Simulator) {
    this.sim = sim;
    this.model = sim.model;
    const { nv, nu } = this.model;
    this.rd = createRneaDerivativesData(this.model);
    this.Xq = new Float64Array(nv * nv);
    this.Xv = new Float64Array(nv * nv);
    this.Xu = new Float64Array(nv * nu);
    this.acc = new Float64Array(nv);
    this.col = new Float64Array(nv);
    this.vt = new Float64Array(nv);
    const m = this.model;
    this.floatingBase = m.floating && m.jointTypes[1] === JOINT_FREE && m.idxV[1] === 0;
    for (let j = 2; j < m.njoints; j++) {
      if (m.jointTypes[j] === JOINT_FREE) throw new Error(`model ${m.name}: analytic derivatives support a free-flyer only as the root joint`);
    }
  }

  /**
   * Nominal step into (qNext, vNext) and its Jacobians A, B, for a state where the step has no
   * contact and no limit row (throws otherwise: see the caller's dispatch). Allocation-free.
   */
  linearize(
    q: ArrayLike<number>, v: ArrayLike<number>, u: ArrayLike<number>,
    qNext: Float64Array, vNext: Float64Array, A: Float64Array, B: Float64Array, ao = 0, bo = 0,
  ): void {
    const sim = this.sim;
    const nc = sim.positionStage(q, v);
    if (nc > 0 || sim.limits.count > 0) throw new Error('FreeStepDerivatives: the step has contact or limit rows');
    sim.freeVelocity(v, u);
    this.velocityJacobians(v);
    sim.contactStage(this.vt);
    sim.commitWarmStart();
    sim.advance(q, this.vt, qNext, vNext);
    this.chain(A, B, ao, bo);
  }

  /**
   * ∂v_free/∂(q, v, τ_act) into Xq, Xv, Xu, after sim.positionStage(q, v) and
   * sim.freeVelocity(v, u) (placements, H's factor, τ and nle in place).
   */
  velocityJacobians(v: ArrayLike<number>): void {
    const sim = this.sim, model = this.model, data = sim.data, nv = model.nv, nu = model.nu, dt = sim.options.dt;
    const { acc, col, Xq, Xv, Xu, rd } = this;
    const damping = model.damping;
    // a = H⁻¹ (τ − nle − D v) (freeVelocity left nle in data.tau)
    const nle = data.tau;
    for (let i = 0; i < nv; i++) acc[i] = sim.tau[i] - nle[i] - damping[i] * v[i];
    solveMassMatrix(model, data, acc, 0);
    rneaDerivativesFromPlacements(model, data, rd, v, acc);
    const dq = rd.dtau_dq, dv = rd.dtau_dv;
    for (let c = 0; c < nv; c++) {
      for (let r = 0; r < nv; r++) col[r] = -dt * dq[r * nv + c];
      solveMassMatrix(model, data, col, 0);
      for (let r = 0; r < nv; r++) Xq[r * nv + c] = col[r];
      for (let r = 0; r < nv; r++) col[r] = -dt * dv[r * nv + c];
      col[c] -= dt * damping[c];
      solveMassMatrix(model, data, col, 0);
      for (let r = 0; r < nv; r++) Xv[r * nv + c] = col[r];
      Xv[c * nv + c] += 1;
    }
    const act = sim.actuated;
    for (let k = 0; k < nu; k++) {
      for (let r = 0; r < nv; r++) col[r] = 0;
      col[act[k]] = dt;
      solveMassMatrix(model, data, col, 0);
      for (let r = 0; r < nv; r++) Xu[r * nu + k] = col[r];
    }
    if (this.floatingBase) {
      // c(v) = ω × v_lin on the base's linear rows: ∂/∂v_lin = [ω]×, ∂/∂ω = −[v_lin]×
      const lx = dt * v[0], ly = dt * v[1], lz = dt * v[2], wx = dt * v[3], wy = dt * v[4], wz = dt * v[5];
      Xv[1] -= wz; Xv[2] += wy; Xv[nv] += wz; Xv[nv + 2] -= wx; Xv[2 * nv] -= wy; Xv[2 * nv + 1] += wx;
      Xv[4] += lz; Xv[5] -= ly; Xv[nv + 3] -= lz; Xv[nv + 5] += lx; Xv[2 * nv + 3] += ly; Xv[2 * nv + 4] -= lx;
    }
  }

  /**
   * A, B from Xq, Xv, Xu through the integration stage at the end-of-step velocity in this.vt
   * (before `advance` re-expressed it).
   */
  private chain(A: Float64Array, B: Float64Array, ao: number, bo: number): void {
    const model = this.model, nv = model.nv, nu = model.nu, nx = 2 * nv, dt = this.sim.options.dt;
    const { Xq, Xv, Xu } = this;
    // joint rows (all rows without a floating base): dq' = dq + dt dv_t, dv' = dv_t
    const r0 = this.floatingBase ? 6 : 0;
    for (let r = r0; r < nv; r++) {
      const qa = ao + r * nx, va = ao + (nv + r) * nx;
      for (let c = 0; c < nv; c++) {
        const xq = Xq[r * nv + c], xv = Xv[r * nv + c];
        A[qa + c] = dt * xq; A[qa + nv + c] = dt * xv;
        A[va + c] = xq; A[va + nv + c] = xv;
      }
      A[qa + r] += 1;
      const qb = bo + r * nu, vb = bo + (nv + r) * nu;
      for (let k = 0; k < nu; k++) { const x = Xu[r * nu + k]; B[qb + k] = dt * x; B[vb + k] = x; }
    }
    if (!this.floatingBase) return;
    this.baseBlocks();
    const { Et, EtL, Jr, EtLJ } = this;
    // rows 0..5 of q' and v': P (∂q'_base/∂v_t) and V (∂v'_base/∂v_t) applied to X, plus Q (∂q'/∂q)
    for (let i = 0; i < 3; i++) {
      const ql = ao + i * nx, qw = ao + (i + 3) * nx, vl = ao + (nv + i) * nx, vw = ao + (nv + i + 3) * nx;
      for (let c = 0; c < nx; c++) {
        const X = c < nv ? Xq : Xv, cc = c < nv ? c : c - nv;
        let lin = 0, jang = 0, ljang = 0;
        for (let k = 0; k < 3; k++) {
          const xl = X[k * nv + cc], xw = X[(k + 3) * nv + cc];
          lin += Et[3 * i + k] * xl;
          jang += Jr[3 * i + k] * xw;
          ljang += EtLJ[3 * i + k] * xw;
        }
        A[ql + c] = dt * lin;
        A[qw + c] = dt * jang;
        A[vl + c] = lin + dt * ljang;
        A[vw + c] = X[(i + 3) * nv + cc];
      }
      // Q: δl' += Eᵀ δl − dt Eᵀ[l]× δω ; δω' += Eᵀ δω
      for (let k = 0; k < 3; k++) {
        A[ql + k] += Et[3 * i + k];
        A[ql + 3 + k] -= dt * EtL[3 * i + k];
        A[qw + 3 + k] += Et[3 * i + k];
      }
      const qlb = bo + i * nu, qwb = bo + (i + 3) * nu, vlb = bo + (nv + i) * nu, vwb = bo + (nv + i + 3) * nu;
      for (let c = 0; c < nu; c++) {
        let lin = 0, jang = 0, ljang = 0;
        for (let k = 0; k < 3; k++) {
          const xl = Xu[k * nu + c], xw = Xu[(k + 3) * nu + c];
          lin += Et[3 * i + k] * xl;
          jang += Jr[3 * i + k] * xw;
          ljang += EtLJ[3 * i + k] * xw;
        }
        B[qlb + c] = dt * lin;
        B[qwb + c] = dt * jang;
        B[vlb + c] = lin + dt * ljang;
        B[vwb + c] = Xu[(i + 3) * nu + c];
      }
    }
  }

  /** Eᵀ, Eᵀ[l]×, Jr(dt ω) and Eᵀ[l]× Jr(−dt ω) at the end-of-step base velocity (l, ω) = vt[0..6]. */
  private baseBlocks(): void {
    const dt = this.sim.options.dt, vt = this.vt;
    const lx = vt[0], ly = vt[1], lz = vt[2];
    const px = dt * vt[3], py = dt * vt[4], pz = dt * vt[5];
    const th2 = px * px + py * py + pz * pz, th = Math.sqrt(th2);
    // sin(th)/th, (1 − cos th)/th², (th − sin th)/th³ (series near 0)
    const s = th < 1e-4 ? 1 - th2 / 6 : Math.sin(th) / th;
    const a = th < 1e-4 ? 0.5 - th2 / 24 : (1 - Math.cos(th)) / th2;
    const b = th < 1e-4 ? 1 / 6 - th2 / 120 : (th - Math.sin(th)) / (th2 * th);
    const Et = this.Et, Jr = this.Jr, EtL = this.EtL, EtLJ = this.EtLJ;
    // with K = [φ]× and K² = φφᵀ − th² I: E = I + s K + a K², so Eᵀ = I − s K + a K²,
    // and Jr(φ) = I − a K + b K²
    for (let i = 0; i < 3; i++) {
      const pi = i === 0 ? px : i === 1 ? py : pz;
      for (let k = 0; k < 3; k++) {
        const pk = k === 0 ? px : k === 1 ? py : pz;
        const k2 = pi * pk - (i === k ? th2 : 0);
        const kk = skew(px, py, pz, i, k);
        const id = i === k ? 1 : 0;
        Et[3 * i + k] = id - s * kk + a * k2;
        Jr[3 * i + k] = id - a * kk + b * k2;
      }
    }
    // EtL = Eᵀ [l]×
    for (let i = 0; i < 3; i++) for (let k = 0; k < 3; k++) {
      EtL[3 * i + k] = Et[3 * i] * skew(lx, ly, lz, 0, k) + Et[3 * i + 1] * skew(lx, ly, lz, 1, k) + Et[3 * i + 2] * skew(lx, ly, lz, 2, k);
    }
    // Jr(−φ) = Jrᵀ(φ)
    for (let i = 0; i < 3; i++) for (let k = 0; k < 3; k++) {
      EtLJ[3 * i + k] = EtL[3 * i] * Jr[k * 3] + EtL[3 * i + 1] * Jr[k * 3 + 1] + EtL[3 * i + 2] * Jr[k * 3 + 2];
    }
  }
}

/** Entry (i, k) of [x]× (the cross-product matrix of (x, y, z)). */
function skew(x: number, y: number, z: number, i: number, k: number): number {
  if (i === k) return 0;
  if (i === 0) return k === 1 ? -z : y;
  if (i === 1) return k === 0 ? z : -x;
  return k === 0 ? -y : x;
}
