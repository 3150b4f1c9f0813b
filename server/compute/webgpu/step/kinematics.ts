/**
 * Stage: forward kinematics with body velocities (dynamics/kinematics.ts): liMi from each joint
 * type's symbolic placement (server/model/joints/, printed as WGSL), oMi, and the body spatial
 * velocities in the joint frames.
 */
import { jointOf } from '../../../model/joints/index.ts';
import { jointMotionSym } from '../../../model/joints/subspace.ts';
import { IDENT, wgslOps, type M3, type Motion, type StepTrace, type V, type V3 } from './common.ts';

export interface Kinematics {
  /** liMi: rotation and translation per joint. */
  lR: M3[]; lp: V3[];
  /** oMi. */
  oR: M3[]; op: V3[];
  /** Body velocity [bvl; bva] per joint, joint frame. */
  bvl: V3[]; bva: V3[];
}

/** S_j qd of joint j (joint frame). */
export function jointVel(s: StepTrace, j: number, v: readonly V[]): Motion {
  const iv = s.model.idxV[j];
  const m = jointMotionSym(wgslOps(s.t), s.model, j, (i) => v[iv + i]);
  return { l: m.slice(0, 3), a: m.slice(3) };
}

export function traceKinematics(s: StepTrace, q: readonly V[], v: readonly V[]): Kinematics {
  const { t, model } = s;
  const ops = wgslOps(t);
  const k: Kinematics = { lR: [IDENT], lp: [[0, 0, 0]], oR: [IDENT], op: [[0, 0, 0]], bvl: [[0, 0, 0]], bva: [[0, 0, 0]] };
  for (let j = 1; j < model.njoints; j++) {
    const p = model.parents[j], iq = model.idxQ[j];
    const L = jointOf(model, j).placementSym(ops, model, j, (i) => q[iq + i]);
    k.lR[j] = L.slice(0, 9);
    k.lp[j] = L.slice(9, 12);
    k.oR[j] = p === 0 ? k.lR[j] : t.mm(k.oR[p], k.lR[j]);
    k.op[j] = p === 0 ? k.lp[j] : t.v3add(t.mv(k.oR[p], k.lp[j]), k.op[p]);
    const jv = jointVel(s, j, v);
    // v_j = actInv(liMi, v_p) + S qd
    k.bvl[j] = t.v3add(t.mtv(k.lR[j], t.v3sub(k.bvl[p], t.cross(k.lp[j], k.bva[p]))), jv.l);
    k.bva[j] = t.v3add(t.mtv(k.lR[j], k.bva[p]), jv.a);
  }
  return k;
}
