/**
 * Stage: nonlinear effects by the RNEA from the placements (dynamics/rnea.ts) and the free
 * velocity v + H^-1 dt (tau - nle - D v) with the free-flyer's w x v term (step.ts).
 */
import { actuated, bodyInertias, forceAct, inertiaMul, sProj, type Motion, type StepTrace, type V, type V3 } from './common.ts';
import type { Factor } from './factor.ts';
import { jointVel, type Kinematics } from './kinematics.ts';

/** nle = RNEA(q, v, 0) from the placements and body velocities of `kin`. */
export function traceNle(s: StepTrace, kin: Kinematics, v: readonly V[]): V[] {
  const { t, model } = s;
  const nj = model.njoints;
  const { lR, lp, bvl, bva } = kin;
  const Yb = bodyInertias(model);
  const bal: V3[] = [[-model.gravity[0], -model.gravity[1], -model.gravity[2]]], baa: V3[] = [[0, 0, 0]];
  const bf: Motion[] = [{ l: [0, 0, 0], a: [0, 0, 0] }];
  for (let j = 1; j < nj; j++) {
    const p = model.parents[j];
    const jv = jointVel(s, j, v);
    const vl = bvl[j], va = bva[j];
    const al = t.v3add(t.v3add(t.mtv(lR[j], t.v3sub(bal[p], t.cross(lp[j], baa[p]))), t.cross(va, jv.l)), t.cross(vl, jv.a));
    const aa = t.v3add(t.mtv(lR[j], baa[p]), t.cross(va, jv.a));
    bal[j] = al; baa[j] = aa;
    const hv = inertiaMul(t, Yb[j], vl, va);
    const ya = inertiaMul(t, Yb[j], al, aa);
    bf[j] = { l: t.v3add(ya.l, t.cross(va, hv.l)), a: t.v3add(t.v3add(ya.a, t.cross(va, hv.a)), t.cross(vl, hv.l)) };
  }
  const nle: V[] = new Array(model.nv).fill(0);
  for (let j = nj - 1; j >= 1; j--) {
    const iv = model.idxV[j];
    for (let r = 0; r < model.nvs[j]; r++) nle[iv + r] = sProj(s, j, r, bf[j]);
    const p = model.parents[j];
    if (p > 0) {
      const f = forceAct(t, lR[j], lp[j], bf[j]);
      bf[p] = { l: t.v3add(bf[p].l, f.l), a: t.v3add(bf[p].a, f.a) };
    }
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
