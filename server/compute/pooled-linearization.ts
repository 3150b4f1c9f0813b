/**
 * PooledLinearization: the DDP/R-DDP linearization of a whole trajectory over worker threads
 * (the `workers` backend). Each worker holds the task's model once; the nominal trajectory
 * goes to them and A, B come back through SharedArrayBuffers (no JSON). Results are
 * bit-identical to the in-process providers (see threads/linearize.ts).
 *
 * Knots are claimed one at a time from a shared counter, last knots first, so they complete
 * roughly in the order the backward pass consumes them (contiguous ranges per worker made the
 * backward pass wait at one worker's pace for half the trajectory). The solver's own thread
 * claims from the same counter whenever its backward pass would otherwise wait (`assist`): a
 * pool of cores − 1 workers then keeps every core busy without oversubscribing them.
 *
 * A worker that dies or fails is replaced; the knots it left unwritten are computed on the
 * calling thread, where a deterministic failure repeats and rejects the linearization with its
 * message.
 *
 * The threads are a WorkerPool gang (worker-pool.ts) running threads/linearize.ts; pools are
 * leased by configuration from an IdleCache (warm threads across plans).
 */
import os from 'node:os';
import { IdleCache, WorkerPool } from './worker-pool.ts';
import { MAX_SAMPLES, MIN_SAMPLES } from '../../shared/limits.ts';
import type { LinearizationProvider, LinearizeContext } from '../control/problem.ts';
import type { SmoothingParams } from '../control/derivative-providers.ts';
import type { WorkerInit, WorkerOutputs, WorkerRun } from './threads/linearize.ts';
import { ExactLinearization, SmoothedLinearization } from '../control/derivative-providers.ts';
import { getTask, resolveParams } from '../control/tasks/index.ts';
import { DEFAULT_DERIVATIVES, type DerivativesMode } from '../../shared/protocol.ts';

export interface PoolOptions {
  task: string;
  params: Record<string, number | string>;
  /** null: exact linearization (DDP); else R-DDP smoothing parameters. */
  smoothing: SmoothingParams | null;
  /** Exact step Jacobians: 'fd' or 'analytic' (default) (dynamics/step-jacobians.ts). */
  derivatives?: DerivativesMode;
  T: number;
  nx: number;
  ndx: number;
  nu: number;
  /** Number of worker threads (default: cores − 1, at least 1; the solver thread assists). */
  size?: number;
}

/** Default pool size: one core is the solver thread's, which linearizes too (assist). */
export function defaultPoolSize(): number {
  return Math.max(1, os.cpus().length - 1);
}

type PoolMessage = WorkerInit | WorkerRun | WorkerOutputs;
const ENTRY = new URL('./threads/linearize.ts', import.meta.url);

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
  /** Int32 [0]: claim counter; [1 + t]: knot t written (shared with the workers). */
  private readonly ctrl: Int32Array;
  /** The linearization in progress, for assist() (direct writes only), else null. */
  private run: { xs: Float64Array[]; us: Float64Array[]; As: Float64Array; Bs: Float64Array; ready?: Int32Array; iteration: number } | null = null;
  /** In-process linearizer (same task build as the workers'), for assist and recovery; built on first use. */
  private local: { exact: ExactLinearization; smooth: SmoothedLinearization | null } | null = null;
  /** The gang of linearization threads (worker-pool.ts). */
  readonly pool: WorkerPool<PoolMessage>;
  /** The caller's shared A buffer the workers currently write (null: the pool's own). */
  private outputsBuffer: SharedArrayBuffer | null = null;

  constructor(opts: PoolOptions) {
    this.opts = opts;
    this.size = Math.max(1, Math.min(opts.size ?? defaultPoolSize(), opts.T));
    this.params = opts.smoothing ? { ...opts.smoothing } : null;
    const sab = (n: number) => new SharedArrayBuffer(8 * n);
    const bufs = { xs: sab(opts.T * opts.nx), us: sab(opts.T * opts.nu), As: sab(opts.T * opts.ndx * opts.ndx), Bs: sab(opts.T * opts.ndx * opts.nu) };
    this.xs = new Float64Array(bufs.xs); this.us = new Float64Array(bufs.us);
    this.As = new Float64Array(bufs.As); this.Bs = new Float64Array(bufs.Bs);
    const ctrl = new SharedArrayBuffer(4 * (1 + opts.T));
    this.ctrl = new Int32Array(ctrl);
    const init: WorkerInit = { kind: 'init', task: opts.task, params: opts.params, smoothing: opts.smoothing, derivatives: opts.derivatives ?? DEFAULT_DERIVATIVES, ...bufs, ctrl };
    this.pool = new WorkerPool<PoolMessage>({ entry: ENTRY, name: 'linearization thread', init, size: this.size });
  }

  setNoise(sigma: number, samples: number): void {
    if (!this.params) return;
    this.params.sigma = sigma;
    this.params.samples = Math.max(MIN_SAMPLES, Math.min(MAX_SAMPLES, Math.round(samples)));
  }

  async linearize(xs: Float64Array[], us: Float64Array[], As: Float64Array, Bs: Float64Array, ctx: LinearizeContext): Promise<void> {
    await this.pool.ready;
    const { T, nx, nu } = this.opts;
    // the caller's arrays in shared memory (DdpSolver's are): the workers write them directly
    const direct = As.buffer instanceof SharedArrayBuffer && Bs.buffer instanceof SharedArrayBuffer
      && As.byteOffset === 0 && Bs.byteOffset === 0 && As.length === this.As.length && Bs.length === this.Bs.length;
    if (direct && this.outputsBuffer !== As.buffer) {
      const out: WorkerOutputs = { kind: 'outputs', As: As.buffer as SharedArrayBuffer, Bs: Bs.buffer as SharedArrayBuffer };
      await Promise.all(this.pool.threads.map((w) => { w.replay = [out]; return w.call(out); }));
      this.outputsBuffer = As.buffer as SharedArrayBuffer;
    }
    const ready = direct && ctx.ready && ctx.ready.buffer instanceof SharedArrayBuffer ? ctx.ready.buffer as SharedArrayBuffer : undefined;
    if (!direct && this.outputsBuffer) {
      const own: WorkerOutputs = { kind: 'outputs', As: this.As.buffer as SharedArrayBuffer, Bs: this.Bs.buffer as SharedArrayBuffer };
      await Promise.all(this.pool.threads.map((w) => { w.replay = []; return w.call(own); }));
      this.outputsBuffer = null;
    }
    for (let t = 0; t < T; t++) { this.xs.set(xs[t].subarray(0, nx), t * nx); this.us.set(us[t], t * nu); }
    const ctrl = this.ctrl;
    for (let t = 1; t <= T; t++) ctrl[t] = 0;
    Atomics.store(ctrl, 0, T);
    this.run = direct ? { xs, us, As, Bs, ready: ctx.ready, iteration: ctx.iteration } : null;
    if (this.local?.smooth) this.syncLocal(this.local.smooth);
    const p = this.params;
    const msg: WorkerRun = {
      kind: 'run', iteration: ctx.iteration, sigma: p?.sigma ?? 0, samples: p?.samples ?? 0,
      seed: p?.seed ?? 0, stateNoiseRatio: p?.stateNoiseRatio ?? 0, commonRandomNumbers: p?.commonRandomNumbers ?? false, ready,
    };
    let failure: unknown = null;
    try {
      const settled = await Promise.allSettled(this.pool.threads.map((w) => w.call(msg)));
      // no more claims; a failed worker is replaced for the next call
      Atomics.store(ctrl, 0, 0);
      for (let i = 0; i < settled.length; i++) {
        if (settled[i].status === 'fulfilled') continue;
        failure ??= (settled[i] as PromiseRejectedResult).reason;
        try {
          await this.pool.threads[i].restart();
        } catch (e) {
          this.broken = true;
          throw e;
        }
      }
      // knots a failed worker left unwritten: on this thread (a deterministic error repeats here)
      for (let t = T - 1; t >= 0; t--) {
        if (Atomics.load(ctrl, 1 + t) !== 0) continue;
        try {
          this.linearizeLocal(xs, us, direct ? As : this.As, direct ? Bs : this.Bs, t, ctx.iteration, ready ? ctx.ready : undefined);
        } catch (e) {
          this.broken = true;
          throw new Error(`linearization of knot ${t} failed: ${(e as Error).message}${failure ? ` (a worker had failed: ${(failure as Error).message})` : ''}`);
        }
      }
    } finally {
      this.run = null;
    }
    if (!direct) {
      As.set(this.As.subarray(0, As.length));
      Bs.set(this.Bs.subarray(0, Bs.length));
      if (ctx.ready) for (let t = 0; t < T; t++) { Atomics.store(ctx.ready, t, 1); Atomics.notify(ctx.ready, t); }
    }
  }

  /**
   * Claims the next unclaimed knot of the linearization in progress and computes it on the
   * calling thread (the solver's, while its backward pass would wait). False when every knot is
   * claimed or no streaming linearization is running.
   */
  assist(): boolean {
    const run = this.run;
    if (!run) return false;
    const t = Atomics.sub(this.ctrl, 0, 1) - 1;
    if (t < 0) return false;
    this.linearizeLocal(run.xs, run.us, run.As, run.Bs, t, run.iteration, run.ready);
    return true;
  }

  private linearizeLocal(xs: Float64Array[], us: Float64Array[], As: Float64Array, Bs: Float64Array, t: number, iteration: number, ready?: Int32Array): void {
    if (!this.local) {
      const def = getTask(this.opts.task);
      const built = def.build(resolveParams(def, this.opts.params));
      const d = this.opts.derivatives ?? DEFAULT_DERIVATIVES;
      const smooth = this.opts.smoothing ? new SmoothedLinearization(built.sim, this.opts.smoothing, d) : null;
      this.local = { exact: new ExactLinearization(built.sim, d), smooth };
      if (smooth) this.syncLocal(smooth);
    }
    const x = xs[t].subarray(0, this.opts.nx);
    if (this.local.smooth) this.local.smooth.linearizeKnot(x, us[t], As, Bs, t, iteration);
    else this.local.exact.linearizeKnot(x, us[t], As, Bs, t);
    Atomics.store(this.ctrl, 1 + t, 1);
    if (ready) { Atomics.store(ready, t, 1); Atomics.notify(ready, t); }
  }

  /** The in-process linearizer takes the run's smoothing parameters (seed, noise), as the workers do. */
  private syncLocal(smooth: SmoothedLinearization): void {
    const p = this.params;
    if (!p) return;
    Object.assign(smooth.params, { seed: p.seed, stateNoiseRatio: p.stateNoiseRatio, commonRandomNumbers: p.commonRandomNumbers });
    smooth.setNoise(p.sigma, p.samples);
  }

  /**
   * Hands the pool back: a pool from `PooledLinearization.lease` goes back to the idle cache
   * (terminated after POOL_IDLE_MS unused, or sooner beyond MAX_IDLE_POOLS), any other is terminated.
   */
  async dispose(): Promise<void> {
    if (this.cacheKey !== null && !this.broken) { idlePools.put(this.cacheKey, this); return; }
    await this.terminate();
  }

  async terminate(): Promise<void> {
    await this.pool.close();
  }

  /** Set by lease(): the cache key of the pool's configuration. */
  cacheKey: string | null = null;
  /** A linearization failed: never handed out again. */
  broken = false;

  /**
   * A pool for this configuration, reused from earlier plans when one is idle: its workers have
   * built the task's model and their JIT is warm (a new pool costs ~1 s before its first knot).
   * Same results as a new pool: the seed, noise and samples travel with every run, so the key is
   * what the workers build (task, parameters, sizes, and the estimator and antithetic flag the
   * sample buffers are allocated for), not the seed. dispose() hands it back.
   */
  static lease(opts: PoolOptions): PooledLinearization {
    const key = poolKey(opts);
    const pool = idlePools.take(key);
    if (pool) {
      if (pool.params && opts.smoothing) Object.assign(pool.params, opts.smoothing);
      return pool;
    }
    const fresh = new PooledLinearization(opts);
    fresh.cacheKey = key;
    return fresh;
  }
}

/** Idle pools are terminated after this long unused. */
export const POOL_IDLE_MS = 60_000;
/** Idle pools kept at most (all configurations together); releasing one more terminates the longest idle. */
export const MAX_IDLE_POOLS = 4;
const idlePools = new IdleCache<PooledLinearization>({ idleMs: POOL_IDLE_MS, maxIdle: MAX_IDLE_POOLS, dispose: (p) => void p.terminate() });

function poolKey(o: PoolOptions): string {
  const sm = o.smoothing ? { estimator: o.smoothing.estimator, antithetic: o.smoothing.antithetic } : null;
  return JSON.stringify([o.task, o.params, sm, o.derivatives ?? DEFAULT_DERIVATIVES, o.T, o.nx, o.ndx, o.nu, o.size ?? defaultPoolSize()]);
}

/** Idle pools in the cache now (at most MAX_IDLE_POOLS). */
export function idlePoolCount(): number {
  return idlePools.size;
}
