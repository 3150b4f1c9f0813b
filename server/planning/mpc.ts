/**
 * The receding-horizon planner of a live session (model-predictive control): one task, one
 * solver ('ddp' or 'rddp'), replanned again and again from the state the simulated world is in.
 *
 * - One DdpSolver and one linearization provider per task build, kept across replans (building
 *   them costs more than an iteration); a parameter change rebuilds them and restarts the noise
 *   schedule (a new goal) but keeps the warm start; a reset restarts both.
 * - Warm start: the previous solution shifted by the knots elapsed since it started (its last
 *   control repeated at the end), as every MPC does; the first replan starts from the task's
 *   initial guess.
 * - A few iterations per replan (solverParams.iterations). DDP's own convergence test may stop
 *   it earlier; R-DDP runs them all while smoothing.
 * - R-DDP's noise: one continuation schedule (schedule.ts) for the whole session, fed every
 *   smoothed iteration of every replan, so σ is carried across replans and decreases as the
 *   plans stop improving; at the floor it polishes with exact derivatives (σ = 0) for good.
 *   Each replan draws new noise: the provider sees a session-wide iteration count.
 * - Polish: the last `polish` iterations of every R-DDP replan use exact derivatives (the true
 *   problem), as an offline R-DDP solve ends with its budget tail. Without them every adopted
 *   plan is the iterate of a smoothed model: in closed loop the schedule never lowers σ (each
 *   replan's first iteration improves on the shifted warm start, which counts as progress), the
 *   plans are never refined on the true dynamics, each shifted warm start costs more than the
 *   last, and on lift-leg the robot flails and falls (docs/results/mpc-push-recovery/).
 * - The feedback gains of the last backward pass come with each plan (exact derivatives when
 *   the replan ends polishing): the world applies u = ū_k + K_k (x ⊖ x̄_k)
 *   (server/live/world.ts), as the solver's own rollouts do.
 *
 * Runs on the thread that calls it; threads/mpc.ts runs it on a worker thread per world.
 */
import { DdpSolver, defaultDdpOptions } from '../control/ddp.ts';
import { defaultSmoothingParams, ExactLinearization, SmoothedLinearization, type Estimator } from '../control/derivative-providers.ts';
import { createNoiseSchedule, type NoiseSchedule } from '../control/schedule.ts';
import { getTask, resolveParams, type BuiltTask, type TaskParams } from '../control/tasks/index.ts';
import type { LinearizationProvider } from '../control/problem.ts';
import type { SolverKind } from './planner.ts';
import type { LiveSolverParams } from '../../shared/protocol.ts';

/**
 * A live session's solver settings, resolved (shared/protocol.ts LiveSolverParamsSchema, every
 * field set): DDP iterations per replan; R-DDP's polish tail (the last iterations of each replan
 * use exact derivatives; 0: every iteration smoothed; capped at the replan's iterations); the
 * iterations of the first, cold replan after a start, a reset or a parameter change (a few
 * iterations track a plan, they do not find one from scratch: R-DDP needs tens to break
 * lift-leg's contact); R-DDP's samples per knot, initial noise (the task's control units),
 * estimator and seed.
 */
export type MpcSolverParams = Required<LiveSolverParams>;

export interface MpcSetup {
  task: string;
  /** Task parameters (the planning horizon is the task's `horizon`). */
  params: Record<string, unknown>;
  solver: SolverKind;
  solverParams: MpcSolverParams;
}

/** One plan, from the state at simulator step `step`. */
export interface MpcPlan {
  /** The simulator step whose state the plan starts from. */
  step: number;
  T: number;
  nx: number;
  nu: number;
  ndx: number;
  /** Predicted states (T + 1) × nx, controls T × nu, gains T × nu × ndx, row-major. */
  xs: Float64Array;
  us: Float64Array;
  K: Float64Array;
  /** True cost of the plan; iterations run; σ of the last smoothed iteration (0: exact derivatives only). */
  cost: number;
  iterations: number;
  sigma: number;
  /** Wall time of the replan (ms) and how many knots the warm start was shifted by. */
  solveMs: number;
  shift: number;
  /** Set when the replan was cancelled before its iterations were all run. */
  cancelled: boolean;
  /** Replans so far in this session (1 for the first). */
  replan: number;
}

/** The continuation schedule of a live session (see the module comment). */
function mpcSchedule(sp: MpcSolverParams): NoiseSchedule {
  return createNoiseSchedule({
    sigma0: sp.sigma0, samples0: sp.samples, rule: 'continuation', reduceOnReject: false,
    patience: 3, rejectPatience: 10, maxItersPerLevel: 1_000_000, maxIncreases: 4, increaseFactor: 2, budget: 0, polishTail: 0,
  });
}

export class RecedingHorizonPlanner {
  readonly solver: SolverKind;
  readonly solverParams: MpcSolverParams;
  readonly task: string;
  #params!: TaskParams;
  #built!: BuiltTask;
  #ddp!: DdpSolver;
  #exact!: ExactLinearization;
  #smooth: SmoothedLinearization | null = null;
  #schedule: NoiseSchedule | null = null;
  /** Previous solution's controls and the step it started from (-1: none). */
  #prev: Float64Array[] = [];
  #prevStep = -1;
  /** Session-wide iteration count (each replan draws new noise). */
  #iterBase = 0;
  #replans = 0;

  constructor(setup: MpcSetup) {
    this.solver = setup.solver;
    this.solverParams = setup.solverParams;
    this.task = setup.task;
    this.setParams(setup.params);
  }

  get built(): BuiltTask { return this.#built; }
  get params(): TaskParams { return this.#params; }
  /** σ the next R-DDP iteration runs with (0 for DDP and once polishing). */
  get sigma(): number { return this.#smooth ? this.#smooth.params.sigma : 0; }

  /** Rebuilds the problem for new task parameters; σ restarts at σ0 (a new goal), the warm start is kept. */
  setParams(params: Record<string, unknown>): void {
    const def = getTask(this.task);
    const resolved = resolveParams(def, params);
    const built = def.build(resolved);
    if (this.#built && (built.T !== this.#built.T || built.dt !== this.#built.dt)) {
      throw new Error('the live planner keeps its horizon and time step: rebuild it to change them');
    }
    this.#params = resolved;
    this.#built = built;
    const rddp = this.solver === 'rddp';
    this.#ddp = new DdpSolver(
      { dynamics: built.dynamics, running: built.running, terminal: built.terminal, x0: built.x0, T: built.T, uLower: built.uLower, uUpper: built.uUpper },
      rddp ? defaultDdpOptions({ tolerance: 0, gradientTolerance: 0, relinearizeAfterRejection: true }) : defaultDdpOptions(),
    );
    this.#exact = new ExactLinearization(built.sim);
    const sp = this.solverParams;
    this.#smooth = rddp
      ? new SmoothedLinearization(built.sim, { ...defaultSmoothingParams(), estimator: sp.estimator, sigma: sp.sigma0, samples: sp.samples, seed: sp.seed })
      : null;
    // a new goal: σ restarts; the previous solution stays the warm start (same T and dt)
    const prev = this.#prev, prevStep = this.#prevStep;
    this.reset();
    this.#prev = prev;
    this.#prevStep = prevStep;
  }

  /** Forgets the previous solution (the next replan starts from the task's guess) and restarts σ at σ0. */
  reset(): void {
    this.#prev = [];
    this.#prevStep = -1;
    if (this.#smooth) {
      this.#schedule = mpcSchedule(this.solverParams);
      this.#smooth.setNoise(this.solverParams.sigma0, this.solverParams.samples);
    }
  }

  /** Restarts R-DDP's noise schedule at σ0 and keeps the warm start (e.g. after a disturbance). */
  restartNoise(): void {
    if (!this.#smooth) return;
    this.#schedule = mpcSchedule(this.solverParams);
    this.#smooth.setNoise(this.solverParams.sigma0, this.solverParams.samples);
  }

  /** The warm start for a replan at `step`: the previous controls shifted by the elapsed knots. */
  warmStart(step: number): { us: Float64Array[]; shift: number } {
    const T = this.#built.T;
    if (this.#prevStep < 0) return { us: this.#built.uInit.map((u) => Float64Array.from(u)), shift: 0 };
    const shift = Math.max(0, step - this.#prevStep);
    const us = Array.from({ length: T }, (_, t) => Float64Array.from(this.#prev[Math.min(t + shift, T - 1)]));
    return { us, shift };
  }

  /** Plans from state x (nq + nv) at simulator step `step`; `between` is awaited before every iteration. */
  async replan(x: ArrayLike<number>, step: number, signal?: AbortSignal, between?: () => Promise<void>): Promise<MpcPlan> {
    const t0 = performance.now();
    const ddp = this.#ddp, built = this.#built, sp = this.solverParams;
    ddp.setInitialState(x);
    const cold = this.#prevStep < 0;
    const { us: warm, shift } = this.warmStart(step);
    const smooth = this.#smooth, schedule = this.#schedule;
    const base = this.#iterBase;
    const inner: LinearizationProvider = smooth ?? this.#exact;
    // the noise stream of a knot depends on the iteration: count them over the session
    const provider: LinearizationProvider = {
      linearize: (xs, us, As, Bs, ctx) => inner.linearize(xs, us, As, Bs, { ...ctx, iteration: base + ctx.iteration }),
    };
    const budget = cold ? Math.max(sp.iterations, sp.warmup) : sp.iterations;
    const polish = smooth ? Math.min(Math.max(0, sp.polish), budget) : 0;
    const smoothed = budget - polish;
    let sigmaUsed = smooth && smoothed > 0 ? smooth.params.sigma : 0;
    // a shifted warm start whose rollout from the new state is not finite: start cold
    if (!Number.isFinite(ddp.trueCostOf(warm))) for (let t = 0; t < warm.length; t++) warm[t].set(built.uInit[t]);
    let result = await ddp.solve(warm, {
      maxIterations: smoothed,
      linearization: provider,
      signal,
      // e.g. a worker lets its cancel messages in between iterations
      ...(between ? { beforeIteration: between } : {}),
      onIterate: (it) => {
        if (!smooth || !schedule) return;
        sigmaUsed = smooth.params.sigma;
        if (schedule.stopped || it.converged) return;
        const d = schedule.update({ trueCostBefore: it.costBefore, trueCostAfter: it.cost, accepted: it.accepted, expectedImprovement: it.expectedImprovementFullStep });
        if (d.reduced || d.samples !== smooth.params.samples) {
          smooth.setNoise(d.sigma, d.samples);
          ddp.invalidateLinearization();
          if (d.reduced) ddp.resetRegularization();
        }
      },
    });
    this.#iterBase += result.iterations + 1;
    if (polish > 0 && !result.cancelled) {
      // the polish tail: exact derivatives from the smoothed iterate (the gains then are exact too)
      const smoothIters = result.iterations;
      result = await ddp.solve(result.us, {
        maxIterations: polish, linearization: this.#exact, signal, ...(between ? { beforeIteration: between } : {}),
      });
      result.iterations += smoothIters;
    }
    this.#prev = result.us;
    this.#prevStep = step;
    this.#replans++;
    const nx = ddp.nx, nu = ddp.nu, T = built.T;
    const xs = new Float64Array((T + 1) * nx), us = new Float64Array(T * nu);
    result.xs.forEach((xk, k) => xs.set(xk, k * nx));
    result.us.forEach((uk, k) => us.set(uk, k * nu));
    return {
      step, T, nx, nu, ndx: ddp.ndx, xs, us, K: Float64Array.from(ddp.K),
      cost: result.cost, iterations: result.iterations, sigma: sigmaUsed,
      solveMs: performance.now() - t0, shift, cancelled: result.cancelled, replan: this.#replans,
    };
  }
}
