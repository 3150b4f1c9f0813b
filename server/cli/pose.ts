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
import { Renderer, RENDER_MODES, newPose, rgbOf, type RenderMode } from '../rendering/renderer.ts';
import { ParallelRenderer } from '../rendering/parallel.ts';
import { encodePng } from '../rendering/png.ts';

const USAGE = `usage: npm run pose -- --object cube --method hard|softras|perturbed --init-error DEG --seed N [options]

  --object NAME        cube (the paper's coloured cube) or a path to an .stl / .obj file
  --method M           hard | softras | perturbed
  --init-error DEG     angle between the initial and the true rotation (0..180)
  --seed N             problem and noise seed (default 1)
  --size PX            image side (default 128)
  --iterations N       Adam iterations (default 800)
  --noise gaussian|cauchy   perturbed mode's law (default gaussian)
  --samples M          initial samples of the perturbed mode (default 8; doubled on each reduction, cap ${MAX_RENDER_SAMPLES})
  --sigma S --gamma G  initial smoothing (default 1e-3, 1e-2)
  --lr L               Adam learning rate (default 3e-2)
  --no-adapt           keep sigma, gamma, samples and lr fixed
  --workers N          render on N worker threads (default 0: this thread; same results)
  --out FILE           JSON result with per-iteration telemetry
  --png FILE           target | initial | fitted renders side by side
  --quiet              no progress lines
  --help`;

function fail(msg: string): never {
  process.stderr.write(`pose: ${msg}\n`);
  process.exit(1);
}

function num(opts: Record<string, string>, key: string, def: number, check: (x: number) => boolean, what: string): number {
  if (opts[key] === undefined) return def;
  const x = Number(opts[key]);
  if (!Number.isFinite(x) || !check(x)) fail(`--${key} must be ${what}, got '${opts[key]}'`);
  return x;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opts: Record<string, string> = {};
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) fail(`unexpected argument '${a}' (see --help)`);
    const key = a.slice(2);
    if (key === 'help' || key === 'quiet' || key === 'no-adapt') { flags.add(key); continue; }
    const [k, inline] = key.split('=', 2);
    const val = inline ?? argv[++i];
    if (val === undefined) fail(`--${k} needs a value`);
    opts[k] = val;
  }
  if (flags.has('help')) { process.stdout.write(USAGE + '\n'); return; }
  const known = new Set(['object', 'method', 'init-error', 'seed', 'size', 'iterations', 'noise', 'samples', 'sigma', 'gamma', 'lr', 'workers', 'out', 'png']);
  for (const k of Object.keys(opts)) if (!known.has(k)) fail(`unknown option --${k} (see --help)`);
  const method = (opts.method ?? '') as RenderMode;
  if (!RENDER_MODES.includes(method)) fail(`--method must be one of ${RENDER_MODES.join(', ')}, got '${opts.method ?? ''}'`);
  if (opts['init-error'] === undefined) fail('--init-error is required (degrees)');
  const initError = num(opts, 'init-error', 0, (x) => x >= 0 && x <= 180, 'an angle in [0, 180] degrees');
  const seed = num(opts, 'seed', 1, (x) => Number.isSafeInteger(x) && x >= 0, 'a non-negative integer');
  const size = num(opts, 'size', 128, Number.isInteger, 'an integer');
  const iterations = num(opts, 'iterations', 800, (x) => Number.isInteger(x) && x >= 1 && x <= MAX_FIT_ITERATIONS, `an integer in [1, ${MAX_FIT_ITERATIONS}]`);
  const samples = num(opts, 'samples', 8, (x) => Number.isInteger(x) && x >= 1 && x <= MAX_RENDER_SAMPLES, `an integer in [1, ${MAX_RENDER_SAMPLES}]`);
  const sigma = num(opts, 'sigma', 1e-3, (x) => x > 0, 'positive');
  const gamma = num(opts, 'gamma', 1e-2, (x) => x > 0, 'positive');
  const lr = num(opts, 'lr', 3e-2, (x) => x > 0, 'positive');
  const workers = num(opts, 'workers', 0, (x) => Number.isInteger(x) && x >= 0 && x <= 64, 'an integer in [0, 64]');
  const noise = opts.noise ?? 'gaussian';
  if (noise !== 'gaussian' && noise !== 'cauchy') fail(`--noise must be gaussian or cauchy, got '${noise}'`);
  const object = opts.object ?? 'cube';

  let scene;
  try { scene = poseScene(object, size); } catch (e) { fail((e as Error).message); }
  const problem = poseProblem(seed, 0, initError);
  const local = new Renderer(scene.mesh, scene.camera, scene.light, { maxSamples: MAX_RENDER_SAMPLES });
  const truth = newPose(problem.truth);
  const target = rgbOf(local.render(truth, { mode: 'hard', sigma: 1, gamma: 1, samples: 1, noise: 'gaussian', seed: 0, iteration: 0 }));
  const backend: PoseBackend = workers > 0 ? await ParallelRenderer.create(scene.mesh, scene.camera, scene.light, workers, { maxSamples: MAX_RENDER_SAMPLES }) : local;
  const quiet = flags.has('quiet');
  const onIterate = quiet ? undefined : (it: FitIterate) => {
    process.stdout.write(`it ${String(it.iteration).padStart(4)}  loss ${it.loss.toExponential(3)}  error ${it.errorDeg?.toFixed(2).padStart(6)} deg  sigma ${it.sigma.toExponential(2)}  gamma ${it.gamma.toExponential(2)}  M ${String(it.samples).padStart(3)}  lr ${it.lr.toExponential(2)}${it.reduced ? '  (smoothing reduced)' : ''}\n`);
  };
  const result = await fitPose(backend, target, newPose(problem.init), {
    method, noise, iterations, lr, sigma, gamma, samples, maxSamples: MAX_RENDER_SAMPLES, seed, adaptive: flags.has('no-adapt') ? false : undefined,
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
