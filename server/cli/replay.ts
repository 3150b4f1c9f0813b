/**
 * npm run replay -- run.json [--open-loop] [--out replay.json] [MuJoCo settings]
 *
 * Replays a plan written by `npm run plan --out` in MuJoCo (server/peer/replay.ts): closed loop
 * with the plan's feedback gains and open loop, and prints the task's success and metrics for
 * the plan as planned and for both replays. Exit 0 when the replay ran, whatever its outcome;
 * 1 with a one-line message for a missing or unreadable file, a JSON that is not a plan
 * result, an unknown task or bad options.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { PlanRequestError } from '../control/errors.ts';
import { PlanFileError, replayInMujoco, type MujocoReplay, type ReplayRun } from '../peer/replay.ts';
import type { RefereeSettings } from '../peer/task-model.ts';
import { defineCommand, parseCommandLine } from './args.ts';

const COMMAND = defineCommand({
  name: 'replay',
  usage: 'usage: npm run replay -- run.json [options]',
  positionals: { name: 'run.json', help: 'a plan written by npm run plan -- ... --out run.json', min: 1, max: 1 },
  flags: {
    'open-loop': { type: 'boolean', help: 'replay the controls open loop only (no feedback gains)' },
    out: { type: 'string', arg: 'FILE', help: 'write the replay (settings, both runs, trajectories) as JSON' },
    substeps: { type: 'number', integer: true, min: 1, max: 1000, help: 'MuJoCo steps per knot (default: time step <= 1 ms)' },
    cone: { type: 'string', choices: ['elliptic', 'pyramidal'], help: 'MuJoCo friction cone (default elliptic)' },
    impratio: { type: 'number', arg: 'R', check: (n) => n > 0, what: 'a number > 0', help: 'MuJoCo frictional/normal impedance ratio (default 100)' },
    solref: { type: 'string', arg: 'TC,DR', help: 'MuJoCo contact time constant and damping ratio (default 2 x time step, 1)' },
  },
  notes: 'MuJoCo settings: defaults in server/peer/task-model.ts',
});

function fail(msg: string): never {
  process.stderr.write(`replay: ${msg.split('\n')[0]}\n`);
  process.exit(1);
}


function fmt(v: number | boolean | string | undefined): string {
  if (v === undefined) return '-';
  if (typeof v === 'number') return Number.isFinite(v) ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : String(v);
  return String(v);
}

function table(r: MujocoReplay): string {
  const cols: Array<[string, { success: boolean; metrics: Record<string, number | boolean | string> } | null, ReplayRun | null]> = [
    ['planned (ours)', r.planned, null],
    ['MuJoCo closed-loop', r.closedLoop, r.closedLoop],
    ['MuJoCo open-loop', r.openLoop, r.openLoop],
  ];
  const rows: string[][] = [['', ...cols.map((c) => c[0])]];
  rows.push(['success', ...cols.map(([, c]) => (c ? String(c.success) : 'n/a'))]);
  for (const k of Object.keys(r.planned.metrics)) rows.push([k, ...cols.map(([, c]) => (c ? fmt(c.metrics[k]) : 'n/a'))]);
  rows.push(['max |q - q*| (m, rad)', '0', ...cols.slice(1).map(([, , run]) => (run ? fmt(run.deviation.q) : 'n/a'))]);
  rows.push(['max |v - v*|', '0', ...cols.slice(1).map(([, , run]) => (run ? fmt(run.deviation.v) : 'n/a'))]);
  rows.push(['clipped controls', '-', ...cols.slice(1).map(([, , run]) => (run ? String(run.clipped) : 'n/a'))]);
  rows.push(['MuJoCo contacts at x_T', '-', ...cols.slice(1).map(([, , run]) => (run ? String(run.contacts.at(-1)) : 'n/a'))]);
  const diverged = cols.slice(1).filter(([, , run]) => run?.divergedAt !== null && run?.divergedAt !== undefined);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const lines = rows.map((row) => row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
  for (const [name, , run] of diverged) lines.push(`${name}: MuJoCo went unstable at knot ${run!.divergedAt}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = parseCommandLine(COMMAND);
  const file = args._[0], out = args.out, openLoop = args['open-loop'];
  const settings: Partial<RefereeSettings> = {};
  if (args.substeps !== undefined) settings.substeps = args.substeps;
  if (args.impratio !== undefined) settings.impratio = args.impratio;
  if (args.cone !== undefined) settings.cone = args.cone;
  if (args.solref !== undefined) {
    const p = args.solref.split(',').map((x) => (x.trim() === '' ? NaN : Number(x)));
    if (p.length !== 2 || !p.every((x) => Number.isFinite(x) && x > 0)) fail(`--solref must be TIMECONST,DAMPRATIO (both > 0), got '${args.solref}'`);
    settings.solref = [p[0], p[1]];
  }
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    fail(code === 'ENOENT' ? `no such file: ${file}` : `cannot read ${file}: ${(e as Error).message}`);
  }
  let json: unknown;
  try { json = JSON.parse(text); } catch (e) { fail(`${file} is not JSON: ${(e as Error).message}`); }
  let r: MujocoReplay;
  try {
    r = await replayInMujoco(json, { openLoopOnly: openLoop, settings });
  } catch (e) {
    if (e instanceof PlanFileError || e instanceof PlanRequestError) fail(`${file}: ${(e as Error).message}`);
    throw e;
  }
  const e = r.engine;
  process.stdout.write(
    `${r.task} (${r.solver}, seed ${r.seed ?? '?'}) replayed in MuJoCo ${e.mujoco}: ${e.knots} knots of ${e.dt} s, ${e.substeps} MuJoCo steps of ${e.timestep.toPrecision(3)} s each; ` +
    `${e.cone} cone, impratio ${e.impratio}, solref ${e.solref.join(' ')}, solimp ${e.solimp.join(' ')}\n`,
  );
  if (!r.closedLoop) process.stdout.write(openLoop ? 'closed loop: skipped (--open-loop)\n' : 'closed loop: n/a (the file has no feedback gains: re-run npm run plan)\n');
  else if (r.gains && !r.gains.atFinalNominal) process.stdout.write(`gains: from the last backward pass (${r.gains.phase}), at the nominal before the final accepted step\n`);
  process.stdout.write(table(r) + '\n');
  if (out) {
    writeFileSync(out, JSON.stringify(r));
    process.stdout.write(`written ${out}\n`);
  }
}

main().catch((e: unknown) => fail((e as Error).stack?.replace(/\n/g, ' | ') ?? String(e)));
