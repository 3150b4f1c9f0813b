/**
 * The robots the server offers: the project's robots/ (name → robots/<name>.json) and the URDF
 * files found under extra folders (`--robots DIR`, e.g. ../shared/robots/example-robot-data;
 * `package://` URIs resolve against the folder, its subfolders and the URDF's ancestors).
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { listRobots, loadRobot, DEFAULT_ROBOTS_DIR, type LoadedRobot } from '../model/robots.ts';
import { JOINT_FREE, JOINT_PRISMATIC, JOINT_REVOLUTE } from '../model/model.ts';

export interface RobotEntry {
  id: string;
  /** 'project' or the extra folder it was found in. */
  source: string;
  /** robots/<name>.json name, or the URDF path. */
  load: string;
  packageDirs: string[];
}

export interface RobotSummary {
  id: string;
  source: string;
  name: string;
  nq: number;
  nv: number;
  nu: number;
  floating: boolean;
  joints: { name: string; type: string; parent: string; body: string; lower?: number[]; upper?: number[] }[];
  frames: { name: string; kind: string; parentJoint: string }[];
  postures: Record<string, number[]>;
  contactFrames: string[];
  torqueLimit: number | null;
  meshes: { uri: string; url: string | null }[];
  warnings: string[];
  urdf: string;
}


function findUrdfs(dir: string, depth = 0, out: string[] = []): string[] {
  if (depth > 6) return out;
  let entries: string[] = [];
  try { entries = readdirSync(dir); } catch { return out; }
  for (const e of entries.sort()) {
    if (e.startsWith('.') || e === 'node_modules') continue;
    const p = path.join(dir, e);
    let st;
    try { st = statSync(p); } catch { continue; }
    if (st.isDirectory()) findUrdfs(p, depth + 1, out);
    else if (e.endsWith('.urdf')) out.push(p);
  }
  return out;
}

/** Whether real path p lies inside one of the (real) folders. */
function insideAny(p: string, roots: readonly string[]): boolean {
  return roots.some((r) => { const rel = path.relative(r, p); return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel); });
}

export class RobotRegistry {
  #entries = new Map<string, RobotEntry>();
  #cache = new Map<string, { robot: LoadedRobot; meshes: string[]; roots: string[] }>();

  constructor(extraDirs: string[] = []) {
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

  /** Real paths of the folders a robot's files must lie in. */
  #roots(e: RobotEntry): string[] {
    const dir = e.source === 'project' ? DEFAULT_ROBOTS_DIR : e.source;
    try { return [realpathSync(dir)]; } catch { return [path.resolve(dir)]; }
  }

  #load(id: string): { robot: LoadedRobot; meshes: string[]; roots: string[] } {
    let hit = this.#cache.get(id);
    if (!hit) {
      const e = this.#entries.get(id);
      if (!e) throw new Error(`unknown robot '${id}'`);
      const robot = e.source === 'project' ? loadRobot(e.load, { robotsDir: DEFAULT_ROBOTS_DIR }) : loadRobot(e.load, { packageDirs: e.packageDirs });
      // Served meshes: only files whose real path lies inside the robot's folder (the --robots
      // folder, which holds its package:// roots; robots/ for the project's). A mesh path that
      // leaves it (absolute, file://, ../.., a symlink pointing out) is refused with a warning.
      const roots = this.#roots(e);
      const meshes: string[] = [];
      const refused = new Map<string, string>();
      for (const g of [...robot.model.visuals, ...robot.model.collisions]) {
        if (g.shape.type !== 'mesh' || !g.shape.path || meshes.includes(g.shape.path) || refused.has(g.shape.path)) continue;
        let real: string | null = null;
        try { real = realpathSync(g.shape.path); } catch { /* vanished: refused below */ }
        if (real && insideAny(real, roots)) meshes.push(g.shape.path);
        else {
          refused.set(g.shape.path, g.link);
          robot.warnings.push(`${robot.meta.urdf}: link '${g.link}': mesh '${g.shape.uri}' resolves to '${g.shape.path}', outside the robot's folder (${roots.join(', ')}): not served`);
        }
      }
      hit = { robot, meshes, roots };
      this.#cache.set(id, hit);
    }
    return hit;
  }

  summary(id: string): RobotSummary {
    const e = this.#entries.get(id)!;
    const { robot, meshes } = this.#load(id);
    const m = robot.model;
    const joints = [];
    for (let j = 1; j < m.njoints; j++) {
      const t = m.jointTypes[j];
      const qs = m.idxQ[j], nq = m.nqs[j];
      joints.push({
        name: m.jointNames[j], type: t === JOINT_FREE ? 'free' : t === JOINT_REVOLUTE ? (m.continuous[j] ? 'continuous' : 'revolute') : t === JOINT_PRISMATIC ? 'prismatic' : String(t), parent: m.jointNames[m.parents[j]], body: m.bodyNames[j],
        lower: Array.from(m.lowerPositionLimit.subarray(qs, qs + nq), (x) => (Number.isFinite(x) ? x : null as unknown as number)),
        upper: Array.from(m.upperPositionLimit.subarray(qs, qs + nq), (x) => (Number.isFinite(x) ? x : null as unknown as number)),
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
      urdf: readFileSync(robot.meta.urdf, 'utf8'),
    };
  }

  /**
   * Real path of mesh `index` of a robot, or null: checked again when served (a link swapped
   * after the robot loaded must not lead outside the robot's folder).
   */
  async meshPath(id: string, index: number): Promise<string | null> {
    if (!this.#entries.has(id)) return null;
    const { meshes, roots } = this.#load(id);
    const file = meshes[index];
    if (!file) return null;
    let real: string;
    try { real = await realpath(file); } catch { return null; }
    return insideAny(real, roots) ? real : null;
  }
}
