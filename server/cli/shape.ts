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
import { RENDER_MODES, type RenderMode } from '../rendering/renderer.ts';
import { objText, runShapeProblem, SHAPE_PROBLEM_DEFAULTS, silhouetteSheet } from '../rendering/shape-run.ts';
import { encodePng } from '../rendering/png.ts';
import { SHAPE_DEFAULTS, type ShapeIterate } from '../rendering/shape-fit.ts';

// The problem defaults (iterations 200, as the experiment) over the fit's own.
const D = { ...SHAPE_DEFAULTS, ...SHAPE_PROBLEM_DEFAULTS };
const USAGE = `usage: npm run shape -- --mesh PATH --method hard|softras|perturbed [options]

  --mesh PATH          target .stl / .obj (e.g. ../shared/robots/example-robot-data/robots/solo_description/meshes/stl/solo12/solo_12_base.stl)
  --method M           hard | softras | perturbed
  --views N            cameras around the object (default ${D.views}, at most ${MAX_SHAPE_VIEWS})
  --size PX            image side (default ${D.size})
  --iterations N       Adam iterations (default ${D.iterations})
  --seed N             camera lattice turn and noise seed (default ${D.seed})
  --level L            icosphere subdivision level (default ${D.level}: 642 vertices)
  --radius R           starting sphere radius (target half-extent 1; default ${D.radius})
  --lr L               Adam learning rate (default ${D.lr})
  --sigma S            initial coverage smoothing (default ${D.sigma})
  --samples M          initial samples of the perturbed mode (default ${D.samples})
  --laplacian W        Laplacian weight (default ${D.laplacian})
  --noise gaussian|cauchy   perturbed mode's law (default gaussian)
  --voxels N           voxel grid side of the 3D IoU (default ${D.voxels})
  --distance D         camera distance (target half-extent 1; default 4.5)
  --no-adapt           keep sigma, samples and lr fixed
  --out FILE           JSON result with per-iteration telemetry
  --obj FILE           the fitted mesh as OBJ
  --png FILE           silhouettes of the first 8 views: target, start and fitted rows
  --quiet              no progress lines
  --help`;

function fail(msg: string): never {
  process.stderr.write(`shape: ${msg}\n`);
  process.exit(1);
}

function main(): void {
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
  const known = new Set(['mesh', 'method', 'views', 'size', 'iterations', 'seed', 'level', 'radius', 'lr', 'sigma', 'samples', 'laplacian', 'noise', 'voxels', 'distance', 'out', 'obj', 'png']);
  for (const k of Object.keys(opts)) if (!known.has(k)) fail(`unknown option --${k} (see --help)`);
  if (!opts.mesh) fail('--mesh is required (an .stl or .obj file)');
  const method = (opts.method ?? '') as RenderMode;
  if (!RENDER_MODES.includes(method)) fail(`--method must be one of ${RENDER_MODES.join(', ')}, got '${opts.method ?? ''}'`);
  const int = (k: string, def: number, lo: number, hi: number) => {
    if (opts[k] === undefined) return def;
    const x = Number(opts[k]);
    if (!Number.isInteger(x) || x < lo || x > hi) fail(`--${k} must be an integer in [${lo}, ${hi}], got '${opts[k]}'`);
    return x;
  };
  const pos = (k: string, def: number, allowZero = false) => {
    if (opts[k] === undefined) return def;
    const x = Number(opts[k]);
    if (!Number.isFinite(x) || !(allowZero ? x >= 0 : x > 0)) fail(`--${k} must be a ${allowZero ? 'non-negative' : 'positive'} number, got '${opts[k]}'`);
    return x;
  };
  const noise = opts.noise ?? 'gaussian';
  if (noise !== 'gaussian' && noise !== 'cauchy') fail(`--noise must be gaussian or cauchy, got '${noise}'`);
  const settings = {
    mesh: opts.mesh, method,
    views: int('views', D.views, 1, MAX_SHAPE_VIEWS),
    size: int('size', D.size, MIN_RENDER_SIZE, MAX_RENDER_SIZE),
    iterations: int('iterations', D.iterations, 1, MAX_FIT_ITERATIONS),
    seed: int('seed', D.seed, 0, 2 ** 20),
    level: int('level', D.level, 0, MAX_ICO_LEVEL),
    radius: pos('radius', D.radius),
    lr: pos('lr', D.lr),
    sigma: pos('sigma', D.sigma),
    samples: int('samples', D.samples, 1, MAX_RENDER_SAMPLES),
    maxSamples: MAX_RENDER_SAMPLES,
    laplacian: pos('laplacian', D.laplacian, true),
    noise: noise as 'gaussian' | 'cauchy',
    voxels: int('voxels', D.voxels, 2, MAX_VOXEL_GRID),
    distance: pos('distance', 4.5),
    adaptive: flags.has('no-adapt') ? false : undefined,
  };
  const quiet = flags.has('quiet');
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
