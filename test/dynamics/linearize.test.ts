/**
 * Finite-difference Jacobians of the contact step (Linearizer, forward differences with reuse)
 * against independent references: central differences of full, fresh steps, and the closed
 * form of B for contact-free motion.
 */
import { describe, expect, it } from 'vitest';
import { createData } from '../../server/dynamics/data.ts';
import { crba } from '../../server/dynamics/crba.ts';
import { choleskyInPlace, choleskySolveInPlace } from '../../server/math/linalg.ts';
import { Linearizer } from '../../server/dynamics/step-derivatives.ts';
import { staticEquilibrium } from '../../server/dynamics/statics.ts';
import { Simulator } from '../../server/dynamics/step.ts';
import { loadRobot, posture } from '../../server/model/robots.ts';
import type { Model } from '../../server/model/model.ts';
import { centralStepJacobians } from '../helpers/central-step.ts';

/** Central differences of full steps (test/helpers/central-step.ts) on a fresh simulator. */
const centralReference = (model: Model, mk: () => Simulator, q: Float64Array, v: Float64Array, u: Float64Array, h: number) =>
  centralStepJacobians(model, mk(), q, v, u, h);

function relErr(a: Float64Array, b: Float64Array): number {
  let e = 0, m = 0;
  for (let i = 0; i < a.length; i++) { e = Math.max(e, Math.abs(a[i] - b[i])); m = Math.max(m, Math.abs(b[i])); }
  return e / m;
}

describe('Linearizer', () => {
  it('matches central differences of full steps for Solo-12 standing on four contacts', () => {
    const { model, meta } = loadRobot('solo12');
    const q = posture(meta, model, 'standing');
    const v = new Float64Array(model.nv);
    const qref = q.slice(7);
    const eq = staticEquilibrium(model, q, meta.contactFrames);
    const mk = () => new Simulator(model, undefined, { dt: 0.01 });
    const sim = mk();
    const u = new Float64Array(model.nu);
    for (let k = 0; k < 60; k++) {
      for (let i = 0; i < 12; i++) u[i] = eq.tau[i] + 2 * (qref[i] - q[7 + i]) - 0.05 * v[6 + i];
      sim.stepInto(q, v, u, q, v);
    }
    expect(sim.info.contacts).toBe(4);
    // Resting contacts sit exactly at the kink of the gap rule (d = 0: a gap closes within the
    // step, a penetration inside the slop is kept), where one-sided and central differences
    // legitimately differ. Compare away from it: sink the feet 0.2 mm into the slop region.
    q[2] -= 2e-4;
    const nx = 2 * model.nv;
    const A = new Float64Array(nx * nx), B = new Float64Array(nx * model.nu);
    const qn = new Float64Array(model.nq), vn = new Float64Array(model.nv);
    new Linearizer(sim).linearize(q, v, u, qn, vn, A, B);
    const ref = centralReference(model, mk, q, v, u, 1e-5);
    expect(relErr(A, ref.A)).toBeLessThan(1e-5);
    expect(relErr(B, ref.B)).toBeLessThan(1e-4);
  });

  it('reusing kinematics outside the perturbed subtrees changes nothing, bit for bit (Solo-12, landing and moving)', () => {
    const { model, meta } = loadRobot('solo12');
    const q = posture(meta, model, 'standing');
    const v = new Float64Array(model.nv);
    const sim = new Simulator(model, undefined, { dt: 0.01 });
    const u = new Float64Array(model.nu);
    const nx = 2 * model.nv;
    let rng = 7;
    const rand = () => ((rng = (rng * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
    const qref = q.slice(7), eq = staticEquilibrium(model, q, meta.contactFrames);
    q[2] += 0.05; // dropped from 5 cm: in the air, landing, then moving on its feet under a noisy PD hold
    const seen = new Set<number>();
    for (let k = 0; k < 40; k++) {
      for (let i = 0; i < 12; i++) u[i] = eq.tau[i] + 2 * (qref[i] - q[7 + i]) - 0.05 * v[6 + i] + 2 * rand();
      sim.stepInto(q, v, u, q, v);
      if (k % 5 !== 1) continue;
      const outs = [true, false].map((reuseKinematics) => {
        const A = new Float64Array(nx * nx), B = new Float64Array(nx * model.nu);
        const s = new Simulator(model, undefined, { dt: 0.01 });
        new Linearizer(s, { reuseKinematics }).linearize(q, v, u, new Float64Array(model.nq), new Float64Array(model.nv), A, B);
        return { A: Array.from(A), B: Array.from(B), contacts: s.info.contacts };
      });
      expect(outs[0].A).toEqual(outs[1].A);
      expect(outs[0].B).toEqual(outs[1].B);
      seen.add(outs[0].contacts);
    }
    expect(seen.size).toBeGreaterThan(1); // several contact configurations were linearized
  });

  it('equals the closed form B = [dt^2 M^-1 S^T; dt M^-1 S^T] for contact-free motion', () => {
    const { model } = loadRobot('double_pendulum');
    const sim = new Simulator(model, { ground: null, boxes: [] }, { dt: 0.01 });
    const q = new Float64Array([0.7, -0.4]), v = new Float64Array([0.3, 1.1]), u = new Float64Array([0.2, -0.1]);
    const nx = 4;
    const A = new Float64Array(nx * nx), B = new Float64Array(nx * 2);
    new Linearizer(sim).linearize(q, v, u, new Float64Array(2), new Float64Array(2), A, B);
    const data = createData(model);
    const M = Float64Array.from(crba(model, data, q));
    choleskyInPlace(M, 2);
    for (let k = 0; k < 2; k++) {
      const e = new Float64Array(2); e[k] = 1;
      choleskySolveInPlace(M, 2, e);
      for (let r = 0; r < 2; r++) {
        expect(B[r * 2 + k]).toBeCloseTo(0.01 * 0.01 * e[r], 8);
        expect(B[(2 + r) * 2 + k]).toBeCloseTo(0.01 * e[r], 7);
      }
    }
    // and A against central differences
    const ref = centralReference(model, () => new Simulator(model, { ground: null, boxes: [] }, { dt: 0.01 }), q, v, u, 1e-5);
    expect(relErr(A, ref.A)).toBeLessThan(1e-6);
  });

  it('gives exactly zero derivatives of a resting cube with respect to a perturbation that keeps it resting', () => {
    const { model, meta } = loadRobot('cube');
    const sim = new Simulator(model, undefined, { dt: 0.01 });
    const q = posture(meta, model), v = new Float64Array(6);
    for (let k = 0; k < 10; k++) sim.stepInto(q, v, [], q, v);
    const A = new Float64Array(144), B = new Float64Array(0);
    new Linearizer(sim).linearize(q, v, [], new Float64Array(7), new Float64Array(6), A, B);
    // a small downward/horizontal velocity perturbation is absorbed by sticking contacts: the
    // next velocity does not depend on the initial vertical velocity (column v_z, rows v)
    for (let r = 6; r < 12; r++) expect(Math.abs(A[r * 12 + 8])).toBeLessThan(1e-9);
  });
});
