/**
 * Estimate of dJ_σ/dσ for the 'sensitivity' noise rule, from rollouts of the true dynamics.
 *
 * J_σ(u) = E[J(u + σ W)] is the expected true cost of the whole control sequence u (T × nu,
 * W standard Gaussian, controls clamped to their bounds inside J as in every rollout): the
 * cost the smoothed model is a model of. Differentiating the Gaussian density in σ gives the
 * score-function identity (smoothing.ts, sigmaDerivative)
 *
 *     dJ_σ/dσ = E[(J(u + σW) − J(u)) (|W|² − n)] / σ,        n = T × nu,
 *
 * estimated here with K antithetic pairs (±w share |w|², the pair's mean cost is used), the
 * unperturbed cost J(u) subtracted as a control variate (unbiased either way, E[|W|² − n] = 0).
 * For a cost locally convex around u the estimate is positive (noise only raises the expected
 * cost: the smoothing has nothing left to reveal, reduce it); near a contact cliff that more
 * noise reaches it is negative. Its variance grows with n (the std of |W|² − n is √(2n)):
 * the schedule's moving average is what makes it usable. Cost: 2K rollouts per iteration.
 */
import { Rng, PURPOSE_NOISE } from './rng.ts';

/** Iteration-keyed stream purpose, distinct from the smoothing noise (purpose 0). */
export const PURPOSE_SENSITIVITY = PURPOSE_NOISE + 7;

export function smoothedCostSlope(
  trueCostOf: (us: readonly Float64Array[]) => number,
  us: readonly Float64Array[],
  sigma: number,
  pairs: number,
  seed: number,
  iteration: number,
): number {
  if (!(sigma > 0)) throw new RangeError(`smoothedCostSlope: sigma must be > 0, got ${sigma}`);
  if (!Number.isInteger(pairs) || pairs < 1) throw new RangeError(`smoothedCostSlope: pairs must be a positive integer, got ${pairs}`);
  const T = us.length, nu = T > 0 ? us[0].length : 0, n = T * nu;
  const J0 = trueCostOf(us);
  const rng = new Rng(seed);
  rng.reseed(seed, 0, iteration, PURPOSE_SENSITIVITY);
  const w = new Float64Array(n);
  const plus = us.map((u) => new Float64Array(u.length));
  const minus = us.map((u) => new Float64Array(u.length));
  let sum = 0;
  for (let k = 0; k < pairs; k++) {
    rng.fillGaussian(w, 0, n);
    let w2 = 0;
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < nu; i++) {
        const e = sigma * w[t * nu + i];
        w2 += w[t * nu + i] * w[t * nu + i];
        plus[t][i] = us[t][i] + e;
        minus[t][i] = us[t][i] - e;
      }
    }
    const d = 0.5 * (trueCostOf(plus) + trueCostOf(minus)) - J0;
    sum += Number.isFinite(d) ? d * (w2 - n) : 0;
  }
  return sum / (pairs * sigma);
}
