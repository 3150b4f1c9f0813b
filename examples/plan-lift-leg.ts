/**
 * Plan Solo-12's lift-leg with DDP and with R-DDP and compare them side by side.
 *
 * Shows: the planner's one call (server/planning/planner.ts `plan`: task → solver → result) for
 * both solvers on the same problem, initial guess and iteration budget, and what a result
 * holds: cost, status, the task's metrics and success test, timings and the compute backend.
 * The seed paper's point is visible at the task's defaults (60 iterations, 1 s): DDP gets a null
 * gradient from the sticking foot and only holds its stance, R-DDP breaks the contact and
 * lifts the foot (docs/results/lift-leg/summary.md); with a small budget neither may succeed.
 *
 * Run: npx tsx examples/plan-lift-leg.ts [--iterations N] [--horizon S] [--samples N] [--seed N] [--backend cpu|workers|webgpu|auto]
 *   (defaults: the task's 1 s, 60 iterations, R-DDP 16 samples: about 8 s on two cores)
 */
import { parseArgs } from 'node:util';
import { plan, type PlanResult, type SolverParams } from '../server/planning/planner.ts';

const { values: opt } = parseArgs({
  options: { iterations: { type: 'string' }, horizon: { type: 'string' }, samples: { type: 'string' }, seed: { type: 'string' }, backend: { type: 'string' } },
});
// only what was given: the rest comes from the task's and the planner's defaults
const solverParams: Partial<SolverParams> = {
  ...(opt.iterations ? { iterations: Number(opt.iterations) } : {}),
  ...(opt.samples ? { samples: Number(opt.samples) } : {}),
  ...(opt.seed ? { seed: Number(opt.seed) } : {}),
  ...(opt.backend ? { backend: opt.backend as SolverParams['backend'] } : {}),
};
const params = opt.horizon ? { horizon: Number(opt.horizon) } : {};

const results: PlanResult[] = [];
for (const solver of ['ddp', 'rddp'] as const) {
  const r = await plan({
    task: 'lift-leg', solver, params, solverParams,
    onIterate: (rec) => { process.stderr.write(`\r${solver} iteration ${rec.iteration} cost ${rec.cost.toExponential(4)}   `); },
  });
  process.stderr.write('\n');
  results.push(r);
}

const [ddp, rddp] = results;
const sp = rddp.solverParams;
console.log(`lift-leg, foot ${ddp.params.foot}, ${ddp.params.horizon} s in ${ddp.trajectory.u.length} steps of ${ddp.params.dt} s; budget ${sp.iterations} iterations; R-DDP ${sp.samples} samples, sigma0 ${sp.sigma0}, seed ${sp.seed}`);
const show = (x: unknown) => (typeof x === 'number' ? (Number.isInteger(x) ? String(x) : x.toPrecision(6)) : String(x));
const rows: [string, unknown, unknown][] = [
  ['backend', ddp.compute.backend, rddp.compute.backend],
  ['status', ddp.status, rddp.status],
  ['iterations', ddp.iterations, rddp.iterations],
  ['initial cost', ddp.initialCost, rddp.initialCost],
  ['final cost', ddp.cost, rddp.cost],
  ['success', ddp.success, rddp.success],
  ...Object.keys(ddp.metrics).map((k): [string, unknown, unknown] => [k, ddp.metrics[k], rddp.metrics[k]]),
  ['time (s)', ddp.timings.total_s, rddp.timings.total_s],
];
console.log(`${'metric'.padEnd(20)} ${'DDP'.padStart(14)} ${'R-DDP'.padStart(14)}`);
for (const [name, a, b] of rows) console.log(`${name.padEnd(20)} ${show(a).padStart(14)} ${show(b).padStart(14)}`);
