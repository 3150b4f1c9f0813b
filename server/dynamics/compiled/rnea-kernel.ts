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
import { jointOf, S_FULL } from '../../model/joints/index.ts';
import { rneaBackwardSym, rneaForwardSym } from '../symbolic/rnea.ts';
import { compileKernel } from './emit.ts';
import { placementLayout, placementReads } from './crba-kernel.ts';
import { atom, Emitter, jsOps, neg, type Src, type Val } from './kinematics-kernel.ts';

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

/**
 * Joint j's forward step (rneaForwardSym, dynamics/symbolic/rnea.ts) printed as JavaScript: the
 * free-flyer's loads named as its generic branch's helpers, the one-dof step's fused.
 */
function forward(e: Emitter, model: Model, j: number, withA: boolean, a0: readonly Val[]): void {
  const o = 6 * j, p = model.parents[j], iv = model.idxV[j];
  const free = jointOf(model, j).subspace === S_FULL;
  rneaForwardSym(jsOps(e), model, j, {
    placement: () => loadPlacement(e, model, j, free ? 'l' : 'r'),
    v: (i) => e.bind(free ? `j${i}` : 'x', `v[${iv + i}]`),
    a: withA ? (i) => e.bind(free ? `d${i}` : 'xa', `a[${iv + i}]`) : undefined,
    parentVelocity: () => parentMotion(e, 'V', p, a0),
    parentAcceleration: () => parentMotion(e, 'A', p, a0),
    motion: (which, k, x) => e.store(which, o + k, x),
    inertia: () => e.load('y', 'Y', 10 * j, 10),
    force: (k, x) => e.store('F', o + k, x),
  });
}

/** The backward pass for joint j (rneaBackwardSym): tau_j = S^T f_j, then f_parent += X f_j (forceActAdd). */
function backward(e: Emitter, model: Model, j: number): void {
  const o = 6 * j;
  const p = model.parents[j];
  const iv = model.idxV[j];
  // an unmarked joint keeps its torque; its force (of the previous call) still goes to a redone parent
  e.line(`if (full || aff[${j}]) {`);
  rneaBackwardSym(jsOps(e), model, j, {
    force: (use) => {
      if (use === 'torque') return Array.from({ length: 6 }, (_, k) => atom(`F[${o + k}]`));
      e.line('}');
      e.line(`if (full || aff[${j}] || aff[${p}]) {`);
      return e.load('f', 'F', o, 6);
    },
    torque: (r, x) => e.store('tau', iv + r, x),
    placement: () => loadPlacement(e, model, j, 'l'),
    addToParent: (k, x) => e.storeAdd('F', 6 * p + k, x),
  });
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
    forward(e, model, j, withA, a0);
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
