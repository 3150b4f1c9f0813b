/**
 * Pose-fit threads: each method run of a fit goes to a worker thread (fit-worker.ts), so the
 * renderer's pixel loops never hold the event loop that serves HTTP, WebSocket and cancels.
 * Threads are kept for the next run once idle (how many run at once is the caller's
 * concurrency); a thread that dies fails its run with a clear error and is not reused.
 */
import { Worker } from 'node:worker_threads';
import type { FitJob, FitJobIterate, FitJobResult } from './fit-job.ts';
import type { FitWorkerIn } from './fit-worker.ts';
import type { FitRunner } from './fit-runner.ts';

type Out =
  | { kind: 'iterate'; id: number; it: FitJobIterate }
  | { kind: 'result'; id: number; result: FitJobResult }
  | { kind: 'error'; id: number; message: string };

export class FitThreads implements FitRunner {
  readonly remote = false;
  #idle: Worker[] = [];
  #busy = new Set<Worker>();
  #next = 1;
  #closed = false;

  #spawn(): Worker {
    const w = new Worker(new URL('../compute/worker-boot.mjs', import.meta.url), { workerData: { entry: new URL('./fit-worker.ts', import.meta.url).href } });
    w.unref();
    return w;
  }

  /** Runs one method of a fit; `signal` cancels it (the result then says cancelled). */
  run(job: FitJob, onIterate: (it: FitJobIterate) => void, signal?: AbortSignal): Promise<FitJobResult> {
    if (this.#closed) return Promise.reject(new Error('fit threads closed'));
    const w = this.#idle.pop() ?? this.#spawn();
    this.#busy.add(w);
    w.ref();
    const id = this.#next++;
    const cancel = new SharedArrayBuffer(4);
    const flag = new Int32Array(cancel);
    const onAbort = () => Atomics.store(flag, 0, 1);
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    return new Promise<FitJobResult>((resolve, reject) => {
      let dead = false;
      const done = (reuse: boolean) => {
        w.off('message', onMessage); w.off('error', onError); w.off('exit', onExit);
        signal?.removeEventListener('abort', onAbort);
        this.#busy.delete(w);
        w.unref();
        if (reuse && !this.#closed) this.#idle.push(w);
        else if (!dead) void w.terminate();
      };
      const onMessage = (m: Out) => {
        if (m.id !== id) return;
        if (m.kind === 'iterate') { try { onIterate(m.it); } catch { /* a listener's failure is not the fit's */ } return; }
        done(true);
        if (m.kind === 'result') resolve(m.result);
        else reject(new Error(m.message));
      };
      const onError = (e: Error) => { dead = true; done(false); reject(new Error(`fit thread failed: ${e.message}`)); };
      const onExit = (code: number) => { dead = true; done(false); reject(new Error(`fit thread exited with code ${code}`)); };
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
      const msg: FitWorkerIn = { kind: 'run', id, job, cancel };
      w.postMessage(msg);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#idle, ...this.#busy];
    this.#idle = [];
    await Promise.all(all.map((w) => w.terminate().catch(() => undefined)));
  }
}
