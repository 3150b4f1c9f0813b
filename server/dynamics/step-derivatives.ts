/**
 * Jacobians of the contact step in the tangent space: for x = (q, v) and
 * x_next = step(x, u), with dx = [dq (nv); dv (nv)],
 *     A = d x_next / d x   (2nv x 2nv),   B = d x_next / d tau_actuated   (2nv x nu),
 * row-major, by one-sided finite differences (forward, step h per coordinate) of the true,
 * non-smooth step, with a step scaled per coordinate (LinearizeOptions). Where a contact sticks these derivatives are exactly what a differentiable
 * simulator returns, null gradients included (the seed's Fig. 2).
 *
 * What does not change between perturbations is reused (stages of Simulator):
 *   - u columns: the position stage (contacts, H factor, Delassus) and the nonlinear effects are
 *     unchanged; v_free moves along dt H^-1 e_i, then only the contact solve is redone.
 *   - v columns: the position stage is unchanged; v_free and the contact solve are redone.
 *   - q columns: everything is redone at q ⊕ h e_k, but the mass matrix and its factor for
 *     the free-flyer's six columns (M does not depend on the base pose), and, for a joint's
 *     column, the kinematics and joint Jacobians outside the joint's subtree and the one
 *     perturbed just before (the CRBA and RNEA there and on their ancestors), and v_free for
 *     the base translations (bit for bit the same).
 * Every contact solve is warm-started from the nominal impulses.
 *
 * Position columns keep the nominal contact bias (the speculative gap closure d/dt and the
 * penetration correction), and the nominal bias of the joint-limit rows likewise: like analytic derivatives of hard-contact simulators, the
 * derivative of that correction term is not taken. Otherwise a resting contact (d = 0, the
 * kink of the gap rule) turns a position perturbation of the foot into a velocity of h/dt
 * that the next step absorbs, a spurious coupling DDP would exploit. With it, a sticking
 * contact keeps a position perturbation and constrains velocities, as the hard-contact model's
 * implicit derivatives do.
 *
 * B differentiates with respect to the applied torque, before the effort clamp: control bounds
 * are the solver's business (box-constrained DDP); the clamp in the simulator is a safety net.
 */
import { JOINT_FREE, type Model } from '../model/model.ts';
import { difference, integrate } from './lie.ts';
import { solveMassMatrix } from './factor-m.ts';
import type { Simulator } from './step.ts';

export interface LinearizeOptions {
  /**
   * Relative finite-difference step for q (tangent) and v coordinates (default 1e-6): the step
   * of coordinate k is epsState · max(1, |x_k|) (tangent coordinates of q are increments from
   * the current configuration: their scale is 1).
   */
  epsState: number;
  /** Relative finite-difference step for the controls (default 1e-6): epsControl · max(1, |u_k|). */
  epsControl: number;
  /**
   * Position columns redo kinematics and joint Jacobians only where they changed, and base
   * translations keep the nominal free velocity (default true; false redoes them in full,
   * the reference the tests compare against).
   */
  reuseKinematics: boolean;
}

export class Linearizer {
  readonly sim: Simulator;
  readonly model: Model;
  readonly options: LinearizeOptions;
  private readonly qn: Float64Array;
  private readonly vn: Float64Array;
  private readonly vfreeNom: Float64Array;
  private readonly qp: Float64Array;
  private readonly vp: Float64Array;
  private readonly qnp: Float64Array;
  private readonly vnp: Float64Array;
  private readonly dq: Float64Array;
  private readonly e: Float64Array;
  /** Step of the column being written. */
  private readonly hcol = new Float64Array(1);
  private readonly biasNom: Float64Array;
  private readonly geomNom: Int32Array;
  private readonly envNom: Int32Array;
  /** Nominal limit rows (limited joint, side) and their bias. */
  private readonly limNom: Int32Array;
  private readonly limSideNom: Int8Array;
  private readonly limBiasNom: Float64Array;
  /** Joint of each dof, and the last joint of each joint's subtree (depth-first order). */
  private readonly dofJoint: Int32Array;
  private readonly subtreeEnd: Int32Array;

  constructor(sim: Simulator, options: Partial<LinearizeOptions> = {}) {
    this.sim = sim;
    this.model = sim.model;
    this.options = { epsState: 1e-6, epsControl: 1e-6, reuseKinematics: true, ...options };
    const { nq, nv } = this.model;
    this.qn = new Float64Array(nq);
    this.vn = new Float64Array(nv);
    this.vfreeNom = new Float64Array(nv);
    this.qp = new Float64Array(nq);
    this.vp = new Float64Array(nv);
    this.qnp = new Float64Array(nq);
    this.vnp = new Float64Array(nv);
    this.dq = new Float64Array(nv);
    this.e = new Float64Array(nv);
    const cap = sim.contacts.capacity;
    this.biasNom = new Float64Array(cap);
    this.geomNom = new Int32Array(cap);
    this.envNom = new Int32Array(cap);
    const lcap = sim.limits.capacity;
    this.limNom = new Int32Array(lcap);
    this.limSideNom = new Int8Array(lcap);
    this.limBiasNom = new Float64Array(lcap);
    const m = this.model;
    this.dofJoint = new Int32Array(nv);
    for (let j = 1; j < m.njoints; j++) for (let k = 0; k < m.nvs[j]; k++) this.dofJoint[m.idxV[j] + k] = j;
    this.subtreeEnd = Int32Array.from({ length: m.njoints }, (_, j) => j);
    for (let j = m.njoints - 1; j >= 1; j--) {
      const p = m.parents[j];
      if (this.subtreeEnd[j] > this.subtreeEnd[p]) this.subtreeEnd[p] = this.subtreeEnd[j];
    }
  }

  /**
   * Nominal step into (qNext, vNext) and its Jacobians into A (2nv x 2nv) and B (2nv x nu),
   * written at offsets ao / bo. Allocation-free.
   */
  linearize(
    q: ArrayLike<number>, v: ArrayLike<number>, u: ArrayLike<number>,
    qNext: Float64Array, vNext: Float64Array, A: Float64Array, B: Float64Array, ao = 0, bo = 0,
  ): void {
    const sim = this.sim, model = this.model, nv = model.nv, nx = 2 * nv, nu = model.nu, dt = sim.options.dt;
    const { qn, vn, qp, vp, qnp, vnp, dq, e } = this;

    // nominal
    const ncNom = sim.positionStage(q, v);
    const buf = sim.contacts;
    for (let c = 0; c < ncNom; c++) { this.biasNom[c] = sim.bias[c]; this.geomNom[c] = buf.geom[c]; this.envNom[c] = buf.env[c]; }
    const rows = sim.limits, nlNom = rows.count;
    for (let l = 0; l < nlNom; l++) { this.limNom[l] = rows.limit[l]; this.limSideNom[l] = rows.side[l]; this.limBiasNom[l] = sim.bias[ncNom + l]; }
    sim.freeVelocity(v, u);
    sim.contactStage(vn);
    sim.commitWarmStart();
    sim.advance(q, vn, qn, vn);
    qNext.set(qn);
    vNext.set(vn);
    this.vfreeNom.set(sim.vfree);

    // u columns: v_free += h dt H^-1 e_i (the position stage is still the nominal one)
    const act = sim.actuated;
    const hcol = this.hcol;
    for (let k = 0; k < nu; k++) {
      const uk = u[k];
      const hu = this.options.epsControl * (uk > 1 ? uk : uk < -1 ? -uk : 1);
      hcol[0] = hu;
      for (let i = 0; i < nv; i++) e[i] = 0;
      e[act[k]] = hu * dt;
      solveMassMatrix(model, sim.data, e, 0);
      for (let i = 0; i < nv; i++) sim.vfree[i] = this.vfreeNom[i] + e[i];
      sim.contactStage(vp);
      sim.advance(q, vp, qnp, vp);
      this.writeColumn(B, bo, nu, k, qnp, vp);
    }

    // v columns: redo the free velocity and the contact solve
    const hx = this.options.epsState;
    for (let k = 0; k < nv; k++) {
      const vk = v[k];
      const hv = hx * (vk > 1 ? vk : vk < -1 ? -vk : 1);
      hcol[0] = hv;
      for (let i = 0; i < nv; i++) vp[i] = v[i];
      vp[k] += hv;
      sim.freeVelocity(vp, u);
      sim.contactStage(vnp);
      sim.advance(q, vnp, qnp, vnp);
      this.writeColumn(A, ao, nx, nv + k, qnp, vnp);
    }

    // q columns: redo everything at q ⊕ h e_k, except the mass matrix for the free-flyer's
    // columns (M depends on the joint angles only): they come first, while the factor in
    // sim.data is still the nominal one
    const baseDofs = model.floating && model.jointTypes[1] === JOINT_FREE && model.idxV[1] === 0 ? 6 : 0;
    // kinematics to redo: the subtree of the perturbed joint and of the one perturbed before
    // (which returns to its nominal value); everything for the first column
    let prevFrom = 1, prevTo = model.njoints - 1;
    for (let k = 0; k < nv; k++) {
      for (let i = 0; i < nv; i++) dq[i] = 0;
      dq[k] = hx;
      hcol[0] = hx;
      integrate(model, q, dq, qp);
      // a base translation: keep the quaternion bit for bit (integrate renormalizes it)
      const translation = k < 3 && baseDofs > 0;
      if (translation) for (let i = 3; i < 7; i++) qp[i] = q[i];
      let from = 1, to = model.njoints - 1;
      if (this.options.reuseKinematics) {
        const j = this.dofJoint[k], jEnd = this.subtreeEnd[j];
        from = j < prevFrom ? j : prevFrom; to = jEnd > prevTo ? jEnd : prevTo;
        prevFrom = j; prevTo = jEnd;
      }
      const nc = sim.positionStage(qp, v, k < baseDofs, from, to);
      let same = nc === ncNom;
      for (let c = 0; same && c < nc; c++) same = buf.geom[c] === this.geomNom[c] && buf.env[c] === this.envNom[c];
      if (same) for (let c = 0; c < nc; c++) sim.bias[c] = this.biasNom[c];
      const nl = rows.count;
      let sameLim = nl === nlNom;
      for (let l = 0; sameLim && l < nl; l++) sameLim = rows.limit[l] === this.limNom[l] && rows.side[l] === this.limSideNom[l];
      if (sameLim) for (let l = 0; l < nl; l++) sim.bias[nc + l] = this.limBiasNom[l];
      // nle and H do not see a base translation (body-frame RNEA: gravity has no moment arm
      // there), so v_free is the nominal one, bit for bit
      if (translation && this.options.reuseKinematics) sim.vfree.set(this.vfreeNom);
      else sim.freeVelocity(v, u, true);
      sim.contactStage(vnp);
      sim.advance(qp, vnp, qnp, vnp);
      this.writeColumn(A, ao, nx, k, qnp, vnp);
    }
  }

  /**
   * Column col of M (ld columns) = [qnp ⊖ qn ; vnp − vn] / h, with the column's step h in
   * hcol[0] (a typed array: a double argument to a call V8 does not inline is boxed).
   */
  private writeColumn(M: Float64Array, mo: number, ld: number, col: number, qnp: Float64Array, vnp: Float64Array): void {
    const nv = this.model.nv, dq = this.dq;
    difference(this.model, this.qn, qnp, dq);
    const ih = 1 / this.hcol[0];
    for (let r = 0; r < nv; r++) {
      M[mo + r * ld + col] = dq[r] * ih;
      M[mo + (nv + r) * ld + col] = (vnp[r] - this.vn[r]) * ih;
    }
  }
}
