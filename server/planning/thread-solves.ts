/**
 * ThreadSolves: the server's plans run on worker threads (threads/solve.ts on a worker-pool.ts
 * pool), so that a solve (whose iterations are tens to hundreds of milliseconds of synchronous
 * numerics) never holds the event loop that answers HTTP, WebSocket and cancel requests. Same
 * contract as planner.ts `plan`: onIterate receives every iteration's record and trajectory,
 * the signal cancels (the thread stops within one iteration and returns the cancelled plan),
 * errors reject with the planner's message (the typed request errors of control/errors.ts keep
 * their class and field). Threads are kept (one per concurrent solve, started on first use); a
 * thread that dies fails its solve with a clear error and is replaced for the next.
 */
import os from 'node:os';
import { plan as runInline, type PlanRequest, type PlanResult } from './planner.ts';
import type { SolveJob, Solves } from './solves.ts';
import { resolveBackend } from '../compute/providers.ts';
import { WorkerPool } from '../compute/worker-pool.ts';
import type { SolveRequest } from './threads/solve.ts';

type OnIterate = NonNullable<PlanRequest['onIterate']>;
/** What the thread emits per iteration (threads/solve.ts). */
interface Iterate { record: Parameters<OnIterate>[0]; trajectory: ReturnType<Parameters<OnIterate>[1]> }

export class ThreadSolves implements Solves {
  readonly remote = false;
  readonly #pool = new WorkerPool<SolveRequest>({ entry: new URL('./threads/solve.ts', import.meta.url), name: 'solve thread' });

  /**
   * Runs one plan on an idle thread (a new one if all are busy). The backend is decided here,
   * once per process for 'auto' (the adapter probe is cached): a WebGPU plan runs on this
   * thread instead, so that Dawn lives in the main thread only (its native teardown in a
   * terminated worker thread can bring the process down) and its compiled kernels are shared
   * by every plan; its numerics are mostly awaited GPU work and worker-pool columns.
   */
  async plan(req: SolveJob): Promise<PlanResult> {
    if (this.#pool.closed) throw new Error('solve threads are closed');
    req.onStart?.({ worker: 'server', host: os.hostname(), attempt: 1 });
    const choice = req.solverParams?.backend ?? 'auto';
    if (choice === 'webgpu') return runInline(req);
    if (choice === 'auto' && !req.resolvedBackend) {
      const r = await resolveBackend('auto');
      if (r.backend === 'webgpu') return runInline(req);
      req = { ...req, resolvedBackend: { backend: r.backend, reason: r.reason } };
    }
    return this.#onThread(req);
  }

  async #onThread(req: PlanRequest): Promise<PlanResult> {
    if (this.#pool.closed) throw new Error('solve threads are closed');
    const thread = await this.#pool.acquire();
    const { onIterate, onStart: _start, signal, ...request } = req as SolveJob;
    // iterate callbacks run in order, one at a time, and the last ones before the result
    let chain: Promise<void> = Promise.resolve();
    const onEvent = (v: unknown) => {
      const { record, trajectory } = v as Iterate;
      if (onIterate) chain = chain.then(() => onIterate(record, () => trajectory)).catch(() => undefined);
    };
    try {
      const result = await thread.call<PlanResult>(request, { onEvent, signal }).finally(() => this.#pool.release(thread));
      await chain;
      return result;
    } catch (e) {
      await chain;
      throw e;
    }
  }

  /** Threads running solves now. */
  get size(): number {
    return this.#pool.acquiredCount;
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}
