/**
 * Inverse kinematics for point targets: the configuration q that puts frames at given world
 * positions, closest to a reference configuration. Minimizes
 *   sum_f |p_f(q) - target_f|^2 + lambda |q (-) qRef|^2
 * by Gauss-Newton on the tangent space with Levenberg-Marquardt damping (exact Jacobians:
 * frame Jacobians at the frame origin in world axes, and dDifference for the regularization).
 * With fewer targets than degrees of freedom (four feet on an 18-dof Solo) the regularization
 * chooses among the solutions; lambda small keeps the targets met to ~lambda.
 * Runs once per task build: allocation is fine here.
 */
import type { Model } from '../model/model.ts';
import { choleskyInPlace, choleskySolveInPlace } from '../math/linalg.ts';
import { createData } from './data.ts';
import { computeJointJacobians, frameJacobian } from './jacobian.ts';
import { dDifference, difference, integrate } from './lie.ts';

export interface PointTarget {
  frame: number;
  position: ArrayLike<number>;
}

export interface IkResult {
  q: Float64Array;
  /** Largest distance between a frame and its target (m). */
  maxError: number;
  iterations: number;
  converged: boolean;
}

export interface IkOptions {
  /** Weight of the distance to qRef (default 1e-6). */
  lambda?: number;
  maxIterations?: number;
  /** Stop when the step's norm is below this (default 1e-12). */
  tolerance?: number;
}

export function solvePointIk(model: Model, qRef: ArrayLike<number>, targets: readonly PointTarget[], opts: IkOptions = {}): IkResult {
  const nv = model.nv, nq = model.nq;
  const lambda = opts.lambda ?? 1e-6, maxIt = opts.maxIterations ?? 200, tol = opts.tolerance ?? 1e-12;
  const data = createData(model);
  const q = Float64Array.from(qRef), trial = new Float64Array(nq);
  const Jf = new Float64Array(6 * nv), Jr = new Float64Array(nv * nv), r = new Float64Array(nv);
  const H = new Float64Array(nv * nv), g = new Float64Array(nv), step = new Float64Array(nv);
  const e = new Float64Array(3 * targets.length), J = new Float64Array(3 * targets.length * nv);

  /** Residuals (and their Jacobians when jac) at config x; returns the objective. */
  const evaluate = (x: Float64Array, jac: boolean): number => {
    computeJointJacobians(model, data, x);
    let f = 0;
    targets.forEach((t, i) => {
      frameJacobian(model, data, t.frame, 'local_world_aligned', Jf);
      const o = 12 * t.frame + 9;
      for (let k = 0; k < 3; k++) {
        e[3 * i + k] = data.oMf[o + k] - t.position[k];
        f += e[3 * i + k] ** 2;
        if (jac) for (let c = 0; c < nv; c++) J[(3 * i + k) * nv + c] = Jf[k * nv + c];
      }
    });
    difference(model, qRef, x, r);
    for (let c = 0; c < nv; c++) f += lambda * r[c] * r[c];
    if (jac) dDifference(model, qRef, x, null, Jr);
    return f;
  };

  let f = evaluate(q, true);
  let mu = 1e-6, it = 0, converged = false;
  for (; it < maxIt; it++) {
    // H = J^T J + lambda Jr^T Jr, g = J^T e + lambda Jr^T r
    H.fill(0); g.fill(0);
    const m = e.length;
    for (let a = 0; a < nv; a++) {
      for (let i = 0; i < m; i++) g[a] += J[i * nv + a] * e[i];
      for (let i = 0; i < nv; i++) g[a] += lambda * Jr[i * nv + a] * r[i];
      for (let b = 0; b <= a; b++) {
        let s = 0;
        for (let i = 0; i < m; i++) s += J[i * nv + a] * J[i * nv + b];
        for (let i = 0; i < nv; i++) s += lambda * Jr[i * nv + a] * Jr[i * nv + b];
        H[a * nv + b] = s; H[b * nv + a] = s;
      }
    }
    let accepted = false;
    for (let tries = 0; tries < 30 && !accepted; tries++) {
      const A = Float64Array.from(H);
      for (let a = 0; a < nv; a++) A[a * nv + a] += mu;
      if (!choleskyInPlace(A, nv)) { mu *= 10; continue; }
      for (let a = 0; a < nv; a++) step[a] = -g[a];
      choleskySolveInPlace(A, nv, step);
      integrate(model, q, step, trial);
      const ft = evaluate(trial, false);
      if (ft <= f) {
        accepted = true;
        q.set(trial);
        mu = Math.max(mu / 10, 1e-12);
        const small = Math.hypot(...step) < tol || f - ft < 1e-30;
        f = evaluate(q, true);
        if (small) converged = true;
      } else mu *= 10;
    }
    if (!accepted || converged) { converged ||= !accepted && Math.hypot(...g) < 1e-10; break; }
  }
  evaluate(q, false);
  let maxError = 0;
  for (let i = 0; i < targets.length; i++) maxError = Math.max(maxError, Math.hypot(e[3 * i], e[3 * i + 1], e[3 * i + 2]));
  return { q, maxError, iterations: it, converged };
}
