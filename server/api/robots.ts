/**
 * The robots the server offers: the project's robots/ (name → robots/<name>.json) and the URDF
 * files found under extra folders (`--robots DIR`, e.g. ../shared/robots/example-robot-data;
 * `package://` URIs resolve against the folder, its subfolders and the URDF's ancestors).
 */
import type { RobotSummary } from '../../shared/protocol.ts';
import { realpathSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_ROBOTS_DIR } from '../model/robots.ts';
import { robotCatalog, type CatalogEntry } from '../model/robot-catalog.ts';
import type { TaskDefinition } from '../control/tasks/index.ts';
import { liftLeg, liftLegFeet } from '../control/tasks/lift-leg.ts';
import { DEFAULT_URDF_LIMITS, type UrdfLimits } from '../model/urdf.ts';
import { insideAny, RobotLoader, type LoadJob, type ServedRobot } from './robot-loader.ts';
import { jointTypeName } from '../model/joints/index.ts';

/** One robot the server offers (robot-catalog.ts: the same ids in every thread). */
export type RobotEntry = CatalogEntry;

/** GET /api/robots/:id (defined once, on the wire). */
export type { RobotSummary };


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
    this.#entries = robotCatalog(extraDirs);
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

  /**
   * Why `task` cannot run on robot `id` (TaskDefinition.fits on the loaded robot), or null; a
   * robot that cannot be loaded is a reason too.
   */
  async misfit(task: TaskDefinition, id: string): Promise<string | null> {
    let robot;
    try { robot = (await this.#load(id)).robot; } catch (e) { return `robot '${id}' cannot be loaded: ${(e as Error).message}`; }
    return task.fits(robot, id);
  }

  /** The robots `task` can run on, in listing order (each robot loaded once, on the loader thread). */
  async fitting(task: TaskDefinition): Promise<string[]> {
    const ids = this.ids();
    const ok = await Promise.all(ids.map(async (id) => (await this.misfit(task, id)) === null));
    return ids.filter((_, i) => ok[i]);
  }

  async summary(id: string): Promise<RobotSummary> {
    const e = this.#entries.get(id)!;
    const { robot, meshes, urdf } = await this.#load(id);
    const m = robot.model;
    const joints = [];
    for (let j = 1; j < m.njoints; j++) {
      const qs = m.idxQ[j], nq = m.nqs[j];
      joints.push({
        name: m.jointNames[j], type: jointTypeName(m, j), parent: m.jointNames[m.parents[j]], body: m.bodyNames[j],
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
      endEffector: robot.meta.endEffector, footRadius: robot.meta.footRadius, srdf: robot.meta.srdf ? path.basename(robot.meta.srdf) : null,
      why: { ...robot.meta.why },
      legs: liftLeg.fits(robot, id) === null ? liftLegFeet(robot) : null,
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
