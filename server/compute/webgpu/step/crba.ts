/** Stage: CRBA (dynamics/crba.ts), composite inertias in origin form, and H = M + dt D. */
import { bodyInertias, forceAct, inertiaActAdd, inertiaMul, sCol, sProj, type Inertia, type StepTrace, type V } from './common.ts';
import type { Kinematics } from './kinematics.ts';

/** The joint-space inertia M (nv x nv, row-major, both triangles). */
export function traceCrba(s: StepTrace, kin: Kinematics): V[] {
  const { t, model } = s;
  const nv = model.nv;
  const { lR, lp } = kin;
  const M: V[] = new Array(nv * nv).fill(0);
  const Yc: Inertia[] = bodyInertias(model).map((y) => ({ m: y.m, h: y.h.slice(), I: y.I.slice() }));
  for (let j = model.njoints - 1; j >= 1; j--) {
    const ivj = model.idxV[j], nvj = model.nvs[j];
    let F = Array.from({ length: nvj }, (_, k) => { const c = sCol(model, j, k); return inertiaMul(t, Yc[j], c.l, c.a); });
    let i = j;
    for (;;) {
      const ivi = model.idxV[i];
      for (let k = 0; k < nvj; k++) {
        for (let r = 0; r < model.nvs[i]; r++) {
          const x = sProj(s, i, r, F[k]);
          M[(ivi + r) * nv + ivj + k] = x;
          M[(ivj + k) * nv + ivi + r] = x;
        }
      }
      const p = model.parents[i];
      if (p === 0) break;
      F = F.map((f) => forceAct(t, lR[i], lp[i], f));
      i = p;
    }
    const p = model.parents[j];
    if (p > 0) Yc[p] = inertiaActAdd(t, lR[j], lp[j], Yc[j], Yc[p]);
  }
  return M;
}

/** H = M + dt D (implicit damping), a new array. */
export function traceDampedInertia(s: StepTrace, M: readonly V[]): V[] {
  const nv = s.model.nv;
  const H = M.slice();
  for (let i = 0; i < nv; i++) H[i * nv + i] = s.t.add(H[i * nv + i], s.dt * s.model.damping[i]);
  return H;
}
