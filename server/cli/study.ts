/**
 * npm run study -- [--grid main|weights|sigma0|hold|hold-sigma0|smoke] [--seeds K] [--out DIR] [--parallel N] [--iterations N] [--redis URL]
 *
 * With --redis URL every run is a BullMQ job on `npm run worker` processes (server/cluster/),
 * all submitted at once; the report is the same as a local study's for the same seeds.
 *
 * Where does the seed's lift-leg contrast hold? Runs DDP (deterministic: one run per cell)
 * and R-DDP (seeds 1..K) on every cell of a grid of lift-leg conditions — objective (foot /
 * pose), its weight, foot, height, time step, horizon — with the default schedule and the
 * task's success test (lift-leg.ts SUCCESS), and writes into DIR (default
 * results/lift-leg-study-<date>):
 * - summary.json: every run (parameters, solver parameters, metrics, success, the criteria it
 *   failed, DDP's gradient norm at the first iteration, the foot's highest point along the
 *   trajectory, the noise schedule per iteration, timings, and the plan's replay in MuJoCo,
 *   closed loop with DDP's gains and open loop, judged by the same test);
 * - summary.md: per cell, DDP's outcome ("bends, foot down" / "lifts" / ...) and R-DDP's success
 *   count, medians and failure reasons, the verdict on the seed's contrast, and the counts over
 *   the grid. Every sentence of it is generated from the runs.
 * Runs are appended to DIR/runs.jsonl as they finish; a study started again with the same DIR
 * reuses them (interrupted studies resume).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ThreadSolves } from '../planning/thread-solves.ts';
import type { Solves } from '../planning/solves.ts';
import { RemoteSolves } from '../cluster/remote-solves.ts';
import type { PlanResult } from '../planning/planner.ts';
import { getTask, resolveParams } from '../control/tasks/index.ts';
import { SUCCESS } from '../control/tasks/lift-leg.ts';
import { replayOnTask, type MujocoReplay } from '../peer/replay.ts';
import { defineCommand, parseCommandLine } from './args.ts';
import { SOLVER_FLAGS } from './solver-flags.ts';

type Cell = { objective: 'foot' | 'pose'; weight: number; velocityWeight: number; foot: string; height: number; dt: number; horizon: number; sigma0: number; hold: number };

/**
 * The grids (task defaults: foot weight 5000, pose weight 100, velocity weight 0.01).
 * main: both objectives on a front and a hind foot, 5 and 8 cm, dt 0.01 and 0.02, horizon 1 s,
 *   and horizon 0.5 s at FL 5 cm: the seed's figure and the robustness targets;
 * weights: at FL 5 cm, dt 0.01 and 0.02, each objective's weight over a decade either side, and
 *   the terminal joint-velocity weight from 0.01 to 1;
 * sigma0: the foot objective at FL 5 cm, dt 0.01 and 0.02, with the initial noise from half to
 *   four times the task's default (0.5 N m);
 * hold: the goal also costed over the last 0.1 or 0.2 s of the horizon (lift-leg's `hold`:
 *   the foot must get there and stay), foot objective on a front and a hind foot, 5 and 8 cm,
 *   dt 0.01 and 0.02; the pose objective with a 0.1 s hold at FL 5 cm;
 * hold-sigma0: the 0.1 s hold with the initial noise at 1 and 2 N m (twice and four times the
 *   task's default) on the foot objective's eight conditions;
 * smoke: one tiny cell, for tests.
 */
function grid(name: string): Cell[] {
  const cells: Cell[] = [];
  const weights = { foot: 5000, pose: 100 } as const;
  const base = { foot: 'FL', height: 0.05, horizon: 1, velocityWeight: 0.01, sigma0: 0.5, hold: 0 };
  if (name === 'main') {
    for (const objective of ['foot', 'pose'] as const)
      for (const foot of ['FL', 'HL'])
        for (const height of [0.05, 0.08])
          for (const dt of [0.01, 0.02]) cells.push({ ...base, objective, weight: weights[objective], foot, height, dt });
    for (const objective of ['foot', 'pose'] as const) cells.push({ ...base, objective, weight: weights[objective], dt: 0.01, horizon: 0.5 });
  } else if (name === 'weights') {
    for (const dt of [0.01, 0.02]) {
      for (const weight of [500, 5000, 50000]) cells.push({ ...base, objective: 'foot', weight, dt });
      for (const weight of [10, 100, 1000]) cells.push({ ...base, objective: 'pose', weight, dt });
      for (const velocityWeight of [0.1, 1])
        for (const objective of ['foot', 'pose'] as const) cells.push({ ...base, objective, weight: weights[objective], velocityWeight, dt });
    }
  } else if (name === 'sigma0') {
    for (const dt of [0.01, 0.02])
      for (const sigma0 of [0.25, 0.5, 1, 2]) cells.push({ ...base, objective: 'foot', weight: weights.foot, sigma0, dt });
  } else if (name === 'hold') {
    for (const hold of [0.1, 0.2])
      for (const foot of ['FL', 'HL'])
        for (const height of [0.05, 0.08])
          for (const dt of [0.01, 0.02]) cells.push({ ...base, objective: 'foot', weight: weights.foot, foot, height, dt, hold });
    for (const dt of [0.01, 0.02]) cells.push({ ...base, objective: 'pose', weight: weights.pose, dt, hold: 0.1 });
  } else if (name === 'hold-sigma0') {
    for (const sigma0 of [1, 2])
      for (const foot of ['FL', 'HL'])
        for (const height of [0.05, 0.08])
          for (const dt of [0.01, 0.02]) cells.push({ ...base, objective: 'foot', weight: weights.foot, foot, height, dt, hold: 0.1, sigma0 });
  } else if (name === 'smoke') {
    cells.push({ ...base, objective: 'foot', weight: 5000, dt: 0.02, horizon: 0.2 });
  } else throw new Error(`unknown grid '${name}' (main, weights, sigma0, hold, hold-sigma0, smoke)`);
  return cells;
}

const cellParams = (c: Cell) => ({ objective: c.objective, [c.objective === 'foot' ? 'footWeight' : 'poseWeight']: c.weight, velocityWeight: c.velocityWeight, foot: c.foot, height: c.height, dt: c.dt, horizon: c.horizon, hold: c.hold });
// (sigma0 and hold in the key only when they are not the task's defaults: runs of earlier grids stay valid)
const cellKey = (c: Cell) => `${c.objective}/${c.weight}/${c.velocityWeight}/${c.foot}/${c.height}/${c.dt}/${c.horizon}${c.sigma0 !== 0.5 ? `/s${c.sigma0}` : ''}${c.hold ? `/h${c.hold}` : ''}`;

/** One run, as stored. */
interface RunRecord {
  cell: string;
  solver: 'ddp' | 'rddp';
  seed: number;
  params: PlanResult['params'];
  solverParams: PlanResult['solverParams'];
  status: string;
  success: boolean;
  failed: string[];
  cost: number;
  initialCost: number;
  iterations: number;
  firstGradientNorm: number;
  maxFootHeightAlong: number;
  metrics: PlanResult['metrics'];
  schedule: { sigma: number; phase: string; accepted: boolean; cost: number }[];
  time_s: number;
  /** The plan replayed in MuJoCo (server/peer/replay.ts): closed loop with DDP's gains, and open loop. */
  mujoco?: { closedLoop: RefereeOutcome | null; openLoop: RefereeOutcome };
}

interface RefereeOutcome { success: boolean; footHeight: number; failed: string[] }

/** The success criteria a run missed (lift-leg.ts SUCCESS). */
function failedCriteria(m: PlanResult['metrics']): string[] {
  const out: string[] = [];
  if (!((m.footError as number) < SUCCESS.footError)) out.push('foot not at height');
  if (!((m.otherFeetMaxHeight as number) < SUCCESS.otherFeet)) out.push('other feet off the ground');
  if (!(Math.abs(m.baseHeightChange as number) < SUCCESS.baseBand)) out.push('base off its height');
  if (!((m.maxJointSpeed as number) < SUCCESS.jointSpeed)) out.push('joints still moving');
  return out;
}

function record(cell: Cell, r: PlanResult, maxFootHeightAlong: number, mujoco: MujocoReplay | null): RunRecord {
  const outcome = (run: MujocoReplay['openLoop']): RefereeOutcome => ({ success: run.success, footHeight: run.metrics.footHeight as number, failed: failedCriteria(run.metrics) });
  return {
    ...(mujoco ? { mujoco: { closedLoop: mujoco.closedLoop ? outcome(mujoco.closedLoop) : null, openLoop: outcome(mujoco.openLoop) } } : {}),
    cell: cellKey(cell), solver: r.solver as 'ddp' | 'rddp', seed: r.seed, params: r.params, solverParams: r.solverParams,
    status: r.status, success: r.success, failed: failedCriteria(r.metrics), cost: r.cost, initialCost: r.initialCost,
    iterations: r.iterations, firstGradientNorm: r.telemetry[0]?.gradientNorm ?? NaN, maxFootHeightAlong, metrics: r.metrics,
    schedule: r.telemetry.map((t) => ({ sigma: t.sigma, phase: t.phase, accepted: t.accepted, cost: t.cost })),
    time_s: r.timings.total_s,
  };
}

/** Median accepted smoothed steps of the successful and of the failed runs ('—' for none). */
const acceptedSplit = (rs: RunRecord[]) => {
  const acc = (r: RunRecord) => r.schedule.filter((t) => t.phase === 'smooth' && t.accepted).length;
  const m = (xs: RunRecord[]) => (xs.length ? String(median(xs.map(acc))) : '—');
  return `${m(rs.filter((r) => r.success))} / ${m(rs.filter((r) => !r.success))}`;
};
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
const cm = (x: number) => `${(100 * x).toFixed(1)} cm`;

/** DDP's outcome in words, from its metrics: the seed says DDP "bends its leg instead of lifting it" (knee change over 0.05 rad, foot down). */
function ddpOutcome(r: RunRecord): string {
  const m = r.metrics;
  if (r.success) return 'lifts (success)';
  const footUp = (m.footHeight as number) > SUCCESS.otherFeet;
  const bends = Math.abs(m.kneeChange as number) > 0.05;
  if (!footUp) {
    const other = r.failed.filter((f) => f !== 'foot not at height');
    return `${bends ? 'bends the knee' : 'knee unchanged'}, foot down${other.length ? ` (${other.join(', ')})` : ''}`;
  }
  return `foot up ${cm(m.footHeight as number)}, fails: ${r.failed.join(', ')}`;
}

function verdict(ddp: RunRecord, rddp: RunRecord[]): string {
  const k = rddp.filter((r) => r.success).length, n = rddp.length;
  const ddpDown = !ddp.success && (ddp.metrics.footHeight as number) <= SUCCESS.otherFeet;
  if (ddp.success) return k >= 0.9 * n ? 'no contrast: both succeed' : 'reversed: DDP succeeds, R-DDP does not reliably';
  if (k >= 0.9 * n) return ddpDown ? 'holds' : 'R-DDP succeeds; DDP fails differently';
  if (k === 0) return 'neither succeeds';
  return `partial: R-DDP ${k}/${n}`;
}

const COMMAND = defineCommand({
  name: 'study',
  usage: 'usage: npm run study -- [options]',
  flags: {
    grid: { type: 'string', arg: 'main|weights|sigma0|hold|hold-sigma0|smoke', default: 'main', help: 'the grid of lift-leg conditions' },
    seeds: { type: 'number', arg: 'K', integer: true, min: 1, default: 10, help: 'R-DDP seeds per condition (DDP runs once)' },
    out: { type: 'string', arg: 'DIR', help: 'where the summary goes (default results/lift-leg-study-<grid>-<date>)' },
    parallel: { type: 'number', integer: true, min: 1, default: 1, help: 'runs at once (with --redis: all)' },
    iterations: { type: 'number', integer: true, min: 1, help: "iteration budget (default: the planner's)" },
    redis: { type: 'string', arg: 'URL', help: 'run the plans as jobs on the `npm run worker` processes of this Redis' },
    // fd, not the planner's analytic default: the study reports in docs/results/ were generated by
    // commands without --derivatives, and rerunning them must give the same runs
    derivatives: { ...SOLVER_FLAGS.derivatives, default: 'fd', help: 'exact step Jacobians: fd (default here: the committed study reports were made with it) or analytic' },
  },
});

function fail(msg: string): never {
  process.stderr.write(`study: ${msg}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const opts = parseCommandLine(COMMAND);
  const gridName = opts.grid;
  let cells: Cell[];
  try { cells = grid(gridName); } catch (e) { fail((e as Error).message); }
  if (opts.redis !== undefined && !/^rediss?:\/\//.test(opts.redis)) fail('--redis: expected redis:// or rediss://');
  const { seeds, derivatives, iterations } = opts;
  // on a cluster every run is submitted at once (Redis is the queue; the workers take them as they free up)
  const parallel = opts.redis ? Number.MAX_SAFE_INTEGER : opts.parallel;
  const def = getTask('lift-leg');
  for (const c of cells) {
    try { resolveParams(def, cellParams(c)); } catch (e) { fail(`cell ${cellKey(c)}: ${(e as Error).message}`); }
  }
  const outDir = opts.out ?? path.join('results', `lift-leg-study-${gridName}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`);
  mkdirSync(outDir, { recursive: true });
  const log = path.join(outDir, 'runs.jsonl');
  const done = new Map<string, RunRecord>();
  // (derivatives in the key only when not finite differences: runs of earlier studies stay valid)
  const runKey = (cell: string, solver: string, seed: number, its = iterations, der: string = derivatives) => `${cell}|${solver}|${seed}|${its ?? ''}${der !== 'fd' ? `|${der}` : ''}`;
  if (existsSync(log)) {
    for (const line of readFileSync(log, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const r = JSON.parse(line) as RunRecord & { iterationsAsked?: number; derivativesAsked?: string };
      done.set(runKey(r.cell, r.solver, r.seed, r.iterationsAsked, r.derivativesAsked ?? 'fd'), r);
    }
  }

  // every run of the grid, DDP first in each cell; run `parallel` at a time on solve threads
  const jobs = cells.flatMap((c) => [{ c, solver: 'ddp' as const, seed: 1 }, ...Array.from({ length: seeds }, (_, i) => ({ c, solver: 'rddp' as const, seed: i + 1 }))]);
  // one task build per condition (robot load and problem set-up), shared by its runs' measurements and replays
  const builds = new Map<string, ReturnType<typeof def.build>>();
  const builtOf = (c: Cell) => { let b = builds.get(cellKey(c)); if (!b) { b = def.build(resolveParams(def, cellParams(c))); builds.set(cellKey(c), b); } return b; };
  let threads: Solves;
  if (opts.redis) {
    const remote = new RemoteSolves(opts.redis);
    try { await remote.ready(); } catch (e) { await remote.close(); fail(`--redis: ${(e as Error).message}`); }
    process.stderr.write(`runs submitted to the workers of ${opts.redis.replace(/:[^:@/]*@/, ':***@')}\n`);
    threads = remote;
  } else threads = new ThreadSolves();
  const t0 = Date.now();
  let next = 0, finished = 0;
  const worker = async () => {
    for (let j = next++; j < jobs.length; j = next++) {
      const { c, solver, seed } = jobs[j];
      const key = runKey(cellKey(c), solver, seed);
      if (!done.has(key)) {
        const r = await threads.plan({ task: 'lift-leg', params: cellParams(c), solver, solverParams: { seed, sigma0: c.sigma0, backend: 'cpu', ...(iterations ? { iterations } : {}), derivatives }, feedbackGains: true });
        const built = builtOf(c);
        const along = Math.max(...built.keyQuantity(r.trajectory.q.map((q, i) => Float64Array.from([...q, ...r.trajectory.v[i]]))).values);
        const rec = record(c, r, along, await replayOnTask(built, r));
        appendFileSync(log, JSON.stringify({ ...rec, iterationsAsked: iterations, ...(derivatives !== 'fd' ? { derivativesAsked: derivatives } : {}) }) + '\n');
        done.set(key, rec);
      }
      finished++;
      process.stderr.write(`\r${finished}/${jobs.length} runs (${((Date.now() - t0) / 1000).toFixed(0)} s)   `);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(parallel, jobs.length) }, worker));
  } finally {
    await threads.close();
  }
  process.stderr.write('\n');

  const rows = cells.map((c) => {
    const ddp = done.get(runKey(cellKey(c), 'ddp', 1))!;
    const rddp = Array.from({ length: seeds }, (_, i) => done.get(runKey(cellKey(c), 'rddp', i + 1))!);
    return { c, ddp, rddp, verdict: verdict(ddp, rddp) };
  });
  const reasons = (rs: RunRecord[]) => {
    const n = new Map<string, number>();
    for (const r of rs) for (const f of r.failed) n.set(f, (n.get(f) ?? 0) + 1);
    return [...n].map(([f, k]) => `${f} ×${k}`).join('; ') || '—';
  };
  const count = (v: string) => rows.filter((r) => r.verdict === v).length;
  /** How many plans succeed in MuJoCo too, closed loop / open loop (of those replayed). */
  const referee = (rs: RunRecord[]) => {
    const withReplay = rs.filter((r) => r.mujoco);
    if (withReplay.length === 0) return '—';
    const closed = withReplay.filter((r) => r.mujoco!.closedLoop?.success).length, open = withReplay.filter((r) => r.mujoco!.openLoop.success).length;
    return `${closed}/${withReplay.length} / ${open}/${withReplay.length}`;
  };
  const mujocoAgrees = rows.flatMap((r) => r.rddp).filter((r) => r.success && r.mujoco?.closedLoop);
  const md = [
    `# lift-leg study (grid \`${gridName}\`): where does DDP vs R-DDP's contrast hold?`,
    '',
    `Generated by \`npm run study -- --grid ${gridName} --seeds ${seeds}${iterations ? ` --iterations ${iterations}` : ''}${derivatives !== 'fd' ? ` --derivatives ${derivatives}` : ''}\` (server/cli/study.ts); ${rows.length} conditions, DDP once and R-DDP over seeds 1..${seeds} each, default solver settings (σ0 as in its column) and noise schedule, backend cpu.`,
    `Success (lift-leg.ts SUCCESS, for both objectives): lifted foot within ${cm(SUCCESS.footError)} of its target height, other feet within ${SUCCESS.otherFeet * 1000} mm of the ground, base within ${cm(SUCCESS.baseBand)} of its standing height, every joint slower than ${SUCCESS.jointSpeed} rad/s at the final time.`,
    `The seed's contrast "holds" in a condition when DDP fails with the foot down and R-DDP succeeds on at least 90 % of the seeds.`,
    '',
    `MuJoCo referee (server/peer/replay.ts, soft contacts, 1 ms steps): every plan replayed from the same state, closed loop with DDP's feedback gains and open loop, judged by the same success test. Of the ${mujocoAgrees.length} R-DDP plans that succeed in our simulator, ${mujocoAgrees.filter((r) => r.mujoco!.closedLoop!.success).length} succeed in MuJoCo closed loop and ${mujocoAgrees.filter((r) => r.mujoco!.openLoop.success).length} open loop.`,
    '',
    `Over the grid: holds in ${count('holds')} of ${rows.length} conditions; neither succeeds in ${count('neither succeeds')}; R-DDP partial in ${rows.filter((r) => r.verdict.startsWith('partial')).length}; DDP succeeds too in ${rows.filter((r) => r.ddp.success).length}.`,
    '',
    '| objective | weight | velocity weight | foot | height | dt | horizon | hold | σ0 | DDP: outcome | DDP: first gradient norm | DDP: knee change (rad) | R-DDP: success | R-DDP: foot lifted ≥ 1 cm | R-DDP: median foot height [min, max] | R-DDP: median final joint speed (rad/s) | R-DDP: median accepted steps of smoothed iterations | R-DDP: same, successes / failures | R-DDP: failed criteria | MuJoCo replay of R-DDP: success closed / open loop | MuJoCo replay of DDP: foot height (closed loop) | verdict |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(({ c, ddp, rddp, verdict: v }) => {
      const fh = rddp.map((r) => r.metrics.footHeight as number);
      return `| ${c.objective} | ${c.weight} | ${c.velocityWeight} | ${c.foot} | ${cm(c.height)} | ${c.dt} | ${c.horizon} s | ${c.hold ? `${c.hold} s` : 'final time'} | ${c.sigma0} | ${ddpOutcome(ddp)} | ${ddp.firstGradientNorm.toExponential(2)} | ${(ddp.metrics.kneeChange as number).toFixed(3)} | ${rddp.filter((r) => r.success).length}/${rddp.length} | ${fh.filter((h) => h >= 0.01).length}/${rddp.length} | ${cm(median(fh))} [${cm(Math.min(...fh))}, ${cm(Math.max(...fh))}] | ${median(rddp.map((r) => r.metrics.maxJointSpeed as number)).toFixed(2)} | ${median(rddp.map((r) => r.schedule.filter((t) => t.phase === 'smooth' && t.accepted).length))} of ${median(rddp.map((r) => r.schedule.filter((t) => t.phase === 'smooth').length))} | ${acceptedSplit(rddp)} | ${reasons(rddp)} | ${referee(rddp)} | ${ddp.mujoco?.closedLoop ? cm(ddp.mujoco.closedLoop.footHeight) : '—'} | ${v} |`;
    }),
    '',
    `Solve time of the ${rows.length * (seeds + 1)} runs: ${rows.flatMap((r) => [r.ddp, ...r.rddp]).reduce((a, r) => a + r.time_s, 0).toFixed(0)} s in all (${opts.redis ? 'as jobs on the cluster\'s workers, backend cpu; times are indicative' : `each on a solve thread, backend cpu, ${parallel} at a time when they ran; a shared 2-core machine: times are indicative`}).`,
    '',
  ].join('\n');
  writeFileSync(path.join(outDir, 'summary.md'), md);
  writeFileSync(path.join(outDir, 'summary.json'), JSON.stringify({
    grid: gridName, seeds, iterations: iterations ?? null, derivatives, success: SUCCESS,
    cells: rows.map(({ c, ddp, rddp, verdict: v }) => ({ ...c, verdict: v, ddp, rddp })),
  })); // compact: about 5 kB per run with its schedule
  process.stdout.write(md + `\nwritten to ${outDir}\n`);
}

main().catch((e: unknown) => fail((e as Error).stack ?? String(e)));
