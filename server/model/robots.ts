/**
 * Robots and what tasks can use of them.
 *
 * robots/<name>.json (or any <name>.json next to a URDF, e.g. in a --robots folder):
 *   {
 *     "urdf": "name.urdf",            // relative to the JSON file
 *     "floating": true,               // free-flyer base
 *     "contactFrames": ["FL_FOOT"],   // frames that may touch the ground (the feet)
 *     "postures": { "standing": { "q": [...nq numbers...] } },
 *     "torqueLimit": 2.7,             // default |u| bound in N m (optional)
 *     "footRadius": 0.02,             // contact sphere at each foot without a collision sphere (m)
 *     "endEffector": "tip"            // an arm's end effector frame
 *   }
 * Every field but "urdf" may be left out; a URDF loaded without metadata has none. What is
 * missing comes, in this order, from an SRDF beside the URDF (srdf.ts: reference postures such
 * as `standing`, end effectors as feet; a `root_joint` of 7 values in a posture means a floating
 * base) and from detection on the tree (robot-detect.ts: two or more legs mean a floating base,
 * the legs' tips are the feet, an arm's longest chain ends at its end effector). `meta.why`
 * says where each came from; `npm run inspect -- FILE --task T` prints it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { JOINT_FREE, neutral, type Model } from './model.ts';
import { DEFAULT_URDF_LIMITS, loadUrdfFile, type UrdfLimits } from './urdf.ts';
import { readTextBounded } from './read-bounded.ts';
import { DEFAULT_ROBOTS_DIR, listRobots } from './robot-files.ts';
import { catalogEntry, robotCatalog } from './robot-catalog.ts';
import { findSrdf, readSrdf, type Srdf } from './srdf.ts';
import { detectEndEffector, detectFeet, looksLegged } from './robot-detect.ts';

export { DEFAULT_ROBOTS_DIR, listRobots };

export interface RobotPosture {
  q: number[];
}

/** Where a description field came from, one sentence each. */
export interface RobotProvenance {
  floating: string;
  contactFrames: string;
  postures: string;
  endEffector: string;
  footRadius: string;
  torqueLimit: string;
}

export interface RobotMeta {
  /** Robot name: the JSON file's base name, or the URDF's base name when loaded directly. */
  name: string;
  /** Absolute path of the URDF. */
  urdf: string;
  /** Absolute path of the JSON metadata, or null when a URDF was loaded directly. */
  metaFile: string | null;
  /** The SRDF read for the fields the metadata left out, or null. */
  srdf: string | null;
  floating: boolean;
  contactFrames: string[];
  postures: Record<string, RobotPosture>;
  /** Default actuator torque bound (N m), or null when the metadata gives none. */
  torqueLimit: number | null;
  /** Radius (m) of the contact sphere put at each foot that has no collision sphere, or null (the task's default). */
  footRadius: number | null;
  /** An arm's end effector frame (fixed base), or null. */
  endEffector: string | null;
  why: RobotProvenance;
}

export interface LoadRobotOptions {
  /** Overrides the metadata's floating flag (for a .urdf path: default false). */
  floating?: boolean;
  /** Directory of the <name>.json files (default: the project's robots/). */
  robotsDir?: string;
  packageDirs?: string[];
  /** Bounds on the URDF (and the metadata file's bytes); defaults DEFAULT_URDF_LIMITS. */
  limits?: Partial<UrdfLimits>;
}

export interface LoadedRobot {
  model: Model;
  warnings: string[];
  meta: RobotMeta;
}

/** What a metadata file says; undefined: left out. */
interface RawMeta {
  name: string;
  urdf: string;
  metaFile: string | null;
  floating?: boolean;
  contactFrames?: string[];
  postures?: Record<string, RobotPosture>;
  torqueLimit?: number | null;
  footRadius?: number;
  endEffector?: string;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function readMeta(file: string, maxBytes: number): RawMeta {
  const bad = (problem: string): never => {
    throw new Error(`${file}: ${problem}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(readTextBounded(file, maxBytes));
  } catch (e) {
    return bad(`cannot read robot metadata: ${(e as Error).message}`);
  }
  if (!isObject(raw)) return bad('robot metadata must be a JSON object');
  if (typeof raw.urdf !== 'string' || raw.urdf === '') bad(`"urdf" must be a file name`);
  if (raw.floating !== undefined && typeof raw.floating !== 'boolean') bad(`"floating" must be true or false`);
  const contactFrames = raw.contactFrames;
  if (contactFrames !== undefined && (!Array.isArray(contactFrames) || contactFrames.some((f) => typeof f !== 'string'))) {
    bad(`"contactFrames" must be an array of frame names`);
  }
  let postures: Record<string, RobotPosture> | undefined;
  if (raw.postures !== undefined) {
    if (!isObject(raw.postures)) return bad(`"postures" must be an object`);
    postures = {};
    for (const [name, p] of Object.entries(raw.postures)) {
      if (!isObject(p) || !Array.isArray(p.q) || p.q.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
        return bad(`posture '${name}': "q" must be an array of finite numbers`);
      }
      postures[name] = { q: [...(p.q as number[])] };
    }
  }
  let torqueLimit: number | null | undefined;
  if (raw.torqueLimit !== undefined && raw.torqueLimit !== null) {
    if (typeof raw.torqueLimit !== 'number' || !(raw.torqueLimit > 0)) bad(`"torqueLimit" must be a positive number`);
    torqueLimit = raw.torqueLimit as number;
  }
  if (raw.footRadius !== undefined && (typeof raw.footRadius !== 'number' || !(raw.footRadius > 0) || raw.footRadius > 1)) bad(`"footRadius" must be a number in (0, 1] m`);
  if (raw.endEffector !== undefined && (typeof raw.endEffector !== 'string' || raw.endEffector === '')) bad(`"endEffector" must be a frame name`);
  return {
    name: path.basename(file, '.json'),
    urdf: path.resolve(path.dirname(file), raw.urdf as string),
    metaFile: path.resolve(file),
    floating: raw.floating as boolean | undefined,
    contactFrames: contactFrames as string[] | undefined,
    postures,
    torqueLimit,
    footRadius: raw.footRadius as number | undefined,
    endEffector: raw.endEffector as string | undefined,
  };
}

/** The SRDF's group states as postures of the model: listed joints set, the others neutral; SRDF joints the model lacks are skipped. */
function srdfPostures(srdf: Srdf, model: Model): { postures: Record<string, RobotPosture>; skipped: string[] } {
  const postures: Record<string, RobotPosture> = {};
  const skipped = new Set<string>();
  for (const [name, joints] of srdf.states) {
    const q = neutral(model);
    let ok = true;
    for (const { joint, values } of joints) {
      const j = model.jointNames.indexOf(joint);
      if (j < 0) { skipped.add(joint); continue; }
      if (values.length !== model.nqs[j]) { ok = false; break; }
      q.set(values, model.idxQ[j]);
    }
    if (ok) postures[name] = { q: Array.from(q) };
  }
  return { postures, skipped: [...skipped] };
}

/** Whether the SRDF's postures give the root joint a pose (7 values): a floating base. */
function srdfFloating(srdf: Srdf): boolean | undefined {
  for (const joints of srdf.states.values()) {
    const root = joints.find((j) => j.joint === 'root_joint');
    if (root) return root.values.length === 7;
  }
  return undefined;
}

/** Checks that the metadata fits the model (frames exist, postures have nq numbers). */
function checkMeta(meta: RobotMeta, model: Model): void {
  const where = meta.metaFile ?? meta.urdf;
  for (const f of meta.contactFrames) {
    if (!model.frames.some((fr) => fr.name === f && fr.kind !== 'joint')) {
      throw new Error(`${where}: contact frame '${f}' is not a link of ${model.name}`);
    }
  }
  if (meta.endEffector !== null && !model.frames.some((fr) => fr.name === meta.endEffector && fr.kind !== 'joint')) {
    throw new Error(`${where}: end effector '${meta.endEffector}' is not a link of ${model.name}`);
  }
  for (const name of Object.keys(meta.postures)) checkPosture(meta, model, name);
}

function checkPosture(meta: RobotMeta, model: Model, name: string): void {
  const where = meta.metaFile ?? meta.urdf;
  const q = meta.postures[name].q;
  if (q.length !== model.nq) {
    throw new Error(`${where}: posture '${name}' has ${q.length} numbers, the model has nq = ${model.nq}`);
  }
  for (let j = 1; j < model.njoints; j++) {
    if (model.jointTypes[j] !== JOINT_FREE) continue;
    const i = model.idxQ[j] + 3;
    const n = Math.hypot(q[i], q[i + 1], q[i + 2], q[i + 3]);
    if (Math.abs(n - 1) > 1e-6) {
      throw new Error(`${where}: posture '${name}': quaternion of '${model.jointNames[j]}' has norm ${n}, not 1`);
    }
  }
}

/**
 * Loads a robot by name (robots/<name>.json, else an id of the --robots folders,
 * robot-catalog.ts), by path to a .json metadata file, or by path to a .urdf. Fields the
 * metadata leaves out come from an SRDF beside the URDF and from detection (module comment).
 */
export function loadRobot(nameOrPath: string, opts: LoadRobotOptions = {}): LoadedRobot {
  let raw: RawMeta;
  const maxBytes = opts.limits?.maxBytes ?? DEFAULT_URDF_LIMITS.maxBytes;
  let packageDirs = opts.packageDirs;
  if (nameOrPath.endsWith('.urdf') || nameOrPath.endsWith('.xml')) {
    raw = { name: path.basename(nameOrPath).replace(/\.(urdf|xml)$/, ''), urdf: path.resolve(nameOrPath), metaFile: null };
  } else {
    let file: string;
    if (nameOrPath.endsWith('.json')) {
      file = path.resolve(nameOrPath);
    } else {
      const dir = opts.robotsDir ?? DEFAULT_ROBOTS_DIR;
      file = path.join(dir, `${nameOrPath}.json`);
      const entry = opts.robotsDir === undefined && !existsSync(file) ? catalogEntry(nameOrPath) : null;
      if (entry && entry.source !== 'project') {
        return loadRobot(entry.load, { ...opts, packageDirs: [...(opts.packageDirs ?? []), ...entry.packageDirs] });
      }
      if (!existsSync(file)) {
        const known = opts.robotsDir === undefined ? [...robotCatalog().keys()] : listRobots(dir);
        throw new Error(
          `unknown robot '${nameOrPath}' (no ${file}; known robots: ${known.length ? known.join(', ') : 'none'})`,
        );
      }
    }
    raw = readMeta(file, maxBytes);
  }
    const why: RobotProvenance = { floating: '', contactFrames: '', postures: '', endEffector: '', footRadius: '', torqueLimit: '' };
  const srdfFile = raw.postures === undefined || raw.contactFrames === undefined || raw.floating === undefined || raw.endEffector === undefined ? findSrdf(raw.urdf) : null;
  const srdf = srdfFile ? readSrdf(srdfFile, maxBytes) : null;
  const srdfName = srdf ? path.basename(srdf.file) : '';
  const from = raw.metaFile ? path.basename(raw.metaFile) : 'the metadata';

  // the base: option, metadata, SRDF, detection (a fixed build looked at for legs)
  let floating = false;
  const decided = raw.floating ?? (srdf ? srdfFloating(srdf) : undefined);
  if (opts.floating !== undefined) { floating = opts.floating; why.floating = 'given by the caller'; }
  else if (raw.floating !== undefined) { floating = raw.floating; why.floating = `from ${from}`; }
  else if (decided !== undefined) { floating = decided; why.floating = `from ${srdfName}: its postures give root_joint ${decided ? '7 values (a free-flyer)' : 'no pose'}`; }
  let fixedBuild: ReturnType<typeof loadUrdfFile> | null = null;
  if (why.floating === '') {
    fixedBuild = loadUrdfFile(raw.urdf, { floating: false, packageDirs, limits: opts.limits });
    const fixed = fixedBuild.model;
    floating = looksLegged(fixed);
    why.floating = floating
      ? `detected: ${detectFeet(fixed).length} legs (chains of 2+ joints ending in a leaf) hang from the root link, so its base floats`
      : 'detected: fewer than two legs, so the root link is welded to the world';
  }
  // (the fixed build serves when detection kept the base fixed: a large URDF is parsed once)
  const { model, warnings } = fixedBuild && !floating ? fixedBuild : loadUrdfFile(raw.urdf, { floating, packageDirs, limits: opts.limits });
  // postures written for the other base type cannot be used
  const metaFloating = raw.floating ?? decided;
  const samebase = metaFloating === undefined || metaFloating === floating;

  let postures: Record<string, RobotPosture> = {};
  if (raw.postures !== undefined) {
    postures = samebase ? raw.postures : {};
    why.postures = samebase ? `from ${from}` : `none: ${from}'s postures are for the other base type`;
  } else if (srdf) {
    const r = srdfPostures(srdf, model);
    postures = r.postures;
    const names = Object.keys(postures);
    why.postures = names.length
      ? `from ${srdfName} (${names.join(', ')})${r.skipped.length ? `; joints the model lacks skipped: ${r.skipped.join(', ')}` : ''}`
      : `none: ${srdfName} has no group_state that fits the model`;
  } else why.postures = 'none: no metadata postures and no SRDF beside the URDF';

  let contactFrames: string[] = [];
  const isFrame = (f: string) => model.frames.some((fr) => fr.name === f && fr.kind !== 'joint');
  if (raw.contactFrames !== undefined) { contactFrames = raw.contactFrames; why.contactFrames = `from ${from}`; }
  else if (!floating) why.contactFrames = 'none: a fixed-base robot stands on nothing';
  else if (srdf && srdf.endEffectors.filter(isFrame).length >= 2) {
    contactFrames = srdf.endEffectors.filter(isFrame);
    why.contactFrames = `from ${srdfName}: its end effectors' links`;
  } else {
    const feet = detectFeet(model);
    contactFrames = feet.map((l) => l.frame);
    why.contactFrames = feet.length
      ? `detected: the tips of the ${feet.length} legs (leaf frames at the end of 2+ joints; on each leaf body, the frame farthest from its joint)`
      : 'none detected: no chain of 2+ joints ends in a leaf';
  }

  let endEffector: string | null = null;
  if (raw.endEffector !== undefined) { endEffector = raw.endEffector; why.endEffector = `from ${from}`; }
  else if (floating) why.endEffector = 'none: a floating-base robot';
  else if (srdf && srdf.endEffectors.filter(isFrame).length === 1) { endEffector = srdf.endEffectors.filter(isFrame)[0]; why.endEffector = `from ${srdfName}`; }
  else {
    const ee = detectEndEffector(model);
    endEffector = ee?.frame ?? null;
    why.endEffector = ee ? `detected: the tip of the longest chain (${ee.dofs} joints)` : 'none detected: no moving joint';
  }
  why.footRadius = raw.footRadius !== undefined ? `from ${from}` : 'not stated: feet without a collision sphere get the task\'s default contact sphere';
  why.torqueLimit = raw.torqueLimit !== undefined && raw.torqueLimit !== null ? `from ${from}` : 'not stated: the URDF\'s effort limits unless placeholders (model/torque-bound.ts), else the task\'s default';

  const meta: RobotMeta = {
    name: raw.name, urdf: raw.urdf, metaFile: raw.metaFile, srdf: srdf?.file ?? null, floating, contactFrames, postures,
    torqueLimit: raw.torqueLimit ?? null, footRadius: raw.footRadius ?? null, endEffector, why,
  };
  checkMeta(meta, model);
  return { model, warnings, meta };
}

/**
 * A configuration of the robot: the posture `name`, or when no name is given the first
 * posture of the metadata, or neutral() when it has none.
 */
export function posture(meta: RobotMeta, model: Model, name?: string): Float64Array {
  if (name !== undefined) {
    if (!(name in meta.postures)) {
      const known = Object.keys(meta.postures);
      throw new Error(
        `robot ${meta.name}: no posture '${name}' (known: ${known.length ? known.join(', ') : 'none'})`,
      );
    }
  } else {
    const first = Object.keys(meta.postures)[0];
    if (first === undefined) return neutral(model);
    name = first;
  }
  checkPosture(meta, model, name);
  return Float64Array.from(meta.postures[name].q);
}
