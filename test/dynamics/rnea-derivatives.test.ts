/**
 * Analytic derivatives of RNEA and of the forward dynamics against central finite differences
 * (tangent space: q ⊕ h e_k through lie.ts integrate) on random states of Solo-12 (free-flyer),
 * the double pendulum and random trees with revolute and prismatic joints.
 */
import { describe, expect, it } from 'vitest';
import { aba } from '../../server/dynamics/aba.ts';
import { createData } from '../../server/dynamics/data.ts';
import { integrate } from '../../server/dynamics/lie.ts';
import { rnea } from '../../server/dynamics/rnea.ts';
import { abaDerivatives, createRneaDerivativesData, rneaDerivatives } from '../../server/dynamics/rnea-derivatives.ts';
import { crba } from '../../server/dynamics/crba.ts';
import { loadRobot } from '../../server/model/robots.ts';
import type { Model } from '../../server/model/model.ts';
import { mulberry32, randomConfiguration, randomModel, randomVector } from '../helpers/random-model.ts';

type Fn = (q: Float64Array, v: Float64Array) => Float64Array;

/** Central differences of f (nv outputs) w.r.t. q (tangent) and v: [dq, dv], nv x nv row-major each. */
function central(model: Model, f: Fn, q: Float64Array, v: Float64Array, h: number) {
  const nv = model.nv;
  const dq = new Float64Array(nv * nv), dv = new Float64Array(nv * nv);
  const e = new Float64Array(nv);
  for (let k = 0; k < nv; k++) {
    e.fill(0); e[k] = h;
    const fp = f(integrate(model, q, e, new Float64Array(model.nq)), v).slice();
    e[k] = -h;
    const fm = f(integrate(model, q, e, new Float64Array(model.nq)), v).slice();
    for (let r = 0; r < nv; r++) dq[r * nv + k] = (fp[r] - fm[r]) / (2 * h);
    const vp = v.slice(); vp[k] += h;
    const gp = f(q, vp).slice();
    vp[k] -= 2 * h;
    const gm = f(q, vp).slice();
    for (let r = 0; r < nv; r++) dv[r * nv + k] = (gp[r] - gm[r]) / (2 * h);
  }
  return { dq, dv };
}

function relErr(a: Float64Array, b: Float64Array): number {
  let e = 0, m = 0;
  for (let i = 0; i < a.length; i++) { e = Math.max(e, Math.abs(a[i] - b[i])); m = Math.max(m, Math.abs(b[i])); }
  return e / m;
}

function robotCases(): { name: string; model: Model; q: (rng: () => number) => Float64Array }[] {
  const solo = loadRobot('solo12').model, pend = loadRobot('double_pendulum').model;
  return [
    { name: 'solo12', model: solo, q: (rng) => randomConfiguration(solo, rng) },
    { name: 'double_pendulum', model: pend, q: (rng) => randomConfiguration(pend, rng) },
    { name: 'random tree (fixed)', model: randomModel(7, 6, false), q: (rng) => randomConfiguration(randomModel(7, 6, false), rng) },
    { name: 'random tree (floating)', model: randomModel(11, 5, true), q: (rng) => randomConfiguration(randomModel(11, 5, true), rng) },
  ];
}

describe('rneaDerivatives', () => {
  for (const { name, model, q: drawQ } of robotCases()) {
    it(`matches central differences of RNEA on ${name}`, () => {
      const rng = mulberry32(42);
      const data = createData(model), fd = createData(model), w = createRneaDerivativesData(model);
      for (let trial = 0; trial < 3; trial++) {
        const q = drawQ(rng), v = randomVector(model.nv, rng, 2), a = randomVector(model.nv, rng, 3);
        rneaDerivatives(model, data, w, q, v, a);
        expect(relErr(w.tau, rnea(model, fd, q, v, a).slice())).toBeLessThan(1e-12);
        const ref = central(model, (qq, vv) => rnea(model, fd, qq, vv, a), q, v, 1e-6);
        expect(relErr(w.dtau_dq, ref.dq)).toBeLessThan(1e-6);
        expect(relErr(w.dtau_dv, ref.dv)).toBeLessThan(1e-6);
      }
    });
  }
});

describe('abaDerivatives', () => {
  for (const { name, model, q: drawQ } of robotCases()) {
    it(`matches central differences of ABA on ${name}, and da/dtau = M^-1`, () => {
      const rng = mulberry32(7);
      const data = createData(model), fd = createData(model), w = createRneaDerivativesData(model);
      const nv = model.nv;
      for (let trial = 0; trial < 2; trial++) {
        const q = drawQ(rng), v = randomVector(nv, rng, 2), tau = randomVector(nv, rng, 3);
        abaDerivatives(model, data, w, q, v, tau);
        // h = 1e-5: M⁻¹ amplifies the rounding of ABA's values (1e-6 leaves ~1e-6 relative noise on Solo)
        const ref = central(model, (qq, vv) => aba(model, fd, qq, vv, tau), q, v, 1e-5);
        expect(relErr(w.da_dq, ref.dq)).toBeLessThan(1e-6);
        expect(relErr(w.da_dv, ref.dv)).toBeLessThan(1e-6);
        // M * da_dtau = I
        const M = crba(model, fd, q);
        let err = 0;
        for (let r = 0; r < nv; r++) for (let c = 0; c < nv; c++) {
          let s = 0;
          for (let k = 0; k < nv; k++) s += M[r * nv + k] * w.da_dtau[k * nv + c];
          err = Math.max(err, Math.abs(s - (r === c ? 1 : 0)));
        }
        expect(err).toBeLessThan(1e-9);
      }
    });
  }
});
