/**
 * 6D spatial algebra on Float64Array with explicit offsets (no allocation).
 *
 * Layouts (see model.ts for the conventions):
 * - SE3 placement: 12 numbers, R row-major then p; x_parent = R x_child + p.
 * - Motion [v; w] and force [f; n]: 6 numbers, linear part first.
 * - Inertia, "origin form": 10 numbers [m, hx, hy, hz, Ixx, Iyy, Izz, Ixy, Ixz, Iyz] with
 *   h = m c (first moment) and I the rotational inertia about the FRAME ORIGIN. In this form
 *   inertias of bodies expressed in one frame add component-wise (used by CRBA), and
 *   Y [v; w] = [m v - h x w ; h x v + I w].
 * - Articulated inertia: 6x6 row-major (36 numbers), maps motion to force (see aba.ts).
 */

export const SE3_SIZE = 12;

/** out = identity placement. */
export function se3Identity(out: Float64Array, o = 0): void {
  out[o] = 1; out[o + 1] = 0; out[o + 2] = 0;
  out[o + 3] = 0; out[o + 4] = 1; out[o + 5] = 0;
  out[o + 6] = 0; out[o + 7] = 0; out[o + 8] = 1;
  out[o + 9] = 0; out[o + 10] = 0; out[o + 11] = 0;
}

/** out = a * b (placements). out may not alias a or b. */
export function se3Mul(a: Float64Array, ao: number, b: Float64Array, bo: number, out: Float64Array, oo: number): void {
  const a0 = a[ao], a1 = a[ao + 1], a2 = a[ao + 2], a3 = a[ao + 3], a4 = a[ao + 4], a5 = a[ao + 5];
  const a6 = a[ao + 6], a7 = a[ao + 7], a8 = a[ao + 8];
  const b0 = b[bo], b1 = b[bo + 1], b2 = b[bo + 2], b3 = b[bo + 3], b4 = b[bo + 4], b5 = b[bo + 5];
  const b6 = b[bo + 6], b7 = b[bo + 7], b8 = b[bo + 8];
  const bx = b[bo + 9], by = b[bo + 10], bz = b[bo + 11];
  out[oo] = a0 * b0 + a1 * b3 + a2 * b6;
  out[oo + 1] = a0 * b1 + a1 * b4 + a2 * b7;
  out[oo + 2] = a0 * b2 + a1 * b5 + a2 * b8;
  out[oo + 3] = a3 * b0 + a4 * b3 + a5 * b6;
  out[oo + 4] = a3 * b1 + a4 * b4 + a5 * b7;
  out[oo + 5] = a3 * b2 + a4 * b5 + a5 * b8;
  out[oo + 6] = a6 * b0 + a7 * b3 + a8 * b6;
  out[oo + 7] = a6 * b1 + a7 * b4 + a8 * b7;
  out[oo + 8] = a6 * b2 + a7 * b5 + a8 * b8;
  out[oo + 9] = a0 * bx + a1 * by + a2 * bz + a[ao + 9];
  out[oo + 10] = a3 * bx + a4 * by + a5 * bz + a[ao + 10];
  out[oo + 11] = a6 * bx + a7 * by + a8 * bz + a[ao + 11];
}

/** out = a^-1 * b. out may not alias a or b. */
export function se3MulInv(a: Float64Array, ao: number, b: Float64Array, bo: number, out: Float64Array, oo: number): void {
  // R = a.R^T b.R ; p = a.R^T (b.p - a.p)
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      out[oo + 3 * i + j] = a[ao + i] * b[bo + j] + a[ao + 3 + i] * b[bo + 3 + j] + a[ao + 6 + i] * b[bo + 6 + j];
    }
  }
  const dx = b[bo + 9] - a[ao + 9], dy = b[bo + 10] - a[ao + 10], dz = b[bo + 11] - a[ao + 11];
  out[oo + 9] = a[ao] * dx + a[ao + 3] * dy + a[ao + 6] * dz;
  out[oo + 10] = a[ao + 1] * dx + a[ao + 4] * dy + a[ao + 7] * dz;
  out[oo + 11] = a[ao + 2] * dx + a[ao + 5] * dy + a[ao + 8] * dz;
}

/** out = inverse of placement a. */
export function se3Inverse(a: Float64Array, ao: number, out: Float64Array, oo: number): void {
  const r0 = a[ao], r1 = a[ao + 1], r2 = a[ao + 2], r3 = a[ao + 3], r4 = a[ao + 4], r5 = a[ao + 5];
  const r6 = a[ao + 6], r7 = a[ao + 7], r8 = a[ao + 8];
  const px = a[ao + 9], py = a[ao + 10], pz = a[ao + 11];
  out[oo] = r0; out[oo + 1] = r3; out[oo + 2] = r6;
  out[oo + 3] = r1; out[oo + 4] = r4; out[oo + 5] = r7;
  out[oo + 6] = r2; out[oo + 7] = r5; out[oo + 8] = r8;
  out[oo + 9] = -(r0 * px + r3 * py + r6 * pz);
  out[oo + 10] = -(r1 * px + r4 * py + r7 * pz);
  out[oo + 11] = -(r2 * px + r5 * py + r8 * pz);
}

/** Rotation matrix (row-major, 9 numbers at out[o..]) of a unit quaternion (x, y, z, w). */
export function quatToRot(x: number, y: number, z: number, w: number, out: Float64Array, o: number): void {
  const xx = x * x, yy = y * y, zz = z * z;
  const xy = x * y, xz = x * z, yz = y * z, wx = w * x, wy = w * y, wz = w * z;
  out[o] = 1 - 2 * (yy + zz); out[o + 1] = 2 * (xy - wz); out[o + 2] = 2 * (xz + wy);
  out[o + 3] = 2 * (xy + wz); out[o + 4] = 1 - 2 * (xx + zz); out[o + 5] = 2 * (yz - wx);
  out[o + 6] = 2 * (xz - wy); out[o + 7] = 2 * (yz + wx); out[o + 8] = 1 - 2 * (xx + yy);
}

/** Unit quaternion (x, y, z, w) of a rotation matrix, written at out[o..o+3]; w >= 0. */
export function rotToQuat(R: Float64Array, ro: number, out: Float64Array, o: number): void {
  const m00 = R[ro], m01 = R[ro + 1], m02 = R[ro + 2];
  const m10 = R[ro + 3], m11 = R[ro + 4], m12 = R[ro + 5];
  const m20 = R[ro + 6], m21 = R[ro + 7], m22 = R[ro + 8];
  const tr = m00 + m11 + m22;
  let x: number, y: number, z: number, w: number;
  if (tr > 0) {
    const s = Math.sqrt(tr + 1) * 2;
    w = 0.25 * s; x = (m21 - m12) / s; y = (m02 - m20) / s; z = (m10 - m01) / s;
  } else if (m00 > m11 && m00 > m22) {
    const s = Math.sqrt(1 + m00 - m11 - m22) * 2;
    w = (m21 - m12) / s; x = 0.25 * s; y = (m01 + m10) / s; z = (m02 + m20) / s;
  } else if (m11 > m22) {
    const s = Math.sqrt(1 + m11 - m00 - m22) * 2;
    w = (m02 - m20) / s; x = (m01 + m10) / s; y = 0.25 * s; z = (m12 + m21) / s;
  } else {
    const s = Math.sqrt(1 + m22 - m00 - m11) * 2;
    w = (m10 - m01) / s; x = (m02 + m20) / s; y = (m12 + m21) / s; z = 0.25 * s;
  }
  const sgn = w < 0 ? -1 : 1;
  const n = sgn / Math.sqrt(x * x + y * y + z * z + w * w);
  out[o] = x * n; out[o + 1] = y * n; out[o + 2] = z * n; out[o + 3] = w * n;
}

/** Rotation (row-major) of angle `angle` about the unit axis (ax, ay, az): Rodrigues. */
export function axisAngleToRot(ax: number, ay: number, az: number, angle: number, out: Float64Array, o: number): void {
  const c = Math.cos(angle), s = Math.sin(angle), t = 1 - c;
  out[o] = c + ax * ax * t; out[o + 1] = ax * ay * t - az * s; out[o + 2] = ax * az * t + ay * s;
  out[o + 3] = ay * ax * t + az * s; out[o + 4] = c + ay * ay * t; out[o + 5] = ay * az * t - ax * s;
  out[o + 6] = az * ax * t - ay * s; out[o + 7] = az * ay * t + ax * s; out[o + 8] = c + az * az * t;
}

/** URDF rpy (fixed axes X, then Y, then Z): R = Rz(yaw) Ry(pitch) Rx(roll). */
export function rpyToRot(roll: number, pitch: number, yaw: number, out: Float64Array, o: number): void {
  const cr = Math.cos(roll), sr = Math.sin(roll), cp = Math.cos(pitch), sp = Math.sin(pitch);
  const cy = Math.cos(yaw), sy = Math.sin(yaw);
  out[o] = cy * cp; out[o + 1] = cy * sp * sr - sy * cr; out[o + 2] = cy * sp * cr + sy * sr;
  out[o + 3] = sy * cp; out[o + 4] = sy * sp * sr + cy * cr; out[o + 5] = sy * sp * cr - cy * sr;
  out[o + 6] = -sp; out[o + 7] = cp * sr; out[o + 8] = cp * cr;
}

/**
 * Motion from parent to child coordinates (Pinocchio's actInv): the placement M (child in
 * parent) and a motion m expressed in the parent frame; out = motion in the child frame.
 * v_c = R^T (v_p - p x w_p), w_c = R^T w_p. out may alias m only if offsets differ by >= 6.
 */
export function motionActInv(M: Float64Array, mo: number, m: Float64Array, o: number, out: Float64Array, oo: number): void {
  const vx = m[o], vy = m[o + 1], vz = m[o + 2], wx = m[o + 3], wy = m[o + 4], wz = m[o + 5];
  const px = M[mo + 9], py = M[mo + 10], pz = M[mo + 11];
  const lx = vx - (py * wz - pz * wy), ly = vy - (pz * wx - px * wz), lz = vz - (px * wy - py * wx);
  out[oo] = M[mo] * lx + M[mo + 3] * ly + M[mo + 6] * lz;
  out[oo + 1] = M[mo + 1] * lx + M[mo + 4] * ly + M[mo + 7] * lz;
  out[oo + 2] = M[mo + 2] * lx + M[mo + 5] * ly + M[mo + 8] * lz;
  out[oo + 3] = M[mo] * wx + M[mo + 3] * wy + M[mo + 6] * wz;
  out[oo + 4] = M[mo + 1] * wx + M[mo + 4] * wy + M[mo + 7] * wz;
  out[oo + 5] = M[mo + 2] * wx + M[mo + 5] * wy + M[mo + 8] * wz;
}

/** Motion from child to parent coordinates (act): w_p = R w_c, v_p = R v_c + p x w_p. */
export function motionAct(M: Float64Array, mo: number, m: Float64Array, o: number, out: Float64Array, oo: number): void {
  const vx = m[o], vy = m[o + 1], vz = m[o + 2], wx = m[o + 3], wy = m[o + 4], wz = m[o + 5];
  const Wx = M[mo] * wx + M[mo + 1] * wy + M[mo + 2] * wz;
  const Wy = M[mo + 3] * wx + M[mo + 4] * wy + M[mo + 5] * wz;
  const Wz = M[mo + 6] * wx + M[mo + 7] * wy + M[mo + 8] * wz;
  const px = M[mo + 9], py = M[mo + 10], pz = M[mo + 11];
  out[oo] = M[mo] * vx + M[mo + 1] * vy + M[mo + 2] * vz + (py * Wz - pz * Wy);
  out[oo + 1] = M[mo + 3] * vx + M[mo + 4] * vy + M[mo + 5] * vz + (pz * Wx - px * Wz);
  out[oo + 2] = M[mo + 6] * vx + M[mo + 7] * vy + M[mo + 8] * vz + (px * Wy - py * Wx);
  out[oo + 3] = Wx; out[oo + 4] = Wy; out[oo + 5] = Wz;
}

/** Force from child to parent coordinates (act): f_p = R f_c, n_p = R n_c + p x f_p. */
export function forceAct(M: Float64Array, mo: number, f: Float64Array, o: number, out: Float64Array, oo: number): void {
  const fx = f[o], fy = f[o + 1], fz = f[o + 2], nx = f[o + 3], ny = f[o + 4], nz = f[o + 5];
  const Fx = M[mo] * fx + M[mo + 1] * fy + M[mo + 2] * fz;
  const Fy = M[mo + 3] * fx + M[mo + 4] * fy + M[mo + 5] * fz;
  const Fz = M[mo + 6] * fx + M[mo + 7] * fy + M[mo + 8] * fz;
  const px = M[mo + 9], py = M[mo + 10], pz = M[mo + 11];
  out[oo] = Fx; out[oo + 1] = Fy; out[oo + 2] = Fz;
  out[oo + 3] = M[mo] * nx + M[mo + 1] * ny + M[mo + 2] * nz + (py * Fz - pz * Fy);
  out[oo + 4] = M[mo + 3] * nx + M[mo + 4] * ny + M[mo + 5] * nz + (pz * Fx - px * Fz);
  out[oo + 5] = M[mo + 6] * nx + M[mo + 7] * ny + M[mo + 8] * nz + (px * Fy - py * Fx);
}

/** Adds forceAct(M, f) into out. */
export function forceActAdd(M: Float64Array, mo: number, f: Float64Array, o: number, out: Float64Array, oo: number): void {
  const fx = f[o], fy = f[o + 1], fz = f[o + 2], nx = f[o + 3], ny = f[o + 4], nz = f[o + 5];
  const Fx = M[mo] * fx + M[mo + 1] * fy + M[mo + 2] * fz;
  const Fy = M[mo + 3] * fx + M[mo + 4] * fy + M[mo + 5] * fz;
  const Fz = M[mo + 6] * fx + M[mo + 7] * fy + M[mo + 8] * fz;
  const px = M[mo + 9], py = M[mo + 10], pz = M[mo + 11];
  out[oo] += Fx; out[oo + 1] += Fy; out[oo + 2] += Fz;
  out[oo + 3] += M[mo] * nx + M[mo + 1] * ny + M[mo + 2] * nz + (py * Fz - pz * Fy);
  out[oo + 4] += M[mo + 3] * nx + M[mo + 4] * ny + M[mo + 5] * nz + (pz * Fx - px * Fz);
  out[oo + 5] += M[mo + 6] * nx + M[mo + 7] * ny + M[mo + 8] * nz + (px * Fy - py * Fx);
}

/**
 * Converts a COM-form inertia [m, c, Ic(xx,yy,zz,xy,xz,yz)] (model.ts) into origin form
 * [m, h = m c, I_origin] (this file). I_O = I_c - m [c]x^2 = I_c + m (|c|^2 I - c c^T).
 */
export function inertiaComToOrigin(src: Float64Array, so: number, out: Float64Array, oo: number): void {
  const m = src[so], cx = src[so + 1], cy = src[so + 2], cz = src[so + 3];
  out[oo] = m;
  out[oo + 1] = m * cx; out[oo + 2] = m * cy; out[oo + 3] = m * cz;
  out[oo + 4] = src[so + 4] + m * (cy * cy + cz * cz);
  out[oo + 5] = src[so + 5] + m * (cx * cx + cz * cz);
  out[oo + 6] = src[so + 6] + m * (cx * cx + cy * cy);
  out[oo + 7] = src[so + 7] - m * cx * cy;
  out[oo + 8] = src[so + 8] - m * cx * cz;
  out[oo + 9] = src[so + 9] - m * cy * cz;
}

/**
 * Adds to `out` the origin-form inertia `Y` (expressed in a child frame) re-expressed in the
 * parent frame, M = placement of the child in the parent. With k = R h:
 * h' = k + m p ; I' = R I R^T - (p k^T + k p^T) + 2 (k.p) Id - m (p p^T - |p|^2 Id).
 */
export function inertiaActAdd(M: Float64Array, mo: number, Y: Float64Array, yo: number, out: Float64Array, oo: number): void {
  const m = Y[yo];
  const hx = Y[yo + 1], hy = Y[yo + 2], hz = Y[yo + 3];
  const Ixx = Y[yo + 4], Iyy = Y[yo + 5], Izz = Y[yo + 6], Ixy = Y[yo + 7], Ixz = Y[yo + 8], Iyz = Y[yo + 9];
  const r0 = M[mo], r1 = M[mo + 1], r2 = M[mo + 2], r3 = M[mo + 3], r4 = M[mo + 4], r5 = M[mo + 5];
  const r6 = M[mo + 6], r7 = M[mo + 7], r8 = M[mo + 8];
  const px = M[mo + 9], py = M[mo + 10], pz = M[mo + 11];
  const kx = r0 * hx + r1 * hy + r2 * hz, ky = r3 * hx + r4 * hy + r5 * hz, kz = r6 * hx + r7 * hy + r8 * hz;
  // T = R I (3x3), then R I R^T = T R^T (only the symmetric part needed)
  const t00 = r0 * Ixx + r1 * Ixy + r2 * Ixz, t01 = r0 * Ixy + r1 * Iyy + r2 * Iyz, t02 = r0 * Ixz + r1 * Iyz + r2 * Izz;
  const t10 = r3 * Ixx + r4 * Ixy + r5 * Ixz, t11 = r3 * Ixy + r4 * Iyy + r5 * Iyz, t12 = r3 * Ixz + r4 * Iyz + r5 * Izz;
  const t20 = r6 * Ixx + r7 * Ixy + r8 * Ixz, t21 = r6 * Ixy + r7 * Iyy + r8 * Iyz, t22 = r6 * Ixz + r7 * Iyz + r8 * Izz;
  const kp = kx * px + ky * py + kz * pz;
  const pp = px * px + py * py + pz * pz;
  const diag = 2 * kp + m * pp;
  out[oo] += m;
  out[oo + 1] += kx + m * px; out[oo + 2] += ky + m * py; out[oo + 3] += kz + m * pz;
  out[oo + 4] += t00 * r0 + t01 * r1 + t02 * r2 - 2 * px * kx - m * px * px + diag;
  out[oo + 5] += t10 * r3 + t11 * r4 + t12 * r5 - 2 * py * ky - m * py * py + diag;
  out[oo + 6] += t20 * r6 + t21 * r7 + t22 * r8 - 2 * pz * kz - m * pz * pz + diag;
  out[oo + 7] += t00 * r3 + t01 * r4 + t02 * r5 - (px * ky + kx * py) - m * px * py;
  out[oo + 8] += t00 * r6 + t01 * r7 + t02 * r8 - (px * kz + kx * pz) - m * px * pz;
  out[oo + 9] += t10 * r6 + t11 * r7 + t12 * r8 - (py * kz + ky * pz) - m * py * pz;
}

/** out = Y * [v; w] for an origin-form inertia: [m v - h x w ; h x v + I w]. */
export function inertiaMulMotion(Y: Float64Array, yo: number, m: Float64Array, o: number, out: Float64Array, oo: number): void {
  const mass = Y[yo], hx = Y[yo + 1], hy = Y[yo + 2], hz = Y[yo + 3];
  const vx = m[o], vy = m[o + 1], vz = m[o + 2], wx = m[o + 3], wy = m[o + 4], wz = m[o + 5];
  out[oo] = mass * vx - (hy * wz - hz * wy);
  out[oo + 1] = mass * vy - (hz * wx - hx * wz);
  out[oo + 2] = mass * vz - (hx * wy - hy * wx);
  out[oo + 3] = hy * vz - hz * vy + Y[yo + 4] * wx + Y[yo + 7] * wy + Y[yo + 8] * wz;
  out[oo + 4] = hz * vx - hx * vz + Y[yo + 7] * wx + Y[yo + 5] * wy + Y[yo + 9] * wz;
  out[oo + 5] = hx * vy - hy * vx + Y[yo + 8] * wx + Y[yo + 9] * wy + Y[yo + 6] * wz;
}

/** Writes the 6x6 matrix of an origin-form inertia (row-major) at out[oo..oo+36]. */
export function inertiaToMatrix(Y: Float64Array, yo: number, out: Float64Array, oo: number): void {
  const m = Y[yo], hx = Y[yo + 1], hy = Y[yo + 2], hz = Y[yo + 3];
  const ixx = Y[yo + 4], iyy = Y[yo + 5], izz = Y[yo + 6], ixy = Y[yo + 7], ixz = Y[yo + 8], iyz = Y[yo + 9];
  // rows f: [m I, -[h]x] ; rows n: [[h]x, I]
  out[oo] = m; out[oo + 1] = 0; out[oo + 2] = 0; out[oo + 3] = 0; out[oo + 4] = hz; out[oo + 5] = -hy;
  out[oo + 6] = 0; out[oo + 7] = m; out[oo + 8] = 0; out[oo + 9] = -hz; out[oo + 10] = 0; out[oo + 11] = hx;
  out[oo + 12] = 0; out[oo + 13] = 0; out[oo + 14] = m; out[oo + 15] = hy; out[oo + 16] = -hx; out[oo + 17] = 0;
  out[oo + 18] = 0; out[oo + 19] = -hz; out[oo + 20] = hy; out[oo + 21] = ixx; out[oo + 22] = ixy; out[oo + 23] = ixz;
  out[oo + 24] = hz; out[oo + 25] = 0; out[oo + 26] = -hx; out[oo + 27] = ixy; out[oo + 28] = iyy; out[oo + 29] = iyz;
  out[oo + 30] = -hy; out[oo + 31] = hx; out[oo + 32] = 0; out[oo + 33] = ixz; out[oo + 34] = iyz; out[oo + 35] = izz;
}

/**
 * out = a x b (cross product of motions a = [lin; ang], b = [lin; ang]):
 * [w_a x v_b + v_a x w_b ; w_a x w_b]. out may not alias a or b.
 */
export function motionCross(a: Float64Array, ao: number, b: Float64Array, bo: number, out: Float64Array, oo: number): void {
  const v1x = a[ao], v1y = a[ao + 1], v1z = a[ao + 2], w1x = a[ao + 3], w1y = a[ao + 4], w1z = a[ao + 5];
  const v2x = b[bo], v2y = b[bo + 1], v2z = b[bo + 2], w2x = b[bo + 3], w2y = b[bo + 4], w2z = b[bo + 5];
  out[oo] = w1y * v2z - w1z * v2y + v1y * w2z - v1z * w2y;
  out[oo + 1] = w1z * v2x - w1x * v2z + v1z * w2x - v1x * w2z;
  out[oo + 2] = w1x * v2y - w1y * v2x + v1x * w2y - v1y * w2x;
  out[oo + 3] = w1y * w2z - w1z * w2y;
  out[oo + 4] = w1z * w2x - w1x * w2z;
  out[oo + 5] = w1x * w2y - w1y * w2x;
}

/**
 * out = v x* f (dual cross product of motion v = [lin; ang] with force f = [f; n]):
 * [w x f ; w x n + vlin x f].
 */
export function motionCrossForce(v: Float64Array, vo: number, f: Float64Array, fo: number, out: Float64Array, oo: number): void {
  const lx = v[vo], ly = v[vo + 1], lz = v[vo + 2], wx = v[vo + 3], wy = v[vo + 4], wz = v[vo + 5];
  const fx = f[fo], fy = f[fo + 1], fz = f[fo + 2], nx = f[fo + 3], ny = f[fo + 4], nz = f[fo + 5];
  out[oo] = wy * fz - wz * fy;
  out[oo + 1] = wz * fx - wx * fz;
  out[oo + 2] = wx * fy - wy * fx;
  out[oo + 3] = wy * nz - wz * ny + ly * fz - lz * fy;
  out[oo + 4] = wz * nx - wx * nz + lz * fx - lx * fz;
  out[oo + 5] = wx * ny - wy * nx + lx * fy - ly * fx;
}
