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

const USAGE = `usage: npm run replay -- run.json [options]

  run.json             a plan written by npm run plan -- ... --out run.json
  --open-loop          replay the controls open loop only (no feedback gains)
  --out FILE           write the replay (settings, both runs, trajectories) as JSON
  MuJoCo settings (defaults: server/peer/task-model.ts):
  --substeps N         MuJoCo steps per knot (default: time step <= 1 ms)
  --cone elliptic|pyramidal   friction cone (default elliptic)
  --impratio R         frictional/normal impedance ratio (default 100)
  --solref TC,DR       contact time constant and damping ratio (default 2 x time step, 1)
  --help`;

function fail(msg: string): never {
  process.stderr.write(`replay: ${msg.split('\n')[0]}\n`);
  process.exit(1);
}

function numberOpt(name: string, v: string, check: (n: number) => boolean): number {
  const n = Number(v);
  if (!Number.isFinite(n) || !check(n)) fail(`--${name}: bad value '${v}'`);
  return n;
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
  const argv = process.argv.slice(2);
  let file: string | undefined;
  let out: string | undefined;
  let openLoop = false;
  const settings: Partial<RefereeSettings> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help') { process.stdout.write(USAGE + '\n'); return; }
    if (a === '--open-loop') { openLoop = true; continue; }
    if (!a.startsWith('--')) {
      if (file !== undefined) fail(`unexpected argument '${a}' (one plan file; see --help)`);
      file = a;
      continue;
    }
    const [k, inline] = a.slice(2).split('=', 2);
    const val = inline ?? argv[++i];
    if (val === undefined) fail(`--${k} needs a value`);
    switch (k) {
      case 'out': out = val; break;
      case 'substeps': settings.substeps = numberOpt(k, val, (n) => Number.isInteger(n) && n >= 1 && n <= 1000); break;
      case 'impratio': settings.impratio = numberOpt(k, val, (n) => n > 0); break;
      case 'cone':
        if (val !== 'elliptic' && val !== 'pyramidal') fail(`--cone must be elliptic or pyramidal, got '${val}'`);
        settings.cone = val;
        break;
      case 'solref': {
        const p = val.split(',');
        if (p.length !== 2) fail(`--solref must be TIMECONST,DAMPRATIO, got '${val}'`);
        settings.solref = [numberOpt(k, p[0], (n) => n > 0), numberOpt(k, p[1], (n) => n > 0)];
        break;
      }
      default: fail(`unknown option --${k} (see --help)`);
    }
  }
  if (file === undefined) fail('a plan file is required (npm run replay -- run.json; see --help)');
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
