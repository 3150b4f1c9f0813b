/**
 * Model-specialized CRBA (see emit.ts for the approach): straight-line JavaScript equal bit for
 * bit to crbaFromPlacementsGeneric (crba.ts), including its partial pass (`affected`).
 *
 * The generated code performs the generic code's floating-point operations in the same order,
 * with the joint order, dof indices, M offsets, joint types and axes as literals. Values known
 * when generating are folded (kinematics-kernel.ts's `Val`s): x * 1 is x, x * -1 is -x, and a
 * product by 0 is dropped with the sum or difference it sat in (a + 0 === a). This is exact
 * for finite inputs, up to the sign of a zero result; only a NaN or infinity that the generic
 * code would have multiplied by a constant 0 can make the two differ. No other operation is
 * reordered: inertias and the varying placement entries are runtime values.
 *
 * The known values are the motion subspaces S and, for the revolute joints on jointTransform's
 * fast path (data.jointPath 0/1/2: identity placement rotation, axis +x/+y/+z), the structure
 * of their placements liMi (placementLayout): the rotation's 0 and 1 entries are constants,
 * cos q and sin q are read once each (the -sin entry is the negation of the sin one, and
 * negation is exact), and the translation is the joint placement's, as a literal.
 *
 * PRECONDITION: data.liMi as written by jointTransform / forwardKinematics (kinematics.ts, or
 * the generated forward kinematics, which writes the same values). The kernels do not read
 * the constant entries of the fast-path joints' placements: a liMi written any other way
 * (a placement of another shape copied in, entries edited) gives a wrong mass matrix without
 * warning. The generic loops read every entry. Other joints (free-flyer, prismatic, general
 * revolute axes) are read in full, as by the generic loops.
 *
 * Ycrb and M end as the generic code leaves them; the force columns Yc S stay in locals
 * instead of data.tmp36/tmp6 (scratch, not read afterwards), and so do the composites of a
 * full pass until they are final (see crbaKernelSources).
 */
import type { Model } from '../../model/model.ts';
import { jointOf, type SymOps } from '../../model/joints/index.ts';
import { compileKernel } from './emit.ts';
import { crbaCompositeSym, crbaJointSym } from '../symbolic/crba.ts';
import { atom, FOLD_OPS, neg, src, type Src, type Val } from './kinematics-kernel.ts';

/** L = data.liMi, Yb = data.Ybody, Yc = data.Ycrb, M = data.M. */
export type CrbaFullKernel = (L: Float64Array, Yb: Float64Array, Yc: Float64Array, M: Float64Array) => void;
/** The same with crbaFromPlacements's `affected` mask. */
export type CrbaPartialKernel = (L: Float64Array, Yb: Float64Array, Yc: Float64Array, M: Float64Array, aff: Uint8Array) => void;
export interface CrbaKernels {
  readonly full: CrbaFullKernel;
  readonly partial: CrbaPartialKernel;
}

const kernels = new WeakMap<Model, CrbaKernels | null>();

/**
 * The compiled CRBA kernels of a model (generated once, cached per Model, which is immutable),
 * or null when a source is too large to be optimized (the caller keeps the generic loops).
 */
export function compiledCrba(model: Model): CrbaKernels | null {
  let k = kernels.get(model);
  if (k === undefined) {
    const src = crbaKernelSources(model);
    const full = compileKernel<CrbaFullKernel>('crbaFull', ['L', 'Yb', 'Yc', 'M'], src.full);
    const partial = compileKernel<CrbaPartialKernel>('crbaPartial', ['L', 'Yb', 'Yc', 'M', 'aff'], src.partial);
    k = full && partial ? { full, partial } : null;
    kernels.set(model, k);
  }
  return k;
}

// ---------------------------------------------------------------------------------------------
// Joint placements as the kernels read them

/**
 * How a kernel obtains entry k (0..11: R row-major, then p) of liMi_j: a number is the value
 * jointTransform always writes there; otherwise entry `read` of liMi_j, negated or not.
 */
export type PlacementEntry = number | { readonly read: number; readonly negated: boolean };

/**
 * The entries of liMi_j that jointTransform leaves constant, for the revolute joints on its fast
 * path (data.jointPath 0/1/2, same rule: jointPathOf), which write R = Rot_axis(q) as literals
 * 0, 1, c, s, -s and the joint placement's translation. cos q and sin q are read from one
 * entry each (the other c is the same value, -s its negation). Every other joint: all 12 entries
 * read. The RNEA kernels use the same layout; tests check it against forwardKinematics.
 */
export function placementLayout(model: Model, j: number): PlacementEntry[] {
  const r = (k: number): PlacementEntry => ({ read: k, negated: false });
  const path = jointOf(model, j).placementPath(model, j);
  if (path === 3) return Array.from({ length: 12 }, (_, k) => r(k));
  const P = model.jointPlacements, o = 12 * j;
  const p = [P[o + 9], P[o + 10], P[o + 11]];
  const ns = (k: number): PlacementEntry => ({ read: k, negated: true });
  if (path === 0) return [1, 0, 0, 0, r(4), ns(7), 0, r(7), r(4), ...p]; // c at 4, s at 7
  if (path === 1) return [r(0), 0, r(2), 0, 1, 0, ns(2), 0, r(0), ...p]; // c at 0, s at 2
  return [r(0), ns(3), 0, r(3), r(0), 0, 0, 0, 1, ...p]; // c at 0, s at 3
}

/** The entries of liMi a layout reads, ascending. */
export function placementReads(layout: readonly PlacementEntry[]): number[] {
  const reads = new Set<number>();
  for (const e of layout) if (typeof e !== 'number') reads.add(e.read);
  return [...reads].sort((a, b) => a - b);
}

/** The 12 entries as values: constants, and the read entries as the names at(k) (negated where so). */
export function placementSym(layout: readonly PlacementEntry[], at: (k: number) => string): Val[] {
  return layout.map((e) => (typeof e === 'number' ? e : e.negated ? neg(atom(at(e.read))) : atom(at(e.read))));
}

/**
 * Generated bodies of the two kernels (exported for inspection and tests).
 *
 * full: no mask, no branch. The composite inertias live in locals c<j>_<k> from their first
 * use (Ybody_j, then each child's contribution added as the generic code adds it to Ycrb) and
 * are stored to Ycrb once final; the generic code's copy of Ybody into Ycrb is what the
 * locals start from.
 *
 * partial: the generic partial pass as it is: Ycrb reset on the marked joints, a block per
 * marked joint, the transport to the parent when the joint or its parent is marked, all in
 * memory (a marked child of an unmarked parent adds to its stored composite, as there).
 *
 * Both read of liMi only the entries placementLayout names (see the header's precondition).
 */
export function crbaKernelSources(model: Model): { full: string; partial: string } {
  const { njoints: nj, nv, parents } = model;
  const c = (j: number) => (k: number) => `c${j}_${k}`;
  const yb = (j: number) => (k: number) => `Yb[${10 * j + k}]`;
  const yc = (j: number) => (k: number) => `Yc[${10 * j + k}]`;
  const full: string[] = [];
  for (let k = 0; k < 10; k++) full.push(`Yc[${k}] = Yb[${k}];`); // the universe's, copied by Yc.set(Ybody)
  const declared = new Set<number>();
  const declare = (j: number) => {
    if (declared.has(j)) return;
    declared.add(j);
    full.push(`let ${Array.from({ length: 10 }, (_, k) => `${c(j)(k)} = ${yb(j)(k)}`).join(', ')};`);
  };
  for (let j = nj - 1; j >= 1; j--) {
    declare(j);
    full.push(Array.from({ length: 10 }, (_, k) => `${yc(j)(k)} = ${c(j)(k)};`).join(' '));
    full.push(jointBlock(model, j, nv, c(j)));
    const p = parents[j];
    if (p > 0) {
      declare(p);
      // the entries of liMi_j read are in the locals x<j>_<12j+k> that jointBlock loaded for the walk's first step
      full.push('{', inertiaActAddSource(placementLayout(model, j), (k) => `x${j}_${12 * j + k}`, c(j), c(p)), '}');
    }
  }
  const partial: string[] = [];
  partial.push(`for (let j = 1; j < ${nj}; j++) if (aff[j]) for (let k = 10 * j; k < 10 * j + 10; k++) Yc[k] = Yb[k];`);
  for (let j = nj - 1; j >= 1; j--) {
    partial.push(`if (aff[${j}]) {`, jointBlock(model, j, nv, 'load'), '}');
    // marked: the parent collects the composite; unmarked: only when the parent is redone
    const p = parents[j];
    if (p > 0) partial.push(`if (aff[${j}] || aff[${p}]) {`, inertiaActAddSource(placementLayout(model, j), (k) => `L[${12 * j + k}]`, yc(j), yc(p)), '}');
  }
  return { full: full.join('\n'), partial: partial.join('\n') };
}

/** Where jointBlock reads the composite inertia of its joint: loaded from Yc, or named locals. */
type Composite = 'load' | ((k: number) => string);

/**
 * The folding operations with `def` binding a value to a fresh const pushed to `lines` (unless
 * it is a constant, a name, or the negation of one: the minus stays visible, sums absorb it).
 */
function namingOps(lines: string[], prefix: string): SymOps<Src> {
  let n = 0;
  const name = (e: Val): Val => {
    if (typeof e === 'number') return e;
    if (e.neg) return neg(name(e.neg));
    if (e.p === 2) return e;
    const v = `${prefix}${n++}`;
    lines.push(`const ${v} = ${e.s};`);
    return atom(v);
  };
  return { ...FOLD_OPS, def: (_n, a) => name(a) };
}

/**
 * The marked branch of joint j: crbaJointSym (dynamics/symbolic/crba.ts) printed as JavaScript.
 * The force columns live in consts; the entries of each liMi read are loaded once per level,
 * just before the transport that uses them; of M's writes only the last one of a slot is kept.
 */
function jointBlock(model: Model, j: number, nv: number, composite: Composite): string {
  const lines: string[] = [];
  const tag = composite === 'load' ? '' : `${j}_`;
  // The walk's writes of M in the generic order: [slots, value]. Only the last write of a slot
  // survives (nothing reads M meanwhile), so earlier ones are not emitted: this halves the
  // free-flyer's diagonal block, written twice by the generic loops.
  const writes: { slots: number[]; value: Val; level: number }[] = [];
  let load = 0;
  crbaJointSym(namingOps(lines, `f${tag}`), model, j, {
    composite: () => Array.from({ length: 10 }, (_, k) => atom(composite === 'load' ? `y${k}` : composite(k))),
    level: (level) => { lines.push(`\u0000${level}`); }, // where this level's writes go, once the last writes are known
    write: (level, row, col, value) => {
      const a = row * nv + col, b = col * nv + row;
      writes.push({ slots: a === b ? [a] : [a, b], value, level });
    },
    placement: (i) => {
      load = lines.length;
      return placementSym(placementLayout(model, i), (e) => `x${tag}${12 * i + e}`);
    },
    carried: (i) => {
      // the entries of liMi_i read, loaded once for all columns; a full pass also transports
      // joint j's composite with liMi_j: it reuses the loads of level 0
      const used = new Set(usedNames(lines.slice(load).join('\n'), `x${tag}`));
      if (composite !== 'load' && i === j) for (const e of placementReads(placementLayout(model, i))) used.add(12 * i + e);
      const loads = [...used].sort((a, b) => a - b);
      if (loads.length > 0) lines.splice(load, 0, `const ${loads.map((v) => `x${tag}${v} = L[${v}]`).join(', ')};`);
    },
  });
  const last = new Map<number, number>();
  writes.forEach((w, t) => { for (const s of w.slots) last.set(s, t); });
  const byLevel: string[][] = [];
  writes.forEach((w, t) => {
    const kept = w.slots.filter((s) => last.get(s) === t);
    if (kept.length > 0) (byLevel[w.level] ??= []).push(`${kept.map((s) => `M[${s}] = `).join('')}${src(w.value)};`);
  });
  const body = lines.flatMap((l) => (l.startsWith('\u0000') ? byLevel[Number(l.slice(1))] ?? [] : [l]));
  if (composite === 'load') {
    const usedY = usedNames(body.join('\n'), 'y');
    if (usedY.length > 0) body.unshift(`const ${usedY.map((v) => `y${v} = Yc[${10 * j + v}]`).join(', ')};`);
  }
  return body.join('\n');
}

/** Sorted distinct numbers k of the names `${prefix}k` referenced in src. */
function usedNames(src: string, prefix: string): number[] {
  const set = new Set<number>();
  for (const m of src.matchAll(new RegExp(`\\b${prefix}(\\d+)\\b`, 'g'))) set.add(Number(m[1]));
  return [...set].sort((a, b) => a - b);
}

/**
 * inertiaActAdd(liMi_j, Yc_j, Yc_p) of spatial.ts, operation for operation, with the placement
 * as a layout (placementLayout) whose read entries are at(k) (an array entry or a local), and
 * the child's and the parent's composites as Y(k), O(k).
 */
function inertiaActAddSource(layout: readonly PlacementEntry[], at: (k: number) => string, Y: (k: number) => string, O: (k: number) => string): string {
  const lines = [
    `const m = ${Y(0)}, hx = ${Y(1)}, hy = ${Y(2)}, hz = ${Y(3)};`,
    `const Ixx = ${Y(4)}, Iyy = ${Y(5)}, Izz = ${Y(6)}, Ixy = ${Y(7)}, Ixz = ${Y(8)}, Iyz = ${Y(9)};`,
  ];
  // the entries read, in locals r0..r8, px, py, pz
  const local = (k: number) => (k < 9 ? `r${k}` : ['px', 'py', 'pz'][k - 9]);
  lines.push(`const ${placementReads(layout).map((k) => `${local(k)} = ${at(k)}`).join(', ')};`);
  const defs: string[] = [];
  const def = (name: string, v: Val): Val => {
    if (typeof v === 'number') return v;
    if (v.neg) return neg(def(name, v.neg));
    if (v.p === 2) return v;
    defs.push(`${name} = ${v.s}`);
    return atom(name);
  };
  const Ysym = ['m', 'hx', 'hy', 'hz', 'Ixx', 'Iyy', 'Izz', 'Ixy', 'Ixz', 'Iyz'].map(atom);
  const inc = crbaCompositeSym({ ...FOLD_OPS, def }, placementSym(layout, local), Ysym);
  if (defs.length > 0) lines.push(`const ${defs.join(', ')};`);
  // adding a constant 0 keeps the value (up to the sign of a zero)
  inc.forEach((v, k) => { if (v !== 0) lines.push(`${O(k)} += ${src(v)};`); });
  return lines.join('\n');
}
