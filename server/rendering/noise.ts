/**
 * Counter-based noise for the perturbed renderer: the variate of (pixel, sample, slot) under a
 * key (seed, iteration) is a hash of those numbers alone, so the forward and the backward pass
 * draw the same noise without storing it, and any split of the pixels over threads draws the
 * same numbers as one thread (results identical for a seed). The hash is Wellons' lowbias32
 * (a bijective 32-bit mixer with low measured bias), applied per input word; the uniform is
 * (h + 0.5) / 2^32, Gaussians by Acklam's rational inverse normal CDF (relative error below
 * 1.2e-9, tails cut at about 6.2 sigma by the 32-bit uniform), Cauchy by tan(pi (u - 1/2)).
 */

export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** The key word of a call: seed (< 2^53) and iteration mixed. */
export function noiseKey(seed: number, iteration: number): number {
  const lo = seed >>> 0, hi = Math.floor(seed / 4294967296) >>> 0;
  return mix32(mix32(mix32(lo ^ 0x2545f491) ^ hi) ^ (iteration >>> 0));
}

/** Base word of (key, pixel, sample); slots then index draws below it. */
export function sampleBase(key: number, pixel: number, sample: number): number {
  return mix32(mix32(key ^ pixel) + Math.imul(sample, 0x9e3779b9));
}

/** Uniform in (0, 1) of slot j under a sample base (the base is already mixed: one round). */
export function uniformAt(base: number, slot: number): number {
  return (mix32((base + Math.imul(slot + 1, 0x85ebca77)) >>> 0) + 0.5) / 4294967296;
}

const A0 = -3.969683028665376e1, A1 = 2.209460984245205e2, A2 = -2.759285104469687e2;
const A3 = 1.38357751867269e2, A4 = -3.066479806614716e1, A5 = 2.506628277459239;
const B0 = -5.447609879822406e1, B1 = 1.615858368580409e2, B2 = -1.556989798598866e2;
const B3 = 6.680131188771972e1, B4 = -1.328068155288572e1;
const C0 = -7.784894002430293e-3, C1 = -3.223964580411365e-1, C2 = -2.400758277161838;
const C3 = -2.549732539343734, C4 = 4.374664141464968, C5 = 2.938163982698783;
const D0 = 7.784695709041462e-3, D1 = 3.224671290700398e-1, D2 = 2.445134137142996, D3 = 3.754408661907416;
const P_LOW = 0.02425;

/** Standard normal quantile of p in (0, 1) (Acklam). */
export function normalQuantile(p: number): number {
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((C0 * q + C1) * q + C2) * q + C3) * q + C4) * q + C5) / ((((D0 * q + D1) * q + D2) * q + D3) * q + 1);
  }
  if (p > 1 - P_LOW) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((C0 * q + C1) * q + C2) * q + C3) * q + C4) * q + C5) / ((((D0 * q + D1) * q + D2) * q + D3) * q + 1);
  }
  const q = p - 0.5, r = q * q;
  return ((((((A0 * r + A1) * r + A2) * r + A3) * r + A4) * r + A5) * q) / (((((B0 * r + B1) * r + B2) * r + B3) * r + B4) * r + 1);
}

/** Largest |variate| a Gaussian draw can take (the quantile of the smallest uniform). */
export const GAUSS_MAX = -normalQuantile(0.5 / 4294967296);

export type NoiseKind = 'gaussian' | 'cauchy';

/** A variate of the chosen law from a uniform (Cauchy clamped to +-1e7 as the reference code). */
export function variate(kind: number, u: number): number {
  if (kind === 0) return normalQuantile(u);
  const c = Math.tan(Math.PI * (u - 0.5));
  return c > 1e7 ? 1e7 : c < -1e7 ? -1e7 : c;
}

/** Score -d log mu / dz of the standard law: z (Gaussian), 2z / (1 + z^2) (Cauchy). */
export function score(kind: number, z: number): number {
  return kind === 0 ? z : (2 * z) / (1 + z * z);
}
