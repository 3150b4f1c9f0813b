/**
 * npm run inspect -- <urdf | robot name | robot .json> [--floating | --fixed] [--json] [--package-dir DIR]... [--task T] [--help]
 *
 * Prints a summary of the model: sizes, total mass, joints in q order, frames, and where its
 * description came from (metadata, SRDF, detection). With --task, what that task would use of
 * the robot and why, or what is missing (exit code 2). With --json, exactly one JSON object on
 * stdout (infinite limits as null). Warnings go to stderr; an error is one line on stderr and
 * exit code 1.
 */
import type { Model } from '../model/model.ts';
import { jointOf, jointTypeName } from '../model/joints/index.ts';
import { listRobots, loadRobot, posture, type LoadedRobot, type RobotMeta } from '../model/robots.ts';
import { getTask, TASKS } from '../control/tasks/index.ts';
import { DEFAULT_FOOT_RADIUS, footContactModel, liftLegFeet, liftLegTorqueBound, standingName } from '../control/tasks/lift-leg.ts';
import { defineCommand, helpText, parseArgs, UsageError } from './args.ts';

const COMMAND = defineCommand({
  name: 'inspect',
  usage: `usage: npm run inspect -- <urdf file | robot name | robot .json> [options]

Prints a summary of the robot model built from a URDF.`,
  positionals: { name: 'a URDF file or robot name', min: 1, max: 1 },
  flags: {
    floating: { type: 'boolean', help: "give the root link a free-flyer joint (default: from the robot's metadata; welded to the world for a bare .urdf)" },
    fixed: { type: 'boolean', help: 'weld the root link to the world (overrides the metadata)' },
    json: { type: 'boolean', help: 'print one JSON object instead of text' },
    'package-dir': { type: 'string', arg: 'DIR', repeat: true, help: 'directory searched for package:// mesh URIs' },
    task: { type: 'string', arg: 'T', help: `what task T (${TASKS.map((t) => t.name).join(', ')}) would use of the robot and why, or what it misses (exit code 2)` },
  },
  notes: `Fields the robot's metadata leaves out come from an SRDF beside the URDF (postures such as
'standing', end effectors) and from detection (legs' tips as feet, a floating base for two or
more legs, the longest chain's tip as an arm's end effector). To override, write a <name>.json
beside the URDF (or in the --robots folder) with "urdf" and the fields to fix: "floating",
"contactFrames", "postures", "footRadius", "endEffector", "torqueLimit".

robots: ${listRobots().join(', ') || '(none)'}`,
});

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

function summary(model: Model, meta: RobotMeta) {
  let mass = model.rootInertia[0];
  for (let j = 1; j < model.njoints; j++) mass += model.inertias[10 * j];
  const joints = [];
  for (let j = 1; j < model.njoints; j++) {
    const iq = model.idxQ[j];
    const iv = model.idxV[j];
    const free = !jointOf(model, j).actuated;
    joints.push({
      name: model.jointNames[j],
      type: jointTypeName(model, j),
      parent: model.jointNames[model.parents[j]],
      body: model.bodyNames[j],
      idxQ: iq,
      idxV: iv,
      nq: model.nqs[j],
      nv: model.nvs[j],
      axis: free ? null : Array.from(model.axes.subarray(3 * j, 3 * j + 3)),
      lower: free ? null : finite(model.lowerPositionLimit[iq]),
      upper: free ? null : finite(model.upperPositionLimit[iq]),
      effort: free ? null : finite(model.effortLimit[iv]),
      velocity: free ? null : finite(model.velocityLimit[iv]),
      damping: free ? 0 : model.damping[iv],
      friction: free ? 0 : model.friction[iv],
      mass: model.inertias[10 * j],
    });
  }
  return {
    name: model.name,
    source: model.source,
    floating: model.floating,
    nq: model.nq,
    nv: model.nv,
    nu: model.nu,
    njoints: model.njoints,
    mass,
    rootMass: model.rootInertia[0],
    joints,
    frames: model.frames.map((f) => ({
      name: f.name,
      kind: f.kind,
      parentJoint: f.parentJoint,
      translation: Array.from(f.placement.subarray(9, 12)),
    })),
    visuals: model.visuals.length,
    collisions: model.collisions.length,
    contactFrames: meta.contactFrames,
    postures: Object.keys(meta.postures),
    torqueLimit: meta.torqueLimit,
    endEffector: meta.endEffector,
    footRadius: meta.footRadius,
    srdf: meta.srdf,
    why: meta.why,
  };
}

/** What a task would use of the robot, each with its reason, or the missing piece. */
function taskUse(taskName: string, robot: LoadedRobot, id: string): { task: string; fits: boolean; missing: string | null; uses: { what: string; value: string; why: string }[] } {
  const def = getTask(taskName);
  const missing = def.fits(robot, id);
  const { meta, model } = robot;
  const uses: { what: string; value: string; why: string }[] = [];
  if (def.name === 'lift-leg') {
    uses.push({ what: 'base', value: meta.floating ? 'floating' : 'fixed', why: meta.why.floating });
    uses.push({ what: 'feet', value: meta.contactFrames.join(', ') || 'none', why: meta.why.contactFrames });
    const st = standingName(robot);
    uses.push({ what: 'standing posture', value: st ?? 'none', why: st === null ? meta.why.postures : `${st === 'standing' ? "the posture named 'standing'" : `no 'standing': the first posture`}; ${meta.why.postures}` });
    if (missing === null) {
      const { radii, stated } = footContactModel(robot);
      meta.contactFrames.forEach((f, k) => {
        const why = stated[k] ? 'the collision sphere centred on the foot'
          : `no collision sphere on the foot (${model.collisions.filter((g) => g.parentJoint === model.frames.find((x) => x.name === f)!.parentJoint).map((g) => g.shape.type).join(', ') || 'no collision geometry'}): a contact sphere of ${meta.footRadius !== null ? 'the metadata\'s footRadius' : `the default radius ${DEFAULT_FOOT_RADIUS} m`}; mesh collisions are left out of the task's model`;
        uses.push({ what: `contact ${f}`, value: `sphere r = ${radii[k]} m`, why });
      });
      const legs = liftLegFeet(robot);
      uses.push({ what: 'foot codes', value: Object.entries(legs).map(([c, l]) => `${c} = ${l.frame} (knee ${l.knee})`).join(', '), why: 'front/hind and left/right by where the feet stand in the standing posture (base frame)' });
      const q = posture(meta, model, st!);
      uses.push({ what: 'start', value: `base height ${q[2]} m in the posture; raised or lowered so the lowest foot sphere touches the ground`, why: 'the task starts with the feet on the ground under static-equilibrium torques' });
    }
    const tb = liftLegTorqueBound(robot, 0);
    const distinct = [...new Set(tb.bound)].sort((a, b) => a - b);
    uses.push({ what: 'torque limit', value: `${distinct.join(', ')} N m (unless the plan's torqueLimit > 0 says otherwise)`, why: tb.why });
  } else if (def.name === 'reach' || def.name === 'swing-up') {
    uses.push({ what: 'base', value: meta.floating ? 'floating' : 'fixed', why: meta.why.floating });
    uses.push({ what: 'end effector', value: meta.endEffector ?? 'none', why: meta.why.endEffector });
    uses.push({ what: 'start', value: def.name === 'swing-up' ? 'q = 0 (hanging down), target: first joint at pi, the others at 0' : `${Object.keys(meta.postures)[0] ?? 'q = 0'}`, why: def.name === 'swing-up' ? 'the task assumes the chain hangs down at q = 0' : meta.why.postures });
    if (model.collisions.some((g) => g.shape.type === 'mesh')) uses.push({ what: 'collisions', value: 'none', why: 'the task runs in an empty scene: mesh collision geometry is left out' });
  } else {
    uses.push({ what: 'robot', value: id, why: def.needs });
  }
  return { task: def.name, fits: missing === null, missing, uses };
}

function fmt(x: number | null, unit = ''): string {
  if (x === null) return 'inf';
  return `${Number(x.toPrecision(6))}${unit}`;
}

function printText(s: ReturnType<typeof summary>): void {
  const lines: string[] = [];
  lines.push(`robot ${s.name}  (${s.source})`);
  lines.push(`  base: ${s.floating ? 'floating (free-flyer root_joint)' : 'fixed to the world'}`);
  lines.push(`  nq ${s.nq}  nv ${s.nv}  nu ${s.nu}  joints ${s.njoints - 1} (+ universe)`);
  lines.push(
    `  total mass ${fmt(s.mass, ' kg')}${s.floating ? '' : ` (of which fixed root ${fmt(s.rootMass, ' kg')})`}`,
  );
  if (s.contactFrames.length) lines.push(`  contact frames: ${s.contactFrames.join(', ')}`);
  if (s.postures.length) lines.push(`  postures: ${s.postures.join(', ')}`);
  if (s.torqueLimit !== null) lines.push(`  torque limit: ${s.torqueLimit} N m`);
  if (s.endEffector !== null) lines.push(`  end effector: ${s.endEffector}`);
  if (s.srdf !== null) lines.push(`  SRDF: ${s.srdf}`);
  lines.push('  where the description came from:');
  for (const [k, v] of Object.entries(s.why)) lines.push(`    ${k}: ${v}`);
  lines.push(`  geometry: ${s.visuals} visual, ${s.collisions} collision`);
  lines.push('');
  lines.push('joints (q order):');
  const header = ['name', 'type', 'parent', 'idx_q', 'idx_v', 'lower', 'upper', 'effort', 'velocity', 'body mass'];
  const rows = s.joints.map((j) => [
    j.name,
    j.type,
    j.parent,
    String(j.idxQ),
    String(j.idxV),
    j.type === 'free' ? '-' : fmt(j.lower),
    j.type === 'free' ? '-' : fmt(j.upper),
    j.type === 'free' ? '-' : fmt(j.effort),
    j.type === 'free' ? '-' : fmt(j.velocity),
    fmt(j.mass),
  ]);
  lines.push(...table(header, rows));
  lines.push('');
  lines.push('frames:');
  lines.push(
    ...table(
      ['name', 'kind', 'parent joint', 'translation'],
      s.frames.map((f) => [
        f.name,
        f.kind,
        `${f.parentJoint} ${s.joints[f.parentJoint - 1]?.name ?? 'universe'}`,
        f.translation.map((x) => fmt(x)).join(' '),
      ]),
    ),
  );
  process.stdout.write(lines.join('\n') + '\n');
}

function table(header: string[], rows: string[][]): string[] {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => '  ' + r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

function main(argv: string[]): number {
  let parsed;
  try {
    parsed = parseArgs(COMMAND, argv);
    if (parsed.floating && parsed.fixed) throw new UsageError('--floating and --fixed: give one');
  } catch (e) {
    process.stderr.write(`inspect: ${(e as Error).message}\n`);
    return 1;
  }
  if (parsed.help) {
    process.stdout.write(helpText(COMMAND));
    return 0;
  }
  const args = { target: parsed._[0], floating: parsed.floating ? true : parsed.fixed ? false : undefined, json: parsed.json, packageDirs: parsed['package-dir'], task: parsed.task };
  try {
    const { model, warnings, meta } = loadRobot(args.target, {
      floating: args.floating,
      packageDirs: args.packageDirs,
    });
    for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
    const s = summary(model, meta);
    const use = args.task !== undefined ? taskUse(args.task, { model, warnings, meta }, meta.name) : null;
    if (args.json) process.stdout.write(JSON.stringify(use ? { ...s, task: use } : s) + '\n');
    else {
      printText(s);
      if (use) {
        const lines = ['', `task ${use.task}: ${use.fits ? 'can run on this robot' : `cannot run: ${use.missing}`}`];
        for (const u of use.uses) lines.push(`  ${u.what}: ${u.value}`, `      why: ${u.why}`);
        process.stdout.write(lines.join('\n') + '\n');
      }
    }
    return use && !use.fits ? 2 : 0;
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    process.stderr.write(`inspect: ${msg}\n`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
