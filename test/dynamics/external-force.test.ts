/**
 * PointForce (a world force at a frame as a generalized force) and Simulator.externalForce:
 * the power tauᵀv equals f · (the point's velocity from frameVelocity), and one step of a
 * free-floating Solo-12 from rest (no ground) changes its linear momentum by exactly f dt
 * relative to the same step without the force (momentum theorem).
 */
import { describe, expect, it } from 'vitest';
import { loadRobot, posture } from '../../server/model/robots.ts';
import { frameIndex } from '../../server/model/model.ts';
import { createData } from '../../server/dynamics/data.ts';
import { forwardKinematics, frameVelocity } from '../../server/dynamics/kinematics.ts';
import { centerOfMass } from '../../server/dynamics/energy.ts';
import { integrate } from '../../server/dynamics/lie.ts';
import { Simulator } from '../../server/dynamics/step.ts';
import { PointForce } from '../../server/dynamics/external-force.ts';

const { model, meta } = loadRobot('solo12');

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32 - 0.5; };
}

describe('PointForce', () => {
  it('delivers the power f · v_point (frameVelocity, local_world_aligned)', () => {
    const r = rng(7);
    const pf = new PointForce(model);
    const data = createData(model);
    const tau = new Float64Array(model.nv), vel = new Float64Array(6);
    for (const name of ['base_link', 'FL_FOOT', 'HR_LOWER_LEG']) {
      const id = frameIndex(model, name);
      const q0 = posture(meta, model, 'standing');
      const dq = Float64Array.from({ length: model.nv }, () => r());
      const q = integrate(model, q0, dq, new Float64Array(model.nq));
      const v = Float64Array.from({ length: model.nv }, () => 2 * r());
      const f = [10 * r(), 10 * r(), 10 * r()];
      pf.generalized(q, id, f, tau);
      forwardKinematics(model, data, q, v);
      frameVelocity(model, data, id, 'local_world_aligned', vel);
      const power = tau.reduce((s, t, i) => s + t * v[i], 0);
      const expected = f[0] * vel[0] + f[1] * vel[1] + f[2] * vel[2];
      expect(Math.abs(power - expected)).toBeLessThan(1e-12 * Math.max(1, Math.abs(expected)));
    }
  });

  it('a push changes the linear momentum by f dt over one step (no ground, from rest)', () => {
    const dt = 0.01;
    const scene = { ground: null, boxes: [] };
    const withF = new Simulator(model, scene, { dt });
    const without = new Simulator(model, scene, { dt });
    const q0 = posture(meta, model, 'standing');
    const v0 = new Float64Array(model.nv), u = new Float64Array(model.nu);
    const f = [3, -2, 5];
    const pf = new PointForce(model);
    withF.externalForce = pf.generalized(q0, frameIndex(model, 'FR_FOOT'), f, new Float64Array(model.nv));
    const qa = new Float64Array(model.nq), va = new Float64Array(model.nv);
    const qb = new Float64Array(model.nq), vb = new Float64Array(model.nv);
    withF.stepInto(q0, v0, u, qa, va);
    without.stepInto(q0, v0, u, qb, vb);
    // centre-of-mass velocity at q0 for a velocity v: central difference along q0 ⊕ ε v
    const data = createData(model);
    const comVel = (v: Float64Array) => {
      const eps = 1e-6;
      const p = Array.from(centerOfMass(model, data, integrate(model, q0, v, new Float64Array(model.nq), eps)));
      const m = Array.from(centerOfMass(model, data, integrate(model, q0, v, new Float64Array(model.nq), -eps)));
      return p.map((x, i) => (x - m[i]) / (2 * eps));
    };
    // the momentum theorem holds for the end-of-step velocity at q0; advance() re-expressed the
    // base's linear part in the turned base frame (v' = exp(-dt w) v): turn it back (Rodrigues)
    const atQ0 = (v: Float64Array) => {
      const out = Float64Array.from(v);
      const w = [v[3] * dt, v[4] * dt, v[5] * dt], th = Math.hypot(...w);
      if (th === 0) return out;
      const k = w.map((x) => x / th), p = [v[0], v[1], v[2]];
      const kxp = [k[1] * p[2] - k[2] * p[1], k[2] * p[0] - k[0] * p[2], k[0] * p[1] - k[1] * p[0]];
      const kp = k[0] * p[0] + k[1] * p[1] + k[2] * p[2];
      for (let i = 0; i < 3; i++) out[i] = p[i] * Math.cos(th) + kxp[i] * Math.sin(th) + k[i] * kp * (1 - Math.cos(th));
      return out;
    };
    centerOfMass(model, data, q0);
    const mass = data.mass;
    const da = comVel(atQ0(va)), db = comVel(atQ0(vb));
    for (let i = 0; i < 3; i++) expect(mass * (da[i] - db[i])).toBeCloseTo(f[i] * dt, 6);
    expect(Math.hypot(...qa.map((x, i) => x - qb[i]))).toBeGreaterThan(0);
  });

  it('leaves the step bit-identical when externalForce is null', () => {
    const a = new Simulator(model), b = new Simulator(model);
    b.externalForce = null;
    const q0 = posture(meta, model, 'standing');
    const x = new Float64Array(model.nq + model.nv); x.set(q0);
    const u = new Float64Array(model.nu).fill(0.1);
    const xa = a.step(x, u), xb = b.step(x, u);
    expect(Array.from(xa)).toEqual(Array.from(xb));
  });
});
