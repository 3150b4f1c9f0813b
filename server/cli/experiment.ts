/**
 * npm run experiment -- lift-leg|cube-lift|swing-up [--seeds K] [--out DIR] [task options]
 *     [--iterations N] [--samples M] [--sigma0 S] [--estimator zero|first] [--backend cpu|workers|webgpu|auto]
 *
 * Runs DDP and R-DDP on the same problem, initialization and iteration budget over K seeds
 * (DDP is deterministic: one run serves every seed; R-DDP's noise changes with the seed) and
 * writes into DIR (default results/<task>-<date>): summary.md (success rate, final cost, the
 * task's metric, iterations, time: mean and spread), summary.json (per run: parameters, solver
 * parameters, metrics, status, timings and the noise schedule it ran: sigma, samples, phase,
 * accepted per iteration), runs.json (every full result), and SVG plots: cost versus
 * iteration (log), the task's key quantity versus time, sigma versus iteration; polish
 * iterations (exact derivatives, sigma = 0) are marked on the cost and sigma plots.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { plan, type PlanResult } from '../control/planner.ts';
import { getTask, resolveParams, TASKS } from '../control/tasks/index.ts';
import { isBackendChoice } from '../compute/providers.ts';
import { linePlot, type Series } from './svg-plot.ts';

function fail(msg: string): never {
  process.stderr.write(`experiment: ${msg}\n`);
  process.exit(1);
}

const stats = (xs: number[]) => {
  const n = xs.length, mean = xs.reduce((a, b) => a + b, 0) / Math.max(1, n);
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1));
  return `${mean.toPrecision(4)} ± ${sd.toPrecision(2)}`;
};

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.length === 0 || argv.includes('--help')) {
    process.stdout.write(`usage: npm run experiment -- <${TASKS.map((t) => t.name).join('|')}> [--seeds K] [--out DIR] [task and solver options]\n`);
    return;
  }
  const taskName = argv[0];
  let def;
  try { def = getTask(taskName); } catch (e) { fail((e as Error).message); }
  const opts: Record<string, string> = {};
  for (let i = 1; i < argv.length; i++) {
    if (!argv[i].startsWith('--')) fail(`unexpected argument '${argv[i]}'`);
    const v = argv[i + 1];
    if (v === undefined) fail(`${argv[i]} needs a value`);
    opts[argv[i].slice(2)] = v;
    i++;
  }
  const seeds = Number(opts.seeds ?? 5);
  if (!Number.isInteger(seeds) || seeds < 1) fail(`--seeds must be a positive integer, got '${opts.seeds}'`);
  const solverKeys = new Set(['iterations', 'samples', 'sigma0', 'estimator', 'backend', 'rule', 'workers']);
  if (opts.backend !== undefined && !isBackendChoice(opts.backend)) fail(`--backend must be cpu, workers, webgpu or auto, got '${opts.backend}'`);
  const params: Record<string, unknown> = {};
  const solverParams: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(opts)) {
    if (k === 'seeds' || k === 'out') continue;
    const spec = def.params.find((p) => p.name === k);
    if (solverKeys.has(k)) solverParams[k] = ['estimator', 'backend', 'rule'].includes(k) ? v : Number(v);
    else if (spec) params[k] = spec.type === 'enum' ? v : Number(v);
    else fail(`unknown option --${k}`);
  }
  try { resolveParams(def, params); } catch (e) { fail((e as Error).message); }
  const outDir = opts.out ?? path.join('results', `${def.name}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`);
  mkdirSync(outDir, { recursive: true });

  const runs: PlanResult[] = [];
  process.stderr.write(`DDP on ${def.name}...\n`);
  const ddp = await plan({ task: def.name, params, solver: 'ddp', solverParams });
  runs.push(ddp);
  process.stderr.write(`  DDP: ${ddp.compute.description}, success ${ddp.success}, ${ddp.timings.total_s.toFixed(1)} s\n`);
  for (let s = 1; s <= seeds; s++) {
    process.stderr.write(`R-DDP seed ${s}/${seeds}...\n`);
    const r = await plan({ task: def.name, params, solver: 'rddp', solverParams: { ...solverParams, seed: s } });
    process.stderr.write(`  R-DDP: ${r.compute.description}${r.compute.fallback ? ` (fallback: ${r.compute.fallback})` : ''}, success ${r.success}, ${r.timings.total_s.toFixed(1)} s\n`);
    runs.push(r);
  }
  const rddp = runs.slice(1);
  const metricKey = Object.keys(ddp.metrics).find((k) => typeof ddp.metrics[k] === 'number') ?? '';

  const row = (name: string, rs: PlanResult[]) =>
    `| ${name} | ${rs.filter((r) => r.success).length}/${rs.length} | ${stats(rs.map((r) => r.cost))} | ${stats(rs.map((r) => r.metrics[metricKey] as number))} | ${stats(rs.map((r) => r.iterations))} | ${stats(rs.map((r) => r.timings.total_s))} |`;
  const md = [
    `# ${def.title}: DDP vs R-DDP`,
    '',
    `Task \`${def.name}\` on \`${def.robot}\`, parameters ${JSON.stringify(ddp.params)}; solver settings ${JSON.stringify(rddp[0]?.solverParams ?? ddp.solverParams)}.`,
    `DDP is deterministic (one run); R-DDP over seeds 1..${seeds}. Same initial guess and iteration budget.`,
    `Compute backend (asked ${ddp.compute.requested}): DDP on ${ddp.compute.description} (${ddp.compute.reason}); R-DDP on ${rddp.map((r) => r.compute.description + (r.compute.fallback ? ` [fallback: ${r.compute.fallback}]` : '')).filter((d, i, a) => a.indexOf(d) === i).join(', ')}.`,
    '',
    `| solver | success | final cost | ${metricKey} | iterations | time (s) |`,
    '|---|---|---|---|---|---|',
    row('DDP', [ddp]),
    row('R-DDP', rddp),
    '',
    'Per run:',
    '',
    '| run | status | success | cost | smoothed / polish iterations | ' + Object.keys(ddp.metrics).join(' | ') + ' |',
    '|---|---|---|---|---|' + Object.keys(ddp.metrics).map(() => '---').join('|') + '|',
    ...runs.map((r) => `| ${r.solver}${r.solver === 'rddp' ? ` seed ${r.seed}` : ''} | ${r.status} | ${r.success} | ${r.cost.toPrecision(5)} | ${r.telemetry.filter((t) => t.phase === 'smooth').length} / ${r.telemetry.filter((t) => t.phase === 'polish').length} | ` + Object.values(r.metrics).map((v) => (typeof v === 'number' ? v.toPrecision(4) : String(v))).join(' | ') + ' |'),
    '',
    '![cost](cost.svg) ![trace](trace.svg) ![sigma](sigma.svg)',
    '',
  ].join('\n');
  writeFileSync(path.join(outDir, 'summary.md'), md);
  writeFileSync(path.join(outDir, 'runs.json'), JSON.stringify(runs));
  writeFileSync(path.join(outDir, 'summary.json'), JSON.stringify({
    task: def.name, robot: def.robot, seeds,
    runs: runs.map((r) => ({
      solver: r.solver, seed: r.seed, params: r.params, solverParams: r.solverParams, status: r.status, success: r.success,
      cost: r.cost, initialCost: r.initialCost, iterations: r.iterations, metrics: r.metrics, timings: r.timings, compute: r.compute,
      schedule: r.telemetry.map((t) => ({ iteration: t.iteration, sigma: t.sigma, samples: t.samples, phase: t.phase, accepted: t.accepted, cost: t.cost })),
    })),
  }, null, 1));

  const costSeries: Series[] = [
    { name: 'DDP', x: ddp.telemetry.map((t) => t.iteration + 1), y: ddp.telemetry.map((t) => t.cost), color: '#d62728' },
    ...rddp.map((r, i) => ({ name: i === 0 ? 'R-DDP' : '', x: r.telemetry.map((t) => t.iteration + 1), y: r.telemetry.map((t) => t.cost), color: '#1f77b4' })),
  ];
  const polishPoints = (r: PlanResult, y: (t: PlanResult['telemetry'][number]) => number, i: number): Series => {
    const ts = r.telemetry.filter((t) => t.phase === 'polish');
    return { name: i === 0 ? 'polish (exact)' : '', x: ts.map((t) => t.iteration + 1), y: ts.map(y), color: '#ff7f0e', markers: true };
  };
  costSeries.push(...rddp.map((r, i) => polishPoints(r, (t) => t.cost, i)));
  writeFileSync(path.join(outDir, 'cost.svg'), linePlot(costSeries, { title: 'true cost per iteration', xLabel: 'iteration', yLabel: 'cost', logY: true }));
  const built = def.build(resolveParams(def, params));
  {
    const tr = (r: PlanResult) => built.trace(r.trajectory.q.map((q, i) => Float64Array.from([...q, ...r.trajectory.v[i]])));
    const t0 = tr(ddp);
    const traceSeries: Series[] = [
      { name: 'DDP', x: t0.values.map((_, i) => i * ddp.trajectory.dt), y: t0.values, color: '#d62728' },
      ...rddp.map((r, i) => ({ name: i === 0 ? 'R-DDP' : '', x: tr(r).values.map((_, k) => k * r.trajectory.dt), y: tr(r).values, color: '#1f77b4' })),
    ];
    writeFileSync(path.join(outDir, 'trace.svg'), linePlot(traceSeries, { title: `${t0.label} over time`, xLabel: 'time (s)', yLabel: `${t0.label} (${t0.unit})`, hline: t0.target !== undefined ? { y: t0.target, label: 'target' } : undefined }));
  }
  const sigmaSeries: Series[] = rddp.map((r, i) => ({ name: i === 0 ? 'R-DDP sigma' : '', x: r.telemetry.map((t) => t.iteration + 1), y: r.telemetry.map((t) => Math.max(t.sigma, 1e-6)), color: '#2ca02c' }));
  sigmaSeries.push(...rddp.map((r, i) => polishPoints(r, () => 1e-6, i)));
  writeFileSync(path.join(outDir, 'sigma.svg'), linePlot(sigmaSeries, { title: 'R-DDP noise level', xLabel: 'iteration', yLabel: 'sigma (0 shown as 1e-6: polish)', logY: true }));
  process.stdout.write(md + `\nwritten to ${outDir}\n`);
}

main().catch((e: unknown) => fail((e as Error).stack ?? String(e)));
