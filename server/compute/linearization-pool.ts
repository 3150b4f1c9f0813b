/**
 * PooledLinearization: the DDP/R-DDP linearization of a whole trajectory split over worker
 * threads by contiguous knot ranges (the `workers` backend). Each worker holds the task's
 * model once; the nominal trajectory goes to them and A, B come back through
 * SharedArrayBuffers (no JSON). Results are bit-identical to the in-process providers
 * (see linearization-worker.ts). A worker that dies is replaced and its range retried once;
 * a second failure rejects the linearization with the worker's message.
 */
import os from 'node:os';
import { ThreadWorker } from './thread-worker.ts';
import type { LinearizationProvider, LinearizeContext } from '../control/problem.ts';
import type { SmoothingParams } from '../control/linearization.ts';
import type { WorkerInit, WorkerOutputs, WorkerRun } from './linearization-worker.ts';

export interface PoolOptions {
  task: string;
  params: Record<string, number | string>;
  /** null: exact linearization (DDP); else R-DDP smoothing parameters. */
  smoothing: SmoothingParams | null;
  T: number;
  nx: number;
  ndx: number;
  nu: number;
  /** Number of workers (default: the number of CPU cores). */
  size?: number;
}

type PoolMessage = WorkerInit | WorkerRun | WorkerOutputs;
const WORKER_ENTRY = new URL('./linearization-worker.ts', import.meta.url);

export class PooledLinearization implements LinearizationProvider {
  readonly size: number;
  /** Knots are reported as they complete (ctx.ready), last knots first: see LinearizationProvider. */
  readonly streaming = true;
  /** Current noise (R-DDP); set by the planner between iterations like SmoothedLinearization.setNoise. */
  readonly params: SmoothingParams | null;
  private readonly opts: PoolOptions;
  private readonly xs: Float64Array;
  private readonly us: Float64Array;
  private readonly As: Float64Array;
  private readonly Bs: Float64Array;
  private readonly workers: ThreadWorker<PoolMessage>[] = [];
  private ready: Promise<void>;
  /** The caller's shared A buffer the workers currently write (null: the pool's own). */
  private outputsBuffer: SharedArrayBuffer | null = null;

  constructor(opts: PoolOptions) {
    this.opts = opts;
    this.size = Math.max(1, Math.min(opts.size ?? os.cpus().length, opts.T));
    this.params = opts.smoothing ? { ...opts.smoothing } : null;
    const sab = (n: number) => new SharedArrayBuffer(8 * n);
    const bufs = { xs: sab(opts.T * opts.nx), us: sab(opts.T * opts.nu), As: sab(opts.T * opts.ndx * opts.ndx), Bs: sab(opts.T * opts.ndx * opts.nu) };
    this.xs = new Float64Array(bufs.xs); this.us = new Float64Array(bufs.us);
    this.As = new Float64Array(bufs.As); this.Bs = new Float64Array(bufs.Bs);
    const init: WorkerInit = { kind: 'init', task: opts.task, params: opts.params, smoothing: opts.smoothing, ...bufs };
    for (let i = 0; i < this.size; i++) this.workers.push(new ThreadWorker<PoolMessage>(WORKER_ENTRY, 'linearization worker', init));
    this.ready = Promise.all(this.workers.map((w) => w.request(init))).then(() => undefined);
    // an init failure surfaces at the first call (which awaits ready); a pool terminated before
    // its threads were up is not an unhandled rejection
    this.ready.catch(() => undefined);
  }

  setNoise(sigma: number, samples: number): void {
    if (!this.params) return;
    this.params.sigma = sigma;
    this.params.samples = Math.max(2, Math.min(128, Math.round(samples)));
  }

  async linearize(xs: Float64Array[], us: Float64Array[], As: Float64Array, Bs: Float64Array, ctx: LinearizeContext): Promise<void> {
    await this.ready;
    const { T, nx, nu } = this.opts;
    // the caller's arrays in shared memory (DdpSolver's are): the workers write them directly
    const direct = As.buffer instanceof SharedArrayBuffer && Bs.buffer instanceof SharedArrayBuffer
      && As.byteOffset === 0 && Bs.byteOffset === 0 && As.length === this.As.length && Bs.length === this.Bs.length;
    if (direct && this.outputsBuffer !== As.buffer) {
      const out: WorkerOutputs = { kind: 'outputs', As: As.buffer as SharedArrayBuffer, Bs: Bs.buffer as SharedArrayBuffer };
      await Promise.all(this.workers.map((w) => { w.replay = [out]; return w.request(out); }));
      this.outputsBuffer = As.buffer as SharedArrayBuffer;
    }
    const ready = direct && ctx.ready && ctx.ready.buffer instanceof SharedArrayBuffer ? ctx.ready.buffer as SharedArrayBuffer : undefined;
    if (!direct && this.outputsBuffer) {
      const own: WorkerOutputs = { kind: 'outputs', As: this.As.buffer as SharedArrayBuffer, Bs: this.Bs.buffer as SharedArrayBuffer };
      await Promise.all(this.workers.map((w) => { w.replay = []; return w.request(own); }));
      this.outputsBuffer = null;
    }
    for (let t = 0; t < T; t++) { this.xs.set(xs[t].subarray(0, nx), t * nx); this.us.set(us[t], t * nu); }
    const chunk = Math.ceil(T / this.size);
    await Promise.all(this.workers.map(async (w, i) => {
      const msg: WorkerRun = {
        kind: 'run', t0: i * chunk, t1: Math.min(T, (i + 1) * chunk), iteration: ctx.iteration,
        sigma: this.params?.sigma ?? 0, samples: this.params?.samples ?? 0, ready,
      };
      if (msg.t0 >= msg.t1) return;
      try {
        await w.request(msg);
      } catch {
        try {
          await w.restart(); // one retry on a fresh worker; a second failure propagates
          await w.request(msg);
        } catch (e) {
          this.broken = true;
          throw e;
        }
      }
    }));
    if (!direct) {
      As.set(this.As.subarray(0, As.length));
      Bs.set(this.Bs.subarray(0, Bs.length));
      if (ctx.ready) for (let t = 0; t < T; t++) { Atomics.store(ctx.ready, t, 1); Atomics.notify(ctx.ready, t); }
    }
  }

  /**
   * Hands the pool back: a pool from `PooledLinearization.lease` goes back to the idle cache
   * (terminated after IDLE_MS unused), any other is terminated.
   */
  async dispose(): Promise<void> {
    if (this.cacheKey !== null && !this.broken) { releaseToCache(this); return; }
    await this.terminate();
  }

  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }

  /** Set by lease(): the cache key of the pool's configuration. */
  cacheKey: string | null = null;
  /** A linearization failed: never handed out again. */
  broken = false;

  /**
   * A pool for this configuration, reused from earlier plans when one is idle: its workers have
   * built the task's model and their JIT is warm (a new pool costs ~1 s before its first knot).
   * Same results as a new pool: sigma and samples travel with every run, the rest of the
   * smoothing parameters are part of the key. dispose() hands it back.
   */
  static lease(opts: PoolOptions): PooledLinearization {
    const key = poolKey(opts);
    const idle = idlePools.get(key);
    const pool = idle?.pop();
    if (idle && idle.length === 0) idlePools.delete(key);
    if (pool) {
      const timer = idleTimers.get(pool);
      if (timer) clearTimeout(timer);
      idleTimers.delete(pool);
      if (pool.params && opts.smoothing) Object.assign(pool.params, opts.smoothing);
      return pool;
    }
    const fresh = new PooledLinearization(opts);
    fresh.cacheKey = key;
    return fresh;
  }
}

/** Idle pools are terminated after this long unused. */
const IDLE_MS = 60_000;
const idlePools = new Map<string, PooledLinearization[]>();
const idleTimers = new Map<PooledLinearization, NodeJS.Timeout>();

function poolKey(o: PoolOptions): string {
  const sm = o.smoothing ? { ...o.smoothing, sigma: 0, samples: 0 } : null;
  return JSON.stringify([o.task, o.params, sm, o.T, o.nx, o.ndx, o.nu, o.size ?? os.cpus().length]);
}

function releaseToCache(pool: PooledLinearization): void {
  const key = pool.cacheKey as string;
  let list = idlePools.get(key);
  if (!list) idlePools.set(key, (list = []));
  list.push(pool);
  const timer = setTimeout(() => {
    idleTimers.delete(pool);
    const l = idlePools.get(key);
    const i = l ? l.indexOf(pool) : -1;
    if (l && i >= 0) { l.splice(i, 1); if (l.length === 0) idlePools.delete(key); }
    void pool.terminate();
  }, IDLE_MS);
  timer.unref();
  idleTimers.set(pool, timer);
}
