/**
 * npx tsx server/cli/support-margin.ts [--robots DIR] EXPERIMENT_DIR...
 *
 * For lift-leg experiments (npm run experiment): per run, the static-balance margin of the
 * robot's centre of mass over its stance feet (the feet but the lifted one) at the first and
 * the last knot, as a markdown table: the signed horizontal distance (mm) of the CoM inside the
 * stance feet's support polygon (dynamics/statics.ts supportMargin; negative: outside). A foot
 * held up at the end of a plan with a negative margin is not held statically.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setRobotDirs } from '../model/robot-catalog.ts';
import { getTask, resolveParams } from '../control/tasks/index.ts';
import { createData } from '../dynamics/data.ts';
import { forwardKinematics, updateFramePlacements } from '../dynamics/kinematics.ts';
import { centerOfMass } from '../dynamics/energy.ts';
import { supportMargin } from '../dynamics/statics.ts';
import { frameIndex } from '../model/model.ts';
import { loadRobot } from '../model/robots.ts';
import { defineCommand, parseCommandLine } from './args.ts';

interface Run { solver: string; solverParams: { seed: number }; params: Record<string, number | string>; success: boolean; metrics: Record<string, number | string | boolean>; trajectory: { q: number[][] } }

const args = parseCommandLine(defineCommand({
  name: 'support-margin',
  usage: 'usage: npx tsx server/cli/support-margin.ts [--robots DIR] EXPERIMENT_DIR...',
  positionals: { name: 'EXPERIMENT_DIR', help: 'a folder written by npm run experiment -- lift-leg', min: 1 },
  flags: { robots: { type: 'string', arg: 'DIR', help: `folders of robots (separated by '${path.delimiter}') the runs' robots come from` } },
}));
if (args.robots !== undefined) setRobotDirs(args.robots.split(path.delimiter));
const dirs = args._;
const def = getTask('lift-leg');
const lines = ['| experiment | run | success | CoM margin at the start (mm) | at the end (mm) |', '|---|---|---|---|---|'];
for (const dir of dirs) {
  const runs = JSON.parse(readFileSync(path.join(dir, 'runs.json'), 'utf8')) as Run[];
  const built = def.build(resolveParams(def, runs[0].params));
  const model = built.model, data = createData(model);
  const robot = built.robot;
  const contact = loadRobot(robot).meta.contactFrames;
  const feet = contact.map((f) => frameIndex(model, f));
  const lifted = contact.indexOf(String(runs[0].metrics.footFrame));
  const margin = (q: number[]) => {
    const qq = Float64Array.from(q);
    forwardKinematics(model, data, qq);
    updateFramePlacements(model, data);
    const c = centerOfMass(model, data, qq);
    const support = feet.filter((_, k) => k !== lifted).map((f) => [data.oMf[12 * f + 9], data.oMf[12 * f + 10]] as [number, number]);
    return 1000 * supportMargin(support, [c[0], c[1]]);
  };
  for (const r of runs) {
    const q = r.trajectory.q;
    lines.push(`| ${path.basename(dir)} | ${r.solver === 'ddp' ? 'ddp' : `rddp seed ${r.solverParams.seed}`} | ${r.success} | ${margin(q[0]).toFixed(1)} | ${margin(q[q.length - 1]).toFixed(1)} |`);
  }
}
process.stdout.write(lines.join('\n') + '\n');
