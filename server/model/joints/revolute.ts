/**
 * The revolute joint (URDF `revolute` and `continuous`; Model.continuous marks the latter, which
 * has no position limits): one q, a rotation by q about the unit axis of the joint frame;
 * S = [0; axis]; a vector configuration space (q is an angle, not wrapped).
 */
import { axisOf, bound, placementOf, principalPath } from './sym.ts';
import { LIE_VECTOR, S_ANGULAR_AXIS, type JointArrays, type JointType, type SymOps } from './types.ts';

export const JOINT_REVOLUTE = 1;

export const revolute: JointType = {
  kind: JOINT_REVOLUTE,
  name: 'revolute',
  urdfTypes: ['revolute', 'continuous'],
  nq: 1,
  nv: 1,
  actuated: true,
  limited: true,
  subspace: S_ANGULAR_AXIS,
  lieGroup: LIE_VECTOR,
  neutral(q: Float64Array, iq: number): void { q[iq] = 0; },
  translational: () => false,
  placementPath: principalPath,
  placement(model: JointArrays, j: number, q: ArrayLike<number>, out: Float64Array, _tmp: Float64Array, path: number): void {
    const P = model.jointPlacements, po = 12 * j;
    const qj = q[model.idxQ[j]];
    const c = Math.cos(qj), s = Math.sin(qj);
    if (path !== 3) {
      // identity placement rotation and a principal axis: R = Rot_axis(q)
      out[po + 9] = P[po + 9]; out[po + 10] = P[po + 10]; out[po + 11] = P[po + 11];
      if (path === 0) {
        out[po] = 1; out[po + 1] = 0; out[po + 2] = 0;
        out[po + 3] = 0; out[po + 4] = c; out[po + 5] = -s;
        out[po + 6] = 0; out[po + 7] = s; out[po + 8] = c;
      } else if (path === 1) {
        out[po] = c; out[po + 1] = 0; out[po + 2] = s;
        out[po + 3] = 0; out[po + 4] = 1; out[po + 5] = 0;
        out[po + 6] = -s; out[po + 7] = 0; out[po + 8] = c;
      } else {
        out[po] = c; out[po + 1] = -s; out[po + 2] = 0;
        out[po + 3] = s; out[po + 4] = c; out[po + 5] = 0;
        out[po + 6] = 0; out[po + 7] = 0; out[po + 8] = 1;
      }
      return;
    }
    // general: R = R_P * Rot(axis, q) with Rodrigues' formula
    const ax = model.axes[3 * j], ay = model.axes[3 * j + 1], az = model.axes[3 * j + 2];
    const r0 = P[po], r1 = P[po + 1], r2 = P[po + 2], r3 = P[po + 3], r4 = P[po + 4], r5 = P[po + 5];
    const r6 = P[po + 6], r7 = P[po + 7], r8 = P[po + 8];
    const t = 1 - c;
    const m00 = c + ax * ax * t, m01 = ax * ay * t - az * s, m02 = ax * az * t + ay * s;
    const m10 = ay * ax * t + az * s, m11 = c + ay * ay * t, m12 = ay * az * t - ax * s;
    const m20 = az * ax * t - ay * s, m21 = az * ay * t + ax * s, m22 = c + az * az * t;
    out[po] = r0 * m00 + r1 * m10 + r2 * m20;
    out[po + 1] = r0 * m01 + r1 * m11 + r2 * m21;
    out[po + 2] = r0 * m02 + r1 * m12 + r2 * m22;
    out[po + 3] = r3 * m00 + r4 * m10 + r5 * m20;
    out[po + 4] = r3 * m01 + r4 * m11 + r5 * m21;
    out[po + 5] = r3 * m02 + r4 * m12 + r5 * m22;
    out[po + 6] = r6 * m00 + r7 * m10 + r8 * m20;
    out[po + 7] = r6 * m01 + r7 * m11 + r8 * m21;
    out[po + 8] = r6 * m02 + r7 * m12 + r8 * m22;
    out[po + 9] = P[po + 9]; out[po + 10] = P[po + 10]; out[po + 11] = P[po + 11];
  },
  placementSym<T>(ops: SymOps<T>, model: JointArrays, j: number, q: (i: number) => T | number): (T | number)[] {
    const { add, sub, mul, neg, def, sum } = bound(ops);
    const P = placementOf(model.jointPlacements, j);
    const qj = q(0);
    const c = ops.cos(qj), s = ops.sin(qj);
    const ns = neg(s);
    const path = principalPath(model, j);
    // identity placement rotation and a principal axis: R = Rot_axis(q)
    if (path === 0) return [1, 0, 0, 0, c, ns, 0, s, c, P[9], P[10], P[11]];
    if (path === 1) return [c, 0, s, 0, 1, 0, ns, 0, c, P[9], P[10], P[11]];
    if (path === 2) return [c, ns, 0, s, c, 0, 0, 0, 1, P[9], P[10], P[11]];
    // general: R = R_P * Rot(axis, q), Rodrigues
    const [ax, ay, az] = axisOf(model.axes, j);
    const [r0, r1, r2, r3, r4, r5, r6, r7, r8] = P;
    const t = def('t', sub(1, c));
    const m = [
      add(c, mul(mul(ax, ax), t)), sub(mul(mul(ax, ay), t), mul(az, s)), add(mul(mul(ax, az), t), mul(ay, s)),
      add(mul(mul(ay, ax), t), mul(az, s)), add(c, mul(mul(ay, ay), t)), sub(mul(mul(ay, az), t), mul(ax, s)),
      sub(mul(mul(az, ax), t), mul(ay, s)), add(mul(mul(az, ay), t), mul(ax, s)), add(c, mul(mul(az, az), t)),
    ].map((v, i) => def(`r${i}`, v));
    return [
      sum(mul(r0, m[0]), mul(r1, m[3]), mul(r2, m[6])),
      sum(mul(r0, m[1]), mul(r1, m[4]), mul(r2, m[7])),
      sum(mul(r0, m[2]), mul(r1, m[5]), mul(r2, m[8])),
      sum(mul(r3, m[0]), mul(r4, m[3]), mul(r5, m[6])),
      sum(mul(r3, m[1]), mul(r4, m[4]), mul(r5, m[7])),
      sum(mul(r3, m[2]), mul(r4, m[5]), mul(r5, m[8])),
      sum(mul(r6, m[0]), mul(r7, m[3]), mul(r8, m[6])),
      sum(mul(r6, m[1]), mul(r7, m[4]), mul(r8, m[7])),
      sum(mul(r6, m[2]), mul(r7, m[5]), mul(r8, m[8])),
      P[9], P[10], P[11],
    ];
  },
};
