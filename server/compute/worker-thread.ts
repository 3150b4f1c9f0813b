/**
 * One worker thread of the project's worker pools (worker-pool.ts): boots a TypeScript entry
 * through worker-boot.mjs (the entry's side is worker-entry.ts `serve`) and carries calls by id.
 * `call(msg)` resolves with the entry's answer (rejects with its error, typed errors of
 * control/errors.ts keeping their class), `onEvent` receives what the entry emits for that call
 * meanwhile (iterations), and `signal` cancels it on the entry's side. The thread keeps the
 * process alive only while a call is pending. When it exits or throws, every pending call
 * rejects with `<name> failed: <why>`; `restart()` replaces it, sending its init message (and
 * `replay`) again.
 */
import { Worker, type ResourceLimits, type TransferListItem } from 'node:worker_threads';
import { errorFromWire, type WireError } from '../control/errors.ts';

/** Main → thread: a call (answered under its id) or the cancel of one. */
export type ThreadCall<In> = { id: number; msg: In } | { id: number; cancel: true };
/** Thread → main. */
export type ThreadAnswer =
  | { id: 0; kind: 'booted' }
  | { id: number; kind: 'done'; value: unknown }
  | { id: number; kind: 'event'; value: unknown }
  | { id: number; kind: 'error'; error: WireError };

export interface CallOptions {
  /** What the entry emits for this call before its answer, in order. */
  onEvent?: (value: unknown) => void;
  /** Cancels the call on the entry's side (its context's signal aborts). */
  signal?: AbortSignal;
  /** Moved, not copied, to the thread. */
  transfer?: readonly TransferListItem[];
}

interface Pending { resolve: (v: unknown) => void; reject: (e: Error) => void; onEvent?: (v: unknown) => void }

const BOOT = new URL('./worker-boot.mjs', import.meta.url);

export class WorkerThread<In> {
  worker!: Worker;
  /** Messages sent again after the init message when the thread is restarted. */
  replay: In[] = [];
  /** Why the thread is gone (exit, error, terminate); null while it runs. Calls then fail with it. */
  dead: Error | null = null;
  /** Resolves once the entry has loaded and serves (the boot's time is not a call's). */
  booted!: Promise<void>;
  /** Called once when the thread is gone (died or terminated; not when restart() replaces it). */
  onDeath: ((t: WorkerThread<In>) => void) | null = null;
  readonly #pending = new Map<number, Pending>();
  #next = 1;
  #restarting = false;
  #deathTold = false;
  #bootFailed: (e: Error) => void = () => undefined;

  /**
   * entry: the module's URL; name: for error messages; init: the first call of every
   * (re)started thread; resourceLimits: the thread's heap bounds (a death by them has the
   * worker's error, code ERR_WORKER_OUT_OF_MEMORY, as its `cause`).
   */
  constructor(readonly entry: URL, readonly name: string, readonly init: In | null = null, private readonly opts: { resourceLimits?: ResourceLimits } = {}) {
    this.#spawn();
  }

  #spawn(): void {
    const w = new Worker(BOOT, { workerData: { entry: this.entry.href }, resourceLimits: this.opts.resourceLimits });
    this.worker = w;
    this.dead = null;
    this.#deathTold = false;
    let booted!: () => void;
    this.booted = new Promise<void>((resolve, reject) => { booted = resolve; this.#bootFailed = reject; });
    this.booted.catch(() => undefined);
    w.unref();
    w.on('message', (m: ThreadAnswer) => {
      if (m.kind === 'booted') { booted(); return; }
      const p = this.#pending.get(m.id);
      if (!p || this.worker !== w) return;
      if (m.kind === 'event') { p.onEvent?.(m.value); return; }
      this.#pending.delete(m.id);
      if (this.#pending.size === 0) w.unref();
      if (m.kind === 'done') p.resolve(m.value); else p.reject(errorFromWire(m.error));
    });
    // events of a thread already replaced (restart) concern nobody
    const die = (why: string, cause?: Error) => {
      if (this.worker !== w || this.dead) return;
      this.#fail(new Error(`${this.name} failed: ${why}`, { cause }));
      this.#tellDeath();
    };
    w.on('error', (e) => die(e.message, e));
    w.on('exit', (code) => die(`exited with code ${code}`));
  }

  #tellDeath(): void {
    if (this.#restarting || this.#deathTold) return;
    this.#deathTold = true;
    this.onDeath?.(this);
  }

  #fail(e: Error): void {
    this.dead = e;
    this.#bootFailed(e);
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of all) p.reject(e);
  }

  /** Calls pending now. */
  get busy(): boolean {
    return this.#pending.size > 0;
  }

  /** Sends one message and resolves with the entry's answer; the thread is ref'd meanwhile. */
  call<R = unknown>(msg: In, opts: CallOptions = {}): Promise<R> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.#next++;
    const w = this.worker;
    w.ref();
    const signal = opts.signal;
    const cancel = () => { if (this.#pending.has(id) && this.worker === w) w.postMessage({ id, cancel: true } satisfies ThreadCall<In>); };
    const answer = new Promise<R>((resolve, reject) => {
      this.#pending.set(id, { resolve: (v) => resolve(v as R), reject, onEvent: opts.onEvent });
      w.postMessage({ id, msg } satisfies ThreadCall<In>, opts.transfer);
      if (signal?.aborted) cancel();
      else signal?.addEventListener('abort', cancel, { once: true });
    });
    return signal ? answer.finally(() => signal.removeEventListener('abort', cancel)) : answer;
  }

  /** Resolves once no call is pending (answered, failed or the thread gone). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) {
      await Promise.allSettled([...this.#pending.values()].map((p) => new Promise<void>((done) => {
        const { resolve, reject } = p;
        p.resolve = (v) => { resolve(v); done(); };
        p.reject = (e) => { reject(e); done(); };
      })));
    }
  }

  /** A fresh thread in place of this one, initialized as the first was. */
  async restart(): Promise<void> {
    this.#restarting = true;
    try {
      await this.worker.terminate().catch(() => undefined);
    } finally {
      this.#restarting = false;
    }
    this.#spawn();
    if (this.init !== null) await this.call(this.init);
    for (const m of this.replay) await this.call(m);
  }

  /** Ends the thread: pending calls reject (with `reason`, else `<name> failed: exited …`). */
  async terminate(reason?: string): Promise<void> {
    if (reason && !this.dead) this.#fail(new Error(reason));
    await this.worker.terminate().catch(() => undefined);
    this.dead ??= new Error(`${this.name} was terminated`);
    this.#tellDeath();
  }
}
