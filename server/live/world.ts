/**
 * One simulated world of a live session: the task's robot and scene on its own Simulator,
 * stepped by the session's clock, under the adopted plan's feedback law
 *
 *   u = clamp(ū_k + K_k (x ⊖ x̄_k)),  k = step − plan.step (the plan's last knot beyond its end),
 *
 * ⊖ the tangent-space difference of the task's dynamics (SE(3) for the base), clamp the task's
 * control bounds: the law the solver's own rollouts apply. Before the first plan the task's
 * initial guess (e.g. the standing torques) is held. Pushes are world forces at a frame for a
 * number of steps, applied as the Simulator's generalized external force (dynamics/
 * external-force.ts). Everything per step is preallocated.
 */
import { getTask, resolveParams, type BuiltTask, type TaskParams } from '../control/tasks/index.ts';
import { PointForce } from '../dynamics/external-force.ts';
import { frameIndex } from '../model/model.ts';
import type { MpcPlan } from '../planning/mpc.ts';
import type { SolverKind } from '../planning/planner.ts';

export interface ActivePush { frame: number; force: [number, number, number]; untilStep: number }

export class LiveWorld {
  readonly solver: SolverKind;
  readonly task: string;
  readonly built: BuiltTask;
  /** State [q; v] after the last step, and the control applied over it. */
  readonly x: Float64Array;
  readonly u: Float64Array;
  plan: MpcPlan | null = null;
  /** |x ⊖ x̄_k| at the last step (tracking error of the adopted plan, tangent norm; -1 when not finite). */
  trackingError = 0;
  #uLower: Float64Array;
  #uUpper: Float64Array;
  readonly #xNext: Float64Array;
  readonly #dx: Float64Array;
  readonly #xbar: Float64Array;
  readonly #fext: Float64Array;
  readonly #ftmp: Float64Array;
  readonly #point: PointForce;
  #pushes: ActivePush[] = [];
  readonly #contactBuf: Float64Array;

  constructor(solver: SolverKind, task: string, params: TaskParams) {
    this.solver = solver;
    this.task = task;
    this.built = getTask(task).build(resolveParams(getTask(task), params));
    const { model } = this.built;
    const nx = model.nq + model.nv;
    this.x = Float64Array.from(this.built.x0);
    this.u = Float64Array.from(this.built.uInit[0]);
    this.#uLower = this.built.uLower;
    this.#uUpper = this.built.uUpper;
    this.#xNext = new Float64Array(nx);
    this.#dx = new Float64Array(2 * model.nv);
    this.#xbar = new Float64Array(nx);
    this.#fext = new Float64Array(model.nv);
    this.#ftmp = new Float64Array(model.nv);
    this.#point = new PointForce(model);
    this.#contactBuf = new Float64Array(3 * this.built.sim.options.maxContacts);
  }

  get model() { return this.built.model; }
  get dt(): number { return this.built.dt; }

  /** New control bounds (a parameter such as torqueLimit changed). */
  setBounds(lower: Float64Array, upper: Float64Array): void {
    this.#uLower = lower;
    this.#uUpper = upper;
  }

  /** Back to the task's initial state, no plan, no push. */
  reset(): void {
    this.x.set(this.built.x0);
    this.u.set(this.built.uInit[0]);
    this.plan = null;
    this.#pushes = [];
    this.trackingError = 0;
    this.built.sim.externalForce = null;
    this.built.sim.resetWarmStart();
  }

  /** The frame a push may name (a link or a frame of the model), or -1. */
  frameOf(name: string): number {
    try { return frameIndex(this.model, name); } catch { return -1; }
  }

  push(frame: number, force: [number, number, number], untilStep: number): void {
    this.#pushes.push({ frame, force, untilStep });
  }

  /** The control of the adopted plan's law at `step` for the current state (written to this.u). */
  control(step: number): Float64Array {
    const p = this.plan, u = this.u;
    if (!p) return u;
    const k = Math.min(Math.max(0, step - p.step), p.T - 1);
    const nx = p.nx, nu = p.nu, ndx = p.ndx, dx = this.#dx, xbar = this.#xbar;
    for (let i = 0; i < nx; i++) xbar[i] = p.xs[k * nx + i];
    this.built.dynamics.difference(xbar, this.x, dx);
    let err = 0;
    for (let i = 0; i < ndx; i++) err += dx[i] * dx[i];
    this.trackingError = Math.sqrt(err);
    const lo = this.#uLower, hi = this.#uUpper;
    for (let a = 0; a < nu; a++) {
      const ff = p.us[k * nu + a];
      let s = ff;
      const ro = (k * nu + a) * ndx;
      for (let j = 0; j < ndx; j++) s += p.K[ro + j] * dx[j];
      // a state the difference cannot measure (non-finite): the feed-forward alone
      if (!Number.isFinite(s)) s = ff;
      u[a] = s < lo[a] ? lo[a] : s > hi[a] ? hi[a] : s;
    }
    if (!Number.isFinite(this.trackingError)) this.trackingError = -1;
    return u;
  }

  /** One simulator step at `step` (the session's clock): control, pushes, contact step. */
  step(step: number): void {
    const sim = this.built.sim, model = this.model, nq = model.nq;
    this.control(step);
    if (this.#pushes.length) {
      this.#pushes = this.#pushes.filter((p) => p.untilStep > step);
      if (this.#pushes.length) {
        const fe = this.#fext;
        fe.fill(0);
        for (const p of this.#pushes) {
          this.#point.generalized(this.x.subarray(0, nq), p.frame, p.force, this.#ftmp);
          for (let i = 0; i < model.nv; i++) fe[i] += this.#ftmp[i];
        }
        sim.externalForce = fe;
      } else sim.externalForce = null;
    }
    const xn = this.#xNext;
    sim.stepInto(this.x.subarray(0, nq), this.x.subarray(nq), this.u, xn.subarray(0, nq), xn.subarray(nq));
    this.x.set(xn);
  }

  /** Contacts of the last step: world points and forces (N), as the wire carries them. */
  contacts(): { p: [number, number, number]; f: [number, number, number] }[] {
    const sim = this.built.sim, n = sim.contactForces(this.#contactBuf), pos = sim.contacts.pos;
    const out: { p: [number, number, number]; f: [number, number, number] }[] = [];
    for (let c = 0; c < n; c++) {
      const f = this.#contactBuf;
      out.push({ p: [pos[3 * c], pos[3 * c + 1], pos[3 * c + 2]], f: [f[3 * c], f[3 * c + 1], f[3 * c + 2]] });
    }
    return out;
  }

  /** Whether a push is being applied at this step. */
  get pushing(): boolean { return this.#pushes.length > 0; }
}
