/**
 * Spatial algebra on symbolic values (types.ts SymOps), operation for operation as spatial.ts
 * performs it, so a printer's results equal the numeric code's (JavaScript) or round as f32
 * only (WGSL).
 */
import type { JointArrays, SymOps } from './types.ts';

/** Sum of terms left to right, as `t0 + t1 + ...` evaluates. */
export function sumSym<T>(ops: SymOps<T>, ...t: (T | number)[]): T | number {
  let s = t[0];
  for (let i = 1; i < t.length; i++) s = ops.add(s, t[i]);
  return s;
}

/** se3Mul: a * b (12 numbers each: R row-major, then p). */
export function se3MulSym<T>(ops: SymOps<T>, a: readonly (T | number)[], b: readonly (T | number)[]): (T | number)[] {
  const m = (x: T | number, y: T | number) => ops.mul(x, y);
  const [a0, a1, a2, a3, a4, a5, a6, a7, a8] = a;
  const [b0, b1, b2, b3, b4, b5, b6, b7, b8, bx, by, bz] = b;
  return [
    sumSym(ops, m(a0, b0), m(a1, b3), m(a2, b6)),
    sumSym(ops, m(a0, b1), m(a1, b4), m(a2, b7)),
    sumSym(ops, m(a0, b2), m(a1, b5), m(a2, b8)),
    sumSym(ops, m(a3, b0), m(a4, b3), m(a5, b6)),
    sumSym(ops, m(a3, b1), m(a4, b4), m(a5, b7)),
    sumSym(ops, m(a3, b2), m(a4, b5), m(a5, b8)),
    sumSym(ops, m(a6, b0), m(a7, b3), m(a8, b6)),
    sumSym(ops, m(a6, b1), m(a7, b4), m(a8, b7)),
    sumSym(ops, m(a6, b2), m(a7, b5), m(a8, b8)),
    sumSym(ops, m(a0, bx), m(a1, by), m(a2, bz), a[9]),
    sumSym(ops, m(a3, bx), m(a4, by), m(a5, bz), a[10]),
    sumSym(ops, m(a6, bx), m(a7, by), m(a8, bz), a[11]),
  ];
}

/** The constant placement of joint j (12 numbers). */
export function placementOf(P: Float64Array, j: number): number[] {
  return Array.from(P.subarray(12 * j, 12 * j + 12));
}

/** The joint axis of joint j. */
export function axisOf(axes: Float64Array, j: number): [number, number, number] {
  return [axes[3 * j], axes[3 * j + 1], axes[3 * j + 2]];
}

/** The operations as plain functions (destructuring an interface's methods loses `this`). */
export function bound<T>(ops: SymOps<T>) {
  return {
    add: (a: T | number, b: T | number) => ops.add(a, b),
    sub: (a: T | number, b: T | number) => ops.sub(a, b),
    mul: (a: T | number, b: T | number) => ops.mul(a, b),
    neg: (a: T | number) => ops.neg(a),
    def: (n: string, a: T | number) => ops.def(n, a),
    sum: (...t: (T | number)[]) => sumSym(ops, ...t),
  };
}

/** 0, 1, 2 when joint j's placement rotation is the identity and its axis is e_k, else 3. */
export function principalPath(model: JointArrays, j: number): number {
  const P = model.jointPlacements, o = 12 * j;
  const identity = P[o] === 1 && P[o + 4] === 1 && P[o + 8] === 1 && P[o + 1] === 0 && P[o + 2] === 0
    && P[o + 3] === 0 && P[o + 5] === 0 && P[o + 6] === 0 && P[o + 7] === 0;
  let path = 3;
  if (identity) for (let k = 0; k < 3; k++) if (model.axes[3 * j + k] === 1) path = k;
  return path;
}
