/**
 * The `workers` batch backend: the batch semantics of batch.ts on a gang of worker threads
 * (worker-pool.ts running threads/batch.ts, as PooledLinearization: one long-lived thread per
 * core, each holding its Simulator, work split in contiguous ranges; a pool library would add a
 * task queue we do not need). Inputs and outputs cross threads through SharedArrayBuffers: arrays the caller
 * allocated with `allocStepBatch` / `allocSmoothBatch` (SharedArrayBuffer-backed) are passed as
 * they are; other typed arrays are copied into the pool's own shared buffers and back.
 * Results equal the `cpu` backend's bit for bit (every pair / knot is computed independently,
 * from a cold contact start, with the same code).
 *
 * A worker that dies (or throws) is replaced and its range retried once; a second failure
 * rejects the call with the worker's message.
 */
import os from 'node:os';
import { WorkerPool } from './worker-pool.ts';
import { checkSmoothBatch, checkStepBatch, dimsOf, type BatchBackend, type BatchDims, type SmoothBatch, type StepBatch } from './batch.ts';
import type { BatchWorkerInit, BatchWorkerRun, SharedView, SimSpec } from './threads/batch.ts';
import type { Simulator } from '../dynamics/step.ts';

type BatchMessage = BatchWorkerInit | BatchWorkerRun;
const ENTRY = new URL('./threads/batch.ts', import.meta.url);

/** A view of a typed array in shared memory: the array itself when it is shared, else a copy. */
function share(a: Float64Array, scratch: Map<string, Float64Array>, name: string, copyIn: boolean): { view: SharedView; array: Float64Array; copied: boolean } {
  if (a.buffer instanceof SharedArrayBuffer) {
    return { view: { buf: a.buffer, offset: a.byteOffset, length: a.length }, array: a, copied: false };
  }
  let s = scratch.get(name);
  if (!s || s.length < a.length) {
    s = new Float64Array(new SharedArrayBuffer(8 * Math.max(1, a.length)));
    scratch.set(name, s);
  }
  if (copyIn) s.set(a);
  return { view: { buf: s.buffer as SharedArrayBuffer, offset: 0, length: a.length }, array: s, copied: true };
}

export interface WorkersBatchOptions {
  /** Threads (default: the number of CPU cores). */
  size?: number;
}

export class WorkersBatchBackend implements BatchBackend {
  readonly name = 'workers' as const;
  readonly description: string;
  readonly dims: BatchDims;
  readonly size: number;
  private readonly pool: WorkerPool<BatchMessage>;
  private readonly scratch = new Map<string, Float64Array>();
  private busy: Promise<unknown> = Promise.resolve();

  /**
   * `spec` names how each worker rebuilds the simulator: a task and its parameters (the task's
   * own Simulator) or a robot with a scene and simulator options. `sim` is the caller's
   * simulator for the same model (its dimensions).
   */
  constructor(spec: SimSpec, sim: Simulator, opts: WorkersBatchOptions = {}) {
    this.dims = dimsOf(sim.model);
    this.size = Math.max(1, opts.size ?? os.cpus().length);
    this.description = `workers (${this.size} thread${this.size > 1 ? 's' : ''})`;
    const init: BatchWorkerInit = { kind: 'init', spec };
    this.pool = new WorkerPool<BatchMessage>({ entry: ENTRY, name: 'batch thread', init, size: this.size });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.busy.then(fn, fn);
    this.busy = next.catch(() => undefined);
    return next;
  }

  private async run(total: number, make: (i0: number, i1: number) => BatchWorkerRun): Promise<void> {
    await this.pool.ready;
    const chunk = Math.ceil(total / this.size);
    await Promise.all(this.pool.threads.map(async (w, k) => {
      const i0 = k * chunk, i1 = Math.min(total, (k + 1) * chunk);
      if (i0 >= i1) return;
      const msg = make(i0, i1);
      try {
        await w.call(msg);
      } catch {
        await w.restart(); // one retry on a fresh thread; a second failure propagates
        await w.call(msg);
      }
    }));
  }

  step(b: StepBatch): Promise<void> {
    return this.exclusive(async () => {
      checkStepBatch(this.dims, b);
      const n = b.count;
      const { nx, nu } = this.dims;
      const x = share(b.x.subarray(0, n * nx), this.scratch, 'x', true);
      const u = share(b.u.subarray(0, n * nu), this.scratch, 'u', true);
      const xn = share(b.xNext.subarray(0, n * nx), this.scratch, 'xNext', false);
      await this.run(n, (i0, i1) => ({ kind: 'step', i0, i1, count: n, x: x.view, u: u.view, xNext: xn.view }));
      if (xn.copied) b.xNext.set(xn.array.subarray(0, n * nx));
    });
  }

  smooth(b: SmoothBatch): Promise<void> {
    return this.exclusive(async () => {
      checkSmoothBatch(this.dims, b);
      const K = b.knots, M = b.samples;
      const { nx, nu, ndx, n } = this.dims;
      const sh = (a: Float64Array, len: number, name: string, copyIn: boolean) => share(a.subarray(0, len), this.scratch, name, copyIn);
      const x = sh(b.x, K * nx, 'sx', true), u = sh(b.u, K * nu, 'su', true), sigma = sh(b.sigma, n, 'sigma', true);
      const noise = sh(b.noise, K * M * n, 'noise', true);
      const f0 = sh(b.f0, K * nx, 'f0', false), value = sh(b.value, K * ndx, 'value', false), J = sh(b.J, K * ndx * n, 'J', false);
      const se = b.stdErr ? sh(b.stdErr, K * ndx * n, 'se', false) : null;
      await this.run(K, (t0, t1) => ({
        kind: 'smooth', t0, t1, knots: K, samples: M,
        x: x.view, u: u.view, sigma: sigma.view, noise: noise.view, f0: f0.view, value: value.view, J: J.view, stdErr: se?.view ?? null,
      }));
      if (f0.copied) b.f0.set(f0.array.subarray(0, K * nx));
      if (value.copied) b.value.set(value.array.subarray(0, K * ndx));
      if (J.copied) b.J.set(J.array.subarray(0, K * ndx * n));
      if (se?.copied && b.stdErr) b.stdErr.set(se.array.subarray(0, K * ndx * n));
    });
  }

  async dispose(): Promise<void> {
    await this.pool.close();
  }
}
