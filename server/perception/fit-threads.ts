/**
 * Pose-fit threads: each method run of a fit goes to a worker thread (threads/fit.ts on a
 * worker-pool.ts pool), so the renderer's pixel loops never hold the event loop that serves
 * HTTP, WebSocket and cancels. Threads are kept for the next run once idle (how many run at
 * once is the caller's concurrency); a thread that dies fails its run with a clear error and is
 * not reused.
 */
import type { FitJob, FitJobIterate, FitJobResult } from './fit-job.ts';
import type { FitThreadIn } from './threads/fit.ts';
import { WorkerPool } from '../compute/worker-pool.ts';
import type { FitRunner } from './fit-runner.ts';

export class FitThreads implements FitRunner {
  readonly remote = false;
  readonly #pool = new WorkerPool<FitThreadIn>({ entry: new URL('./threads/fit.ts', import.meta.url), name: 'fit thread' });

  /** Runs one method of a fit; `signal` cancels it (the result then says cancelled). */
  async run(job: FitJob, onIterate: (it: FitJobIterate) => void, signal?: AbortSignal): Promise<FitJobResult> {
    if (this.#pool.closed) throw new Error('fit threads closed');
    const thread = await this.#pool.acquire();
    // the cancel is a flag the thread reads before each render (it takes no messages meanwhile)
    const cancel = new SharedArrayBuffer(4);
    const flag = new Int32Array(cancel);
    const onAbort = () => Atomics.store(flag, 0, 1);
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const onEvent = (it: unknown) => { try { onIterate(it as FitJobIterate); } catch { /* a listener's failure is not the fit's */ } };
    try {
      return await thread.call<FitJobResult>({ job, cancel }, { onEvent });
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.#pool.release(thread);
    }
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}
