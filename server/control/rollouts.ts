/**
 * DDP's rollouts on the TRUE dynamics (problem.ts Dynamics) with the true cost: open loop from
 * x0 (the initial guess, trueCostOf) and closed loop around a nominal with the gains of a
 * backward pass (the line search's trials):
 *     u_t = clamp(ū_t + α k_t + K_t (x_t ⊖ x̄_t)),  x_{t+1} = f(x_t, u_t).
 * Controls are clamped to the box. Allocation-free after construction.
 */
import type { Cost } from './cost.ts';
import type { Dynamics } from './problem.ts';

export class Rollouts {
  private readonly dx: Float64Array;
  private readonly u: Float64Array;
  private readonly nu: number;
  private readonly ndx: number;

  constructor(
    private readonly dynamics: Dynamics,
    private readonly running: readonly Cost[],
    private readonly terminal: Cost,
    /** Initial state and bounds: the solver's arrays (read at every rollout). */
    private readonly x0: Float64Array,
    private readonly uLower: Float64Array,
    private readonly uUpper: Float64Array,
  ) {
    this.nu = dynamics.nu;
    this.ndx = 2 * dynamics.nv;
    this.dx = new Float64Array(this.ndx);
    this.u = new Float64Array(this.nu);
  }

  /** Clamps u to the bounds in place. */
  clamp(u: Float64Array): void {
    for (let i = 0; i < this.nu; i++) {
      const v = u[i], lo = this.uLower[i], hi = this.uUpper[i];
      u[i] = v < lo ? lo : v > hi ? hi : v;
    }
  }

  /** Open-loop rollout of us (clamped in place) from x0 into xs; returns the true cost. */
  openLoop(us: Float64Array[], xs: Float64Array[]): number {
    const T = us.length;
    xs[0].set(this.x0);
    let J = 0;
    for (let t = 0; t < T; t++) {
      this.clamp(us[t]);
      J += this.running[t].value(xs[t], us[t]);
      this.dynamics.step(xs[t], us[t], xs[t + 1]);
    }
    J += this.terminal.value(xs[T], null);
    return J;
  }

  /** True cost of the controls us (copied and clamped, not modified) rolled out open loop into xs. */
  costOf(us: readonly ArrayLike<number>[], xs: Float64Array[]): number {
    const T = us.length, u = this.u;
    xs[0].set(this.x0);
    let J = 0;
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < this.nu; i++) u[i] = us[t][i];
      this.clamp(u);
      J += this.running[t].value(xs[t], u);
      this.dynamics.step(xs[t], u, xs[t + 1]);
    }
    return J + this.terminal.value(xs[T], null);
  }

  /**
   * Closed-loop rollout at step α around the nominal (xs, us) with gains k (T x nu), K
   * (T x nu x ndx) into (xt, ut); returns the true cost (Infinity when not finite, stopping early).
   */
  closedLoop(alpha: number, xs: Float64Array[], us: Float64Array[], k: Float64Array, K: Float64Array, xt: Float64Array[], ut: Float64Array[]): number {
    const T = us.length, nu = this.nu, ndx = this.ndx, dx = this.dx;
    xt[0].set(this.x0);
    let J = 0;
    for (let t = 0; t < T; t++) {
      this.dynamics.difference(xs[t], xt[t], dx);
      const u = ut[t], ub = us[t], ko = t * nu, Ko = t * nu * ndx;
      for (let a = 0; a < nu; a++) {
        let s = ub[a] + alpha * k[ko + a];
        const ro = Ko + a * ndx;
        for (let j = 0; j < ndx; j++) s += K[ro + j] * dx[j];
        u[a] = s;
      }
      this.clamp(u);
      J += this.running[t].value(xt[t], u);
      if (!Number.isFinite(J)) return Infinity;
      this.dynamics.step(xt[t], u, xt[t + 1]);
    }
    J += this.terminal.value(xt[T], null);
    return Number.isFinite(J) ? J : Infinity;
  }
}
