/**
 * The batch interface of the compute backends: a backend takes a batch of (state, control)
 * pairs for one model and returns the next states, and, where asked, per knot of a trajectory,
 * the smoothed value and the zero-order smoothed Jacobian computed from perturbed samples.
 * Everything is a typed array (Float64Array on the host, SharedArrayBuffer-backed where the
 * `alloc*` helpers made it so); nothing is JSON.
 *
 * Implementations: `cpu` (this file, in-process), `workers` (workers-backend.ts, a pool of worker
 * threads over SharedArrayBuffers) and `webgpu` (webgpu/backend.ts, WGSL kernels in f32). The
 * R-DDP provider built on it is smoothed-provider.ts; the planner gets providers from
 * providers.ts and never sees a backend.
 *
 * Semantics (shared by every backend; cpu and workers agree bit for bit):
 * - step: every pair starts its contact solve cold (no warm start from the previous pair), so
 *   the result of a pair does not depend on the batch it is in or on the order.
 * - smooth: for knot t with nominal (x_t, u_t), noise rows w_ti (samples × n, n = 2 nv + nu,
 *   the `SampleBatch.W` layout of smoothing.ts: state tangent coordinates, then controls) and
 *   per-coordinate scales sigma (0 = unperturbed):
 *     f0_t     = step(x_t, u_t)                                    (cold start)
 *     F_ti     = step(x_t ⊕ sigma_x∘w_ti, u_t + sigma_u∘w_ti) ⊖ f0_t  (tangent space)
 *     value_t  = mean_i F_ti            (the smoothed next state is f0_t ⊕ value_t)
 *     J_t[r,j] = mean_i F_tir w_tij / sigma_j on perturbed columns, 0 on the others
 *                (zero-order estimator with the nominal baseline, smoothing.ts zeroOrderJacobian)
 *     stdErr_t = its Monte-Carlo standard error (optional).
 *   On `cpu` and `workers` this is exactly SmoothedLinearization's arithmetic (bit for bit: both
 *   sample through control/perturbed-steps.ts).
 */
import type { Model } from '../model/model.ts';
import { PerturbedSteps } from '../control/perturbed-steps.ts';
import { Simulator } from '../dynamics/step.ts';
import { createSampleBatch, smoothedValue, zeroOrderJacobian, type SampleBatch } from '../control/smoothing.ts';
import { BACKEND_CHOICES } from '../../shared/protocol.ts';

/** The choices on the wire (shared/protocol.ts); a name is a choice that runs ('auto' picks one). */
export { BACKEND_CHOICES };
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
export type BackendName = Exclude<BackendChoice, 'auto'>;
export const BACKEND_NAMES = BACKEND_CHOICES.filter((b): b is BackendName => b !== 'auto');

export interface BatchDims {
  nq: number;
  nv: number;
  nu: number;
  /** nq + nv */
  nx: number;
  /** 2 nv */
  ndx: number;
  /** ndx + nu: the smoothing input dimension */
  n: number;
}

export function dimsOf(model: Model): BatchDims {
  const { nq, nv, nu } = model;
  return { nq, nv, nu, nx: nq + nv, ndx: 2 * nv, n: 2 * nv + nu };
}

/** count (x, u) pairs: x count × nx, u count × nu; xNext count × nx is written. */
export interface StepBatch {
  count: number;
  x: Float64Array;
  u: Float64Array;
  xNext: Float64Array;
}

/** A smoothing request over `knots` knots with `samples` samples each (layout: file header). */
export interface SmoothBatch {
  knots: number;
  samples: number;
  /** knots × nx nominal states, knots × nu nominal controls. */
  x: Float64Array;
  u: Float64Array;
  /** n per-coordinate noise scales, the same for every knot. */
  sigma: Float64Array;
  /** knots × samples × n standard-normal noise (0 on unperturbed coordinates). */
  noise: Float64Array;
  /** Out: knots × nx nominal next states. */
  f0: Float64Array;
  /** Out: knots × ndx smoothed value (tangent, relative to f0). */
  value: Float64Array;
  /** Out: knots × ndx × n zero-order Jacobians (0 on unperturbed columns). */
  J: Float64Array;
  /** Out (optional): knots × ndx × n standard errors. */
  stdErr?: Float64Array;
}

export interface BatchBackend {
  readonly name: BackendName;
  /** Human-readable: e.g. 'workers (2 threads)', 'webgpu (llvmpipe: Mesa 25.0.7, software)'. */
  readonly description: string;
  readonly dims: BatchDims;
  step(batch: StepBatch): Promise<void>;
  smooth(batch: SmoothBatch): Promise<void>;
  dispose(): Promise<void>;
}

/** Float64Array of n numbers on a SharedArrayBuffer (or plain memory). */
export function f64(n: number, shared = true): Float64Array {
  return shared ? new Float64Array(new SharedArrayBuffer(8 * Math.max(1, n))).subarray(0, n) : new Float64Array(n);
}

export function allocStepBatch(dims: BatchDims, count: number, shared = true): StepBatch {
  return { count, x: f64(count * dims.nx, shared), u: f64(count * dims.nu, shared), xNext: f64(count * dims.nx, shared) };
}

export function allocSmoothBatch(dims: BatchDims, knots: number, samples: number, opts: { stdErr?: boolean; shared?: boolean } = {}): SmoothBatch {
  const sh = opts.shared ?? true;
  const { nx, nu, ndx, n } = dims;
  return {
    knots, samples,
    x: f64(knots * nx, sh), u: f64(knots * nu, sh), sigma: f64(n, sh), noise: f64(knots * samples * n, sh),
    f0: f64(knots * nx, sh), value: f64(knots * ndx, sh), J: f64(knots * ndx * n, sh),
    stdErr: opts.stdErr ? f64(knots * ndx * n, sh) : undefined,
  };
}

export function checkStepBatch(dims: BatchDims, b: StepBatch): void {
  if (!Number.isInteger(b.count) || b.count < 0) throw new RangeError(`step batch: count must be a non-negative integer, got ${b.count}`);
  if (b.x.length < b.count * dims.nx || b.xNext.length < b.count * dims.nx || b.u.length < b.count * dims.nu) {
    throw new RangeError(`step batch: arrays too short for ${b.count} pairs (nx ${dims.nx}, nu ${dims.nu})`);
  }
}

export function checkSmoothBatch(dims: BatchDims, b: SmoothBatch): void {
  const { knots: K, samples: M } = b;
  const { nx, nu, ndx, n } = dims;
  if (!Number.isInteger(K) || K < 0 || !Number.isInteger(M) || M < 2) throw new RangeError(`smooth batch: need knots >= 0 and samples >= 2, got ${K}, ${M}`);
  const short = b.x.length < K * nx || b.u.length < K * nu || b.sigma.length < n || b.noise.length < K * M * n
    || b.f0.length < K * nx || b.value.length < K * ndx || b.J.length < K * ndx * n || (b.stdErr !== undefined && b.stdErr.length < K * ndx * n);
  if (short) throw new RangeError(`smooth batch: arrays too short for ${K} knots × ${M} samples (nx ${nx}, nu ${nu}, n ${n})`);
  for (let j = 0; j < n; j++) if (!(b.sigma[j] >= 0) || !Number.isFinite(b.sigma[j])) throw new RangeError(`smooth batch: sigma[${j}] must be finite and >= 0`);
}

/**
 * Per-thread evaluator of the batch semantics on a Simulator (used by `cpu` and by each thread
 * of `workers`): the samples are control/perturbed-steps.ts's, as SmoothedLinearization's;
 * allocation-free after construction except for growing the sample capacity.
 */
export class BatchEvaluator {
  readonly sim: Simulator;
  readonly model: Model;
  readonly dims: BatchDims;
  private readonly steps: PerturbedSteps;
  private batch: SampleBatch;
  private readonly J: Float64Array;
  private readonly se: Float64Array;
  private readonly val: Float64Array;

  constructor(template: Simulator) {
    this.steps = new PerturbedSteps(template);
    this.sim = this.steps.sim;
    this.model = template.model;
    const d = (this.dims = dimsOf(this.model));
    this.batch = createSampleBatch(d.n, d.ndx, 16);
    this.J = new Float64Array(d.ndx * d.n);
    this.se = new Float64Array(d.ndx * d.n);
    this.val = new Float64Array(d.ndx);
  }

  /** Pairs [i0, i1) of the batch, each from a cold contact start. */
  stepRange(b: StepBatch, i0: number, i1: number): void {
    const { nq, nv, nx, nu } = this.dims, st = this.steps;
    for (let i = i0; i < i1; i++) {
      const o = i * nx;
      st.nominal(b.x, b.u.subarray(i * nu, i * nu + nu), o);
      for (let k = 0; k < nq; k++) b.xNext[o + k] = st.qNom[k];
      for (let k = 0; k < nv; k++) b.xNext[o + nq + k] = st.vNom[k];
    }
  }

  /** Knots [t0, t1) of the request. */
  smoothRange(b: SmoothBatch, t0: number, t1: number): void {
    const { nq, nv, nx, nu, ndx, n } = this.dims, M = b.samples, st = this.steps;
    if (this.batch.capacity < M) this.batch = createSampleBatch(n, ndx, M);
    const batch = this.batch;
    for (let j = 0; j < n; j++) batch.sigma[j] = b.sigma[j];
    batch.M = M;
    for (let t = t0; t < t1; t++) {
      const xo = t * nx, uo = t * nu;
      const u = b.u.subarray(uo, uo + nu);
      st.nominal(b.x, u, xo);
      for (let k = 0; k < nq; k++) b.f0[xo + k] = st.qNom[k];
      for (let k = 0; k < nv; k++) b.f0[xo + nq + k] = st.vNom[k];
      batch.W.set(b.noise.subarray(t * M * n, (t + 1) * M * n));
      st.sampleValues(u, batch);
      zeroOrderJacobian(batch, this.J, b.stdErr ? { stdErr: this.se } : {});
      smoothedValue(batch, this.val);
      b.J.set(this.J, t * ndx * n);
      if (b.stdErr) b.stdErr.set(this.se, t * ndx * n);
      b.value.set(this.val, t * ndx);
    }
  }
}

/** The `cpu` backend: the batch semantics in this thread. */
export class CpuBatchBackend implements BatchBackend {
  readonly name = 'cpu' as const;
  readonly description = 'cpu (1 thread, in process)';
  readonly dims: BatchDims;
  private readonly ev: BatchEvaluator;

  constructor(template: Simulator) {
    this.ev = new BatchEvaluator(template);
    this.dims = this.ev.dims;
  }

  async step(b: StepBatch): Promise<void> {
    checkStepBatch(this.dims, b);
    this.ev.stepRange(b, 0, b.count);
  }

  async smooth(b: SmoothBatch): Promise<void> {
    checkSmoothBatch(this.dims, b);
    this.ev.smoothRange(b, 0, b.knots);
  }

  async dispose(): Promise<void> {}
}
