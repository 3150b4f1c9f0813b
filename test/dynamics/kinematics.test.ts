import { describe, expect, it } from 'vitest';
import { createData } from '../../server/dynamics/data.ts';
import { aba } from '../../server/dynamics/aba.ts';
import { nonLinearEffects } from '../../server/dynamics/rnea.ts';
import { crba } from '../../server/dynamics/crba.ts';
import { computeJointJacobians, frameJacobian } from '../../server/dynamics/jacobian.ts';
import { forwardKinematics, frameVelocity, updateFramePlacements } from '../../server/dynamics/kinematics.ts';
import { kineticEnergy, potentialEnergy } from '../../server/dynamics/energy.ts';
import { integrate, difference, dIntegrate, dDifference } from '../../server/dynamics/lie.ts';
import { JOINT_FREE, type Model } from '../../server/model/model.ts';
import { randomModel, randomConfiguration, randomVector, mulberry32, maxAbsDiff } from '../helpers/random-model.ts';

function rk4Step(model: Model, data: ReturnType<typeof createData>, q: Float64Array, v: Float64Array, dt: number): void {
  const nv = model.nv;
  const tau = new Float64Array(nv);
  const qt = new Float64Array(model.nq);
  const acc = (qq: Float64Array, vv: Float64Array) => new Float64Array(aba(model, data, qq, vv, tau));
  const k1v = v.slice(), k1a = acc(q, v);
  integrate(model, q, k1v, qt, dt / 2);
  const k2v = v.map((x, i) => x + (dt / 2) * k1a[i]); const k2a = acc(qt, k2v);
  integrate(model, q, k2v, qt, dt / 2);
  const k3v = v.map((x, i) => x + (dt / 2) * k2a[i]); const k3a = acc(qt, k3v);
  integrate(model, q, k3v, qt, dt);
  const k4v = v.map((x, i) => x + dt * k3a[i]); const k4a = acc(qt, k4v);
  const dq = k1v.map((x, i) => (x + 2 * k2v[i] + 2 * k3v[i] + k4v[i]) / 6);
  for (let i = 0; i < nv; i++) v[i] += (dt / 6) * (k1a[i] + 2 * k2a[i] + 2 * k3a[i] + k4a[i]);
  integrate(model, q, dq, q, dt);
}

describe('energy', () => {
  it('is conserved by passive motion of a free-floating random tree (RK4, relative drift < 1e-6)', () => {
    const model = randomModel(7, 8, true);
    const data = createData(model);
    const rng = mulberry32(3);
    const q = randomConfiguration(model, rng);
    const v = randomVector(model.nv, rng, 0.5);
    const E0 = kineticEnergy(model, data, q, v) + potentialEnergy(model, data, q);
    const K0 = kineticEnergy(model, data, q, v);
    for (let k = 0; k < 2000; k++) rk4Step(model, data, q, v, 2.5e-4);
    const E1 = kineticEnergy(model, data, q, v) + potentialEnergy(model, data, q);
    expect(Math.abs(E1 - E0) / K0).toBeLessThan(1e-6);
  });

  it('kinetic energy equals 1/2 v^T M v', () => {
    const model = randomModel(8, 10, true);
    const data = createData(model);
    const rng = mulberry32(4);
    const q = randomConfiguration(model, rng);
    const v = randomVector(model.nv, rng);
    const M = crba(model, data, q);
    let e = 0;
    for (let i = 0; i < model.nv; i++) for (let j = 0; j < model.nv; j++) e += 0.5 * v[i] * M[i * model.nv + j] * v[j];
    expect(kineticEnergy(model, data, q, v)).toBeCloseTo(e, 10);
  });
});

describe('single free rigid body (analytic)', () => {
  it('M = blockdiag(m I, I_origin) and nle = [m (w x v) - m R^T g ; w x (I w)] for a centred body', () => {
    const model = randomModel(9, 0, true);
    // make the COM sit at the origin so the analytic form is the textbook one
    (model.inertias as Float64Array).set([2, 0, 0, 0, 0.1, 0.2, 0.3, 0.01, 0.02, 0.03], 10);
    const data = createData(model);
    const rng = mulberry32(5);
    const q = randomConfiguration(model, rng);
    const v = randomVector(6, rng);
    const M = crba(model, data, q);
    const expectM = [2, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0.1, 0.01, 0.02, 0, 0, 0, 0.01, 0.2, 0.03, 0, 0, 0, 0.02, 0.03, 0.3];
    expect(maxAbsDiff(M, expectM)).toBeLessThan(1e-14);
    const nle = nonLinearEffects(model, data, q, v);
    const [qx, qy, qz, qw] = [q[3], q[4], q[5], q[6]];
    // R^T e_z: third row of R
    const Rz = [2 * (qx * qz - qw * qy), 2 * (qy * qz + qw * qx), 1 - 2 * (qx * qx + qy * qy)];
    const [vx, vy, vz, wx, wy, wz] = v;
    const I = [[0.1, 0.01, 0.02], [0.01, 0.2, 0.03], [0.02, 0.03, 0.3]];
    const Iw = I.map((r) => r[0] * wx + r[1] * wy + r[2] * wz);
    const expected = [
      2 * (wy * vz - wz * vy) + 2 * 9.81 * Rz[0],
      2 * (wz * vx - wx * vz) + 2 * 9.81 * Rz[1],
      2 * (wx * vy - wy * vx) + 2 * 9.81 * Rz[2],
      wy * Iw[2] - wz * Iw[1], wz * Iw[0] - wx * Iw[2], wx * Iw[1] - wy * Iw[0],
    ];
    expect(maxAbsDiff(nle, expected)).toBeLessThan(1e-12);
  });
});

describe('frame Jacobians', () => {
  const model = randomModel(11, 10, true);
  const data = createData(model);
  const rng = mulberry32(6);
  it.each(['local', 'world', 'local_world_aligned'] as const)('J v equals the frame velocity (%s)', (ref) => {
    for (let t = 0; t < 5; t++) {
      const q = randomConfiguration(model, rng);
      const v = randomVector(model.nv, rng);
      const J = new Float64Array(6 * model.nv);
      const vel = new Float64Array(6);
      for (let f = 0; f < model.frames.length; f++) {
        computeJointJacobians(model, data, q);
        frameJacobian(model, data, f, ref, J);
        forwardKinematics(model, data, q, v);
        frameVelocity(model, data, f, ref, vel);
        for (let r = 0; r < 6; r++) {
          let s = 0;
          for (let c = 0; c < model.nv; c++) s += J[r * model.nv + c] * v[c];
          expect(Math.abs(s - vel[r])).toBeLessThan(1e-10);
        }
      }
    }
  });

  it('local_world_aligned linear rows match finite differences of the frame position', () => {
    const q = randomConfiguration(model, rng);
    const J = new Float64Array(6 * model.nv);
    const f = model.frames.length - 1;
    computeJointJacobians(model, data, q);
    frameJacobian(model, data, f, 'local_world_aligned', J);
    const h = 1e-6;
    const dv = new Float64Array(model.nv);
    const qp = new Float64Array(model.nq), qm = new Float64Array(model.nq);
    for (let c = 0; c < model.nv; c++) {
      dv.fill(0); dv[c] = h; integrate(model, q, dv, qp);
      dv[c] = -h; integrate(model, q, dv, qm);
      forwardKinematics(model, data, qp); updateFramePlacements(model, data);
      const pp = data.oMf.slice(12 * f + 9, 12 * f + 12);
      forwardKinematics(model, data, qm); updateFramePlacements(model, data);
      const pm = data.oMf.slice(12 * f + 9, 12 * f + 12);
      for (let r = 0; r < 3; r++) expect(Math.abs((pp[r] - pm[r]) / (2 * h) - J[r * model.nv + c])).toBeLessThan(1e-7);
    }
  });
});

describe('Lie group operations', () => {
  const model = randomModel(12, 4, true);
  const rng = mulberry32(7);
  it('difference(q, integrate(q, v)) = v, and integrate keeps the quaternion unit', () => {
    for (let t = 0; t < 50; t++) {
      const q = randomConfiguration(model, rng);
      const v = randomVector(model.nv, rng, t < 10 ? 1e-6 : 1);
      const q1 = integrate(model, q, v, new Float64Array(model.nq));
      const d = difference(model, q, q1, new Float64Array(model.nv));
      expect(maxAbsDiff(d, v)).toBeLessThan(1e-10);
      expect(Math.hypot(q1[3], q1[4], q1[5], q1[6])).toBeCloseTo(1, 14);
    }
  });

  it('difference near a rotation of pi stays consistent', () => {
    const q = randomConfiguration(model, rng);
    const v = new Float64Array(model.nv);
    v[3] = Math.PI - 1e-6; v[0] = 0.3;
    const q1 = integrate(model, q, v, new Float64Array(model.nq));
    const d = difference(model, q, q1, new Float64Array(model.nv));
    expect(maxAbsDiff(d, v)).toBeLessThan(1e-6);
  });

  it('dIntegrate and dDifference match central finite differences', () => {
    const nv = model.nv, h = 1e-6;
    for (let t = 0; t < 10; t++) {
      const q = randomConfiguration(model, rng);
      const v = randomVector(nv, rng, t < 3 ? 1e-5 : 1);
      const q1 = randomConfiguration(model, rng);
      const Jq = new Float64Array(nv * nv), Jv = new Float64Array(nv * nv), J0 = new Float64Array(nv * nv), J1 = new Float64Array(nv * nv);
      dIntegrate(model, q, v, Jq, Jv);
      dDifference(model, q, q1, J0, J1);
      const base = integrate(model, q, v, new Float64Array(model.nq));
      const d0 = difference(model, q, q1, new Float64Array(nv));
      const e = new Float64Array(nv), qp = new Float64Array(model.nq), qm = new Float64Array(model.nq);
      const dp = new Float64Array(nv), dm = new Float64Array(nv);
      for (let c = 0; c < nv; c++) {
        // d/dq: perturb q on the manifold
        e.fill(0); e[c] = h; integrate(model, q, e, qp); e[c] = -h; integrate(model, q, e, qm);
        const ip = integrate(model, qp, v, new Float64Array(model.nq)), im = integrate(model, qm, v, new Float64Array(model.nq));
        difference(model, base, ip, dp); difference(model, base, im, dm);
        for (let r = 0; r < nv; r++) expect(Math.abs((dp[r] - dm[r]) / (2 * h) - Jq[r * nv + c])).toBeLessThan(1e-6);
        // d/dv
        const vp = v.slice(), vm = v.slice(); vp[c] += h; vm[c] -= h;
        difference(model, base, integrate(model, q, vp, new Float64Array(model.nq)), dp);
        difference(model, base, integrate(model, q, vm, new Float64Array(model.nq)), dm);
        for (let r = 0; r < nv; r++) expect(Math.abs((dp[r] - dm[r]) / (2 * h) - Jv[r * nv + c])).toBeLessThan(1e-6);
        // dDifference/dq0 and dq1
        difference(model, qp, q1, dp); difference(model, qm, q1, dm);
        for (let r = 0; r < nv; r++) expect(Math.abs((dp[r] - dm[r]) / (2 * h) - J0[r * nv + c])).toBeLessThan(1e-6);
        e.fill(0); e[c] = h; const q1p = integrate(model, q1, e, new Float64Array(model.nq)); e[c] = -h; const q1m = integrate(model, q1, e, new Float64Array(model.nq));
        difference(model, q, q1p, dp); difference(model, q, q1m, dm);
        for (let r = 0; r < nv; r++) expect(Math.abs((dp[r] - dm[r]) / (2 * h) - J1[r * nv + c])).toBeLessThan(1e-6);
      }
      expect(d0.length).toBe(nv);
    }
  });

  it('free-flyer is joint 1 in the random floating model', () => {
    expect(model.jointTypes[1]).toBe(JOINT_FREE);
  });
});
