/**
 * Loads the registry's robots on a worker thread. A URDF within --max-urdf-bytes can still take
 * seconds to parse and build; on the server's event loop that would stall every plan stream and
 * /healthz. The thread has a heap bound (a hostile file runs it out of memory, not the server)
 * and each load a time bound; a thread that fails either is replaced for the next load. It
 * exits after IDLE_MS without work, so parse garbage does not stay resident.
 *
 * The work itself (loadForServing) also decides which mesh files may be served: only those
 * whose real path lies inside the robot's folder (the --robots folder, which holds its
 * package:// roots; robots/ for the project's). A mesh path that leaves it (absolute, file://,
 * ../.., a symlink pointing out) is refused with a warning naming the link and the path.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { loadRobot, type LoadedRobot } from '../model/robots.ts';
import { readTextBounded } from '../model/read-bounded.ts';
import type { UrdfLimits } from '../model/urdf.ts';
import { insideAny } from '../model/confine.ts';

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

type Reply = { id: number; ok: true; value: ServedRobot } | { id: number; ok: false; message: string };

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
  #worker: Worker | null = null;
  #pending = new Map<number, { resolve: (r: ServedRobot) => void; reject: (e: Error) => void; timer: NodeJS.Timeout | undefined }>();
  /** Threads that said they are ready, and the sends waiting for the current one to be. */
  #ready = new WeakSet<Worker>();
  #onReady: (() => void)[] = [];
  #next = 1;
  #idle: NodeJS.Timeout | null = null;
  readonly #maxHeapMb: number;
  readonly #timeoutMs: number;
  readonly #inline: boolean;

  constructor(opts: RobotLoaderOptions = {}) {
    this.#maxHeapMb = opts.maxHeapMb ?? 1024;
    this.#timeoutMs = opts.timeoutMs ?? 60_000;
    this.#inline = opts.inline ?? false;
  }

  load(job: LoadJob): Promise<ServedRobot> {
    if (this.#inline) return new Promise((resolve) => resolve(loadForServing(job)));
    const w = this.#thread();
    const id = this.#next++;
    if (this.#idle) { clearTimeout(this.#idle); this.#idle = null; }
    w.ref();
    return new Promise<ServedRobot>((resolve, reject) => {
      // the time bound counts from when the thread has started (its boot is not the file's fault)
      const send = () => {
        const p = this.#pending.get(id);
        if (!p || this.#worker !== w) return;
        p.timer = setTimeout(() => this.#fail(w, `loading took longer than ${this.#timeoutMs / 1000} s`), this.#timeoutMs);
        w.postMessage({ id, job });
      };
      this.#pending.set(id, { resolve, reject, timer: undefined });
      if (this.#ready.has(w)) send(); else this.#onReady.push(send);
    });
  }

  /** Ends the thread; loads in flight fail. */
  async close(): Promise<void> {
    const w = this.#worker;
    if (w) { this.#fail(w, 'the server is shutting down'); }
  }

  #thread(): Worker {
    if (this.#worker) return this.#worker;
    const w = new Worker(new URL('../compute/worker-boot.mjs', import.meta.url), {
      workerData: { entry: new URL('./robot-load-worker.ts', import.meta.url).href },
      resourceLimits: { maxOldGenerationSizeMb: this.#maxHeapMb },
    });
    w.on('message', (m: Reply | { ready: true }) => {
      if ('ready' in m) {
        this.#ready.add(w);
        for (const send of this.#onReady.splice(0)) send();
        return;
      }
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.ok) p.resolve(m.value); else p.reject(new Error(m.message));
      this.#settle(w);
    });
    w.on('error', (e: Error & { code?: string }) => this.#fail(w, e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `ran out of memory (the loader's heap is bounded at ${this.#maxHeapMb} MB)` : `the loader thread failed: ${e.message}`));
    w.on('exit', (code) => this.#fail(w, `the loader thread exited (code ${code})`));
    this.#worker = w;
    return w;
  }

  /** The thread w is done with: every load on it fails with `message`, and it is ended. */
  #fail(w: Worker, message: string): void {
    if (this.#worker !== w) return;
    this.#worker = null;
    this.#onReady = [];
    if (this.#idle) { clearTimeout(this.#idle); this.#idle = null; }
    for (const [id, p] of this.#pending) { clearTimeout(p.timer); p.reject(new Error(message)); this.#pending.delete(id); }
    void w.terminate().catch(() => undefined);
  }

  /** No loads left: let the process exit, and end the thread after IDLE_MS. */
  #settle(w: Worker): void {
    if (this.#pending.size > 0 || this.#worker !== w) return;
    w.unref();
    this.#idle = setTimeout(() => { if (this.#pending.size === 0) this.#fail(w, 'idle'); }, IDLE_MS);
    this.#idle.unref();
  }
}
