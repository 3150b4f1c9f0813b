/** Robot primitives against a half-space (pairs and contact counts in collision.ts). */
import type { ContactBuffer } from './contact-buffer.ts';
import type { CollisionShape } from './shapes.ts';
import { emit, type CollisionWorkspace } from './workspace.ts';

/** ws.pending for the world point ws.point[0..2] (minus the radius ws.point[3]) against the plane. */
function planePoint(ws: CollisionWorkspace, plane: Float64Array): void {
  const pt = ws.point, E = ws.pending;
  const nx = plane[0];
  const ny = plane[1];
  const nz = plane[2];
  const x = pt[0];
  const y = pt[1];
  const z = pt[2];
  const d = nx * x + ny * y + nz * z - plane[3];
  E[0] = x - d * nx;
  E[1] = y - d * ny;
  E[2] = z - d * nz;
  E[3] = nx;
  E[4] = ny;
  E[5] = nz;
  E[6] = d - pt[3];
}

/** Sphere (dims[0] = radius) centred at the frame origin. */
export function collideSpherePlane(
  shape: CollisionShape,
  M: Float64Array,
  mo: number,
  plane: Float64Array,
  geom: number,
  env: number,
  buf: ContactBuffer,
  ws: CollisionWorkspace,
): number {
  const pt = ws.point;
  pt[0] = M[mo + 9];
  pt[1] = M[mo + 10];
  pt[2] = M[mo + 11];
  pt[3] = shape.dims[0];
  planePoint(ws, plane);
  return emit(ws, buf, geom, env);
}

/** Capsule (radius, halfLength along local z): the two hemisphere centres. */
export function collideCapsulePlane(
  shape: CollisionShape,
  M: Float64Array,
  mo: number,
  plane: Float64Array,
  geom: number,
  env: number,
  buf: ContactBuffer,
  ws: CollisionWorkspace,
): number {
  const pt = ws.point;
  const hl = shape.dims[1];
  pt[3] = shape.dims[0];
  let added = 0;
  const last = hl > 0 ? 1 : -1; // a capsule of zero length is a sphere: one point
  for (let s = -1; s <= last; s += 2) {
    pt[0] = M[mo + 9] + s * hl * M[mo + 2];
    pt[1] = M[mo + 10] + s * hl * M[mo + 5];
    pt[2] = M[mo + 11] + s * hl * M[mo + 8];
    planePoint(ws, plane);
    added += emit(ws, buf, geom, env);
  }
  return added;
}

/**
 * Rim cross points of a cylinder (radius, halfLength along local z) for the "down" direction
 * -n with n = ws.support: ws.rim = 8 points (cap -hl: deepest, +u2, -u2, opposite; then cap +hl).
 */
export function cylinderRim(ws: CollisionWorkspace, shape: CollisionShape, M: Float64Array, mo: number): void {
  const W = ws.rim, n = ws.support;
  const r = shape.dims[0];
  const hl = shape.dims[1];
  const ax = M[mo + 2];
  const ay = M[mo + 5];
  const az = M[mo + 8];
  const nx = n[0];
  const ny = n[1];
  const nz = n[2];
  const na = nx * ax + ny * ay + nz * az;
  // u1: direction of n within the cap plane (the deepest rim point is c - r u1)
  let ux = nx - na * ax;
  let uy = ny - na * ay;
  let uz = nz - na * az;
  const ul = Math.sqrt(ux * ux + uy * uy + uz * uz);
  if (ul > 1e-12) {
    const il = 1 / ul;
    ux *= il;
    uy *= il;
    uz *= il;
  } else {
    // axis along n: any cross works, use the local x axis
    ux = M[mo];
    uy = M[mo + 3];
    uz = M[mo + 6];
  }
  // u2 = a x u1
  const vx = ay * uz - az * uy;
  const vy = az * ux - ax * uz;
  const vz = ax * uy - ay * ux;
  const px = M[mo + 9];
  const py = M[mo + 10];
  const pz = M[mo + 11];
  let o = 0;
  for (let s = -1; s <= 1; s += 2) {
    const cx = px + s * hl * ax;
    const cy = py + s * hl * ay;
    const cz = pz + s * hl * az;
    W[o] = cx - r * ux;
    W[o + 1] = cy - r * uy;
    W[o + 2] = cz - r * uz;
    W[o + 3] = cx + r * vx;
    W[o + 4] = cy + r * vy;
    W[o + 5] = cz + r * vz;
    W[o + 6] = cx - r * vx;
    W[o + 7] = cy - r * vy;
    W[o + 8] = cz - r * vz;
    W[o + 9] = cx + r * ux;
    W[o + 10] = cy + r * uy;
    W[o + 11] = cz + r * uz;
    o += 12;
  }
}

/** Cylinder (radius, halfLength along local z): rim cross points of both caps (collision.ts). */
export function collideCylinderPlane(
  shape: CollisionShape,
  M: Float64Array,
  mo: number,
  plane: Float64Array,
  geom: number,
  env: number,
  buf: ContactBuffer,
  ws: CollisionWorkspace,
): number {
  const pt = ws.point, rim = ws.rim, n = ws.support;
  n[0] = plane[0];
  n[1] = plane[1];
  n[2] = plane[2];
  cylinderRim(ws, shape, M, mo);
  pt[3] = 0;
  let added = 0;
  const npts = shape.dims[1] > 0 ? 8 : 4; // a disc has a single rim
  for (let k = 0; k < npts; k++) {
    pt[0] = rim[3 * k];
    pt[1] = rim[3 * k + 1];
    pt[2] = rim[3 * k + 2];
    planePoint(ws, plane);
    added += emit(ws, buf, geom, env);
  }
  return added;
}

/** Box (half extents dims): every corner within the margin, corners in (x, y, z) sign order. */
export function collideBoxPlane(
  shape: CollisionShape,
  M: Float64Array,
  mo: number,
  plane: Float64Array,
  geom: number,
  env: number,
  buf: ContactBuffer,
  ws: CollisionWorkspace,
): number {
  const pt = ws.point;
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
    planePoint(ws, plane);
    added += emit(ws, buf, geom, env);
  }
  return added;
}
