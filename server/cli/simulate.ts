/**
 * npm run simulate -- --robot <name|urdf> [options]
 *
 * Simulates a robot with the contact time stepper (server/dynamics/step.ts) from its reference
 * posture, passive (--hold none) or held by joint PD about that posture with a feed-forward
 * (--hold pd), optionally dropped from a base height, and writes the trajectory as JSON:
 *
 *   { robot, dt, duration, steps, hold, kp, kd, torques, scene, jointNames,
 *     t: [steps + 1], q: [[nq] x (steps + 1)], v: [[nv] x (steps + 1)],
 *     contacts: [[{ pos: [x y z], force: [fx fy fz] } ...] x (steps + 1)],
 *     limits: [[{ joint, side: 'lower' | 'upper', torque } ...] x (steps + 1)] }
 *
 * Entry 0 is the initial state (no contacts); entry k >= 1 is the state after step k and the
 * contacts of step k (pos: the contact point on the scene surface, force: the world force on
 * the robot in N, zero for a contact detected within the margin that did not close) and the
 * joint stops that pushed in step k (torque: the generalized force of the stop over the step,
 * N m or N for a prismatic joint, signed along the joint axis). --torque JOINT=NM (repeatable)
 * drives a joint with a constant torque instead of its hold, e.g. into its stop.
 * A one-line summary goes to stderr. Errors (bad arguments, bad scene file, unknown robot,
 * a simulation that diverges) print one line `simulate: ...` and exit with code 1.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createData } from '../dynamics/data.ts';
import { computeGeneralizedGravity } from '../dynamics/rnea.ts';
import { defaultScene, parseScene, sceneToJson, type Scene } from '../dynamics/scene.ts';
import { staticEquilibrium } from '../dynamics/statics.ts';
import { Simulator } from '../dynamics/step.ts';
import { actuatedDofs, type Model } from '../model/model.ts';
import { listRobots, loadRobot, posture, type RobotMeta } from '../model/robots.ts';
import { defineCommand, helpText, parseArgs as parseCommand, UsageError } from './args.ts';

const COMMAND = defineCommand({
  name: 'simulate',
  usage: `usage: npm run simulate -- --robot <name | file.urdf | file.json> [options]

Simulates the robot with hard frictional contacts from its reference posture and writes the
trajectory as JSON {robot, dt, duration, scene, t, q, v, contacts, limits} (entry 0 = initial
state, entry k = after step k; contacts: [{pos:[x,y,z], force:[fx,fy,fz]}] per entry, world
frame; limits: [{joint, side, torque}] per entry, the joint stops that pushed).`,
  flags: {
    robot: { type: 'string', arg: 'R', help: 'robot name (robots/R.json) or a .urdf / .json file (required)' },
    floating: { type: 'boolean', help: "free-flyer base (for a bare .urdf; default from the robot's metadata)" },
    scene: { type: 'string', arg: 'FILE', help: 'scene JSON {"ground": {"height", "friction"} | null, "boxes": [...]} (default: ground z = 0, friction 0.9); see scenes/step.json' },
    duration: { type: 'number', arg: 'S', min: 0, what: 'a duration >= 0 in s', default: 1, help: 'simulated time in s' },
    dt: { type: 'number', arg: 'S', check: (x) => x > 0, what: 'a time step > 0 in s', default: 0.01, help: 'time step in s' },
    hold: { type: 'string', choices: ['pd', 'none'], help: "pd: joint PD about the posture plus a feed-forward (static-equilibrium torques on the contact frames for a floating robot, gravity compensation for a fixed base); none: zero torques. Default: pd for robots with a 'standing' posture, else none" },
    kp: { type: 'number', arg: 'K', min: 0, what: 'a stiffness >= 0', default: 5, help: 'PD stiffness in N m/rad' },
    kd: { type: 'number', arg: 'K', min: 0, what: 'a damping >= 0', default: 0.1, help: 'PD damping in N m s/rad (explicit: keep kd dt / I well below 2)' },
    height: { type: 'number', arg: 'Z', what: 'a height in m', help: 'start with the base at height Z m (floating robots): a drop' },
    torque: { type: 'string', arg: 'J=NM', repeat: true, help: 'constant torque NM (N m, or N for a prismatic joint) on actuated joint J instead of its hold, e.g. to drive a joint into its stop; the stops that push are listed per step in "limits" and in the summary' },
    out: { type: 'string', arg: 'FILE', help: 'write the JSON to FILE (default: stdout)' },
  },
  notes: `robots: ${listRobots().join(', ') || '(none)'}`,
});

export class CliError extends Error {}

export interface SimulateArgs {
  robot: string;
  floating?: boolean;
  scene: string | null;
  duration: number;
  dt: number;
  hold: 'pd' | 'none' | null;
  kp: number;
  kd: number;
  height: number | null;
  /** Constant torques by joint name (--torque J=NM). */
  torques: Array<{ joint: string; torque: number }>;
  out: string | null;
  help: boolean;
}

/** Parses the command line (without node and the script); throws CliError. */
export function parseArgs(argv: readonly string[]): SimulateArgs {
  let p;
  try { p = parseCommand(COMMAND, argv); } catch (e) { throw e instanceof UsageError ? new CliError(e.message) : e; }
  const torques: SimulateArgs['torques'] = [];
  for (const t of p.torque) {
    const m = /^([^=\s]+)=(.+)$/.exec(t);
    if (!m) throw new CliError(`--torque: expected JOINT=NM (e.g. FL_KFE=1.5), got '${t}'`);
    const x = Number(m[2]);
    if (m[2].trim() === '' || !Number.isFinite(x)) throw new CliError(`--torque: expected a torque in N m, got '${m[2]}'`);
    if (torques.some((e) => e.joint === m[1])) throw new CliError(`--torque: joint '${m[1]}' given twice`);
    torques.push({ joint: m[1], torque: x });
  }
  const a: SimulateArgs = {
    robot: p.robot ?? '', floating: p.floating || undefined, scene: p.scene ?? null, duration: p.duration, dt: p.dt, hold: p.hold ?? null,
    kp: p.kp, kd: p.kd, height: p.height ?? null, torques, out: p.out ?? null, help: p.help,
  };
  if (a.help) return a;
  if (!a.robot) throw new CliError('no robot given: --robot <name | file.urdf> (see --help)');
  if (a.duration / a.dt > 1e7) throw new CliError(`--duration ${a.duration} / --dt ${a.dt} is more than 1e7 steps`);
  return a;
}

/** Reads and validates a scene file; errors name the file and the offending field. */
export function readSceneFile(file: string): Scene {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`scene file ${file}: ${code === 'ENOENT' ? 'not found' : (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CliError(`scene file ${file}: invalid JSON (${(e as Error).message})`);
  }
  try {
    return parseScene(json, path.basename(file));
  } catch (e) {
    throw new CliError(`scene file ${file}: ${(e as Error).message}`);
  }
}

export interface ContactRecord {
  pos: [number, number, number];
  force: [number, number, number];
}

/** A joint stop that pushed during a step. */
export interface LimitRecord {
  joint: string;
  side: 'lower' | 'upper';
  /** Generalized force of the stop over the step (N m; N for a prismatic joint), signed along the joint axis. */
  torque: number;
}

export interface SimulationRecord {
  robot: string;
  dt: number;
  duration: number;
  steps: number;
  hold: 'pd' | 'none';
  kp: number | null;
  kd: number | null;
  torques: Record<string, number>;
  scene: unknown;
  jointNames: string[];
  t: number[];
  q: number[][];
  v: number[][];
  contacts: ContactRecord[][];
  limits: LimitRecord[][];
}

export interface SimulationSummary {
  steps: number;
  finalBaseHeight: number | null;
  maxContacts: number;
  /** Per joint stop that pushed at some step ("JOINT lower|upper"): the steps it pushed and its torque at the last step. */
  limits: Array<{ joint: string; side: 'lower' | 'upper'; steps: number; lastTorque: number }>;
  wallSeconds: number;
}

/** Feed-forward torques (u order) that hold `q` still: static equilibrium or gravity compensation. */
function feedForward(model: Model, meta: RobotMeta, q: Float64Array): Float64Array {
  if (!model.floating) {
    const g = computeGeneralizedGravity(model, createData(model), q);
    return Float64Array.from(actuatedDofs(model), (i) => g[i]);
  }
  if (meta.contactFrames.length === 0) return new Float64Array(model.nu);
  return staticEquilibrium(model, q, meta.contactFrames).tau;
}

/** Runs the simulation described by `args` (already parsed); throws CliError. */
export function simulate(args: SimulateArgs): { record: SimulationRecord; summary: SimulationSummary } {
  let loaded;
  try {
    loaded = loadRobot(args.robot, { floating: args.floating });
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const { model, meta } = loaded;
  const scene = args.scene ? readSceneFile(args.scene) : defaultScene();
  const hold = args.hold ?? ('standing' in meta.postures && model.nu > 0 ? 'pd' : 'none');
  if (hold === 'pd' && model.nu === 0) throw new CliError(`--hold pd: robot ${meta.name} has no actuated joints`);
  const qRef = posture(meta, model, 'standing' in meta.postures ? 'standing' : undefined);
  const q = Float64Array.from(qRef);
  if (args.height !== null) {
    if (!model.floating) throw new CliError(`--height: robot ${meta.name} has a fixed base (use --floating for a bare URDF)`);
    q[2] = args.height;
  }
  let sim: Simulator;
  try {
    sim = new Simulator(model, scene, { dt: args.dt });
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  let tauFF: Float64Array = new Float64Array(model.nu);
  if (hold === 'pd') {
    try {
      tauFF = feedForward(model, meta, qRef);
    } catch (e) {
      throw new CliError(`--hold pd: no feed-forward for ${meta.name}: ${(e as Error).message}`);
    }
  }
  const act = actuatedDofs(model);
  const qIdx = Int32Array.from({ length: model.nu }, (_, k) => {
    // q index of the actuated dof act[k] (one q per revolute/prismatic dof)
    const dof = act[k];
    for (let j = 1; j < model.njoints; j++) {
      if (dof >= model.idxV[j] && dof < model.idxV[j] + model.nvs[j]) return model.idxQ[j] + (dof - model.idxV[j]);
    }
    return -1;
  });

  // --torque: constant torques replacing the hold on their joints
  const fixed = new Map<number, number>();
  for (const { joint, torque } of args.torques) {
    const j = model.jointNames.indexOf(joint);
    const k = j > 0 ? act.indexOf(model.idxV[j]) : -1;
    if (j <= 0 || k < 0 || model.nvs[j] !== 1) {
      const names = Array.from(act, (d) => model.jointNames.find((_, jj) => jj > 0 && model.idxV[jj] === d && model.nvs[jj] === 1)).filter((x) => x);
      throw new CliError(`--torque: '${joint}' is not an actuated one-dof joint of ${meta.name} (joints: ${names.join(', ')})`);
    }
    fixed.set(k, torque);
  }

  const dt = args.dt;
  const steps = Math.round(args.duration / dt);
  const v = new Float64Array(model.nv);
  const u = new Float64Array(model.nu);
  const forces = new Float64Array(3 * sim.options.maxContacts);
  const limCap = 2 * sim.jointLimits.count;
  const limJoint = new Int32Array(limCap), limSide = new Int8Array(limCap), limForce = new Float64Array(limCap);
  const limitsSeen = new Map<string, SimulationSummary['limits'][number]>();
  const record: SimulationRecord = {
    robot: meta.name,
    dt,
    duration: +(steps * dt).toPrecision(12),
    steps,
    hold,
    kp: hold === 'pd' ? args.kp : null,
    kd: hold === 'pd' ? args.kd : null,
    torques: Object.fromEntries(args.torques.map((e) => [e.joint, e.torque])),
    scene: sceneToJson(scene),
    jointNames: model.jointNames.slice(1),
    t: [0],
    q: [Array.from(q)],
    v: [Array.from(v)],
    contacts: [[]],
    limits: [[]],
  };
  let maxContacts = 0;
  const t0 = performance.now();
  for (let k = 1; k <= steps; k++) {
    if (hold === 'pd') {
      for (let i = 0; i < model.nu; i++) u[i] = tauFF[i] + args.kp * (qRef[qIdx[i]] - q[qIdx[i]]) - args.kd * v[act[i]];
    }
    for (const [k, x] of fixed) u[k] = x;
    sim.stepInto(q, v, u, q, v);
    const t = k * dt;
    if (!q.every(Number.isFinite) || !v.every(Number.isFinite)) {
      throw new CliError(`simulation diverged at t = ${+t.toPrecision(12)} s (step ${k}: non-finite state)`);
    }
    const nc = sim.contactForces(forces);
    maxContacts = Math.max(maxContacts, nc);
    const pos = sim.contacts.pos;
    const cs: ContactRecord[] = [];
    for (let c = 0; c < nc; c++) {
      cs.push({
        pos: [pos[3 * c], pos[3 * c + 1], pos[3 * c + 2]],
        force: [forces[3 * c], forces[3 * c + 1], forces[3 * c + 2]],
      });
    }
    record.t.push(+t.toPrecision(15));
    record.q.push(Array.from(q));
    record.v.push(Array.from(v));
    record.contacts.push(cs);
    const nl = sim.limitForces(limJoint, limSide, limForce);
    const ls: LimitRecord[] = [];
    for (let l = 0; l < nl; l++) {
      const joint = model.jointNames[limJoint[l]], side = limSide[l] > 0 ? 'lower' as const : 'upper' as const;
      ls.push({ joint, side, torque: limForce[l] });
      const key = `${joint} ${side}`;
      const seen = limitsSeen.get(key) ?? { joint, side, steps: 0, lastTorque: 0 };
      seen.steps++;
      seen.lastTorque = limForce[l];
      limitsSeen.set(key, seen);
    }
    record.limits.push(ls);
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  return {
    record,
    summary: { steps, finalBaseHeight: model.floating ? q[2] : null, maxContacts, limits: [...limitsSeen.values()], wallSeconds },
  };
}

function main(argv: readonly string[]): number {
  try {
    const args = parseArgs(argv);
    if (args.help) {
      process.stdout.write(helpText(COMMAND));
      return 0;
    }
    const { record, summary } = simulate(args);
    const text = JSON.stringify(record);
    if (args.out) {
      try {
        writeFileSync(args.out, text + '\n');
      } catch (e) {
        throw new CliError(`--out ${args.out}: ${(e as Error).message}`);
      }
    } else {
      process.stdout.write(text + '\n');
    }
    const height = summary.finalBaseHeight === null ? 'fixed base' : `final base height ${summary.finalBaseHeight.toFixed(4)} m`;
    const limits = summary.limits.length === 0 ? 'no joint stop hit'
      : `joint stops hit: ${summary.limits.map((l) => `${l.joint} ${l.side} (${l.steps} steps, last ${+l.lastTorque.toPrecision(4)})`).join(', ')}`;
    process.stderr.write(
      `simulate: ${record.robot}, ${summary.steps} steps of ${record.dt} s (${+record.duration.toPrecision(12)} s, hold ${record.hold}), ` +
        `${height}, max contacts ${summary.maxContacts}, ${limits}, wall ${summary.wallSeconds.toFixed(3)} s` +
        `${args.out ? ` -> ${args.out}` : ''}\n`,
    );
    return 0;
  } catch (e) {
    const msg = e instanceof CliError ? e.message : `internal error: ${(e as Error).message ?? String(e)}`;
    process.stderr.write(`simulate: ${msg}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
