/**
 * npm run bench -- --only render
 *
 * The perturbed renderer's throughput and one pose fit, per backend (this thread, the worker
 * pool): `render_<backend>_m<M>` times one loss-and-gradient call on the coloured cube at
 * 128 x 128 px (the paper's setup, 20 deg from the truth) with M samples, reported as image
 * pixel-samples per second (128^2 M per call; background pixels cost almost nothing, so this is
 * a per-image rate, not per covered pixel); `fit_<backend>` times one 800-iteration perturbed
 * cube fit at 128 px with the adaptive smoothing (samples doubled up to 128), against the
 * target of 10 s (on 2 cores). The machine's load average is in each note: on a shared VM
 * the numbers move with it.
 */
import { cpus, loadavg } from 'node:os';
import { MAX_RENDER_SAMPLES } from '../shared/limits.ts';
import { fitPose, type PoseBackend } from '../server/rendering/pose-fit.ts';
import { poseProblem } from '../server/rendering/problems.ts';
import { poseScene } from '../server/rendering/objects.ts';
import { ParallelRenderer } from '../server/rendering/parallel.ts';
import { Renderer, newGradient, newPose, rgbOf, type RenderParams } from '../server/rendering/renderer.ts';
import { quantile, type BenchResult } from './harness.ts';

const SIZE = 128;

async function timeCalls(backend: PoseBackend, params: RenderParams, target: Float64Array, reps: number): Promise<number[]> {
  const pose = newPose(poseProblem(1, 0, 20).init);
  const out = newGradient(backend.setup.nVertices);
  const ms: number[] = [];
  for (let i = 0; i < reps + 3; i++) {
    params.iteration = i;
    const t = performance.now();
    await backend.lossAndGradient(pose, params, target, out);
    if (i >= 3) ms.push(performance.now() - t);
  }
  return ms;
}

export async function renderBench(): Promise<BenchResult[]> {
  const scene = poseScene('cube', SIZE);
  const one = new Renderer(scene.mesh, scene.camera, scene.light, { maxSamples: MAX_RENDER_SAMPLES });
  const problem = poseProblem(1, 0, 20);
  const truth = newPose(problem.truth);
  const target = rgbOf(one.render(truth, { mode: 'hard', sigma: 1, gamma: 1, samples: 1, noise: 'gaussian', seed: 0, iteration: 0 }));
  const nWorkers = Math.max(2, Math.min(4, cpus().length));
  const pool = await ParallelRenderer.create(scene.mesh, scene.camera, scene.light, nWorkers, { maxSamples: MAX_RENDER_SAMPLES });
  const out: BenchResult[] = [];
  try {
    const backends: Array<[string, PoseBackend]> = [['cpu', one], ['workers', pool]];
    for (const [name, backend] of backends) {
      for (const M of [8, 128]) {
        const params: RenderParams = { mode: 'perturbed', sigma: 1e-3, gamma: 1e-2, samples: M, noise: 'gaussian', seed: 1, iteration: 0 };
        const ms = await timeCalls(backend, params, target, M === 8 ? 40 : 10);
        const med = quantile(ms, 0.5);
        out.push({
          name: `render_${name}_m${M}`, median_us: med * 1000, iqr_us: (quantile(ms, 0.75) - quantile(ms, 0.25)) * 1000,
          samples_per_s: (SIZE * SIZE * M) / (med / 1000),
          note: `perturbed loss + gradient, cube ${SIZE}px, M=${M}${name === 'workers' ? `, ${nWorkers} worker threads` : ', one thread'}; load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`,
        });
      }
      const soft: RenderParams = { mode: 'softras', sigma: 1e-3, gamma: 1e-2, samples: 1, noise: 'gaussian', seed: 1, iteration: 0 };
      const sm = quantile(await timeCalls(backend, soft, target, 40), 0.5);
      out.push({ name: `render_${name}_softras`, median_us: sm * 1000, samples_per_s: (SIZE * SIZE) / (sm / 1000), note: `softras loss + gradient, pixels/s; load average ${loadavg()[0].toFixed(1)}` });
    }
    for (const [name, backend] of backends) {
      const res = await fitPose(backend, target, newPose(problem.init), { method: 'perturbed', seed: 1, maxSamples: MAX_RENDER_SAMPLES }, truth);
      out.push({
        name: `fit_${name}`, median_us: res.timeMs * 1000, target_us: 10e6,
        note: `one 800-iteration perturbed cube fit at ${SIZE}px (20 deg start, final error ${res.errorDeg?.toFixed(2)} deg, final M ${res.telemetry.at(-1)?.samples})${name === 'workers' ? `, ${nWorkers} workers` : ''}; load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`,
      });
    }
  } finally {
    await pool.close();
  }
  return out;
}
