/**
 * Robot primitives against an oriented box obstacle (pairs, contact counts and approximations
 * in collision.ts): the box's signed-distance query, and along a segment its minimum by golden
 * section and the flat interval around it by bisection (capsules, a cylinder's generator line).
 */
import type { ContactBuffer } from './contact-buffer.ts';
import { cylinderRim } from './plane.ts';
import type { BoxObstacle, CollisionShape } from './shapes.ts';
import { emit, type CollisionWorkspace } from './workspace.ts';

/**
 * Signed distance of the point ws.boxPoint (box frame) to the box of half extents he[0..2]:
 * writes the closest surface point, the outward unit normal (gradient of the signed distance)
 * and the signed distance into ws.boxHit. Inside: the face of least penetration (ties: lowest
 * axis, + side).
 */
function boxQuery(ws: CollisionWorkspace, he: Float64Array): void {
  const P = ws.boxPoint, Q = ws.boxHit;
  const x = P[0];
  const y = P[1];
  const z = P[2];
  const hx = he[0];
  const hy = he[1];
  const hz = he[2];
  const qx = x > hx ? hx : x < -hx ? -hx : x;
  const qy = y > hy ? hy : y < -hy ? -hy : y;
  const qz = z > hz ? hz : z < -hz ? -hz : z;
  const dx = x - qx;
  const dy = y - qy;
  const dz = z - qz;
  const l = Math.sqrt(dx * dx + dy * dy + dz * dz);
  if (l > 0) {
    Q[0] = qx;
    Q[1] = qy;
    Q[2] = qz;
    const il = 1 / l;
    Q[3] = dx * il;
    Q[4] = dy * il;
    Q[5] = dz * il;
    Q[6] = l;
    return;
  }
  // inside or on the surface
  const ex = (x < 0 ? -x : x) - hx;
  const ey = (y < 0 ? -y : y) - hy;
  const ez = (z < 0 ? -z : z) - hz;
  Q[0] = x;
  Q[1] = y;
  Q[2] = z;
  Q[3] = 0;
  Q[4] = 0;
  Q[5] = 0;
  if (ex >= ey && ex >= ez) {
    const s = x >= 0 ? 1 : -1;
    Q[0] = s * hx;
    Q[3] = s;
    Q[6] = ex;
  } else if (ey >= ez) {
    const s = y >= 0 ? 1 : -1;
    Q[1] = s * hy;
    Q[4] = s;
    Q[6] = ey;
  } else {
    const s = z >= 0 ? 1 : -1;
    Q[2] = s * hz;
    Q[5] = s;
    Q[6] = ez;
  }
}

/** boxPoint = A + t (B - A) of ws.segment, then boxQuery. */
function segmentQuery(ws: CollisionWorkspace, he: Float64Array): void {
  const S = ws.segment, P = ws.boxPoint;
  const t = S[6];
  P[0] = S[0] + t * (S[3] - S[0]);
  P[1] = S[1] + t * (S[4] - S[1]);
  P[2] = S[2] + t * (S[5] - S[2]);
  boxQuery(ws, he);
}

/**
 * From ws.boxHit (box frame) and the box placement B: ws.pending = world closest point, world
 * normal, and the distance minus the robot shape's radius ws.point[3].
 */
function boxContactFromQuery(ws: CollisionWorkspace, B: Float64Array): void {
  const Q = ws.boxHit, E = ws.pending;
  const qx = Q[0];
  const qy = Q[1];
  const qz = Q[2];
  E[0] = B[0] * qx + B[1] * qy + B[2] * qz + B[9];
  E[1] = B[3] * qx + B[4] * qy + B[5] * qz + B[10];
  E[2] = B[6] * qx + B[7] * qy + B[8] * qz + B[11];
  const nx = Q[3];
  const ny = Q[4];
  const nz = Q[5];
  E[3] = B[0] * nx + B[1] * ny + B[2] * nz;
  E[4] = B[3] * nx + B[4] * ny + B[5] * nz;
  E[5] = B[6] * nx + B[7] * ny + B[8] * nz;
  E[6] = Q[6] - ws.point[3];
}

/** boxPoint = B^T (x - p_B) for the world point x = ws.point[0..2]. */
function worldToBox(ws: CollisionWorkspace, B: Float64Array): void {
  const pt = ws.point, P = ws.boxPoint;
  const dx = pt[0] - B[9];
  const dy = pt[1] - B[10];
  const dz = pt[2] - B[11];
  P[0] = B[0] * dx + B[3] * dy + B[6] * dz;
  P[1] = B[1] * dx + B[4] * dy + B[7] * dz;
  P[2] = B[2] * dx + B[5] * dy + B[8] * dz;
}

/** Sphere vs box: exact closest point (face, edge, corner; least-penetration face inside). */
export function collideSphereBox(
  shape: CollisionShape,
  M: Float64Array,
  mo: number,
  box: BoxObstacle,
  geom: number,
  env: number,
  buf: ContactBuffer,
  ws: CollisionWorkspace,
): number {
  const B = box.placement, pt = ws.point;
  pt[0] = M[mo + 9];
  pt[1] = M[mo + 10];
  pt[2] = M[mo + 11];
  pt[3] = shape.dims[0];
  worldToBox(ws, B);
  boxQuery(ws, box.halfExtents);
  boxContactFromQuery(ws, B);
  return emit(ws, buf, geom, env);
}

const GOLDEN = 0.5 * (Math.sqrt(5) - 1);
const SEARCH_ITERS = 60;
const FLAT_TOL = 1e-12;

/**
 * With ws.segment set (box frame): ws.segMin = [argmin of the signed distance over t in [0, 1]
 * (golden section), the minimum, the two ends of the interval where the distance is within
 * FLAT_TOL of the minimum (bisection; it is an interval by convexity)].
 */
function segmentMinimum(ws: CollisionWorkspace, he: Float64Array): void {
  const S = ws.segment, Q = ws.boxHit;
  let a = 0;
  let b = 1;
  let c = b - GOLDEN * (b - a);
  let d = a + GOLDEN * (b - a);
  S[6] = c;
  segmentQuery(ws, he);
  let fc = Q[6];
  S[6] = d;
  segmentQuery(ws, he);
  let fd = Q[6];
  for (let k = 0; k < SEARCH_ITERS; k++) {
    if (fc <= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - GOLDEN * (b - a);
      S[6] = c;
      segmentQuery(ws, he);
      fc = Q[6];
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + GOLDEN * (b - a);
      S[6] = d;
      segmentQuery(ws, he);
      fd = Q[6];
    }
  }
  let tm = 0.5 * (a + b);
  S[6] = tm;
  segmentQuery(ws, he);
  let fm = Q[6];
  S[6] = 0;
  segmentQuery(ws, he);
  const f0 = Q[6];
  S[6] = 1;
  segmentQuery(ws, he);
  const f1 = Q[6];
  if (f0 <= fm) {
    tm = 0;
    fm = f0;
  }
  if (f1 < fm) {
    tm = 1;
    fm = f1;
  }
  const thr = fm + FLAT_TOL;
  // lower end: smallest t in [0, tm] with f(t) <= thr (f is non-increasing there)
  let lo = 0;
  if (!(f0 <= thr)) {
    let x0 = 0;
    let x1 = tm;
    for (let k = 0; k < SEARCH_ITERS; k++) {
      const xm = 0.5 * (x0 + x1);
      S[6] = xm;
      segmentQuery(ws, he);
      if (Q[6] <= thr) x1 = xm;
      else x0 = xm;
    }
    lo = x1;
  }
  let hi = 1;
  if (!(f1 <= thr)) {
    let x0 = tm;
    let x1 = 1;
    for (let k = 0; k < SEARCH_ITERS; k++) {
      const xm = 0.5 * (x0 + x1);
      S[6] = xm;
      segmentQuery(ws, he);
      if (Q[6] <= thr) x0 = xm;
      else x1 = xm;
    }
    hi = x0;
  }
  const R = ws.segMin;
  R[0] = tm;
  R[1] = fm;
  R[2] = lo;
  R[3] = hi;
}

/**
 * Emits the contact at parameter t = ws.segment[6] (distance offset ws.point[3]) unless a
 * point of this query already lies closer than max(1e-6, 0.01 radius of the shape) along the
 * segment (ws.used, ws.segLength).
 */
function emitSegmentPoint(
  ws: CollisionWorkspace,
  shape: CollisionShape,
  box: BoxObstacle,
  geom: number,
  env: number,
  buf: ContactBuffer,
): number {
  const used = ws.used, U = ws.segCount;
  const t = ws.segment[6];
  const len = ws.segLength[0];
  const nUsed = U[0];
  const r = shape.dims[0];
  const minGap = r > 1e-4 ? 0.01 * r : 1e-6;
  for (let k = 0; k < nUsed; k++) {
    const dt = used[k] - t;
    if ((dt < 0 ? -dt : dt) * len <= minGap) return 0;
  }
  used[nUsed] = t;
  U[0] = nUsed + 1;
  segmentQuery(ws, box.halfExtents);
  if (U[1] === 1) {
    // on the flat minimum interval: the normal of its minimizer; at the end of the interval
    // next to an edge, the local normal would be tilted by sqrt(2 FLAT_TOL / gap)
    const Q = ws.boxHit, fn = ws.flatNormal;
    Q[3] = fn[0];
    Q[4] = fn[1];
    Q[5] = fn[2];
  }
  boxContactFromQuery(ws, box.placement);
  return emit(ws, buf, geom, env);
}

/**
 * After segmentMinimum: the ends of the flat minimum interval, or the minimizer alone when the
 * interval is shorter than the dedupe distance (a strict minimum, e.g. across an edge).
 */
function emitMinimumInterval(
  ws: CollisionWorkspace,
  shape: CollisionShape,
  box: BoxObstacle,
  geom: number,
  env: number,
  buf: ContactBuffer,
): number {
  const S = ws.segment, R = ws.segMin, U = ws.segCount;
  const r = shape.dims[0];
  const minGap = r > 1e-4 ? 0.01 * r : 1e-6;
  U[1] = 0;
  if ((R[3] - R[2]) * ws.segLength[0] <= minGap) {
    S[6] = R[0];
    return emitSegmentPoint(ws, shape, box, geom, env, buf);
  }
  S[6] = R[0];
  segmentQuery(ws, box.halfExtents);
  const Q = ws.boxHit, fn = ws.flatNormal;
  fn[0] = Q[3];
  fn[1] = Q[4];
  fn[2] = Q[5];
  U[1] = 1;
  S[6] = R[2];
  let added = emitSegmentPoint(ws, shape, box, geom, env, buf);
  S[6] = R[3];
  added += emitSegmentPoint(ws, shape, box, geom, env, buf);
  U[1] = 0;
  return added;
}

/** Capsule vs box (collision.ts): up to 4 contacts along the segment. */
export function collideCapsuleBox(
  shape: CollisionShape,
  M: Float64Array,
  mo: number,
  box: BoxObstacle,
  geom: number,
  env: number,
  buf: ContactBuffer,
  ws: CollisionWorkspace,
): number {
  const B = box.placement, pt = ws.point, S = ws.segment, P = ws.boxPoint;
  const hl = shape.dims[1];
  pt[3] = shape.dims[0];
  for (let s = 0; s < 2; s++) {
    const f = s === 0 ? -hl : hl;
    pt[0] = M[mo + 9] + f * M[mo + 2];
    pt[1] = M[mo + 10] + f * M[mo + 5];
    pt[2] = M[mo + 11] + f * M[mo + 8];
    worldToBox(ws, B);
    S[3 * s] = P[0];
    S[3 * s + 1] = P[1];
    S[3 * s + 2] = P[2];
  }
  ws.segLength[0] = 2 * hl;
  ws.segCount[0] = 0;
  segmentMinimum(ws, box.halfExtents);
  // order: the minimum (interval ends), then the segment endpoints
  let added = emitMinimumInterval(ws, shape, box, geom, env, buf);
  S[6] = 0;
  added += emitSegmentPoint(ws, shape, box, geom, env, buf);
  S[6] = 1;
  added += emitSegmentPoint(ws, shape, box, geom, env, buf);
  return added;
}

/** Cylinder vs box (collision.ts, approximation): rim cross points + lowest generator line. */
export function collideCylinderBox(
  shape: CollisionShape,
  M: Float64Array,
  mo: number,
  box: BoxObstacle,
  geom: number,
  env: number,
  buf: ContactBuffer,
  ws: CollisionWorkspace,
): number {
  const B = box.placement, pt = ws.point, S = ws.segment, P = ws.boxPoint, Q = ws.boxHit, rim = ws.rim, n = ws.support;
  const he = box.halfExtents;
  // support direction: box normal at the point closest to the cylinder centre
  pt[0] = M[mo + 9];
  pt[1] = M[mo + 10];
  pt[2] = M[mo + 11];
  worldToBox(ws, B);
  boxQuery(ws, he);
  n[0] = B[0] * Q[3] + B[1] * Q[4] + B[2] * Q[5];
  n[1] = B[3] * Q[3] + B[4] * Q[4] + B[5] * Q[5];
  n[2] = B[6] * Q[3] + B[7] * Q[4] + B[8] * Q[5];
  cylinderRim(ws, shape, M, mo);
  pt[3] = 0;
  let added = 0;
  for (let k = 0; k < 8; k++) {
    pt[0] = rim[3 * k];
    pt[1] = rim[3 * k + 1];
    pt[2] = rim[3 * k + 2];
    worldToBox(ws, B);
    if (k === 0 || k === 4) {
      // the deepest rim points are the ends of the lowest generator line
      const o = k === 0 ? 0 : 3;
      S[o] = P[0];
      S[o + 1] = P[1];
      S[o + 2] = P[2];
    }
    boxQuery(ws, he);
    boxContactFromQuery(ws, B);
    added += emit(ws, buf, geom, env);
  }
  // the generator line between them: ends of its flat minimum interval (e.g. lying across an
  // edge of the box), the line ends themselves being rim points already reported
  ws.segLength[0] = 2 * shape.dims[1];
  ws.used[0] = 0;
  ws.used[1] = 1;
  ws.segCount[0] = 2;
  segmentMinimum(ws, he);
  added += emitMinimumInterval(ws, shape, box, geom, env, buf);
  return added;
}

/** Robot box vs obstacle box (collision.ts, approximation): robot corners against the obstacle. */
export function collideBoxBox(
  shape: CollisionShape,
  M: Float64Array,
  mo: number,
  box: BoxObstacle,
  geom: number,
  env: number,
  buf: ContactBuffer,
  ws: CollisionWorkspace,
): number {
  const B = box.placement, pt = ws.point;
  const hx = shape.dims[0];
  const hy = shape.dims[1];
  const hz = shape.dims[2];
  pt[3] = 0;
  let added = 0;
  for (let c = 0; c < 8; c++) {
    const x = c & 1 ? hx : -hx;
    const y = c & 2 ? hy : -hy;
    const z = c & 4 ? hz : -hz;
    pt[0] = M[mo] * x + M[mo + 1] * y + M[mo + 2] * z + M[mo + 9];
    pt[1] = M[mo + 3] * x + M[mo + 4] * y + M[mo + 5] * z + M[mo + 10];
    pt[2] = M[mo + 6] * x + M[mo + 7] * y + M[mo + 8] * z + M[mo + 11];
    worldToBox(ws, B);
    boxQuery(ws, box.halfExtents);
    boxContactFromQuery(ws, B);
    added += emit(ws, buf, geom, env);
  }
  return added;
}
