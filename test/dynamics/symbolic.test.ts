/**
 * The symbolic algorithms (server/dynamics/symbolic/) evaluated on plain f64 numbers, against
 * the generic numeric code: CRBA, RNEA and LTDL equal (===, the same operations in the same
 * order), and a contact's rows checked against their definition (Jc = R^T (J_lin + J_ang x p),
 * L^T D^1/2 W = Jc^T) to 1e-12. The printers (JavaScript and WGSL) run these same functions;
 * their own tests compare the generated code with the generic code.
 */
import { describe, expect, it } from 'vitest';
import { crbaFromPlacementsGeneric } from '../../server/dynamics/crba.ts';
import { createData } from '../../server/dynamics/data.ts';
import { ltdlFactorGeneric, ltdlSolveGeneric, ltdlSolveLGeneric } from '../../server/dynamics/factor-m.ts';
import { jointJacobiansFromPlacementsGeneric } from '../../server/dynamics/jacobian.ts';
import { forwardKinematicsGeneric } from '../../server/dynamics/kinematics.ts';
import { rneaFromPlacementsGeneric } from '../../server/dynamics/rnea.ts';
import { contactImpulseSym, contactRowsSym, contactVelocitySym, contactWSym, delassusBlockSym } from '../../server/dynamics/symbolic/contact-rows.ts';
import { crbaCompositeSym, crbaJointSym } from '../../server/dynamics/symbolic/crba.ts';
import { ltdlFactorSym, ltdlSolveSym } from '../../server/dynamics/symbolic/ltdl.ts';
import { rneaBackwardSym, rneaForwardSym } from '../../server/dynamics/symbolic/rnea.ts';
import type { SymOps } from '../../server/model/joints/types.ts';
import { dofParents, type Model } from '../../server/model/model.ts';
import { loadRobot } from '../../server/model/robots.ts';
import { gaussian, mulberry32, randomConfiguration, randomModel } from '../helpers/random-model.ts';

/** Plain f64 arithmetic as SymOps. */
const NUM: SymOps<never> = {
  add: (a, b) => a + b, sub: (a, b) => a - b, mul: (a, b) => a * b, neg: (a) => -a, fma: (a, b, c) => a + b * c,
  div: (a, b) => a / b, cos: (a) => Math.cos(a), sin: (a) => Math.sin(a), def: (_n, a) => a,
};

const models: [string, () => Model][] = [
  ['solo12', () => loadRobot('solo12').model],
  ['cube_rail (prismatic)', () => loadRobot('cube_rail').model],
  ['random floating tree (general axes, prismatic)', () => randomModel(7, 10, true)],
  ['random fixed-base forest', () => randomModel(11, 8, false)],
];

const row = (a: Float64Array, o: number, n: number): number[] => Array.from(a.subarray(o, o + n));

/** Every entry equal (=== : the sign of a zero may differ, as the folding printers allow). */
function expectEqual(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) expect.fail(`${what}[${i}]: ${got[i]} !== ${want[i]}`);
}

describe.each(models)('symbolic algorithms on numbers: %s', (_name, make) => {
  const model = make();
  const nv = model.nv;
  const rng = mulberry32(5);

  it('CRBA (crbaJointSym, crbaCompositeSym) === crbaFromPlacementsGeneric', () => {
    for (let s = 0; s < 4; s++) {
      const data = createData(model);
      forwardKinematicsGeneric(model, data, randomConfiguration(model, rng));
      crbaFromPlacementsGeneric(model, data);
      const M = new Array<number>(nv * nv).fill(0);
      const Yc = Array.from({ length: model.njoints }, (_, j) => row(data.Ybody, 10 * j, 10));
      for (let j = model.njoints - 1; j >= 1; j--) {
        crbaJointSym(NUM, model, j, {
          composite: () => Yc[j],
          write: (_l, r, c, x) => { M[r * nv + c] = x; M[c * nv + r] = x; },
          placement: (i) => row(data.liMi, 12 * i, 12),
        });
        const p = model.parents[j];
        if (p > 0) Yc[p] = crbaCompositeSym(NUM, row(data.liMi, 12 * j, 12), Yc[j]).map((x, k) => Yc[p][k] + x);
      }
      expectEqual(M, data.M, 'M');
    }
  });

  it('RNEA (rneaForwardSym, rneaBackwardSym) === rneaFromPlacementsGeneric, with and without a', () => {
    for (let s = 0; s < 4; s++) {
      const data = createData(model);
      forwardKinematicsGeneric(model, data, randomConfiguration(model, rng));
      const v = Array.from({ length: nv }, () => gaussian(rng)), a = s % 2 ? Array.from({ length: nv }, () => gaussian(rng)) : null;
      rneaFromPlacementsGeneric(model, data, v, a);
      const g = model.gravity;
      const V: number[][] = [[0, 0, 0, 0, 0, 0]], A: number[][] = [[-g[0], -g[1], -g[2], 0, 0, 0]], F: number[][] = [[0, 0, 0, 0, 0, 0]];
      const tau = new Array<number>(nv).fill(0);
      for (let j = 1; j < model.njoints; j++) {
        const p = model.parents[j], iv = model.idxV[j];
        V[j] = []; A[j] = []; F[j] = [];
        rneaForwardSym(NUM, model, j, {
          placement: () => row(data.liMi, 12 * j, 12),
          v: (i) => v[iv + i],
          a: a ? (i) => a[iv + i] : undefined,
          parentVelocity: () => V[p],
          parentAcceleration: () => A[p],
          motion: (w, k, x) => { (w === 'V' ? V : A)[j][k] = x; },
          inertia: () => row(data.Ybody, 10 * j, 10),
          force: (k, x) => { F[j][k] = x; },
        });
      }
      for (let j = model.njoints - 1; j >= 1; j--) {
        const p = model.parents[j], iv = model.idxV[j];
        rneaBackwardSym(NUM, model, j, {
          force: () => F[j],
          torque: (r, x) => { tau[iv + r] = x; },
          placement: () => row(data.liMi, 12 * j, 12),
          addToParent: (k, x) => { F[p][k] += x; },
        });
      }
      expectEqual(tau, data.tau, 'tau');
      expectEqual(V.flat(), data.v.subarray(0, 6 * model.njoints), 'v');
    }
  });

  it('LTDL (ltdlFactorSym, ltdlSolveSym) === ltdlFactorGeneric, ltdlSolveGeneric, ltdlSolveLGeneric', () => {
    const data = createData(model);
    forwardKinematicsGeneric(model, data, randomConfiguration(model, rng));
    crbaFromPlacementsGeneric(model, data);
    const lambda = dofParents(model);
    const want = Float64Array.from(data.M);
    expect(ltdlFactorGeneric(lambda, want, nv)).toBe(true);
    const H = Array.from(data.M);
    let pivotsPositive = true;
    ltdlFactorSym(NUM, lambda, {
      get: (i) => H[i], set: (i, x) => { H[i] = x; }, subFrom: (i, y) => { H[i] -= y; },
      pivot: (_k, i) => { pivotsPositive &&= H[i] > 0; return H[i]; },
    });
    expect(pivotsPositive).toBe(true);
    for (let i = 0; i < nv; i++) for (const k of [i, ...ancestors(lambda, i)]) expect(H[i * nv + k] === want[i * nv + k]).toBe(true);
    for (const withBack of [true, false]) {
      const b = Array.from({ length: nv }, () => gaussian(rng));
      const bw = Float64Array.from(b);
      if (withBack) ltdlSolveGeneric(lambda, want, nv, bw); else ltdlSolveLGeneric(lambda, want, nv, bw);
      ltdlSolveSym(NUM, lambda, {
        L: (i) => H[i], get: (k) => b[k], set: (k, x) => { b[k] = x; },
        subFrom: (k, y) => { b[k] -= y; }, divBy: (k, y) => { b[k] /= y; },
        nonZero: (x, body) => { if (x !== 0) body(); },
      }, withBack);
      expectEqual(b, bw, withBack ? 'solve' : 'solveL');
    }
  });

  it('contact rows (contactRowsSym, contactWSym, delassusBlockSym): Jc = R^T (J_lin + J_ang x p), L^T D^1/2 W = Jc^T, G = W^T W, Jc v, W^T lambda', () => {
    const data = createData(model);
    forwardKinematicsGeneric(model, data, randomConfiguration(model, rng));
    crbaFromPlacementsGeneric(model, data);
    const J = jointJacobiansFromPlacementsGeneric(model, data);
    const lambda = dofParents(model);
    const Hf = Float64Array.from(data.M);
    ltdlFactorGeneric(lambda, Hf, nv);
    // a random frame (orthonormal: Gram-Schmidt) and point
    const c0 = [gaussian(rng), gaussian(rng), gaussian(rng)], c1 = [gaussian(rng), gaussian(rng), gaussian(rng)];
    const unit = (x: number[]) => { const n = Math.hypot(...x); return x.map((y) => y / n); };
    const e0 = unit(c0), d = c1[0] * e0[0] + c1[1] * e0[1] + c1[2] * e0[2];
    const e1 = unit(c1.map((y, k) => y - d * e0[k]));
    const e2 = [e0[1] * e1[2] - e0[2] * e1[1], e0[2] * e1[0] - e0[0] * e1[2], e0[0] * e1[1] - e0[1] * e1[0]];
    const R = [e0[0], e1[0], e2[0], e0[1], e1[1], e2[1], e0[2], e1[2], e2[2]];
    const p = [gaussian(rng), gaussian(rng), gaussian(rng)];
    const leaf = nv - 1;
    const chain = [leaf, ...ancestors(lambda, leaf)];
    const len = chain.length;
    const rows: number[][] = [[], [], []];
    contactRowsSym(NUM, len, p, R, {
      J: (t, k) => J[k * nv + chain[t]],
      translational: () => false,
      rows: (t, x) => { for (let r = 0; r < 3; r++) rows[r][t] = x[r]; },
    });
    for (let t = 0; t < len; t++) {
      const k = chain[t];
      const Jl = [0, 1, 2].map((i) => J[i * nv + k]), Ja = [3, 4, 5].map((i) => J[i * nv + k]);
      const vel = [Jl[0] + Ja[1] * p[2] - Ja[2] * p[1], Jl[1] + Ja[2] * p[0] - Ja[0] * p[2], Jl[2] + Ja[0] * p[1] - Ja[1] * p[0]];
      for (let r = 0; r < 3; r++) expect(rows[r][t]).toBeCloseTo(R[r] * vel[0] + R[3 + r] * vel[1] + R[6 + r] * vel[2], 12);
    }
    const w = rows.map((x) => x.slice()), W: number[][] = [[], [], []];
    contactWSym(NUM, len, {
      L: (t, u) => Hf[chain[t] * nv + chain[u]],
      sd: (t) => 1 / Math.sqrt(Hf[chain[t] * nv + chain[t]]),
      get: (t, r) => w[r][t], subFrom: (t, r, y) => { w[r][t] -= y; }, W: (t, r, x) => { W[r][t] = x; },
    });
    // L^T D^1/2 W: (L^T y)_k = y_k + sum over descendants t of k on the chain of L[t, k] y_t
    for (let r = 0; r < 3; r++) {
      for (let u = 0; u < len; u++) {
        let s = W[r][u] * Math.sqrt(Hf[chain[u] * nv + chain[u]]);
        for (let t = 0; t < u; t++) s += Hf[chain[t] * nv + chain[u]] * W[r][t] * Math.sqrt(Hf[chain[t] * nv + chain[t]]);
        expect(s).toBeCloseTo(rows[r][u], 10);
      }
    }
    // g = Jc v and rv += W^T lambda, chain order
    const v = Array.from({ length: len }, () => gaussian(rng)), lam = [gaussian(rng), gaussian(rng), gaussian(rng)];
    const gv = [0, 0, 0];
    contactVelocitySym(NUM, len, { Jc: (t, r) => rows[r][t], v: (t) => v[t], acc: (r, x, y) => { gv[r] += x * y; } });
    const rv = v.slice();
    contactImpulseSym(NUM, len, { W: (t, r) => W[r][t], lambda: (r) => lam[r], get: (t) => rv[t], set: (t, x) => { rv[t] = x; } });
    for (let r = 0; r < 3; r++) {
      let want = 0;
      for (let t = 0; t < len; t++) want += rows[r][t] * v[t];
      expect(gv[r]).toBe(want);
    }
    for (let t = 0; t < len; t++) expect(rv[t]).toBe(v[t] + W[0][t] * lam[0] + W[1][t] * lam[1] + W[2][t] * lam[2]);
    // the diagonal Delassus block W^T W (r <= s) and a full block of W against itself reversed in rows
    for (const diagonal of [true, false]) {
      const g = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
      const other = (t: number, r: number) => W[2 - r][t];
      delassusBlockSym(NUM, len, { a: (t, r) => W[r][t], b: other, acc: (r, c, x, y) => { g[r][c] += x * y; } }, diagonal);
      for (let r = 0; r < 3; r++) {
        for (let c = diagonal ? r : 0; c < 3; c++) {
          let want = 0;
          for (let t = 0; t < len; t++) want += W[r][t] * (diagonal ? W[c][t] : other(t, c));
          expect(g[r][c]).toBe(want);
        }
      }
    }
  });
});

function ancestors(lambda: Int32Array, k: number): number[] {
  const out: number[] = [];
  for (let i = lambda[k]; i !== -1; i = lambda[i]) out.push(i);
  return out;
}
