/**
 * npm run experiment -- pose [--problems N] [--errors 20,50,80] [--methods hard,softras,perturbed]
 *     [--size 128] [--iterations 800] [--seed 1] [--noise gaussian|cauchy] [--workers N] [--out DIR]
 *
 * The rendering paper's pose protocol on our renderer: per initial-error level, N problems
 * (server/rendering/problems.ts: a uniformly random true rotation of the coloured cube, an
 * initial rotation that many degrees away about a random axis; problem k of a level is the same
 * for every method), each fitted by every method from the same start against the hard render
 * of the truth (Adam, adaptive smoothing, 800 iterations by default; pose-fit.ts). Success =
 * final error < 10 deg, as the paper. Writes into DIR (default results/pose-<date>):
 * summary.md (success rate and error per level and method, next to the paper's Table 2),
 * summary.json (setup, aggregates, every run's numbers), traces.json (each run's loss, sigma,
 * samples and error every 10 iterations) and SVG plots: success rate per level, final errors
 * sorted per level, median loss and sigma per iteration.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MAX_FIT_ITERATIONS, MAX_RENDER_SAMPLES } from '../../shared/limits.ts';
import { fitPose, SUCCESS_DEG, type FitResult, type PoseBackend } from '../rendering/pose-fit.ts';
import { poseProblem } from '../rendering/problems.ts';
import { poseScene } from '../rendering/objects.ts';
import { ParallelRenderer } from '../rendering/parallel.ts';
import { Renderer, RENDER_MODES, newPose, rgbOf, type RenderMode } from '../rendering/renderer.ts';
import { linePlot, type Series } from './svg-plot.ts';
import { defineCommand, parseCommandLine } from './args.ts';

/** Table 2 of Le Lidec et al. 2021 (coloured cube, 128 px, 100 problems per level), percent solved. */
const PAPER: Record<string, Record<number, number>> = {
  softras: { 20: 84, 50: 75, 80: 55 },
  perturbed: { 20: 93, 50: 84, 80: 67 },
  cauchy: { 20: 82, 50: 71, 80: 55 },
};
const COLORS: Record<string, string> = { hard: '#7f7f7f', softras: '#1f77b4', perturbed: '#d62728' };

function fail(msg: string): never {
  process.stderr.write(`experiment pose: ${msg}\n`);
  process.exit(1);
}

interface Run {
  level: number;
  problem: number;
  method: RenderMode;
  initialErrorDeg: number;
  errorDeg: number;
  lastErrorDeg: number;
  success: boolean;
  bestLoss: number;
  timeS: number;
  finalSigma: number;
  finalGamma: number;
  finalSamples: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const std = (xs: number[]) => { const m = mean(xs); return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1)); };
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN; };

const COMMAND = defineCommand({
  name: 'experiment',
  usage: 'usage: npm run experiment -- pose [options]',
  flags: {
    problems: { type: 'number', arg: 'N', integer: true, min: 1, max: 10000, default: 100, help: 'problems per error level' },
    errors: { type: 'string', arg: 'DEG,...', default: '20,50,80', help: 'initial rotation errors in degrees, one level each' },
    methods: { type: 'string', arg: 'M,...', default: 'hard,softras,perturbed', help: `renderers fitted through (${RENDER_MODES.join(', ')})` },
    size: { type: 'number', arg: 'PX', integer: true, min: 8, max: 512, default: 128, help: 'image side' },
    iterations: { type: 'number', integer: true, min: 1, max: MAX_FIT_ITERATIONS, default: 800, help: 'Adam iterations per fit' },
    seed: { type: 'number', integer: true, min: 0, max: 2 ** 31, default: 1, help: 'problem and noise seed' },
    noise: { type: 'string', choices: ['gaussian', 'cauchy'], default: 'gaussian', help: "perturbed mode's law" },
    workers: { type: 'number', integer: true, min: 0, max: 64, default: 0, help: 'render on N worker threads (0: this thread)' },
    out: { type: 'string', arg: 'DIR', help: 'where the summary and plots go (default results/pose-<date>)' },
  },
});

export async function runPoseExperiment(argv: string[]): Promise<void> {
  const opts = parseCommandLine(COMMAND, argv);
  const { problems, size, iterations, seed, workers, noise } = opts;
  const levels = opts.errors.split(',').map((x) => (x.trim() === '' ? NaN : Number(x)));
  if (levels.some((x) => !(x >= 0 && x <= 180))) fail(`--errors must be angles in [0, 180] degrees, got '${opts.errors}'`);
  const methods = opts.methods.split(',') as RenderMode[];
  for (const m of methods) if (!RENDER_MODES.includes(m)) fail(`--methods: unknown method '${m}' (${RENDER_MODES.join(', ')})`);
  const outDir = opts.out ?? path.join('results', `pose-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`);
  mkdirSync(outDir, { recursive: true });

  const scene = poseScene('cube', size);
  const local = new Renderer(scene.mesh, scene.camera, scene.light, { maxSamples: MAX_RENDER_SAMPLES });
  const backend: PoseBackend = workers > 0 ? await ParallelRenderer.create(scene.mesh, scene.camera, scene.light, workers, { maxSamples: MAX_RENDER_SAMPLES }) : local;
  const runs: Run[] = [];
  const traces: Array<{ level: number; problem: number; method: string; iteration: number[]; loss: number[]; sigma: number[]; samples: number[]; errorDeg: number[] }> = [];
  const started = Date.now();
  for (const level of levels) {
    for (let k = 0; k < problems; k++) {
      // Problem seeds differ per level (seed, level) so that levels are independent draws.
      const pr = poseProblem(seed * 1000 + level, k, level);
      const truth = newPose(pr.truth);
      const target = rgbOf(local.render(truth, { mode: 'hard', sigma: 1, gamma: 1, samples: 1, noise: 'gaussian', seed: 0, iteration: 0 }));
      for (const method of methods) {
        const res: FitResult = await fitPose(backend, target, newPose(pr.init), { method, noise, iterations, seed: seed * 1000 + k, maxSamples: MAX_RENDER_SAMPLES }, truth);
        const last = res.telemetry[res.telemetry.length - 1];
        const run: Run = {
          level, problem: k, method, initialErrorDeg: res.initialErrorDeg!, errorDeg: res.errorDeg!, lastErrorDeg: res.lastErrorDeg!, success: res.success!,
          bestLoss: res.bestLoss, timeS: res.timeMs / 1000, finalSigma: last.sigma, finalGamma: last.gamma, finalSamples: last.samples,
        };
        runs.push(run);
        const thin = res.telemetry.filter((t) => t.iteration % 10 === 0 || t.iteration === iterations - 1);
        traces.push({ level, problem: k, method, iteration: thin.map((t) => t.iteration), loss: thin.map((t) => t.loss), sigma: thin.map((t) => t.sigma), samples: thin.map((t) => t.samples), errorDeg: thin.map((t) => t.errorDeg!) });
        process.stderr.write(`${level} deg #${k} ${method.padEnd(9)} error ${run.errorDeg.toFixed(2).padStart(6)} deg ${run.success ? 'solved' : 'failed'}  ${run.timeS.toFixed(1)} s  (elapsed ${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
      }
    }
  }
  if (backend instanceof ParallelRenderer) await backend.close();

  // Aggregates.
  const agg = levels.map((level) => ({
    level,
    methods: Object.fromEntries(methods.map((m) => {
      const rs = runs.filter((r) => r.level === level && r.method === m);
      const e = rs.map((r) => r.errorDeg);
      return [m, { n: rs.length, solved: rs.filter((r) => r.success).length, successRate: rs.filter((r) => r.success).length / rs.length, meanError: mean(e), stdError: std(e), medianError: median(e), meanTimeS: mean(rs.map((r) => r.timeS)) }];
    })),
  }));
  const setup = { object: 'cube', size, iterations, problems, levels, methods, noise, seed, workers, successDeg: SUCCESS_DEG, camera: 'distance 6.7, elevation 30, azimuth 120, fov 60', init: 'sigma 1e-3, gamma 1e-2, M 8, Adam lr 3e-2; adaptive smoothing from iteration 100, every 50', wallClockS: (Date.now() - started) / 1000 };
  writeFileSync(path.join(outDir, 'summary.json'), JSON.stringify({ setup, paper: PAPER, levels: agg, runs }, null, 1) + '\n');
  writeFileSync(path.join(outDir, 'traces.json'), JSON.stringify(traces) + '\n');

  const pct = (x: number) => `${(100 * x).toFixed(0)} %`;
  const paperKey = (m: string) => (m === 'perturbed' && noise === 'cauchy' ? 'cauchy' : m);
  let md = `# Pose from an image: the rendering paper's protocol on our renderer\n\n`;
  md += `Coloured cube, ${size}x${size} px, ${problems} problem(s) per level (the same problems for every method), ${iterations} iterations, success = final error < ${SUCCESS_DEG} deg; perturbed noise: ${noise}; seed ${seed}. Wall clock ${setup.wallClockS.toFixed(0)} s.\n\n`;
  md += `## Success rate (solved / problems)\n\n| initial error | ${methods.join(' | ')} | paper SoftRas | paper perturbed (${noise}) |\n|---|${methods.map(() => '---|').join('')}---|---|\n`;
  for (const a of agg) {
    md += `| ${a.level} deg | ${methods.map((m) => `${pct(a.methods[m].successRate)} (${a.methods[m].solved}/${a.methods[m].n})`).join(' | ')} | ${PAPER.softras[a.level] !== undefined ? `${PAPER.softras[a.level]} %` : '-'} | ${PAPER[paperKey('perturbed')][a.level] !== undefined ? `${PAPER[paperKey('perturbed')][a.level]} %` : '-'} |\n`;
  }
  md += `\n## Final rotation error, degrees (mean / std / median)\n\n| initial error | ${methods.join(' | ')} |\n|---|${methods.map(() => '---|').join('')}\n`;
  for (const a of agg) md += `| ${a.level} deg | ${methods.map((m) => `${a.methods[m].meanError.toFixed(1)} / ${a.methods[m].stdError.toFixed(1)} / ${a.methods[m].medianError.toFixed(1)}`).join(' | ')} |\n`;
  md += `\n## Time per fit, seconds (mean)\n\n| initial error | ${methods.join(' | ')} |\n|---|${methods.map(() => '---|').join('')}\n`;
  for (const a of agg) md += `| ${a.level} deg | ${methods.map((m) => a.methods[m].meanTimeS.toFixed(1)).join(' | ')} |\n`;
  md += `\nPlots: success.svg, errors-<level>.svg (final errors sorted), loss-<level>.svg and sigma-<level>.svg (median over the problems per iteration). Every run: summary.json; traces: traces.json.\n`;
  writeFileSync(path.join(outDir, 'summary.md'), md);

  // Plots.
  const succ: Series[] = methods.map((m) => ({ name: m, x: levels, y: agg.map((a) => 100 * a.methods[m].successRate), color: COLORS[m] }));
  for (const m of ['softras', 'perturbed'] as const) {
    const pm = PAPER[paperKey(m)];
    if (methods.includes(m) && levels.every((l) => pm[l] !== undefined)) succ.push({ name: `paper ${paperKey(m)}`, x: levels, y: levels.map((l) => pm[l]), color: COLORS[m], dashed: true });
  }
  writeFileSync(path.join(outDir, 'success.svg'), linePlot(succ, { title: `Success rate (< ${SUCCESS_DEG} deg), ${problems} problems per level`, xLabel: 'initial error (deg)', yLabel: 'solved (%)' }));
  for (const level of levels) {
    const errSeries: Series[] = methods.map((m) => {
      const e = runs.filter((r) => r.level === level && r.method === m).map((r) => Math.max(r.errorDeg, 1e-3)).sort((a, b) => a - b);
      return { name: m, x: e.map((_, i) => (i + 1) / e.length), y: e, color: COLORS[m] };
    });
    writeFileSync(path.join(outDir, `errors-${level}.svg`), linePlot(errSeries, { title: `Final errors sorted, ${level} deg start`, xLabel: 'fraction of problems', yLabel: 'final error (deg)', logY: true, hline: { y: SUCCESS_DEG, label: `${SUCCESS_DEG} deg` } }));
    for (const [key, logY] of [['loss', true], ['sigma', true]] as const) {
      const ser: Series[] = methods.filter((m) => key === 'loss' || m !== 'hard').map((m) => {
        const tr = traces.filter((t) => t.level === level && t.method === m);
        const xs = tr[0]?.iteration ?? [];
        return { name: m, x: xs, y: xs.map((_, i) => median(tr.map((t) => Math.max(t[key][i], 1e-12)))), color: COLORS[m] };
      });
      writeFileSync(path.join(outDir, `${key}-${level}.svg`), linePlot(ser, { title: `${key === 'loss' ? 'Loss' : 'sigma'} per iteration (median), ${level} deg start`, xLabel: 'iteration', yLabel: key, logY }));
    }
  }
  process.stdout.write(md + `\nwrote ${outDir}\n`);
}
