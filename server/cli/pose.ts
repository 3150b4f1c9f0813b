/**
 * npm run pose -- --object cube --method hard|softras|perturbed --init-error DEG --seed N
 *     [--size 128] [--iterations 800] [--noise gaussian|cauchy] [--samples 8] [--sigma 1e-3]
 *     [--gamma 1e-2] [--lr 3e-2] [--no-adapt] [--workers N] [--out fit.json] [--png out.png] [--quiet]
 *
 * One pose problem of the rendering paper's protocol (server/rendering/problems.ts: problem 0
 * of the seed, a random true rotation and an initial one DEG away), fitted by Adam with the
 * adaptive smoothing (server/rendering/pose-fit.ts) against the hard render of the truth. A
 * progress line per iteration, then a summary: final rotation error, success (< 10 deg),
 * iterations, time. --out writes the result with its per-iteration telemetry (loss, sigma,
 * gamma, samples, learning rate, error); --png the target and the fitted pose side by side.
 * Exit 0 when the fit ran (whatever its success), 1 with a message on bad arguments.
 */
import { writeFileSync } from 'node:fs';
import { MAX_FIT_ITERATIONS, MAX_RENDER_SAMPLES } from '../../shared/limits.ts';
import { fitPose, type FitIterate, type PoseBackend } from '../rendering/pose-fit.ts';
import { poseProblem } from '../rendering/problems.ts';
import { poseScene } from '../rendering/objects.ts';
import { Renderer, RENDER_MODES, newPose, rgbOf } from '../rendering/renderer.ts';
import { ParallelRenderer } from '../rendering/parallel.ts';
import { encodePng } from '../rendering/png.ts';
import { defineCommand, parseCommandLine } from './args.ts';

const COMMAND = defineCommand({
  name: 'pose',
  usage: 'usage: npm run pose -- --object cube --method hard|softras|perturbed --init-error DEG --seed N [options]',
  flags: {
    object: { type: 'string', arg: 'NAME', default: 'cube', help: "cube (the paper's coloured cube) or a path to an .stl / .obj file" },
    method: { type: 'string', choices: RENDER_MODES, help: 'the renderer fitted through' },
    'init-error': { type: 'number', arg: 'DEG', min: 0, max: 180, what: 'an angle in [0, 180] degrees', help: 'angle between the initial and the true rotation' },
    seed: { type: 'number', integer: true, min: 0, check: Number.isSafeInteger, what: 'a non-negative integer', default: 1, help: 'problem and noise seed' },
    size: { type: 'number', arg: 'PX', integer: true, default: 128, help: 'image side' },
    iterations: { type: 'number', integer: true, min: 1, max: MAX_FIT_ITERATIONS, default: 800, help: 'Adam iterations' },
    noise: { type: 'string', choices: ['gaussian', 'cauchy'], default: 'gaussian', help: "perturbed mode's law" },
    samples: { type: 'number', arg: 'M', integer: true, min: 1, max: MAX_RENDER_SAMPLES, default: 8, help: `initial samples of the perturbed mode (doubled on each reduction, cap ${MAX_RENDER_SAMPLES})` },
    sigma: { type: 'number', arg: 'S', check: (x) => x > 0, what: 'positive', default: 1e-3, help: 'initial smoothing of the perturbed mode' },
    gamma: { type: 'number', arg: 'G', check: (x) => x > 0, what: 'positive', default: 1e-2, help: 'initial smoothing of the SoftRas mode' },
    lr: { type: 'number', arg: 'L', check: (x) => x > 0, what: 'positive', default: 3e-2, help: 'Adam learning rate' },
    'no-adapt': { type: 'boolean', help: 'keep sigma, gamma, samples and lr fixed' },
    workers: { type: 'number', integer: true, min: 0, max: 64, default: 0, help: 'render on N worker threads (0: this thread; same results)' },
    out: { type: 'string', arg: 'FILE', help: 'JSON result with per-iteration telemetry' },
    png: { type: 'string', arg: 'FILE', help: 'target | initial | fitted renders side by side' },
    quiet: { type: 'boolean', help: 'no progress lines' },
  },
});

function fail(msg: string): never {
  process.stderr.write(`pose: ${msg}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const opts = parseCommandLine(COMMAND);
  const { method, seed, size, iterations, samples, sigma, gamma, lr, workers, noise } = opts;
  if (method === undefined) fail(`--method must be one of ${RENDER_MODES.join(', ')}, got ''`);
  const initError = opts['init-error'];
  if (initError === undefined) fail('--init-error is required (degrees)');
  const object = opts.object;

  let scene;
  try { scene = poseScene(object, size); } catch (e) { fail((e as Error).message); }
  const problem = poseProblem(seed, 0, initError);
  const local = new Renderer(scene.mesh, scene.camera, scene.light, { maxSamples: MAX_RENDER_SAMPLES });
  const truth = newPose(problem.truth);
  const target = rgbOf(local.render(truth, { mode: 'hard', sigma: 1, gamma: 1, samples: 1, noise: 'gaussian', seed: 0, iteration: 0 }));
  const backend: PoseBackend = workers > 0 ? await ParallelRenderer.create(scene.mesh, scene.camera, scene.light, workers, { maxSamples: MAX_RENDER_SAMPLES }) : local;
  const quiet = opts.quiet;
  const onIterate = quiet ? undefined : (it: FitIterate) => {
    process.stdout.write(`it ${String(it.iteration).padStart(4)}  loss ${it.loss.toExponential(3)}  error ${it.errorDeg?.toFixed(2).padStart(6)} deg  sigma ${it.sigma.toExponential(2)}  gamma ${it.gamma.toExponential(2)}  M ${String(it.samples).padStart(3)}  lr ${it.lr.toExponential(2)}${it.reduced ? '  (smoothing reduced)' : ''}\n`);
  };
  const result = await fitPose(backend, target, newPose(problem.init), {
    method, noise, iterations, lr, sigma, gamma, samples, maxSamples: MAX_RENDER_SAMPLES, seed, adaptive: opts['no-adapt'] ? false : undefined,
  }, truth, onIterate);
  if (backend instanceof ParallelRenderer) await backend.close();
  process.stdout.write(
    `\n${object} ${method}${method === 'perturbed' ? ` (${noise})` : ''}, ${size}x${size} px, seed ${seed}\n` +
    `  initial error  ${result.initialErrorDeg?.toFixed(2)} deg\n` +
    `  final error    ${result.errorDeg?.toFixed(2)} deg (lowest-loss pose; last iterate ${result.lastErrorDeg?.toFixed(2)} deg)\n` +
    `  success        ${result.success ? 'yes' : 'no'} (< 10 deg)\n` +
    `  iterations     ${result.iterations}\n` +
    `  time           ${(result.timeMs / 1000).toFixed(2)} s (${(result.timeMs / result.iterations).toFixed(1)} ms per iteration${workers > 0 ? `, ${workers} workers` : ''})\n`,
  );
  if (opts.out) {
    writeFileSync(opts.out, JSON.stringify({ object, size, seed, problem, options: { method, noise, iterations, lr, sigma, gamma, samples, workers }, ...result }, null, 1) + '\n');
    process.stdout.write(`  wrote ${opts.out}\n`);
  }
  if (opts.png) {
    const W = size * 3;
    const big = new Float64Array(W * size * 3);
    const p = { mode: 'hard' as const, sigma: 1, gamma: 1, samples: 1, noise: 'gaussian' as const, seed: 0, iteration: 0 };
    const imgs = [target, rgbOf(local.render(newPose(problem.init), p)), rgbOf(local.render(newPose(result.rotation, result.translation), p))];
    for (let k = 0; k < 3; k++) {
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) for (let c = 0; c < 3; c++) big[3 * (y * W + k * size + x) + c] = imgs[k][3 * (y * size + x) + c];
    }
    writeFileSync(opts.png, encodePng(big, W, size, 3));
    process.stdout.write(`  wrote ${opts.png}\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`pose: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
