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
import { solveMassMatrix, solveMassMatrixMany } from './factor-m.ts';
import { createRneaDerivativesData, rneaDerivativesFromPlacements, type RneaDerivativesData } from './rnea-derivatives.ts';
import type { Simulator } from './step.ts';

export class FreeStepDerivatives {
  readonly sim: Simulator;
  readonly model: Model;
  readonly rd: RneaDerivativesData;
  /** [∂v_t/∂q | ∂v_t/∂v | ∂v_t/∂τ_act]: nv x (2nv + nu), row-major. */
  readonly X: Float64Array;
  /** Columns of X (2nv + nu). */
  readonly ncols: number;
  private readonly acc: Float64Array;
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
    this.ncols = 2 * nv + nu;
    this.X = new Float64Array(nv * this.ncols);
    this.acc = new Float64Array(nv);
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
   * ∂v_free/∂(q, v, τ_act) into X, after sim.positionStage(q, v) and sim.freeVelocity(v, u)
   * (placements, H's factor, τ and nle in place): the right-hand sides of all 2nv + nu columns,
   * then one multi-column solve with H.
   */
  velocityJacobians(v: ArrayLike<number>): void {
    const sim = this.sim, model = this.model, data = sim.data, nv = model.nv, nu = model.nu, dt = sim.options.dt;
    const { acc, X, rd, ncols } = this;
    const damping = model.damping;
    // a = H⁻¹ (τ − nle − D v) (freeVelocity left nle in data.tau)
    const nle = data.tau;
    for (let i = 0; i < nv; i++) acc[i] = sim.tau[i] - nle[i] - damping[i] * v[i];
    solveMassMatrix(model, data, acc, 0);
    rneaDerivativesFromPlacements(model, data, rd, v, acc);
    const dq = rd.dtau_dq, dv = rd.dtau_dv, nx = 2 * nv;
    X.fill(0);
    for (let r = 0; r < nv; r++) {
      const xo = r * ncols, ro = r * nv;
      for (let c = 0; c < nv; c++) { X[xo + c] = -dt * dq[ro + c]; X[xo + nv + c] = -dt * dv[ro + c]; }
      X[xo + nv + r] -= dt * damping[r];
    }
    const act = sim.actuated;
    for (let k = 0; k < nu; k++) X[act[k] * ncols + nx + k] = dt;
    solveMassMatrixMany(model, data, X, ncols);
    for (let r = 0; r < nv; r++) X[r * ncols + nv + r] += 1;
    if (this.floatingBase) {
      // c(v) = ω × v_lin on the base's linear rows: ∂/∂v_lin = [ω]×, ∂/∂ω = −[v_lin]×
      const lx = dt * v[0], ly = dt * v[1], lz = dt * v[2], wx = dt * v[3], wy = dt * v[4], wz = dt * v[5];
      const r0 = nv, r1 = ncols + nv, r2 = 2 * ncols + nv;
      X[r0 + 1] -= wz; X[r0 + 2] += wy; X[r1] += wz; X[r1 + 2] -= wx; X[r2] -= wy; X[r2 + 1] += wx;
      X[r0 + 4] += lz; X[r0 + 5] -= ly; X[r1 + 3] -= lz; X[r1 + 5] += lx; X[r2 + 3] += ly; X[r2 + 4] -= lx;
    }
  }

  /**
   * A, B from Xq, Xv, Xu through the integration stage at the end-of-step velocity in this.vt
   * (before `advance` re-expressed it).
   */
  private chain(A: Float64Array, B: Float64Array, ao: number, bo: number): void {
    const model = this.model, nv = model.nv, nu = model.nu, nx = 2 * nv, dt = this.sim.options.dt;
    const { X, ncols } = this;
    // joint rows (all rows without a floating base): dq' = dq + dt dv_t, dv' = dv_t
    const r0 = this.floatingBase ? 6 : 0;
    for (let r = r0; r < nv; r++) {
      const qa = ao + r * nx, va = ao + (nv + r) * nx, xo = r * ncols;
      for (let c = 0; c < nx; c++) { const x = X[xo + c]; A[qa + c] = dt * x; A[va + c] = x; }
      A[qa + r] += 1;
      const qb = bo + r * nu, vb = bo + (nv + r) * nu;
      for (let k = 0; k < nu; k++) { const x = X[xo + nx + k]; B[qb + k] = dt * x; B[vb + k] = x; }
    }
    if (!this.floatingBase) return;
    this.baseBlocks();
    const { Et, EtL, Jr, EtLJ } = this;
    // rows 0..5 of q' and v': P (∂q'_base/∂v_t) and V (∂v'_base/∂v_t) applied to X (the A and B
    // columns alike), plus Q (∂q'/∂q) on A's base columns
    for (let i = 0; i < 3; i++) {
      const ql = i * nx, qw = (i + 3) * nx, vl = (nv + i) * nx, vw = (nv + i + 3) * nx;
      const qlb = i * nu, qwb = (i + 3) * nu, vlb = (nv + i) * nu, vwb = (nv + i + 3) * nu;
      for (let c = 0; c < ncols; c++) {
        let lin = 0, jang = 0, ljang = 0;
        for (let k = 0; k < 3; k++) {
          const xl = X[k * ncols + c], xw = X[(k + 3) * ncols + c];
          lin += Et[3 * i + k] * xl;
          jang += Jr[3 * i + k] * xw;
          ljang += EtLJ[3 * i + k] * xw;
        }
        const ang = X[(i + 3) * ncols + c];
        if (c < nx) {
          A[ao + ql + c] = dt * lin; A[ao + qw + c] = dt * jang; A[ao + vl + c] = lin + dt * ljang; A[ao + vw + c] = ang;
        } else {
          const b = c - nx;
          B[bo + qlb + b] = dt * lin; B[bo + qwb + b] = dt * jang; B[bo + vlb + b] = lin + dt * ljang; B[bo + vwb + b] = ang;
        }
      }
      // Q: δl' += Eᵀ δl − dt Eᵀ[l]× δω ; δω' += Eᵀ δω
      for (let k = 0; k < 3; k++) {
        A[ao + ql + k] += Et[3 * i + k];
        A[ao + ql + 3 + k] -= dt * EtL[3 * i + k];
        A[ao + qw + 3 + k] += Et[3 * i + k];
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
