/**
 * npm run plan -- --robot solo12 --task lift-leg --solver ddp|rddp [task options] [solver options] [--out run.json]
 *
 * Runs one plan headless: a progress line per iteration on a terminal (iteration, cost, sigma),
 * a summary table at the end, and a JSON file with the whole result (see PlanResult), with the
 * feedback gains K of the final plan (PlanResult.feedback: what `npm run replay` needs).
 * Exit 0 when the plan ran, whatever its success; 1 with a clear message on bad arguments.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { plan, type PlanResult, type SolverKind } from '../planning/planner.ts';
import { getTask, TASKS, TaskParamError } from '../control/tasks/index.ts';
import { RobotMismatchError } from '../control/errors.ts';
import { setRobotDirs } from '../model/robot-catalog.ts';
import { defineCommand, helpText, parseArgs } from './args.ts';
import { SOLVER_FLAGS, solverParamsOf } from './solver-flags.ts';

const COMMAND = defineCommand({
  name: 'plan',
  usage: 'usage: npm run plan -- --task <task> --solver ddp|rddp [options]',
  flags: {
    task: { type: 'string', arg: 'NAME', help: TASKS.map((t) => t.name).join(' | ') },
    robot: { type: 'string', arg: 'NAME', help: "the robot (default: the task's); a project robot or an id of --robots, checked against what the task needs (npm run inspect -- FILE --task T)" },
    robots: { type: 'string', arg: 'DIR', help: 'a folder of robots (URDF, metadata .json) to pick --robot from' },
    solver: { type: 'string', choices: ['ddp', 'rddp'], help: 'classical DDP (exact derivatives) or randomized-smoothing DDP' },
    ...SOLVER_FLAGS,
    seed: { type: 'number', integer: true, help: 'random seed (default 1)' },
    out: { type: 'string', arg: 'FILE', help: 'write the JSON result there' },
    quiet: { type: 'boolean', help: 'no progress lines' },
  },
  extra: 'task parameters (see --task NAME --help): e.g. --foot FL --height 0.05 --horizon 1 --dt 0.01',
});

function fail(msg: string): never {
  process.stderr.write(`plan: ${msg}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let opts;
  try { opts = parseArgs(COMMAND, process.argv.slice(2)); } catch (e) { fail((e as Error).message); }
  if (opts.help && !opts.task) { process.stdout.write(helpText(COMMAND)); return; }
  if (!opts.task) fail('--task is required (see --help)');
  let def;
  try { def = getTask(opts.task); } catch (e) { fail((e as Error).message); }
  if (opts.help) {
    process.stdout.write(`${def.name}: ${def.description}\nrobot: ${def.robot}\nparameters:\n`);
    for (const p of def.params) process.stdout.write(`  --${p.name.padEnd(12)} ${p.description} (default ${p.default}${p.unit ? ' ' + p.unit : ''}${p.options ? '; ' + p.options.join('|') : ''})\n`);
    return;
  }
  if (opts.robots) {
    try { setRobotDirs(opts.robots.split(path.delimiter)); } catch (e) { fail((e as Error).message); }
  }
  const solver: SolverKind | undefined = opts.solver;
  if (solver === undefined) fail("--solver must be ddp or rddp, got ''");
  const params: Record<string, unknown> = {};
  const solverParams: Record<string, unknown> = solverParamsOf(opts);
  if (opts.seed !== undefined) solverParams.seed = opts.seed;
  for (const [k, v] of Object.entries(opts.extra)) {
    const spec = def.params.find((p) => p.name === k);
    if (!spec) fail(`unknown option --${k} for task ${def.name} (see --task ${def.name} --help)`);
    if (spec.type === 'enum') params[k] = v;
    else {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n)) fail(`--${k} must be a number, got '${v}'`);
      params[k] = n;
    }
  }
  const tty = process.stderr.isTTY && !opts.quiet;
  const quiet = opts.quiet;
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
