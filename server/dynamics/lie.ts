import type { Model } from '../model/model.ts';
import { JOINT_TYPES, LIE_VECTOR } from '../model/joints/index.ts';

/**
 * Configuration-space Lie-group operations (Pinocchio's conventions). The free-flyer is SE(3):
 * q = [p, quaternion (x y z w)], v = body twist [linear; angular] in the base frame, and
 * integrate(q, v) = q * exp6(v) (the twist applied over unit time, in the body frame);
 * difference(q0, q1) = log6(q0^-1 q1). Other joints are Euclidean: q + v and q1 - q0.
 *
 * Jacobians are nv x nv row-major (tangent space to tangent space):
 * dIntegrate/dq = Ad(exp6(v)^-1), dIntegrate/dv = Jexp6(v) (right Jacobian),
 * dDifference/dq1 = Jlog6(M), dDifference/dq0 = -Jlog6(M) Ad(M^-1), with M = q0^-1 q1.
 *
 * These functions use module-level scratch (per thread): they are not reentrant, which is fine
 * in JavaScript's single-threaded isolates.
 */

const R = new Float64Array(9);
const R2 = new Float64Array(9);
const J6 = new Float64Array(36);
const tw = new Float64Array(6);

/** out = integrate(q, v * dt). out may alias q. */
export function integrate(model: Model, q: ArrayLike<number>, v: ArrayLike<number>, out: Float64Array, dt = 1): Float64Array {
  for (let j = 1; j < model.njoints; j++) {
    const iq = model.idxQ[j], iv = model.idxV[j];
    if (JOINT_TYPES[model.jointTypes[j]].lieGroup === LIE_VECTOR) {
      for (let k = 0; k < model.nvs[j]; k++) out[iq + k] = q[iq + k] + dt * v[iv + k];
      continue;
    }
    for (let k = 0; k < 6; k++) tw[k] = dt * v[iv + k];
    integrateFreeFlyer(q, iq, tw, out);
  }
  return out;
}

/** SE(3) integration of one free-flyer: position and quaternion at q[iq..iq+7]. */
function integrateFreeFlyer(q: ArrayLike<number>, iq: number, t: Float64Array, out: Float64Array): void {
  const wx = t[3], wy = t[4], wz = t[5];
  const th2 = wx * wx + wy * wy + wz * wz;
  const th = Math.sqrt(th2);
  // V(w) v: translation of exp6 in the body frame
  const { a, b } = seriesAB(th, th2); // a = (1-cos)/th^2, b = (th - sin)/th^3
  const vx = t[0], vy = t[1], vz = t[2];
  const cx = wy * vz - wz * vy, cy = wz * vx - wx * vz, cz = wx * vy - wy * vx; // w x v
  const ccx = wy * cz - wz * cy, ccy = wz * cx - wx * cz, ccz = wx * cy - wy * cx; // w x (w x v)
  const dx = vx + a * cx + b * ccx, dy = vy + a * cy + b * ccy, dz = vz + a * cz + b * ccz;
  const qx = q[iq + 3], qy = q[iq + 4], qz = q[iq + 5], qw = q[iq + 6];
  // rotate d by the base quaternion: p_new = p + R(q) d
  const tx = 2 * (qy * dz - qz * dy), ty = 2 * (qz * dx - qx * dz), tz = 2 * (qx * dy - qy * dx);
  const px = q[iq] + dx + qw * tx + (qy * tz - qz * ty);
  const py = q[iq + 1] + dy + qw * ty + (qz * tx - qx * tz);
  const pz = q[iq + 2] + dz + qw * tz + (qx * ty - qy * tx);
  turnQuaternion(q, iq + 3, t, out, iq + 3);
  out[iq] = px; out[iq + 1] = py; out[iq + 2] = pz;
}

/**
 * The unit quaternion at q[qo..qo+4] (x, y, z, w) turned by the body-frame rotation vector
 * t[3..6]: q exp3(t) (the quaternion of exp3(t) multiplied on the right), normalized, written to
 * out[oo..oo+4]. out may alias q. (The rotation vector comes in an array: doubles passed to a
 * call that is not inlined are boxed.)
 */
export function turnQuaternion(q: ArrayLike<number>, qo: number, t: Float64Array, out: Float64Array, oo: number): void {
  const wx = t[3], wy = t[4], wz = t[5];
  const th2 = wx * wx + wy * wy + wz * wz;
  const th = Math.sqrt(th2);
  const qx = q[qo], qy = q[qo + 1], qz = q[qo + 2], qw = q[qo + 3];
  const half = 0.5 * th;
  const s = th < 1e-8 ? 0.5 - th2 / 48 : Math.sin(half) / th;
  const ex = s * wx, ey = s * wy, ez = s * wz, ew = Math.cos(half);
  let nx = qw * ex + qx * ew + qy * ez - qz * ey;
  let ny = qw * ey - qx * ez + qy * ew + qz * ex;
  let nz = qw * ez + qx * ey - qy * ex + qz * ew;
  let nw = qw * ew - qx * ex - qy * ey - qz * ez;
  const n = 1 / Math.sqrt(nx * nx + ny * ny + nz * nz + nw * nw);
  nx *= n; ny *= n; nz *= n; nw *= n;
  out[oo] = nx; out[oo + 1] = ny; out[oo + 2] = nz; out[oo + 3] = nw;
}

/** out = difference(q0, q1), the tangent vector v with integrate(q0, v) = q1. */
export function difference(model: Model, q0: ArrayLike<number>, q1: ArrayLike<number>, out: Float64Array): Float64Array {
  for (let j = 1; j < model.njoints; j++) {
    const iq = model.idxQ[j], iv = model.idxV[j];
    if (JOINT_TYPES[model.jointTypes[j]].lieGroup === LIE_VECTOR) {
      for (let k = 0; k < model.nvs[j]; k++) out[iv + k] = q1[iq + k] - q0[iq + k];
      continue;
    }
    relativePlacement(q0, q1, iq);
    log6(R2, tw);
    for (let k = 0; k < 6; k++) out[iv + k] = tw[k];
  }
  return out;
}

/** Writes M = q0^-1 q1 of the free-flyer at iq into R2 (rotation) and tw[0..3] (translation). */
function relativePlacement(q0: ArrayLike<number>, q1: ArrayLike<number>, iq: number): void {
  quatRot(q0[iq + 3], q0[iq + 4], q0[iq + 5], q0[iq + 6], R);
  quatRot(q1[iq + 3], q1[iq + 4], q1[iq + 5], q1[iq + 6], J6);
  for (let i = 0; i < 3; i++) {
    for (let k = 0; k < 3; k++) {
      R2[3 * i + k] = R[i] * J6[k] + R[3 + i] * J6[3 + k] + R[6 + i] * J6[6 + k];
    }
  }
  const dx = q1[iq] - q0[iq], dy = q1[iq + 1] - q0[iq + 1], dz = q1[iq + 2] - q0[iq + 2];
  tw[0] = R[0] * dx + R[3] * dy + R[6] * dz;
  tw[1] = R[1] * dx + R[4] * dy + R[7] * dz;
  tw[2] = R[2] * dx + R[5] * dy + R[8] * dz;
}

function quatRot(x: number, y: number, z: number, w: number, out: Float64Array): void {
  out[0] = 1 - 2 * (y * y + z * z); out[1] = 2 * (x * y - w * z); out[2] = 2 * (x * z + w * y);
  out[3] = 2 * (x * y + w * z); out[4] = 1 - 2 * (x * x + z * z); out[5] = 2 * (y * z - w * x);
  out[6] = 2 * (x * z - w * y); out[7] = 2 * (y * z + w * x); out[8] = 1 - 2 * (x * x + y * y);
}

/** (1 - cos th)/th^2 and (th - sin th)/th^3 with series near zero. */
function seriesAB(th: number, th2: number): { a: number; b: number } {
  if (th < 1e-4) return { a: 0.5 - th2 / 24, b: 1 / 6 - th2 / 120 };
  return { a: (1 - Math.cos(th)) / th2, b: (th - Math.sin(th)) / (th2 * th) };
}

/**
 * log6 of the placement (rotation Rm, translation in t[0..3]) into t = [v; w].
 * w = log3(Rm); v = V(w)^-1 p.
 */
function log6(Rm: Float64Array, t: Float64Array): void {
  const tr = Rm[0] + Rm[4] + Rm[8];
  const cosT = Math.min(1, Math.max(-1, 0.5 * (tr - 1)));
  const th = Math.acos(cosT);
  let wx: number, wy: number, wz: number;
  const ax = Rm[7] - Rm[5], ay = Rm[2] - Rm[6], az = Rm[3] - Rm[1];
  if (th < 1e-4) {
    // th / (2 sin th) ~ 1/2 + th^2/12
    const k = 0.5 + (th * th) / 12;
    wx = k * ax; wy = k * ay; wz = k * az;
  } else if (th > Math.PI - 1e-4) {
    // near pi: axis from the symmetric part R = I + 2 n n^T - ... (R + I)/2 = n n^T at pi
    const xx = Math.max(0, (Rm[0] + 1) / 2), yy = Math.max(0, (Rm[4] + 1) / 2), zz = Math.max(0, (Rm[8] + 1) / 2);
    let nx: number, ny: number, nz: number;
    if (xx >= yy && xx >= zz) { nx = Math.sqrt(xx); ny = (Rm[1] + Rm[3]) / (4 * nx); nz = (Rm[2] + Rm[6]) / (4 * nx); }
    else if (yy >= zz) { ny = Math.sqrt(yy); nx = (Rm[1] + Rm[3]) / (4 * ny); nz = (Rm[5] + Rm[7]) / (4 * ny); }
    else { nz = Math.sqrt(zz); nx = (Rm[2] + Rm[6]) / (4 * nz); ny = (Rm[5] + Rm[7]) / (4 * nz); }
    // sign from the antisymmetric part
    if (nx * ax + ny * ay + nz * az < 0) { nx = -nx; ny = -ny; nz = -nz; }
    const nn = 1 / Math.sqrt(nx * nx + ny * ny + nz * nz);
    wx = th * nx * nn; wy = th * ny * nn; wz = th * nz * nn;
  } else {
    const k = th / (2 * Math.sin(th));
    wx = k * ax; wy = k * ay; wz = k * az;
  }
  // V^-1 = I - 1/2 [w] + c [w]^2, c = 1/th^2 - (1 + cos th) / (2 th sin th)
  const th2 = wx * wx + wy * wy + wz * wz;
  const c = th < 1e-4 ? 1 / 12 + th2 / 720 : 1 / th2 - (1 + Math.cos(th)) / (2 * th * Math.sin(th));
  const px = t[0], py = t[1], pz = t[2];
  const cx = wy * pz - wz * py, cy = wz * px - wx * pz, cz = wx * py - wy * px;
  const ccx = wy * cz - wz * cy, ccy = wz * cx - wx * cz, ccz = wx * cy - wy * cx;
  t[0] = px - 0.5 * cx + c * ccx;
  t[1] = py - 0.5 * cy + c * ccy;
  t[2] = pz - 0.5 * cz + c * ccz;
  t[3] = wx; t[4] = wy; t[5] = wz;
}

// ---- 3x3 helpers on (array, offset), row-major ----

function skewSq(wx: number, wy: number, wz: number, out: Float64Array, o: number, s1: number, s2: number, diag: number): void {
  // out = diag I + s1 [w] + s2 [w]^2, [w]^2 = w w^T - |w|^2 I
  const n2 = wx * wx + wy * wy + wz * wz;
  out[o] = diag + s2 * (wx * wx - n2); out[o + 1] = -s1 * wz + s2 * wx * wy; out[o + 2] = s1 * wy + s2 * wx * wz;
  out[o + 3] = s1 * wz + s2 * wy * wx; out[o + 4] = diag + s2 * (wy * wy - n2); out[o + 5] = -s1 * wx + s2 * wy * wz;
  out[o + 6] = -s1 * wy + s2 * wz * wx; out[o + 7] = s1 * wx + s2 * wz * wy; out[o + 8] = diag + s2 * (wz * wz - n2);
}

const m3a = new Float64Array(9), m3b = new Float64Array(9), m3c = new Float64Array(9), m3d = new Float64Array(9);
const WP = new Float64Array(9), PW = new Float64Array(9), WPW = new Float64Array(9), WW = new Float64Array(9);
const WWP = new Float64Array(9), PWW = new Float64Array(9), WPWW = new Float64Array(9), WWPW = new Float64Array(9);
const Jl = new Float64Array(36), Ad = new Float64Array(36), Rm = new Float64Array(9), Rt = new Float64Array(9);

function mul3(a: Float64Array, b: Float64Array, out: Float64Array): void {
  for (let i = 0; i < 3; i++) {
    const a0 = a[3 * i], a1 = a[3 * i + 1], a2 = a[3 * i + 2];
    out[3 * i] = a0 * b[0] + a1 * b[3] + a2 * b[6];
    out[3 * i + 1] = a0 * b[1] + a1 * b[4] + a2 * b[7];
    out[3 * i + 2] = a0 * b[2] + a1 * b[5] + a2 * b[8];
  }
}

/**
 * Right Jacobian of SE(3) exp at the twist t = [rho; theta] (6x6 row-major into out at o, row
 * stride `ld`): Jr(xi) = Jl(-xi) = [[Jr3, Qr], [0, Jr3]] with Barfoot's Q(-rho, -theta).
 */
function jexp6(t: ArrayLike<number>, out: Float64Array, o: number, ld: number): void {
  const rx = -t[0], ry = -t[1], rz = -t[2], wx = -t[3], wy = -t[4], wz = -t[5];
  const th2 = wx * wx + wy * wy + wz * wz;
  const th = Math.sqrt(th2);
  // Jl3(-w) = I + a [-w] + b [-w]^2 (a = (1-cos)/th^2, b = (th - sin)/th^3)
  const { a, b } = seriesAB(th, th2);
  skewSq(wx, wy, wz, m3a, 0, a, b, 1);
  // Q(rho, theta), with W = [theta], P = [rho]
  let c3: number, c4: number;
  if (th < 1e-3) {
    c3 = -1 / 24 + th2 / 720;
    c4 = -1 / 120 + th2 / 5040;
  } else {
    const th4 = th2 * th2;
    c3 = (1 - th2 / 2 - Math.cos(th)) / th4;
    c4 = (th - Math.sin(th) - (th2 * th) / 6) / (th4 * th);
  }
  const c5 = 0.5 * (c3 - 3 * c4);
  skewSq(wx, wy, wz, m3b, 0, 1, 0, 0); // W
  skewSq(rx, ry, rz, m3c, 0, 1, 0, 0); // P
  // Q = 1/2 P + b (WP + PW + WPW) - c3 (WWP + PWW - 3 WPW) - c5 (WPWW + WWPW)
  mul3(m3b, m3c, WP); mul3(m3c, m3b, PW); mul3(WP, m3b, WPW); mul3(m3b, m3b, WW);
  mul3(WW, m3c, WWP); mul3(PW, m3b, PWW); mul3(WPW, m3b, WPWW); mul3(m3b, WPW, WWPW);
  for (let k = 0; k < 9; k++) {
    m3d[k] = 0.5 * m3c[k] + b * (WP[k] + PW[k] + WPW[k]) - c3 * (WWP[k] + PWW[k] - 3 * WPW[k]) - c5 * (WPWW[k] + WWPW[k]);
  }
  for (let i = 0; i < 3; i++) {
    for (let k = 0; k < 3; k++) {
      out[o + i * ld + k] = m3a[3 * i + k];
      out[o + (i + 3) * ld + k + 3] = m3a[3 * i + k];
      out[o + i * ld + k + 3] = m3d[3 * i + k];
      out[o + (i + 3) * ld + k] = 0;
    }
  }
}

/** Jlog6 at the twist t = log6(M): the inverse of jexp6(t), block-triangular inverse. */
function jlog6(t: ArrayLike<number>, out: Float64Array, o: number, ld: number): void {
  jexp6(t, J6, 0, 6);
  // inverse of [[A, B], [0, A]] = [[A^-1, -A^-1 B A^-1], [0, A^-1]]; A^-1 = Jr3^-1 in closed form
  const wx = t[3], wy = t[4], wz = t[5];
  const th2 = wx * wx + wy * wy + wz * wz;
  const th = Math.sqrt(th2);
  const c = th < 1e-4 ? 1 / 12 + th2 / 720 : 1 / th2 - (1 + Math.cos(th)) / (2 * th * Math.sin(th));
  skewSq(wx, wy, wz, m3a, 0, 0.5, c, 1); // Jr3^-1 = I + 1/2 [w] + c [w]^2
  for (let i = 0; i < 3; i++) for (let k = 0; k < 3; k++) m3b[3 * i + k] = J6[6 * i + k + 3];
  mul3(m3a, m3b, m3c);
  mul3(m3c, m3a, m3d);
  for (let i = 0; i < 3; i++) {
    for (let k = 0; k < 3; k++) {
      out[o + i * ld + k] = m3a[3 * i + k];
      out[o + (i + 3) * ld + k + 3] = m3a[3 * i + k];
      out[o + i * ld + k + 3] = -m3d[3 * i + k];
      out[o + (i + 3) * ld + k] = 0;
    }
  }
}

/**
 * Adjoint of the placement (rotation Rm, translation p) as a 6x6 motion transform, scaled by
 * `s`, written at out[o] with row stride ld: [[R, [p]R], [0, R]].
 */
function adjoint(Rm: Float64Array, px: number, py: number, pz: number, s: number, out: Float64Array, o: number, ld: number): void {
  for (let i = 0; i < 3; i++) {
    for (let k = 0; k < 3; k++) {
      const r = Rm[3 * i + k];
      out[o + i * ld + k] = s * r;
      out[o + (i + 3) * ld + k + 3] = s * r;
      out[o + (i + 3) * ld + k] = 0;
    }
  }
  for (let k = 0; k < 3; k++) {
    const r0 = Rm[k], r1 = Rm[3 + k], r2 = Rm[6 + k];
    out[o + k + 3] = s * (py * r2 - pz * r1);
    out[o + ld + k + 3] = s * (pz * r0 - px * r2);
    out[o + 2 * ld + k + 3] = s * (px * r1 - py * r0);
  }
}

/** Jacobians of integrate(q, v) with respect to q (tangent) and v; nv x nv row-major; either may be null. */
export function dIntegrate(model: Model, q: ArrayLike<number>, v: ArrayLike<number>, Jq: Float64Array | null, Jv: Float64Array | null): void {
  const nv = model.nv;
  if (Jq) Jq.fill(0);
  if (Jv) Jv.fill(0);
  for (let j = 1; j < model.njoints; j++) {
    const iv = model.idxV[j];
    if (JOINT_TYPES[model.jointTypes[j]].lieGroup === LIE_VECTOR) {
      for (let k = iv; k < iv + model.nvs[j]; k++) {
        if (Jq) Jq[k * nv + k] = 1;
        if (Jv) Jv[k * nv + k] = 1;
      }
      continue;
    }
    if (Jv) jexp6(sub6(v, iv), Jv, iv * nv + iv, nv);
    if (Jq) {
      // Ad(exp6(v)^-1): exp6(v) = (E, t); inverse = (E^T, -E^T t)
      const tv = sub6(v, iv);
      expPlacement(tv, R2, tw);
      const tx = tw[0], ty = tw[1], tz = tw[2];
      for (let i = 0; i < 3; i++) for (let k = 0; k < 3; k++) R[3 * i + k] = R2[3 * k + i];
      const ix = -(R[0] * tx + R[1] * ty + R[2] * tz);
      const iy = -(R[3] * tx + R[4] * ty + R[5] * tz);
      const iz = -(R[6] * tx + R[7] * ty + R[8] * tz);
      adjoint(R, ix, iy, iz, 1, Jq, iv * nv + iv, nv);
    }
  }
}

const v6 = new Float64Array(6);
function sub6(v: ArrayLike<number>, o: number): Float64Array {
  for (let k = 0; k < 6; k++) v6[k] = v[o + k];
  return v6;
}

/** exp6 of the twist t: rotation into Rm, translation into p[0..3]. */
function expPlacement(t: Float64Array, Rm: Float64Array, p: Float64Array): void {
  const wx = t[3], wy = t[4], wz = t[5];
  const th2 = wx * wx + wy * wy + wz * wz;
  const th = Math.sqrt(th2);
  const sinc = th < 1e-4 ? 1 - th2 / 6 : Math.sin(th) / th;
  const { a, b } = seriesAB(th, th2);
  skewSq(wx, wy, wz, Rm, 0, sinc, a, 1);
  const vx = t[0], vy = t[1], vz = t[2];
  const cx = wy * vz - wz * vy, cy = wz * vx - wx * vz, cz = wx * vy - wy * vx;
  const ccx = wy * cz - wz * cy, ccy = wz * cx - wx * cz, ccz = wx * cy - wy * cx;
  p[0] = vx + a * cx + b * ccx; p[1] = vy + a * cy + b * ccy; p[2] = vz + a * cz + b * ccz;
}

/** Jacobians of difference(q0, q1) with respect to q0 and q1 (tangent); nv x nv row-major; either may be null. */
export function dDifference(model: Model, q0: ArrayLike<number>, q1: ArrayLike<number>, J0: Float64Array | null, J1: Float64Array | null): void {
  const nv = model.nv;
  if (J0) J0.fill(0);
  if (J1) J1.fill(0);
  for (let j = 1; j < model.njoints; j++) {
    const iv = model.idxV[j];
    if (JOINT_TYPES[model.jointTypes[j]].lieGroup === LIE_VECTOR) {
      for (let k = iv; k < iv + model.nvs[j]; k++) {
        if (J0) J0[k * nv + k] = -1;
        if (J1) J1[k * nv + k] = 1;
      }
      continue;
    }
    const iq = model.idxQ[j];
    relativePlacement(q0, q1, iq); // M in (R2, tw)
    const px = tw[0], py = tw[1], pz = tw[2];
    Rm.set(R2);
    log6(R2, tw);
    jlog6(tw, Jl, 0, 6);
    if (J1) for (let r = 0; r < 6; r++) for (let c = 0; c < 6; c++) J1[(iv + r) * nv + iv + c] = Jl[6 * r + c];
    if (J0) {
      // Ad(M^-1): M^-1 = (R^T, -R^T p)
      for (let i = 0; i < 3; i++) for (let k = 0; k < 3; k++) Rt[3 * i + k] = Rm[3 * k + i];
      const ix = -(Rt[0] * px + Rt[1] * py + Rt[2] * pz);
      const iy = -(Rt[3] * px + Rt[4] * py + Rt[5] * pz);
      const iz = -(Rt[6] * px + Rt[7] * py + Rt[8] * pz);
      adjoint(Rt, ix, iy, iz, 1, Ad, 0, 6);
      for (let r = 0; r < 6; r++) {
        for (let c = 0; c < 6; c++) {
          let s = 0;
          for (let k = 0; k < 6; k++) s += Jl[6 * r + k] * Ad[6 * k + c];
          J0[(iv + r) * nv + iv + c] = -s;
        }
      }
    }
  }
}
