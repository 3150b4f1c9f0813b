/**
 * npm run plan -- --robot solo12 --task lift-leg --solver ddp|rddp [task options] [solver options] [--out run.json]
 *
 * Runs one plan headless: a progress line per iteration on a terminal (iteration, cost, sigma),
 * a summary table at the end, and a JSON file with the whole result (see PlanResult), with the
 * feedback gains K of the final plan (PlanResult.feedback: what `npm run replay` needs).
 * Exit 0 when the plan ran, whatever its success; 1 with a clear message on bad arguments.
 */
import { DERIVATIVES, ESTIMATORS } from '../../shared/protocol.ts';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { plan, type PlanResult, type SolverKind } from '../planning/planner.ts';
import { getTask, TASKS, TaskParamError } from '../control/tasks/index.ts';
import { RobotMismatchError } from '../control/errors.ts';
import { setRobotDirs } from '../model/robot-catalog.ts';
import { isBackendChoice } from '../compute/providers.ts';

const USAGE = `usage: npm run plan -- --task <task> --solver ddp|rddp [options]

  --task NAME          ${TASKS.map((t) => t.name).join(' | ')}
  --robot NAME         the robot (default: the task's); a project robot or an id of --robots,
                       checked against what the task needs (npm run inspect -- FILE --task T)
  --robots DIR         a folder of robots (URDF, metadata .json) to pick --robot from
  --solver ddp|rddp    classical DDP (exact derivatives) or randomized-smoothing DDP
  task parameters (see --task NAME --help): e.g. --foot FL --height 0.05 --horizon 1 --dt 0.01
  --iterations N       iteration budget (default 60)
  --samples M          R-DDP samples per knot (default 16)
  --sigma0 S           R-DDP initial noise on the controls (default: the task's)
  --estimator zero|first|lsq   R-DDP estimator (default zero; server/control/estimators.ts)
  --rule continuation|sensitivity|decay   R-DDP noise schedule (default continuation)
  --seed N             random seed (default 1)
  --backend cpu|workers|webgpu|auto   where derivatives are computed (default auto):
                       cpu = this thread, workers = worker-thread pool, webgpu = R-DDP samples
                       on the GPU (exact derivatives on the pool), auto = webgpu when a
                       hardware adapter exists, else workers; the summary says which ran
  --derivatives fd|analytic   exact step Jacobians: analytic (default; finite differences for
                       the steps the analytic path does not cover) or finite differences
  --workers N          worker threads for workers / webgpu (default: CPU cores - 1;
                       the solver thread linearizes knots too)
  --out FILE           write the JSON result there
  --quiet              no progress lines
  --help`;

function fail(msg: string): never {
  process.stderr.write(`plan: ${msg}\n`);
  process.exit(1);
}

const SOLVER_NUM = new Set(['iterations', 'samples', 'sigma0', 'seed', 'stateNoiseRatio', 'workers']);
const SOLVER_STR = new Set(['estimator', 'rule', 'backend', 'derivatives']);

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opts: Record<string, string> = {};
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) fail(`unexpected argument '${a}' (see --help)`);
    const key = a.slice(2);
    if (key === 'help' || key === 'quiet') { flags.add(key); continue; }
    const [k, inline] = key.split('=', 2);
    const val = inline ?? argv[++i];
    if (val === undefined) fail(`--${k} needs a value`);
    opts[k] = val;
  }
  if (flags.has('help') && !opts.task) { process.stdout.write(USAGE + '\n'); return; }
  if (!opts.task) fail('--task is required (see --help)');
  let def;
  try { def = getTask(opts.task); } catch (e) { fail((e as Error).message); }
  if (flags.has('help')) {
    process.stdout.write(`${def.name}: ${def.description}\nrobot: ${def.robot}\nparameters:\n`);
    for (const p of def.params) process.stdout.write(`  --${p.name.padEnd(12)} ${p.description} (default ${p.default}${p.unit ? ' ' + p.unit : ''}${p.options ? '; ' + p.options.join('|') : ''})\n`);
    return;
  }
  if (opts.robots) {
    try { setRobotDirs(opts.robots.split(path.delimiter)); } catch (e) { fail((e as Error).message); }
  }
  if (opts.backend && !isBackendChoice(opts.backend)) fail(`--backend must be cpu, workers, webgpu or auto, got '${opts.backend}'`);
  if (opts.estimator && !(ESTIMATORS as readonly string[]).includes(opts.estimator)) fail(`--estimator must be ${ESTIMATORS.join(', ')}, got '${opts.estimator}'`);
  if (opts.derivatives && !(DERIVATIVES as readonly string[]).includes(opts.derivatives)) fail(`--derivatives must be ${DERIVATIVES.join(' or ')}, got '${opts.derivatives}'`);
  if (opts.rule && !['continuation', 'sensitivity', 'decay'].includes(opts.rule)) fail(`--rule must be continuation, sensitivity or decay, got '${opts.rule}'`);
  const solver = opts.solver as SolverKind;
  if (solver !== 'ddp' && solver !== 'rddp') fail(`--solver must be ddp or rddp, got '${opts.solver ?? ''}'`);
  const params: Record<string, unknown> = {};
  const solverParams: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(opts)) {
    if (['task', 'robot', 'robots', 'solver', 'out'].includes(k)) continue;
    if (SOLVER_NUM.has(k)) {
      const n = Number(v);
      if (!Number.isFinite(n)) fail(`--${k} must be a number, got '${v}'`);
      solverParams[k] = n;
    } else if (SOLVER_STR.has(k)) solverParams[k] = v;
    else {
      const spec = def.params.find((p) => p.name === k);
      if (!spec) fail(`unknown option --${k} for task ${def.name} (see --task ${def.name} --help)`);
      if (spec.type === 'enum') params[k] = v;
      else {
        const n = Number(v);
        if (!Number.isFinite(n)) fail(`--${k} must be a number, got '${v}'`);
        params[k] = n;
      }
    }
  }
  const tty = process.stderr.isTTY && !flags.has('quiet');
  const quiet = flags.has('quiet');
  let result: PlanResult;
  try {
    result = await plan({
      task: def.name, params: opts.robot ? { ...params, robot: opts.robot } : params, solver, solverParams, feedbackGains: true,
      onIterate: (r) => {
        if (quiet) return;
        const line = `iter ${String(r.iteration).padStart(3)}  cost ${r.cost.toExponential(4)}  ${r.accepted ? 'accepted' : 'rejected'}  step ${r.stepLength.toPrecision(3)}  reg ${r.regularization.toExponential(1)}${solver === 'rddp' ? `  sigma ${r.sigma.toPrecision(3)} (${r.phase})` : ''}  ${r.times.total.toFixed(0)} ms`;
        process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
      },
    });
  } catch (e) {
    if (e instanceof TaskParamError || e instanceof RobotMismatchError) fail(e.message);
    throw e;
  }
  if (tty) process.stderr.write('\n');
  const rows: Array<[string, string]> = [
    ['task', `${result.task} on ${result.robot}`], ['solver', result.solver], ['status', result.status],
    ['iterations', String(result.iterations)], ['cost', `${result.initialCost.toPrecision(6)} -> ${result.cost.toPrecision(6)}`],
    ['success', String(result.success)],
    ['backend', `${result.compute.backend}: ${result.compute.description}${result.compute.requested !== result.compute.backend ? ` (asked ${result.compute.requested}: ${result.compute.reason})` : ''}${result.compute.fallback ? `; fallback: ${result.compute.fallback}` : ''}`],
    ...Object.entries(result.metrics).map(([k, v]) => [k, typeof v === 'number' ? v.toPrecision(6) : String(v)] as [string, string]),
    ['time', `${result.timings.total_s.toFixed(2)} s (per iteration: linearize ${result.timings.perIteration_ms.linearize.toFixed(1)} ms, backward ${result.timings.perIteration_ms.backward.toFixed(1)} ms, forward ${result.timings.perIteration_ms.forward.toFixed(1)} ms)`],
  ];
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(20)} ${v}\n`);
  if (opts.out) {
    writeFileSync(opts.out, JSON.stringify(result));
    process.stdout.write(`${'written'.padEnd(20)} ${opts.out}\n`);
  }
}

main().catch((e: unknown) => fail((e as Error).stack ?? String(e)));
