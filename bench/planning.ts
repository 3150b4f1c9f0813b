/**
 * Planning benchmarks on Solo lift-leg with 100 knots (1 s at 0.01 s): one DDP iteration
 * (exact linearization + backward pass + line search) and one R-DDP iteration with 16 samples
 * per knot (zero-order), split by phase; DDP with analytic and with finite-difference
 * derivatives, and at 50, 200 and 400 knots (cost growth with the horizon). `ddp_iteration` and `rddp_iteration` run as a plan
 * does by default without a GPU (the `workers` backend: cores − 1 worker threads plus the
 * solver thread, all cores busy); `ddp_iteration_single_thread` is DDP on one thread
 * (`cpu`), for reference.
 */
import { plan } from '../server/planning/planner.ts';
import { defaultPoolSize } from '../server/compute/pooled-linearization.ts';
import type { BenchResult } from './harness.ts';

async function iterationTimes(
  solver: 'ddp' | 'rddp', backend: 'cpu' | 'workers', horizon = 1, derivatives: 'fd' | 'analytic' = 'analytic', warmIterations = 15, dt = 0.01, includeFirst = false,
): Promise<{ median: number; phases: Record<string, number> }> {
  // From the standing torques DDP sees a null gradient and stops after one iteration. Start
  // from an R-DDP plan (the foot already lifting) instead: DDP then iterates with forward
  // passes, and the measured iterations find the worker threads warm.
  const params = { horizon, dt };
  const warmStart = (await plan({ task: 'lift-leg', solver: 'rddp', params, solverParams: { iterations: warmIterations, seed: 1 } })).trajectory.u;
  const run = () => plan({ task: 'lift-leg', solver, params, warmStart, solverParams: { iterations: 5, samples: 16, seed: 1, backend, derivatives } });
  await run(); // JIT warm-up: the first iterations run unoptimized code
  const its: import('../server/planning/planner.ts').IterationRecord[] = [];
  // skip each run's first iteration (worker threads start cold)
  for (let k = 0; k < 2; k++) its.push(...(await run()).telemetry.filter((t) => t.times.linearize > 0 && (includeFirst || t.iteration > 0)));
  if (its.length === 0) throw new Error(`bench: DDP made no measured iteration on lift-leg (horizon ${horizon} s, dt ${dt}): it stopped at its first`);
  const tot = its.map((t) => t.times.total).sort((a, b) => a - b);
  const med = (k: 'linearize' | 'backward' | 'forward') => its.map((t) => t.times[k]).sort((a, b) => a - b)[its.length >> 1];
  return { median: tot[tot.length >> 1], phases: { linearize_ms: med('linearize'), backward_ms: med('backward'), forward_ms: med('forward') } };
}

export async function planningBench(): Promise<BenchResult[]> {
  const cores = (await import('node:os')).cpus().length;
  const pool = defaultPoolSize();
  const ddp = await iterationTimes('ddp', 'cpu');
  const ddpW = await iterationTimes('ddp', 'workers');
  const rddp = await iterationTimes('rddp', 'workers');
  const ddpFd = await iterationTimes('ddp', 'workers', 1, 'fd');
  // cost growth with the horizon (50 .. 400 knots), same backend
  const growth: BenchResult[] = [];
  // (400 knots: 2 s at dt 0.005, lift-leg's horizon being at most 3 s). From these warm starts
  // DDP may stop at its first iteration (a null gradient): the first iterations count here
  // (the pool is warm from the run before), their forward phase is then 0

  for (const [h, dt] of [[0.5, 0.01], [2, 0.01], [2, 0.005]]) {
    const r = await iterationTimes('ddp', 'workers', h, 'analytic', 15, dt, true);
    const n = Math.round(h / dt);
    growth.push({ name: `ddp_iteration_${n}_knots`, median_us: r.median * 1000, per_knot_us: r.median * 1000 / n, note: `as ddp_iteration, ${h} s horizon at dt ${dt}`, ...r.phases });
  }
  return [
    { name: 'ddp_iteration', median_us: ddpW.median * 1000, target_us: 8_000, per_knot_us: ddpW.median * 10, note: `Solo lift-leg, 100 knots, analytic derivatives, ${cores} cores: ${pool} worker thread${pool > 1 ? 's' : ''} + the solver thread`, ...ddpW.phases },
    { name: 'ddp_iteration_fd', median_us: ddpFd.median * 1000, note: 'as ddp_iteration with finite-difference derivatives (--derivatives fd), same run', ...ddpFd.phases },
    ...growth,
    { name: 'ddp_iteration_single_thread', median_us: ddp.median * 1000, note: 'Solo lift-leg, 100 knots, one thread (cpu backend), for reference', ...ddp.phases },
    { name: 'rddp_iteration', median_us: rddp.median * 1000, target_us: 150_000, note: `Solo lift-leg, 100 knots, 16 samples per knot (zero-order), ${cores} cores: ${pool} worker thread${pool > 1 ? 's' : ''} + the solver thread`, ...rddp.phases },
  ];
}
