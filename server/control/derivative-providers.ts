/**
 * Linearization providers for DDP (problem.ts LinearizationProvider) on a contact Simulator:
 *
 * - ExactLinearization: the Jacobians of the true step (Linearizer: forward differences with
 *   reuse; or analytic, dynamics/step-jacobians.ts). Where contacts stick they are the null gradients the seed paper is about.
 * - SmoothedLinearization (R-DDP): Jacobians of the randomized-smoothing model
 *   f_sigma(x, u) = E_w[f(x ⊕ sigma_x w_x, u + sigma_u w_u)], estimated at every knot from M
 *   perturbed steps (smoothing.ts):
 *   one of the estimators of estimators.ts ('zero': score function with the f(x, u) baseline,
 *   'first': mean of the exact Jacobians at the samples, 'lsq': least-squares fit); for the
 *   value-based ones, coordinates without noise (the state, by default) take the exact columns.
 *   Noise for knot t at iteration k comes from streamFor(seed, t, k) (or k = 0 with common
 *   random numbers), and every knot starts its contact solves cold, so the estimate of a knot
 *   does not depend on which thread computed it or on the other knots: bit-for-bit
 *   reproducible across backends.
 *
 * Both write A_t (ndx x ndx) and B_t (ndx x nu) row-major at knot offsets (DdpSolver layout).
 */
import type { Model } from '../model/model.ts';
import { StepJacobians } from '../dynamics/step-jacobians.ts';
import { DEFAULT_DERIVATIVES, type DerivativesMode } from '../../shared/protocol.ts';
import { Simulator } from '../dynamics/step.ts';
import type { LinearizationProvider } from './problem.ts';
import { streamFor } from './rng.ts';
import { createSampleBatch, samplePerturbations, setSigma, type SampleBatch } from './smoothing.ts';
import { estimatorDef, type Estimator, type EstimatorDef } from './estimators.ts';
import { PerturbedSteps } from './perturbed-steps.ts';
import { MAX_SAMPLES, MIN_SAMPLES } from '../../shared/limits.ts';

export type { Estimator } from './estimators.ts';

/** Splits x = [q; v] into the simulator's arrays. */
function loadState(model: Model, x: Float64Array, q: Float64Array, v: Float64Array): void {
  for (let i = 0; i < model.nq; i++) q[i] = x[i];
  for (let i = 0; i < model.nv; i++) v[i] = x[model.nq + i];
}

export class ExactLinearization implements LinearizationProvider {
  readonly sim: Simulator;
  readonly lin: StepJacobians;
  private readonly q: Float64Array;
  private readonly v: Float64Array;
  private readonly qn: Float64Array;
  private readonly vn: Float64Array;

  /**
   * Uses its own Simulator (same model, scene and options as `template`). derivatives: 'fd'
   * (finite differences) or 'analytic' (default; dynamics/step-jacobians.ts).
   */
  constructor(template: Simulator, derivatives: DerivativesMode = DEFAULT_DERIVATIVES) {
    this.sim = new Simulator(template.model, template.scene, template.options);
    this.lin = new StepJacobians(this.sim, derivatives);
    const { nq, nv } = template.model;
    this.q = new Float64Array(nq); this.v = new Float64Array(nv);
    this.qn = new Float64Array(nq); this.vn = new Float64Array(nv);
  }

  /** Linearization of knot t (also used by SmoothedLinearization for its fallback columns). */
  linearizeKnot(x: Float64Array, u: Float64Array, As: Float64Array, Bs: Float64Array, t: number): void {
    const model = this.sim.model, ndx = 2 * model.nv;
    loadState(model, x, this.q, this.v);
    this.sim.resetWarmStart();
    this.lin.linearize(this.q, this.v, u, this.qn, this.vn, As, Bs, t * ndx * ndx, t * ndx * model.nu);
  }

  linearize(xs: Float64Array[], us: Float64Array[], As: Float64Array, Bs: Float64Array): void {
    for (let t = 0; t < us.length; t++) this.linearizeKnot(xs[t], us[t], As, Bs, t);
  }
}

export interface SmoothingParams {
  estimator: Estimator;
  /** Noise scale on the controls (N m), the schedule's sigma. */
  sigma: number;
  /** Noise on the state relative to the control noise: sigma_x = stateNoiseRatio × sigma (default 0: controls only). */
  stateNoiseRatio: number;
  /** Samples per knot. */
  samples: number;
  seed: number;
  /** Same noise at every iteration (common random numbers). Default false. */
  commonRandomNumbers: boolean;
  /** Antithetic pairs (w, -w). Default false. */
  antithetic: boolean;
}

export function defaultSmoothingParams(overrides: Partial<SmoothingParams> = {}): SmoothingParams {
  return { estimator: 'zero', sigma: 0.5, stateNoiseRatio: 0, samples: 16, seed: 1, commonRandomNumbers: false, antithetic: false, ...overrides };
}

/** Largest sample count a provider is built for (the schedule may grow M up to this). */

export class SmoothedLinearization implements LinearizationProvider {
  readonly params: SmoothingParams;
  readonly exact: ExactLinearization;
  /** The sampling loop and its scratch (perturbed-steps.ts, shared with the batch backends). */
  private readonly steps: PerturbedSteps;
  private readonly model: Model;
  private readonly batch: SampleBatch;
  private readonly pattern: Float64Array;
  private readonly J: Float64Array;
  private readonly fallback: Float64Array;
  private readonly Js: Float64Array;
  /** The estimator's entry (estimators.ts): what each sample provides, and the estimate. */
  private readonly est: EstimatorDef;
  private readonly lin: StepJacobians;
  private readonly Ak: Float64Array;
  private readonly Bk: Float64Array;

  constructor(template: Simulator, params: Partial<SmoothingParams> = {}, derivatives: DerivativesMode = DEFAULT_DERIVATIVES) {
    this.params = defaultSmoothingParams(params);
    this.exact = new ExactLinearization(template, derivatives);
    this.steps = new PerturbedSteps(template);
    this.lin = new StepJacobians(this.steps.sim, derivatives);
    const model = (this.model = template.model);
    const nv = model.nv, ndx = 2 * nv, nu = model.nu, n = ndx + nu;
    this.batch = createSampleBatch(n, ndx, MAX_SAMPLES, { M: Math.min(this.params.samples, MAX_SAMPLES), antithetic: this.params.antithetic });
    this.pattern = new Float64Array(n);
    this.J = new Float64Array(ndx * n);
    this.fallback = new Float64Array(ndx * n);
    this.est = estimatorDef(this.params.estimator);
    this.Js = new Float64Array(this.est.samples === 'jacobian' ? MAX_SAMPLES * ndx * n : 0);
    this.Ak = new Float64Array(ndx * ndx);
    this.Bk = new Float64Array(ndx * nu);
    this.io = { J: this.J, Js: this.Js, fallback: this.fallback };
  }

  private readonly io: { J: Float64Array; Js: Float64Array; fallback: Float64Array };

  /** Sets the noise level and sample count (called by R-DDP between iterations). */
  setNoise(sigma: number, samples: number): void {
    this.params.sigma = sigma;
    this.params.samples = Math.max(MIN_SAMPLES, Math.min(MAX_SAMPLES, Math.round(samples)));
    if (this.params.antithetic && this.params.samples % 2) this.params.samples++;
  }

  linearize(xs: Float64Array[], us: Float64Array[], As: Float64Array, Bs: Float64Array, ctx: { iteration: number }): void {
    for (let t = 0; t < us.length; t++) this.linearizeKnot(xs[t], us[t], As, Bs, t, ctx.iteration);
  }

  linearizeKnot(x: Float64Array, u: Float64Array, As: Float64Array, Bs: Float64Array, t: number, iteration: number): void {
    const p = this.params, model = this.model, nv = model.nv, ndx = 2 * nv, nu = model.nu, n = ndx + nu;
    if (!(p.sigma > 0)) { this.exact.linearizeKnot(x, u, As, Bs, t); return; }
    const batch = this.batch;
    // noise pattern: state columns (tangent) scaled by stateNoiseRatio, controls by 1
    for (let j = 0; j < ndx; j++) this.pattern[j] = p.stateNoiseRatio;
    for (let j = ndx; j < n; j++) this.pattern[j] = 1;
    setSigma(batch, p.sigma, this.pattern);
    batch.M = p.samples;
    samplePerturbations(batch, streamFor(p.seed, t, p.commonRandomNumbers ? 0 : iteration), p.samples);
    const ao = t * ndx * ndx, bo = t * ndx * nu;

    const values = this.est.samples === 'value';
    if (values) {
      // exact Jacobians for the unperturbed columns (and the nominal next state as baseline)
      this.exact.linearizeKnot(x, u, As, Bs, t);
      for (let r = 0; r < ndx; r++) {
        for (let j = 0; j < ndx; j++) this.fallback[r * n + j] = As[ao + r * ndx + j];
        for (let j = 0; j < nu; j++) this.fallback[r * n + ndx + j] = Bs[bo + r * nu + j];
      }
    }
    // nominal next state from a cold start (the baseline f(x, u)), then the samples
    const st = this.steps;
    st.nominal(x, u);
    if (values) st.sampleValues(u, batch);
    else {
      batch.f0.fill(0);
      for (let i = 0; i < batch.M; i++) {
        st.perturb(u, batch, i);
        this.lin.linearize(st.qs, st.vs, st.us, st.qn, st.vn, this.Ak, this.Bk);
        this.copyJacobian(i);
      }
    }
    this.est.estimate(batch, this.io);
    for (let r = 0; r < ndx; r++) {
      for (let j = 0; j < ndx; j++) As[ao + r * ndx + j] = this.J[r * n + j];
      for (let j = 0; j < nu; j++) Bs[bo + r * nu + j] = this.J[r * n + ndx + j];
    }
  }

  /** Js block i = [A_i B_i] of the exact linearization at sample i. */
  private copyJacobian(i: number): void {
    const nv = this.model.nv, ndx = 2 * nv, nu = this.model.nu, n = ndx + nu, Js = this.Js, o = i * ndx * n;
    for (let r = 0; r < ndx; r++) {
      for (let j = 0; j < ndx; j++) Js[o + r * n + j] = this.Ak[r * ndx + j];
      for (let j = 0; j < nu; j++) Js[o + r * n + ndx + j] = this.Bk[r * nu + j];
    }
  }
}
