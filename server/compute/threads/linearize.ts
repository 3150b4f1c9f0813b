/**
 * Thread side of PooledLinearization (pooled-linearization.ts): holds one task's Simulator (built from the same task
 * definition and parameters as the planner's, so the model and scene are identical) and, on
 * request, linearizes knots it claims one at a time from a shared counter (last knots first;
 * the solver thread claims from the same counter), reading the nominal trajectory from and
 * writing A, B into SharedArrayBuffers. Each knot starts its contact solves cold and draws its
 * noise from streamFor(seed, knot, iteration): results equal the in-process provider's bit for
 * bit, whichever thread computed a knot.
 */
import { ExactLinearization, SmoothedLinearization, type SmoothingParams } from '../../control/derivative-providers.ts';
import { getTask, resolveParams } from '../../control/tasks/index.ts';
import type { DerivativesMode } from '../../../shared/protocol.ts';
import { serve } from '../worker-entry.ts';

export interface WorkerInit {
  kind: 'init';
  task: string;
  params: Record<string, number | string>;
  smoothing: SmoothingParams | null;
  /** Exact step Jacobians: 'fd' or 'analytic' (dynamics/step-jacobians.ts). */
  derivatives: DerivativesMode;
  xs: SharedArrayBuffer;
  us: SharedArrayBuffer;
  As: SharedArrayBuffer;
  Bs: SharedArrayBuffer;
  /** Int32 [0]: the claim counter (knot t = Atomics.sub(ctrl, 0, 1) - 1 while >= 0); [1 + t]: knot t written. */
  ctrl: SharedArrayBuffer;
}

export interface WorkerRun {
  kind: 'run';
  iteration: number;
  sigma: number;
  samples: number;
  /** The run's noise stream and shape: set per run, so one pool serves plans with any seed. */
  seed: number;
  stateNoiseRatio: number;
  commonRandomNumbers: boolean;
  /** Streaming: ready[t] (Int32) is set as knot t completes. */
  ready?: SharedArrayBuffer;
}

/** Replaces the output buffers (the solver's own shared A, B: no copy back). */
export interface WorkerOutputs {
  kind: 'outputs';
  As: SharedArrayBuffer;
  Bs: SharedArrayBuffer;
}

let state: {
  exact: ExactLinearization;
  smooth: SmoothedLinearization | null;
  xs: Float64Array; us: Float64Array; As: Float64Array; Bs: Float64Array; ctrl: Int32Array;
  nx: number; nu: number;
} | null = null;

serve<WorkerInit | WorkerRun | WorkerOutputs>((msg) => {
  if (msg.kind === 'init') {
    const def = getTask(msg.task);
    const built = def.build(resolveParams(def, msg.params));
    const exact = new ExactLinearization(built.sim, msg.derivatives);
    const smooth = msg.smoothing ? new SmoothedLinearization(built.sim, msg.smoothing, msg.derivatives) : null;
    if (msg.derivatives === 'analytic') {
      // JIT warm-up at the task's initial state (up to ~150 ms): cold, the analytic kernels run
      // unoptimized through a new pool's first iterations (measured: a 30-knot R-DDP iteration
      // 1.8 s instead of 0.3 s), and a plan's cancellation waits for the iteration in progress
      const ndx = 2 * built.model.nv, A = new Float64Array(ndx * ndx), B = new Float64Array(ndx * built.model.nu);
      const x0 = Float64Array.from(built.x0), u0 = Float64Array.from(built.uInit[0]);
      for (let i = 0, t0 = performance.now(); i < 400 && performance.now() - t0 < 150; i++) exact.linearizeKnot(x0, u0, A, B, 0);
    }
    state = {
      exact, smooth,
      xs: new Float64Array(msg.xs), us: new Float64Array(msg.us), As: new Float64Array(msg.As), Bs: new Float64Array(msg.Bs),
      ctrl: new Int32Array(msg.ctrl),
      nx: built.model.nq + built.model.nv, nu: built.model.nu,
    };
    return;
  }
  if (!state) throw new Error('linearization thread not initialized');
  const s = state;
  if (msg.kind === 'outputs') {
    s.As = new Float64Array(msg.As); s.Bs = new Float64Array(msg.Bs);
    return;
  }
  if (s.smooth) {
    Object.assign(s.smooth.params, { seed: msg.seed, stateNoiseRatio: msg.stateNoiseRatio, commonRandomNumbers: msg.commonRandomNumbers });
    s.smooth.setNoise(msg.sigma, msg.samples);
  }
  const ready = msg.ready ? new Int32Array(msg.ready) : null;
  // claim knots from the shared counter, last knots first: the backward pass starts from the end
  for (;;) {
    const t = Atomics.sub(s.ctrl, 0, 1) - 1;
    if (t < 0) break;
    const x = s.xs.subarray(t * s.nx, (t + 1) * s.nx);
    const u = s.us.subarray(t * s.nu, (t + 1) * s.nu);
    if (s.smooth) s.smooth.linearizeKnot(x, u, s.As, s.Bs, t, msg.iteration);
    else s.exact.linearizeKnot(x, u, s.As, s.Bs, t);
    Atomics.store(s.ctrl, 1 + t, 1);
    if (ready) { Atomics.store(ready, t, 1); Atomics.notify(ready, t); }
  }
});
