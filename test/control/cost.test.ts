/**
 * Cost terms: gradients against central finite differences in the tangent space (x ⊕ dx with
 * lie.ts integrate for q), Gauss-Newton Hessians against Jᵀ W J with J the finite-difference
 * residual Jacobian, PSD Hessians, on Solo-12 (floating base) at random states and on the
 * double pendulum.
 */
import { describe, expect, it } from 'vitest';
import {
  ControlRegularization, CostSum, FramePosition, FrameVelocity, QuadraticCost, StateRegularization,
  createCostDerivatives, type CostTerm,
} from '../../server/control/cost.ts';
import { integrateState } from '../../server/control/problem.ts';
import { choleskyInPlace } from '../../server/math/linalg.ts';
import { createData } from '../../server/dynamics/data.ts';
import { computeJointJacobians, frameJacobian } from '../../server/dynamics/jacobian.ts';
import { forwardKinematics, frameVelocity, updateFramePlacement } from '../../server/dynamics/kinematics.ts';
import { frameIndex, type Model } from '../../server/model/model.ts';
import { loadRobot, posture } from '../../server/model/robots.ts';
import { gaussian, mulberry32 } from '../helpers/random-model.ts';

const solo = loadRobot('solo12');
const pendulum = loadRobot('double_pendulum');

/** A random state: the given configuration moved by a random tangent vector, random velocity. */
function randomState(model: Model, q0: Float64Array, rng: () => number, scale = 0.5): Float64Array {
  const nq = model.nq, nv = model.nv;
  const x = new Float64Array(nq + nv);
  x.set(q0);
  const dx = new Float64Array(2 * nv).map(() => scale * gaussian(rng));
  integrateState(model, x, dx, x);
  return x;
}

function randomVec(n: number, rng: () => number, scale = 1): Float64Array {
  return new Float64Array(n).map(() => scale * gaussian(rng));
}

/** Central-difference gradient of f in the tangent space of x (ndx) and of u (nu). */
function fdGradients(model: Model, f: (x: Float64Array, u: Float64Array) => number, x: Float64Array, u: Float64Array, h = 1e-6) {
  const ndx = 2 * model.nv, nu = u.length;
  const gx = new Float64Array(ndx), gu = new Float64Array(nu);
  const dx = new Float64Array(ndx), xp = new Float64Array(x.length);
  for (let i = 0; i < ndx; i++) {
    dx.fill(0); dx[i] = h; integrateState(model, x, dx, xp); const fp = f(xp, u);
    dx[i] = -h; integrateState(model, x, dx, xp); const fm = f(xp, u);
    gx[i] = (fp - fm) / (2 * h);
  }
  for (let j = 0; j < nu; j++) {
    const up = Float64Array.from(u); up[j] += h; const fp = f(x, up);
    up[j] = u[j] - h; const fm = f(x, up);
    gu[j] = (fp - fm) / (2 * h);
  }
  return { gx, gu };
}

/** Central-difference residual Jacobian (nr × ndx and nr × nu) of a term inside a CostSum. */
function fdResidualJacobian(model: Model, sum: CostSum, term: CostTerm, x: Float64Array, u: Float64Array | null, h = 1e-6) {
  const ndx = 2 * model.nv, nu = model.nu, nr = term.nr;
  const r = (xx: Float64Array, uu: Float64Array | null): Float64Array => {
    computeJointJacobians(model, sum.data, xx);
    const out = new Float64Array(nr);
    term.residual({ model, data: sum.data }, xx, uu, out);
    return out;
  };
  const Jx = new Float64Array(nr * ndx), Ju = new Float64Array(nr * nu);
  const dx = new Float64Array(ndx), xp = new Float64Array(x.length);
  for (let i = 0; i < ndx; i++) {
    dx.fill(0); dx[i] = h; integrateState(model, x, dx, xp); const rp = r(xp, u);
    dx[i] = -h; integrateState(model, x, dx, xp); const rm = r(xp, u);
    for (let a = 0; a < nr; a++) Jx[a * ndx + i] = (rp[a] - rm[a]) / (2 * h);
  }
  if (u) {
    for (let j = 0; j < nu; j++) {
      const up = Float64Array.from(u); up[j] += h; const rp = r(x, up);
      up[j] = u[j] - h; const rm = r(x, up);
      for (let a = 0; a < nr; a++) Ju[a * nu + j] = (rp[a] - rm[a]) / (2 * h);
    }
  }
  return { Jx, Ju };
}

/** scale · Aᵀ diag(w) B for A (nr × n), B (nr × m). */
function atwb(A: Float64Array, B: Float64Array, w: Float64Array, nr: number, n: number, m: number, scale: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let a = 0; a < nr; a++) for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) out[i * m + j] += scale * w[a] * A[a * n + i] * B[a * m + j];
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function isPSD(H: Float64Array, n: number): boolean {
  const A = Float64Array.from(H);
  const tr = Array.from({ length: n }, (_, i) => A[i * n + i]).reduce((s, v) => s + v, 0);
  for (let i = 0; i < n; i++) A[i * n + i] += 1e-10 * (1 + tr);
  return choleskyInPlace(A, n);
}

interface Case { label: string; model: Model; q0: Float64Array; terms: (rng: () => number) => CostTerm[] }

const cases: Case[] = [
  {
    label: 'Solo-12 (floating)',
    model: solo.model,
    q0: posture(solo.meta, solo.model, 'standing'),
    terms: (rng) => {
      const m = solo.model;
      const xRef = randomState(m, posture(solo.meta, m, 'standing'), rng, 0.8);
      return [
        new StateRegularization(m, { xRef, weights: new Float64Array(2 * m.nv).map(() => 0.1 + rng()) }),
        new ControlRegularization(m.nu, { uRef: randomVec(m.nu, rng), weights: new Float64Array(m.nu).map(() => 0.1 + rng()) }),
        new FramePosition(m, { frame: 'FL_FOOT', target: [0.2, 0.1, 0.05], weights: [0.5, 2, 3] }),
        new FramePosition(m, { frame: 'HR_FOOT', target: [0, 0, 0.1], weights: [0, 0, 1], name: 'hrHeight' }),
        new FrameVelocity(m, { frame: 'FR_FOOT', weights: [1, 2, 0.5] }),
        new FrameVelocity(m, { frame: 'base_link', target: [0.1, -0.2, 0.3], weights: 1.5 }),
      ];
    },
  },
  {
    label: 'double pendulum',
    model: pendulum.model,
    q0: new Float64Array([0.4, -0.7]),
    terms: (rng) => {
      const m = pendulum.model;
      return [
        new StateRegularization(m, { xRef: [Math.PI, 0, 0.3, -0.2], weights: [3, 2, 0.1, 0.2] }),
        new ControlRegularization(m.nu, { weights: [0.01, 0.02] }),
        new FramePosition(m, { frame: 'tip', target: [0.05, 0.06, 0.3], weights: [1, 0, 4] }),
        new FrameVelocity(m, { frame: 'tip', target: randomVec(3, rng, 0.1), weights: [2, 1, 1] }),
      ];
    },
  },
];

describe.each(cases)('cost terms on $label', ({ model, q0, terms }) => {
  const ndx = 2 * model.nv, nu = model.nu;

  it('every term: lx, lu match central differences; lxx, luu, lux equal weight · Jᵀ W J (PSD)', () => {
    const rng = mulberry32(model.nv * 7 + 3);
    for (let trial = 0; trial < 3; trial++) {
      for (const term of terms(rng)) {
        const weight = 0.7;
        const sum = new CostSum(model, [{ term, weight }]);
        const x = randomState(model, q0, rng, 0.6);
        const u = randomVec(nu, rng);
        const d = createCostDerivatives(ndx, nu);
        const v = sum.calcDiff(x, u, d);
        expect(v).toBeCloseTo(sum.value(x, u), 12);
        const { gx, gu } = fdGradients(model, (xx, uu) => sum.value(xx, uu), x, u);
        const tol = 1e-6 * (1 + maxAbs(gx) + maxAbs(gu));
        expect(maxAbsDiff(d.lx, gx), `${term.name} lx`).toBeLessThan(tol);
        expect(maxAbsDiff(d.lu, gu), `${term.name} lu`).toBeLessThan(tol);
        // Gauss-Newton: weight · Jᵀ W J with the finite-difference residual Jacobian
        const { Jx, Ju } = fdResidualJacobian(model, sum, term, x, u);
        const w = term.weights, nr = term.nr;
        const Hxx = atwb(Jx, Jx, w, nr, ndx, ndx, weight);
        const Huu = atwb(Ju, Ju, w, nr, nu, nu, weight);
        const Hux = atwb(Ju, Jx, w, nr, nu, ndx, weight);
        const htol = 1e-6 * (1 + maxAbs(Hxx) + maxAbs(Huu));
        expect(maxAbsDiff(d.lxx, Hxx), `${term.name} lxx`).toBeLessThan(htol);
        expect(maxAbsDiff(d.luu, Huu), `${term.name} luu`).toBeLessThan(htol);
        expect(maxAbsDiff(d.lux, Hux), `${term.name} lux`).toBeLessThan(htol);
        expect(isPSD(d.lxx, ndx), `${term.name} lxx PSD`).toBe(true);
        expect(isPSD(d.luu, nu), `${term.name} luu PSD`).toBe(true);
        // symmetric
        for (let i = 0; i < ndx; i++) for (let j = 0; j < i; j++) expect(d.lxx[i * ndx + j]).toBeCloseTo(d.lxx[j * ndx + i], 12);
      }
    }
  });

  it('a sum of terms is the weighted sum of values and derivatives; terminal evaluation ignores u', () => {
    const rng = mulberry32(11);
    const ts = terms(rng);
    const weights = ts.map((_, i) => 0.5 + i);
    const sum = new CostSum(model, ts.map((term, i) => ({ term, weight: weights[i] })));
    const x = randomState(model, q0, rng);
    const u = randomVec(nu, rng);
    const d = createCostDerivatives(ndx, nu);
    const v = sum.calcDiff(x, u, d);
    const acc = createCostDerivatives(ndx, nu);
    let vs = 0;
    for (let i = 0; i < ts.length; i++) {
      const one = new CostSum(model, [{ term: ts[i], weight: weights[i] }]);
      const di = createCostDerivatives(ndx, nu);
      vs += one.calcDiff(x, u, di);
      for (const k of ['lx', 'lu', 'lxx', 'luu', 'lux'] as const) for (let j = 0; j < acc[k].length; j++) acc[k][j] += di[k][j];
    }
    expect(v).toBeCloseTo(vs, 10);
    for (const k of ['lx', 'lu', 'lxx', 'luu', 'lux'] as const) expect(maxAbsDiff(d[k], acc[k])).toBeLessThan(1e-9 * (1 + maxAbs(acc[k])));
    const per = new Float64Array(ts.length);
    expect(sum.termValues(x, u, per)).toBeCloseTo(v, 10);

    // terminal: a sum without control terms, u = null; lu etc. untouched
    const term = new CostSum(model, ts.filter((t) => !t.usesControl).map((t) => ({ term: t })));
    expect(term.usesControl).toBe(false);
    const dt = createCostDerivatives(ndx, nu);
    dt.lu.fill(7);
    const vt = term.calcDiff(x, null, dt);
    expect(vt).toBeCloseTo(term.value(x, null), 12);
    expect(Array.from(dt.lu).every((z) => z === 7)).toBe(true);
    const { gx } = fdGradients(model, (xx) => term.value(xx, null), x, new Float64Array(0));
    expect(maxAbsDiff(dt.lx, gx)).toBeLessThan(1e-6 * (1 + maxAbs(gx)));
    expect(() => sum.value(x, null)).toThrow(/without u/);
  });
});

describe('frame terms agree with the kinematics module', () => {
  it('Solo-12: frame position = oMf translation, J = frameJacobian local_world_aligned, velocity = frameVelocity', () => {
    const m = solo.model;
    const rng = mulberry32(5);
    const x = randomState(m, posture(solo.meta, m, 'standing'), rng, 0.7);
    const fid = frameIndex(m, 'HL_FOOT');
    const data = createData(m);
    computeJointJacobians(m, data, x);
    const J = frameJacobian(m, data, fid, 'local_world_aligned', new Float64Array(6 * m.nv));
    const oMf = updateFramePlacement(m, data, fid);
    const pos = new FramePosition(m, { frame: fid, target: [0, 0, 0] });
    const sum = new CostSum(m, [{ term: pos }]);
    const d = createCostDerivatives(2 * m.nv, m.nu);
    sum.calcDiff(x, null, d);
    const r = new Float64Array(3);
    pos.residual({ model: m, data: sum.data }, x, null, r);
    for (let a = 0; a < 3; a++) expect(r[a]).toBeCloseTo(oMf[9 + a], 12);
    // lx_q = Jᵀ r
    for (let i = 0; i < m.nv; i++) {
      let s = 0;
      for (let a = 0; a < 3; a++) s += J[a * m.nv + i] * r[a];
      expect(d.lx[i]).toBeCloseTo(s, 10);
    }
    const vel = new FrameVelocity(m, { frame: fid });
    const fv = new Float64Array(6);
    forwardKinematics(m, data, x, x.subarray(m.nq));
    frameVelocity(m, data, fid, 'local_world_aligned', fv);
    const sv = new CostSum(m, [{ term: vel }]);
    sv.value(x, null); // computes the kinematics in sv.data
    vel.residual({ model: m, data: sv.data }, x, null, r);
    for (let a = 0; a < 3; a++) expect(r[a]).toBeCloseTo(fv[a], 10);
  });
});

describe('QuadraticCost', () => {
  it('derivatives are exact on a Euclidean state', () => {
    const rng = mulberry32(2);
    const n = 3, m = 2;
    const M = randomVec(n * n, rng);
    const Q = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) Q[i * n + j] += M[k * n + i] * M[k * n + j];
    const R = new Float64Array([2, 0.3, 0.3, 1]);
    const N = randomVec(m * n, rng, 0.1);
    const c = new QuadraticCost(n, m, { Q, R, N, xRef: randomVec(n, rng), uRef: randomVec(m, rng) });
    const x = randomVec(n, rng), u = randomVec(m, rng);
    const d = createCostDerivatives(n, m);
    c.calcDiff(x, u, d);
    const h = 1e-6;
    for (let i = 0; i < n; i++) {
      const xp = Float64Array.from(x); xp[i] += h; const xm = Float64Array.from(x); xm[i] -= h;
      expect(d.lx[i]).toBeCloseTo((c.value(xp, u) - c.value(xm, u)) / (2 * h), 6);
    }
    for (let j = 0; j < m; j++) {
      const up = Float64Array.from(u); up[j] += h; const um = Float64Array.from(u); um[j] -= h;
      expect(d.lu[j]).toBeCloseTo((c.value(x, up) - c.value(x, um)) / (2 * h), 6);
    }
    expect(Array.from(d.lxx)).toEqual(Array.from(Q));
    expect(Array.from(d.lux)).toEqual(Array.from(N));
  });
});
