/**
 * Static equilibrium of a floating-base robot standing on point contacts: the joint torques tau
 * and contact forces f (world, one 3-vector per contact frame) with
 *     g(q) = S^T tau + sum_c J_c(q)^T f_c,
 * where g is the generalized gravity and J_c the world-aligned linear Jacobian of contact frame c.
 * The base rows (6 equations) fix the contact forces up to the internal forces; among all
 * solutions we take the one with the smallest weighted norm of the tangential forces (normal
 * forces are free, tangential ones cost 100x more), which for a symmetric stance is the
 * vertical-force solution. Not a hot path: plain arrays are fine.
 */
import { JOINT_FREE, actuatedDofs, frameIndex, type Model } from '../model/model.ts';
import { createData } from './data.ts';
import { computeJointJacobians, frameJacobian } from './jacobian.ts';
import { computeGeneralizedGravity } from './rnea.ts';
import { choleskyInPlace, choleskySolveInPlace } from '../math/linalg.ts';

export interface StaticEquilibrium {
  /** Actuated joint torques (u order). */
  tau: Float64Array;
  /** World contact forces, 3 per contact frame. */
  forces: Float64Array;
}

export function staticEquilibrium(model: Model, q: ArrayLike<number>, contactFrames: readonly string[]): StaticEquilibrium {
  if (model.jointTypes[1] !== JOINT_FREE) throw new Error('staticEquilibrium: the model needs a free-flyer base');
  const data = createData(model);
  const nv = model.nv;
  const g = Float64Array.from(computeGeneralizedGravity(model, data, q));
  const nc = contactFrames.length;
  const m = 3 * nc;
  // A (6 x m): base rows of J_c^T
  const A = new Float64Array(6 * m);
  const Js: Float64Array[] = [];
  computeJointJacobians(model, data, q);
  for (let c = 0; c < nc; c++) {
    const J = frameJacobian(model, data, frameIndex(model, contactFrames[c]), 'local_world_aligned', new Float64Array(6 * nv));
    Js.push(J);
    for (let r = 0; r < 6; r++) for (let k = 0; k < 3; k++) A[r * m + 3 * c + k] = J[k * nv + r];
  }
  // min f^T W f subject to A f = g_base: f = W^-1 A^T (A W^-1 A^T)^-1 g_base
  const winv = new Float64Array(m).map((_, i) => (i % 3 === 2 ? 1 : 0.01));
  const K = new Float64Array(36);
  for (let r = 0; r < 6; r++) {
    for (let s = 0; s < 6; s++) {
      let x = 0;
      for (let i = 0; i < m; i++) x += A[r * m + i] * winv[i] * A[s * m + i];
      K[6 * r + s] = x;
    }
  }
  // the base's free rotation about the vertical axis may be unconstrained by point contacts of
  // a degenerate stance: a tiny ridge keeps K invertible without changing a regular solution
  for (let r = 0; r < 6; r++) K[6 * r + r] += 1e-12;
  if (!choleskyInPlace(K, 6)) throw new Error('staticEquilibrium: the contacts cannot hold the base');
  const y = g.slice(0, 6);
  choleskySolveInPlace(K, 6, y);
  const forces = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let x = 0;
    for (let r = 0; r < 6; r++) x += A[r * m + i] * y[r];
    forces[i] = winv[i] * x;
  }
  // joint torques: tau = g_joints - J_joints^T f
  const act = actuatedDofs(model);
  const tau = new Float64Array(act.length);
  for (let k = 0; k < act.length; k++) {
    const i = act[k];
    let x = g[i];
    for (let c = 0; c < nc; c++) for (let r = 0; r < 3; r++) x -= Js[c][r * nv + i] * forces[3 * c + r];
    tau[k] = x;
  }
  return { tau, forces };
}

/**
 * Signed distance (m) of a point p (x, y) inside the convex hull of support points (x, y) given
 * in any order: the smallest distance to an edge, positive inside, negative outside (the
 * distance to the nearest edge's line). The static-balance margin of a centre of mass over
 * point feet. Needs 3 or more points not all on a line.
 */
export function supportMargin(points: readonly (readonly [number, number])[], p: readonly [number, number]): number {
  // convex hull (monotone chain), counter-clockwise
  const pts = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const cross = (o: readonly number[], a: readonly number[], b: readonly number[]) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: (readonly [number, number])[] = [], upper: (readonly [number, number])[] = [];
  for (const q of pts) { while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], q) <= 0) lower.pop(); lower.push(q); }
  for (const q of [...pts].reverse()) { while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], q) <= 0) upper.pop(); upper.push(q); }
  const hull = [...lower.slice(0, -1), ...upper.slice(0, -1)];
  if (hull.length < 3) throw new Error('supportMargin: the support points lie on a line');
  let m = Infinity;
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i], b = hull[(i + 1) % hull.length];
    m = Math.min(m, cross(a, b, p) / Math.hypot(b[0] - a[0], b[1] - a[1]));
  }
  return m;
}
