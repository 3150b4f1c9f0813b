/**
 * Single-shooting DDP / iLQR with box-constrained controls (Gauss-Newton: no second-order
 * dynamics terms), in the tangent space of the state (problem.ts).
 *
 * The solver never computes dynamics derivatives itself: a LinearizationProvider fills A_t, B_t
 * (exact finite differences, analytic, or R-DDP's randomized-smoothing estimates), the costs
 * give their own derivatives (cost.ts), and every rollout and line search runs on the TRUE
 * dynamics (Dynamics.step), so an accepted plan is feasible for the real system.
 *
 * One iteration:
 *   1. linearize along the nominal (xs, us) (skipped after a rejected step unless
 *      relinearizeAfterRejection: the nominal did not change) and the cost derivatives;
 *   2. backward pass (Riccati recursion on the Q-function):
 *        Qx = lx + Aᵀ V'x            Qu = lu + Bᵀ V'x
 *        Qxx = lxx + Aᵀ V'xx A       Quu = luu + Bᵀ V'xx B      Qux = lux + Bᵀ V'xx A
 *      Levenberg-Marquardt regularization μ on Quu ('control': Quu + μ I) or on V'xx ('state':
 *      Quu + μ BᵀB, Qux + μ BᵀA). The regularized Quu is Cholesky-factorized; when it is not
 *      positive definite, μ ← max(μ · regIncrease, regFailureFloor) and the pass restarts. The
 *      control update solves the box QP min ½ duᵀ Quu du + Quᵀ du, lower ≤ ū + du ≤ upper
 *      (box-qp.ts; the plain Newton step k = −Quu⁻¹ Qu without bounds); the feedback gain is
 *      K = −Quu_ff⁻¹ Qux_f on the free rows, 0 on the clamped ones. The value function is
 *      updated with the unregularized Q (Tassa et al. 2012):
 *        Vx = Qx + Kᵀ Quu k + Kᵀ Qu + Quxᵀ k,   Vxx = Qxx + Kᵀ Quu K + Kᵀ Qux + Quxᵀ K,
 *      and the expected change of the cost for step α is ΔJ(α) = α d1 + ½ α² d2 with
 *      d1 = Σ kᵀ Qu, d2 = Σ kᵀ Quu k;
 *   3. convergence test: expected improvement −ΔJ(1) < tolerance · max(1, |J|) (while
 *      μ < convergenceMaxReg), or projected gradient norm max_t ‖Qu_t‖∞ (a control on a
 *      bound with Qu pushing outward counts 0) < gradientTolerance;
 *   4. forward pass on the true dynamics with backtracking on α ∈ {1, ½, …, minStepLength}:
 *        u_t = clamp(ū_t + α k_t + K_t (x_t ⊖ x̄_t)),  x_{t+1} = f(x_t, u_t),
 *      accepted when (J − J_α) / (−ΔJ(α)) ≥ acceptanceRatio. Accepted with α ≥ ½:
 *      μ ← max(μ / regDecrease, regMin); accepted with α < 0.01 (the model is poor) or no α
 *      accepted: μ ← max(μ · regIncrease, regFailureFloor); a rejected step leaves the nominal
 *      unchanged and the next iteration redoes the backward pass on it (same linearization).
 *
 * `solve` is async so that a provider may run on workers (its linearize may return a Promise).
 * Nothing is allocated inside the per-knot loops: every buffer is sized at construction.
 *
 * One job a module: this file holds the problem and options, the telemetry record and the
 * iteration loop (convergence test, bookkeeping of the nominal); the Riccati knot is
 * riccati.ts, the wait for a streaming provider's knots knot-stream.ts, the rollouts
 * rollouts.ts, the line search line-search.ts and the μ schedule regularization.ts.
 */
import { BoxQP, type BoxQPOptions } from './box-qp.ts';
import { RiccatiPass, type RiccatiKnot } from './riccati.ts';
import { knotReady } from './knot-stream.ts';
import { backtrackingLineSearch, type LineSearchOutcome } from './line-search.ts';
import { Regularization } from './regularization.ts';
import { Rollouts } from './rollouts.ts';
import { createCostDerivatives, type Cost, type CostDerivatives } from './cost.ts';
import type { Dynamics, LinearizationProvider } from './problem.ts';
import type { DdpIteration } from '../../shared/protocol.ts';

export interface DdpProblem {
  dynamics: Dynamics;
  /** Running costs: one per knot (length T), or one Cost (or a 1-element array) shared by every knot. */
  running: Cost | readonly Cost[];
  /** Terminal cost, evaluated on x_T with u = null. */
  terminal: Cost;
  /** Initial state (nq + nv). */
  x0: ArrayLike<number>;
  /** Number of control knots (xs has T + 1 states). */
  T: number;
  /** Control bounds (nu each); ±Infinity entries are allowed; omitted = unbounded. */
  uLower?: ArrayLike<number>;
  uUpper?: ArrayLike<number>;
}

export interface DdpOptions {
  /** Converged when the expected improvement of a full step is below tolerance · max(1, |J|) (default 1e-9). */
  tolerance: number;
  /**
   * The expected-improvement test only counts while μ < convergenceMaxReg (default 1e-3): a
   * heavily regularized step is short whatever the gradient, so a tiny expected improvement
   * then means "stalled", not "converged" (the solver keeps raising μ and ends with
   * 'regularizationLimit' if no step is ever accepted).
   */
  convergenceMaxReg: number;
  /** Converged when the projected gradient max_t ‖Qu_t‖∞ (controls on a bound with Qu pushing outward excluded) is below this (default 1e-10). */
  gradientTolerance: number;
  /** Initial regularization μ (default 1e-6). */
  regInit: number;
  /** Floor of μ after decreases (default 1e-9; 0 allowed). */
  regMin: number;
  /** Give up (status 'regularizationLimit') when μ must exceed this (default 1e10). */
  regMax: number;
  /** μ ← max(μ · regIncrease, regFailureFloor) on a failed backward pass or line search (defaults 4, 1e-3). */
  regIncrease: number;
  regFailureFloor: number;
  /** μ ← max(μ / regDecrease, regMin) after an accepted step of length ≥ regDecreaseStepLength (defaults 20, 0.5). */
  regDecrease: number;
  regDecreaseStepLength: number;
  /**
   * An accepted step shorter than this counts as a poor model: μ is increased as after a
   * rejection (default 0.01, set 0 to disable).
   */
  regIncreaseStepLength: number;
  /** Where μ goes: 'control' (Quu + μ I, default) or 'state' (V'xx + μ I). */
  regularization: 'control' | 'state';
  /** Backtracking factor of the line search (default 0.5). */
  lineSearchFactor: number;
  /** Smallest step length tried (default 2^-10). */
  minStepLength: number;
  /** Armijo-like acceptance: actual / expected improvement ≥ this (default 0.01). */
  acceptanceRatio: number;
  /** Re-linearize after a rejected step even though the nominal did not change (default false). */
  relinearizeAfterRejection: boolean;
  /** Options of the per-knot box QP. */
  boxQP: Partial<BoxQPOptions>;
}

export function defaultDdpOptions(overrides: Partial<DdpOptions> = {}): DdpOptions {
  return {
    tolerance: 1e-9,
    convergenceMaxReg: 1e-3,
    gradientTolerance: 1e-10,
    regInit: 1e-6,
    regMin: 1e-9,
    regMax: 1e10,
    regIncrease: 4,
    regFailureFloor: 1e-3,
    regDecrease: 20,
    regDecreaseStepLength: 0.5,
    regIncreaseStepLength: 0.01,
    regularization: 'control',
    lineSearchFactor: 0.5,
    minStepLength: 2 ** -10,
    acceptanceRatio: 0.01,
    relinearizeAfterRejection: false,
    boxQP: {},
    ...overrides,
  };
}

/**
 * Telemetry of one iteration (all times in ms): defined once, by the wire's schema
 * (shared/protocol.ts DdpIterationSchema, documented there); the planner adds the smoothing
 * level and passes it on unchanged (IterationRecord).
 */
export type IterateTelemetry = DdpIteration;

/**
 * What onIterate receives: the telemetry plus the current nominal (after the iteration).
 * xs and us are VIEWS into the solver's buffers, overwritten by later iterations: copy them
 * if you keep them.
 */
export interface IterateInfo extends IterateTelemetry {
  xs: readonly Float64Array[];
  us: readonly Float64Array[];
}

export interface SolveOptions {
  /** Maximum iterations (backward + forward attempts), default 100. */
  maxIterations?: number;
  linearization: LinearizationProvider;
  /** Called after every iteration (awaited). */
  onIterate?: (it: IterateInfo) => void | Promise<void>;
  /**
   * Called before every iteration (awaited), e.g. to change the smoothing level of an R-DDP
   * provider (the provider may as well read its own mutable state). Call
   * solver.invalidateLinearization() there to force a new linearization on an unchanged nominal.
   */
  beforeIteration?: (ctx: { iteration: number; solver: DdpSolver }) => void | Promise<void>;
  /** Checked every iteration; when aborted the best trajectory so far is returned with cancelled: true. */
  signal?: AbortSignal;
}

export type SolveStatus = 'converged' | 'maxIterations' | 'cancelled' | 'regularizationLimit';

export interface SolveResult {
  /** Copies of the final (best, last accepted) trajectory. */
  xs: Float64Array[];
  us: Float64Array[];
  cost: number;
  iterations: number;
  converged: boolean;
  cancelled: boolean;
  status: SolveStatus;
  telemetry: IterateTelemetry[];
}

function now(): number {
  return performance.now();
}

export class DdpSolver {
  readonly dynamics: Dynamics;
  readonly T: number;
  readonly nx: number;
  readonly ndx: number;
  readonly nu: number;
  readonly options: DdpOptions;
  readonly running: readonly Cost[];
  readonly terminal: Cost;
  /** Initial state (mutable through setInitialState). */
  readonly x0: Float64Array;
  readonly uLower: Float64Array;
  readonly uUpper: Float64Array;
  /** True when some bound is finite (the box QP is used). */
  readonly boxed: boolean;

  /** Dynamics linearization along the nominal: T × ndx × ndx and T × ndx × nu, row-major. */
  readonly As: Float64Array;
  readonly Bs: Float64Array;
  /** Feed-forward k (T × nu) and feedback K (T × nu × ndx) of the last backward pass. */
  readonly k: Float64Array;
  readonly K: Float64Array;
  /** Regularized Quu (T × nu × nu) and Qu (T × nu) of the last backward pass (diagnostics). */
  readonly Quu: Float64Array;
  readonly Qu: Float64Array;

  private xsCur: Float64Array[];
  private usCur: Float64Array[];
  private xsTrial: Float64Array[];
  private usTrial: Float64Array[];
  private readonly xsTmp: Float64Array[];
  private readonly derivs: CostDerivatives[];
  private readonly termDerivs: CostDerivatives;
  private costCur = NaN;
  private readonly reg: Regularization;
  private readonly rollouts: Rollouts;
  private readonly lineSearch: LineSearchOutcome = { accepted: false, alpha: 0, cost: NaN, expected: 0, trials: 0 };
  /** A line-search trial: the closed-loop rollout at α into the trial buffers. */
  private readonly tryStep = (alpha: number): number => this.rollouts.closedLoop(alpha, this.xsCur, this.usCur, this.k, this.K, this.xsTrial, this.usTrial);
  private needLinearize = true;
  private needCostDerivs = true;
  private solving = false;
  /** Incremented whenever the nominal changes; gainsVersion: the nominal the gains k, K belong to (-1: none). */
  private nominalVersion = 0;
  private gainsVersion = -1;

  /** ready[t] = 1 once a streaming provider has written knot t (Atomics). */
  private readonly knotReady: Int32Array;
  // backward pass (riccati.ts) and the arguments of its knots
  private readonly riccati: RiccatiPass;
  private readonly knotArgs: RiccatiKnot;
  private readonly lb: Float64Array;
  private readonly ub: Float64Array;

  constructor(problem: DdpProblem, options: Partial<DdpOptions> = {}) {
    const dyn = problem.dynamics;
    this.dynamics = dyn;
    const T = problem.T;
    if (!(Number.isInteger(T) && T >= 1)) throw new Error(`DdpSolver: T must be an integer >= 1, got ${T}`);
    this.T = T;
    const nx = dyn.nq + dyn.nv, ndx = 2 * dyn.nv, nu = dyn.nu;
    this.nx = nx; this.ndx = ndx; this.nu = nu;
    this.options = defaultDdpOptions(options);
    this.reg = new Regularization(this.options);

    const run = problem.running;
    let running: Cost[];
    if (Array.isArray(run)) {
      const arr = run as readonly Cost[];
      if (arr.length === T) running = [...arr];
      else if (arr.length === 1) running = new Array<Cost>(T).fill(arr[0]);
      else throw new Error(`DdpSolver: running must have T = ${T} costs or 1 shared, got ${arr.length}`);
    } else {
      running = new Array<Cost>(T).fill(run as Cost);
    }
    for (const c of [...new Set(running), problem.terminal]) {
      if (c.ndx !== ndx) throw new Error(`DdpSolver: cost has ndx = ${c.ndx}, the dynamics ${ndx}`);
      if (c !== problem.terminal && c.nu !== nu) throw new Error(`DdpSolver: running cost has nu = ${c.nu}, the dynamics ${nu}`);
    }
    if ((problem.terminal as { usesControl?: boolean }).usesControl === true) {
      throw new Error('DdpSolver: the terminal cost has control terms');
    }
    this.running = running;
    this.terminal = problem.terminal;

    if (problem.x0.length !== nx) throw new Error(`DdpSolver: x0 must have nq + nv = ${nx} numbers, got ${problem.x0.length}`);
    this.x0 = Float64Array.from(problem.x0);
    this.uLower = new Float64Array(nu).fill(-Infinity);
    this.uUpper = new Float64Array(nu).fill(Infinity);
    if (problem.uLower) {
      if (problem.uLower.length !== nu) throw new Error(`DdpSolver: uLower must have nu = ${nu} numbers`);
      for (let i = 0; i < nu; i++) this.uLower[i] = problem.uLower[i];
    }
    if (problem.uUpper) {
      if (problem.uUpper.length !== nu) throw new Error(`DdpSolver: uUpper must have nu = ${nu} numbers`);
      for (let i = 0; i < nu; i++) this.uUpper[i] = problem.uUpper[i];
    }
    let boxed = false;
    for (let i = 0; i < nu; i++) {
      if (!(this.uLower[i] <= this.uUpper[i])) throw new Error(`DdpSolver: uLower[${i}] > uUpper[${i}]`);
      if (Number.isFinite(this.uLower[i]) || Number.isFinite(this.uUpper[i])) boxed = true;
    }
    this.boxed = boxed;

    const views = (n: number, m: number): Float64Array[] => {
      const buf = new Float64Array(n * m);
      return Array.from({ length: n }, (_, t) => buf.subarray(t * m, (t + 1) * m));
    };
    this.xsCur = views(T + 1, nx);
    this.xsTrial = views(T + 1, nx);
    this.xsTmp = views(T + 1, nx);
    this.usCur = views(T, nu);
    this.usTrial = views(T, nu);
    // shared memory: a worker-thread provider can write the Jacobians in place
    this.As = new Float64Array(new SharedArrayBuffer(8 * T * ndx * ndx));
    this.Bs = new Float64Array(new SharedArrayBuffer(8 * T * ndx * nu));
    this.knotReady = new Int32Array(new SharedArrayBuffer(4 * T));
    this.k = new Float64Array(T * nu);
    this.K = new Float64Array(T * nu * ndx);
    this.Quu = new Float64Array(T * nu * nu);
    this.Qu = new Float64Array(T * nu);
    {
      const lx = views(T, ndx), lu = views(T, nu), lxx = views(T, ndx * ndx), luu = views(T, nu * nu), lux = views(T, nu * ndx);
      this.derivs = Array.from({ length: T }, (_, t) => ({ lx: lx[t], lu: lu[t], lxx: lxx[t], luu: luu[t], lux: lux[t] }));
    }
    this.termDerivs = createCostDerivatives(ndx, nu);
    this.lb = new Float64Array(nu);
    this.ub = new Float64Array(nu);
    this.riccati = new RiccatiPass(ndx, nu, new BoxQP(nu, this.options.boxQP), this.options.regularization);
    this.knotArgs = {
      A: this.As, ao: 0, B: this.Bs, bo: 0, l: this.derivs[0], k: this.k, ko: 0, K: this.K, Ko: 0,
      lb: this.boxed ? this.lb : null, ub: this.boxed ? this.ub : null,
    };
    this.rollouts = new Rollouts(dyn, this.running, this.terminal, this.x0, this.uLower, this.uUpper);
  }

  /** Current nominal states (T + 1 views, overwritten by later iterations). */
  get xs(): readonly Float64Array[] {
    return this.xsCur;
  }

  /** Current nominal controls (T views). */
  get us(): readonly Float64Array[] {
    return this.usCur;
  }

  /** True cost of the current nominal (the last accepted trajectory: the best so far). */
  get cost(): number {
    return this.costCur;
  }

  /** Current regularization μ. */
  get mu(): number {
    return this.reg.mu;
  }

  /** The last accepted trajectory (views) and its true cost. */
  lastAccepted(): { xs: readonly Float64Array[]; us: readonly Float64Array[]; cost: number } {
    return { xs: this.xsCur, us: this.usCur, cost: this.costCur };
  }

  /**
   * True when k and K come from a backward pass at the current nominal; false before any pass
   * and after an accepted step (they then belong to the nominal before it).
   */
  get gainsAtNominal(): boolean {
    return this.gainsVersion === this.nominalVersion;
  }

  /** Forces the provider to be called at the next iteration even if the nominal did not change. */
  invalidateLinearization(): void {
    this.needLinearize = true;
  }

  /**
   * μ back to regInit, e.g. when the caller changed the model (R-DDP's noise level): the μ
   * raised by rejections was a verdict on the previous model, not on the next one.
   */
  resetRegularization(): void {
    this.reg.reset();
  }

  /** Changes the initial state (e.g. MPC); takes effect at the next solve. */
  setInitialState(x0: ArrayLike<number>): void {
    if (x0.length !== this.nx) throw new Error(`DdpSolver: x0 must have ${this.nx} numbers`);
    for (let i = 0; i < this.nx; i++) this.x0[i] = x0[i];
  }

  /**
   * True cost of the controls us (T × nu, clamped to the bounds) rolled out open-loop from x0
   * on the true dynamics. Does not change the solver's nominal.
   */
  trueCostOf(us: readonly ArrayLike<number>[]): number {
    if (us.length !== this.T) throw new Error(`trueCostOf: expected T = ${this.T} controls, got ${us.length}`);
    return this.rollouts.costOf(us, this.xsTmp);
  }

  private computeCostDerivatives(): void {
    const T = this.T;
    for (let t = 0; t < T; t++) this.running[t].calcDiff(this.xsCur[t], this.usCur[t], this.derivs[t]);
    this.terminal.calcDiff(this.xsCur[T], null, this.termDerivs);
  }

  /**
   * Backward pass with regularization μ. Writes k, K, Quu, Qu, d1, d2, gradNorm.
   * Returns false when a regularized Quu is not positive definite.
   */
  /** Backward pass over every knot (the linearization is complete). False: Quu not PD at mu. */
  private backward(mu: number): boolean {
    this.backwardStart();
    for (let t = this.T - 1; t >= 0; t--) if (!this.backwardKnot(t, mu)) return false;
    return true;
  }

  /**
   * The first backward pass of an iteration while a streaming provider is still linearizing:
   * knot t waits for ready[t] (set by the provider's threads, Atomics), so the Riccati recursion
   * from the last knot overlaps the linearization of the earlier ones (knot-stream.ts).
   */
  private async backwardStreaming(mu: number, ready: Int32Array, linearized: Promise<void>, provider: LinearizationProvider): Promise<boolean> {
    this.backwardStart();
    for (let t = this.T - 1; t >= 0; t--) {
      if (Atomics.load(ready, t) === 0) await knotReady(ready, t, linearized, provider);
      if (!this.backwardKnot(t, mu)) return false;
    }
    return true;
  }

  private backwardStart(): void {
    this.gainsVersion = this.nominalVersion;
    this.riccati.reset(this.termDerivs.lx, this.termDerivs.lxx);
  }

  /** One knot of the Riccati recursion (riccati.ts): gains k_t, K_t, value update; Quu_t, Qu_t stored. */
  private backwardKnot(t: number, mu: number): boolean {
    const nx = this.ndx, nu = this.nu, r = this.riccati, knot = this.knotArgs;
    knot.ao = t * nx * nx; knot.bo = t * nx * nu; knot.l = this.derivs[t];
    knot.ko = t * nu; knot.Ko = t * nu * nx;
    if (this.boxed) {
      const ubar = this.usCur[t];
      for (let a = 0; a < nu; a++) { this.lb[a] = this.uLower[a] - ubar[a]; this.ub[a] = this.uUpper[a] - ubar[a]; }
    }
    const ok = r.knot(knot, mu);
    this.Quu.set(r.QuuR, t * nu * nu);
    this.Qu.set(r.Qu, t * nu);
    return ok;
  }

  private get d1(): number { return this.riccati.d1; }
  private get d2(): number { return this.riccati.d2; }
  private get gradNorm(): number { return this.riccati.gradNorm; }

  /**
   * Steps 1–2 of an iteration: the provider's linearization (when the nominal changed), the cost
   * derivatives and the backward pass, restarted with a larger μ while Quu is not positive
   * definite. A streaming provider reports each knot as it completes: the first backward pass
   * then overlaps the linearization (times.linearize: until the last knot; times.backward: the
   * backward passes, which partly ran during it). status: null when gains are ready, else why
   * the solve stops.
   */
  private async linearizeAndBackward(
    iter: number, provider: LinearizationProvider, times: IterateTelemetry['times'], signal: AbortSignal | undefined,
  ): Promise<{ status: SolveStatus | null; attempts: number }> {
    const t0 = now();
    let pending: Promise<void> | null = null;
    let linearizedAt = t0;
    if (this.needLinearize) {
      const ready = provider.streaming ? this.knotReady : undefined;
      if (ready) for (let t = 0; t < this.T; t++) Atomics.store(ready, t, 0);
      const p = provider.linearize(this.xsCur, this.usCur, this.As, this.Bs, { iteration: iter, ready });
      if (p && ready) pending = p.then(() => { linearizedAt = now(); });
      else if (p) await p;
      this.needLinearize = false;
    }
    const t1 = now();
    if (!pending) times.linearize = t1 - t0;
    if (this.needCostDerivs) {
      this.computeCostDerivatives();
      this.needCostDerivs = false;
    }
    const tc = now();
    times.costs = tc - t1;
    let attempts = 0, ok = false, regOk = true;
    if (pending) {
      attempts++;
      try {
        ok = await this.backwardStreaming(this.reg.mu, this.knotReady, pending, provider);
        // a failed pass (Quu not positive definite) still needs every knot: keep helping
        if (!ok && provider.assist) while (provider.assist()) { /* one knot per call */ }
      } finally {
        await pending; // every knot written (rethrows the provider's error)
      }
      times.linearize = linearizedAt - t0;
      if (!ok && !this.reg.increase()) regOk = false;
    }
    if (signal?.aborted) return { status: 'cancelled', attempts };
    for (; !ok && regOk;) {
      attempts++;
      if (this.backward(this.reg.mu)) { ok = true; break; }
      if (!this.reg.increase()) { regOk = false; break; }
    }
    times.backward = now() - tc;
    return { status: ok && regOk ? null : 'regularizationLimit', attempts };
  }

  /** Copies of the current nominal. */
  private result(status: SolveStatus, iterations: number, telemetry: IterateTelemetry[]): SolveResult {
    return {
      xs: this.xsCur.map((x) => Float64Array.from(x)),
      us: this.usCur.map((u) => Float64Array.from(u)),
      cost: this.costCur,
      iterations,
      converged: status === 'converged',
      cancelled: status === 'cancelled',
      status,
      telemetry,
    };
  }

  /**
   * Solves from the initial guess usInit (T × nu; clamped to the bounds), rolled out from x0.
   * The regularization restarts from regInit. One solve at a time per solver.
   */
  async solve(usInit: readonly ArrayLike<number>[], opts: SolveOptions): Promise<SolveResult> {
    if (this.solving) throw new Error('DdpSolver.solve: a solve is already running on this solver');
    this.solving = true;
    try {
      return await this.solveImpl(usInit, opts);
    } finally {
      this.solving = false;
    }
  }

  private async solveImpl(usInit: readonly ArrayLike<number>[], opts: SolveOptions): Promise<SolveResult> {
    const T = this.T, nu = this.nu, o = this.options;
    if (usInit.length !== T) throw new Error(`DdpSolver.solve: expected T = ${T} initial controls, got ${usInit.length}`);
    for (let t = 0; t < T; t++) {
      if (usInit[t].length !== nu) throw new Error(`DdpSolver.solve: control ${t} must have nu = ${nu} numbers`);
      for (let i = 0; i < nu; i++) this.usCur[t][i] = usInit[t][i];
    }
    const maxIterations = opts.maxIterations ?? 100;
    this.reg.reset();
    this.k.fill(0);
    this.K.fill(0);
    this.nominalVersion++;
    this.gainsVersion = -1;
    this.costCur = this.rollouts.openLoop(this.usCur, this.xsCur);
    if (!Number.isFinite(this.costCur)) throw new Error('DdpSolver.solve: the initial rollout is not finite');
    this.needLinearize = true;
    this.needCostDerivs = true;
    const telemetry: IterateTelemetry[] = [];
    let status: SolveStatus = 'maxIterations';
    let iter = 0;
    for (; iter < maxIterations; iter++) {
      if (opts.signal?.aborted) { status = 'cancelled'; break; }
      if (opts.beforeIteration) await opts.beforeIteration({ iteration: iter, solver: this });
      if (opts.signal?.aborted) { status = 'cancelled'; break; }
      const costBefore = this.costCur;
      const times = { linearize: 0, costs: 0, backward: 0, forward: 0, total: 0 };
      const tIter = now();
      const linearized = this.needLinearize;
      const pass = await this.linearizeAndBackward(iter, opts.linearization, times, opts.signal);
      if (pass.status !== null) { status = pass.status; break; }
      const attempts = pass.attempts;
      const muUsed = this.reg.mu;
      const expectedFull = -(this.d1 + 0.5 * this.d2);
      const info: IterateTelemetry = {
        iteration: iter,
        costBefore,
        cost: costBefore,
        expectedImprovement: expectedFull,
        expectedImprovementFullStep: expectedFull,
        actualImprovement: NaN,
        stepLength: 0,
        regularization: muUsed,
        gradientNorm: this.gradNorm,
        accepted: false,
        converged: false,
        backwardAttempts: attempts,
        lineSearchTrials: 0,
        linearized,
        times,
      };
      const smallStep = muUsed < o.convergenceMaxReg && expectedFull < o.tolerance * Math.max(1, Math.abs(costBefore));
      if (smallStep || this.gradNorm < o.gradientTolerance) {
        info.converged = true;
        times.total = now() - tIter;
        telemetry.push(info);
        if (opts.onIterate) await opts.onIterate({ ...info, xs: this.xsCur, us: this.usCur });
        status = 'converged';
        iter++;
        break;
      }
      // line search on the true dynamics (line-search.ts, rollouts.ts)
      const t0 = now();
      const ls = backtrackingLineSearch(this.tryStep, costBefore, this.d1, this.d2, o, this.lineSearch);
      info.lineSearchTrials = ls.trials;
      info.stepLength = ls.alpha;
      info.expectedImprovement = ls.expected;
      info.actualImprovement = costBefore - ls.cost;
      const accepted = ls.accepted;
      if (accepted) {
        const xs = this.xsCur, us = this.usCur;
        this.xsCur = this.xsTrial; this.usCur = this.usTrial;
        this.xsTrial = xs; this.usTrial = us;
        this.costCur = ls.cost;
        this.nominalVersion++;
      }
      times.forward = now() - t0;
      times.total = now() - tIter;
      info.accepted = accepted;
      info.cost = this.costCur;
      let stop = false;
      if (accepted) {
        if (!this.reg.accepted(info.stepLength)) stop = true;
        this.needLinearize = true;
        this.needCostDerivs = true;
      } else {
        if (o.relinearizeAfterRejection) this.needLinearize = true;
        if (!this.reg.increase()) stop = true;
      }
      telemetry.push(info);
      if (opts.onIterate) await opts.onIterate({ ...info, xs: this.xsCur, us: this.usCur });
      if (stop) {
        status = 'regularizationLimit';
        iter++;
        break;
      }
    }
    return this.result(status, iter, telemetry);
  }
}
