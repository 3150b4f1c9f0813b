/**
 * What the stages of the WGSL step (this folder, one file per CPU stage) share: the trace
 * context, the WGSL printer of the symbolic form (the algorithms in dynamics/symbolic/), and
 * model constants.
 */
import { jointOf, type SymOps } from '../../../model/joints/index.ts';
import { motionSubspaceColumn } from '../../../model/joints/subspace.ts';
import type { Model } from '../../../model/model.ts';
import { inertiaComToOrigin } from '../../../model/spatial.ts';
import type { PackedModel } from '../model-pack.ts';
import type { B, Tracer, V } from '../trace.ts';

export type { B, V };
export type V3 = V[];
export type M3 = V[];

export const IDENT: M3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/** One step's trace: the tracer every stage emits into, and the model it is specialised for. */
export interface StepTrace {
  readonly t: Tracer;
  readonly pm: PackedModel;
  readonly model: Model;
  readonly dt: number;
}

export function stepTrace(t: Tracer, pm: PackedModel): StepTrace {
  return { t, pm, model: pm.model, dt: pm.options.dt };
}

/** The WGSL printer of the joint types' symbolic form (server/model/joints/types.ts SymOps). */
export function wgslOps(t: Tracer): SymOps<string> {
  return {
    add: (a, b) => t.add(a, b),
    sub: (a, b) => t.sub(a, b),
    mul: (a, b) => t.mul(a, b),
    neg: (a) => t.neg(a),
    fma: (a, b, c) => t.fma(a, b, c),
    div: (a, b) => t.div(a, b),
    cos: (a) => t.cos(a),
    sin: (a) => t.sin(a),
    def: (_name, a) => a, // every traced operation is a `let` already
  };
}

export const isIdent = (R: readonly V[]): boolean => R.every((x, i) => x === IDENT[i]);

/** Column k of joint j's motion subspace (joint type's S class), constants. */
export function sCol(model: Model, j: number, k: number): number[] {
  const s = [0, 0, 0, 0, 0, 0];
  motionSubspaceColumn(model, j, k, s);
  return s;
}

/** The body inertias in origin form (data.ts Ybody: m, h = m c, Ixx Iyy Izz Ixy Ixz Iyz), constants. */
export function bodyInertias(model: Model): number[][] {
  const yb = new Float64Array(10);
  return Array.from({ length: model.njoints }, (_, j) => {
    inertiaComToOrigin(model.inertias, 10 * j, yb, 0);
    return Array.from(yb);
  });
}

/** Whether joint j's dofs are controls (its joint type's). */
export const actuated = (model: Model, j: number): boolean => jointOf(model, j).actuated;
