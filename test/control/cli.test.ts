/** The headless planning tools, run as a user would (spawned, real files). */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const tsx = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', ...args], { cwd: root, encoding: 'utf8' });

describe('npm run plan', () => {
  it('writes the JSON result with the documented fields', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'plan-'));
    const out = path.join(dir, 'run.json');
    const r = tsx(['server/cli/plan.ts', '--task', 'cube-lift', '--solver', 'rddp', '--iterations', '30', '--seed', '2', '--out', out, '--quiet']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/success\s+true/);
    const res = JSON.parse(readFileSync(out, 'utf8'));
    for (const k of ['solver', 'robot', 'task', 'params', 'seed', 'iterations', 'cost', 'converged', 'success', 'metrics', 'timings', 'telemetry', 'trajectory']) expect(res).toHaveProperty(k);
    expect(res.metrics.finalHeight).toBeCloseTo(0.3, 2);
    expect(res.trajectory.q).toHaveLength(res.trajectory.u.length + 1);
    expect(res.telemetry[0]).toHaveProperty('sigma');
    expect(res.timings).toHaveProperty('total_s');
  });

  it('--robot plans on a robot of --robots (the upstream Solo-8, found by its SRDF)', () => {
    const r = tsx(['server/cli/plan.ts', '--task', 'lift-leg', '--solver', 'ddp', '--robot', 'solo', '--robots', '../shared/robots/example-robot-data/robots/solo_description',
      '--horizon', '0.1', '--dt', '0.02', '--iterations', '2', '--backend', 'cpu', '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/task\s+lift-leg on solo\n/);
    expect(r.stdout).toMatch(/footFrame\s+FL_FOOT/);
    const bad = tsx(['server/cli/plan.ts', '--task', 'lift-leg', '--solver', 'ddp', '--robot', 'nobody']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/unknown robot 'nobody'/);
  });

  it('rejects bad arguments with a clear message and exit code 1', () => {
    const a = tsx(['server/cli/plan.ts', '--task', 'lift-leg', '--solver', 'ilqr']);
    expect(a.status).toBe(1);
    expect(a.stderr).toMatch(/--solver must be ddp or rddp/);
    const b = tsx(['server/cli/plan.ts', '--task', 'lift-leg', '--solver', 'ddp', '--height', 'tall']);
    expect(b.status).toBe(1);
    expect(b.stderr).toMatch(/--height must be a number/);
    const c = tsx(['server/cli/plan.ts', '--task', 'lift-leg', '--solver', 'ddp', '--robot', 'cube']);
    expect(c.status).toBe(1);
    expect(c.stderr).toMatch(/robot 'cube' has no contact frames: lift-leg needs ≥2 feet/);
    const d = tsx(['server/cli/plan.ts', '--task', 'lift-leg', '--solver', 'ddp', '--derivatives', 'exact']);
    expect(d.status).toBe(1);
    expect(d.stderr).toMatch(/--derivatives must be fd or analytic/);
  });

  it('--derivatives analytic plans with the analytic step Jacobians', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'plan-'));
    const out = path.join(dir, 'run.json');
    const r = tsx(['server/cli/plan.ts', '--task', 'cube-lift', '--solver', 'ddp', '--derivatives', 'analytic', '--backend', 'cpu', '--out', out, '--quiet']);
    expect(r.status).toBe(0);
    const res = JSON.parse(readFileSync(out, 'utf8'));
    expect(res.telemetry[0].gradientNorm).toBeLessThan(1e-9);
  });
});

describe('npm run experiment', () => {
  it('compares DDP and R-DDP over seeds and writes a table and plots', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'exp-'));
    execFileSync(process.execPath, ['--import', 'tsx', 'server/cli/experiment.ts', 'cube-lift', '--seeds', '2', '--out', dir], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
    const md = readFileSync(path.join(dir, 'summary.md'), 'utf8');
    expect(md).toMatch(/\| DDP \| 0\/1 \|/);
    expect(md).toMatch(/\| R-DDP \| 2\/2 \|/);
    for (const f of ['cost.svg', 'time-0.svg', 'sigma.svg', 'runs.json', 'summary.json']) expect(existsSync(path.join(dir, f))).toBe(true);
    const cost = readFileSync(path.join(dir, 'cost.svg'), 'utf8');
    expect(cost).toMatch(/^<svg/);
    expect(cost).toContain('R-DDP median (2 seeds), min..max');
    expect(cost).toContain('opacity="0.18"'); // the band over seeds
    expect(md).toContain('![cube height](time-0.svg)');
  });

  it('lift-leg: plots the foot, the other feet, the base, the knee and the contact force over time', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'exp-'));
    execFileSync(process.execPath, ['--import', 'tsx', 'server/cli/experiment.ts', 'lift-leg', '--seeds', '2', '--horizon', '0.1', '--iterations', '3', '--out', dir], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
    const md = readFileSync(path.join(dir, 'summary.md'), 'utf8');
    const labels = ['FL foot height', 'highest other foot', 'base height', 'FL knee angle (KFE)', 'FL foot vertical contact force'];
    labels.forEach((l, i) => expect(md).toContain(`![${l}](time-${i}.svg)`));
    // standing at the start: the lifted foot carries about a quarter of the weight (2.5 kg)
    const runs = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')).runs;
    expect(runs[0].metrics.objective).toBe('foot');
    expect(readFileSync(path.join(dir, 'time-4.svg'), 'utf8')).toContain('vertical contact force');
  });
});

describe('npm run study', () => {
  it('runs a grid, writes the verdict table and the runs, and resumes from runs.jsonl', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'study-'));
    const run = () => execFileSync(process.execPath, ['--import', 'tsx', 'server/cli/study.ts', '--grid', 'smoke', '--seeds', '2', '--iterations', '3', '--out', dir], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
    run();
    const md = readFileSync(path.join(dir, 'summary.md'), 'utf8');
    expect(md).toMatch(/\| foot \| 5000 \| 0\.01 \| FL \| 5\.0 cm \| 0\.02 \| 0\.2 s \| final time \| 0\.5 \| knee unchanged, foot down \|/);
    const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8'));
    expect(summary.cells).toHaveLength(1);
    expect(summary.cells[0].rddp).toHaveLength(2);
    expect(summary.cells[0].ddp.failed).toContain('foot not at height');
    expect(summary.cells[0].ddp.schedule.length).toBeGreaterThan(0);
    const lines = readFileSync(path.join(dir, 'runs.jsonl'), 'utf8').trim().split('\n').length;
    expect(lines).toBe(3);
    run();
    expect(readFileSync(path.join(dir, 'runs.jsonl'), 'utf8').trim().split('\n').length).toBe(lines);
    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/study.ts', '--grid', 'nope'], { cwd: root, encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("unknown grid 'nope'");
  });
});
