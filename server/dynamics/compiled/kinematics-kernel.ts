/**
 * Generated forward kinematics and joint Jacobians for one model (see emit.ts): the operations
 * of kinematics.ts / jacobian.ts unrolled over the joints, with joint indices, parents, dof and
 * array offsets, joint types, axes, the jointPath fast paths and the constant joint placements
 * as literals.
 *
 * Generation tracks which values are model constants (symbolic `Val`s below) and folds the
 * operations on them: a product with a constant 0 (an axis or placement entry, a zero of a
 * principal-axis rotation) is dropped, a product with 1 or -1 becomes the operand or its
 * negation. For finite inputs that changes at most the sign of a zero result (x + (+-0) = x
 * otherwise); everything else runs as the generic code runs it, in the same order, so results
 * are equal (===) to the generic functions', which stay the reference and the fallback.
 */
import type { Model } from '../../model/model.ts';
import { jointOf, type SymOps } from '../../model/joints/index.ts';
import { jointMotionSym as motionSym, motionSubspaceColumn } from '../../model/joints/subspace.ts';
import { motionActInvSym as motionActInvSymGeneric, motionActSym as motionActSymGeneric, se3MulSym as se3MulSymGeneric } from '../../model/spatial-sym.ts';
import { fkJointSym } from '../symbolic/kinematics.ts';
import { compileKernel, lit } from './emit.ts';

// ---------------------------------------------------------------------------------------------
// Symbolic values

/**
 * JavaScript source of a runtime value; p is its precedence (0 sum or difference, 1 product,
 * 2 name, element, call or unary minus), neg the operand when it is a unary minus.
 */
export interface Src {
  readonly s: string;
  readonly p: 0 | 1 | 2;
  readonly neg?: Src;
}

/** A value of generated code: a number known at generation time, or runtime source. */
export type Val = number | Src;

/** A runtime name, array element or call: no parentheses needed anywhere. */
export function atom(s: string): Src {
  return { s, p: 2 };
}

/** Source of v as an operand that needs precedence at least `min`. */
function operand(v: Val, min: number): string {
  if (typeof v === 'number') return lit(v);
  return v.p >= min ? v.s : `(${v.s})`;
}

/** Source of v as an expression. */
export function src(v: Val): string {
  return typeof v === 'number' ? lit(v) : v.s;
}

export function neg(a: Val): Val {
  if (typeof a === 'number') return -a;
  if (a.neg) return a.neg; // -(-x) = x exactly
  return { s: `-${operand(a, 2)}`, p: 2, neg: a };
}

/** a + b; constants fold (the same double the runtime computes), a +-0 term is dropped. */
export function add(a: Val, b: Val): Val {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (b === 0) return a;
  if (a === 0) return b;
  if (typeof b !== 'number' && b.neg) return sub(a, b.neg); // a + (-b) = a - b exactly
  return { s: `${operand(a, 0)} + ${operand(b, 1)}`, p: 0 };
}

/** a - b; constants fold, 0 - b is -b (up to the sign of a zero). */
export function sub(a: Val, b: Val): Val {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (b === 0) return a;
  if (a === 0) return neg(b);
  if (typeof b !== 'number' && b.neg) return add(a, b.neg);
  return { s: `${operand(a, 0)} - ${operand(b, 1)}`, p: 0 };
}

/** a * b; constants fold, a constant 0 drops the product, +-1 passes the operand through. */
export function mul(a: Val, b: Val): Val {
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  if (a === 0 || b === 0) return 0;
  if (a === 1) return b;
  if (b === 1) return a;
  if (a === -1) return neg(b);
  if (b === -1) return neg(a);
  // (-x) y = -(x y) exactly (rounding is symmetric): keeps the minus where a sum can absorb it
  if (typeof a !== 'number' && a.neg) return neg(mul(a.neg, b));
  if (typeof b !== 'number' && b.neg) return neg(mul(a, b.neg));
  return { s: `${operand(a, 1)} * ${operand(b, 2)}`, p: 1 };
}

/** a / b; constants fold, / 1 passes a through. */
export function div(a: Val, b: Val): Val {
  if (typeof a === 'number' && typeof b === 'number') return a / b;
  if (b === 1) return a;
  return { s: `${operand(a, 1)} / ${operand(b, 2)}`, p: 1 };
}

/** a + b c, as the generic code's `a + b * c` evaluates. */
export function fma(a: Val, b: Val, c: Val): Val {
  return add(a, mul(b, c));
}

/** Sum of terms left to right, as `t0 + t1 + ...` evaluates. */
export function sum(...t: Val[]): Val {
  let s = t[0];
  for (let i = 1; i < t.length; i++) s = add(s, t[i]);
  return s;
}

/**
 * Straight-line code under construction. Consecutive bindings share one `const` statement;
 * names are unique within a scope (one per joint block, reset by `scope`) and never shadow a
 * reserved name (parameters, function-level locals): a block's `const x` would hide an outer
 * x from the whole block.
 */
export class Emitter {
  private readonly lines: string[] = [];
  private pending: string[] = [];
  private names: Set<string>;

  constructor(private readonly reserved: readonly string[]) {
    this.names = new Set(reserved);
  }

  /** Starts a new naming scope (a new top-level block: earlier names are out of reach). */
  scope(): void {
    this.names = new Set(this.reserved);
  }

  line(s: string): void {
    this.flush();
    this.lines.push(s);
  }

  /** Binds runtime source to a fresh local (always). */
  bind(name: string, s: string): Src {
    let n = name;
    for (let i = 1; this.names.has(n); i++) n = `${name}_${i}`;
    this.names.add(n);
    this.pending.push(`${n} = ${s}`);
    return atom(n);
  }

  /** v as a local when it is an expression; constants and names pass through. */
  def(name: string, v: Val): Val {
    if (typeof v === 'number' || v.p === 2) return v;
    return this.bind(name, v.s);
  }

  /** Each of vs through def, names `${prefix}${i}`. */
  defAll(prefix: string, vs: Val[]): Val[] {
    return vs.map((v, i) => this.def(`${prefix}${i}`, v));
  }

  /** Loads arr[base + i] for i < n into locals `${prefix}${i}`. */
  load(prefix: string, arr: string, base: number, n: number): Src[] {
    const out: Src[] = [];
    for (let i = 0; i < n; i++) out.push(this.bind(`${prefix}${i}`, `${arr}[${base + i}]`));
    return out;
  }

  store(arr: string, index: number, v: Val): void {
    this.line(`${arr}[${index}] = ${src(v)};`);
  }

  /** arr[index] += v, as the generic code writes it (arr[index] = arr[index] + v). */
  storeAdd(arr: string, index: number, v: Val): void {
    if (v === 0) return; // adding +-0 keeps the value (up to the sign of a zero)
    this.line(`${arr}[${index}] += ${src(v)};`);
  }

  source(): string {
    this.flush();
    return this.lines.join('\n');
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.lines.push(`const ${this.pending.join(', ')};`);
    this.pending = [];
  }
}

// ---------------------------------------------------------------------------------------------
// Spatial algebra on symbolic values (spatial.ts, operation for operation)

/** se3Mul: a * b (12 numbers each: R row-major, then p); model/spatial-sym.ts through the folding operations. */
export function se3MulSym(a: readonly Val[], b: readonly Val[]): Val[] {
  return se3MulSymGeneric(FOLD_OPS, a, b);
}

/** motionActInv: motion m (parent frame) into the frame of placement M (model/spatial-sym.ts). */
export function motionActInvSym(e: Emitter, M: readonly Val[], m: readonly Val[]): Val[] {
  return motionActInvSymGeneric(jsOps(e), M, m);
}

/** motionAct: motion m (frame of M) into the parent frame (model/spatial-sym.ts). */
export function motionActSym(e: Emitter, M: readonly Val[], m: readonly Val[]): Val[] {
  return motionActSymGeneric(jsOps(e), M, m);
}

// ---------------------------------------------------------------------------------------------
// Joints

/** data.jointPath of joint j (its joint type's placementPath: 0/1/2 principal axis, else 3). */
export function jointPathOf(model: Model, j: number): number {
  return jointOf(model, j).placementPath(model, j);
}

/**
 * The JavaScript printer of the joint types' symbolic form (server/model/joints/types.ts
 * SymOps): the folding operations above, cos and sin bound to locals, `def` a local.
 */
export function jsOps(e: Emitter): SymOps<Src> {
  return {
    add, sub, mul, neg, fma, div,
    cos: (a) => (typeof a === 'number' ? Math.cos(a) : e.bind('c', `Math.cos(${src(a)})`)),
    sin: (a) => (typeof a === 'number' ? Math.sin(a) : e.bind('s', `Math.sin(${src(a)})`)),
    def: (name, a) => e.def(name, a),
  };
}

/** The folding operations without an emitter (nothing to bind; no cos or sin). */
export const FOLD_OPS: SymOps<Src> = {
  add, sub, mul, neg, fma, div,
  cos: () => { throw new Error('kernel generation: cos needs an emitter'); },
  sin: () => { throw new Error('kernel generation: sin needs an emitter'); },
  def: (_n, a) => a,
};

/**
 * jointTransform of joint j at q (source name `q`): emits its locals and returns liMi_j's 12
 * entries (constants where the placement and joint path make them so): the joint type's
 * placementSym through the JavaScript printer.
 */
export function jointTransformSym(e: Emitter, model: Model, j: number): Val[] {
  const iq = model.idxQ[j];
  const jt = jointOf(model, j);
  const qs: Val[] = [];
  const q = (i: number): Val => (qs[i] ??= e.bind(qName(jt.nq, i), `q[${iq + i}]`));
  return e.defAll('m', jt.placementSym(jsOps(e), model, j, q));
}

/**
 * Local names of q's entries (names only: they keep the generated source as it was before the
 * joint types had a home): a 7-number q reads as position p0..2 and quaternion q0..3.
 */
function qName(nq: number, i: number): string {
  return nq === 1 ? 'qj' : nq === 7 ? (i < 3 ? `p${i}` : `q${i - 3}`) : `q${i}`;
}

/**
 * jointMotion: S_j qd for velocity source `name` (6 values; the free-flyer's are loads). Axis
 * products are formed as the generic code forms them (axis * qd).
 */
export function jointMotionSym(e: Emitter, model: Model, j: number, name: string, prefix: string): Val[] {
  const iv = model.idxV[j];
  const one = jointOf(model, j).nv === 1;
  return motionSym(jsOps(e), model, j, (i) => e.bind(one ? prefix : `${prefix}${i}`, `${name}[${iv + i}]`), prefix);
}

/** Column k of joint j's motion subspace S (motionSubspaceColumn), constants. */
export function subspaceColumn(model: Model, j: number, k: number): number[] {
  const out = [0, 0, 0, 0, 0, 0];
  motionSubspaceColumn(model, j, k, out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Kernels

/**
 * Forward kinematics over the joints from..to (inclusive): data.liMi and data.oMi, and with
 * withV data.v (L = liMi, O = oMi, V = v; v unused without withV).
 */
export type FkKernel = (
  L: Float64Array, O: Float64Array, V: Float64Array, q: ArrayLike<number>, v: ArrayLike<number> | undefined,
  from: number, to: number,
) => void;

/** Joint Jacobian columns of the joints from..to into J (6 x nv) from the placements O = data.oMi. */
export type JacobianKernel = (O: Float64Array, J: Float64Array, from: number, to: number) => void;

const FK_PARAMS = ['L', 'O', 'V', 'q', 'v', 'from', 'to'];
const JACOBIAN_PARAMS = ['O', 'J', 'from', 'to'];

function fkSource(model: Model, withV: boolean): string {
  const e = new Emitter(FK_PARAMS);
  const ops = jsOps(e);
  for (let j = 1; j < model.njoints; j++) {
    const p = model.parents[j], iq = model.idxQ[j], iv = model.idxV[j];
    const jt = jointOf(model, j);
    e.scope();
    e.line(`if (from <= ${j} && ${j} <= to) {`);
    const qs: Val[] = [];
    fkJointSym(ops, model, j, {
      q: (i) => (qs[i] ??= e.bind(qName(jt.nq, i), `q[${iq + i}]`)),
      v: (i) => e.bind(jt.nv === 1 ? 'j' : `j${i}`, `v[${iv + i}]`),
      liMi: (L) => {
        const Lj = e.defAll('m', L);
        for (let k = 0; k < 12; k++) e.store('L', 12 * j + k, Lj[k]);
        return Lj;
      },
      parentPlacement: () => e.load('o', 'O', 12 * p, 12),
      oMi: (O) => { for (let k = 0; k < 12; k++) e.store('O', 12 * j + k, O[k]); },
      parentVelocity: () => e.load('u', 'V', 6 * p, 6),
      velocity: (V) => { for (let k = 0; k < 6; k++) e.store('V', 6 * j + k, V[k]); },
    }, withV);
    e.line('}');
  }
  return e.source();
}

function jacobianSource(model: Model): string {
  const e = new Emitter(JACOBIAN_PARAMS);
  const nv = model.nv;
  for (let j = 1; j < model.njoints; j++) {
    e.scope();
    e.line(`if (from <= ${j} && ${j} <= to) {`);
    const M = e.load('o', 'O', 12 * j, 12);
    const iv = model.idxV[j];
    for (let k = 0; k < model.nvs[j]; k++) {
      const col = motionActSym(e, M, subspaceColumn(model, j, k));
      for (let r = 0; r < 6; r++) e.store('J', r * nv + iv + k, col[r]);
    }
    e.line('}');
  }
  return e.source();
}

interface KinematicsKernels {
  // undefined: not generated yet; null: too large to compile (the generic code runs)
  fkQ?: FkKernel | null;
  fkQV?: FkKernel | null;
  jacobian?: JacobianKernel | null;
}

const cache = new WeakMap<Model, KinematicsKernels>();
// the last model looked up, so that the hot path skips the WeakMap
let lastModel: Model | null = null;
let last: KinematicsKernels = {};

function kernelsOf(model: Model): KinematicsKernels {
  if (model === lastModel) return last;
  let k = cache.get(model);
  if (k === undefined) { k = {}; cache.set(model, k); }
  lastModel = model;
  last = k;
  return k;
}

/** The forward kinematics kernel of `model`, with velocities (withV) or without, or null. */
export function fkKernel(model: Model, withV: boolean): FkKernel | null {
  const k = kernelsOf(model);
  if (withV) {
    if (k.fkQV === undefined) k.fkQV = compileKernel<FkKernel>('forwardKinematicsQV', FK_PARAMS, fkSource(model, true));
    return k.fkQV;
  }
  if (k.fkQ === undefined) k.fkQ = compileKernel<FkKernel>('forwardKinematicsQ', FK_PARAMS, fkSource(model, false));
  return k.fkQ;
}

/** The joint Jacobian kernel of `model`, or null. */
export function jacobianKernel(model: Model): JacobianKernel | null {
  const k = kernelsOf(model);
  if (k.jacobian === undefined) k.jacobian = compileKernel<JacobianKernel>('jointJacobians', JACOBIAN_PARAMS, jacobianSource(model));
  return k.jacobian;
}

/** Generated source (for inspection and size checks). */
export function kinematicsKernelSources(model: Model): { fkQ: string; fkQV: string; jacobian: string } {
  return { fkQ: fkSource(model, false), fkQV: fkSource(model, true), jacobian: jacobianSource(model) };
}
