/**
 * Small SE3 and inertia helpers of the URDF build (composition of origins, inertias moved and
 * summed when fixed joints merge links) and the physical checks of inertias (warnings).
 * Arrays of numbers, allocation allowed: this runs once per robot load, not in hot loops
 * (spatial.ts holds the allocation-free Float64Array algebra of the algorithms).
 */
import { UrdfError, type UrdfLink, type UrdfPose, type UrdfRobot, type Vec3 } from './urdf-types.ts';

// ---------------------------------------------------------------------------------------------
// Small SE3 / inertia helpers (private; allocation is fine, this runs once)
// ---------------------------------------------------------------------------------------------

export type Mat3 = number[]; // 9, row-major

export interface SE3 {
  R: Mat3;
  p: Vec3;
}

export const IDENTITY: SE3 = { R: [1, 0, 0, 0, 1, 0, 0, 0, 1], p: [0, 0, 0] };

/** URDF rpy: fixed-axis roll, pitch, yaw: R = Rz(yaw) Ry(pitch) Rx(roll). */
export function rpyToMatrix(r: number, p: number, y: number): Mat3 {
  const cr = Math.cos(r);
  const sr = Math.sin(r);
  const cp = Math.cos(p);
  const sp = Math.sin(p);
  const cy = Math.cos(y);
  const sy = Math.sin(y);
  return [
    cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr,
    sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr,
    -sp, cp * sr, cp * cr,
  ];
}

export function poseToSE3(pose: UrdfPose): SE3 {
  return { R: rpyToMatrix(pose.rpy[0], pose.rpy[1], pose.rpy[2]), p: [...pose.xyz] };
}

function matMul(a: Mat3, b: Mat3): Mat3 {
  const c = new Array<number>(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      c[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
    }
  }
  return c;
}

function matVec(a: Mat3, v: Vec3): Vec3 {
  return [
    a[0] * v[0] + a[1] * v[1] + a[2] * v[2],
    a[3] * v[0] + a[4] * v[1] + a[5] * v[2],
    a[6] * v[0] + a[7] * v[1] + a[8] * v[2],
  ];
}

function transpose(a: Mat3): Mat3 {
  return [a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]];
}

export function compose(a: SE3, b: SE3): SE3 {
  const rp = matVec(a.R, b.p);
  return { R: matMul(a.R, b.R), p: [rp[0] + a.p[0], rp[1] + a.p[1], rp[2] + a.p[2]] };
}

export function se3Array(t: SE3): Float64Array {
  const out = new Float64Array(12);
  out.set(t.R, 0);
  out.set(t.p, 9);
  return out;
}

/** Body inertia with a full symmetric 3x3 tensor about the COM, for merging. */
export interface Inertia {
  m: number;
  c: Vec3;
  I: Mat3;
}

export const ZERO_INERTIA = (): Inertia => ({ m: 0, c: [0, 0, 0], I: [0, 0, 0, 0, 0, 0, 0, 0, 0] });

function symFrom6(v: readonly number[]): Mat3 {
  // ixx, iyy, izz, ixy, ixz, iyz
  return [v[0], v[3], v[4], v[3], v[1], v[5], v[4], v[5], v[2]];
}

/** Expresses an inertia given in frame B in frame A, where T maps B to A. */
export function transformInertia(T: SE3, J: Inertia): Inertia {
  const c = matVec(T.R, J.c);
  return {
    m: J.m,
    c: [c[0] + T.p[0], c[1] + T.p[1], c[2] + T.p[2]],
    I: matMul(matMul(T.R, J.I), transpose(T.R)),
  };
}

/** Sum of two rigidly attached inertias in the same frame (parallel-axis theorem). */
export function addInertia(a: Inertia, b: Inertia): Inertia {
  const m = a.m + b.m;
  const c: Vec3 =
    m > 0
      ? [
          (a.m * a.c[0] + b.m * b.c[0]) / m,
          (a.m * a.c[1] + b.m * b.c[1]) / m,
          (a.m * a.c[2] + b.m * b.c[2]) / m,
        ]
      : [0, 0, 0];
  const I = new Array<number>(9).fill(0);
  for (const part of [a, b]) {
    const d = [part.c[0] - c[0], part.c[1] - c[1], part.c[2] - c[2]];
    const d2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        I[3 * i + j] += part.I[3 * i + j] + part.m * ((i === j ? d2 : 0) - d[i] * d[j]);
      }
    }
  }
  return { m, c, I };
}

export function inertiaTo10(J: Inertia, out: Float64Array, offset: number): void {
  out[offset] = J.m;
  out[offset + 1] = J.c[0];
  out[offset + 2] = J.c[1];
  out[offset + 3] = J.c[2];
  out[offset + 4] = J.I[0];
  out[offset + 5] = J.I[4];
  out[offset + 6] = J.I[8];
  out[offset + 7] = 0.5 * (J.I[1] + J.I[3]);
  out[offset + 8] = 0.5 * (J.I[2] + J.I[6]);
  out[offset + 9] = 0.5 * (J.I[5] + J.I[7]);
}

/** Eigenvalues of a symmetric 3x3 matrix (closed form), ascending. */
function eigenSym3(A: Mat3): [number, number, number] {
  const a = A[0];
  const b = A[4];
  const c = A[8];
  const d = A[1];
  const e = A[5];
  const f = A[2];
  const p1 = d * d + e * e + f * f;
  if (p1 === 0) return [a, b, c].sort((x, y) => x - y) as [number, number, number];
  const q = (a + b + c) / 3;
  const p2 = (a - q) ** 2 + (b - q) ** 2 + (c - q) ** 2 + 2 * p1;
  const p = Math.sqrt(p2 / 6);
  const B = [a - q, d, f, d, b - q, e, f, e, c - q].map((x) => x / p);
  const detB =
    B[0] * (B[4] * B[8] - B[5] * B[7]) - B[1] * (B[3] * B[8] - B[5] * B[6]) + B[2] * (B[3] * B[7] - B[4] * B[6]);
  const r = Math.max(-1, Math.min(1, detB / 2));
  const phi = Math.acos(r) / 3;
  // Eigenvalues q + 2p cos(phi + 2k pi/3): k = 0 the largest, k = 1 the smallest.
  const hi = q + 2 * p * Math.cos(phi);
  const lo = q + 2 * p * Math.cos(phi + (2 * Math.PI) / 3);
  return [lo, 3 * q - hi - lo, hi];
}

/**
 * The robot's inertia scale: the largest link inertia (sum of |diagonal|). Tolerances on a link's
 * tensor are relative to it as well as to the link's own, so that a link whose tensor is all but
 * zero (iCub ships one with a zero diagonal and an off-diagonal of 1.4e-20) is judged against the
 * robot's scale instead of against its own zero trace.
 */
const inertiaScales = new WeakMap<UrdfRobot, number>();
function robotInertiaScale(robot: UrdfRobot): number {
  let s = inertiaScales.get(robot);
  if (s === undefined) {
    s = 0;
    for (const l of robot.links) {
      const v = l.inertial?.inertia;
      if (v) s = Math.max(s, Math.abs(v[0]) + Math.abs(v[1]) + Math.abs(v[2]));
    }
    inertiaScales.set(robot, s);
  }
  return s;
}

/** Relative tolerance of the inertia checks (round-off of tensors written with ~9 digits). */
const INERTIA_RTOL = 1e-9;

function inertiaTolerance(robot: UrdfRobot, Ic: Mat3): number {
  const own = Math.abs(Ic[0]) + Math.abs(Ic[4]) + Math.abs(Ic[8]);
  return INERTIA_RTOL * Math.max(own, robotInertiaScale(robot)) + 1e-300;
}

/**
 * Physically suspicious inertials, as warnings (the model still builds): principal moments that
 * violate the triangle inequality (no rigid body has them), and zero mass with non-zero inertia.
 */
export function inertialWarnings(robot: UrdfRobot, warnings: string[]): void {
  for (const link of robot.links) {
    const inl = link.inertial;
    if (!inl) continue;
    const Ic = symFrom6(inl.inertia);
    const [l0, l1, l2] = eigenSym3(Ic);
    const tol = inertiaTolerance(robot, Ic);
    const where = `${robot.source}: link '${link.name}'`;
    if (l0 >= -tol && l0 + l1 < l2 - tol) {
      warnings.push(`${where}: principal moments of inertia (${[l0, l1, l2].map((x) => x.toPrecision(3)).join(', ')}) violate the triangle inequality (${l0.toPrecision(3)} + ${l1.toPrecision(3)} < ${l2.toPrecision(3)}): no rigid body has this inertia`);
    }
    if (inl.mass === 0 && Math.max(Math.abs(l0), Math.abs(l2)) > tol) {
      warnings.push(`${where}: zero mass with a non-zero inertia tensor`);
    }
  }
}

export function linkInertia(robot: UrdfRobot, link: UrdfLink): Inertia {
  const inl = link.inertial;
  if (!inl) return ZERO_INERTIA();
  const Ic = symFrom6(inl.inertia);
  const lmin = eigenSym3(Ic)[0];
  if (lmin < -inertiaTolerance(robot, Ic)) {
    throw new UrdfError(
      robot.source,
      `link '${link.name}'`,
      `<inertia> matrix is not positive semi-definite (smallest eigenvalue ${lmin.toPrecision(3)})`,
    );
  }
  return transformInertia(poseToSE3(inl.origin), { m: inl.mass, c: [0, 0, 0], I: Ic });
}

