import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repoRoot, upstream, upstreamRobots } from './helpers.ts';

function inspect(...args: string[]) {
  const r = spawnSync('npx', ['tsx', 'server/cli/inspect.ts', ...args], { cwd: repoRoot, encoding: 'utf8' });
  // npm itself may print its own config warnings: they are not the CLI's output.
  const stderr = r.stderr
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('npm warn'));
  return { code: r.status, stdout: r.stdout, stderr };
}

describe('inspect CLI', () => {
  it('--task lift-leg says what the task would use and why, or what is missing (exit code 2)', () => {
    const r = inspect(upstream.solo12, '--task', 'lift-leg', '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.why.contactFrames).toMatch(/solo\.srdf/);
    expect(s.task).toMatchObject({ task: 'lift-leg', fits: true, missing: null });
    const use = Object.fromEntries(s.task.uses.map((u: { what: string; value: string; why: string }) => [u.what, u]));
    expect(use.feet.value).toBe('FL_FOOT, FR_FOOT, HL_FOOT, HR_FOOT');
    expect(use['standing posture'].value).toBe('standing');
    expect(use['contact FL_FOOT'].value).toBe('sphere r = 0.02 m');
    expect(use['contact FL_FOOT'].why).toMatch(/no collision sphere on the foot \(mesh.*default radius 0\.02 m/);
    expect(use['foot codes'].value).toMatch(/^FL = FL_FOOT \(knee FL_KFE\)/);
    const text = inspect(upstream.solo12, '--task', 'lift-leg');
    expect(text.stdout).toMatch(/task lift-leg: can run on this robot/);
    const no = inspect(upstream.doublePendulum, '--task', 'lift-leg');
    expect(no.code).toBe(2);
    expect(no.stdout).toMatch(/task lift-leg: cannot run: robot 'double_pendulum' has a fixed base/);
    const arm = inspect(upstream.doublePendulum, '--task', 'reach');
    expect(arm.code).toBe(0);
    expect(arm.stdout).toMatch(/end effector: link2\n\s+why: detected: the tip of the longest chain \(2 joints\)/);
  });

  it('--json on upstream solo12 --floating prints one JSON object', () => {
    const r = inspect(upstream.solo12, '--floating', '--json', '--package-dir', upstreamRobots);
    expect(r.code).toBe(0);
    expect(r.stderr).toEqual([]);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ name: 'solo', nq: 19, nv: 18, nu: 12 });
    expect(Math.abs(s.mass - 2.50000279)).toBeLessThan(1e-8);
    expect(s.joints).toHaveLength(13);
    expect(s.joints[0]).toMatchObject({ name: 'root_joint', type: 'free', idxQ: 0, idxV: 0, lower: null, upper: null, effort: null, velocity: null });
    expect(s.joints[1]).toMatchObject({ name: 'FL_HAA', type: 'revolute', idxQ: 7, idxV: 6, lower: -10, upper: 10, effort: 1000, velocity: 1000 });
    expect(s.frames.find((f: { name: string }) => f.name === 'FL_FOOT')).toMatchObject({ kind: 'fixed', parentJoint: 4 });
  });

  it('robot name, fixed base: mass includes the root; infinite limits are null; warnings on stderr', () => {
    const r = inspect('double_pendulum', '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.mass).toBeCloseTo(0.6, 12);
    expect(s.joints.map((j: { type: string }) => j.type)).toEqual(['continuous', 'continuous']);
    expect(s.joints[0].lower).toBeNull();
    const u = inspect(upstream.doublePendulum, '--json');
    expect(u.code).toBe(0);
    expect(u.stderr).toHaveLength(2);
    expect(u.stderr[0]).toMatch(/^warning: .*joint 'joint1': <limit> lower = upper = 0/);
  });

  it('text output lists joints and frames', () => {
    const r = inspect('solo12');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/nq 19 {2}nv 18 {2}nu 12/);
    expect(r.stdout).toMatch(/total mass 2\.5 kg/);
    expect(r.stdout).toMatch(/HR_KFE\s+revolute\s+HR_HFE\s+18\s+17\s+-3\.14159\s+3\.14159\s+2\.7\s+30/);
    expect(r.stdout).toMatch(/FL_FOOT\s+fixed/);
  });

  it('errors: one line on stderr, exit code 1', () => {
    for (const args of [['/nonexistent.urdf'], ['nope'], [], ['--bogus']]) {
      const r = inspect(...args);
      expect(r.code).toBe(1);
      expect(r.stderr).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
    expect(inspect('/nonexistent.urdf').stderr[0]).toBe('inspect: /nonexistent.urdf: file: file not found');
  });

  it('--help', () => {
    const r = inspect('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: npm run inspect/);
  });
});
