/**
 * R-DDP's smoothed linearization on any batch backend (batch.ts): the LinearizationProvider the
 * planner gets for `--backend webgpu` (and that any backend can serve).
 *
 * Per iteration: the noise of knot t is drawn on the host from streamFor(seed, t, iteration)
 * exactly as SmoothedLinearization draws it (samplePerturbations, same order), the batch goes to
 * the backend, which returns the zero-order Jacobian columns of the perturbed coordinates;
 * the unperturbed columns (the state columns when the noise is on the controls only, R-DDP's
 * default) come from an exact provider (finite differences in f64: in this thread or on the
 * worker pool), computed at the same time as the backend works. With the `cpu` batch backend
 * and ExactLinearization the result equals SmoothedLinearization's bit for bit (tested).
 * When sigma is 0 (the schedule's polishing phase) the exact provider alone answers.
 *
 * Fallback: when the backend fails (webgpu: device lost, kernel error, timeout) and a fallback
 * factory was given, the failure is logged, the backend is replaced (the `workers` batch
 * backend) and the same request is recomputed there; later iterations stay on the fallback.
 */
import { estimatorDef } from '../control/estimators.ts';
import type { Model } from '../model/model.ts';
import type { LinearizationProvider, LinearizeContext } from '../control/problem.ts';
import type { SmoothingParams } from '../control/derivative-providers.ts';
import { streamFor } from '../control/rng.ts';
import { createSampleBatch, samplePerturbations, setSigma, type SampleBatch } from '../control/smoothing.ts';
import { allocSmoothBatch, dimsOf, type BatchBackend, type BatchDims, type SmoothBatch } from './batch.ts';

import { MAX_SAMPLES, MIN_SAMPLES } from '../../shared/limits.ts';

export interface BatchProviderOptions {
  backend: BatchBackend;
  /** Exact linearization (A, B of the true step), for the unperturbed columns and sigma = 0. */
  exact: LinearizationProvider;
  model: Model;
  smoothing: SmoothingParams;
  /** Creates the backend to use after the primary one failed (e.g. workers after webgpu). */
  fallback?: () => Promise<BatchBackend>;
  /** Where fallback messages go (default: stderr). */
  log?: (msg: string) => void;
  /** Called once when the fallback took over, with the reason. */
  onFallback?: (reason: string, backend: BatchBackend) => void;
}

export class BatchSmoothedLinearization implements LinearizationProvider {
  readonly params: SmoothingParams;
  backend: BatchBackend;
  private readonly opts: BatchProviderOptions;
  private readonly dims: BatchDims;
  private readonly stage: SampleBatch;
  private readonly pattern: Float64Array;
  private req: SmoothBatch | null = null;
  private Aex: Float64Array | null = null;
  private Bex: Float64Array | null = null;

  constructor(opts: BatchProviderOptions) {
    if (!estimatorDef(opts.smoothing.estimator).gpu) throw new Error(`BatchSmoothedLinearization: the batch interface serves the zero-order estimator only, not '${opts.smoothing.estimator}'`);
    if (opts.smoothing.antithetic) throw new Error('BatchSmoothedLinearization: antithetic sampling is not supported by the batch interface');
    this.opts = opts;
    this.backend = opts.backend;
    this.params = { ...opts.smoothing };
    this.dims = dimsOf(opts.model);
    this.stage = createSampleBatch(this.dims.n, this.dims.ndx, MAX_SAMPLES);
    this.pattern = new Float64Array(this.dims.n);
  }

  /**
   * Streaming (per-knot readiness, problem.ts) only in the exact phase (sigma = 0) and when the
   * exact provider streams (the worker pool does): the smoothed path assembles A, B at the end.
   */
  get streaming(): boolean {
    return !(this.params.sigma > 0) && Boolean(this.opts.exact.streaming);
  }

  /** Same contract as SmoothedLinearization.setNoise. */
  setNoise(sigma: number, samples: number): void {
    this.params.sigma = sigma;
    this.params.samples = Math.max(MIN_SAMPLES, Math.min(MAX_SAMPLES, Math.round(samples)));
  }

  async linearize(xs: Float64Array[], us: Float64Array[], As: Float64Array, Bs: Float64Array, ctx: LinearizeContext): Promise<void> {
    const p = this.params;
    if (!(p.sigma > 0)) { await this.opts.exact.linearize(xs, us, As, Bs, ctx); return; }
    const { nx, nu, ndx, n } = this.dims;
    const K = us.length, M = p.samples;
    if (!this.req || this.req.knots !== K || this.req.samples !== M) this.req = allocSmoothBatch(this.dims, K, M, { shared: true });
    const req = this.req;
    for (let j = 0; j < ndx; j++) this.pattern[j] = p.stateNoiseRatio;
    for (let j = ndx; j < n; j++) this.pattern[j] = 1;
    setSigma(this.stage, p.sigma, this.pattern);
    req.sigma.set(this.stage.sigma);
    for (let t = 0; t < K; t++) {
      samplePerturbations(this.stage, streamFor(p.seed, t, p.commonRandomNumbers ? 0 : ctx.iteration), M);
      req.noise.set(this.stage.W.subarray(0, M * n), t * M * n);
      req.x.set(xs[t].subarray(0, nx), t * nx);
      req.u.set(us[t].subarray(0, nu), t * nu);
    }
    let needExact = false;
    for (let j = 0; j < n; j++) if (!(req.sigma[j] > 0)) needExact = true;
    if (needExact && (!this.Aex || this.Aex.length !== As.length)) { this.Aex = new Float64Array(As.length); this.Bex = new Float64Array(Bs.length); }
    await Promise.all([
      this.runSmooth(req),
      needExact ? Promise.resolve(this.opts.exact.linearize(xs, us, this.Aex!, this.Bex!, { iteration: ctx.iteration })) : null,
    ]);
    const sg = req.sigma, J = req.J;
    for (let t = 0; t < K; t++) {
      const ao = t * ndx * ndx, bo = t * ndx * nu, jo = t * ndx * n;
      for (let r = 0; r < ndx; r++) {
        for (let j = 0; j < ndx; j++) As[ao + r * ndx + j] = sg[j] > 0 ? J[jo + r * n + j] : this.Aex![ao + r * ndx + j];
        for (let j = 0; j < nu; j++) Bs[bo + r * nu + j] = sg[ndx + j] > 0 ? J[jo + r * n + ndx + j] : this.Bex![bo + r * nu + j];
      }
    }
  }

  private async runSmooth(req: SmoothBatch): Promise<void> {
    try {
      await this.backend.smooth(req);
    } catch (e) {
      if (!this.opts.fallback) throw e;
      const failed = this.backend;
      const reason = `${failed.name} backend failed: ${(e as Error).message}`;
      (this.opts.log ?? ((m: string) => process.stderr.write(`${m}\n`)))(`compute: ${reason}; falling back to workers`);
      const fb = await this.opts.fallback();
      this.backend = fb;
      this.opts.fallback = undefined; // one fallback
      await failed.dispose().catch(() => undefined);
      this.opts.onFallback?.(reason, fb);
      await fb.smooth(req);
    }
  }

  async dispose(): Promise<void> {
    await this.backend.dispose();
  }
}
