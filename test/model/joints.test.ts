/**
 * Every registered joint type (server/model/joints/) against independent references: its
 * motion subspace S is the derivative of its placement along its configuration space (finite
 * differences through lie.ts integrate), its neutral configuration gives the constant
 * placement, and its symbolic placement evaluated on numbers is the numeric one, bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { integrate } from '../../server/dynamics/lie.ts';
import { jointForUrdf, JOINT_TYPES, type JointArrays, type SymOps } from '../../server/model/joints/index.ts';
import { motionSubspaceColumn } from '../../server/model/joints/subspace.ts';
import type { Model } from '../../server/model/model.ts';
import { se3MulInv } from '../../server/model/spatial.ts';
import { gaussian, mulberry32 } from '../helpers/random-model.ts';

/** Plain f64 arithmetic as SymOps: the symbolic form evaluated on numbers. */
const NUM: SymOps<never> = {
  add: (a, b) => a + b, sub: (a, b) => a - b, mul: (a, b) => a * b, neg: (a) => -a, fma: (a, b, c) => a + b * c, div: (a, b) => a / b,
  cos: (a) => Math.cos(a), sin: (a) => Math.sin(a), def: (_n, a) => a,
};

/** A one-joint model (joint 1 of the given kind) with a random unit axis and placement. */
function oneJoint(kind: number, rng: () => number, principal: boolean) {
  const jt = JOINT_TYPES[kind];
  const axes = new Float64Array(6);
  if (principal) axes[3 + Math.floor(rng() * 3)] = 1;
  else {
    const a = [gaussian(rng), gaussian(rng), gaussian(rng)], n = Math.hypot(...a);
    for (let k = 0; k < 3; k++) axes[3 + k] = a[k] / n;
  }
  const P = new Float64Array(24);
  P[0] = 1; P[4] = 1; P[8] = 1;
  // rotation from a random unit quaternion, translation random (or identity rotation)
  const [x, y, z, w] = (() => { const q = [gaussian(rng), gaussian(rng), gaussian(rng), gaussian(rng)]; const n = Math.hypot(...q); return q.map((c) => c / n); })();
  const R = principal ? [1, 0, 0, 0, 1, 0, 0, 0, 1] : [
    1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
    2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
    2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
  ];
  P.set(R, 12);
  P.set([gaussian(rng), gaussian(rng), gaussian(rng)], 21);
  const model = {
    njoints: 2, nq: jt.nq, nv: jt.nv,
    jointTypes: Int32Array.of(-1, kind), idxQ: Int32Array.of(0, 0), idxV: Int32Array.of(0, 0),
    nqs: Int32Array.of(0, jt.nq), nvs: Int32Array.of(0, jt.nv), axes, jointPlacements: P,
  };
  return { jt, model: model as JointArrays & typeof model, asModel: model as unknown as Model };
}

describe('joint types (server/model/joints/)', () => {
  it('the registry: kinds are indices, URDF names belong to one type each', () => {
    JOINT_TYPES.forEach((t, k) => expect(t.kind).toBe(k));
    const names = JOINT_TYPES.flatMap((t) => t.urdfTypes);
    expect(new Set(names).size).toBe(names.length);
    for (const t of JOINT_TYPES) for (const u of t.urdfTypes) expect(jointForUrdf(u)).toBe(t);
    expect(jointForUrdf('fixed')).toBeUndefined();
    expect(jointForUrdf('planar')).toBeUndefined();
  });

  for (const jt of JOINT_TYPES) {
    for (const principal of [false, true]) {
      const which = principal ? 'principal axis, identity placement rotation' : 'general axis and placement';
      it(`${jt.name} (${which}): S is the derivative of the placement along the configuration space`, () => {
        const rng = mulberry32(17 + jt.kind + (principal ? 100 : 0));
        const { model, asModel } = oneJoint(jt.kind, rng, principal);
        const tmp = new Float64Array(12);
        const path = jt.placementPath(model, 1);
        if (principal && jt.name === 'revolute') expect(path).toBeLessThan(3);
        for (let trial = 0; trial < 5; trial++) {
          const q = new Float64Array(jt.nq);
          jt.neutral(q, 0);
          const dq = Float64Array.from({ length: jt.nv }, () => gaussian(rng));
          integrate(asModel, q, dq, q); // a random configuration on the manifold
          const L0 = new Float64Array(24), L1 = new Float64Array(24), rel = new Float64Array(12);
          jt.placement(model, 1, q, L0, tmp, path);
          for (let k = 0; k < jt.nv; k++) {
            const eps = 1e-6;
            const e = new Float64Array(jt.nv); e[k] = eps;
            const q1 = new Float64Array(jt.nq);
            integrate(asModel, q, e, q1);
            jt.placement(model, 1, q1, L1, tmp, path);
            se3MulInv(L0, 12, L1, 12, rel, 0); // liMi(q)^-1 liMi(q + eps e_k) = exp(eps S_k)
            const fd = [rel[9] / eps, rel[10] / eps, rel[11] / eps, (rel[7] - rel[5]) / (2 * eps), (rel[2] - rel[6]) / (2 * eps), (rel[3] - rel[1]) / (2 * eps)];
            const S = new Float64Array(6);
            motionSubspaceColumn({ ...model, jointTypes: model.jointTypes }, 1, k, S);
            for (let r = 0; r < 6; r++) expect(Math.abs(fd[r] - S[r])).toBeLessThan(1e-5);
          }
        }
      });

      it(`${jt.name} (${which}): the neutral configuration gives the constant placement; the symbolic placement on numbers is the numeric one`, () => {
        const rng = mulberry32(29 + jt.kind + (principal ? 100 : 0));
        const { model } = oneJoint(jt.kind, rng, principal);
        const tmp = new Float64Array(12), L = new Float64Array(24);
        const q = new Float64Array(jt.nq);
        jt.neutral(q, 0);
        jt.placement(model, 1, q, L, tmp, jt.placementPath(model, 1));
        for (let k = 0; k < 12; k++) expect(L[12 + k]).toBeCloseTo(model.jointPlacements[12 + k], 14);
        for (let trial = 0; trial < 5; trial++) {
          for (let i = 0; i < jt.nq; i++) q[i] = gaussian(rng);
          if (jt.nq === 7) { const n = Math.hypot(q[3], q[4], q[5], q[6]); for (let i = 3; i < 7; i++) q[i] /= n; }
          jt.placement(model, 1, q, L, tmp, jt.placementPath(model, 1));
          const sym = jt.placementSym(NUM, model, 1, (i) => q[i]);
          for (let k = 0; k < 12; k++) expect(Object.is(sym[k], L[12 + k]) || sym[k] === L[12 + k]).toBe(true);
        }
      });
    }
  }
});
