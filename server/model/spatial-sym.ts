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

/** motionAct: motion m (frame of placement M) into the parent frame; the angular part is named (def). */
export function motionActSym<T>(ops: SymOps<T>, M: readonly S<T>[], m: readonly S<T>[]): S<T>[] {
  const { add, sub, mul } = bound(ops);
  const [vx, vy, vz, wx, wy, wz] = m;
  const Wx = ops.def('Wx', dotSym(ops, [M[0], M[1], M[2]], [wx, wy, wz]));
  const Wy = ops.def('Wy', dotSym(ops, [M[3], M[4], M[5]], [wx, wy, wz]));
  const Wz = ops.def('Wz', dotSym(ops, [M[6], M[7], M[8]], [wx, wy, wz]));
  const px = M[9], py = M[10], pz = M[11];
  return [
    add(dotSym(ops, [M[0], M[1], M[2]], [vx, vy, vz]), sub(mul(py, Wz), mul(pz, Wy))),
    add(dotSym(ops, [M[3], M[4], M[5]], [vx, vy, vz]), sub(mul(pz, Wx), mul(px, Wz))),
    add(dotSym(ops, [M[6], M[7], M[8]], [vx, vy, vz]), sub(mul(px, Wy), mul(py, Wx))),
    Wx, Wy, Wz,
  ];
}

/** a0 b0 + a1 b1 + ..., left to right (as `a0 * b0 + a1 * b1 + ...` evaluates). */
export function dotSym<T>(ops: SymOps<T>, a: readonly S<T>[], b: readonly S<T>[]): S<T> {
  let s = ops.mul(a[0], b[0]);
  for (let i = 1; i < a.length; i++) s = ops.fma(s, a[i], b[i]);
  return s;
}

/** inertiaMulMotion: Y m for a body inertia Y in origin form (10: m, h, Ixx Iyy Izz Ixy Ixz Iyz). */
export function inertiaMulMotionSym<T>(ops: SymOps<T>, Y: readonly S<T>[], m: readonly S<T>[]): S<T>[] {
  const { sub, mul, fma } = bound(ops);
  const [mass, hx, hy, hz, Ixx, Iyy, Izz, Ixy, Ixz, Iyz] = Y;
  const [vx, vy, vz, wx, wy, wz] = m;
  return [
    sub(mul(mass, vx), sub(mul(hy, wz), mul(hz, wy))),
    sub(mul(mass, vy), sub(mul(hz, wx), mul(hx, wz))),
    sub(mul(mass, vz), sub(mul(hx, wy), mul(hy, wx))),
    fma(fma(fma(sub(mul(hy, vz), mul(hz, vy)), Ixx, wx), Ixy, wy), Ixz, wz),
    fma(fma(fma(sub(mul(hz, vx), mul(hx, vz)), Ixy, wx), Iyy, wy), Iyz, wz),
    fma(fma(fma(sub(mul(hx, vy), mul(hy, vx)), Ixz, wx), Iyz, wy), Izz, wz),
  ];
}

/** forceAct: force f (frame of placement M) into the parent frame; the linear part is named (def). */
export function forceActSym<T>(ops: SymOps<T>, M: readonly S<T>[], f: readonly S<T>[]): S<T>[] {
  const { add, sub, mul } = bound(ops);
  const [fx, fy, fz, nx, ny, nz] = f;
  const Fx = ops.def('Fx', dotSym(ops, [M[0], M[1], M[2]], [fx, fy, fz]));
  const Fy = ops.def('Fy', dotSym(ops, [M[3], M[4], M[5]], [fx, fy, fz]));
  const Fz = ops.def('Fz', dotSym(ops, [M[6], M[7], M[8]], [fx, fy, fz]));
  const px = M[9], py = M[10], pz = M[11];
  return [Fx, Fy, Fz,
    add(dotSym(ops, [M[0], M[1], M[2]], [nx, ny, nz]), sub(mul(py, Fz), mul(pz, Fy))),
    add(dotSym(ops, [M[3], M[4], M[5]], [nx, ny, nz]), sub(mul(pz, Fx), mul(px, Fz))),
    add(dotSym(ops, [M[6], M[7], M[8]], [nx, ny, nz]), sub(mul(px, Fy), mul(py, Fx))),
  ];
}

/**
 * inertiaActAdd (origin form): what M Y adds to a composite, entry by entry (10), for the
 * placement M and the body inertia Y. The intermediates are named (def) in spatial.ts's order.
 */
export function inertiaActAddSym<T>(ops: SymOps<T>, M: readonly S<T>[], Y: readonly S<T>[]): S<T>[] {
  const { add, sub, mul } = bound(ops);
  const def = (n: string, v: S<T>) => ops.def(n, v);
  const dot = (a: readonly S<T>[], b: readonly S<T>[]) => dotSym(ops, a, b);
  const [r0, r1, r2, r3, r4, r5, r6, r7, r8, px, py, pz] = M;
  const [m, hx, hy, hz, Ixx, Iyy, Izz, Ixy, Ixz, Iyz] = Y;
  const kx = def('kx', dot([r0, r1, r2], [hx, hy, hz]));
  const ky = def('ky', dot([r3, r4, r5], [hx, hy, hz]));
  const kz = def('kz', dot([r6, r7, r8], [hx, hy, hz]));
  // T = R I, then R I R^T = T R^T (the symmetric part)
  const t00 = def('t00', dot([r0, r1, r2], [Ixx, Ixy, Ixz]));
  const t01 = def('t01', dot([r0, r1, r2], [Ixy, Iyy, Iyz]));
  const t02 = def('t02', dot([r0, r1, r2], [Ixz, Iyz, Izz]));
  const t10 = def('t10', dot([r3, r4, r5], [Ixx, Ixy, Ixz]));
  const t11 = def('t11', dot([r3, r4, r5], [Ixy, Iyy, Iyz]));
  const t12 = def('t12', dot([r3, r4, r5], [Ixz, Iyz, Izz]));
  const t20 = def('t20', dot([r6, r7, r8], [Ixx, Ixy, Ixz]));
  const t21 = def('t21', dot([r6, r7, r8], [Ixy, Iyy, Iyz]));
  const t22 = def('t22', dot([r6, r7, r8], [Ixz, Iyz, Izz]));
  const kp = def('kp', dot([kx, ky, kz], [px, py, pz]));
  const pp = def('pp', dot([px, py, pz], [px, py, pz]));
  const diag = def('diag', ops.fma(mul(2, kp), m, pp));
  return [
    m,
    ops.fma(kx, m, px), ops.fma(ky, m, py), ops.fma(kz, m, pz),
    add(sub(sub(dot([t00, t01, t02], [r0, r1, r2]), mul(mul(2, px), kx)), mul(mul(m, px), px)), diag),
    add(sub(sub(dot([t10, t11, t12], [r3, r4, r5]), mul(mul(2, py), ky)), mul(mul(m, py), py)), diag),
    add(sub(sub(dot([t20, t21, t22], [r6, r7, r8]), mul(mul(2, pz), kz)), mul(mul(m, pz), pz)), diag),
    sub(sub(dot([t00, t01, t02], [r3, r4, r5]), add(mul(px, ky), mul(kx, py))), mul(mul(m, px), py)),
    sub(sub(dot([t00, t01, t02], [r6, r7, r8]), add(mul(px, kz), mul(kx, pz))), mul(mul(m, px), pz)),
    sub(sub(dot([t10, t11, t12], [r6, r7, r8]), add(mul(py, kz), mul(ky, pz))), mul(mul(m, py), pz)),
  ];
}

/** The operations as plain functions (destructuring an interface's methods loses `this`). */
export function bound<T>(ops: SymOps<T>) {
  return {
    add: (a: S<T>, b: S<T>) => ops.add(a, b),
    sub: (a: S<T>, b: S<T>) => ops.sub(a, b),
    mul: (a: S<T>, b: S<T>) => ops.mul(a, b),
    neg: (a: S<T>) => ops.neg(a),
    fma: (a: S<T>, b: S<T>, c: S<T>) => ops.fma(a, b, c),
    def: (n: string, a: S<T>) => ops.def(n, a),
    sum: (...t: S<T>[]) => sumSym(ops, ...t),
  };
}
