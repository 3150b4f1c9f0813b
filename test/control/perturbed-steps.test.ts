/**
 * The perturbed steps of randomized smoothing (server/control/perturbed-steps.ts), against
 * references built from the public Simulator.step and the Lie operations: the nominal is a
 * cold step, a control-only perturbation is a plain step at u + σw, a velocity perturbation
 * adds σw to v, a configuration perturbation moves q by σw in the tangent space, and every
 * sample starts cold (the result does not depend on the samples before it).
 */
import { describe, expect, it } from 'vitest';
import { PerturbedSteps } from '../../server/control/perturbed-steps.ts';
import { createSampleBatch } from '../../server/control/smoothing.ts';
import { Simulator } from '../../server/dynamics/step.ts';
import { difference } from '../../server/dynamics/lie.ts';
import { getTask, resolveParams } from '../../server/control/tasks/index.ts';
import { mulberry32 } from '../helpers/random-model.ts';

const def = getTask('lift-leg');
const built = def.build(resolveParams(def, { horizon: 0.1 }));
const model = built.model;
const { nq, nv, nu } = model;
const ndx = 2 * nv, n = ndx + nu;
const x = Float64Array.from(built.x0);
const u = Float64Array.from(built.uInit[0]);

/** A batch of M standard-normal-ish rows (uniform in [-1, 1]: any numbers do) with per-coordinate scales. */
function batchOf(M: number, sigma: (j: number) => number, seed: number) {
  const b = createSampleBatch(n, ndx, M);
  b.M = M;
  const rnd = mulberry32(seed);
  for (let i = 0; i < M * n; i++) b.W[i] = 2 * rnd() - 1;
  for (let j = 0; j < n; j++) b.sigma[j] = sigma(j);
  return b;
}

/** A fresh simulator's step from (q, v, u): the reference (cold contact start). */
function referenceStep(q: ArrayLike<number>, v: ArrayLike<number>, uu: ArrayLike<number>): Float64Array {
  const sim = new Simulator(model, built.scene, built.sim.options);
  const xx = new Float64Array(nq + nv);
  xx.set(q); xx.set(v, nq);
  return sim.step(xx, uu);
}

describe('PerturbedSteps', () => {
  it('nominal() is a cold step of the point, wherever x sits in its array', () => {
    const st = new PerturbedSteps(built.sim);
    const ref = referenceStep(x.subarray(0, nq), x.subarray(nq), u);
    const padded = new Float64Array(5 + nq + nv);
    padded.set(x, 5);
    st.nominal(padded, u, 5);
    expect(Array.from(st.qNom)).toEqual(Array.from(ref.subarray(0, nq)));
    expect(Array.from(st.vNom)).toEqual(Array.from(ref.subarray(nq)));
  });

  it('control noise only: each F row is step(x, u + σw) ⊖ step(x, u)', () => {
    const st = new PerturbedSteps(built.sim);
    const b = batchOf(6, (j) => (j >= ndx ? 0.7 : 0), 3);
    st.nominal(x, u);
    st.sampleValues(u, b);
    const nom = referenceStep(x.subarray(0, nq), x.subarray(nq), u);
    const dq = new Float64Array(nv);
    let moved = 0;
    for (let i = 0; i < b.M; i++) {
      const ui = Float64Array.from(u, (uk, k) => uk + 0.7 * b.W[i * n + ndx + k]);
      const next = referenceStep(x.subarray(0, nq), x.subarray(nq), ui);
      difference(model, nom.subarray(0, nq), next.subarray(0, nq), dq);
      for (let k = 0; k < nv; k++) {
        expect(b.F[i * ndx + k]).toBe(dq[k]);
        expect(b.F[i * ndx + nv + k]).toBe(next[nq + k] - nom[nq + k]);
        moved = Math.max(moved, Math.abs(b.F[i * ndx + nv + k]));
      }
    }
    expect(moved).toBeGreaterThan(0); // the noise reached the step
    expect(Array.from(b.f0)).toEqual(new Array(ndx).fill(0)); // the baseline is subtracted per row
  });

  it('state noise: v moves by σw exactly, q by σw in the tangent space', () => {
    const st = new PerturbedSteps(built.sim);
    const b = batchOf(3, (j) => (j < ndx ? 0.05 : 0.3), 5);
    st.nominal(x, u);
    const dq = new Float64Array(nv);
    for (let i = 0; i < b.M; i++) {
      st.perturb(u, b, i);
      for (let k = 0; k < nv; k++) expect(st.vs[k]).toBe(x[nq + k] + 0.05 * b.W[i * n + nv + k]);
      for (let k = 0; k < nu; k++) expect(st.us[k]).toBe(u[k] + 0.3 * b.W[i * n + ndx + k]);
      difference(model, x.subarray(0, nq), st.qs, dq);
      for (let k = 0; k < nv; k++) expect(dq[k]).toBeCloseTo(0.05 * b.W[i * n + k], 12);
    }
  });

  it('zero noise gives zero rows; every sample starts cold (rows do not depend on the rows before)', () => {
    const st = new PerturbedSteps(built.sim);
    const zero = batchOf(4, () => 0, 7);
    st.nominal(x, u);
    st.sampleValues(u, zero);
    expect(Array.from(zero.F.subarray(0, 4 * ndx))).toEqual(new Array(4 * ndx).fill(0));

    const b = batchOf(5, (j) => (j < ndx ? 0.02 : 0.5), 9);
    st.nominal(x, u);
    st.sampleValues(u, b);
    // the last row alone, on a fresh instance: the same numbers
    const last = batchOf(1, (j) => (j < ndx ? 0.02 : 0.5), 9);
    last.W.set(b.W.subarray(4 * n, 5 * n));
    const fresh = new PerturbedSteps(built.sim);
    fresh.nominal(x, u);
    fresh.sampleValues(u, last);
    expect(Array.from(last.F.subarray(0, ndx))).toEqual(Array.from(b.F.subarray(4 * ndx, 5 * ndx)));
  });
});
