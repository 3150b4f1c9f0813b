/**
 * The free-flyer (floating base): q = [x y z, qx qy qz qw] (position in the parent frame, unit
 * quaternion child -> parent), v = [linear, angular velocity] in the joint (body) frame;
 * S = I6; the configuration space is SE(3) (lie.ts: exp6 / log6). Not a URDF joint: the
 * builder adds it as joint 1 of a floating robot.
 */
import { se3Mul } from '../spatial.ts';
import { bound, placementOf, se3MulSym } from './sym.ts';
import { LIE_SE3, S_FULL, type JointArrays, type JointType, type SymOps } from './types.ts';

export const JOINT_FREE = 0;

export const freeFlyer: JointType = {
  kind: JOINT_FREE,
  name: 'free',
  urdfTypes: [],
  nq: 7,
  nv: 6,
  actuated: false,
  limited: false,
  subspace: S_FULL,
  lieGroup: LIE_SE3,
  neutral(q: Float64Array, iq: number): void {
    for (let k = 0; k < 6; k++) q[iq + k] = 0;
    q[iq + 6] = 1;
  },
  translational: (k: number) => k < 3,
  placementPath: () => 3,
  placement(model: JointArrays, j: number, q: ArrayLike<number>, out: Float64Array, t: Float64Array): void {
    // rotation of the unit quaternion, written inline: passing the four doubles to a helper
    // that V8 does not inline boxes them (an allocation per call in the hot path)
    const iq = model.idxQ[j];
    const x = q[iq + 3], y = q[iq + 4], z = q[iq + 5], w = q[iq + 6];
    const xx = x * x, yy = y * y, zz = z * z, xy = x * y, xz = x * z, yz = y * z, wx = w * x, wy = w * y, wz = w * z;
    t[0] = 1 - 2 * (yy + zz); t[1] = 2 * (xy - wz); t[2] = 2 * (xz + wy);
    t[3] = 2 * (xy + wz); t[4] = 1 - 2 * (xx + zz); t[5] = 2 * (yz - wx);
    t[6] = 2 * (xz - wy); t[7] = 2 * (yz + wx); t[8] = 1 - 2 * (xx + yy);
    t[9] = q[iq]; t[10] = q[iq + 1]; t[11] = q[iq + 2];
    se3Mul(model.jointPlacements, 12 * j, t, 0, out, 12 * j);
  },
  placementSym<T>(ops: SymOps<T>, model: JointArrays, j: number, q: (i: number) => T | number): (T | number)[] {
    const { add, sub, mul, def } = bound(ops);
    const x = q(3), y = q(4), z = q(5), w = q(6);
    const xx = def('xx', mul(x, x)), yy = def('yy', mul(y, y)), zz = def('zz', mul(z, z));
    const xy = def('xy', mul(x, y)), xz = def('xz', mul(x, z)), yz = def('yz', mul(y, z));
    const wx = def('wx', mul(w, x)), wy = def('wy', mul(w, y)), wz = def('wz', mul(w, z));
    const t = [
      sub(1, mul(2, add(yy, zz))), mul(2, sub(xy, wz)), mul(2, add(xz, wy)),
      mul(2, add(xy, wz)), sub(1, mul(2, add(xx, zz))), mul(2, sub(yz, wx)),
      mul(2, sub(xz, wy)), mul(2, add(yz, wx)), sub(1, mul(2, add(xx, yy))),
    ].map((v, i) => def(`t${i}`, v));
    return se3MulSym(ops, placementOf(model.jointPlacements, j), [...t, q(0), q(1), q(2)]);
  },
};

