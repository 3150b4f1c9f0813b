/**
 * The perturbed steps of randomized smoothing, written once: SmoothedLinearization (R-DDP in
 * this thread and on the linearization threads) and the batch evaluator of the `cpu` and
 * `workers` backends (compute/batch.ts) both draw their samples here, so every backend perturbs
 * and measures alike (bit for bit).
 *
 * For a point (x, u) and a SampleBatch (noise rows W, per-coordinate scales sigma; smoothing.ts):
 *   nominal   f(x, u) from a cold contact start → qNom, vNom
 *   sample i  x_i = (q ⊕ σ_q w_q, v + σ_v w_v), u_i = u + σ_u w_u → qs, vs, us (cold start)
 *   value     F row i = f(x_i, u_i) ⊖ f(x, u), in the tangent space
 * Owns its Simulator and every scratch array: nothing is allocated per knot or per sample.
 */
import type { Model } from '../model/model.ts';
import { difference, integrate } from '../dynamics/lie.ts';
import { Simulator } from '../dynamics/step.ts';
import type { SampleBatch } from './smoothing.ts';

export class PerturbedSteps {
  readonly sim: Simulator;
  readonly model: Model;
  /** The nominal next state f(x, u) (nominal()). */
  readonly qNom: Float64Array;
  readonly vNom: Float64Array;
  /** The perturbed point of the last perturb(). */
  readonly qs: Float64Array;
  readonly vs: Float64Array;
  readonly us: Float64Array;
  /** Next-state scratch (a sample's step, or the caller's linearization output). */
  readonly qn: Float64Array;
  readonly vn: Float64Array;
  private readonly q: Float64Array;
  private readonly v: Float64Array;
  private readonly dq: Float64Array;

  /** Uses its own Simulator (same model, scene and options as `template`). */
  constructor(template: Simulator) {
    this.sim = new Simulator(template.model, template.scene, template.options);
    const model = (this.model = template.model);
    const { nq, nv, nu } = model;
    this.q = new Float64Array(nq); this.v = new Float64Array(nv);
    this.qs = new Float64Array(nq); this.vs = new Float64Array(nv); this.us = new Float64Array(nu);
    this.qn = new Float64Array(nq); this.vn = new Float64Array(nv);
    this.qNom = new Float64Array(nq); this.vNom = new Float64Array(nv);
    this.dq = new Float64Array(nv);
  }

  /** Takes x[xo .. xo + nq + nv) = [q; v] as the point to perturb and steps it with u from a cold start: qNom, vNom. */
  nominal(x: ArrayLike<number>, u: Float64Array, xo = 0): void {
    const { nq, nv } = this.model;
    for (let k = 0; k < nq; k++) this.q[k] = x[xo + k];
    for (let k = 0; k < nv; k++) this.v[k] = x[xo + nq + k];
    this.sim.resetWarmStart();
    this.sim.stepInto(this.q, this.v, u, this.qNom, this.vNom);
  }

  /**
   * Sample i of `batch` around the point of nominal() into qs, vs, us: W's row i (n = 2nv + nu
   * standard normals) scaled per coordinate by batch.sigma; the next contact solve starts cold.
   */
  perturb(u: ArrayLike<number>, batch: SampleBatch, i: number): void {
    const model = this.model, nv = model.nv, ndx = 2 * nv, sigma = batch.sigma, W = batch.W, row = i * batch.n, dq = this.dq;
    for (let k = 0; k < nv; k++) dq[k] = sigma[k] * W[row + k];
    integrate(model, this.q, dq, this.qs);
    for (let k = 0; k < nv; k++) this.vs[k] = this.v[k] + sigma[nv + k] * W[row + nv + k];
    for (let k = 0; k < model.nu; k++) this.us[k] = u[k] + sigma[ndx + k] * W[row + ndx + k];
    this.sim.resetWarmStart();
  }

  /** The value samples: batch.F row i = f(sample i) ⊖ f(x, u) for i < batch.M (batch.f0 zeroed: the baseline is subtracted here). */
  sampleValues(u: ArrayLike<number>, batch: SampleBatch): void {
    const nv = this.model.nv, ndx = 2 * nv, F = batch.F, dq = this.dq;
    batch.f0.fill(0);
    for (let i = 0; i < batch.M; i++) {
      this.perturb(u, batch, i);
      this.sim.stepInto(this.qs, this.vs, this.us, this.qn, this.vn);
      difference(this.model, this.qNom, this.qn, dq);
      const fo = i * ndx;
      for (let k = 0; k < nv; k++) {
        F[fo + k] = dq[k];
        F[fo + nv + k] = this.vn[k] - this.vNom[k];
      }
    }
  }
}
