/**
 * Planning: one task, one solver ('ddp' or 'rddp'), from parameters to a recorded result.
 *
 * - 'ddp': box-constrained DDP with the exact (finite-difference) Jacobians of the contact step.
 * - 'rddp': the same solver with randomized-smoothing Jacobians (SmoothedLinearization) whose
 *   noise follows the adaptive schedule (schedule.ts, parameters in plannerScheduleParams):
 *   sigma is kept while the TRUE cost improves, reduced when progress stalls, raised when the
 *   smoothed model sees nothing, and set to 0 at the floor or in the budget's tail: the last
 *   iterations are plain DDP polishing on the original non-smooth problem.
 *   The DDP solver's own convergence tests are off while smoothing (a stationary point of a
 *   smoothed model only means "reduce the noise"); the schedule decides when to stop.
 *
 * Both solvers share the problem, the initial guess and the iteration budget, so they can be
 * compared side by side. Given a seed the result is reproducible bit for bit on the CPU.
 */
import { DdpSolver, defaultDdpOptions, type IterateInfo } from '../control/ddp.ts';
import { defaultSmoothingParams } from '../control/derivative-providers.ts';
import { createProviders, type BackendName } from '../compute/providers.ts';
import { createNoiseSchedule, type NoiseScheduleParams, type ScheduleDecision } from '../control/schedule.ts';
import { smoothedCostSlope } from '../control/sensitivity.ts';
import { getTask, resolveParams, type BuiltTask, type TaskDefinition } from '../control/tasks/index.ts';
import { WarmStartError } from '../control/errors.ts';
import { DEFAULT_DERIVATIVES, type FeedbackGains, type IterationRecord, type PlanResult, type Solver, type SolveJobRequest, type SolverParams, type TrajectoryMsg as Trajectory } from '../../shared/protocol.ts';

export type SolverKind = Solver;
export type { SolverParams };

export function defaultSolverParams(overrides: Partial<SolverParams> = {}): SolverParams {
  return { iterations: 60, samples: 16, sigma0: 1, estimator: 'zero', rule: 'continuation', stateNoiseRatio: 0, seed: 1, backend: 'auto', derivatives: DEFAULT_DERIVATIVES, ...overrides };
}

/**
 * The solver parameters a plan of this task runs: the request's over the task's own settings
 * (TaskDefinition.solverDefaults) over the generic defaults. GET /api/tasks serves it with no
 * request parameters, and the web client's form starts from that.
 */
export function solverParamsFor(def: Pick<TaskDefinition, 'solverDefaults'>, requested: Partial<SolverParams> = {}): SolverParams {
  return defaultSolverParams({ ...def.solverDefaults, ...requested });
}

/**
 * What a plan carries (results, recordings, iterate messages) is defined once, by the wire's
 * schemas in shared/protocol.ts; these are their in-memory forms (numbers possibly non-finite,
 * JSON turns those into null).
 */
export type { FeedbackGains, IterationRecord, PlanResult, Trajectory };

/**
 * A plan request: what a cluster job carries (shared/protocol.ts SolveJobRequestSchema: task,
 * solver, solverParams, warmStart as T x nu controls, feedbackGains; params and solverParams
 * optional here, params checked against the task by resolveParams), plus what only a caller
 * in this process can pass.
 */
export interface PlanRequest extends Omit<SolveJobRequest, 'params' | 'solverParams'> {
  params?: Record<string, unknown>;
  solverParams?: SolveJobRequest['solverParams'];
  onIterate?: (rec: IterationRecord, traj: () => Trajectory) => void | Promise<void>;
  signal?: AbortSignal;
  /** solverParams.backend already resolved (server: 'auto' decided once on the main thread). */
  resolvedBackend?: { backend: BackendName; reason: string };
}

/** The solver's current gains as nested arrays (T × nu × ndx). */
function gainsOf(solver: DdpSolver): number[][][] {
  const { T, nu, ndx, K } = solver;
  return Array.from({ length: T }, (_, t) =>
    Array.from({ length: nu }, (_, a) => Array.from(K.subarray((t * nu + a) * ndx, (t * nu + a + 1) * ndx))));
}

export function trajectoryOf(built: BuiltTask, xs: readonly Float64Array[], us: readonly Float64Array[]): Trajectory {
  const nq = built.model.nq;
  return {
    dt: built.dt,
    q: xs.map((x) => Array.from(x.subarray(0, nq))),
    v: xs.map((x) => Array.from(x.subarray(nq))),
    u: us.map((u) => Array.from(u)),
  };
}

/** Antithetic pairs of whole-trajectory rollouts per iteration for the sensitivity rule's dJ/dsigma. */
export const SENSITIVITY_PAIRS = 8;

/**
 * The schedule the planner runs (schedule.ts documents each parameter):
 * - no forced reduction while the true cost improves (maxItersPerLevel = the budget): sigma is
 *   reduced after `patience` = 3 iterations without a relative decrease of 1e-3, or after 10
 *   consecutive rejected steps (where contacts stick every step is rejected until a sampled
 *   direction breaks the contact, and halving sigma on rejections collapses R-DDP into plain
 *   DDP, the failure mode the seed warns about);
 * - noise increase: a stall of 3 iterations where the smoothed model predicted no decrease
 *   either doubles sigma instead, at most 4 times (sigma0 × 16), and only before any reduction;
 * - polish: the last max(2, 15 %) of the iteration budget are exact-derivative DDP iterations
 *   (or earlier, when sigma falls below sigma0 × 1e-3); polishing stops after 2 iterations
 *   without a relative decrease of 1e-6.
 */
export function plannerScheduleParams(sp: SolverParams): NoiseScheduleParams {
  return {
    sigma0: sp.sigma0, samples0: sp.samples, rule: sp.rule,
    reduceOnReject: false, patience: 3, rejectPatience: 10, maxItersPerLevel: Math.max(1, sp.iterations),
    maxIncreases: 4, increaseFactor: 2,
    budget: sp.iterations, polishTail: Math.max(2, Math.round(0.15 * sp.iterations)),
  };
}

export async function plan(req: PlanRequest): Promise<PlanResult> {
  const def = getTask(req.task);
  const params = resolveParams(def, req.params ?? {});
  const sp = solverParamsFor(def, req.solverParams);
  const built = def.build(params);
  const rddp = req.solver === 'rddp';
  const solver = new DdpSolver(
    { dynamics: built.dynamics, running: built.running, terminal: built.terminal, x0: built.x0, T: built.T, uLower: built.uLower, uUpper: built.uUpper },
    // R-DDP: a rejected step is a verdict on one random estimate of the smoothed Jacobians, so
    // the next iteration redraws the samples (new noise stream) instead of redoing the backward
    // pass on the same estimate with a larger mu.
    rddp ? defaultDdpOptions({ tolerance: 0, gradientTolerance: 0, relinearizeAfterRejection: true }) : defaultDdpOptions(),
  );
  const smoothing = { ...defaultSmoothingParams(), estimator: sp.estimator, sigma: sp.sigma0, samples: sp.samples, seed: sp.seed, stateNoiseRatio: sp.stateNoiseRatio };
  const schedule = rddp ? createNoiseSchedule(plannerScheduleParams(sp)) : null;
  const stopper = new AbortController();
  const onAbort = () => stopper.abort();
  req.signal?.addEventListener('abort', onAbort);
  if (req.signal?.aborted) stopper.abort();

  let uInit = built.uInit;
  if (req.warmStart) {
    if (req.warmStart.length !== built.T || req.warmStart.some((u) => u.length !== built.model.nu)) {
      throw new WarmStartError(built.T, built.model.nu);
    }
    uInit = req.warmStart.map((u) => Float64Array.from(u));
  }
  // after every check that can throw: the providers may hold worker threads and a GPU device
  const providers = await createProviders({ backend: sp.backend, derivatives: sp.derivatives, task: def.name, params, built, smoothing: rddp ? smoothing : null, workers: sp.workers, resolved: req.resolvedBackend });
  const { exact, smooth } = providers;

  const telemetry: IterationRecord[] = [];
  let current: ScheduleDecision | null = null;
  let scheduleStopped = false;
  const t0 = performance.now();
  const result = await solver.solve(uInit, {
    maxIterations: sp.iterations,
    linearization: smooth ?? exact,
    signal: stopper.signal,
    onIterate: async (it: IterateInfo) => {
      const sigma = smooth?.params ? smooth.params.sigma : 0;
      // the solver's record as it is (xs, us: views of its buffers, not part of it), with the smoothing it ran at
      const { xs: _xs, us: _us, ...ddp } = it;
      const rec: IterationRecord = {
        ...ddp,
        sigma, samples: smooth?.params && sigma > 0 ? smooth.params.samples : 0,
        phase: !rddp ? 'exact' : sigma > 0 ? 'smooth' : 'polish',
      };
      telemetry.push(rec);
      if (schedule && smooth && !it.converged) {
        // the sensitivity rule's dJ_sigma/dsigma at the iterate, from rollouts of the true dynamics
        const dJdSigma = sp.rule === 'sensitivity' && schedule.phase === 'smooth'
          ? smoothedCostSlope((us) => solver.trueCostOf(us), it.us, schedule.sigma, SENSITIVITY_PAIRS, sp.seed, it.iteration)
          : undefined;
        current = schedule.update({ trueCostBefore: it.costBefore, trueCostAfter: it.cost, accepted: it.accepted, expectedImprovement: it.expectedImprovementFullStep, dJdSigma });
        if (current.reduced || current.samples !== smooth.params?.samples) {
          smooth.setNoise(current.sigma, current.samples);
          solver.invalidateLinearization();
          // a new noise level is a new model: μ raised by the old one's rejections is reset
          if (current.reduced) solver.resetRegularization();
        }
        if (current.stop) { scheduleStopped = true; stopper.abort(); }
      } else if (schedule && it.converged) {
        scheduleStopped = true;
      }
      if (req.onIterate) await req.onIterate(rec, () => trajectoryOf(built, it.xs, it.us));
    },
  }).finally(() => providers.dispose());
  req.signal?.removeEventListener('abort', onAbort);
  const total = (performance.now() - t0) / 1000;
  const metrics = built.metrics(result.xs, result.us);
  const n = Math.max(1, telemetry.length);
  const mean = (k: 'linearize' | 'backward' | 'forward') => telemetry.reduce((s, r) => s + r.times[k], 0) / n;
  const cancelled = result.cancelled && !scheduleStopped;
  const last = telemetry.at(-1);
  return {
    solver: req.solver, robot: built.robot, task: built.task, params, solverParams: sp, seed: sp.seed,
    iterations: telemetry.length, cost: result.cost, initialCost: telemetry[0]?.costBefore ?? result.cost,
    converged: result.converged || scheduleStopped, cancelled,
    status: scheduleStopped ? 'converged' : result.status,
    success: built.success(metrics), metrics,
    timings: { total_s: total, perIteration_ms: { linearize: mean('linearize'), backward: mean('backward'), forward: mean('forward') } },
    compute: { ...providers.info },
    telemetry, trajectory: trajectoryOf(built, result.xs, result.us),
    ...(req.feedbackGains && last ? { feedback: { K: gainsOf(solver), atFinalNominal: solver.gainsAtNominal, phase: last.phase } } : {}),
  };
}
