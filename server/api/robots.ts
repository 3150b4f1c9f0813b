/**
 * The robots the server offers: the project's robots/ (name → robots/<name>.json) and the URDF
 * files found under extra folders (`--robots DIR`, e.g. ../shared/robots/example-robot-data;
 * `package://` URIs resolve against the folder, its subfolders and the URDF's ancestors).
 */
import type { RobotSummary } from '../../shared/protocol.ts';
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { listRobots, DEFAULT_ROBOTS_DIR } from '../model/robots.ts';
import { DEFAULT_URDF_LIMITS, type UrdfLimits } from '../model/urdf.ts';
import { insideAny, RobotLoader, type LoadJob, type ServedRobot } from './robot-loader.ts';
import { JOINT_FREE, JOINT_PRISMATIC, JOINT_REVOLUTE } from '../model/model.ts';

export interface RobotEntry {
  id: string;
  /** 'project' or the extra folder it was found in. */
  source: string;
  /** robots/<name>.json name, or the URDF path. */
  load: string;
  packageDirs: string[];
}

/** GET /api/robots/:id (defined once, on the wire). */
export type { RobotSummary };


/**
 * The .urdf files under dir, sorted, breadth-first with an explicit queue (no recursion), at
 * most MAX_SCAN_DEPTH folders deep and MAX_SCAN_ENTRIES directory entries looked at in all.
 */
function findUrdfs(dir: string): string[] {
  const out: string[] = [];
  const queue: [string, number][] = [[dir, 0]];
  let seen = 0;
  for (let k = 0; k < queue.length && seen < MAX_SCAN_ENTRIES; k++) {
    const [d, depth] = queue[k];
    let entries: string[] = [];
    try { entries = readdirSync(d); } catch { continue; }
    for (const e of entries.sort()) {
      if (++seen > MAX_SCAN_ENTRIES) break;
      if (e.startsWith('.') || e === 'node_modules') continue;
      const p = path.join(d, e);
      let st;
      try { st = statSync(p); } catch { continue; }
      if (st.isDirectory()) { if (depth < MAX_SCAN_DEPTH) queue.push([p, depth + 1]); }
      else if (e.endsWith('.urdf')) out.push(p);
    }
  }
  return out.sort();
}

const MAX_SCAN_DEPTH = 6;
const MAX_SCAN_ENTRIES = 100_000;
/** A robot that failed to load is not tried again for this long (a failing 8 MB file is not re-parsed per request). */
const FAILURE_TTL_MS = 5_000;

export interface RobotRegistryOptions {
  /** Bounds on each URDF (defaults DEFAULT_URDF_LIMITS: --max-urdf-bytes, --max-urdf-links). */
  limits?: Partial<UrdfLimits>;
  /** How robots are loaded (default: a RobotLoader on a worker thread). */
  loader?: RobotLoader;
}

export class RobotRegistry {
  #entries = new Map<string, RobotEntry>();
  #cache = new Map<string, { value: Promise<ServedRobot & { roots: string[] }>; failedAt?: number }>();
  readonly #limits: UrdfLimits;
  readonly #loader: RobotLoader;

  constructor(extraDirs: string[] = [], opts: RobotRegistryOptions = {}) {
    this.#limits = { ...DEFAULT_URDF_LIMITS, ...opts.limits };
    this.#loader = opts.loader ?? new RobotLoader();
    for (const name of listRobots()) this.#entries.set(name, { id: name, source: 'project', load: name, packageDirs: [] });
    for (const raw of extraDirs) {
      const dir = path.resolve(raw);
      if (!existsSync(dir)) throw new Error(`--robots ${raw}: no such folder`);
      const packageDirs = [dir, ...(() => { try { return readdirSync(dir).map((e) => path.join(dir, e)).filter((p) => statSync(p).isDirectory()); } catch { return []; } })()];
      for (const f of readdirSync(dir).filter((e) => e.endsWith('.json'))) {
        const id = f.slice(0, -5);
        if (!this.#entries.has(id)) this.#entries.set(id, { id, source: dir, load: path.join(dir, f), packageDirs });
      }
      for (const urdf of findUrdfs(dir)) {
        let id = path.basename(urdf, '.urdf');
        if (this.#entries.has(id)) id = `${path.basename(dir)}-${id}`;
        if (this.#entries.has(id)) continue;
        this.#entries.set(id, { id, source: dir, load: urdf, packageDirs });
      }
    }
  }

  ids(): string[] { return [...this.#entries.keys()]; }
  has(id: string): boolean { return this.#entries.has(id); }
  list(): { id: string; source: string }[] { return [...this.#entries.values()].map((e) => ({ id: e.id, source: e.source })); }

  /** Ends the loader thread. */
  close(): Promise<void> { return this.#loader.close(); }

  /** Real paths of the folders a robot's files must lie in. */
  #roots(e: RobotEntry): string[] {
    const dir = e.source === 'project' ? DEFAULT_ROBOTS_DIR : e.source;
    try { return [realpathSync(dir)]; } catch { return [path.resolve(dir)]; }
  }

  /** The robot, loaded once on the loader thread (a failure is remembered for FAILURE_TTL_MS). */
  #load(id: string): Promise<ServedRobot & { roots: string[] }> {
    const hit = this.#cache.get(id);
    if (hit && (hit.failedAt === undefined || Date.now() - hit.failedAt < FAILURE_TTL_MS)) return hit.value;
    const e = this.#entries.get(id);
    if (!e) return Promise.reject(new Error(`unknown robot '${id}'`));
    const roots = this.#roots(e);
    const job: LoadJob = e.source === 'project'
      ? { load: e.load, robotsDir: DEFAULT_ROBOTS_DIR, packageDirs: [], roots, limits: this.#limits }
      : { load: e.load, packageDirs: e.packageDirs, roots, limits: this.#limits };
    const entry: { value: Promise<ServedRobot & { roots: string[] }>; failedAt?: number } = {
      value: this.#loader.load(job).then((r) => ({ ...r, roots })),
    };
    entry.value.catch(() => { entry.failedAt = Date.now(); });
    this.#cache.set(id, entry);
    return entry.value;
  }

  async summary(id: string): Promise<RobotSummary> {
    const e = this.#entries.get(id)!;
    const { robot, meshes, urdf } = await this.#load(id);
    const m = robot.model;
    const joints = [];
    for (let j = 1; j < m.njoints; j++) {
      const t = m.jointTypes[j];
      const qs = m.idxQ[j], nq = m.nqs[j];
      joints.push({
        name: m.jointNames[j], type: t === JOINT_FREE ? 'free' : t === JOINT_REVOLUTE ? (m.continuous[j] ? 'continuous' : 'revolute') : t === JOINT_PRISMATIC ? 'prismatic' : String(t), parent: m.jointNames[m.parents[j]], body: m.bodyNames[j],
        lower: Array.from(m.lowerPositionLimit.subarray(qs, qs + nq), (x) => (Number.isFinite(x) ? x : null)),
        upper: Array.from(m.upperPositionLimit.subarray(qs, qs + nq), (x) => (Number.isFinite(x) ? x : null)),
      });
    }
    const uris = new Map<string, string | null>();
    for (const g of [...m.visuals, ...m.collisions]) {
      if (g.shape.type !== 'mesh' || uris.has(g.shape.uri)) continue;
      const i = g.shape.path ? meshes.indexOf(g.shape.path) : -1;
      uris.set(g.shape.uri, i >= 0 ? `/api/robots/${encodeURIComponent(id)}/meshes/${i}${path.extname(g.shape.path!)}` : null);
    }
    return {
      id, source: e.source, name: m.name, nq: m.nq, nv: m.nv, nu: m.nu, floating: m.floating, joints,
      frames: m.frames.map((f) => ({ name: f.name, kind: f.kind, parentJoint: m.jointNames[f.parentJoint] })),
      postures: Object.fromEntries(Object.entries(robot.meta.postures).map(([k, v]) => [k, v.q])),
      contactFrames: robot.meta.contactFrames, torqueLimit: robot.meta.torqueLimit,
      meshes: [...uris].map(([uri, url]) => ({ uri, url })), warnings: robot.warnings,
      urdf,
    };
  }

  /**
   * Real path of mesh `index` of a robot, or null: checked again when served (a link swapped
   * after the robot loaded must not lead outside the robot's folder).
   */
  async meshPath(id: string, index: number): Promise<string | null> {
    if (!this.#entries.has(id)) return null;
    const { meshes, roots } = await this.#load(id);
    const file = meshes[index];
    if (!file) return null;
    let real: string;
    try { real = await realpath(file); } catch { return null; }
    return insideAny(real, roots) ? real : null;
  }
}
