/**
 * npm run shape -- --mesh PATH --method hard|softras|perturbed [--views 12] [--size 48]
 *     [--iterations 200] [--seed 1] [--level 3] [--radius 0.5] [--lr 1e-2] [--sigma 1e-3]
 *     [--samples 8] [--laplacian 0.03] [--noise gaussian|cauchy] [--voxels 48] [--distance 4.5] [--no-adapt]
 *     [--out result.json] [--obj fitted.obj] [--png sheet.png] [--quiet]
 *
 * Shape from silhouettes (server/rendering/shape-run.ts): an icosphere deformed by Adam on its
 * vertices to match the hard silhouettes of the mesh (STL/OBJ, centred and scaled to
 * half-extent 1) seen by VIEWS cameras around it, loss 1 - soft IoU per view + a Laplacian
 * term. A progress line every 10 iterations, then the 3D IoU (voxelized on a VOXELS^3 grid) of
 * the starting sphere and of the fitted mesh against the target, the mean 2D silhouette IoU and
 * the time. --out writes the settings, scores and per-iteration telemetry; --obj the fitted mesh;
 * --png the hard silhouettes of the first 8 views (rows: target, start, fitted).
 * Exit 0 when the fit ran, 1 with a message on bad arguments.
 */
import { writeFileSync } from 'node:fs';
import { MAX_FIT_ITERATIONS, MAX_ICO_LEVEL, MAX_RENDER_SAMPLES, MAX_RENDER_SIZE, MAX_SHAPE_VIEWS, MAX_VOXEL_GRID, MIN_RENDER_SIZE } from '../../shared/limits.ts';
import { RENDER_MODES } from '../rendering/renderer.ts';
import { objText, runShapeProblem, SHAPE_PROBLEM_DEFAULTS, silhouetteSheet } from '../rendering/shape-run.ts';
import { encodePng } from '../rendering/png.ts';
import { SHAPE_DEFAULTS, type ShapeIterate } from '../rendering/shape-fit.ts';
import { SHAPE_CAMERA_DISTANCE } from '../rendering/shape-scene.ts';
import { defineCommand, parseCommandLine } from './args.ts';

// The problem defaults (iterations 200, as the experiment) over the fit's own.
const D = { ...SHAPE_DEFAULTS, ...SHAPE_PROBLEM_DEFAULTS };
const positive = { check: (x: number) => x > 0, what: 'positive' } as const;
const COMMAND = defineCommand({
  name: 'shape',
  usage: 'usage: npm run shape -- --mesh PATH --method hard|softras|perturbed [options]',
  flags: {
    mesh: { type: 'string', arg: 'PATH', help: 'target .stl / .obj (e.g. ../shared/robots/example-robot-data/robots/solo_description/meshes/stl/solo12/solo_12_base.stl)' },
    method: { type: 'string', choices: RENDER_MODES, help: 'the renderer fitted through' },
    views: { type: 'number', arg: 'N', integer: true, min: 1, max: MAX_SHAPE_VIEWS, default: D.views, help: 'cameras around the object' },
    size: { type: 'number', arg: 'PX', integer: true, min: MIN_RENDER_SIZE, max: MAX_RENDER_SIZE, default: D.size, help: 'image side' },
    iterations: { type: 'number', integer: true, min: 1, max: MAX_FIT_ITERATIONS, default: D.iterations, help: 'Adam iterations' },
    seed: { type: 'number', integer: true, min: 0, max: 2 ** 20, default: D.seed, help: 'camera lattice turn and noise seed' },
    level: { type: 'number', arg: 'L', integer: true, min: 0, max: MAX_ICO_LEVEL, default: D.level, help: 'icosphere subdivision level (3: 642 vertices)' },
    radius: { type: 'number', arg: 'R', ...positive, default: D.radius, help: 'starting sphere radius (target half-extent 1)' },
    lr: { type: 'number', arg: 'L', ...positive, default: D.lr, help: 'Adam learning rate' },
    sigma: { type: 'number', arg: 'S', ...positive, default: D.sigma, help: 'initial coverage smoothing' },
    samples: { type: 'number', arg: 'M', integer: true, min: 1, max: MAX_RENDER_SAMPLES, default: D.samples, help: 'initial samples of the perturbed mode' },
    laplacian: { type: 'number', arg: 'W', min: 0, default: D.laplacian, help: 'Laplacian weight' },
    noise: { type: 'string', choices: ['gaussian', 'cauchy'], default: 'gaussian', help: "perturbed mode's law" },
    voxels: { type: 'number', arg: 'N', integer: true, min: 2, max: MAX_VOXEL_GRID, default: D.voxels, help: 'voxel grid side of the 3D IoU' },
    distance: { type: 'number', arg: 'D', check: (x) => x > 1 + Math.sqrt(3), what: 'above 1 + sqrt(3) = 2.74 (target half-extent 1, near plane 1)', default: SHAPE_CAMERA_DISTANCE, help: 'camera distance (target half-extent 1)' },
    'no-adapt': { type: 'boolean', help: 'keep sigma, samples and lr fixed' },
    out: { type: 'string', arg: 'FILE', help: 'JSON result with per-iteration telemetry' },
    obj: { type: 'string', arg: 'FILE', help: 'the fitted mesh as OBJ' },
    png: { type: 'string', arg: 'FILE', help: 'silhouettes of the first 8 views: target, start and fitted rows' },
    quiet: { type: 'boolean', help: 'no progress lines' },
  },
});

function fail(msg: string): never {
  process.stderr.write(`shape: ${msg}\n`);
  process.exit(1);
}

function main(): void {
  const opts = parseCommandLine(COMMAND);
  if (!opts.mesh) fail('--mesh is required (an .stl or .obj file)');
  const method = opts.method;
  if (method === undefined) fail(`--method must be one of ${RENDER_MODES.join(', ')}`);
  const noise = opts.noise;
  const settings = {
    mesh: opts.mesh, method,
    views: opts.views, size: opts.size, iterations: opts.iterations, seed: opts.seed, level: opts.level,
    radius: opts.radius, lr: opts.lr, sigma: opts.sigma, samples: opts.samples, maxSamples: MAX_RENDER_SAMPLES,
    laplacian: opts.laplacian, noise, voxels: opts.voxels, distance: opts.distance,
    adaptive: opts['no-adapt'] ? false : undefined,
  };
  const quiet = opts.quiet;
  const onIterate = quiet ? undefined : (it: ShapeIterate) => {
    if (it.iteration % 10 !== 0 && !it.reduced && it.iteration !== settings.iterations - 1) return;
    process.stdout.write(`it ${String(it.iteration).padStart(4)}  silhouette ${it.silhouette.toFixed(4)}  laplacian ${it.laplacian.toExponential(2)}  sigma ${it.sigma.toExponential(2)}  M ${String(it.samples).padStart(3)}  lr ${it.lr.toExponential(2)}${it.reduced ? '  (smoothing reduced)' : ''}\n`);
  };
  let res;
  try { res = runShapeProblem(settings, onIterate); } catch (e) { fail((e as Error).message); }
  const t = res.fit.timeMs / 1000;
  process.stdout.write(
    `\n${opts.mesh} (${res.targetVertices} vertices, ${res.targetFaces} faces), ${method}${method === 'perturbed' ? ` (${noise})` : ''}\n` +
    `  views ${settings.views} x ${settings.size} px, icosphere level ${settings.level} (${res.fit.vertices.length / 3} vertices), seed ${settings.seed}\n` +
    `  3D IoU         ${res.initialIoU.toFixed(3)} -> ${res.iou.toFixed(3)} (voxels ${settings.voxels}^3)\n` +
    `  silhouette IoU ${res.initialSilhouetteIoU.toFixed(3)} -> ${res.silhouetteIoU.toFixed(3)} (mean over the views, hard)\n` +
    `  iterations     ${res.fit.iterations}\n` +
    `  time           ${t.toFixed(1)} s (${((1000 * t) / res.fit.iterations).toFixed(0)} ms per iteration)\n`,
  );
  if (opts.out) {
    const { fit, faces: _faces, silhouettes: _s, ...rest } = res;
    writeFileSync(opts.out, JSON.stringify({ ...rest, timeS: t, telemetry: fit.telemetry }, null, 1) + '\n');
    process.stdout.write(`  wrote ${opts.out}\n`);
  }
  if (opts.obj) {
    writeFileSync(opts.obj, objText(res.fit.vertices, res.faces));
    process.stdout.write(`  wrote ${opts.obj}\n`);
  }
  if (opts.png) {
    const sh = silhouetteSheet([res.silhouettes.target, res.silhouettes.start, res.silhouettes.fitted], settings.size);
    writeFileSync(opts.png, encodePng(sh.rgb, sh.width, sh.height, 3));
    process.stdout.write(`  wrote ${opts.png}\n`);
  }
}

main();
