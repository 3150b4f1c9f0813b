/**
 * The prismatic joint (URDF `prismatic`): one q, a translation along the unit axis of the
 * joint frame; S = [axis; 0]; a vector configuration space.
 */
import { axisOf, bound, placementOf } from './sym.ts';
import { LIE_VECTOR, S_LINEAR_AXIS, type JointArrays, type JointType, type SymOps } from './types.ts';

export const JOINT_PRISMATIC = 2;

export const prismatic: JointType = {
  kind: JOINT_PRISMATIC,
  name: 'prismatic',
  urdfTypes: ['prismatic'],
  nq: 1,
  nv: 1,
  actuated: true,
  limited: true,
  subspace: S_LINEAR_AXIS,
  lieGroup: LIE_VECTOR,
  neutral(q: Float64Array, iq: number): void { q[iq] = 0; },
  translational: () => true,
  placementPath: () => 3,
  placement(model: JointArrays, j: number, q: ArrayLike<number>, out: Float64Array): void {
    const P = model.jointPlacements, po = 12 * j;
    const ax = model.axes[3 * j], ay = model.axes[3 * j + 1], az = model.axes[3 * j + 2];
    const r0 = P[po], r1 = P[po + 1], r2 = P[po + 2], r3 = P[po + 3], r4 = P[po + 4], r5 = P[po + 5];
    const r6 = P[po + 6], r7 = P[po + 7], r8 = P[po + 8];
    const qj = q[model.idxQ[j]];
    out[po] = r0; out[po + 1] = r1; out[po + 2] = r2; out[po + 3] = r3; out[po + 4] = r4;
    out[po + 5] = r5; out[po + 6] = r6; out[po + 7] = r7; out[po + 8] = r8;
    out[po + 9] = P[po + 9] + qj * (r0 * ax + r1 * ay + r2 * az);
    out[po + 10] = P[po + 10] + qj * (r3 * ax + r4 * ay + r5 * az);
    out[po + 11] = P[po + 11] + qj * (r6 * ax + r7 * ay + r8 * az);
  },
  placementSym<T>(ops: SymOps<T>, model: JointArrays, j: number, q: (i: number) => T | number): (T | number)[] {
    const { add, mul, sum } = bound(ops);
    const P = placementOf(model.jointPlacements, j);
    const [ax, ay, az] = axisOf(model.axes, j);
    const [r0, r1, r2, r3, r4, r5, r6, r7, r8] = P;
    const qj = q(0);
    return [
      r0, r1, r2, r3, r4, r5, r6, r7, r8,
      add(P[9], mul(qj, sum(mul(r0, ax), mul(r1, ay), mul(r2, az)))),
      add(P[10], mul(qj, sum(mul(r3, ax), mul(r4, ay), mul(r5, az)))),
      add(P[11], mul(qj, sum(mul(r6, ax), mul(r7, ay), mul(r8, az)))),
    ];
  },
};
