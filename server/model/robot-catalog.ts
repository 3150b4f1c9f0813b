/**
 * Robot ids → what to load, the same in every thread and process: the project's robots/ (name →
 * robots/<name>.json), then every folder given with `--robots DIR`: its *.json metadata files
 * (id = base name) and the .urdf files under it (id = base name, or `<folder>-<name>` when the
 * name is taken). A plan names its robot by id (task parameter `robot`); solve threads, worker
 * pools and cluster workers rebuild the task from that id, so they must resolve it alike: the
 * folders travel in the environment (RSDDP_ROBOTS, set by setRobotDirs before any thread
 * starts; worker threads and child processes inherit it).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_ROBOTS_DIR, listRobots } from './robot-files.ts';

export interface CatalogEntry {
  id: string;
  /** 'project' or the extra folder it was found in. */
  source: string;
  /** robots/<name>.json name (source 'project'), or the .json / .urdf path. */
  load: string;
  /** package:// roots: the folder and its subfolders. */
  packageDirs: string[];
}

export const ROBOT_DIRS_ENV = 'RSDDP_ROBOTS';
const MAX_SCAN_DEPTH = 6;
const MAX_SCAN_ENTRIES = 100_000;

/** Makes `dirs` (resolved) the extra robot folders of this process and of the threads it starts later. */
export function setRobotDirs(dirs: readonly string[]): void {
  const abs = dirs.map((d) => path.resolve(d));
  for (const d of abs) if (!existsSync(d)) throw new Error(`--robots ${d}: no such folder`);
  if (abs.length) process.env[ROBOT_DIRS_ENV] = abs.join(path.delimiter);
  else delete process.env[ROBOT_DIRS_ENV];
}

/** The extra robot folders of this process (RSDDP_ROBOTS). */
export function robotDirs(): string[] {
  const v = process.env[ROBOT_DIRS_ENV];
  return v ? v.split(path.delimiter).filter((d) => d !== '') : [];
}

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

/** Every robot of the project and of `dirs`, by id, in listing order. */
export function robotCatalog(dirs: readonly string[] = robotDirs()): Map<string, CatalogEntry> {
  const entries = new Map<string, CatalogEntry>();
  for (const name of listRobots()) entries.set(name, { id: name, source: 'project', load: name, packageDirs: [] });
  for (const raw of dirs) {
    const dir = path.resolve(raw);
    if (!existsSync(dir)) throw new Error(`--robots ${raw}: no such folder`);
    const packageDirs = [dir, ...(() => { try { return readdirSync(dir).map((e) => path.join(dir, e)).filter((p) => statSync(p).isDirectory()); } catch { return []; } })()];
    for (const f of readdirSync(dir).filter((e) => e.endsWith('.json')).sort()) {
      const id = f.slice(0, -5);
      if (!entries.has(id)) entries.set(id, { id, source: dir, load: path.join(dir, f), packageDirs });
    }
    for (const urdf of findUrdfs(dir)) {
      let id = path.basename(urdf, '.urdf');
      if (entries.has(id)) id = `${path.basename(dir)}-${id}`;
      if (entries.has(id)) continue;
      entries.set(id, { id, source: dir, load: urdf, packageDirs });
    }
  }
  return entries;
}

let cached: { key: string; entries: Map<string, CatalogEntry> } | null = null;

/** The catalog entry of a robot id in this process's folders, or null (scanned once per folder list). */
export function catalogEntry(id: string): CatalogEntry | null {
  const key = process.env[ROBOT_DIRS_ENV] ?? '';
  if (!cached || cached.key !== key) cached = { key, entries: robotCatalog() };
  return cached.entries.get(id) ?? null;
}
