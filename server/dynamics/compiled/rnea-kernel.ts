/**
 * Generated RNEA from placements (rnea.ts, rneaFromPlacementsGeneric) for one model: the free
 * flyer branch, the fused one-dof forward step and the backward pass unrolled over the joints,
 * with joint indices, parents, dof offsets, types and axes as literals (see emit.ts and
 * kinematics-kernel.ts for the folding rules: the same operations in the same order, products
 * with constant 0 dropped, by 1 or -1 folded, so results equal the generic code's). data.v,
 * data.a, data.f, data.Ybody and the gravity are read at run time, as the generic code reads
 * them.
 *
 * Placements: for the revolute joints on jointTransform's fast path (data.jointPath 0/1/2:
 * identity placement rotation, axis +x/+y/+z), liMi's rotation has exact constant entries 0
 * and 1, cos q and sin q (read once each; -sin q is the negation of the sin entry) and the
 * joint placement's translation, which the kernels take as literals (placementLayout in
 * crba-kernel.ts). Products by those 0 and 1 fold away in the motion transforms of the forward
 * pass and the force transforms of the backward pass. Other joints (free-flyer, prismatic,
 * general revolute axes) are read in full.
 *
 * PRECONDITION: data.liMi as written by jointTransform / forwardKinematics (kinematics.ts, or
 * the generated forward kinematics, which writes the same values). The constant entries of
 * the fast-path joints' placements are not read: a liMi written any other way gives wrong
 * results without warning (the generic pass reads every entry).
 */
import type { Model } from '../../model/model.ts';
import { jointOf, S_FULL, S_LINEAR_AXIS } from '../../model/joints/index.ts';
import { axisOffset } from '../../model/joints/subspace.ts';
import { compileKernel } from './emit.ts';
import { placementLayout, placementReads } from './crba-kernel.ts';
import {
  add, atom, Emitter, motionActInvSym, mul, neg, sub, sum, type Src, type Val,
} from './kinematics-kernel.ts';

/**
 * RNEA from the placements L = data.liMi: V, A, F = data.v, data.a, data.f, Y = data.Ybody,
 * G = model.gravity; a is ignored by the kernel generated for a = null; aff as `affected`.
 */
export type RneaKernel = (
  L: Float64Array, V: Float64Array, A: Float64Array, F: Float64Array, Y: Float64Array, tau: Float64Array,
  G: Float64Array, v: ArrayLike<number>, a: ArrayLike<number> | null, aff: Uint8Array | undefined,
) => void;

/** Motion (6 values) of joint p in array `arr`; the universe's acceleration is the one set at the top (-g, 0). */
function parentMotion(e: Emitter, arr: 'V' | 'A', p: number, a0: readonly Val[]): Val[] {
  if (arr === 'A' && p === 0) return [...a0];
  return e.load(arr === 'V' ? 'u' : 'b', arr, 6 * p, 6);
}

/**
 * liMi_j as the kernel reads it (placementLayout): the entries read bound to locals
 * `${prefix}${k}`, the constant ones as numbers.
 */
function loadPlacement(e: Emitter, model: Model, j: number, prefix: string): Val[] {
  const layout = placementLayout(model, j);
  const local = new Map<number, Src>();
  for (const k of placementReads(layout)) local.set(k, e.bind(`${prefix}${k}`, `L[${12 * j + k}]`));
  return layout.map((en) => {
    if (typeof en === 'number') return en;
    const v = local.get(en.read)!;
    return en.negated ? neg(v) : v;
  });
}

/** inertiaMulMotion: Y_j (origin form, loads y0..y9) times motion m. */
function inertiaMulSym(y: readonly Val[], m: readonly Val[]): Val[] {
  const [mass, hx, hy, hz] = y;
  const [vx, vy, vz, wx, wy, wz] = m;
  return [
    sub(mul(mass, vx), sub(mul(hy, wz), mul(hz, wy))),
    sub(mul(mass, vy), sub(mul(hz, wx), mul(hx, wz))),
    sub(mul(mass, vz), sub(mul(hx, wy), mul(hy, wx))),
    sum(sub(mul(hy, vz), mul(hz, vy)), mul(y[4], wx), mul(y[7], wy), mul(y[8], wz)),
    sum(sub(mul(hz, vx), mul(hx, vz)), mul(y[7], wx), mul(y[5], wy), mul(y[9], wz)),
    sum(sub(mul(hx, vy), mul(hy, vx)), mul(y[8], wx), mul(y[9], wy), mul(y[6], wz)),
  ];
}

/** The free-flyer's forward step (the generic branch, helper by helper). */
function freeForward(e: Emitter, j: number, iv: number, p: number, withA: boolean, a0: readonly Val[]): void {
  const o = 6 * j;
  const L = e.load('l', 'L', 12 * j, 12);
  const Vo = e.defAll('v', motionActInvSym(e, L, parentMotion(e, 'V', p, a0)));
  const vJ = e.load('j', 'v', iv, 6);
  const V = e.defAll('V', Vo.map((x, k) => add(x, vJ[k])));
  let Ao = e.defAll('a', motionActInvSym(e, L, parentMotion(e, 'A', p, a0)));
  if (withA) {
    const aJ = e.load('d', 'a', iv, 6);
    Ao = e.defAll('c', Ao.map((x, k) => add(x, aJ[k])));
  }
  // A += V x vJ (addMotionCross)
  const [v1x, v1y, v1z, w1x, w1y, w1z] = V;
  const [v2x, v2y, v2z, w2x, w2y, w2z] = vJ;
  const A = e.defAll('A', [
    add(Ao[0], sub(add(sub(mul(w1y, v2z), mul(w1z, v2y)), mul(v1y, w2z)), mul(v1z, w2y))),
    add(Ao[1], sub(add(sub(mul(w1z, v2x), mul(w1x, v2z)), mul(v1z, w2x)), mul(v1x, w2z))),
    add(Ao[2], sub(add(sub(mul(w1x, v2y), mul(w1y, v2x)), mul(v1x, w2y)), mul(v1y, w2x))),
    add(Ao[3], sub(mul(w1y, w2z), mul(w1z, w2y))),
    add(Ao[4], sub(mul(w1z, w2x), mul(w1x, w2z))),
    add(Ao[5], sub(mul(w1x, w2y), mul(w1y, w2x))),
  ]);
  for (let k = 0; k < 6; k++) { e.store('V', o + k, V[k]); e.store('A', o + k, A[k]); }
  // F = V x* (Y V) + Y A
  const y = e.load('y', 'Y', 10 * j, 10);
  const [fx, fy, fz, nx, ny, nz] = e.defAll('h', inertiaMulSym(y, V));
  const ya = e.defAll('g', inertiaMulSym(y, A));
  const [lx, ly, lz, wx, wy, wz] = V;
  const f = [
    sub(mul(wy, fz), mul(wz, fy)),
    sub(mul(wz, fx), mul(wx, fz)),
    sub(mul(wx, fy), mul(wy, fx)),
    sub(add(sub(mul(wy, nz), mul(wz, ny)), mul(ly, fz)), mul(lz, fy)),
    sub(add(sub(mul(wz, nx), mul(wx, nz)), mul(lz, fx)), mul(lx, fz)),
    sub(add(sub(mul(wx, ny), mul(wy, nx)), mul(lx, fy)), mul(ly, fx)),
  ];
  for (let k = 0; k < 6; k++) e.store('F', o + k, add(f[k], ya[k]));
}

/** oneDofForward of rnea.ts for joint j: v, a and f of its body. */
function oneDofForward(e: Emitter, model: Model, j: number, p: number, withA: boolean, a0: readonly Val[]): void {
  const o = 6 * j;
  const [r0, r1, r2, r3, r4, r5, r6, r7, r8, px, py, pz] = loadPlacement(e, model, j, 'r');
  const iv = model.idxV[j];
  const x = e.bind('x', `v[${iv}]`);
  const xa: Val = withA ? e.bind('xa', `a[${iv}]`) : 0;
  const ax = model.axes[3 * j], ay = model.axes[3 * j + 1], az = model.axes[3 * j + 2];
  const prismatic = jointOf(model, j).subspace === S_LINEAR_AXIS;
  // joint velocity vJ = S qd
  const jlx = prismatic ? e.def('jlx', mul(ax, x)) : 0, jly = prismatic ? e.def('jly', mul(ay, x)) : 0;
  const jlz = prismatic ? e.def('jlz', mul(az, x)) : 0;
  const jwx = prismatic ? 0 : e.def('jwx', mul(ax, x)), jwy = prismatic ? 0 : e.def('jwy', mul(ay, x));
  const jwz = prismatic ? 0 : e.def('jwz', mul(az, x));
  // v = R^T (v_p - p x w_p) + vJ, w = R^T w_p + wJ
  let [l0, l1, l2, ux, uy, uz] = parentMotion(e, 'V', p, a0);
  let lx = e.def('lx', sub(l0, sub(mul(py, uz), mul(pz, uy))));
  let ly = e.def('ly', sub(l1, sub(mul(pz, ux), mul(px, uz))));
  let lz = e.def('lz', sub(l2, sub(mul(px, uy), mul(py, ux))));
  const vx = e.def('vx', add(sum(mul(r0, lx), mul(r3, ly), mul(r6, lz)), jlx));
  const vy = e.def('vy', add(sum(mul(r1, lx), mul(r4, ly), mul(r7, lz)), jly));
  const vz = e.def('vz', add(sum(mul(r2, lx), mul(r5, ly), mul(r8, lz)), jlz));
  const wx = e.def('wx', add(sum(mul(r0, ux), mul(r3, uy), mul(r6, uz)), jwx));
  const wy = e.def('wy', add(sum(mul(r1, ux), mul(r4, uy), mul(r7, uz)), jwy));
  const wz = e.def('wz', add(sum(mul(r2, ux), mul(r5, uy), mul(r8, uz)), jwz));
  // a = R^T (a_p - p x alpha_p) + S qdd + v x vJ
  [l0, l1, l2, ux, uy, uz] = parentMotion(e, 'A', p, a0);
  lx = e.def('mx', sub(l0, sub(mul(py, uz), mul(pz, uy))));
  ly = e.def('my', sub(l1, sub(mul(pz, ux), mul(px, uz))));
  lz = e.def('mz', sub(l2, sub(mul(px, uy), mul(py, ux))));
  const cax = prismatic ? mul(ax, xa) : 0, cay = prismatic ? mul(ay, xa) : 0, caz = prismatic ? mul(az, xa) : 0;
  const cwx = prismatic ? 0 : mul(ax, xa), cwy = prismatic ? 0 : mul(ay, xa), cwz = prismatic ? 0 : mul(az, xa);
  const alx = e.def('alx', sum(mul(r0, lx), mul(r3, ly), mul(r6, lz), cax, sub(mul(wy, jlz), mul(wz, jly)), sub(mul(vy, jwz), mul(vz, jwy))));
  const aly = e.def('aly', sum(mul(r1, lx), mul(r4, ly), mul(r7, lz), cay, sub(mul(wz, jlx), mul(wx, jlz)), sub(mul(vz, jwx), mul(vx, jwz))));
  const alz = e.def('alz', sum(mul(r2, lx), mul(r5, ly), mul(r8, lz), caz, sub(mul(wx, jly), mul(wy, jlx)), sub(mul(vx, jwy), mul(vy, jwx))));
  const aax = e.def('aax', sum(mul(r0, ux), mul(r3, uy), mul(r6, uz), cwx, sub(mul(wy, jwz), mul(wz, jwy))));
  const aay = e.def('aay', sum(mul(r1, ux), mul(r4, uy), mul(r7, uz), cwy, sub(mul(wz, jwx), mul(wx, jwz))));
  const aaz = e.def('aaz', sum(mul(r2, ux), mul(r5, uy), mul(r8, uz), cwz, sub(mul(wx, jwy), mul(wy, jwx))));
  [vx, vy, vz, wx, wy, wz].forEach((val, k) => e.store('V', o + k, val));
  [alx, aly, alz, aax, aay, aaz].forEach((val, k) => e.store('A', o + k, val));
  // f = Y a + v x* (Y v), Y in origin form [m, h, I]
  const [m, hx, hy, hz, Ixx, Iyy, Izz, Ixy, Ixz, Iyz] = e.load('y', 'Y', 10 * j, 10);
  const hvx = e.def('hvx', sub(mul(m, vx), sub(mul(hy, wz), mul(hz, wy))));
  const hvy = e.def('hvy', sub(mul(m, vy), sub(mul(hz, wx), mul(hx, wz))));
  const hvz = e.def('hvz', sub(mul(m, vz), sub(mul(hx, wy), mul(hy, wx))));
  const hwx = e.def('hwx', sum(sub(mul(hy, vz), mul(hz, vy)), mul(Ixx, wx), mul(Ixy, wy), mul(Ixz, wz)));
  const hwy = e.def('hwy', sum(sub(mul(hz, vx), mul(hx, vz)), mul(Ixy, wx), mul(Iyy, wy), mul(Iyz, wz)));
  const hwz = e.def('hwz', sum(sub(mul(hx, vy), mul(hy, vx)), mul(Ixz, wx), mul(Iyz, wy), mul(Izz, wz)));
  e.store('F', o, add(sub(mul(m, alx), sub(mul(hy, aaz), mul(hz, aay))), sub(mul(wy, hvz), mul(wz, hvy))));
  e.store('F', o + 1, add(sub(mul(m, aly), sub(mul(hz, aax), mul(hx, aaz))), sub(mul(wz, hvx), mul(wx, hvz))));
  e.store('F', o + 2, add(sub(mul(m, alz), sub(mul(hx, aay), mul(hy, aax))), sub(mul(wx, hvy), mul(wy, hvx))));
  e.store('F', o + 3, add(sum(sub(mul(hy, alz), mul(hz, aly)), mul(Ixx, aax), mul(Ixy, aay), mul(Ixz, aaz)),
    sub(add(sub(mul(wy, hwz), mul(wz, hwy)), mul(vy, hvz)), mul(vz, hvy))));
  e.store('F', o + 4, add(sum(sub(mul(hz, alx), mul(hx, alz)), mul(Ixy, aax), mul(Iyy, aay), mul(Iyz, aaz)),
    sub(add(sub(mul(wz, hwx), mul(wx, hwz)), mul(vz, hvx)), mul(vx, hvz))));
  e.store('F', o + 5, add(sum(sub(mul(hx, aly), mul(hy, alx)), mul(Ixz, aax), mul(Iyz, aay), mul(Izz, aaz)),
    sub(add(sub(mul(wx, hwy), mul(wy, hwx)), mul(vx, hvy)), mul(vy, hvx))));
}

/** The backward pass for joint j: tau_j = S^T f_j, then f_parent += X f_j (forceActAdd). */
function backward(e: Emitter, model: Model, j: number): void {
  const o = 6 * j;
  const p = model.parents[j];
  const iv = model.idxV[j];
  // an unmarked joint keeps its torque; its force (of the previous call) still goes to a redone parent
  e.line(`if (full || aff[${j}]) {`);
  if (jointOf(model, j).subspace === S_FULL) {
    for (let k = 0; k < 6; k++) e.line(`tau[${iv + k}] = F[${o + k}];`);
  } else {
    const off = o + axisOffset(model, j);
    const [f0, f1, f2] = [0, 1, 2].map((k) => atom(`F[${off + k}]`));
    e.store('tau', iv, sum(mul(model.axes[3 * j], f0), mul(model.axes[3 * j + 1], f1), mul(model.axes[3 * j + 2], f2)));
  }
  e.line('}');
  if (p === 0) return;
  e.line(`if (full || aff[${j}] || aff[${p}]) {`);
  const [fx, fy, fz, nx, ny, nz] = e.load('f', 'F', o, 6);
  const M = loadPlacement(e, model, j, 'l');
  const Fx = e.def('Fx', sum(mul(M[0], fx), mul(M[1], fy), mul(M[2], fz)));
  const Fy = e.def('Fy', sum(mul(M[3], fx), mul(M[4], fy), mul(M[5], fz)));
  const Fz = e.def('Fz', sum(mul(M[6], fx), mul(M[7], fy), mul(M[8], fz)));
  const [px, py, pz] = [M[9], M[10], M[11]];
  const po = 6 * p;
  e.storeAdd('F', po, Fx); e.storeAdd('F', po + 1, Fy); e.storeAdd('F', po + 2, Fz);
  e.storeAdd('F', po + 3, add(sum(mul(M[0], nx), mul(M[1], ny), mul(M[2], nz)), sub(mul(py, Fz), mul(pz, Fy))));
  e.storeAdd('F', po + 4, add(sum(mul(M[3], nx), mul(M[4], ny), mul(M[5], nz)), sub(mul(pz, Fx), mul(px, Fz))));
  e.storeAdd('F', po + 5, add(sum(mul(M[6], nx), mul(M[7], ny), mul(M[8], nz)), sub(mul(px, Fy), mul(py, Fx))));
  e.line('}');
}

function rneaSource(model: Model, withA: boolean): string {
  const e = new Emitter([...PARAMS, 'full', 'g0', 'g1', 'g2']);
  e.line('const full = aff === undefined;');
  e.line('const g0 = -G[0], g1 = -G[1], g2 = -G[2];');
  e.line('A[0] = g0; A[1] = g1; A[2] = g2; A[3] = 0; A[4] = 0; A[5] = 0;');
  const a0: Val[] = [atom('g0'), atom('g1'), atom('g2'), 0, 0, 0];
  for (let j = 1; j < model.njoints; j++) {
    e.scope();
    e.line(`if (full || aff[${j}]) {`);
    const p = model.parents[j];
    if (jointOf(model, j).subspace === S_FULL) freeForward(e, j, model.idxV[j], p, withA, a0);
    else oneDofForward(e, model, j, p, withA, a0);
    e.line('}');
  }
  for (let j = model.njoints - 1; j >= 1; j--) {
    e.scope();
    e.line('{');
    backward(e, model, j);
    e.line('}');
  }
  return e.source();
}

interface RneaKernels {
  // undefined: not generated yet; null: too large to compile (the generic code runs)
  zeroA?: RneaKernel | null;
  withA?: RneaKernel | null;
}

const cache = new WeakMap<Model, RneaKernels>();
// the last model looked up, so that the hot path skips the WeakMap
let lastModel: Model | null = null;
let last: RneaKernels = {};

const PARAMS = ['L', 'V', 'A', 'F', 'Y', 'tau', 'G', 'v', 'a', 'aff'];

/** The RNEA kernel of `model` for a given acceleration (withA) or a = null, or null if too large. */
export function rneaKernel(model: Model, withA: boolean): RneaKernel | null {
  let k: RneaKernels;
  if (model === lastModel) {
    k = last;
  } else {
    k = cache.get(model) ?? {};
    cache.set(model, k);
    lastModel = model;
    last = k;
  }
  if (withA) {
    if (k.withA === undefined) k.withA = compileKernel<RneaKernel>('rneaWithA', PARAMS, rneaSource(model, true));
    return k.withA;
  }
  if (k.zeroA === undefined) k.zeroA = compileKernel<RneaKernel>('rneaZeroA', PARAMS, rneaSource(model, false));
  return k.zeroA;
}

/** Generated source (for inspection and size checks). */
export function rneaKernelSources(model: Model): { zeroA: string; withA: string } {
  return { zeroA: rneaSource(model, false), withA: rneaSource(model, true) };
}
