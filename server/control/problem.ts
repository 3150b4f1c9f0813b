/**
 * The optimal-control problem as the solvers see it: the TRUE (possibly non-smooth) dynamics,
 * used for rollouts and line searches, and a separate source of linearizations, so that a solver
 * never knows how its derivatives are obtained (exact finite differences, analytic derivatives,
 * or the randomized-smoothing estimates of R-DDP).
 *
 * Conventions (model.ts): the state is x = [q; v] with nq + nv numbers; DDP works in the tangent
 * space of dimension ndx = 2 nv, with x ⊕ dx and x1 ⊖ x0 given by the Dynamics (SE(3) for a
 * free-flyer through lie.ts, Euclidean elsewhere). Matrices are row-major Float64Arrays.
 */
import { difference as lieDifference, integrate as lieIntegrate } from '../dynamics/lie.ts';
import type { Simulator } from '../dynamics/step.ts';
import type { Model } from '../model/model.ts';

/** The TRUE (non-smooth) dynamics, used for rollouts. */
export interface Dynamics {
  /** x has nq + nv numbers, dx has 2 nv. */
  readonly nq: number;
  readonly nv: number;
  readonly nu: number;
  /** xNext = f(x, u). xNext must not alias x. */
  step(x: Float64Array, u: Float64Array, xNext: Float64Array): void;
  /** out = x ⊕ dx (tangent space; free-flyer: SE(3) via lie.ts). out may alias x. */
  integrate(x: Float64Array, dx: Float64Array, out: Float64Array): void;
  /** out = x1 ⊖ x0, the tangent vector dx (2 nv) with x0 ⊕ dx = x1. */
  difference(x0: Float64Array, x1: Float64Array, out: Float64Array): void;
}

/** Linearization of the dynamics along a trajectory, one knot at a time or all at once. */
export interface LinearizationProvider {
  /**
   * For t in [0, T): A[t] (ndx × ndx) and B[t] (ndx × nu), row-major, tangent space:
   * d(x_{t+1}) ≈ A dx_t + B du_t. Receives the nominal xs (T+1) and us (T), returns nothing,
   * writes into As/Bs (preallocated by the solver: Float64Array of T*ndx*ndx and T*ndx*nu;
   * knot t starts at t*ndx*ndx and t*ndx*nu).
   * Implementations: exact (finite differences) or smoothed (R-DDP).
   */
  linearize(
    xs: Float64Array[], us: Float64Array[], As: Float64Array, Bs: Float64Array, ctx: LinearizeContext,
  ): void | Promise<void>;
  /**
   * True: linearize() returns a promise and, while it runs, sets ctx.ready[t] to 1 with
   * Atomics.store + Atomics.notify as soon as knot t is written (any order; the last knots
   * first suits the backward pass, which then overlaps the linearization). As and Bs are then
   * SharedArrayBuffer-backed (DdpSolver allocates them so), so worker threads may write them.
   */
  readonly streaming?: boolean;
  /**
   * Streaming providers may offer work to the caller's thread: linearize one not-yet-claimed
   * knot of the linearization in progress here (writing As, Bs and ctx.ready like the others)
   * and return true; false when none is left. DdpSolver calls it instead of waiting for a knot.
   */
  assist?(): boolean;
}

export interface LinearizeContext {
  iteration: number;
  /** Per-knot completion flags for streaming providers (see LinearizationProvider.streaming). */
  ready?: Int32Array;
}

/** Dimension of the tangent space of the state. */
export function tangentDim(dyn: Pick<Dynamics, 'nv'>): number {
  return 2 * dyn.nv;
}

export interface FdLinearizationOptions {
  /** Step on each tangent-space state coordinate (default 1e-6). */
  h?: number;
  /** Step on each control coordinate (default: h). */
  hu?: number;
}

/**
 * Central finite differences of the dynamics in the tangent space, one knot at a time:
 *   column i of A = [ (f(x ⊕ h e_i, u) ⊖ f̄) − (f(x ⊕ −h e_i, u) ⊖ f̄) ] / (2h),
 *   column j of B = [ (f(x, u + h e_j) ⊖ f̄) − (f(x, u − h e_j) ⊖ f̄) ] / (2h),
 * with f̄ = f(x_t, u_t) recomputed at the knot (the base point of the next knot's tangent
 * space). 2 (ndx + nu) + 1 steps per knot: simple and correct, the reference implementation
 * in the tests; not the fast one. With h = 1e-6 the error is O(h²) truncation plus
 * O(ε/h) ≈ 1e-10 rounding on smooth dynamics; across a contact event or a torque clamp a
 * central difference returns the average of the one-sided slopes.
 * Allocation-free after construction (buffers are sized on the first call).
 */
export function fdLinearization(dyn: Dynamics, opts: FdLinearizationOptions = {}): LinearizationProvider {
  const h = opts.h ?? 1e-6;
  const hu = opts.hu ?? h;
  if (!(h > 0) || !(hu > 0)) throw new Error(`fdLinearization: steps must be > 0 (h = ${h}, hu = ${hu})`);
  const nx = dyn.nq + dyn.nv, ndx = 2 * dyn.nv, nu = dyn.nu;
  const fbar = new Float64Array(nx), fp = new Float64Array(nx), fm = new Float64Array(nx);
  const xp = new Float64Array(nx), up = new Float64Array(nu);
  const dx = new Float64Array(ndx), dp = new Float64Array(ndx), dm = new Float64Array(ndx);
  return {
    linearize(xs, us, As, Bs) {
      const T = us.length;
      const inv = 1 / (2 * h), invu = 1 / (2 * hu);
      for (let t = 0; t < T; t++) {
        const x = xs[t], u = us[t];
        const ao = t * ndx * ndx, bo = t * ndx * nu;
        dyn.step(x, u, fbar);
        for (let i = 0; i < ndx; i++) {
          dx.fill(0);
          dx[i] = h;
          dyn.integrate(x, dx, xp);
          dyn.step(xp, u, fp);
          dx[i] = -h;
          dyn.integrate(x, dx, xp);
          dyn.step(xp, u, fm);
          dyn.difference(fbar, fp, dp);
          dyn.difference(fbar, fm, dm);
          for (let r = 0; r < ndx; r++) As[ao + r * ndx + i] = (dp[r] - dm[r]) * inv;
        }
        for (let j = 0; j < nu; j++) {
          up.set(u);
          up[j] = u[j] + hu;
          dyn.step(x, up, fp);
          up[j] = u[j] - hu;
          dyn.step(x, up, fm);
          dyn.difference(fbar, fp, dp);
          dyn.difference(fbar, fm, dm);
          for (let r = 0; r < ndx; r++) Bs[bo + r * nu + j] = (dp[r] - dm[r]) * invu;
        }
      }
    },
  };
}

/** Tangent-space integrate on x = [q; v] of a model: q part on the manifold (lie.ts), v part Euclidean. */
export function integrateState(model: Model, x: Float64Array, dx: Float64Array, out: Float64Array): void {
  const nq = model.nq, nv = model.nv;
  // lie.integrate reads q[0..nq) and dx[0..nv) and writes out[0..nq) (out may alias x)
  lieIntegrate(model, x, dx, out);
  for (let i = 0; i < nv; i++) out[nq + i] = x[nq + i] + dx[nv + i];
}

/** Tangent-space difference x1 ⊖ x0 on x = [q; v] of a model. */
export function differenceState(model: Model, x0: Float64Array, x1: Float64Array, out: Float64Array): void {
  const nq = model.nq, nv = model.nv;
  lieDifference(model, x0, x1, out); // writes out[0..nv)
  for (let i = 0; i < nv; i++) out[nv + i] = x1[nq + i] - x0[nq + i];
}

/** Dynamics of a Simulator, with its model exposed for costs and tools. */
export interface SimulatorDynamics extends Dynamics {
  readonly model: Model;
  readonly sim: Simulator;
}

/**
 * Adapter from a Simulator: x = [q; v], step = Simulator.stepInto (contacts, effort clamping
 * and all), integrate/difference: q part via lie.ts, v part Euclidean. Allocation-free.
 * Note: the Simulator warm-starts its contact solver from its previous call; the solver runs to
 * a 1e-12 tolerance, so results do not depend on the call order beyond that level.
 */
export function makeDynamics(sim: Simulator): SimulatorDynamics {
  const model = sim.model;
  const nq = model.nq, nv = model.nv;
  const q = new Float64Array(nq), v = new Float64Array(nv);
  const qn = new Float64Array(nq), vn = new Float64Array(nv);
  return {
    model,
    sim,
    nq,
    nv,
    nu: model.nu,
    step(x, u, xNext) {
      for (let i = 0; i < nq; i++) q[i] = x[i];
      for (let i = 0; i < nv; i++) v[i] = x[nq + i];
      try {
        sim.stepInto(q, v, u, qn, vn);
      } catch {
        // a diverged trial (NaN state, mass matrix no longer positive definite): the rollout
        // gets NaN states, so its cost is NaN and the line search rejects it
        sim.resetWarmStart();
        xNext.fill(NaN);
        return;
      }
      for (let i = 0; i < nq; i++) xNext[i] = qn[i];
      for (let i = 0; i < nv; i++) xNext[nq + i] = vn[i];
    },
    integrate(x, dx, out) {
      integrateState(model, x, dx, out);
    },
    difference(x0, x1, out) {
      differenceState(model, x0, x1, out);
    },
  };
}
