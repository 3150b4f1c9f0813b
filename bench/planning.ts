/**
 * Planning benchmarks on Solo lift-leg with 100 knots (1 s at 0.01 s): one DDP iteration
 * (exact linearization + backward pass + line search) and one R-DDP iteration with 16 samples
 * per knot (zero-order), split by phase, single-threaded.
 */
import { plan } from '../server/control/planner.ts';
import type { BenchResult } from './harness.ts';

async function iterationTimes(solver: 'ddp' | 'rddp'): Promise<{ median: number; phases: Record<string, number> }> {
  const run = () => plan({ task: 'lift-leg', solver, params: { horizon: 1, dt: 0.01 }, solverParams: { iterations: 4, samples: 16, seed: 1 } });
  await run(); // JIT warm-up: the first iterations run unoptimized code
  const its: import("../server/control/planner.ts").IterationRecord[] = [];
  for (let k = 0; k < 3; k++) its.push(...(await run()).telemetry.filter((t) => t.times.linearize > 0));
  const tot = its.map((t) => t.times.total).sort((a, b) => a - b);
  const med = (k: 'linearize' | 'backward' | 'forward') => its.map((t) => t.times[k]).sort((a, b) => a - b)[its.length >> 1];
  return { median: tot[tot.length >> 1], phases: { linearize_ms: med('linearize'), backward_ms: med('backward'), forward_ms: med('forward') } };
}

export async function planningBench(): Promise<BenchResult[]> {
  const ddp = await iterationTimes('ddp');
  const rddp = await iterationTimes('rddp');
  return [
    { name: 'ddp_iteration', median_us: ddp.median * 1000, target_us: 30_000, note: 'Solo lift-leg, 100 knots, one thread', ...ddp.phases },
    { name: 'rddp_iteration', median_us: rddp.median * 1000, target_us: 150_000, note: 'Solo lift-leg, 100 knots, 16 samples per knot (zero-order), one thread', ...rddp.phases },
  ];
}
