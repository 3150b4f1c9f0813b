/**
 * npm run experiment -- pose ...: the rendering paper's pose protocol (pose-experiment.ts).
 *
 * npm run experiment -- lift-leg|cube-lift|swing-up|reach [--seeds K] [--out DIR] [--robot ID [--robots DIR]] [task options]
 *     [--iterations N] [--samples M] [--sigma0 S] [--estimator zero|first|lsq] [--backend cpu|workers|webgpu|auto]
 *     [--derivatives fd|analytic]
 *     [--redis URL]
 *
 * With --redis the runs are BullMQ jobs, all submitted at once, on the `npm run worker`
 * processes sharing that Redis (server/cluster/); the summary is the same as a local run's
 * (identical numbers for the same seeds; only the wall-clock times differ).
 *
 * Runs DDP and R-DDP on the same problem, initialization and iteration budget over K seeds
 * (DDP is deterministic: one run serves every seed; R-DDP's noise changes with the seed) and
 * writes into DIR (default results/<task>-<date>): summary.md (success rate, final cost, the
 * task's metric, iterations, time: mean and spread), summary.json (per run: parameters, solver
 * parameters, metrics, status, timings and the noise schedule it ran: sigma, samples, phase,
 * accepted per iteration), runs.json (every full result), and SVG plots over the seeds (R-DDP's
 * median with its min..max band, DDP's run as a line): cost and sigma versus iteration, with
 * rejected steps (open circles) and polish iterations (exact derivatives, sigma = 0) marked,
 * and the task's quantities versus time (BuiltTask.series: for lift-leg the lifted foot's and
 * the other feet's heights, the base height, the knee angle and the foot's contact force).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { plan, type PlanRequest, type PlanResult } from '../planning/planner.ts';
import { RemoteSolves } from '../cluster/remote-solves.ts';
import { getTask, resolveParams, TASKS } from '../control/tasks/index.ts';
import { setRobotDirs } from '../model/robot-catalog.ts';
import { traceContacts } from '../planning/contact-trace.ts';
import { replayInMujoco, type MujocoReplay } from '../peer/replay.ts';
import { linePlot, type Series } from './svg-plot.ts';
import { runPoseExperiment } from './pose-experiment.ts';
import { defineCommand, helpText, parseCommandLine } from './args.ts';
import { SOLVER_FLAGS, solverParamsOf } from './solver-flags.ts';

const COMMAND = defineCommand({
  name: 'experiment',
  usage: `usage: npm run experiment -- <${TASKS.map((t) => t.name).join('|')}|pose> [--seeds K] [--out DIR] [--redis URL] [task and solver options]`,
  positionals: { name: 'the task', min: 1, max: 1 },
  flags: {
    seeds: { type: 'number', arg: 'K', integer: true, min: 1, default: 5, help: "R-DDP seeds (1..K; DDP runs once)" },
    out: { type: 'string', arg: 'DIR', help: 'where the summary, runs and plots go (default results/<task>-<date>)' },
    robot: { type: 'string', arg: 'ID', help: "the robot (default: the task's)" },
    robots: { type: 'string', arg: 'DIR', help: 'a folder of robots to pick --robot from' },
    redis: { type: 'string', arg: 'URL', help: 'run the plans as jobs on the `npm run worker` processes of this Redis' },
    ...SOLVER_FLAGS,
  },
  extra: 'task parameters (npm run plan -- --task T --help lists them)',
  notes: 'npm run experiment -- pose --help: the rendering paper\'s pose protocol',
});

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
  // The rendering paper's pose protocol (server/cli/pose-experiment.ts).
  if (argv[0] === 'pose') return runPoseExperiment(argv.slice(1));
  if (argv.length === 0) { process.stdout.write(helpText(COMMAND)); return; }
  const opts = parseCommandLine(COMMAND, argv);
  let def;
  try { def = getTask(opts._[0]); } catch (e) { fail((e as Error).message); }
  const seeds = opts.seeds;
  const params: Record<string, unknown> = {};
  const solverParams: Record<string, unknown> = solverParamsOf(opts);
  if (opts.robot !== undefined) params.robot = opts.robot;
  for (const [k, v] of Object.entries(opts.extra)) {
    const spec = def.params.find((p) => p.name === k);
    if (!spec) fail(`unknown option --${k} (see --help; the task's parameters: npm run plan -- --task ${def.name} --help)`);
    if (spec.type === 'enum') params[k] = v;
    else {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n)) fail(`--${k} must be a number, got '${v}'`);
      params[k] = n;
    }
  }
  if (opts.robots) {
    try { setRobotDirs(opts.robots.split(path.delimiter)); } catch (e) { fail((e as Error).message); }
  }
  try { def.build(resolveParams(def, params)); } catch (e) { fail((e as Error).message); }
  const outDir = opts.out ?? path.join('results', `${def.name}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`);
  mkdirSync(outDir, { recursive: true });

  if (opts.redis !== undefined && !/^rediss?:\/\//.test(opts.redis)) fail(`--redis: expected redis:// or rediss://`);
  const requests: PlanRequest[] = [
    { task: def.name, params, solver: 'ddp', solverParams, feedbackGains: true },
    ...Array.from({ length: seeds }, (_, i) => ({ task: def.name, params, solver: 'rddp' as const, solverParams: { ...solverParams, seed: i + 1 }, feedbackGains: true })),
  ];
  const describe = (r: PlanResult) => `${r.solver === 'ddp' ? 'DDP' : `R-DDP seed ${r.seed}`}: ${r.compute.description}${r.compute.fallback ? ` (fallback: ${r.compute.fallback})` : ''}, success ${r.success}, ${r.timings.total_s.toFixed(1)} s`;
  let runs: PlanResult[] = [];
  if (opts.redis) {
    // every run at once: the workers take them as they free up; the summary keeps this order
    const remote = new RemoteSolves(opts.redis);
    try {
      await remote.ready();
      process.stderr.write(`${requests.length} runs submitted to the workers of ${opts.redis.replace(/:[^:@/]*@/, ':***@')}...\n`);
      runs = await Promise.all(requests.map((req) => remote.plan({
        ...req, onStart: (w) => process.stderr.write(`  ${req.solver === 'ddp' ? 'DDP' : `R-DDP seed ${req.solverParams!.seed}`} started on ${w.worker}${w.attempt > 1 ? ` (attempt ${w.attempt})` : ''}\n`),
      }).then((r) => { process.stderr.write(`  ${describe(r)}\n`); return r; })));
    } finally {
      await remote.close();
    }
  } else {
    for (const req of requests) {
      process.stderr.write(req.solver === 'ddp' ? `DDP on ${def.name}...\n` : `R-DDP seed ${req.solverParams!.seed}/${seeds}...\n`);
      const r = await plan(req);
      process.stderr.write(`  ${describe(r)}\n`);
      runs.push(r);
    }
  }
  const ddp = runs[0];
  const rddp = runs.slice(1);
  // the referee: every plan replayed in MuJoCo, closed loop with DDP's gains and open loop
  process.stderr.write('replaying the plans in MuJoCo...\n');
  const replays = new Map<PlanResult, MujocoReplay>();
  let noReferee = '';
  try {
    for (const r of runs) replays.set(r, await replayInMujoco(r));
  } catch (e) {
    // a task the referee cannot model says so in the report instead of failing the experiment
    noReferee = (e as Error).message;
    replays.clear();
    process.stderr.write(`  no MuJoCo replay: ${noReferee}\n`);
  }
  const refereeCell = (r: PlanResult) => { const m = replays.get(r); return m ? `${m.closedLoop ? String(m.closedLoop.success) : '—'} / ${m.openLoop.success}` : 'n/a'; };
  const refereeCount = (rs: PlanResult[]) => replays.size === 0 ? 'n/a' : `${rs.filter((r) => replays.get(r)!.closedLoop?.success).length}/${rs.length} / ${rs.filter((r) => replays.get(r)!.openLoop.success).length}/${rs.length}`;
  const metricKey = Object.keys(ddp.metrics).find((k) => typeof ddp.metrics[k] === 'number') ?? '';

  const row = (name: string, rs: PlanResult[]) =>
    `| ${name} | ${rs.filter((r) => r.success).length}/${rs.length} | ${refereeCount(rs)} | ${stats(rs.map((r) => r.cost))} | ${stats(rs.map((r) => r.metrics[metricKey] as number))} | ${stats(rs.map((r) => r.iterations))} | ${stats(rs.map((r) => r.timings.total_s))} |`;
  const md = [
    `# ${def.title}: DDP vs R-DDP`,
    '',
    `Task \`${def.name}\` on \`${ddp.robot}\`, parameters ${JSON.stringify(ddp.params)}; solver settings ${JSON.stringify(rddp[0]?.solverParams ?? ddp.solverParams)}.`,
    `DDP is deterministic (one run); R-DDP over seeds 1..${seeds}. Same initial guess and iteration budget.`,
    replays.size ? `Referee: each plan replayed in MuJoCo ${replays.get(ddp)!.engine.mujoco} (server/peer/replay.ts; soft contacts, ${replays.get(ddp)!.engine.timestep * 1000} ms steps) from the same state, closed loop with DDP's feedback gains and open loop, judged by the task's own success test.` : `Referee: no MuJoCo replay for this task (${noReferee}).`,
    `Compute backend (asked ${ddp.compute.requested}): DDP on ${ddp.compute.description} (${ddp.compute.reason}); R-DDP on ${rddp.map((r) => r.compute.description + (r.compute.fallback ? ` [fallback: ${r.compute.fallback}]` : '')).filter((d, i, a) => a.indexOf(d) === i).join(', ')}.`,
    '',
    `| solver | success | success in MuJoCo, closed / open loop | final cost | ${metricKey} | iterations | time (s) |`,
    '|---|---|---|---|---|---|---|',
    row('DDP', [ddp]),
    row('R-DDP', rddp),
    '',
    'Per run:',
    '',
    '| run | status | success | MuJoCo closed / open | cost | smoothed / polish iterations | ' + Object.keys(ddp.metrics).join(' | ') + ' |',
    '|---|---|---|---|---|---|' + Object.keys(ddp.metrics).map(() => '---').join('|') + '|',
    ...runs.map((r) => `| ${r.solver}${r.solver === 'rddp' ? ` seed ${r.seed}` : ''} | ${r.status} | ${r.success} | ${refereeCell(r)} | ${r.cost.toPrecision(5)} | ${r.telemetry.filter((t) => t.phase === 'smooth').length} / ${r.telemetry.filter((t) => t.phase === 'polish').length} | ` + Object.values(r.metrics).map((v) => (typeof v === 'number' ? v.toPrecision(4) : String(v))).join(' | ') + ' |'),
    '',
    '![cost](cost.svg) ![sigma](sigma.svg)',
    '',
  ].join('\n');
  writeFileSync(path.join(outDir, 'summary.md'), md);
  writeFileSync(path.join(outDir, 'runs.json'), JSON.stringify(runs.map(({ feedback: _gains, ...r }) => r)));
  writeFileSync(path.join(outDir, 'summary.json'), JSON.stringify({
    task: def.name, robot: ddp.robot, seeds,
    runs: runs.map((r) => ({
      solver: r.solver, seed: r.seed, params: r.params, solverParams: r.solverParams, status: r.status, success: r.success,
      cost: r.cost, initialCost: r.initialCost, iterations: r.iterations, metrics: r.metrics, timings: r.timings, compute: r.compute,
      schedule: r.telemetry.map((t) => ({ iteration: t.iteration, sigma: t.sigma, samples: t.samples, phase: t.phase, accepted: t.accepted, cost: t.cost })),
      mujoco: replays.has(r) ? (({ closedLoop, openLoop, maxDeviation }) => ({
        closedLoop: closedLoop && { success: closedLoop.success, metrics: closedLoop.metrics, deviation: closedLoop.deviation },
        openLoop: { success: openLoop.success, metrics: openLoop.metrics, deviation: openLoop.deviation }, maxDeviation,
      }))(replays.get(r)!) : null,
    })),
  }, null, 1));

  // Plots over seeds: R-DDP's median with its min..max band, DDP's single run as a line.
  const DDP_COLOR = '#d62728', RDDP_COLOR = '#1f77b4', POLISH_COLOR = '#ff7f0e';
  const overSeeds = (rows: number[][]) => {
    const n = Math.max(0, ...rows.map((r) => r.length));
    const med: number[] = [], lo: number[] = [], hi: number[] = [];
    for (let i = 0; i < n; i++) {
      const v = rows.filter((r) => i < r.length).map((r) => r[i]).filter(Number.isFinite).sort((a, b) => a - b);
      med.push(v.length ? (v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2) : NaN);
      lo.push(v[0] ?? NaN); hi.push(v[v.length - 1] ?? NaN);
    }
    return { x: med.map((_, i) => i), med, lo, hi };
  };
  const iterPlot = (file: string, title: string, yLabel: string, y: (t: PlanResult['telemetry'][number]) => number, withDdp: boolean) => {
    const m = overSeeds(rddp.map((r) => r.telemetry.map(y)));
    const series: Series[] = [];
    if (withDdp) series.push({ name: 'DDP', x: ddp.telemetry.map((t) => t.iteration + 1), y: ddp.telemetry.map(y), color: DDP_COLOR });
    series.push({ name: `R-DDP median (${rddp.length} seeds), min..max`, x: m.x.map((i) => i + 1), y: m.med, color: RDDP_COLOR, band: { lo: m.lo, hi: m.hi } });
    const marks = (pred: (t: PlanResult['telemetry'][number]) => boolean, name: string, color: string, open: boolean): Series[] => rddp.map((r, i) => {
      const ts = r.telemetry.filter(pred);
      return { name: i === 0 ? name : '', x: ts.map((t) => t.iteration + 1), y: ts.map(y), color, markers: true, open };
    });
    series.push(...marks((t) => !t.accepted, 'rejected step', RDDP_COLOR, true), ...marks((t) => t.phase === 'polish', 'polish (exact)', POLISH_COLOR, false));
    writeFileSync(path.join(outDir, file), linePlot(series, { title, xLabel: 'iteration', yLabel, logY: true }));
  };
  iterPlot('cost.svg', 'true cost per iteration', 'cost', (t) => t.cost, true);
  iterPlot('sigma.svg', 'R-DDP noise level (polish iterations: sigma 0, drawn at 1e-6)', 'sigma', (t) => Math.max(t.sigma, 1e-6), false);

  const built = def.build(resolveParams(def, params));
  const xsOf = (r: PlanResult) => r.trajectory.q.map((q, i) => Float64Array.from([...q, ...r.trajectory.v[i]]));
  const seriesOf = (r: PlanResult) => built.series ? built.series(xsOf(r), traceContacts(built.sim, r.trajectory)) : [built.keyQuantity(xsOf(r))];
  const ddpSeries = seriesOf(ddp), rddpSeries = rddp.map(seriesOf);
  const timePlots = ddpSeries.map((s0, j) => {
    const file = `time-${j}.svg`;
    const m = overSeeds(rddpSeries.map((ss) => ss[j].values));
    const series: Series[] = [
      { name: 'DDP', x: s0.values.map((_, i) => i * ddp.trajectory.dt), y: s0.values, color: DDP_COLOR },
      { name: 'R-DDP median, min..max', x: m.x.map((i) => i * ddp.trajectory.dt), y: m.med, color: RDDP_COLOR, band: { lo: m.lo, hi: m.hi } },
    ];
    writeFileSync(path.join(outDir, file), linePlot(series, { title: `${s0.label} over time`, xLabel: 'time (s)', yLabel: `${s0.label} (${s0.unit})`, hline: s0.target !== undefined ? { y: s0.target, label: s0.targetLabel ?? 'target' } : undefined }));
    return { file, label: s0.label };
  });
  writeFileSync(path.join(outDir, 'summary.md'), md + ['', ...timePlots.map((p) => `![${p.label}](${p.file})`), ''].join('\n'));
  process.stdout.write(md + `\nwritten to ${outDir}\n`);
}

main().catch((e: unknown) => fail((e as Error).stack ?? String(e)));
