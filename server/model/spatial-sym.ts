/**
 * Spatial algebra on symbolic values (joints/types.ts SymOps), operation for operation as
 * spatial.ts performs it, so that the JavaScript printer's results equal the numeric code's
 * (===) and the WGSL printer's differ by f32 rounding only. Numbers are constants the printers
 * fold.
 */
import type { SymOps } from './joints/types.ts';

type S<T> = T | number;

/** Sum of terms left to right, as `t0 + t1 + ...` evaluates. */
export function sumSym<T>(ops: SymOps<T>, ...t: S<T>[]): S<T> {
  let s = t[0];
  for (let i = 1; i < t.length; i++) s = ops.add(s, t[i]);
  return s;
}

/** se3Mul: a * b (12 numbers each: R row-major, then p). */
export function se3MulSym<T>(ops: SymOps<T>, a: readonly S<T>[], b: readonly S<T>[]): S<T>[] {
  const m = (x: S<T>, y: S<T>) => ops.mul(x, y);
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

/** motionActInv: motion m (parent frame) into the frame of placement M. */
export function motionActInvSym<T>(ops: SymOps<T>, M: readonly S<T>[], m: readonly S<T>[]): S<T>[] {
  const sub = ops.sub.bind(ops), mul = ops.mul.bind(ops);
  const [vx, vy, vz, wx, wy, wz] = m;
  const px = M[9], py = M[10], pz = M[11];
  const lx = ops.def('lx', sub(vx, sub(mul(py, wz), mul(pz, wy))));
  const ly = ops.def('ly', sub(vy, sub(mul(pz, wx), mul(px, wz))));
  const lz = ops.def('lz', sub(vz, sub(mul(px, wy), mul(py, wx))));
  const sum = (...t: S<T>[]) => sumSym(ops, ...t);
  return [
    sum(mul(M[0], lx), mul(M[3], ly), mul(M[6], lz)),
    sum(mul(M[1], lx), mul(M[4], ly), mul(M[7], lz)),
    sum(mul(M[2], lx), mul(M[5], ly), mul(M[8], lz)),
    sum(mul(M[0], wx), mul(M[3], wy), mul(M[6], wz)),
    sum(mul(M[1], wx), mul(M[4], wy), mul(M[7], wz)),
    sum(mul(M[2], wx), mul(M[5], wy), mul(M[8], wz)),
  ];
}
