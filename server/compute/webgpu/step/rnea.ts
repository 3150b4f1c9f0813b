/**
 * Stage: nonlinear effects by the RNEA from the placements (dynamics/rnea.ts): the symbolic RNEA
 * that the JavaScript kernel also runs (dynamics/symbolic/rnea.ts), printed as WGSL, with the
 * body velocities of the kinematics stage; and the free velocity v + H^-1 dt (tau - nle - D v)
 * with the free-flyer's w x v term (step.ts).
 */
import { rneaBackwardSym, rneaForwardSym } from '../../../dynamics/symbolic/rnea.ts';
import { actuated, bodyInertias, wgslOps, type StepTrace, type V } from './common.ts';
import type { Factor } from './factor.ts';
import type { Kinematics } from './kinematics.ts';

/** nle = RNEA(q, v, 0) from the placements and body velocities of `kin`. */
export function traceNle(s: StepTrace, kin: Kinematics, v: readonly V[]): V[] {
  const { t, model } = s;
  const ops = wgslOps(t);
  const nj = model.njoints;
  const { lR, lp, bvl, bva } = kin;
  const Yb = bodyInertias(model);
  const A: V[][] = [[-model.gravity[0], -model.gravity[1], -model.gravity[2], 0, 0, 0]];
  const F: V[][] = [[0, 0, 0, 0, 0, 0]];
  for (let j = 1; j < nj; j++) {
    const p = model.parents[j], iv = model.idxV[j];
    A[j] = []; F[j] = [];
    rneaForwardSym(ops, model, j, {
      placement: () => [...lR[j], ...lp[j]],
      v: (i) => v[iv + i],
      parentVelocity: () => [...bvl[p], ...bva[p]],
      parentAcceleration: () => A[p],
      bodyVelocity: () => [...bvl[j], ...bva[j]],
      motion: (which, k, x) => { if (which === 'A') A[j][k] = x; },
      inertia: () => Yb[j],
      force: (k, x) => { F[j][k] = x; },
    });
  }
  const nle: V[] = new Array(model.nv).fill(0);
  for (let j = nj - 1; j >= 1; j--) {
    const p = model.parents[j], iv = model.idxV[j];
    rneaBackwardSym(ops, model, j, {
      force: () => F[j],
      torque: (r, x) => { nle[iv + r] = x; },
      placement: () => [...lR[j], ...lp[j]],
      addToParent: (k, x) => { F[p][k] = t.add(F[p][k], x); },
    });
  }
  return nle;
}

/** The joint torques of the controls u (in v order, zero on unactuated dofs), clamped to the effort limits when the options say so. */
export function traceTau(s: StepTrace, u: readonly V[]): V[] {
  const { t, model } = s;
  const tau: V[] = new Array(model.nv).fill(0);
  let ku = 0;
  for (let j = 1; j < model.njoints; j++) {
    if (!actuated(model, j)) continue;
    for (let d = 0; d < model.nvs[j]; d++) {
      const i = model.idxV[j] + d;
      const lim = model.effortLimit[i];
      tau[i] = s.pm.options.clampEffort && Number.isFinite(lim) ? t.min(t.max(u[ku], -lim), lim) : u[ku];
      ku++;
    }
  }
  return tau;
}

/** v_free = v + H^-1 dt (tau - nle - D v), plus dt w x v_lin on a floating base. */
export function traceFreeVelocity(s: StepTrace, fac: Factor, nle: readonly V[], v: readonly V[], u: readonly V[]): V[] {
  const { t, model, dt } = s;
  const tau = traceTau(s, u);
  const rhs = Array.from({ length: model.nv }, (_, i) => t.mul(dt, t.sub(t.sub(tau[i], nle[i]), t.mul(model.damping[i], v[i]))));
  const vfree = fac.solve(rhs).map((x, i) => t.add(x, v[i]));
  if (model.floating) {
    const c = t.cross([v[3], v[4], v[5]], [v[0], v[1], v[2]]);
    for (let i = 0; i < 3; i++) vfree[i] = t.add(vfree[i], t.mul(dt, c[i]));
  }
  return vfree;
}
