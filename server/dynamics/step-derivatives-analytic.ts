/**
 * Analytic Jacobians of the contact step (Simulator.stepInto), in step-derivatives.ts's layout:
 * for x = (q, v), dx = [dq (nv, tangent); dv (nv)],
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
 *
 * Contacts and stops: implicit differentiation through the active set of the step's solution
 * (activeSet, impulseTerms, projectOnActiveSet, slidingRows): separated contacts (zero impulse)
 * and stops that do not push drop out; a sticking contact's rows and a pushing stop's row are
 * equalities J_S v_t + b_S = 0 (bias b held at its nominal value, as the finite differences
 * hold it); a sliding contact keeps its normal row and has λ_t = −μ λ_n û. With
 * Δv = v_t − v_free = H⁻¹ J_Sᵀ λ:
 *     w = δv_free + H⁻¹ (δ(J_Sᵀ λ) − δM Δv),   δv_t = w + H⁻¹ J_Sᵀ δλ,
 * δλ from the active rows' linearized conditions (G_SS = J_S H⁻¹ J_Sᵀ, symmetric without sliding,
 * LU with). Covered: contacts with the ground plane of spheres, capsules and boxes; any stop.
 * Not covered (linearize throws, naming the contact): contacts with static boxes, cylinders,
 * a sliding contact with zero tangential velocity. At an active-set change (a contact or stop
 * exactly at the switch) the derivative of the active set the solve found is returned: the
 * one-sided derivative on that branch (test: a stop 1e-9 rad/s short of pushing gives the
 * branch where it does not push).
 */
import { JOINT_FREE, type Model } from '../model/model.ts';
import { motionCross, motionCrossForce } from '../model/spatial.ts';
import { choleskyInPlace, choleskySolveInPlace } from '../math/linalg.ts';
import { SHAPE_BOX, SHAPE_CAPSULE, SHAPE_SPHERE } from './collision.ts';
import { ActiveSetNullSpace } from './active-set-nullspace.ts';
import { solveMassMatrix, solveMassMatrixMany } from './factor-m.ts';
import { createRneaDerivativesData, rneaDerivativesFromPlacements, type RneaDerivativesData } from './rnea-derivatives.ts';
import type { Simulator } from './step.ts';

/** A step the analytic derivatives do not cover (the caller falls back to finite differences). */
export class NotCoveredError extends Error {}

export class AnalyticLinearizer {
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
  // active set of the contact solution (sticking contacts, pushing stops) and its workspaces,
  // sized for the simulator's capacities: m ≤ 3 maxContacts + limit rows
  private readonly stickIdx: Int32Array;
  /** Per active contact: 1 when it slides (impulse on the cone's boundary). */
  private readonly sliding: Uint8Array;
  private nSliding = 0;
  private readonly piv: Int32Array;
  private readonly limIdx: Int32Array;
  private ns = 0;
  private na = 0;
  private m = 0;
  /** Active rows of the last linearize (3 per sticking contact, then one per pushing stop). */
  get activeRows(): number { return 3 * this.ns + this.na; }
  /** Rank of the last linearize's active rows (dofs they lock) when they are all equalities, else 0. */
  get lockedDofs(): number { return this.m > 0 && this.nSliding === 0 ? this.ns0.rank : 0; }
  /** Sliding contacts among the active ones of the last linearize. */
  get slidingContacts(): number { return this.nSliding; }
  /** Dense active rows J_S (m x nv) of the last linearize (contact frames; a stop's is s e_dof). */
  readonly JS: Float64Array;
  /** C = ∂(J_S v_t)/∂q (m x nv), Y = H⁻¹ J_Sᵀ (nv x m), G_SS (m x m), R (m x ncols). */
  private readonly Cq: Float64Array;
  private readonly Y: Float64Array;
  private readonly GS: Float64Array;
  private readonly RS: Float64Array;
  /** One contact's chain dofs (root first), the world velocity before each, scratch motions. */
  private readonly chainDofs: Int32Array;
  private readonly chainJoint: Int32Array;
  private readonly ovBefore: Float64Array;
  private readonly m6 = new Float64Array(24);
  /** dt ∂c/∂v, the transport term's 3 x 6 block (transportBlock). */
  private readonly Tc = new Float64Array(18);
  /** The null-space solve of the equality-only active sets. */
  private readonly ns0: ActiveSetNullSpace;

  constructor(sim: Simulator) {
    this.sim = sim;
    this.model = sim.model;
    const { nv, nu } = this.model;
    this.rd = createRneaDerivativesData(this.model);
    this.ncols = 2 * nv + nu;
    this.X = new Float64Array(nv * this.ncols);
    this.acc = new Float64Array(nv);
    this.vt = new Float64Array(nv);
    const ccap = sim.contacts.capacity, lcap = sim.limits.capacity, mMax = 3 * ccap + lcap;
    this.stickIdx = new Int32Array(ccap);
    this.sliding = new Uint8Array(ccap);
    this.piv = new Int32Array(mMax);
    this.limIdx = new Int32Array(lcap);
    this.JS = new Float64Array(mMax * nv);
    this.Cq = new Float64Array(mMax * nv);
    this.Y = new Float64Array(nv * mMax);
    this.GS = new Float64Array(mMax * mMax);
    this.RS = new Float64Array(mMax * this.ncols);
    this.ns0 = new ActiveSetNullSpace(nv, mMax, this.ncols);
    this.chainDofs = new Int32Array(nv);
    this.chainJoint = new Int32Array(nv);
    this.ovBefore = new Float64Array(6 * nv);
    const m = this.model;
    this.floatingBase = m.floating && m.jointTypes[1] === JOINT_FREE && m.idxV[1] === 0;
    for (let j = 2; j < m.njoints; j++) {
      if (m.jointTypes[j] === JOINT_FREE) throw new NotCoveredError(`model ${m.name}: analytic derivatives support a free-flyer only as the root joint`);
    }
  }

  /**
   * Nominal step into (qNext, vNext) and its Jacobians A, B. Covered: no contact rows, or
   * every contact either separated (zero impulse) or sticking (impulse strictly inside its cone)
   * on the ground plane, and any limit rows (pushing or not). A sliding contact, a contact with
   * a static box or a cylinder contact throws an Error naming it (the caller falls back to
   * finite differences). Allocation-free.
   */
  linearize(
    q: ArrayLike<number>, v: ArrayLike<number>, u: ArrayLike<number>,
    qNext: Float64Array, vNext: Float64Array, A: Float64Array, B: Float64Array, ao = 0, bo = 0,
  ): void {
    const sim = this.sim;
    const nc = sim.positionStage(q, v);
    sim.freeVelocity(v, u);
    sim.contactStage(this.vt);
    sim.commitWarmStart();
    this.ns = 0; this.na = 0; this.nSliding = 0;
    const m = nc + sim.limits.count > 0 ? this.activeSet(nc) : 0;
    this.m = m;
    if (m > 0 && this.nSliding === 0) {
      // equality rows only: the null-space method (no solve with H; exact zeros when locked)
      this.rightHandSides(v, m, true);
      const data = sim.data;
      if (!this.ns0.solve(this.X, this.ncols, this.JS, this.Cq, m, data.M, sim.dampDiag)) {
        throw new NotCoveredError('analytic derivatives: H is not positive definite on the active rows\' null space');
      }
    } else {
      this.velocityJacobians(v, m);
      if (m > 0) this.projectOnActiveSet(m);
    }
    sim.advance(q, this.vt, qNext, vNext);
    this.chain(A, B, ao, bo);
  }

  /**
   * ∂v_t/∂(q, v, τ_act) into X, after sim.positionStage(q, v), sim.freeVelocity(v, u) and the
   * contact stage (placements, H's factor, τ and nle in place, v_t in this.vt): the
   * right-hand sides of all 2nv + nu columns, then one multi-column solve with H. With m active
   * rows (activeSet), the q columns also carry the impulses' terms (see projectOnActiveSet)
   * and X holds w = δv_free + H⁻¹ (δ(J_Sᵀλ) − δM Δv) before the projection.
   */
  velocityJacobians(v: ArrayLike<number>, m = 0): void {
    const model = this.model, data = this.sim.data, nv = model.nv, dt = this.sim.options.dt;
    const { X, ncols } = this;
    this.rightHandSides(v, m, false);
    solveMassMatrixMany(model, data, X, ncols);
    for (let r = 0; r < nv; r++) X[r * ncols + nv + r] += 1;
    if (this.floatingBase) {
      // c(v) = ω × v_lin on the base's linear rows: ∂/∂v_lin = [ω]×, ∂/∂ω = −[v_lin]×
      const T = this.Tc;
      transportBlock(v, dt, T);
      for (let i = 0; i < 3; i++) for (let k = 0; k < 6; k++) X[i * ncols + nv + k] += T[6 * i + k];
    }
  }

  /**
   * The right-hand sides of δv_t's equations for all 2nv + nu columns into X (rnea-derivatives.ts
   * at a = H⁻¹(τ − nle − D v), plus Δv/dt with impulses), with m active rows the impulses'
   * q terms, J_S and C (impulseTerms). H-form (nullSpace false): H w = X, w = X after a solve,
   * then + [0 | I + ∂c/∂v | 0]. Null-space form (true): the whole H δv_free side, so
   * v columns M − dt ∂τ/∂v + H ∂c/∂v (H (I + ∂c/∂v) − dt (∂τ/∂v + D): the damping cancels).
   */
  private rightHandSides(v: ArrayLike<number>, m: number, nullSpace: boolean): void {
    const sim = this.sim, model = this.model, data = sim.data, nv = model.nv, nu = model.nu, dt = sim.options.dt;
    const { acc, X, rd, ncols } = this;
    const damping = model.damping;
    // a = H⁻¹ (τ − nle − D v) (freeVelocity left nle in data.tau)
    const nle = data.tau;
    for (let i = 0; i < nv; i++) acc[i] = sim.tau[i] - nle[i] - damping[i] * v[i];
    solveMassMatrix(model, data, acc, 0);
    // with impulses, −dt ∂τ/∂q − ∂(M Δv)/∂q = −dt ∂RNEA(q, v, a + Δv/dt)/∂q (RNEA is affine in a
    // with slope M(q)), Δv = v_t − v_free
    if (m > 0) for (let i = 0; i < nv; i++) acc[i] += (this.vt[i] - sim.vfree[i]) / dt;
    rneaDerivativesFromPlacements(model, data, rd, v, acc);
    const dq = rd.dtau_dq, dv = rd.dtau_dv, nx = 2 * nv, M = data.M;
    for (let r = 0; r < nv; r++) {
      const xo = r * ncols, ro = r * nv;
      for (let c = 0; c < nv; c++) X[xo + c] = -dt * dq[ro + c];
      if (nullSpace) for (let c = 0; c < nv; c++) X[xo + nv + c] = M[ro + c] - dt * dv[ro + c];
      else {
        for (let c = 0; c < nv; c++) X[xo + nv + c] = -dt * dv[ro + c];
        X[xo + nv + r] -= dt * damping[r];
      }
      for (let c = nx; c < ncols; c++) X[xo + c] = 0;
    }
    if (nullSpace && this.floatingBase) {
      // + H ∂c/∂v: H's first three columns times the 3 x 6 transport block
      const T = this.Tc;
      transportBlock(v, dt, T);
      for (let r = 0; r < nv; r++) {
        const xo = r * ncols + nv, ro = r * nv;
        const h0 = M[ro] + (r === 0 ? dt * damping[0] : 0), h1 = M[ro + 1] + (r === 1 ? dt * damping[1] : 0), h2 = M[ro + 2] + (r === 2 ? dt * damping[2] : 0);
        for (let k = 0; k < 6; k++) X[xo + k] += h0 * T[k] + h1 * T[6 + k] + h2 * T[12 + k];
      }
    }
    if (m > 0) this.impulseTerms();
    const act = sim.actuated;
    for (let k = 0; k < nu; k++) X[act[k] * ncols + nx + k] = dt;
  }

  /**
   * The active set of the last contact solve: contacts with a positive normal impulse, sticking
   * (strictly inside the cone, the polish's test) or sliding (on its boundary), and pushing
   * stops (impulse > 0); separated contacts (zero impulse) drop out. Returns m = 3 ns + na.
   * Throws on what is not covered.
   */
  private activeSet(nc: number): number {
    const sim = this.sim, lam = sim.lambda, buf = sim.contacts, mu = sim.mu, nl = sim.limits.count;
    let ns = 0, na = 0, nsl = 0;
    for (let c = 0; c < nc; c++) {
      const o = 3 * c, ln = lam[o + 2];
      if (!(ln > 0)) continue;
      const lt = mu[c] * ln * (1 - 1e-9);
      const slides = !(lam[o] * lam[o] + lam[o + 1] * lam[o + 1] < lt * lt);
      if (buf.env[c] !== 0) throw new NotCoveredError(`analytic derivatives: contact ${c} is with a static box (only the ground plane is covered)`);
      const kind = sim.shapes[buf.geom[c]].kind;
      if (kind !== SHAPE_SPHERE && kind !== SHAPE_CAPSULE && kind !== SHAPE_BOX) throw new NotCoveredError(`analytic derivatives: contact ${c} is of a shape other than a sphere, capsule or box (not covered)`);
      this.sliding[ns] = slides ? 1 : 0;
      if (slides) nsl++;
      this.stickIdx[ns++] = c;
    }
    for (let l = 0; l < nl; l++) if (lam[3 * nc + l] > 0) this.limIdx[na++] = l;
    this.ns = ns; this.na = na; this.nSliding = nsl;
    return 3 * ns + na;
  }

  /**
   * Inside velocityJacobians, before the solve with H: adds ∂(J_Sᵀλ)/∂q (λ held) to X's q
   * columns, and writes the dense active rows J_S and C = ∂(J_S v_t)/∂q (v_t held).
   *
   * A contact row is R_cᵀ times the velocity of the body point at the witness point p (the
   * robot's point nearest the ground: a sphere's or capsule's centre minus r n, a box's corner),
   * with R_c = [t1 t2 n] constant on the plane. Its impulse is the world force f = R_c λ at p,
   * the spatial force F = [f; p × f] at the world origin. With world columns J_k (rd.J):
   *   ∂J_k/∂q_l = J_l × J_k when joint(l) is an ancestor of joint(k) or the same joint (else 0),
   *   ∂p/∂q_l = J_l's velocity at the body point p + r n (p slides over a sphere's surface as it
   *   turns: it follows the centre, not the material point),
   *   ∂(J_kᵀ F)/∂q_l = (J_l × J_k)·F + J_k·[0; ∂p/∂q_l × f],
   *   ∂(R_cᵀ v_p)/∂q_l = R_cᵀ (dV_lin + dV_ang × p + ω × ∂p/∂q_l), dV = J_l × (ov − ov_before(l)),
   * ov the body's world velocity under v_t and ov_before(l) that of joint(l)'s parent.
   * Stop rows are s e_dof: constant, so they add nothing here.
   */
  private impulseTerms(): void {
    const sim = this.sim, model = this.model, nv = model.nv, ncols = this.ncols;
    const { X, JS, Cq, chainDofs, chainJoint, ovBefore, m6 } = this;
    const J = this.rd.J, vt = this.vt, lam = sim.lambda, buf = sim.contacts;
    const ns = this.ns, na = this.na, m = 3 * ns + na;
    JS.fill(0, 0, m * nv);
    Cq.fill(0, 0, m * nv);
    for (let t = 0; t < ns; t++) {
      const c = this.stickIdx[t], o = 3 * c, F = buf.frame, fo = 9 * c;
      const shape = sim.shapes[buf.geom[c]];
      const r = shape.kind === SHAPE_BOX ? 0 : shape.dims[0];
      const nx = buf.normal[o], ny = buf.normal[o + 1], nz = buf.normal[o + 2], d = buf.dist[c];
      const px = buf.pos[o] + d * nx, py = buf.pos[o + 1] + d * ny, pz = buf.pos[o + 2] + d * nz;
      const cx = px + r * nx, cy = py + r * ny, cz = pz + r * nz;
      const l0 = lam[o], l1 = lam[o + 1], l2 = lam[o + 2];
      const fx = F[fo] * l0 + F[fo + 1] * l1 + F[fo + 2] * l2;
      const fy = F[fo + 3] * l0 + F[fo + 4] * l1 + F[fo + 5] * l2;
      const fz = F[fo + 6] * l0 + F[fo + 7] * l1 + F[fo + 8] * l2;
      // F = [f; p × f] in m6[0..6]
      m6[0] = fx; m6[1] = fy; m6[2] = fz;
      m6[3] = py * fz - pz * fy; m6[4] = pz * fx - px * fz; m6[5] = px * fy - py * fx;
      // the chain, root first
      let len = 0;
      for (let j = sim.shapeJoint[buf.geom[c]]; j > 0; j = model.parents[j]) {
        for (let k = model.nvs[j] - 1; k >= 0; k--) { chainDofs[len] = model.idxV[j] + k; chainJoint[len] = j; len++; }
      }
      for (let a = 0, b = len - 1; a < b; a++, b--) {
        const x = chainDofs[a]; chainDofs[a] = chainDofs[b]; chainDofs[b] = x;
        const y = chainJoint[a]; chainJoint[a] = chainJoint[b]; chainJoint[b] = y;
      }
      // ov (under v_t) accumulated root to body in m6[6..12]; ovBefore: the velocity of the
      // parent of each chain entry's joint (m6[12..18] holds it while a joint's dofs pass)
      for (let k = 6; k < 18; k++) m6[k] = 0;
      for (let a = 0; a < len; a++) {
        if (a === 0 || chainJoint[a] !== chainJoint[a - 1]) for (let k = 0; k < 6; k++) m6[12 + k] = m6[6 + k];
        for (let k = 0; k < 6; k++) ovBefore[6 * a + k] = m6[12 + k];
        const dof = chainDofs[a], x = vt[dof];
        for (let k = 0; k < 6; k++) m6[6 + k] += J[6 * dof + k] * x;
      }
      const wx = m6[9], wy = m6[10], wz = m6[11];
      const row0 = 3 * t * nv, row1 = row0 + nv, row2 = row1 + nv;
      for (let b = 0; b < len; b++) {
        const l = chainDofs[b], lo = 6 * l, jl = chainJoint[b];
        // dp = ∂p/∂q_l: J_l's velocity at the body point (cx, cy, cz)
        const ax = J[lo + 3], ay = J[lo + 4], az = J[lo + 5];
        const dpx = J[lo] + ay * cz - az * cy, dpy = J[lo + 1] + az * cx - ax * cz, dpz = J[lo + 2] + ax * cy - ay * cx;
        // dp × f
        const qx = dpy * fz - dpz * fy, qy = dpz * fx - dpx * fz, qz = dpx * fy - dpy * fx;
        // (J_l × J_k)·F = −J_k·(J_l ×* F): one cross product per l, then dot products; the
        // chain is root first, so the dofs at or below joint(l) are those from l's joint's first
        let a0 = b;
        while (a0 > 0 && chainJoint[a0 - 1] === jl) a0--;
        for (let a = 0; a < a0; a++) {
          const k = chainDofs[a], ko = 6 * k;
          X[k * ncols + l] += J[ko + 3] * qx + J[ko + 4] * qy + J[ko + 5] * qz;
        }
        motionCrossForce(J, lo, m6, 0, m6, 18);
        const g0 = -m6[18], g1 = -m6[19], g2 = -m6[20], g3 = qx - m6[21], g4 = qy - m6[22], g5 = qz - m6[23];
        for (let a = a0; a < len; a++) {
          const k = chainDofs[a], ko = 6 * k;
          X[k * ncols + l] += J[ko] * g0 + J[ko + 1] * g1 + J[ko + 2] * g2 + J[ko + 3] * g3 + J[ko + 4] * g4 + J[ko + 5] * g5;
        }
        // C: R_cᵀ (dV_lin + dV_ang × p + ω × dp), dV = J_l × (ov − ov_before)
        for (let k = 0; k < 6; k++) m6[12 + k] = m6[6 + k] - ovBefore[6 * b + k];
        motionCross(J, lo, m6, 12, m6, 18);
        const ex = m6[18] + m6[22] * pz - m6[23] * py + (wy * dpz - wz * dpy);
        const ey = m6[19] + m6[23] * px - m6[21] * pz + (wz * dpx - wx * dpz);
        const ez = m6[20] + m6[21] * py - m6[22] * px + (wx * dpy - wy * dpx);
        Cq[row0 + l] = F[fo] * ex + F[fo + 3] * ey + F[fo + 6] * ez;
        Cq[row1 + l] = F[fo + 1] * ex + F[fo + 4] * ey + F[fo + 7] * ez;
        Cq[row2 + l] = F[fo + 2] * ex + F[fo + 5] * ey + F[fo + 8] * ez;
        // J_S rows: R_cᵀ (J_l,lin + J_l,ang × p)
        const vx = J[lo] + ay * pz - az * py, vy = J[lo + 1] + az * px - ax * pz, vz = J[lo + 2] + ax * py - ay * px;
        JS[row0 + l] = F[fo] * vx + F[fo + 3] * vy + F[fo + 6] * vz;
        JS[row1 + l] = F[fo + 1] * vx + F[fo + 4] * vy + F[fo + 7] * vz;
        JS[row2 + l] = F[fo + 2] * vx + F[fo + 5] * vy + F[fo + 8] * vz;
      }
    }
    const rows = sim.limits;
    for (let a = 0; a < na; a++) {
      const l = this.limIdx[a];
      JS[(3 * ns + a) * nv + rows.dof[l]] = rows.side[l];
    }
  }

  /**
   * X (= w, every column) projected on the active rows: with G_SS = J_S H⁻¹ J_Sᵀ and
   * δλ = −G_SS⁻¹ (J_S w + C δq), δv_t = w + H⁻¹ J_Sᵀ δλ. Then J_S δv_t = −C δq exactly: a
   * sticking contact's velocity does not move with v or τ (the null gradient of a resting
   * contact), only as the contact point moves with q.
   */
  private projectOnActiveSet(m: number): void {
    const model = this.model, data = this.sim.data, nv = model.nv, ncols = this.ncols;
    const { X, JS, Cq, Y, GS, RS } = this;
    // Y = H⁻¹ J_Sᵀ (nv x m)
    for (let r = 0; r < nv; r++) for (let a = 0; a < m; a++) Y[r * m + a] = JS[a * nv + r];
    solveMassMatrixMany(model, data, Y, m);
    // G = J_S Y
    let tr = 0;
    for (let a = 0; a < m; a++) {
      for (let b = 0; b < m; b++) {
        let x = 0;
        for (let r = 0; r < nv; r++) x += JS[a * nv + r] * Y[r * m + b];
        GS[a * m + b] = x;
      }
      tr += GS[a * m + a];
    }
    // R = J_S X + [C | 0 | 0]
    for (let a = 0; a < m; a++) {
      const ro = a * ncols, jo = a * nv;
      for (let c = 0; c < ncols; c++) RS[ro + c] = c < nv ? Cq[jo + c] : 0;
      for (let r = 0; r < nv; r++) {
        const j = JS[jo + r];
        if (j === 0) continue;
        const xo = r * ncols;
        for (let c = 0; c < ncols; c++) RS[ro + c] += j * X[xo + c];
      }
    }
    if (this.nSliding === 0) {
      // every row is an equality J_i δv_t + C_i δq = 0: G_SS (−δλ) = R, symmetric, with the
      // polish's ridge (a box resting on four corners is rank-deficient)
      const ridge = 1e-14 * tr / m;
      for (let a = 0; a < m; a++) GS[a * m + a] += ridge;
      if (!choleskyInPlace(GS, m, 0)) throw new NotCoveredError("analytic derivatives: the active rows' Delassus matrix is singular");
      for (let c = 0; c < ncols; c++) choleskySolveInPlace(GS, m, RS, 0, c, ncols);
    } else {
      this.slidingRows(m);
      if (!luFactor(GS, m, this.piv)) throw new NotCoveredError("analytic derivatives: the active rows' system is singular");
      for (let c = 0; c < ncols; c++) luSolve(GS, m, this.piv, RS, c, ncols);
    }
    // X −= Y R
    for (let r = 0; r < nv; r++) {
      const xo = r * ncols;
      for (let a = 0; a < m; a++) {
        const y = Y[r * m + a];
        if (y === 0) continue;
        const ro = a * ncols;
        for (let c = 0; c < ncols; c++) X[xo + c] -= y * RS[ro + c];
      }
    }
  }

  /**
   * A sliding contact's tangential rows (its normal row stays an equality): its impulse is
   * λ_t = −μ λ_n û with û = u_t / |u_t| the direction of its end-of-step tangential velocity
   * u_t = J_t v_t (De Saxcé's cone complementarity on the boundary). Differentiated:
   *     δλ_t + μ û δλ_n + K (J_t δv_t + C_t δq) = 0,   K = μ λ_n (I − û ûᵀ) / |u_t|,
   * so with δv_t = w + Y δλ its rows of the system become (K G_t + E) δλ = −K R_t, E having 1
   * on the row's own λ and μ û_i on the normal's. GS and RS are rewritten in place (rows 3t, 3t+1).
   */
  private slidingRows(m: number): void {
    const sim = this.sim, nv = this.model.nv, ncols = this.ncols, lam = sim.lambda, mu = sim.mu;
    const { JS, GS, RS, vt } = this;
    for (let t = 0; t < this.ns; t++) {
      if (!this.sliding[t]) continue;
      const c = this.stickIdx[t], r0 = 3 * t, r1 = r0 + 1, r2 = r0 + 2;
      let u0 = 0, u1 = 0;
      for (let k = 0; k < nv; k++) { u0 += JS[r0 * nv + k] * vt[k]; u1 += JS[r1 * nv + k] * vt[k]; }
      const s = Math.sqrt(u0 * u0 + u1 * u1);
      if (!(s > 1e-12)) throw new NotCoveredError(`analytic derivatives: contact ${c} is on the cone's boundary with no tangential velocity (degenerate)`);
      const e0 = u0 / s, e1 = u1 / s, f = mu[c] * lam[3 * c + 2] / s;
      const k00 = f * (1 - e0 * e0), k01 = -f * e0 * e1, k11 = f * (1 - e1 * e1);
      for (let b = 0; b < m; b++) {
        const g0 = GS[r0 * m + b], g1 = GS[r1 * m + b];
        GS[r0 * m + b] = k00 * g0 + k01 * g1;
        GS[r1 * m + b] = k01 * g0 + k11 * g1;
      }
      GS[r0 * m + r0] += 1; GS[r0 * m + r2] += mu[c] * e0;
      GS[r1 * m + r1] += 1; GS[r1 * m + r2] += mu[c] * e1;
      for (let col = 0; col < ncols; col++) {
        const a0 = RS[r0 * ncols + col], a1 = RS[r1 * ncols + col];
        RS[r0 * ncols + col] = k00 * a0 + k01 * a1;
        RS[r1 * ncols + col] = k01 * a0 + k11 * a1;
      }
    }
  }

  /**
   * A, B from X through the integration stage at the end-of-step velocity in this.vt
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

/**
 * dt ∂c/∂v of the transport term c(v) = [ω × v_lin; 0] on a free-flyer's linear rows: the 3 x 6
 * block [dt [ω]× | −dt [v_lin]×] (row-major) into T.
 */
function transportBlock(v: ArrayLike<number>, dt: number, T: Float64Array): void {
  const lx = dt * v[0], ly = dt * v[1], lz = dt * v[2], wx = dt * v[3], wy = dt * v[4], wz = dt * v[5];
  T[0] = 0; T[1] = -wz; T[2] = wy; T[3] = 0; T[4] = lz; T[5] = -ly;
  T[6] = wz; T[7] = 0; T[8] = -wx; T[9] = -lz; T[10] = 0; T[11] = lx;
  T[12] = -wy; T[13] = wx; T[14] = 0; T[15] = ly; T[16] = -lx; T[17] = 0;
}

/** Entry (i, k) of [x]× (the cross-product matrix of (x, y, z)). */
function skew(x: number, y: number, z: number, i: number, k: number): number {
  if (i === k) return 0;
  if (i === 0) return k === 1 ? -z : y;
  if (i === 1) return k === 0 ? z : -x;
  return k === 0 ? -y : x;
}


/** In-place LU factorization with partial pivoting of the m x m matrix A (row-major); false if singular. */
function luFactor(A: Float64Array, m: number, piv: Int32Array): boolean {
  for (let k = 0; k < m; k++) {
    let p = k, best = Math.abs(A[k * m + k]);
    for (let i = k + 1; i < m; i++) { const x = Math.abs(A[i * m + k]); if (x > best) { best = x; p = i; } }
    if (!(best > 0)) return false;
    piv[k] = p;
    if (p !== k) for (let j = 0; j < m; j++) { const x = A[k * m + j]; A[k * m + j] = A[p * m + j]; A[p * m + j] = x; }
    const inv = 1 / A[k * m + k];
    for (let i = k + 1; i < m; i++) {
      const l = A[i * m + k] * inv;
      A[i * m + k] = l;
      if (l !== 0) for (let j = k + 1; j < m; j++) A[i * m + j] -= l * A[k * m + j];
    }
  }
  return true;
}

/** Solves A x = b in place with luFactor's factor; b's entries at b[bo + i bs]. */
function luSolve(A: Float64Array, m: number, piv: Int32Array, b: Float64Array, bo: number, bs: number): void {
  for (let k = 0; k < m; k++) {
    const p = piv[k];
    if (p !== k) { const x = b[bo + k * bs]; b[bo + k * bs] = b[bo + p * bs]; b[bo + p * bs] = x; }
  }
  for (let i = 1; i < m; i++) {
    let x = b[bo + i * bs];
    for (let j = 0; j < i; j++) x -= A[i * m + j] * b[bo + j * bs];
    b[bo + i * bs] = x;
  }
  for (let i = m - 1; i >= 0; i--) {
    let x = b[bo + i * bs];
    for (let j = i + 1; j < m; j++) x -= A[i * m + j] * b[bo + j * bs];
    b[bo + i * bs] = x / A[i * m + i];
  }
}
