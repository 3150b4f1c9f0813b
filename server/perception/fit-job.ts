/**
 * One method of a pose fit, as the server runs it (on a worker thread, fit-threads.ts): the
 * object's scene at the job's size, the rendering paper's Adam fit with adaptive smoothing
 * (rendering/pose-fit.ts `fitPose`) against the target, and per iteration what the API
 * streams: the telemetry record, the pose that iteration evaluated, and every `imageEvery`
 * iterations (and at the last) the method's own render of it as a PNG (softras and perturbed
 * draw their smoothed images, hard its exact one).
 *
 * `fitPose` knows nothing of cancels or poses: a backend wrapped around the renderer sees
 * every evaluated pose and its loss, so it can throw on a cancel and keep the lowest-loss pose
 * (the pose `fitPose` itself returns) for the cancelled result.
 */
import { MAX_RENDER_SAMPLES } from '../../shared/limits.ts';
import type { FitJobRequest, FitResult as FitResultWire, PoseArrays } from '../../shared/protocol.ts';
import { fitPose, SUCCESS_DEG, type FitIterate, type PoseBackend } from '../rendering/pose-fit.ts';
import { poseScene } from '../rendering/objects.ts';
import { newPose, Renderer, rgbOf, type Pose, type RenderGradient, type RenderMode, type RenderParams } from '../rendering/renderer.ts';
import { encodePng } from '../rendering/png.ts';
import { expSO3, rotationAngleDeg } from '../rendering/rotation.ts';
import type { NoiseKind } from '../rendering/noise.ts';

export type { PoseArrays };

export interface FitJob {
  object: string;
  size: number;
  method: RenderMode;
  iterations: number;
  seed: number;
  samples: number;
  noise: NoiseKind;
  translation: boolean;
  /** RGB target, 3 numbers per pixel (size x size). */
  target: Float64Array;
  /** The target's pose when known (rotation errors are reported against it). */
  truth: PoseArrays | null;
  init: PoseArrays;
  /** A render is attached every this many iterations (and at the last). */
  imageEvery: number;
}

export interface FitJobIterate {
  record: FitIterate;
  pose: PoseArrays;
  /** The render of `pose` by the method (PNG, base64), on image iterations. */
  png: string | null;
  /** Milliseconds since the fit started. */
  elapsedMs: number;
}

/** A fit's result (pose-fit.ts) as a job returns it, cancelled or not, with a render of its pose: the wire's FitResult (shared/protocol.ts) in memory. */
export type FitJobResult = FitResultWire;

/** A fit job as a cluster job carries it (shared/protocol.ts FitJobRequestSchema): the target as its bytes. */
export function fitJobToWire(job: FitJob): FitJobRequest {
  const bytes = Buffer.alloc(job.target.length * 8);
  for (let i = 0; i < job.target.length; i++) bytes.writeDoubleLE(job.target[i], i * 8);
  return { ...job, target: bytes.toString('base64') };
}

/** The fit job of a validated cluster request; a target of the wrong size is named. */
export function fitJobFromWire(req: FitJobRequest): FitJob {
  const bytes = Buffer.from(req.target, 'base64');
  const n = 3 * req.size * req.size;
  if (bytes.length !== 8 * n) throw new Error(`target: ${bytes.length} bytes, expected ${8 * n} (3 doubles per pixel at ${req.size} px)`);
  const target = new Float64Array(n);
  for (let i = 0; i < n; i++) target[i] = bytes.readDoubleLE(i * 8);
  return { ...req, target };
}

class Cancelled extends Error {}

export const HARD_PARAMS: RenderParams = { mode: 'hard', sigma: 1, gamma: 1, samples: 1, noise: 'gaussian', seed: 0, iteration: 0 };

/** The hard render of `pose` in the fit scene as RGB (targets given by pose). */
export function renderTarget(object: string, size: number, pose: PoseArrays): Float64Array {
  const scene = poseScene(object, size);
  const r = new Renderer(scene.mesh, scene.camera, scene.light);
  return rgbOf(r.render(newPose(pose.rotation, pose.translation), HARD_PARAMS));
}

export async function runFitJob(job: FitJob, onIterate: (it: FitJobIterate) => void, isCancelled: () => boolean = () => false): Promise<FitJobResult> {
  const scene = poseScene(job.object, job.size);
  const renderer = new Renderer(scene.mesh, scene.camera, scene.light, { maxSamples: MAX_RENDER_SAMPLES });
  const t0 = performance.now();
  const seen = { pose: newPose(job.init.rotation, job.init.translation), best: newPose(job.init.rotation, job.init.translation), bestLoss: Infinity, png: null as string | null };
  const last = job.iterations - 1;
  const backend: PoseBackend = {
    setup: renderer.setup,
    lossAndGradient(pose: Pose, params: RenderParams, target: Float64Array, out: RenderGradient): RenderGradient {
      if (isCancelled()) throw new Cancelled();
      renderer.lossAndGradient(pose, params, target, out);
      seen.pose.rotation.set(pose.rotation);
      seen.pose.translation.set(pose.translation);
      if (out.loss < seen.bestLoss) {
        seen.bestLoss = out.loss;
        seen.best.rotation.set(pose.rotation);
        seen.best.translation.set(pose.translation);
      }
      const i = params.iteration;
      seen.png = i % job.imageEvery === 0 || i === last ? encodePng(renderer.image, job.size, job.size, 4).toString('base64') : null;
      return out;
    },
  };
  const truth = job.truth ? newPose(job.truth.rotation, job.truth.translation) : null;
  const telemetry: FitIterate[] = [];
  const emit = (it: FitIterate) => {
    telemetry.push(it);
    onIterate({ record: it, pose: { rotation: Array.from(seen.pose.rotation), translation: Array.from(seen.pose.translation) }, png: seen.png, elapsedMs: performance.now() - t0 });
  };
  const init = newPose(job.init.rotation, job.init.translation);
  let out: Omit<FitJobResult, 'image' | 'cancelled'>;
  let cancelled = false;
  try {
    const r = await fitPose(backend, job.target, init, {
      method: job.method, noise: job.noise, iterations: job.iterations, samples: job.samples, maxSamples: MAX_RENDER_SAMPLES,
      seed: job.seed, translation: job.translation,
    }, truth, emit);
    out = { ...r, telemetry };
  } catch (e) {
    if (!(e instanceof Cancelled)) throw e;
    // the lowest-loss pose evaluated so far, as fitPose would have returned it
    cancelled = true;
    const R = new Float64Array(9), Rt = truth ? expSO3(truth.rotation, new Float64Array(9)) : null;
    const err = (p: Pose) => (Rt ? rotationAngleDeg(expSO3(p.rotation, R), Rt) : null);
    const errorDeg = telemetry.length ? err(seen.best) : err(init);
    out = {
      method: job.method, rotation: Array.from(seen.best.rotation), translation: Array.from(seen.best.translation),
      errorDeg, lastErrorDeg: telemetry.length ? err(seen.pose) : errorDeg, initialErrorDeg: err(init),
      success: errorDeg === null ? null : errorDeg < SUCCESS_DEG, bestLoss: seen.bestLoss, iterations: telemetry.length,
      timeMs: performance.now() - t0, telemetry,
    };
  }
  const image = encodePng(renderer.render(newPose(out.rotation, out.translation), HARD_PARAMS), job.size, job.size, 4).toString('base64');
  return { ...out, cancelled, image };
}
