/**
 * MpcThread: a live world's receding-horizon planner (mpc.ts) on a worker thread of its own
 * (mpc-worker.ts), so that replans (tens of milliseconds of numerics each) never hold the
 * event loop that steps the worlds and serves HTTP and WebSocket traffic. One replan at a time;
 * `cancel()` stops the one in flight between two iterations (it still resolves, with the plan
 * so far and `cancelled: true`). A thread that dies rejects what it was doing.
 *
 * Threads are pooled: `release()` keeps an idle thread (unref'd) for the next session for
 * IDLE_MS, so a new session does not pay a new isolate's JIT warm-up (a cold thread's first
 * replans run several times slower than warm ones).
 */
import { Worker } from 'node:worker_threads';
import type { MpcPlan, MpcSetup } from './mpc.ts';
import type { MpcWorkerIn } from './mpc-worker.ts';
import { errorFromWire, type WireError } from '../control/errors.ts';

type Out =
  | { kind: 'ready'; id: number; T: number; dt: number }
  | { kind: 'plan'; id: number; plan: MpcPlan }
  | { kind: 'done'; id: number }
  | { kind: 'error'; id: number; error: WireError };

interface Pending { resolve: (v: unknown) => void; reject: (e: Error) => void }

/** Idle threads are kept this long (ms). */
const IDLE_MS = 60_000;
const idle: { thread: MpcThread; timer: NodeJS.Timeout }[] = [];

export class MpcThread {
  readonly worker: Worker;
  #pending = new Map<number, Pending>();
  #next = 1;
  #replanId = 0;
  #dead: Error | null = null;

  private constructor() {
    this.worker = new Worker(new URL('../compute/worker-boot.mjs', import.meta.url), {
      workerData: { entry: new URL('./mpc-worker.ts', import.meta.url).href },
    });
    this.worker.on('message', (m: Out) => {
      if (m.kind === 'error') { this.#settle(m.id, errorFromWire(m.error), true); return; }
      this.#settle(m.id, m.kind === 'plan' ? m.plan : m.kind === 'ready' ? { T: m.T, dt: m.dt } : undefined);
    });
    const die = (why: string) => {
      if (this.#dead) return;
      this.#dead = new Error(`live planner thread failed: ${why}`);
      for (const p of this.#pending.values()) p.reject(this.#dead);
      this.#pending.clear();
      const i = idle.findIndex((x) => x.thread === this);
      if (i >= 0) { clearTimeout(idle[i].timer); idle.splice(i, 1); }
    };
    this.worker.on('error', (e) => die(e.message));
    this.worker.on('exit', (code) => die(`exited with code ${code}`));
  }

  /** A thread (an idle one when there is one) with the planner built (rejects with the task's error, e.g. a bad parameter). */
  static async start(setup: MpcSetup): Promise<{ thread: MpcThread; T: number; dt: number }> {
    let t: MpcThread | null = null;
    while (!t && idle.length) {
      const x = idle.pop()!;
      clearTimeout(x.timer);
      if (!x.thread.#dead) t = x.thread;
    }
    t ??= new MpcThread();
    t.worker.ref();
    try {
      const { T, dt } = await t.#call<{ T: number; dt: number }>((id) => ({ kind: 'init', id, setup }));
      return { thread: t, T, dt };
    } catch (e) {
      await t.close();
      throw e;
    }
  }

  #settle(id: number, value: unknown, failed = false): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    if (failed) p.reject(value as Error); else p.resolve(value);
  }

  #post(msg: MpcWorkerIn): void {
    if (!this.#dead) this.worker.postMessage(msg);
  }

  #call<T>(make: (id: number) => MpcWorkerIn): Promise<T> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: (v) => resolve(v as T), reject });
      this.#post(make(id));
    });
  }

  /** Plans from state x at simulator step `step` (x is copied). */
  replan(x: Float64Array, step: number): Promise<MpcPlan> {
    return this.#call<MpcPlan>((id) => { this.#replanId = id; return { kind: 'replan', id, x, step }; });
  }

  /** Stops the replan in flight (if any) between two iterations. */
  cancel(): void {
    if (this.#replanId) this.#post({ kind: 'cancel', id: this.#replanId });
  }

  /** New task parameters (applied after the replan in flight); rejects with the task's error. */
  setParams(params: Record<string, unknown>): Promise<void> {
    return this.#call<void>((id) => ({ kind: 'params', id, params }));
  }

  /** Forgets the warm start and restarts σ (after the replan in flight). */
  reset(): Promise<void> {
    return this.#call<void>((id) => ({ kind: 'reset', id }));
  }

  /** Done with it: the replan in flight is cancelled and, once it ends, the thread waits idle for the next session. */
  async release(): Promise<void> {
    if (this.#dead) return;
    this.cancel();
    await Promise.allSettled([...this.#pending.values()].map((p) => new Promise<void>((resolve) => {
      const { resolve: r0, reject: j0 } = p;
      p.resolve = (v) => { r0(v); resolve(); };
      p.reject = (e) => { j0(e); resolve(); };
    })));
    if (this.#dead) return;
    this.worker.unref();
    const timer = setTimeout(() => {
      const i = idle.findIndex((x) => x.thread === this);
      if (i >= 0) idle.splice(i, 1);
      void this.worker.terminate();
    }, IDLE_MS);
    timer.unref();
    idle.push({ thread: this, timer });
  }

  async close(): Promise<void> {
    this.#dead ??= new Error('live planner thread closed');
    for (const p of this.#pending.values()) p.reject(this.#dead);
    this.#pending.clear();
    await this.worker.terminate();
  }

  /** Terminates the idle threads (tests, shutdown). */
  static async closeIdle(): Promise<void> {
    const all = idle.splice(0);
    for (const x of all) clearTimeout(x.timer);
    await Promise.all(all.map((x) => x.thread.close()));
  }
}
