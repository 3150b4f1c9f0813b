/**
 * Shape from silhouettes: per-vertex offsets of a starting mesh (an icosphere) fitted by Adam
 * to the silhouettes of a target seen by several cameras. Loss = mean over the views of
 * (1 - soft IoU) (silhouette-loss.ts) + lambda * uniform Laplacian (laplacian.ts), as SoftRas's
 * mesh deformation demo. The renderer mode is the method: softras, perturbed, or hard (a null
 * silhouette gradient: only the Laplacian moves the mesh, the reference for "no gradient").
 * Adaptive smoothing as the pose fit (pose-fit.ts): from `adaptStart` on, v <- 0.9 v + 0.1
 * sigma dL/dsigma (the silhouette does not depend on gamma); every `adaptEvery` iterations,
 * when v > 0: sigma / factor (floor 5e-5), samples doubled (cap), lr / lrFactor (floor 1e-4),
 * Adam restarted. The result is the last iterate (the loss at a given sigma is not comparable
 * across reductions, so there is no "lowest loss" pick here).
 *
 * Each view renders on its own `SilhouetteRenderer` (this thread); nothing allocates per
 * iteration beyond the telemetry record.
 */
import { UniformLaplacian } from './laplacian.ts';
import type { NoiseKind } from './noise.ts';
import { newGradient, newPose, type RenderMode, type RenderParams } from './renderer.ts';
import type { SilhouetteRenderer } from './silhouette-loss.ts';

export interface ShapeView {
  renderer: SilhouetteRenderer;
  mask: Float64Array;
}

export interface ShapeFitOptions {
  method: RenderMode;
  noise?: NoiseKind;
  iterations?: number;
  lr?: number;
  beta1?: number;
  beta2?: number;
  sigma?: number;
  samples?: number;
  maxSamples?: number;
  adaptive?: boolean;
  factor?: number;
  lrFactor?: number;
  adaptStart?: number;
  adaptEvery?: number;
  /** Weight of the Laplacian term. */
  laplacian?: number;
  seed?: number;
}

export interface ShapeIterate {
  iteration: number;
  /** Mean over the views of 1 - soft IoU at the current smoothing. */
  silhouette: number;
  laplacian: number;
  loss: number;
  sigma: number;
  samples: number;
  lr: number;
  gradNorm: number;
  dLdSigma: number;
  sensitivity: number;
  reduced: boolean;
}

export interface ShapeFitResult {
  method: RenderMode;
  /** Fitted vertices (the last iterate), 3 per vertex. */
  vertices: Float64Array;
  iterations: number;
  timeMs: number;
  telemetry: ShapeIterate[];
}

export const SHAPE_DEFAULTS = {
  iterations: 300, lr: 1e-2, beta1: 0.5, beta2: 0.99, sigma: 1e-3, samples: 8, maxSamples: 128,
  factor: 1.1, lrFactor: 1.5, adaptStart: 100, adaptEvery: 50, laplacian: 0.03,
};

export function fitShape(
  views: ShapeView[],
  base: Float64Array,
  faces: Uint32Array,
  opts: ShapeFitOptions,
  onIterate?: (it: ShapeIterate) => void,
): ShapeFitResult {
  const o = { ...SHAPE_DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as typeof SHAPE_DEFAULTS & ShapeFitOptions;
  if (views.length === 0) throw new RangeError('shape fit needs at least one view');
  const nV = base.length / 3;
  for (const v of views) {
    if (v.renderer.setup.nVertices !== nV) throw new RangeError(`view mesh has ${v.renderer.setup.nVertices} vertices, the base ${nV}`);
  }
  const adaptive = o.adaptive ?? o.method !== 'hard';
  const lap = new UniformLaplacian(nV, faces);
  const verts = Float64Array.from(base);
  const grad = new Float64Array(3 * nV);
  const m = new Float64Array(3 * nV), s2 = new Float64Array(3 * nV);
  const g = newGradient(nV);
  const pose = newPose();
  const params: RenderParams = { mode: o.method, sigma: o.sigma, gamma: 1e-2, samples: o.samples, noise: o.noise ?? 'gaussian', seed: 0, iteration: 0 };
  const seed = o.seed ?? 0;
  const invV = 1 / views.length;
  let lr = o.lr, t = 0, sens = 0;
  const telemetry: ShapeIterate[] = [];
  const start = performance.now();
  for (let i = 0; i < o.iterations; i++) {
    params.iteration = i;
    grad.fill(0);
    let sil = 0, dSigma = 0;
    for (let v = 0; v < views.length; v++) {
      const r = views[v].renderer;
      r.setup.vertices.set(verts);
      // Each view its own noise stream.
      params.seed = seed * 1024 + v;
      r.lossAndGradient(pose, params, views[v].mask, g);
      sil += g.loss * invV;
      dSigma += g.sigma * invV;
      for (let k = 0; k < grad.length; k++) grad[k] += g.vertices[k] * invV;
    }
    const lapLoss = lap.lossAndGradient(verts, grad, o.laplacian);
    let gn = 0;
    for (let k = 0; k < grad.length; k++) gn += grad[k] * grad[k];
    gn = Math.sqrt(gn);
    const it: ShapeIterate = { iteration: i, silhouette: sil, laplacian: lapLoss, loss: sil + o.laplacian * lapLoss, sigma: params.sigma, samples: params.samples, lr, gradNorm: gn, dLdSigma: dSigma, sensitivity: sens, reduced: false };
    if (Number.isFinite(gn)) {
      t++;
      const c1 = 1 - o.beta1 ** t, c2 = 1 - o.beta2 ** t;
      for (let k = 0; k < grad.length; k++) {
        m[k] = o.beta1 * m[k] + (1 - o.beta1) * grad[k];
        s2[k] = o.beta2 * s2[k] + (1 - o.beta2) * grad[k] * grad[k];
        verts[k] -= (lr * (m[k] / c1)) / (Math.sqrt(s2[k] / c2) + 1e-8);
      }
    }
    if (adaptive && i > o.adaptStart) {
      const s = params.sigma * dSigma;
      if (Number.isFinite(s)) sens = 0.9 * sens + 0.1 * s;
      it.sensitivity = sens;
      if (sens > 0 && (i + 1) % o.adaptEvery === 0) {
        params.sigma = Math.max(params.sigma / o.factor, 5e-5);
        if (o.method === 'perturbed') params.samples = Math.min(2 * params.samples, o.maxSamples);
        lr = Math.max(lr / o.lrFactor, 1e-4);
        m.fill(0); s2.fill(0); t = 0;
        it.reduced = true;
      }
    }
    telemetry.push(it);
    onIterate?.(it);
  }
  return { method: o.method, vertices: verts, iterations: o.iterations, timeMs: performance.now() - start, telemetry };
}
