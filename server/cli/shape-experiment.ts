/**
 * npm run experiment -- shape [--meshes A.stl,B.stl] [--seeds 1,2] [--methods hard,softras,perturbed]
 *     [--views 12] [--size 48] [--iterations 200] [--level 3] [--radius 0.5] [--sigma 1e-3] [--laplacian 0.03] [--distance 4.5] [--voxels 48] [--out DIR]
 *
 * Shape from silhouettes on upstream robot meshes (server/rendering/shape-run.ts): for every
 * mesh and seed (the seed turns the camera lattice and seeds the noise), every method deforms
 * the same icosphere against the same silhouettes; scored by the 3D IoU of the fitted mesh
 * against the target (voxelized) and the mean 2D IoU of the hard silhouettes. Default meshes:
 * Solo-12's base and upper leg from example-robot-data under ../shared/robots (relative to the
 * working directory; --meshes to choose others). Writes into DIR (default
 * results/shape-<date>): summary.md (3D IoU per mesh, seed and method, means, the paper's
 * numbers beside), summary.json (settings and every run's scores) and silhouette.svg (the
 * silhouette loss per iteration, one line per run).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MAX_FIT_ITERATIONS, MAX_ICO_LEVEL, MAX_RENDER_SIZE, MAX_SHAPE_VIEWS, MAX_VOXEL_GRID, MIN_RENDER_SIZE } from '../../shared/limits.ts';
import { RENDER_MODES, type RenderMode } from '../rendering/renderer.ts';
import { runShapeProblem, SHAPE_PROBLEM_DEFAULTS } from '../rendering/shape-run.ts';
import { SHAPE_DEFAULTS } from '../rendering/shape-fit.ts';
import { SHAPE_CAMERA_DISTANCE } from '../rendering/shape-scene.ts';
import { linePlot, type Series } from './svg-plot.ts';
import { defineCommand, parseCommandLine } from './args.ts';

const ROBOTS = path.join('..', 'shared', 'robots', 'example-robot-data', 'robots');
const DEFAULT_MESHES = [
  'solo_description/meshes/stl/solo12/solo_12_base.stl',
  'solo_description/meshes/stl/with_foot/solo_upper_leg_left_side.stl',
].map((m) => path.join(ROBOTS, m));
const COLORS: Record<string, string> = { hard: '#7f7f7f', softras: '#1f77b4', perturbed: '#d62728' };

function fail(msg: string): never {
  process.stderr.write(`experiment shape: ${msg}\n`);
  process.exit(1);
}

interface Run {
  mesh: string;
  seed: number;
  method: RenderMode;
  initialIoU: number;
  iou: number;
  initialSilhouetteIoU: number;
  silhouetteIoU: number;
  finalSilhouetteLoss: number;
  finalSigma: number;
  finalSamples: number;
  timeS: number;
}

const D = SHAPE_PROBLEM_DEFAULTS;
const COMMAND = defineCommand({
  name: 'experiment shape',
  usage: 'usage: npm run experiment -- shape [options]: every method on the same shape problems (meshes x seeds)',
  flags: {
    meshes: { type: 'string', arg: 'A.stl,B.stl', help: "target meshes (default: Solo-12's base and left upper leg from ../shared's example-robot-data)" },
    seeds: { type: 'string', arg: '1,2', default: '1,2', help: 'seeds (camera lattice turn and noise)' },
    methods: { type: 'string', arg: 'hard,softras,perturbed', default: 'hard,softras,perturbed', help: 'methods compared' },
    views: { type: 'number', arg: 'N', integer: true, min: 1, max: MAX_SHAPE_VIEWS, default: D.views, help: 'cameras around the object' },
    size: { type: 'number', arg: 'PX', integer: true, min: MIN_RENDER_SIZE, max: MAX_RENDER_SIZE, default: D.size, help: 'image side' },
    iterations: { type: 'number', integer: true, min: 1, max: MAX_FIT_ITERATIONS, default: D.iterations, help: 'Adam iterations' },
    level: { type: 'number', arg: 'L', integer: true, min: 0, max: MAX_ICO_LEVEL, default: D.level, help: 'icosphere subdivision level' },
    voxels: { type: 'number', arg: 'N', integer: true, min: 2, max: MAX_VOXEL_GRID, default: D.voxels, help: 'voxel grid side of the 3D IoU' },
    radius: { type: 'number', arg: 'R', check: (x) => x > 0, what: 'positive', default: D.radius, help: 'starting sphere radius (target half-extent 1)' },
    sigma: { type: 'number', arg: 'S', check: (x) => x > 0, what: 'positive', default: SHAPE_DEFAULTS.sigma, help: 'initial coverage smoothing' },
    laplacian: { type: 'number', arg: 'W', min: 0, default: SHAPE_DEFAULTS.laplacian, help: 'Laplacian weight' },
    distance: { type: 'number', arg: 'D', check: (x) => x > 1 + Math.sqrt(3), what: 'above 1 + sqrt(3) = 2.74 (target half-extent 1, near plane 1)', default: SHAPE_CAMERA_DISTANCE, help: 'camera distance' },
    out: { type: 'string', arg: 'DIR', help: 'where the summary and plot go (default results/shape-<date>)' },
  },
});

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const std = (xs: number[]) => { const m = mean(xs); return xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0; };

export async function runShapeExperiment(argv: string[]): Promise<void> {
  const opts = parseCommandLine(COMMAND, argv);
  const { views, size, iterations, level, voxels, radius, sigma, laplacian, distance } = opts;
  const seeds = opts.seeds.split(',').map(Number);
  if (seeds.some((s) => !Number.isInteger(s) || s < 0)) fail(`--seeds must be non-negative integers, got '${opts.seeds}'`);
  const methods = opts.methods.split(',') as RenderMode[];
  for (const m of methods) if (!RENDER_MODES.includes(m)) fail(`--methods: unknown method '${m}' (${RENDER_MODES.join(', ')})`);
  const meshes = opts.meshes ? opts.meshes.split(',') : DEFAULT_MESHES;
  for (const m of meshes) if (!existsSync(m)) fail(`mesh ${m} not found${opts.meshes ? '' : ' (run from the repository next to ../shared, or pass --meshes)'}`);
  const outDir = opts.out ?? path.join('results', `shape-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`);
  mkdirSync(outDir, { recursive: true });

  const runs: Run[] = [];
  const traces: Series[] = [];
  const started = Date.now();
  for (const mesh of meshes) {
    for (const seed of seeds) {
      for (const method of methods) {
        const r = runShapeProblem({ mesh, method, views, size, iterations, seed, level, radius, voxels, sigma, laplacian, distance });
        const tel = r.fit.telemetry, last = tel[tel.length - 1];
        const run: Run = {
          mesh: path.basename(mesh), seed, method, initialIoU: r.initialIoU, iou: r.iou, initialSilhouetteIoU: r.initialSilhouetteIoU, silhouetteIoU: r.silhouetteIoU,
          finalSilhouetteLoss: last.silhouette, finalSigma: last.sigma, finalSamples: last.samples, timeS: r.fit.timeMs / 1000,
        };
        runs.push(run);
        const thin = tel.filter((t) => t.iteration % 5 === 0 || t.iteration === iterations - 1);
        traces.push({ name: `${method} ${run.mesh} s${seed}`, x: thin.map((t) => t.iteration), y: thin.map((t) => t.silhouette), color: COLORS[method] });
        process.stderr.write(`${run.mesh} seed ${seed} ${method.padEnd(9)} 3D IoU ${run.initialIoU.toFixed(3)} -> ${run.iou.toFixed(3)}  2D ${run.initialSilhouetteIoU.toFixed(3)} -> ${run.silhouetteIoU.toFixed(3)}  ${run.timeS.toFixed(0)} s  (elapsed ${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
      }
    }
  }
  const names = [...new Set(runs.map((r) => r.mesh))];
  const agg = Object.fromEntries(methods.map((m) => {
    const rs = runs.filter((r) => r.method === m);
    return [m, { n: rs.length, meanIoU: mean(rs.map((r) => r.iou)), stdIoU: std(rs.map((r) => r.iou)), meanSilhouetteIoU: mean(rs.map((r) => r.silhouetteIoU)), meanTimeS: mean(rs.map((r) => r.timeS)) }];
  }));
  const setup = {
    meshes, seeds, methods, views, size, iterations, level, radius, voxels, distance,
    fit: { ...SHAPE_DEFAULTS, iterations, sigma, laplacian },
    cameras: `${views} on a Fibonacci lattice (elevations within +-64 deg), distance ${distance}, fov 60, turned by the seed; target centred, half-extent 1`,
    wallClockS: (Date.now() - started) / 1000,
  };
  const paper = { note: 'Le Lidec et al. 2021, ShapeNet (13 classes) single-image mesh reconstruction with an encoder-decoder, mean 3D IoU: not the same task as this per-object multi-view fit', perturbed: 61.0, softras: 58.6 };
  writeFileSync(path.join(outDir, 'summary.json'), JSON.stringify({ setup, paper, methods: agg, runs }, null, 1) + '\n');

  let md = `# Shape from silhouettes: an icosphere deformed to robot meshes\n\n`;
  md += `${views} views of ${size}x${size} px at distance ${distance} (fov 60), icosphere level ${level} (radius ${radius}; target half-extent 1), ${iterations} Adam iterations (lr ${SHAPE_DEFAULTS.lr}, betas ${SHAPE_DEFAULTS.beta1}/${SHAPE_DEFAULTS.beta2}), loss = mean over views of 1 - soft IoU + ${laplacian} x uniform Laplacian, sigma ${sigma} at the start, M ${SHAPE_DEFAULTS.samples} (perturbed), adaptive smoothing from iteration ${SHAPE_DEFAULTS.adaptStart} every ${SHAPE_DEFAULTS.adaptEvery}. 3D IoU on a ${voxels}^3 voxel grid; 2D IoU = mean over the views of the hard silhouettes'. Seeds ${seeds.join(', ')} (camera lattice turn and noise). Wall clock ${setup.wallClockS.toFixed(0)} s on a shared 2-core machine.\n\n`;
  md += `## 3D IoU (start -> fitted)\n\n| mesh | seed | ${methods.join(' | ')} |\n|---|---|${methods.map(() => '---|').join('')}\n`;
  for (const name of names) for (const seed of seeds) {
    md += `| ${name} | ${seed} | ${methods.map((m) => { const r = runs.find((x) => x.mesh === name && x.seed === seed && x.method === m)!; return `${r.initialIoU.toFixed(3)} -> **${r.iou.toFixed(3)}**`; }).join(' | ')} |\n`;
  }
  md += `| mean ± std | | ${methods.map((m) => `${agg[m].meanIoU.toFixed(3)} ± ${agg[m].stdIoU.toFixed(3)}`).join(' | ')} |\n`;
  md += `\n## Silhouette IoU (2D, hard, mean over views; start -> fitted)\n\n| mesh | seed | ${methods.join(' | ')} |\n|---|---|${methods.map(() => '---|').join('')}\n`;
  for (const name of names) for (const seed of seeds) {
    md += `| ${name} | ${seed} | ${methods.map((m) => { const r = runs.find((x) => x.mesh === name && x.seed === seed && x.method === m)!; return `${r.initialSilhouetteIoU.toFixed(3)} -> ${r.silhouetteIoU.toFixed(3)}`; }).join(' | ')} |\n`;
  }
  md += `\n## Time per fit, seconds (mean)\n\n| ${methods.join(' | ')} |\n|${methods.map(() => '---|').join('')}\n| ${methods.map((m) => agg[m].meanTimeS.toFixed(0)).join(' | ')} |\n`;
  md += `\nPaper (Le Lidec et al. 2021; numbers from the notes): ShapeNet single-image reconstruction, mean 3D IoU 61.0 % perturbed vs 58.6 % SoftRas; a learned encoder-decoder over 13 classes, not this per-object multi-view optimization, so only the direction of the comparison carries over. Plot: silhouette.svg (silhouette loss per iteration, every run). Every run: summary.json.\n`;
  writeFileSync(path.join(outDir, 'summary.md'), md);
  writeFileSync(path.join(outDir, 'silhouette.svg'), linePlot(traces, { title: 'Silhouette loss (mean 1 - soft IoU over the views) per iteration', xLabel: 'iteration', yLabel: '1 - soft IoU', logY: true }));
  process.stdout.write(md + `\nwrote ${outDir}\n`);
}
