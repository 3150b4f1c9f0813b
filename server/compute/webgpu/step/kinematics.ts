/**
 * Stage: forward kinematics with body velocities (dynamics/kinematics.ts): liMi, oMi and the body
 * spatial velocities in the joint frames, by the symbolic FK that the JavaScript kernel also
 * runs (dynamics/symbolic/kinematics.ts), printed as WGSL.
 */
import { fkJointSym } from '../../../dynamics/symbolic/kinematics.ts';
import { IDENT, wgslOps, type M3, type StepTrace, type V, type V3 } from './common.ts';

export interface Kinematics {
  /** liMi: rotation and translation per joint. */
  lR: M3[]; lp: V3[];
  /** oMi. */
  oR: M3[]; op: V3[];
  /** Body velocity [bvl; bva] per joint, joint frame. */
  bvl: V3[]; bva: V3[];
}

export function traceKinematics(s: StepTrace, q: readonly V[], v: readonly V[]): Kinematics {
  const { t, model } = s;
  const ops = wgslOps(t);
  const k: Kinematics = { lR: [IDENT], lp: [[0, 0, 0]], oR: [IDENT], op: [[0, 0, 0]], bvl: [[0, 0, 0]], bva: [[0, 0, 0]] };
  for (let j = 1; j < model.njoints; j++) {
    const p = model.parents[j], iq = model.idxQ[j], iv = model.idxV[j];
    // the one symbolic description of FK (dynamics/symbolic/kinematics.ts), printed as WGSL
    fkJointSym(ops, model, j, {
      q: (i) => q[iq + i],
      v: (i) => v[iv + i],
      liMi: (L) => { k.lR[j] = L.slice(0, 9); k.lp[j] = L.slice(9, 12); return L; },
      parentPlacement: () => [...k.oR[p], ...k.op[p]],
      oMi: (O) => { k.oR[j] = O.slice(0, 9); k.op[j] = O.slice(9, 12); },
      parentVelocity: () => [...k.bvl[p], ...k.bva[p]],
      velocity: (V) => { k.bvl[j] = V.slice(0, 3); k.bva[j] = V.slice(3, 6); },
    }, true);
  }
  return k;
}
