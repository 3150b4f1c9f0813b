/**
 * Pose from an image: Adam on the axis-angle rotation (and optionally the translation) against
 * the mean squared RGB error, with the rendering paper's adaptive smoothing (reference code
 * `optimize_pose`): from iteration `adaptStart` on, a moving average v <- 0.9 v + 0.1 s of the
 * estimated sensitivity s = sigma dL/dsigma + gamma dL/dgamma (the derivative of the loss in
 * the common scale of (sigma, gamma); the reference tracks dL/dgamma alone); every
 * `adaptEvery` iterations, when v > 0 (less smoothing would lower the loss), sigma and gamma
 * are divided by `factor` (floors 5e-5, 5e-4), the samples doubled (cap `maxSamples`), the
 * learning rate divided by `lrFactor` (floor 1e-4) and Adam restarted. The result is the pose
 * of lowest loss seen, as the reference returns.
 *
 * The renderer is any `PoseBackend` (this thread's `Renderer` or the worker pool), each
 * iteration a plain serialisable `FitIterate` record.
 */
import { RenderSetup, newGradient, newPose, type Pose, type RenderGradient, type RenderMode, type RenderParams } from './renderer.ts';
import type { NoiseKind } from './noise.ts';
import { expSO3, rotationAngleDeg } from './rotation.ts';
import type { FitIterate, FitResult as FitResultWire } from '../../shared/protocol.ts';

export interface PoseBackend {
  readonly setup: RenderSetup;
  lossAndGradient(pose: Pose, params: RenderParams, target: Float64Array, out: RenderGradient): RenderGradient | Promise<RenderGradient>;
}

export interface PoseFitOptions {
  method: RenderMode;
  noise?: NoiseKind;
  iterations?: number;
  lr?: number;
  sigma?: number;
  gamma?: number;
  samples?: number;
  maxSamples?: number;
  adaptive?: boolean;
  factor?: number;
  lrFactor?: number;
  adaptStart?: number;
  adaptEvery?: number;
  seed?: number;
  /** Also fit the translation (the paper fits the rotation only). */
  translation?: boolean;
}

/** One iteration of a fit, and a fit's result: defined once, by the wire's schemas (shared/protocol.ts FitIterateSchema, FitResultSchema). */
export type { FitIterate };
/** What fitPose returns: the wire's FitResult before the job adds whether it was cancelled and a render. */
export type FitResult = Omit<FitResultWire, 'cancelled' | 'image'>;

export const SUCCESS_DEG = 10;

export const FIT_DEFAULTS = {
  iterations: 800, lr: 3e-2, sigma: 1e-3, gamma: 1e-2, samples: 8, maxSamples: 128,
  factor: 1.1, lrFactor: 1.5, adaptStart: 100, adaptEvery: 50,
};

export async function fitPose(
  backend: PoseBackend,
  target: Float64Array,
  init: Pose,
  opts: PoseFitOptions,
  truth: Pose | null = null,
  onIterate?: (it: FitIterate) => void,
): Promise<FitResult> {
  const o = { ...FIT_DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as typeof FIT_DEFAULTS & PoseFitOptions;
  const adaptive = o.adaptive ?? o.method !== 'hard';
  const nParams = o.translation ? 6 : 3;
  const pose = newPose(init.rotation, init.translation);
  const best = newPose(init.rotation, init.translation);
  const grad = newGradient(backend.setup.nVertices);
  const m = new Float64Array(nParams), v = new Float64Array(nParams);
  const Rt = truth ? expSO3(truth.rotation, new Float64Array(9)) : null;
  const R = new Float64Array(9);
  const errorOf = (p: Pose) => (Rt ? rotationAngleDeg(expSO3(p.rotation, R), Rt) : null);
  const params: RenderParams = { mode: o.method, sigma: o.sigma, gamma: o.gamma, samples: o.samples, noise: o.noise ?? 'gaussian', seed: o.seed ?? 0, iteration: 0 };
  let lr = o.lr, t = 0, sens = 0, bestLoss = Infinity;
  const telemetry: FitIterate[] = [];
  const start = performance.now();
  const b1 = 0.9, b2 = 0.999, epsAdam = 1e-8;
  for (let i = 0; i < o.iterations; i++) {
    params.iteration = i;
    await backend.lossAndGradient(pose, params, target, grad);
    const g = [grad.rotation[0], grad.rotation[1], grad.rotation[2], grad.translation[0], grad.translation[1], grad.translation[2]];
    let gn = 0;
    for (let k = 0; k < nParams; k++) gn += g[k] * g[k];
    gn = Math.sqrt(gn);
    const errorDeg = errorOf(pose);
    if (grad.loss < bestLoss) {
      bestLoss = grad.loss;
      best.rotation.set(pose.rotation);
      best.translation.set(pose.translation);
    }
    const it: FitIterate = { iteration: i, loss: grad.loss, sigma: params.sigma, gamma: params.gamma, samples: params.samples, lr, errorDeg, gradNorm: gn, dLdSigma: grad.sigma, dLdGamma: grad.gamma, sensitivity: sens, reduced: false };
    // Adam step (skipped on a non-finite or exploding gradient, as the reference guards).
    if (Number.isFinite(gn) && gn <= 1000) {
      t++;
      for (let k = 0; k < nParams; k++) {
        m[k] = b1 * m[k] + (1 - b1) * g[k];
        v[k] = b2 * v[k] + (1 - b2) * g[k] * g[k];
        const step = (lr * (m[k] / (1 - b1 ** t))) / (Math.sqrt(v[k] / (1 - b2 ** t)) + epsAdam);
        if (k < 3) pose.rotation[k] -= step;
        else pose.translation[k - 3] -= step;
      }
    }
    if (adaptive && i > o.adaptStart) {
      const s = params.sigma * grad.sigma + params.gamma * grad.gamma;
      if (Number.isFinite(s)) sens = 0.9 * sens + 0.1 * s;
      it.sensitivity = sens;
      if (sens > 0 && (i + 1) % o.adaptEvery === 0) {
        params.sigma = Math.max(params.sigma / o.factor, 5e-5);
        params.gamma = Math.max(params.gamma / o.factor, 5e-4);
        if (o.method === 'perturbed') params.samples = Math.min(2 * params.samples, o.maxSamples);
        lr = Math.max(lr / o.lrFactor, 1e-4);
        m.fill(0); v.fill(0); t = 0;
        it.reduced = true;
      }
    }
    telemetry.push(it);
    onIterate?.(it);
  }
  const errorDeg = errorOf(best);
  return {
    method: o.method,
    rotation: Array.from(best.rotation),
    translation: Array.from(best.translation),
    errorDeg,
    lastErrorDeg: errorOf(pose),
    initialErrorDeg: errorOf(init),
    success: errorDeg === null ? null : errorDeg < SUCCESS_DEG,
    bestLoss,
    iterations: o.iterations,
    timeMs: performance.now() - start,
    telemetry,
  };
}
