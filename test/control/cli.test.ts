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

  it('rejects bad arguments with a clear message and exit code 1', () => {
    const a = tsx(['server/cli/plan.ts', '--task', 'lift-leg', '--solver', 'ilqr']);
    expect(a.status).toBe(1);
    expect(a.stderr).toMatch(/--solver must be ddp or rddp/);
    const b = tsx(['server/cli/plan.ts', '--task', 'lift-leg', '--solver', 'ddp', '--height', 'tall']);
    expect(b.status).toBe(1);
    expect(b.stderr).toMatch(/--height must be a number/);
    const c = tsx(['server/cli/plan.ts', '--task', 'lift-leg', '--solver', 'ddp', '--robot', 'cube']);
    expect(c.stderr).toMatch(/runs on robot 'solo12'/);
  });
});

describe('npm run experiment', () => {
  it('compares DDP and R-DDP over seeds and writes a table and plots', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'exp-'));
    execFileSync(process.execPath, ['--import', 'tsx', 'server/cli/experiment.ts', 'cube-lift', '--seeds', '2', '--out', dir], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
    const md = readFileSync(path.join(dir, 'summary.md'), 'utf8');
    expect(md).toMatch(/\| DDP \| 0\/1 \|/);
    expect(md).toMatch(/\| R-DDP \| 2\/2 \|/);
    for (const f of ['cost.svg', 'trace.svg', 'sigma.svg', 'runs.json']) expect(existsSync(path.join(dir, f))).toBe(true);
    expect(readFileSync(path.join(dir, 'cost.svg'), 'utf8')).toMatch(/^<svg/);
  });
});
