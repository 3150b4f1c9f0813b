import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitPose } from '../../server/rendering/pose-fit.ts';
import { poseProblem } from '../../server/rendering/problems.ts';
import { poseScene } from '../../server/rendering/objects.ts';
import { ParallelRenderer } from '../../server/rendering/parallel.ts';
import { Renderer, newGradient, newPose, rgbOf, type RenderParams } from '../../server/rendering/renderer.ts';
import { expSO3, rotationAngleDeg } from '../../server/rendering/rotation.ts';

const root = path.resolve(__dirname, '../..');
const HARD: RenderParams = { mode: 'hard', sigma: 1, gamma: 1, samples: 1, noise: 'gaussian', seed: 0, iteration: 0 };

describe('pose problems', () => {
  it('start at the requested angle from the truth, reproducibly', () => {
    for (const deg of [20, 50, 80]) {
      const p = poseProblem(4, 2, deg);
      const a = rotationAngleDeg(expSO3(p.truth, new Float64Array(9)), expSO3(p.init, new Float64Array(9)));
      expect(a).toBeCloseTo(deg, 8);
      expect(poseProblem(4, 2, deg)).toEqual(p);
    }
    expect(poseProblem(4, 3, 20).truth).not.toEqual(poseProblem(4, 2, 20).truth);
  });
});

describe('pose fit', () => {
  const scene = poseScene('cube', 32);
  const r = new Renderer(scene.mesh, scene.camera, scene.light);
  const p = poseProblem(1, 0, 20);
  const truth = newPose(p.truth);
  const target = rgbOf(r.render(truth, HARD));

  it('softras brings a 20 deg error under 10 deg; hard does not move (null gradient)', async () => {
    const soft = await fitPose(r, target, newPose(p.init), { method: 'softras', iterations: 200 }, truth);
    expect(soft.initialErrorDeg).toBeCloseTo(20, 8);
    expect(soft.errorDeg!).toBeLessThan(10);
    expect(soft.telemetry).toHaveLength(200);
    const hard = await fitPose(r, target, newPose(p.init), { method: 'hard', iterations: 20 }, truth);
    expect(hard.errorDeg).toBeCloseTo(20, 8);
    expect(hard.telemetry.every((t) => t.gradNorm === 0)).toBe(true);
  });

  it('adaptive smoothing follows the rule: reductions only when v > 0, every 50 iterations after 100', async () => {
    const res = await fitPose(r, target, newPose(p.init), { method: 'perturbed', iterations: 400, seed: 3 }, truth);
    let sigma = 1e-3, gamma = 1e-2, samples = 8, lr = 3e-2;
    for (const t of res.telemetry) {
      expect([t.sigma, t.gamma, t.samples, t.lr]).toEqual([sigma, gamma, samples, lr]);
      if (t.reduced) {
        expect(t.iteration).toBeGreaterThan(100);
        expect((t.iteration + 1) % 50).toBe(0);
        expect(t.sensitivity).toBeGreaterThan(0);
        sigma = Math.max(sigma / 1.1, 5e-5); gamma = Math.max(gamma / 1.1, 5e-4); samples = Math.min(2 * samples, 128); lr = Math.max(lr / 1.5, 1e-4);
      } else if (t.iteration > 100 && (t.iteration + 1) % 50 === 0) {
        expect(t.sensitivity).toBeLessThanOrEqual(0);
      }
    }
    expect(res.telemetry.some((t) => t.reduced)).toBe(true);
    expect(res.errorDeg!).toBeLessThan(10);
  });
});

describe('worker threads', () => {
  it('give the single thread results bit for bit', async () => {
    const scene = poseScene('cube', 40);
    const one = new Renderer(scene.mesh, scene.camera, scene.light);
    const target = rgbOf(one.render(newPose([0.3, 0.5, 0.1]), HARD));
    const par = await ParallelRenderer.create(scene.mesh, scene.camera, scene.light, 2);
    try {
      for (const mode of ['softras', 'perturbed'] as const) {
        const params: RenderParams = { mode, sigma: 2e-3, gamma: 2e-2, samples: 16, noise: 'gaussian', seed: 5, iteration: 7 };
        const pose = newPose([0.5, 0.4, 0.2], [0.1, 0, 0]);
        const a = one.lossAndGradient(pose, params, target, newGradient(8));
        const imgA = Float64Array.from(one.image);
        const b = await par.lossAndGradient(pose, params, target, newGradient(8));
        expect(b.loss).toBe(a.loss);
        expect(Array.from(b.rotation)).toEqual(Array.from(a.rotation));
        expect(Array.from(b.vertices)).toEqual(Array.from(a.vertices));
        expect([b.sigma, b.gamma]).toEqual([a.sigma, a.gamma]);
        expect(Array.from(par.image)).toEqual(Array.from(imgA));
      }
    } finally {
      await par.close();
    }
  });
});

describe('npm run pose', () => {
  it('fits end to end at a small size and writes its telemetry', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pose-'));
    const out = path.join(dir, 'fit.json');
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', 'server/cli/pose.ts', '--object', 'cube', '--method', 'perturbed', '--init-error', '20', '--seed', '3', '--size', '24', '--iterations', '30', '--out', out, '--png', path.join(dir, 'fit.png')], { cwd: root, encoding: 'utf8' });
    expect(stdout.match(/^it +\d+ +loss/gm)).toHaveLength(30);
    expect(stdout).toMatch(/final error +[\d.]+ deg/);
    expect(stdout).toMatch(/success +(yes|no)/);
    const fit = JSON.parse(readFileSync(out, 'utf8'));
    expect(fit.telemetry).toHaveLength(30);
    for (const k of ['loss', 'sigma', 'samples', 'errorDeg']) expect(typeof fit.telemetry[0][k]).toBe('number');
    expect(fit.initialErrorDeg).toBeCloseTo(20, 6);
    expect(readFileSync(path.join(dir, 'fit.png')).subarray(1, 4).toString()).toBe('PNG');
  });

  it('refuses bad arguments with a message', () => {
    const run = (...a: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/pose.ts', ...a], { cwd: root, encoding: 'utf8' });
    const m = run('--method', 'magic', '--init-error', '20');
    expect(m.status).toBe(1);
    expect(m.stderr).toMatch(/--method must be one of hard, softras, perturbed/);
    const s = run('--method', 'hard', '--init-error', '20', '--size', '100000');
    expect(s.status).toBe(1);
    expect(s.stderr).toMatch(/size must be an integer in \[8, 512\]/);
    const o = run('--method', 'hard', '--init-error', '20', '--object', 'teapot');
    expect(o.stderr).toMatch(/unknown object 'teapot'/);
  });
});

describe('npm run experiment -- pose', () => {
  it('runs every method on the same problems and writes the summary and plots', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pose-exp-'));
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', 'server/cli/experiment.ts', 'pose', '--problems', '2', '--errors', '20,50', '--size', '16', '--iterations', '20', '--out', dir], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(stdout).toMatch(/\| 20 deg \| \d+ % \(\d\/2\) \| \d+ % \(\d\/2\) \| \d+ % \(\d\/2\) \| 84 % \| 93 % \|/);
    const sum = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8'));
    expect(sum.runs).toHaveLength(2 * 2 * 3);
    for (const level of [20, 50]) {
      for (const k of [0, 1]) {
        const same = sum.runs.filter((r: { level: number; problem: number }) => r.level === level && r.problem === k);
        expect(same.map((r: { method: string }) => r.method)).toEqual(['hard', 'softras', 'perturbed']);
        for (const r of same) expect(r.initialErrorDeg).toBeCloseTo(level, 6);
        // hard has a null gradient: it ends where it started
        expect(same[0].errorDeg).toBeCloseTo(level, 6);
      }
      const agg = sum.levels.find((l: { level: number }) => l.level === level).methods;
      for (const m of ['hard', 'softras', 'perturbed']) {
        const rs = sum.runs.filter((r: { level: number; method: string }) => r.level === level && r.method === m);
        expect(agg[m].solved).toBe(rs.filter((r: { errorDeg: number }) => r.errorDeg < 10).length);
      }
    }
    for (const f of ['summary.md', 'traces.json', 'success.svg', 'errors-20.svg', 'loss-50.svg', 'sigma-20.svg']) expect(readFileSync(path.join(dir, f)).length).toBeGreaterThan(100);
  });
});
