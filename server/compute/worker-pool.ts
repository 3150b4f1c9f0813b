/**
 * The project's one worker-pool stack. Every threaded job kind (the R-DDP/DDP linearization,
 * the `workers` batch backend, the renderer's bands, whole plans, live replans, pose fits) is an
 * entry module that calls worker-entry.ts `serve`, run by threads of a `WorkerPool`:
 *
 * - a gang: `size` threads started at once, each sent the pool's init message (the job's
 *   model, shared buffers); the caller sends every thread a call per run (`threads`) and
 *   restarts a failed one in place (WorkerThread.restart replays the init message);
 * - on demand: `acquire()` hands out an idle thread or starts one, `release()` keeps it idle
 *   for the next job (terminated after `idleMs`; a dead thread is dropped).
 *
 * `IdleCache` is the one implementation of "keep it warm for a while, bounded": the pool's
 * idle threads and the linearization pools leased by configuration (pooled-linearization.ts).
 */
import { WorkerThread } from './worker-thread.ts';

export interface PoolSpec<In> {
  /** The job kind's entry module (it calls worker-entry.ts `serve`). */
  entry: URL;
  /** For error messages: '<name> failed: <why>'. */
  name: string;
  /** First call of every thread, again after a restart. */
  init?: In;
  /** Threads started at once (a gang); acquire() starts more on demand. Default 0. */
  size?: number;
  /** Released threads are terminated after this long idle (default: kept until close()). */
  idleMs?: number;
}

export class WorkerPool<In> {
  /** The gang's threads (the first `size`), in a fixed order; a failed one is restarted in place. */
  readonly threads: WorkerThread<In>[] = [];
  /** Resolves once the gang's threads answered their init message (rejects with the first failure). */
  readonly ready: Promise<void>;
  readonly #spec: PoolSpec<In>;
  readonly #idle: IdleCache<WorkerThread<In>>;
  readonly #acquired = new Set<WorkerThread<In>>();
  #closed = false;

  constructor(spec: PoolSpec<In>) {
    this.#spec = spec;
    this.#idle = new IdleCache<WorkerThread<In>>({ idleMs: spec.idleMs ?? Infinity, dispose: (t) => void t.terminate() });
    for (let i = 0; i < (spec.size ?? 0); i++) this.threads.push(this.#spawn());
    this.ready = Promise.all(this.threads.map((t) => this.#init(t))).then(() => undefined);
    // an init failure surfaces at the first call (which awaits ready); a pool closed before its
    // threads were up is not an unhandled rejection
    this.ready.catch(() => undefined);
  }

  #spawn(): WorkerThread<In> {
    const t = new WorkerThread<In>(this.#spec.entry, this.#spec.name, this.#spec.init ?? null);
    t.onDeath = () => { this.#idle.remove(t); this.#acquired.delete(t); };
    return t;
  }

  #init(t: WorkerThread<In>): Promise<unknown> {
    return t.init === null ? Promise.resolve() : t.call(t.init);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Threads working for acquire() callers now. */
  get acquiredCount(): number {
    return this.#acquired.size;
  }

  /** A thread for one job: an idle one (warm) or a new one, initialized. */
  async acquire(): Promise<WorkerThread<In>> {
    if (this.#closed) throw new Error(`${this.#spec.name}s are closed`);
    let t = this.#idle.take('');
    while (t?.dead) t = this.#idle.take('');
    if (!t) {
      t = this.#spawn();
      this.#acquired.add(t);
      try {
        await this.#init(t);
      } catch (e) {
        this.#acquired.delete(t);
        void t.terminate();
        throw e;
      }
      return t;
    }
    this.#acquired.add(t);
    return t;
  }

  /** The job is done with `t`: it waits idle for the next (a dead thread is dropped). */
  release(t: WorkerThread<In>): void {
    this.#acquired.delete(t);
    if (t.dead) return;
    if (this.#closed) { void t.terminate(); return; }
    this.#idle.put('', t);
  }

  /** Terminates the idle threads (tests, shutdown); the pool stays usable. */
  async closeIdle(): Promise<void> {
    await Promise.all(this.#idle.clear().map((t) => t.terminate()));
  }

  /** Terminates every thread; calls in flight reject (with `reason`, else '<name> failed: exited …'). */
  async close(reason?: string): Promise<void> {
    this.#closed = true;
    const all = [...this.threads, ...this.#acquired, ...this.#idle.clear()];
    this.#acquired.clear();
    await Promise.all(all.map((t) => t.terminate(reason)));
  }
}

/**
 * Items kept warm under a key for later use: `take(key)` hands back the newest idle item of that
 * key, `put` keeps one; an item idle for `idleMs` is disposed, and beyond `maxIdle` items (all
 * keys together) the longest idle goes first. Timers do not keep the process alive.
 */
export class IdleCache<T> {
  readonly #byKey = new Map<string, T[]>();
  /** Every idle item with its key and timer, in the order they became idle. */
  readonly #items = new Map<T, { key: string; timer: NodeJS.Timeout | null }>();
  readonly #idleMs: number;
  readonly #maxIdle: number;
  readonly #dispose: (item: T) => void;

  constructor(opts: { idleMs: number; maxIdle?: number; dispose: (item: T) => void }) {
    this.#idleMs = opts.idleMs;
    this.#maxIdle = opts.maxIdle ?? Infinity;
    this.#dispose = opts.dispose;
  }

  get size(): number {
    return this.#items.size;
  }

  take(key: string): T | undefined {
    const list = this.#byKey.get(key);
    if (!list || list.length === 0) return undefined;
    const item = list[list.length - 1];
    this.remove(item);
    return item;
  }

  put(key: string, item: T): void {
    let list = this.#byKey.get(key);
    if (!list) this.#byKey.set(key, (list = []));
    list.push(item);
    let timer: NodeJS.Timeout | null = null;
    if (Number.isFinite(this.#idleMs)) {
      timer = setTimeout(() => { if (this.remove(item)) this.#dispose(item); }, this.#idleMs);
      timer.unref();
    }
    this.#items.set(item, { key, timer });
    // bounded: the longest idle (first in insertion order) go first
    for (const oldest of this.#items.keys()) {
      if (this.#items.size <= this.#maxIdle) break;
      this.remove(oldest);
      this.#dispose(oldest);
    }
  }

  /** Forgets an idle item (not disposed); false when it was not idle here. */
  remove(item: T): boolean {
    const e = this.#items.get(item);
    if (!e) return false;
    if (e.timer) clearTimeout(e.timer);
    this.#items.delete(item);
    const list = this.#byKey.get(e.key);
    const i = list ? list.indexOf(item) : -1;
    if (list && i >= 0) { list.splice(i, 1); if (list.length === 0) this.#byKey.delete(e.key); }
    return true;
  }

  /** Forgets every idle item and hands them back (to dispose). */
  clear(): T[] {
    const all = [...this.#items.keys()];
    for (const item of all) this.remove(item);
    return all;
  }
}
