/**
 * Loads the registry's robots on a worker thread. A URDF within --max-urdf-bytes can still take
 * seconds to parse and build; on the server's event loop that would stall every plan stream and
 * /healthz. The thread has a heap bound (a hostile file runs it out of memory, not the server)
 * and each load a time bound; a thread that fails either is replaced for the next load (one
 * worker-thread.ts WorkerThread running threads/robot-load.ts). It
 * exits after IDLE_MS without work, so parse garbage does not stay resident.
 *
 * The work itself (loadForServing) also decides which mesh files may be served: only those
 * whose real path lies inside the robot's folder (the --robots folder, which holds its
 * package:// roots; robots/ for the project's). A mesh path that leaves it (absolute, file://,
 * ../.., a symlink pointing out) is refused with a warning naming the link and the path.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { loadRobot, type LoadedRobot } from '../model/robots.ts';
import { readTextBounded } from '../model/read-bounded.ts';
import type { UrdfLimits } from '../model/urdf.ts';
import { insideAny } from '../model/confine.ts';
import { WorkerThread } from '../compute/worker-thread.ts';

export interface LoadJob {
  /** robots/<name>.json name (with robotsDir), or a .json / .urdf path. */
  load: string;
  robotsDir?: string;
  packageDirs: string[];
  /** Real paths of the folders the robot's mesh files must lie in. */
  roots: string[];
  limits: UrdfLimits;
}

export interface ServedRobot {
  robot: LoadedRobot;
  /** Mesh files that may be served (resolved paths, inside the roots when loaded). */
  meshes: string[];
  /** The URDF text, as loaded. */
  urdf: string;
}

export { insideAny };

/** Loads a robot and confines its meshes (runs on the loader thread; callable directly in tests). */
export function loadForServing(job: LoadJob): ServedRobot {
  const robot = job.robotsDir !== undefined
    ? loadRobot(job.load, { robotsDir: job.robotsDir, limits: job.limits })
    : loadRobot(job.load, { packageDirs: job.packageDirs, limits: job.limits });
  const meshes: string[] = [];
  const refused = new Set<string>();
  for (const g of [...robot.model.visuals, ...robot.model.collisions]) {
    if (g.shape.type !== 'mesh' || !g.shape.path || meshes.includes(g.shape.path) || refused.has(g.shape.path)) continue;
    let real: string | null = null;
    try { real = realpathSync(g.shape.path); } catch { /* vanished: refused below */ }
    if (real && insideAny(real, job.roots)) meshes.push(g.shape.path);
    else {
      refused.add(g.shape.path);
      robot.warnings.push(`${robot.meta.urdf}: link '${g.link}': mesh '${g.shape.uri}' resolves to '${g.shape.path}', outside the robot's folder (${job.roots.join(', ')}): not served`);
    }
  }
  // loadRobot read the file within the limit; a file that grew since is refused here
  const urdf = readTextBounded(robot.meta.urdf, job.limits.maxBytes);
  return { robot, meshes, urdf };
}

export interface RobotLoaderOptions {
  /** Heap of the loader thread in MB (default 1024). */
  maxHeapMb?: number;
  /** Milliseconds one load may take (default 60 s). */
  timeoutMs?: number;
  /** Run loads on the calling thread (the CLIs; tests of the rules). */
  inline?: boolean;
}

const IDLE_MS = 30_000;

export class RobotLoader {
  /** The loader thread (worker-thread.ts, running threads/robot-load.ts); null until the first load and after a failure. */
  #thread: WorkerThread<LoadJob> | null = null;
  #idle: NodeJS.Timeout | null = null;
  readonly #maxHeapMb: number;
  readonly #timeoutMs: number;
  readonly #inline: boolean;

  constructor(opts: RobotLoaderOptions = {}) {
    this.#maxHeapMb = opts.maxHeapMb ?? 1024;
    this.#timeoutMs = opts.timeoutMs ?? 60_000;
    this.#inline = opts.inline ?? false;
  }

  async load(job: LoadJob): Promise<ServedRobot> {
    if (this.#inline) return loadForServing(job);
    if (this.#idle) { clearTimeout(this.#idle); this.#idle = null; }
    const t = (this.#thread ??= new WorkerThread<LoadJob>(new URL('./threads/robot-load.ts', import.meta.url), 'the loader thread', null, {
      resourceLimits: { maxOldGenerationSizeMb: this.#maxHeapMb },
    }));
    const result = t.call<ServedRobot>(job);
    // the time bound counts from when the thread has started (its boot is not the file's fault)
    let timer: NodeJS.Timeout | undefined;
    t.booted.then(() => {
      timer = setTimeout(() => this.#end(t, `loading took longer than ${this.#timeoutMs / 1000} s`), this.#timeoutMs);
    }, () => undefined);
    try {
      return await result;
    } catch (e) {
      if (t.dead) this.#end(t); // replaced for the next load
      const cause = (e as Error).cause as { code?: string } | undefined;
      if (cause?.code === 'ERR_WORKER_OUT_OF_MEMORY') throw new Error(`ran out of memory (the loader's heap is bounded at ${this.#maxHeapMb} MB)`);
      throw e;
    } finally {
      clearTimeout(timer);
      this.#settle(t);
    }
  }

  /** Ends the thread; loads in flight fail. */
  async close(): Promise<void> {
    if (this.#thread) this.#end(this.#thread, 'the server is shutting down');
  }

  /** The thread t is done with: every load on it fails with `message`, and it is ended. */
  #end(t: WorkerThread<LoadJob>, message?: string): void {
    if (this.#thread !== t) return;
    this.#thread = null;
    if (this.#idle) { clearTimeout(this.#idle); this.#idle = null; }
    void t.terminate(message);
  }

  /** No loads left: the thread no longer holds the process (worker-thread.ts), and it ends after IDLE_MS. */
  #settle(t: WorkerThread<LoadJob>): void {
    if (t.busy || this.#thread !== t || this.#idle) return;
    this.#idle = setTimeout(() => { if (!t.busy) this.#end(t, 'idle'); }, IDLE_MS);
    this.#idle.unref();
  }
}
