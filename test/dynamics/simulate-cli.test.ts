/**
 * npm run simulate (server/cli/simulate.ts), run as a child process the way npm runs it
 * (node --import tsx, without npx): the JSON it writes, its summary line, and its errors.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = mkdtempSync(path.join(tmpdir(), 'simulate-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function simulate(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'server/cli/simulate.ts', ...args],
      { cwd: ROOT, maxBuffer: 64 << 20, env: { ...process.env, NODE_NO_WARNINGS: '1' } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function tmpFile(name: string, text: string): string {
  const f = path.join(tmp, name);
  writeFileSync(f, text);
  return f;
}

/** The error contract: exit code 1, exactly one line on stderr, nothing on stdout. */
function expectOneLineError(r: Run, ...parts: string[]): void {
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0].startsWith('simulate: ')).toBe(true);
  for (const p of parts) expect(lines[0]).toContain(p);
}

interface Recording {
  robot: string;
  dt: number;
  duration: number;
  steps: number;
  hold: string;
  scene: { ground: { height: number; friction: number } | null; boxes: unknown[] };
  t: number[];
  q: number[][];
  v: number[][];
  contacts: { pos: number[]; force: number[] }[][];
}

describe('npm run simulate', () => {
  it('cube dropped from 0.2 m: JSON of the right shapes in --out, summary on stderr', async () => {
    const out = path.join(tmp, 'cube.json');
    const r = await simulate(['--robot', 'cube', '--height', '0.2', '--duration', '0.3', '--dt', '0.01', '--out', out]);
    expect(r.stderr).toMatch(/^simulate: cube, 30 steps of 0\.01 s .*final base height 0\.0\d+ m, max contacts 4, no joint stop hit, wall [\d.]+ s/);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const rec = JSON.parse(readFileSync(out, 'utf8')) as Recording;
    expect(rec.robot).toBe('cube');
    expect(rec.dt).toBe(0.01);
    expect(rec.duration).toBeCloseTo(0.3, 12);
    expect(rec.hold).toBe('none');
    expect(rec.scene.ground).toEqual({ height: 0, friction: 0.9 });
    const n = 31; // initial state + 30 steps
    for (const key of ['t', 'q', 'v', 'contacts'] as const) expect(rec[key]).toHaveLength(n);
    expect(rec.t[0]).toBe(0);
    expect(rec.t[n - 1]).toBeCloseTo(0.3, 12);
    for (const q of rec.q) expect(q).toHaveLength(7);
    for (const v of rec.v) expect(v).toHaveLength(6);
    expect(rec.q[0]).toEqual([0, 0, 0.2, 0, 0, 0, 1]);
    expect(rec.contacts[0]).toEqual([]);
    expect(rec.contacts[5]).toEqual([]); // still falling
    // at the end: resting flat on its four corners, contact forces carrying m g = 9.81 N
    const last = rec.contacts[n - 1];
    expect(last).toHaveLength(4);
    let fz = 0;
    for (const c of last) {
      expect(c.pos).toHaveLength(3);
      expect(c.force).toHaveLength(3);
      expect(Math.abs(c.pos[2])).toBeLessThan(1e-12);
      expect(Math.abs(Math.abs(c.pos[0]) - 0.05)).toBeLessThan(1e-6);
      fz += c.force[2];
    }
    expect(fz).toBeCloseTo(9.81, 6);
    expect(rec.q[n - 1][2]).toBeCloseTo(0.05, 3);
  });

  it('Solo-12 held by PD by default, JSON on stdout, a box step from scenes/step.json', async () => {
    const r = await simulate(['--robot', 'solo12', '--duration', '0.5', '--scene', 'scenes/step.json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^simulate: solo12, 50 steps .*hold pd.*max contacts 4/);
    const rec = JSON.parse(r.stdout) as Recording;
    expect(rec.hold).toBe('pd');
    expect(rec.scene.boxes).toHaveLength(1);
    expect(rec.q[50]).toHaveLength(19);
    expect(rec.v[50]).toHaveLength(18);
    expect(rec.contacts[50]).toHaveLength(4);
    expect(Math.abs(rec.q[50][2] - 0.2319)).toBeLessThan(1e-3); // standing on its feet
  });

  it('--torque drives the cube on its rail into its upper stop: it stays there, the stop carries the rest of the load', async () => {
    const r = await simulate(['--robot', 'cube_rail', '--torque', 'lift=15', '--duration', '3']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/joint stops hit: lift upper \(\d+ steps, last -5\.19\)/);
    const rec = JSON.parse(r.stdout) as Recording & { torques: Record<string, number>; limits: { joint: string; side: string; torque: number }[][] };
    expect(rec.torques).toEqual({ lift: 15 });
    expect(rec.limits).toHaveLength(301);
    expect(rec.limits[0]).toEqual([]);
    for (const q of rec.q) expect(q[0]).toBeLessThanOrEqual(2 + 1e-9); // the URDF's upper limit, 2 m
    expect(rec.q[300][0]).toBeCloseTo(2, 9);
    const last = rec.limits[300];
    expect(last).toHaveLength(1);
    expect(last[0].joint).toBe('lift');
    expect(last[0].side).toBe('upper');
    // at rest: the stop pushes down with 15 N - m g
    expect(Math.abs(last[0].torque - -(15 - 9.81))).toBeLessThan(1e-6 * 5.19);
  });

  it('bad --torque: exit 1, one line naming the problem', async () => {
    const runs = await Promise.all([
      simulate(['--robot', 'cube_rail', '--torque', 'lift']),
      simulate(['--robot', 'cube_rail', '--torque', 'lift=abc']),
      simulate(['--robot', 'cube_rail', '--torque', 'nope=1']),
      simulate(['--robot', 'cube_rail', '--torque', 'lift=1', '--torque', 'lift=2']),
    ]);
    expectOneLineError(runs[0], '--torque', 'JOINT=NM');
    expectOneLineError(runs[1], '--torque', "'abc'");
    expectOneLineError(runs[2], "'nope' is not an actuated one-dof joint of cube_rail", 'lift');
    expectOneLineError(runs[3], "joint 'lift' given twice");
  });

  it('bad scene file: exit 1 with the offending field named', async () => {
    const badFriction = tmpFile('bad-friction.json', JSON.stringify({ ground: { friction: -1 } }));
    const badBox = tmpFile('bad-box.json', JSON.stringify({ boxes: [{ size: [0.1, 0, 0.1] }] }));
    const notJson = tmpFile('not-json.json', '{ground: 1');
    const runs = await Promise.all(
      [badFriction, badBox, notJson, path.join(tmp, 'missing.json')].map((f) => simulate(['--robot', 'cube', '--scene', f])),
    );
    expectOneLineError(runs[0], 'ground.friction', 'bad-friction.json');
    expectOneLineError(runs[1], 'boxes[0].size[1]');
    expectOneLineError(runs[2], 'invalid JSON');
    expectOneLineError(runs[3], 'not found');
  });

  it('bad arguments and unknown robots: exit 1, one line', async () => {
    const runs = await Promise.all([
      simulate(['--robot', 'no_such_robot']),
      simulate(['--robot', 'cube', '--dt', '-0.01']),
      simulate(['--robot', 'cube', '--duration', 'abc']),
      simulate(['--robot', 'cube', '--hold', 'stiff']),
      simulate(['--robot', 'cube', '--hold', 'pd']),
      simulate(['--robot', 'cube', '--bogus']),
      simulate(['--duration', '1']),
      simulate(['--robot', 'robots/cube.urdf', '--height', '0.3']),
    ]);
    expectOneLineError(runs[0], "unknown robot 'no_such_robot'");
    expectOneLineError(runs[1], '--dt', '-0.01');
    expectOneLineError(runs[2], '--duration', 'abc');
    expectOneLineError(runs[3], '--hold', 'stiff');
    expectOneLineError(runs[4], 'no actuated joints');
    expectOneLineError(runs[5], "unknown option '--bogus'");
    expectOneLineError(runs[6], 'no robot given');
    expectOneLineError(runs[7], 'fixed base');
  });

  it('a diverging simulation stops with "simulation diverged at t = ..."', async () => {
    // a body with an arm under an absurd explicit PD gain (continuous joint: no effort limit)
    const urdf = tmpFile('flail.urdf', `<?xml version="1.0"?>
<robot name="flail">
  <link name="body">
    <inertial><mass value="1"/><inertia ixx="0.002" iyy="0.002" izz="0.002" ixy="0" ixz="0" iyz="0"/></inertial>
    <collision><geometry><box size="0.1 0.1 0.1"/></geometry></collision>
  </link>
  <joint name="hinge" type="continuous">
    <parent link="body"/><child link="arm"/><origin xyz="0.05 0 0"/><axis xyz="0 1 0"/>
  </joint>
  <link name="arm">
    <inertial><origin xyz="0.1 0 0"/><mass value="0.2"/><inertia ixx="0.001" iyy="0.001" izz="0.001" ixy="0" ixz="0" iyz="0"/></inertial>
    <collision><origin xyz="0.1 0 0"/><geometry><sphere radius="0.02"/></geometry></collision>
  </link>
</robot>`);
    const r = await simulate(['--robot', urdf, '--floating', '--height', '0.3', '--hold', 'pd', '--kp', '1e9', '--dt', '0.05', '--duration', '3']);
    expectOneLineError(r, 'simulation diverged at t = ');
    expect(r.stderr).toMatch(/t = [\d.]+ s/);
  });

  it('--help prints the usage and exits 0', async () => {
    const r = await simulate(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('usage: npm run simulate');
    for (const opt of ['--robot', '--floating', '--scene', '--duration', '--dt', '--hold', '--height', '--out']) expect(r.stdout).toContain(opt);
  });
});
