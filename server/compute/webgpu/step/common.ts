/**
 * What the stages of the WGSL step (this folder, one file per CPU stage) share: the trace
 * context, the WGSL printer of the joint types' symbolic form, and spatial algebra on traced
 * values (spatial.ts's formulas).
 */
import { jointOf, type SymOps } from '../../../model/joints/index.ts';
import { motionSubspaceColumn, projectSym } from '../../../model/joints/subspace.ts';
import type { Model } from '../../../model/model.ts';
import { inertiaComToOrigin } from '../../../model/spatial.ts';
import type { PackedModel } from '../model-pack.ts';
import type { B, Tracer, V } from '../trace.ts';

export type { B, V };
export type V3 = V[];
export type M3 = V[];
/** A spatial motion or force [l; a] (linear, angular). */
export interface Motion { l: V3; a: V3 }
/** A body inertia in origin form [m, h = m c, I_origin (xx yy zz xy xz yz)]. */
export interface Inertia { m: V; h: V3; I: V[] }

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
    cos: (a) => t.cos(a),
    sin: (a) => t.sin(a),
    def: (_name, a) => a, // every traced operation is a `let` already
  };
}

export const isIdent = (R: readonly V[]): boolean => R.every((x, i) => x === IDENT[i]);

/** Column k of joint j's motion subspace (joint type's S class), constants. */
export function sCol(model: Model, j: number, k: number): Motion {
  const s = [0, 0, 0, 0, 0, 0];
  motionSubspaceColumn(model, j, k, s);
  return { l: s.slice(0, 3), a: s.slice(3) };
}

/** Row r of S_j^T f. */
export function sProj(s: StepTrace, j: number, r: number, f: Motion): V {
  return projectSym(wgslOps(s.t), s.model, j, r, [...f.l, ...f.a]);
}

/** Y [l; a] (spatial.ts inertiaMulMotion). */
export function inertiaMul(t: Tracer, Y: Inertia, l: V3, w: V3): Motion {
  const [Ixx, Iyy, Izz, Ixy, Ixz, Iyz] = Y.I;
  return {
    l: t.v3sub(t.v3scale(l, Y.m), t.cross(Y.h, w)),
    a: t.v3add(t.cross(Y.h, l), [t.dot([Ixx, Ixy, Ixz], w), t.dot([Ixy, Iyy, Iyz], w), t.dot([Ixz, Iyz, Izz], w)]),
  };
}

/** A force in the frame of (R, p) moved to the parent frame (spatial.ts forceAct). */
export function forceAct(t: Tracer, R: M3, p: V3, f: Motion): Motion {
  const F = t.mv(R, f.l);
  return { l: F, a: t.v3add(t.mv(R, f.a), t.cross(p, F)) };
}

/** The body inertias in origin form (data.ts Ybody), constants. */
export function bodyInertias(model: Model): Inertia[] {
  const Yb: Inertia[] = [];
  const yb = new Float64Array(10);
  for (let j = 0; j < model.njoints; j++) {
    inertiaComToOrigin(model.inertias, 10 * j, yb, 0);
    Yb.push({ m: yb[0], h: [yb[1], yb[2], yb[3]], I: [yb[4], yb[5], yb[6], yb[7], yb[8], yb[9]] });
  }
  return Yb;
}

/** Whether joint j's dofs are controls (its joint type's). */
export const actuated = (model: Model, j: number): boolean => jointOf(model, j).actuated;
