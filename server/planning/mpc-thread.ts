/**
 * MpcThread: a live world's receding-horizon planner (mpc.ts) on a worker thread of its own
 * (threads/mpc.ts), so that replans (tens of milliseconds of numerics each) never hold the
 * event loop that steps the worlds and serves HTTP and WebSocket traffic. One replan at a time;
 * `cancel()` stops the one in flight between two iterations (it still resolves, with the plan
 * so far and `cancelled: true`). A thread that dies rejects what it was doing.
 *
 * Threads come from one worker-pool.ts pool: `release()` keeps an idle thread for the next
 * session for IDLE_MS, so a new session does not pay a new isolate's JIT warm-up (a cold
 * thread's first replans run several times slower than warm ones).
 */
import type { MpcPlan, MpcSetup } from './mpc.ts';
import type { MpcThreadIn } from './threads/mpc.ts';
import { WorkerPool } from '../compute/worker-pool.ts';
import type { WorkerThread } from '../compute/worker-thread.ts';

/** Idle threads are kept this long (ms). */
const IDLE_MS = 60_000;
const pool = new WorkerPool<MpcThreadIn>({ entry: new URL('./threads/mpc.ts', import.meta.url), name: 'live planner thread', idleMs: IDLE_MS });

export class MpcThread {
  readonly #thread: WorkerThread<MpcThreadIn>;
  /** Cancels the replan in flight. */
  #replan: AbortController | null = null;
  #released = false;

  private constructor(thread: WorkerThread<MpcThreadIn>) {
    this.#thread = thread;
  }

  /** A thread (an idle one when there is one) with the planner built (rejects with the task's error, e.g. a bad parameter). */
  static async start(setup: MpcSetup): Promise<{ thread: MpcThread; T: number; dt: number }> {
    const t = new MpcThread(await pool.acquire());
    try {
      const { T, dt } = await t.#thread.call<{ T: number; dt: number }>({ kind: 'init', setup });
      return { thread: t, T, dt };
    } catch (e) {
      await t.close();
      throw e;
    }
  }

  /** Plans from state x at simulator step `step` (x is copied). */
  replan(x: Float64Array, step: number): Promise<MpcPlan> {
    const ac = new AbortController();
    this.#replan = ac;
    return this.#thread.call<MpcPlan>({ kind: 'replan', x, step }, { signal: ac.signal })
      .finally(() => { if (this.#replan === ac) this.#replan = null; });
  }

  /** Stops the replan in flight (if any) between two iterations. */
  cancel(): void {
    this.#replan?.abort();
  }

  /** New task parameters (applied after the replan in flight); rejects with the task's error. */
  setParams(params: Record<string, unknown>): Promise<void> {
    return this.#thread.call<void>({ kind: 'params', params });
  }

  /** Forgets the warm start and restarts σ (after the replan in flight). */
  reset(): Promise<void> {
    return this.#thread.call<void>({ kind: 'reset' });
  }

  /** Done with it: the replan in flight is cancelled and, once it ends, the thread waits idle for the next session. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    this.cancel();
    await this.#thread.settled();
    pool.release(this.#thread);
  }

  async close(): Promise<void> {
    this.#released = true;
    await this.#thread.terminate('live planner thread closed');
  }

  /** Terminates the idle threads (tests, shutdown). */
  static async closeIdle(): Promise<void> {
    await pool.closeIdle();
  }
}
