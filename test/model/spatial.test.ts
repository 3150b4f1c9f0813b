/** Spatial algebra helpers against naive 6x6 matrix formulas (independent reference). */
import { describe, expect, it } from 'vitest';
import {
  motionCross, motionCrossForce,
  axisAngleToRot, forceAct, inertiaActAdd, inertiaComToOrigin, inertiaMulMotion, inertiaToMatrix, motionAct, motionActInv,
  quatToRot, rotToQuat, se3Identity, se3Inverse, se3Mul, se3MulInv,
} from '../../server/model/spatial.ts';
import { gaussian, maxAbsDiff, mulberry32 } from '../helpers/random-model.ts';

const rng = mulberry32(99);
function randomSE3(): Float64Array {
  const M = new Float64Array(12);
  const a = [gaussian(rng), gaussian(rng), gaussian(rng)];
  const n = Math.hypot(...a);
  axisAngleToRot(a[0] / n, a[1] / n, a[2] / n, 3 * rng(), M, 0);
  for (let k = 9; k < 12; k++) M[k] = gaussian(rng);
  return M;
}
/** 6x6 motion transform X (child -> parent) of M: [[R, [p]R], [0, R]]. */
function motionMatrix(M: Float64Array): number[][] {
  const X = Array.from({ length: 6 }, () => new Array(6).fill(0));
  const [px, py, pz] = [M[9], M[10], M[11]];
  const P = [[0, -pz, py], [pz, 0, -px], [-py, px, 0]];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
    X[i][j] = M[3 * i + j]; X[i + 3][j + 3] = M[3 * i + j];
    let s = 0; for (let k = 0; k < 3; k++) s += P[i][k] * M[3 * k + j];
    X[i][j + 3] = s;
  }
  return X;
}
const matVec = (A: number[][], x: ArrayLike<number>) => A.map((r) => r.reduce((s, a, j) => s + a * x[j], 0));
const transpose = (A: number[][]) => A[0].map((_, j) => A.map((r) => r[j]));
const matMul = (A: number[][], B: number[][]) => A.map((r) => B[0].map((_, j) => r.reduce((s, a, k) => s + a * B[k][j], 0)));

describe('placements', () => {
  it('inverse, composition and relative placement are consistent', () => {
    for (let t = 0; t < 20; t++) {
      const a = randomSE3(), b = randomSE3();
      const inv = new Float64Array(12), prod = new Float64Array(12), id = new Float64Array(12), rel = new Float64Array(12), ref = new Float64Array(12);
      se3Inverse(a, 0, inv, 0);
      se3Mul(inv, 0, a, 0, prod, 0);
      se3Identity(id, 0);
      expect(maxAbsDiff(prod, id)).toBeLessThan(1e-12);
      se3MulInv(a, 0, b, 0, rel, 0);
      se3Mul(inv, 0, b, 0, ref, 0);
      expect(maxAbsDiff(rel, ref)).toBeLessThan(1e-12);
    }
  });

  it('quaternion <-> rotation round trip', () => {
    for (let t = 0; t < 20; t++) {
      const M = randomSE3(), q = new Float64Array(4), R = new Float64Array(9);
      rotToQuat(M, 0, q, 0);
      quatToRot(q[0], q[1], q[2], q[3], R, 0);
      expect(maxAbsDiff(R, M.subarray(0, 9))).toBeLessThan(1e-12);
      expect(q[3]).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('motions, forces, inertias', () => {
  it('motionAct is the 6x6 motion transform, motionActInv its inverse, forceAct its dual', () => {
    const M = randomSE3();
    const X = motionMatrix(M);
    const m = Float64Array.from({ length: 6 }, () => gaussian(rng));
    const out = new Float64Array(6), back = new Float64Array(6), f = new Float64Array(6);
    motionAct(M, 0, m, 0, out, 0);
    expect(maxAbsDiff(out, matVec(X, m))).toBeLessThan(1e-12);
    motionActInv(M, 0, out, 0, back, 0);
    expect(maxAbsDiff(back, m)).toBeLessThan(1e-12);
    // power is frame-independent: <forceAct(f), motionAct(m)> = <f, m>
    const fc = Float64Array.from({ length: 6 }, () => gaussian(rng));
    forceAct(M, 0, fc, 0, f, 0);
    const p1 = f.reduce((s, x, i) => s + x * out[i], 0), p0 = fc.reduce((s, x, i) => s + x * m[i], 0);
    expect(p1).toBeCloseTo(p0, 10);
  });

  it('origin-form inertia: matrix, product, and change of frame X^-T Y X^-1', () => {
    const com = new Float64Array([2, 0.1, -0.2, 0.05, 0.3, 0.4, 0.5, 0.01, -0.02, 0.03]);
    const Y = new Float64Array(10);
    inertiaComToOrigin(com, 0, Y, 0);
    const I6 = new Float64Array(36);
    inertiaToMatrix(Y, 0, I6, 0);
    const Ym = Array.from({ length: 6 }, (_, i) => Array.from(I6.subarray(6 * i, 6 * i + 6)));
    const m = Float64Array.from({ length: 6 }, () => gaussian(rng));
    const f = new Float64Array(6);
    inertiaMulMotion(Y, 0, m, 0, f, 0);
    expect(maxAbsDiff(f, matVec(Ym, m))).toBeLessThan(1e-12);
    expect(maxAbsDiff(I6, transpose(Ym).flat())).toBe(0);
    // in the parent frame: Y_p = X^-T Y X^-1 with X the motion transform child -> parent
    const M = randomSE3();
    const Yp = new Float64Array(10);
    inertiaActAdd(M, 0, Y, 0, Yp, 0);
    const Ip = new Float64Array(36);
    inertiaToMatrix(Yp, 0, Ip, 0);
    const inv = new Float64Array(12);
    se3Inverse(M, 0, inv, 0);
    const Xi = motionMatrix(inv);
    const ref = matMul(transpose(Xi), matMul(Ym, Xi));
    expect(maxAbsDiff(Ip, ref.flat())).toBeLessThan(1e-12);
  });
});

describe('motion cross product', () => {
  it('is antisymmetric and dual to the force cross product: (a × b)·f = −b·(a ×* f)', () => {
    const rng = mulberry32(11);
    const r6 = () => Float64Array.from({ length: 6 }, () => gaussian(rng));
    for (let k = 0; k < 20; k++) {
      const a = r6(), b = r6(), f = r6();
      const ab = new Float64Array(6), ba = new Float64Array(6), af = new Float64Array(6);
      motionCross(a, 0, b, 0, ab, 0);
      motionCross(b, 0, a, 0, ba, 0);
      for (let i = 0; i < 6; i++) expect(ab[i]).toBeCloseTo(-ba[i], 12);
      motionCrossForce(a, 0, f, 0, af, 0);
      let lhs = 0, rhs = 0;
      for (let i = 0; i < 6; i++) { lhs += ab[i] * f[i]; rhs -= b[i] * af[i]; }
      expect(lhs).toBeCloseTo(rhs, 10);
    }
  });
});
