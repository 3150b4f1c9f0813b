/**
 * Stage: CRBA (dynamics/crba.ts), composite inertias in origin form, and H = M + dt D: the
 * symbolic CRBA that the JavaScript kernel also runs (dynamics/symbolic/crba.ts), printed as
 * WGSL.
 */
import { crbaCompositeSym, crbaJointSym } from '../../../dynamics/symbolic/crba.ts';
import { bodyInertias, wgslOps, type StepTrace, type V } from './common.ts';
import type { Kinematics } from './kinematics.ts';

/** The joint-space inertia M (nv x nv, row-major, both triangles). */
export function traceCrba(s: StepTrace, kin: Kinematics): V[] {
  const { t, model } = s;
  const ops = wgslOps(t);
  const nv = model.nv;
  const { lR, lp } = kin;
  const M: V[] = new Array(nv * nv).fill(0);
  const Yc: V[][] = bodyInertias(model);
  for (let j = model.njoints - 1; j >= 1; j--) {
    crbaJointSym(ops, model, j, {
      composite: () => Yc[j],
      write: (_level, row, col, x) => { M[row * nv + col] = x; M[col * nv + row] = x; },
      placement: (i) => [...lR[i], ...lp[i]],
    });
    const p = model.parents[j];
    if (p > 0) {
      const inc = crbaCompositeSym(ops, [...lR[j], ...lp[j]], Yc[j]);
      Yc[p] = Yc[p].map((y, k) => t.add(y, inc[k]));
    }
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
