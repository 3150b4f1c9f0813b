/**
 * Rotations as axis-angle vectors r (the optimizer's parameters, as the reference code's
 * `log_rot`): R = exp([r]x) by Rodrigues, the left Jacobian of the exponential map (so that
 * R(r + d) = exp([J_l(r) d]x) R(r) to first order), and the angle between two rotations.
 * Matrices are 9 numbers, row-major. Written into caller arrays: nothing allocates.
 */

/** out = exp([r]x) (Rodrigues; series near zero). */
export function expSO3(r: ArrayLike<number>, out: Float64Array): Float64Array {
  const x = r[0], y = r[1], z = r[2];
  const t2 = x * x + y * y + z * z;
  const t = Math.sqrt(t2);
  let a: number, b: number;
  if (t < 1e-6) {
    a = 1 - t2 / 6;
    b = 0.5 - t2 / 24;
  } else {
    a = Math.sin(t) / t;
    b = (1 - Math.cos(t)) / t2;
  }
  out[0] = 1 - b * (y * y + z * z); out[1] = -a * z + b * x * y; out[2] = a * y + b * x * z;
  out[3] = a * z + b * x * y; out[4] = 1 - b * (x * x + z * z); out[5] = -a * x + b * y * z;
  out[6] = -a * y + b * x * z; out[7] = a * x + b * y * z; out[8] = 1 - b * (x * x + y * y);
  return out;
}

/** out = J_l(r) = I + (1 - cos t)/t^2 [r]x + (t - sin t)/t^3 [r]x^2. */
export function leftJacobianSO3(r: ArrayLike<number>, out: Float64Array): Float64Array {
  const x = r[0], y = r[1], z = r[2];
  const t2 = x * x + y * y + z * z;
  const t = Math.sqrt(t2);
  let b: number, c: number;
  if (t < 1e-5) {
    b = 0.5 - t2 / 24;
    c = 1 / 6 - t2 / 120;
  } else {
    b = (1 - Math.cos(t)) / t2;
    c = (t - Math.sin(t)) / (t2 * t);
  }
  // [r]x^2 = r r^T - t2 I
  out[0] = 1 + c * (x * x - t2); out[1] = -b * z + c * x * y; out[2] = b * y + c * x * z;
  out[3] = b * z + c * x * y; out[4] = 1 + c * (y * y - t2); out[5] = -b * x + c * y * z;
  out[6] = -b * y + c * x * z; out[7] = b * x + c * y * z; out[8] = 1 + c * (z * z - t2);
  return out;
}

/** Axis-angle of a rotation matrix (the inverse of expSO3 for angles in [0, pi]). */
export function logSO3(R: ArrayLike<number>, out: Float64Array): Float64Array {
  const tr = R[0] + R[4] + R[8];
  const c = Math.min(1, Math.max(-1, (tr - 1) / 2));
  const t = Math.acos(c);
  if (t < 1e-6) {
    out[0] = (R[7] - R[5]) / 2; out[1] = (R[2] - R[6]) / 2; out[2] = (R[3] - R[1]) / 2;
    return out;
  }
  if (Math.PI - t < 1e-4) {
    // Near pi: axis from the diagonal of (R + I) / 2 = a a^T.
    const xx = Math.max(0, (R[0] + 1) / 2), yy = Math.max(0, (R[4] + 1) / 2), zz = Math.max(0, (R[8] + 1) / 2);
    let ax: number, ay: number, az: number;
    if (xx >= yy && xx >= zz) { ax = Math.sqrt(xx); ay = (R[1] + R[3]) / (4 * ax); az = (R[2] + R[6]) / (4 * ax); }
    else if (yy >= zz) { ay = Math.sqrt(yy); ax = (R[1] + R[3]) / (4 * ay); az = (R[5] + R[7]) / (4 * ay); }
    else { az = Math.sqrt(zz); ax = (R[2] + R[6]) / (4 * az); ay = (R[5] + R[7]) / (4 * az); }
    const n = Math.hypot(ax, ay, az);
    // Sign from the antisymmetric part (tiny but informative away from exactly pi).
    const s = (R[7] - R[5]) * ax + (R[2] - R[6]) * ay + (R[3] - R[1]) * az < 0 ? -1 : 1;
    out[0] = (s * t * ax) / n; out[1] = (s * t * ay) / n; out[2] = (s * t * az) / n;
    return out;
  }
  const k = t / (2 * Math.sin(t));
  out[0] = k * (R[7] - R[5]); out[1] = k * (R[2] - R[6]); out[2] = k * (R[3] - R[1]);
  return out;
}

/** out = A B (3x3). out may not alias A or B. */
export function mul33(A: ArrayLike<number>, B: ArrayLike<number>, out: Float64Array): Float64Array {
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      out[i * 3 + j] = A[i * 3] * B[j] + A[i * 3 + 1] * B[3 + j] + A[i * 3 + 2] * B[6 + j];
    }
  }
  return out;
}

/** Angle in degrees of A^T B (the geodesic distance between two rotations). */
export function rotationAngleDeg(A: ArrayLike<number>, B: ArrayLike<number>): number {
  let tr = 0;
  for (let i = 0; i < 9; i++) tr += A[i] * B[i]; // trace(A^T B)
  return (Math.acos(Math.min(1, Math.max(-1, (tr - 1) / 2))) * 180) / Math.PI;
}
