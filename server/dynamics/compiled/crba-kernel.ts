/**
 * Model-specialized CRBA (see emit.ts for the approach): straight-line JavaScript equal bit for
 * bit to crbaFromPlacementsGeneric (crba.ts), including its partial pass (`affected`).
 *
 * The generated code performs the generic code's floating-point operations in the same order,
 * with the joint order, dof indices, M offsets, joint types and axes as literals. The motion
 * subspace S is known when generating, so products by its entries are folded: x * 1 is x,
 * x * -1 is -x, and a product by 0 is dropped with the sum or difference it sat in
 * (a + 0 === a). This is exact for finite inputs, up to the sign of a zero result; only a
 * NaN or infinity that the generic code would have multiplied by an S entry of 0 can make
 * the two differ. No other operation is reordered: placements and inertias are runtime values.
 *
 * Ycrb and M end as the generic code leaves them; the force columns Yc S stay in locals
 * instead of data.tmp36/tmp6 (scratch, not read afterwards), and so do the composites of a
 * full pass until they are final (see crbaKernelSources).
 */
import { JOINT_FREE, JOINT_PRISMATIC, type Model } from '../../model/model.ts';
import { compileKernel, lit } from './emit.ts';

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
// Expressions with S folded in. null is an exact zero known at generation time. `p` is the
// precedence of the top operator (1: + or -, 2: *, 3: atom), to parenthesize exactly as the
// generic code associates: sums and products are left-associative, a right operand of the
// same precedence is parenthesized.

interface Ex { readonly s: string; readonly p: 1 | 2 | 3; readonly negated?: Ex }
type E = Ex | null;

const atom = (s: string): Ex => ({ s, p: 3 });
const paren = (e: Ex, min: number): string => (e.p >= min ? e.s : `(${e.s})`);
/** -a: exact (negation only flips the sign), and -(-a) is a; parenthesized so that - - never becomes --. */
const neg = (a: E): E => (a === null ? null : a.negated ?? { s: `(-${paren(a, 3)})`, p: 3, negated: a });
const mul = (a: E, b: E): E => (a === null || b === null ? null : { s: `${paren(a, 2)} * ${paren(b, 3)}`, p: 2 });
/** a * c for a constant of S: 0, 1 and -1 folded. */
function mulC(a: E, c: number): E {
  if (c === 0) return null;
  if (c === 1) return a;
  if (c === -1) return neg(a);
  return mul(a, atom(lit(c)));
}
function add(a: E, b: E): E {
  if (a === null) return b;
  if (b === null) return a;
  return { s: `${a.s} + ${paren(b, 2)}`, p: 1 };
}
function sub(a: E, b: E): E {
  if (b === null) return a;
  if (a === null) return neg(b);
  return { s: `${a.s} - ${paren(b, 2)}`, p: 1 };
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
      // liMi_j is in the locals x<j>_<12j+k> that jointBlock loaded for the walk's first step
      full.push('{', inertiaActAddSource((k) => `x${j}_${12 * j + k}`, c(j), c(p)), '}');
    }
  }
  const partial: string[] = [];
  partial.push(`for (let j = 1; j < ${nj}; j++) if (aff[j]) for (let k = 10 * j; k < 10 * j + 10; k++) Yc[k] = Yb[k];`);
  for (let j = nj - 1; j >= 1; j--) {
    partial.push(`if (aff[${j}]) {`, jointBlock(model, j, nv, 'load'), '}');
    // marked: the parent collects the composite; unmarked: only when the parent is redone
    const p = parents[j];
    if (p > 0) partial.push(`if (aff[${j}] || aff[${p}]) {`, inertiaActAddSource((k) => `L[${12 * j + k}]`, yc(j), yc(p)), '}');
  }
  return { full: full.join('\n'), partial: partial.join('\n') };
}

/** Where jointBlock reads the composite inertia of its joint: loaded from Yc, or named locals. */
type Composite = 'load' | ((k: number) => string);

/** Column k of joint j's motion subspace (motionSubspaceColumn in crba.ts). */
function subspaceColumn(model: Model, j: number, k: number): number[] {
  const s = [0, 0, 0, 0, 0, 0];
  const type = model.jointTypes[j];
  if (type === JOINT_FREE) { s[k] = 1; return s; }
  const off = type === JOINT_PRISMATIC ? 0 : 3;
  for (let c = 0; c < 3; c++) s[off + c] = model.axes[3 * j + c];
  return s;
}

/**
 * The marked branch of joint j: F = Yc_j S_j, then the walk up to the root writing the blocks
 * (i, j) of M and carrying F to the parent frame (forceAct).
 */
function jointBlock(model: Model, j: number, nv: number, composite: Composite): string {
  const lines: string[] = [];
  let n = 0;
  const tag = composite === 'load' ? '' : `${j}_`;
  /** The value of e in a const (unless it already is a name, or zero). */
  const name = (e: E): E => {
    if (e === null || /^[a-z][0-9_]+$/.test(e.s)) return e;
    const v = `f${tag}${n++}`;
    lines.push(`const ${v} = ${e.s};`);
    return atom(v);
  };
  const ivj = model.idxV[j], nvj = model.nvs[j];
  const y = (k: number) => atom(composite === 'load' ? `y${k}` : composite(k));
  // inertiaMulMotion(Yc_j, S column k), same expressions as in spatial.ts
  let F: E[][] = [];
  for (let k = 0; k < nvj; k++) {
    const [vx, vy, vz, wx, wy, wz] = subspaceColumn(model, j, k);
    const mass = y(0), hx = y(1), hy = y(2), hz = y(3);
    F.push([
      sub(mulC(mass, vx), sub(mulC(hy, wz), mulC(hz, wy))),
      sub(mulC(mass, vy), sub(mulC(hz, wx), mulC(hx, wz))),
      sub(mulC(mass, vz), sub(mulC(hx, wy), mulC(hy, wx))),
      add(add(add(sub(mulC(hy, vz), mulC(hz, vy)), mulC(y(4), wx)), mulC(y(7), wy)), mulC(y(8), wz)),
      add(add(add(sub(mulC(hz, vx), mulC(hx, vz)), mulC(y(7), wx)), mulC(y(5), wy)), mulC(y(9), wz)),
      add(add(add(sub(mulC(hx, vy), mulC(hy, vx)), mulC(y(8), wx)), mulC(y(9), wy)), mulC(y(6), wz)),
    ].map(name));
  }
  // The walk's writes of M in the generic order: [slots, value]. Only the last write of a slot
  // survives (nothing reads M meanwhile), so earlier ones are not emitted: this halves the
  // free-flyer's diagonal block, written twice by the generic loops.
  const writes: { slots: number[]; value: E; level: number }[] = [];
  let i = j;
  for (let level = 0; ; level++) {
    const ivi = model.idxV[i], nvi = model.nvs[i];
    lines.push(`\u0000${level}`); // where this level's writes go, once the last writes are known
    for (let k = 0; k < nvj; k++) {
      for (let r = 0; r < nvi; r++) {
        const a = (ivi + r) * nv + ivj + k, b = (ivj + k) * nv + ivi + r;
        writes.push({ slots: a === b ? [a] : [a, b], value: projection(model, i, r, F[k]), level });
      }
    }
    const p = model.parents[i];
    if (p === 0) break;
    // forceAct(liMi_i, F_k) in place for each column (spatial.ts); liMi_i read once for all
    const x = (e: number): E => atom(`x${tag}${12 * i + e}`);
    const load = lines.length;
    F = F.map(([fx, fy, fz, nx, ny, nz]) => {
      const Fx = name(add(add(mul(x(0), fx), mul(x(1), fy)), mul(x(2), fz)));
      const Fy = name(add(add(mul(x(3), fx), mul(x(4), fy)), mul(x(5), fz)));
      const Fz = name(add(add(mul(x(6), fx), mul(x(7), fy)), mul(x(8), fz)));
      const px = x(9), py = x(10), pz = x(11);
      return [Fx, Fy, Fz,
        name(add(add(add(mul(x(0), nx), mul(x(1), ny)), mul(x(2), nz)), sub(mul(py, Fz), mul(pz, Fy)))),
        name(add(add(add(mul(x(3), nx), mul(x(4), ny)), mul(x(5), nz)), sub(mul(pz, Fx), mul(px, Fz)))),
        name(add(add(add(mul(x(6), nx), mul(x(7), ny)), mul(x(8), nz)), sub(mul(px, Fy), mul(py, Fx)))),
      ];
    });
    // a full pass loads all of liMi_i: the transport of joint i's composite reuses them
    const used = composite === 'load' ? usedNames(lines.slice(load).join('\n'), `x${tag}`) : Array.from({ length: 12 }, (_, e) => 12 * i + e);
    if (used.length > 0) lines.splice(load, 0, `const ${used.map((v) => `x${tag}${v} = L[${v}]`).join(', ')};`);
    i = p;
  }
  const last = new Map<number, number>();
  writes.forEach((w, t) => { for (const s of w.slots) last.set(s, t); });
  const byLevel: string[][] = [];
  writes.forEach((w, t) => {
    const kept = w.slots.filter((s) => last.get(s) === t);
    if (kept.length > 0) (byLevel[w.level] ??= []).push(`${kept.map((s) => `M[${s}] = `).join('')}${w.value === null ? '0' : w.value.s};`);
  });
  const body = lines.flatMap((l) => (l.startsWith('\u0000') ? byLevel[Number(l.slice(1))] ?? [] : [l]));
  if (composite === 'load') {
    const usedY = usedNames(body.join('\n'), 'y');
    if (usedY.length > 0) body.unshift(`const ${usedY.map((v) => `y${v} = Yc[${10 * j + v}]`).join(', ')};`);
  }
  return body.join('\n');
}

/** Row r of S_i^T applied to the force F (projectColumn in crba.ts). */
function projection(model: Model, i: number, r: number, F: E[]): E {
  const type = model.jointTypes[i];
  if (type === JOINT_FREE) return F[r];
  const off = type === JOINT_PRISMATIC ? 0 : 3;
  const a = model.axes;
  return add(add(mulC(F[off], a[3 * i]), mulC(F[off + 1], a[3 * i + 1])), mulC(F[off + 2], a[3 * i + 2]));
}

/** Sorted distinct numbers k of the names `${prefix}k` referenced in src. */
function usedNames(src: string, prefix: string): number[] {
  const set = new Set<number>();
  for (const m of src.matchAll(new RegExp(`\\b${prefix}(\\d+)\\b`, 'g'))) set.add(Number(m[1]));
  return [...set].sort((a, b) => a - b);
}

/**
 * inertiaActAdd(liMi_j, Yc_j, Yc_p) of spatial.ts, same text, with the placement, the child's
 * and the parent's composites as R(k), Y(k), O(k): array entries at literal offsets, or locals.
 */
function inertiaActAddSource(R: (k: number) => string, Y: (k: number) => string, O: (k: number) => string): string {
  return `const m = ${Y(0)}, hx = ${Y(1)}, hy = ${Y(2)}, hz = ${Y(3)};
const Ixx = ${Y(4)}, Iyy = ${Y(5)}, Izz = ${Y(6)}, Ixy = ${Y(7)}, Ixz = ${Y(8)}, Iyz = ${Y(9)};
const r0 = ${R(0)}, r1 = ${R(1)}, r2 = ${R(2)}, r3 = ${R(3)}, r4 = ${R(4)}, r5 = ${R(5)}, r6 = ${R(6)}, r7 = ${R(7)}, r8 = ${R(8)};
const px = ${R(9)}, py = ${R(10)}, pz = ${R(11)};
const kx = r0 * hx + r1 * hy + r2 * hz, ky = r3 * hx + r4 * hy + r5 * hz, kz = r6 * hx + r7 * hy + r8 * hz;
const t00 = r0 * Ixx + r1 * Ixy + r2 * Ixz, t01 = r0 * Ixy + r1 * Iyy + r2 * Iyz, t02 = r0 * Ixz + r1 * Iyz + r2 * Izz;
const t10 = r3 * Ixx + r4 * Ixy + r5 * Ixz, t11 = r3 * Ixy + r4 * Iyy + r5 * Iyz, t12 = r3 * Ixz + r4 * Iyz + r5 * Izz;
const t20 = r6 * Ixx + r7 * Ixy + r8 * Ixz, t21 = r6 * Ixy + r7 * Iyy + r8 * Iyz, t22 = r6 * Ixz + r7 * Iyz + r8 * Izz;
const kp = kx * px + ky * py + kz * pz;
const pp = px * px + py * py + pz * pz;
const diag = 2 * kp + m * pp;
${O(0)} += m;
${O(1)} += kx + m * px; ${O(2)} += ky + m * py; ${O(3)} += kz + m * pz;
${O(4)} += t00 * r0 + t01 * r1 + t02 * r2 - 2 * px * kx - m * px * px + diag;
${O(5)} += t10 * r3 + t11 * r4 + t12 * r5 - 2 * py * ky - m * py * py + diag;
${O(6)} += t20 * r6 + t21 * r7 + t22 * r8 - 2 * pz * kz - m * pz * pz + diag;
${O(7)} += t00 * r3 + t01 * r4 + t02 * r5 - (px * ky + kx * py) - m * px * py;
${O(8)} += t00 * r6 + t01 * r7 + t02 * r8 - (px * kz + kx * pz) - m * px * pz;
${O(9)} += t10 * r6 + t11 * r7 + t12 * r8 - (py * kz + ky * pz) - m * py * pz;`;
}
