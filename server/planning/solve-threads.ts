/**
 * SolveThreads: the server's plans run on worker threads, so that a solve (whose iterations
 * are tens to hundreds of milliseconds of synchronous numerics) never holds the event loop
 * that answers HTTP, WebSocket and cancel requests. Same contract as planner.ts `plan`:
 * onIterate receives every iteration's record and trajectory, the signal cancels (the worker
 * stops within one iteration and returns the cancelled plan), errors reject with the
 * planner's message (the typed request errors of control/errors.ts keep their class and
 * field). Threads are kept (one per concurrent solve, started on first use); a thread that
 * dies fails its solve with a clear error and is replaced for the next.
 */
import { Worker } from 'node:worker_threads';
import os from 'node:os';
import { plan as runInline, type PlanRequest, type PlanResult } from './planner.ts';
import type { SolveJob, Solves } from './solves.ts';
import { resolveBackend } from '../compute/providers.ts';
import { errorFromWire, type WireError } from '../control/errors.ts';
import type { SolveWorkerIn } from './solve-worker.ts';

type Out =
  | { kind: 'iterate'; id: number; record: Parameters<NonNullable<PlanRequest['onIterate']>>[0]; trajectory: ReturnType<Parameters<NonNullable<PlanRequest['onIterate']>>[1]> }
  | { kind: 'result'; id: number; result: PlanResult }
  | { kind: 'error'; id: number; error: WireError };

interface Job {
  req: PlanRequest;
  resolve: (r: PlanResult) => void;
  reject: (e: Error) => void;
  /** Iterate callbacks run in order, one at a time. */
  chain: Promise<void>;
}

class SolveThread {
  readonly worker: Worker;
  job: { id: number; job: Job } | null = null;
  dead = false;
  constructor(onDeath: (t: SolveThread) => void) {
    this.worker = new Worker(new URL('../compute/worker-boot.mjs', import.meta.url), {
      workerData: { entry: new URL('./solve-worker.ts', import.meta.url).href },
    });
    this.worker.unref();
    this.worker.on('message', (m: Out) => this.onMessage(m));
    const die = (why: string) => {
      if (this.dead) return;
      this.dead = true;
      const j = this.job;
      this.job = null;
      j?.job.reject(new Error(`solve thread failed: ${why}`));
      onDeath(this);
    };
    this.worker.on('error', (e) => die(e.message));
    this.worker.on('exit', (code) => die(`exited with code ${code}`));
  }

  private onMessage(m: Out): void {
    const cur = this.job;
    if (!cur || cur.id !== m.id) return;
    const job = cur.job;
    if (m.kind === 'iterate') {
      const cb = job.req.onIterate;
      if (cb) job.chain = job.chain.then(() => cb(m.record, () => m.trajectory)).catch(() => undefined);
      return;
    }
    this.job = null;
    // deliver the last iterates before the result
    void job.chain.then(() => (m.kind === 'result' ? job.resolve(m.result) : job.reject(errorFromWire(m.error))));
  }

  run(id: number, job: Job): void {
    this.job = { id, job };
    const { onIterate: _cb, onStart: _start, signal, ...request } = job.req as SolveJob;
    const post = (msg: SolveWorkerIn) => { if (!this.dead) this.worker.postMessage(msg); };
    post({ kind: 'solve', id, request });
    if (signal?.aborted) post({ kind: 'cancel', id });
    else signal?.addEventListener('abort', () => post({ kind: 'cancel', id }), { once: true });
  }
}

export class SolveThreads implements Solves {
  readonly remote = false;
  #threads: SolveThread[] = [];
  #next = 1;
  #closed = false;

  /**
   * Runs one plan on an idle thread (a new one if all are busy). The backend is decided here,
   * once per process for 'auto' (the adapter probe is cached): a WebGPU plan runs on this
   * thread instead, so that Dawn lives in the main thread only (its native teardown in a
   * terminated worker thread can bring the process down) and its compiled kernels are shared
   * by every plan; its numerics are mostly awaited GPU work and worker-pool columns.
   */
  async plan(req: SolveJob): Promise<PlanResult> {
    if (this.#closed) throw new Error('solve threads are closed');
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

  #onThread(req: PlanRequest): Promise<PlanResult> {
    if (this.#closed) return Promise.reject(new Error('solve threads are closed'));
    return new Promise<PlanResult>((resolve, reject) => {
      let t = this.#threads.find((x) => !x.job && !x.dead);
      if (!t) {
        t = new SolveThread((dead) => { this.#threads = this.#threads.filter((x) => x !== dead); });
        this.#threads.push(t);
      }
      t.run(this.#next++, { req, resolve, reject, chain: Promise.resolve() });
    });
  }

  get size(): number {
    return this.#threads.length;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const ts = this.#threads;
    this.#threads = [];
    await Promise.all(ts.map((t) => t.worker.terminate()));
  }
}
