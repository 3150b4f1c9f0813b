/**
 * The project's robots: robots/<name>.json (metadata) next to robots/<name>.urdf.
 *
 * robots/<name>.json:
 *   {
 *     "urdf": "name.urdf",            // relative to the JSON file
 *     "floating": true,               // free-flyer base (default false)
 *     "contactFrames": ["FL_FOOT"],   // frames that may touch the ground (default [])
 *     "postures": { "standing": { "q": [...nq numbers...] } },
 *     "torqueLimit": 2.7              // default |u| bound in N m (optional)
 *   }
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JOINT_FREE, neutral, type Model } from './model.ts';
import { DEFAULT_URDF_LIMITS, loadUrdfFile, type UrdfLimits } from './urdf.ts';
import { readTextBounded } from './read-bounded.ts';

export interface RobotPosture {
  q: number[];
}

export interface RobotMeta {
  /** Robot name: the JSON file's base name, or the URDF's base name when loaded directly. */
  name: string;
  /** Absolute path of the URDF. */
  urdf: string;
  /** Absolute path of the JSON metadata, or null when a URDF was loaded directly. */
  metaFile: string | null;
  floating: boolean;
  contactFrames: string[];
  postures: Record<string, RobotPosture>;
  /** Default actuator torque bound (N m), or null when the metadata gives none. */
  torqueLimit: number | null;
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

/** The project's robots/ directory. */
export const DEFAULT_ROBOTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../robots');

/** Names of the robots described in `dir` (the *.json files), sorted. */
export function listRobots(dir: string = DEFAULT_ROBOTS_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function readMeta(file: string, maxBytes: number): RobotMeta {
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
  const contactFrames = raw.contactFrames ?? [];
  if (!Array.isArray(contactFrames) || contactFrames.some((f) => typeof f !== 'string')) {
    bad(`"contactFrames" must be an array of frame names`);
  }
  const postures: Record<string, RobotPosture> = {};
  const rawPostures = raw.postures ?? {};
  if (!isObject(rawPostures)) return bad(`"postures" must be an object`);
  for (const [name, p] of Object.entries(rawPostures)) {
    if (!isObject(p) || !Array.isArray(p.q) || p.q.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
      return bad(`posture '${name}': "q" must be an array of finite numbers`);
    }
    postures[name] = { q: [...(p.q as number[])] };
  }
  let torqueLimit: number | null = null;
  if (raw.torqueLimit !== undefined && raw.torqueLimit !== null) {
    if (typeof raw.torqueLimit !== 'number' || !(raw.torqueLimit > 0)) bad(`"torqueLimit" must be a positive number`);
    torqueLimit = raw.torqueLimit as number;
  }
  return {
    name: path.basename(file, '.json'),
    urdf: path.resolve(path.dirname(file), raw.urdf as string),
    metaFile: path.resolve(file),
    floating: (raw.floating as boolean | undefined) ?? false,
    contactFrames: contactFrames as string[],
    postures,
    torqueLimit,
  };
}

/** Checks that the metadata fits the model (frames exist, postures have nq numbers). */
function checkMeta(meta: RobotMeta, model: Model): void {
  const where = meta.metaFile ?? meta.urdf;
  for (const f of meta.contactFrames) {
    if (!model.frames.some((fr) => fr.name === f && fr.kind !== 'joint')) {
      throw new Error(`${where}: contact frame '${f}' is not a link of ${model.name}`);
    }
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
 * Loads a robot by name (robots/<name>.json), by path to a .json metadata file, or by path to
 * a .urdf (metadata defaults: no contact frames, no postures, floating from opts).
 */
export function loadRobot(nameOrPath: string, opts: LoadRobotOptions = {}): LoadedRobot {
  let meta: RobotMeta;
  if (nameOrPath.endsWith('.urdf') || nameOrPath.endsWith('.xml')) {
    meta = {
      name: path.basename(nameOrPath).replace(/\.(urdf|xml)$/, ''),
      urdf: path.resolve(nameOrPath),
      metaFile: null,
      floating: opts.floating ?? false,
      contactFrames: [],
      postures: {},
      torqueLimit: null,
    };
  } else {
    let file: string;
    if (nameOrPath.endsWith('.json')) {
      file = path.resolve(nameOrPath);
    } else {
      const dir = opts.robotsDir ?? DEFAULT_ROBOTS_DIR;
      file = path.join(dir, `${nameOrPath}.json`);
      if (!existsSync(file)) {
        const known = listRobots(dir);
        throw new Error(
          `unknown robot '${nameOrPath}' (no ${file}; known robots: ${known.length ? known.join(', ') : 'none'})`,
        );
      }
    }
    meta = readMeta(file, opts.limits?.maxBytes ?? DEFAULT_URDF_LIMITS.maxBytes);
  }
  const metaFloating = meta.floating;
  if (opts.floating !== undefined) meta.floating = opts.floating;
  const { model, warnings } = loadUrdfFile(meta.urdf, { floating: meta.floating, packageDirs: opts.packageDirs, limits: opts.limits });
  if (meta.floating !== metaFloating) {
    // The postures were written for the other base type: they cannot be used.
    meta.postures = {};
  }
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
