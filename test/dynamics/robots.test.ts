/**
 * The algorithms on the project's real robots: energy conservation of a free-floating Solo-12
 * and a swinging double pendulum, the standing posture's foot heights, and the dynamics CLI.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { aba } from '../../server/dynamics/aba.ts';
import { createData, type Data } from '../../server/dynamics/data.ts';
import { kineticEnergy, potentialEnergy } from '../../server/dynamics/energy.ts';
import { forwardKinematics, updateFramePlacements } from '../../server/dynamics/kinematics.ts';
import { integrate } from '../../server/dynamics/lie.ts';
import { frameIndex, type Model } from '../../server/model/model.ts';
import { loadRobot, posture } from '../../server/model/robots.ts';

/** Classical RK4 with the configuration advanced on the manifold (2nd-order in the rotation). */
function rk4(model: Model, data: Data, q: Float64Array, v: Float64Array, dt: number): void {
  const tau = new Float64Array(model.nv);
  const qt = new Float64Array(model.nq);
  const acc = (qq: Float64Array, vv: Float64Array) => new Float64Array(aba(model, data, qq, vv, tau));
  const a1 = acc(q, v);
  const v2 = v.map((x, i) => x + (dt / 2) * a1[i]); integrate(model, q, v, qt, dt / 2); const a2 = acc(qt, v2);
  const v3 = v.map((x, i) => x + (dt / 2) * a2[i]); integrate(model, q, v2, qt, dt / 2); const a3 = acc(qt, v3);
  const v4 = v.map((x, i) => x + dt * a3[i]); integrate(model, q, v3, qt, dt); const a4 = acc(qt, v4);
  const dq = v.map((x, i) => (x + 2 * v2[i] + 2 * v3[i] + v4[i]) / 6);
  for (let i = 0; i < model.nv; i++) v[i] += (dt / 6) * (a1[i] + 2 * a2[i] + 2 * a3[i] + a4[i]);
  integrate(model, q, dq, q, dt);
}

function energy(model: Model, data: Data, q: Float64Array, v: Float64Array): number {
  return kineticEnergy(model, data, q, v) + potentialEnergy(model, data, q);
}

describe('energy conservation on the project robots', () => {
  it('free-floating Solo-12 tumbling with moving joints: relative drift < 1e-6 over 0.5 s', () => {
    const { model, meta } = loadRobot('solo12');
    const data = createData(model);
    const q = posture(meta, model, 'standing');
    const v = new Float64Array(model.nv).map((_, i) => 0.8 * Math.sin(1.3 * i + 0.4));
    const K = kineticEnergy(model, data, q, v);
    const E0 = energy(model, data, q, v);
    for (let k = 0; k < 1000; k++) rk4(model, data, q, v, 5e-4);
    expect(Math.abs(energy(model, data, q, v) - E0) / K).toBeLessThan(1e-6);
  });

  it('double pendulum swinging from horizontal: relative drift < 1e-6 over 1 s', () => {
    const { model } = loadRobot('double_pendulum');
    const data = createData(model);
    const q = new Float64Array([Math.PI / 2, 0.3]);
    const v = new Float64Array([0, 0]);
    const E0 = energy(model, data, q, v);
    let Kmax = 0;
    for (let k = 0; k < 2000; k++) {
      rk4(model, data, q, v, 5e-4);
      Kmax = Math.max(Kmax, kineticEnergy(model, data, q, v));
    }
    expect(Kmax).toBeGreaterThan(0.01); // it really swung
    expect(Math.abs(energy(model, data, q, v) - E0) / Kmax).toBeLessThan(1e-6);
  });
});

describe('Solo-12 standing posture', () => {
  it('puts the four foot frames at z = -0.2159 m in the base frame', () => {
    const { model, meta } = loadRobot('solo12');
    const data = createData(model);
    const q = posture(meta, model, 'standing');
    // base at the origin with identity orientation: world = base frame
    q[0] = 0; q[1] = 0; q[2] = 0;
    forwardKinematics(model, data, q);
    updateFramePlacements(model, data);
    for (const foot of ['FL_FOOT', 'FR_FOOT', 'HL_FOOT', 'HR_FOOT']) {
      const f = frameIndex(model, foot);
      expect(data.oMf[12 * f + 11]).toBeCloseTo(-0.2159, 4);
    }
  });
});

describe('npm run dynamics', () => {
  it('answers each JSON line, reports malformed lines and goes on', () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const q = [0, 0, 0.235, 0, 0, 0, 1, 0.1, 0.8, -1.6, -0.1, 0.8, -1.6, 0.1, -0.8, 1.6, -0.1, -0.8, 1.6];
    const zeros = new Array(18).fill(0);
    const input = [JSON.stringify({ q, v: zeros, tau: zeros }), '{bad', JSON.stringify({ q: [1], v: zeros, tau: zeros }), JSON.stringify({ q, v: zeros, tau: zeros })].join('\n');
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'server/cli/dynamics.ts', 'solo12'], { cwd: root, input, encoding: 'utf8' });
    const lines = out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    expect(lines[0].ddq[2]).toBeCloseTo(-9.81, 10); // free fall with zero torques
    expect(lines[0].M).toHaveLength(18);
    expect(lines[0].M[0][0]).toBeCloseTo(2.50000279, 8);
    expect(lines[0].nle[2]).toBeCloseTo(2.50000279 * 9.81, 8);
    expect(lines[1].error).toMatch(/line 2: invalid JSON/);
    expect(lines[2].error).toMatch(/line 3: 'q' has 1 numbers, expected 19/);
    expect(lines[3]).toEqual(lines[0]);
  });
});
