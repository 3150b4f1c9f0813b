/**
 * npm run mpc-study -- [--forces 0,2,4,8] [--seeds K] [--steps N] [--push-step S] [--replan-every R]
 *     [--horizon H] [--iterations I] [--polish P] [--warmup W] [--params JSON] [--out DIR]
 *
 * Push recovery of lift-leg under model-predictive control, DDP-MPC vs R-DDP-MPC
 * (server/live/closed-loop.ts: world and planner in one thread, a replan every R steps adopted
 * at once, so the controller is judged apart from the machine's speed). Each run: N steps of
 * 0.01 s from standing with the live defaults (holdWeight 2000), a push on the base along +y
 * (sideways) of each force for 0.1 s at step S. DDP is deterministic (one run per force);
 * R-DDP runs K seeds. Writes DIR/summary.json (every run: parameters, outcome, the lifted foot's
 * height and the base height per step) and DIR/README.md (the table).
 *
 * Success (stated before the runs): the run did not diverge; over the last 0.5 s the lifted
 * foot is within 1 cm of its target height at every step; the base never drops more than 3 cm
 * below its standing height (the robot did not fall).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createData } from '../dynamics/data.ts';
import { forwardKinematics, updateFramePlacements } from '../dynamics/kinematics.ts';
import { frameIndex } from '../model/model.ts';
import { getTask, resolveParams } from '../control/tasks/index.ts';
import { runClosedLoop } from '../live/closed-loop.ts';
import { defineCommand, parseCommandLine } from './args.ts';

const COMMAND = defineCommand({
  name: 'mpc-study',
  usage: 'usage: npm run mpc-study -- [options]',
  flags: {
    forces: { type: 'string', arg: 'N,...', default: '0,2,4,8', help: 'push forces (N), one condition each' },
    seeds: { type: 'number', arg: 'K', integer: true, min: 1, default: 3, help: 'R-DDP seeds per force (DDP runs once)' },
    steps: { type: 'number', integer: true, min: 1, default: 200, help: 'steps of 0.01 s per run' },
    'push-step': { type: 'number', arg: 'S', integer: true, min: 0, default: 100, help: 'the step the push starts at' },
    'replan-every': { type: 'number', arg: 'R', integer: true, min: 1, default: 1, help: 'steps between replans' },
    horizon: { type: 'number', arg: 'H', check: (x) => x > 0, what: 'a horizon > 0 in s', default: 0.4, help: 'planning horizon in s' },
    iterations: { type: 'number', arg: 'I', integer: true, min: 1, default: 4, help: 'iterations per replan' },
    polish: { type: 'number', arg: 'P', integer: true, min: 0, default: 2, help: 'exact-derivative iterations at the end of each replan' },
    warmup: { type: 'number', arg: 'W', integer: true, min: 0, default: 30, help: 'iterations of the first plan' },
    params: { type: 'string', arg: 'JSON', default: '{}', help: "lift-leg parameters over the live defaults" },
    out: { type: 'string', arg: 'DIR', default: 'docs/results/mpc-push-recovery', help: 'where summary.json and README.md go' },
  },
});
const args = process.argv.slice(2);
const opts = parseCommandLine(COMMAND, args);
const forces = opts.forces.split(',').map((x) => (x.trim() === '' ? NaN : Number(x)));
if (!forces.every(Number.isFinite)) { process.stderr.write(`mpc-study: --forces must be numbers separated by commas, got '${opts.forces}'\n`); process.exit(1); }
const { seeds, steps, horizon, iterations, warmup, polish, out } = opts;
const pushStep = opts['push-step'], every = opts['replan-every'];
const FOOT_RADIUS = 0.016;

const def = getTask('lift-leg');
let overrides: Record<string, unknown>;
try { overrides = JSON.parse(opts.params) as Record<string, unknown>; } catch { process.stderr.write('mpc-study: --params must be a JSON object\n'); process.exit(1); }
const params = resolveParams(def, { ...def.liveDefaults, ...overrides, horizon });
const built = def.build(params);
const model = built.model, data = createData(model);
const foot = frameIndex(model, `${params.foot}_FOOT`);
const target = params.height as number, standing = built.x0[2];
const footHeight = (x: Float64Array) => {
  forwardKinematics(model, data, x.subarray(0, model.nq));
  updateFramePlacements(model, data);
  return data.oMf[12 * foot + 11] - FOOT_RADIUS;
};

interface Run { solver: string; seed: number; force: number; success: boolean; error: string | null; footError: number; minBase: number; foot: number[]; base: number[]; meanSolveMs: number }
const runs: Run[] = [];
const tail = Math.round(0.5 / built.dt);
for (const force of forces) {
  for (const solver of ['ddp', 'rddp'] as const) {
    for (const seed of solver === 'ddp' ? [1] : Array.from({ length: seeds }, (_, k) => k + 1)) {
      const r = await runClosedLoop({
        task: 'lift-leg', params, solver, steps, replanEvery: every,
        solverParams: { iterations, polish, warmup, samples: 16, sigma0: def.solverDefaults?.sigma0 ?? 0.5, estimator: 'zero', seed },
        pushes: force > 0 ? [{ step: pushStep, body: 'base_link', force: [0, force, 0], steps: Math.round(0.1 / built.dt) }] : [],
      });
      const foot = r.xs.map(footHeight), base = r.xs.map((x) => x[2]);
      const last = foot.slice(-tail);
      const footError = Math.max(...last.map((h) => Math.abs(h - target)));
      const minBase = Math.min(...base);
      const success = !r.error && r.xs.length === steps + 1 && footError < 0.01 && minBase > standing - 0.03;
      const meanSolveMs = r.solveMs.reduce((a, b) => a + b, 0) / Math.max(1, r.solveMs.length);
      runs.push({ solver, seed, force, success, error: r.error, footError, minBase, foot: foot.map((h) => +h.toFixed(5)), base: base.map((h) => +h.toFixed(5)), meanSolveMs });
      process.stderr.write(`force ${force} N ${solver} seed ${seed}: ${success ? 'success' : 'failure'} (foot error over the last 0.5 s ${footError.toFixed(3)} m, lowest base ${minBase.toFixed(3)} m${r.error ? `, ${r.error}` : ''})\n`);
    }
  }
}

mkdirSync(out, { recursive: true });
const command = `npm run mpc-study -- ${args.join(' ')}`.trim();
writeFileSync(path.join(out, 'summary.json'), JSON.stringify({ command, params, steps, pushStep, replanEvery: every, iterations, polish, warmup, standing, target, runs }, null, 1));
const rows = forces.map((f) => {
  const cell = (solver: string) => {
    const rs = runs.filter((r) => r.force === f && r.solver === solver);
    return `${rs.filter((r) => r.success).length}/${rs.length}`;
  };
  const detail = (solver: string) => runs.filter((r) => r.force === f && r.solver === solver)
    .map((r) => `${r.footError.toFixed(3)} / ${r.minBase.toFixed(3)}${r.error ? ' (diverged)' : ''}`).join('; ');
  return `| ${f} | ${cell('ddp')} | ${cell('rddp')} | ${detail('ddp')} | ${detail('rddp')} |`;
});
writeFileSync(path.join(out, 'README.md'), `# Push recovery under MPC: lift-leg, DDP-MPC vs R-DDP-MPC

Written by \`${command}\` (server/cli/mpc-study.ts). Closed loop without a clock
(server/live/closed-loop.ts): a replan every ${every} step(s) of ${built.dt} s, adopted at once; horizon
${horizon} s, ${iterations} iterations per replan (${warmup} for the first; R-DDP: the last ${polish} of each
replan with exact derivatives, the polish tail), the live defaults and --params (holdWeight
${params.holdWeight}, baseWeight ${params.baseWeight}); ${steps} steps; a push on the base along +y for 0.1 s at t = ${(pushStep * built.dt).toFixed(2)} s.
DDP is deterministic (one run per force); R-DDP: ${seeds} seeds.

Success (stated before the runs): no divergence, the lifted foot within 1 cm of ${target} m at
every step of the last 0.5 s, the base never more than 3 cm below standing (${standing.toFixed(3)} m).

| push (N) | DDP-MPC success | R-DDP-MPC success | DDP: foot error over the last 0.5 s (m) / lowest base (m) | R-DDP: same, per seed |
|---|---|---|---|---|
${rows.join('\n')}
`);
process.stderr.write(`mpc-study: wrote ${out}\n`);
