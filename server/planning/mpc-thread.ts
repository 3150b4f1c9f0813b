/**
 * MpcThread: a live world's receding-horizon planner (mpc.ts) on a worker thread of its own
 * (mpc-worker.ts), so that replans (tens of milliseconds of numerics each) never hold the
 * event loop that steps the worlds and serves HTTP and WebSocket traffic. One replan at a time;
 * `cancel()` stops the one in flight between two iterations (it still resolves, with the plan
 * so far and `cancelled: true`). A thread that dies rejects what it was doing.
 */
import { Worker } from 'node:worker_threads';
import type { MpcPlan, MpcSetup } from './mpc.ts';
import type { MpcWorkerIn } from './mpc-worker.ts';
import { errorFromWire, type WireError } from '../control/errors.ts';

type Out =
  | { kind: 'ready'; T: number; dt: number }
  | { kind: 'plan'; id: number; plan: MpcPlan }
  | { kind: 'done'; id: number }
  | { kind: 'error'; id: number; error: WireError };

interface Pending { resolve: (v: unknown) => void; reject: (e: Error) => void }

export class MpcThread {
  readonly worker: Worker;
  #pending = new Map<number, Pending>();
  #next = 1;
  #replanId = 0;
  #dead: Error | null = null;
  #ready: Promise<{ T: number; dt: number }>;

  private constructor(setup: MpcSetup) {
    this.worker = new Worker(new URL('../compute/worker-boot.mjs', import.meta.url), {
      workerData: { entry: new URL('./mpc-worker.ts', import.meta.url).href },
    });
    let readyResolve!: (v: { T: number; dt: number }) => void, readyReject!: (e: Error) => void;
    this.#ready = new Promise((res, rej) => { readyResolve = res; readyReject = rej; });
    this.#pending.set(-1, { resolve: (v) => readyResolve(v as { T: number; dt: number }), reject: readyReject });
    this.worker.on('message', (m: Out) => {
      if (m.kind === 'ready') { this.#settle(-1, { T: m.T, dt: m.dt }); return; }
      if (m.kind === 'error') {
        const e = errorFromWire(m.error);
        // an init failure (-1) fails the start
        if (!this.#pending.has(m.id)) this.#settle(-1, e, true); else this.#settle(m.id, e, true);
        return;
      }
      this.#settle(m.id, m.kind === 'plan' ? m.plan : undefined);
    });
    const die = (why: string) => {
      if (this.#dead) return;
      this.#dead = new Error(`live planner thread failed: ${why}`);
      for (const p of this.#pending.values()) p.reject(this.#dead);
      this.#pending.clear();
    };
    this.worker.on('error', (e) => die(e.message));
    this.worker.on('exit', (code) => die(`exited with code ${code}`));
    this.#post({ kind: 'init', setup });
  }

  /** Starts a thread and builds the planner there (rejects with the task's error, e.g. a bad parameter). */
  static async start(setup: MpcSetup): Promise<{ thread: MpcThread; T: number; dt: number }> {
    const t = new MpcThread(setup);
    try {
      const { T, dt } = await t.#ready;
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

  async close(): Promise<void> {
    this.#dead ??= new Error('live planner thread closed');
    for (const p of this.#pending.values()) p.reject(this.#dead);
    this.#pending.clear();
    await this.worker.terminate();
  }
}
