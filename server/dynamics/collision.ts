/**
 * Analytic contact generation between robot collision primitives and a static environment made
 * of half-spaces (the ground) and oriented boxes, for velocity-level time stepping.
 *
 * Conventions (see also contact-solver.ts)
 * - A robot shape is placed by a world SE3 of 12 numbers at M[mo..mo+11] (R row-major then p,
 *   x_world = R x_local + p). Shapes are centred on their frame; cylinders and capsules have
 *   their axis along local z (URDF convention).
 * - Every contact has:
 *     pos    : the witness point ON THE ENVIRONMENT SURFACE (plane or box). The robot's witness
 *              point is pos + dist * normal.
 *     normal : unit, from the environment INTO the robot body: the direction in which the
 *              contact force pushes the robot.
 *     dist   : signed distance between the surfaces along the normal (negative = penetration).
 *     frame  : rotation [t1 t2 n] (columns; row-major, 9 numbers) from `contactFrame`, the
 *              contact frame of the solver (tangents first, normal last).
 *     geom   : robot geometry index, env : environment object index (both given by the caller).
 * - Contacts are reported while dist < buf.margin (> 0), so the solver sees contacts that are
 *   about to close during the step (use computeContactBias' speculative rule for d > 0).
 * - A half-space is a Float64Array [nx, ny, nz, h]: the solid is {x : n.x <= h}, n unit
 *   (`makePlane`, `groundPlane(height)` for the world ground z = height).
 * - A box obstacle is { placement: SE3 (12), halfExtents: (3) } (`makeBoxObstacle`).
 *
 * Per pair (maximum number of contacts in brackets):
 *   sphere-plane   [1] centre projection.
 *   capsule-plane  [2] the two hemisphere centres (segment endpoints), each tested like a sphere.
 *                      Exact for the deepest point (a segment's extremum is at an endpoint) and
 *                      gives the 2-point line support of a capsule lying on the ground.
 *   cylinder-plane [8] per cap, 4 rim points in a cross: the deepest rim point, the opposite one
 *                      and the two at +-90 degrees, each reported when within the margin. Tilted
 *                      beyond the margin: 1 point per cap at most (2 in all, e.g. lying on its
 *                      side: the two bottom rim points); flat on the plane: the 4 rim points of
 *                      the bottom cap (a stable 4-point support). The cross is aligned with the
 *                      tilt direction, or with the local x/y axes when the axis is exactly
 *                      normal to the plane. 8 only for a cylinder thinner than the margin.
 *   box-plane      [8] every corner within the margin (4 when resting flat, 1 when tilted on
 *                      a corner, 2 on an edge). 8 only when the box is thinner than the margin.
 *   sphere-box     [1] exact: closest point of the box to the centre (face, edge or corner);
 *                      a centre inside the box uses the face of least penetration.
 *   capsule-box    [4] signed distance to the box along the segment is convex: its minimum is
 *                      found by golden-section search and the interval where it is flat (within
 *                      1e-12 m) by bisection; contacts at the two ends of that interval (at the
 *                      minimizer when the interval is shorter than 1% of the radius) and at the
 *                      two segment endpoints (if within the margin), points closer than 1% of
 *                      the radius merged. Exact for the deepest point; a capsule lying on a face
 *                      gives its 2 endpoints, one hanging over an edge gives the endpoint on the
 *                      face and the edge point, one crossing an edge gives the edge point.
 *                      The interval-end contacts take the normal of the minimizer (the face
 *                      normal for a capsule lying on a face). (Penetrating at an edge, the
 *                      interval ends where the depths below the two faces are equal.)
 *   cylinder-box  [10] approximation: the box is seen through the support direction n at the
 *                      cylinder centre (normal of the box's closest point / least-penetration
 *                      face); the 8 rim cross points built for that direction, plus the ends of
 *                      the minimum interval of the signed distance along the cylinder's lowest
 *                      generator line (as for capsules: lying across an edge gives the edge
 *                      point), are each tested exactly against the box. Curved-side contacts
 *                      away from that generator line (e.g. a box corner poking into the side of
 *                      a standing cylinder) are missed.
 *   box-box        [8] approximation: the 8 robot-box corners tested exactly against the
 *                      obstacle (vertex-face contacts: a foot on a step or a table). Edge-edge
 *                      contacts and obstacle corners poking into a robot face are missed.
 *   mesh           not handled here: mesh-collision.ts collides meshes as convex hulls (Rapier).
 *
 * Hot path: no allocation (module-level scratch arrays, no double passed to or returned from a
 * helper: V8 would box it) and a fixed evaluation order, so results are deterministic. When the
 * buffer is full further contacts are dropped and counted in buf.dropped.
 */

import type { GeometryShape } from '../model/model.ts';

/**
 * Contacts found by one detection pass (structure of arrays). A class, not an object literal:
 * a literal with an accessor (margin) is created in V8's dictionary mode, which turned every
 * `buf.count` / `buf.pos` of the step's hot loops into a hash lookup (about 0.1 us per contact).
 */
export class ContactBuffer {
  /** Number of valid contacts. */
  count = 0;
  /** Contacts that did not fit since the last clear. */
  dropped = 0;
  /**
   * The margin's storage. Hot code writes marginBox[0]: assigning a fresh double to a plain
   * object field boxes it (a 16-byte allocation per write in V8).
   */
  readonly marginBox: Float64Array;
  /** World witness point on the environment surface (3 per contact). */
  readonly pos: Float64Array;
  /** World unit normal, environment -> robot (3 per contact). */
  readonly normal: Float64Array;
  /** Signed distance, negative = penetration (1 per contact). */
  readonly dist: Float64Array;
  /** Contact frame rotation [t1 t2 n] as columns, row-major (9 per contact). */
  readonly frame: Float64Array;
  /** Robot geometry index (1 per contact). */
  readonly geom: Int32Array;
  /** Environment object index (1 per contact). */
  readonly env: Int32Array;

  constructor(readonly capacity: number, margin: number) {
    this.marginBox = new Float64Array([margin]);
    this.pos = new Float64Array(3 * capacity);
    this.normal = new Float64Array(3 * capacity);
    this.dist = new Float64Array(capacity);
    this.frame = new Float64Array(9 * capacity);
    this.geom = new Int32Array(capacity);
    this.env = new Int32Array(capacity);
  }

  /** Contacts reported while dist < margin (m); an accessor over marginBox[0]. */
  get margin(): number {
    return this.marginBox[0];
  }

  set margin(m: number) {
    this.marginBox[0] = m;
  }
}

export function createContactBuffer(capacity: number, margin = 0.005): ContactBuffer {
  if (!Number.isInteger(capacity) || capacity < 0) throw new Error(`invalid capacity ${capacity}`);
  if (!(margin >= 0)) throw new Error(`invalid margin ${margin}`);
  return new ContactBuffer(capacity, margin);
}

export function clearContacts(buf: ContactBuffer): void {
  buf.count = 0;
  buf.dropped = 0;
}

export const SHAPE_NONE = -1;
export const SHAPE_SPHERE = 0;
export const SHAPE_CAPSULE = 1;
export const SHAPE_CYLINDER = 2;
export const SHAPE_BOX = 3;

/**
 * Preprocessed collision primitive: kind and dims =
 *   sphere [radius, 0, 0]; capsule [radius, halfLength, 0] (segment between local z = +-halfLength);
 *   cylinder [radius, halfLength, 0] (caps at local z = +-halfLength); box [hx, hy, hz] half extents.
 */
export interface CollisionShape {
  kind: number;
  readonly dims: Float64Array;
}

export function makeCollisionShape(kind: number, d0: number, d1 = 0, d2 = 0): CollisionShape {
  return { kind, dims: new Float64Array([d0, d1, d2]) };
}

/**
 * From a model geometry (setup time): URDF box size is the full size; cylinder length the full
 * length; capsule length the distance between the hemisphere centres (the cylindrical part).
 * Meshes give SHAPE_NONE (no contacts).
 */
export function collisionShapeFromGeometry(shape: GeometryShape): CollisionShape {
  switch (shape.type) {
    case 'sphere':
      return makeCollisionShape(SHAPE_SPHERE, shape.radius);
    case 'capsule':
      return makeCollisionShape(SHAPE_CAPSULE, shape.radius, shape.length / 2);
    case 'cylinder':
      return makeCollisionShape(SHAPE_CYLINDER, shape.radius, shape.length / 2);
    case 'box':
      return makeCollisionShape(SHAPE_BOX, shape.size[0] / 2, shape.size[1] / 2, shape.size[2] / 2);
    default:
      return makeCollisionShape(SHAPE_NONE, 0);
  }
}

/** Half-space {x : n.x <= h} as [nx, ny, nz, h] with n normalized (setup time). */
export function makePlane(nx: number, ny: number, nz: number, h: number): Float64Array {
  const l = Math.hypot(nx, ny, nz);
  if (!(l > 0)) throw new Error('makePlane: zero normal');
  return new Float64Array([nx / l, ny / l, nz / l, h]);
}

/** The world ground z = height (solid below). */
export function groundPlane(height = 0): Float64Array {
  return makePlane(0, 0, 1, height);
}

export interface BoxObstacle {
  /** World placement (SE3, 12 numbers). */
  readonly placement: Float64Array;
  /** Half extents (3). */
  readonly halfExtents: Float64Array;
}

export function makeBoxObstacle(placement: ArrayLike<number>, halfExtents: ArrayLike<number>): BoxObstacle {
  if (placement.length !== 12 || halfExtents.length !== 3) throw new Error('makeBoxObstacle: bad sizes');
  return { placement: Float64Array.from(placement), halfExtents: Float64Array.from(halfExtents) };
}

/**
 * Contact frame rotation from the unit normal n = nrm[no..no+2]: out[oo..oo+8] = R row-major with
 * columns [t1 t2 n] (right-handed, t1 x t2 = n). Deterministic and continuous except across
 * n_z = 0 from above to below (Duff et al. 2017, "Building an orthonormal basis, revisited");
 * for n = +z, t1 = +x and t2 = +y.
 */
export function contactFrame(nrm: Float64Array, no: number, out: Float64Array, oo: number): void {
  const nx = nrm[no];
  const ny = nrm[no + 1];
  const nz = nrm[no + 2];
  const s = nz >= 0 ? 1 : -1;
  const a = -1 / (s + nz);
  const b = nx * ny * a;
  // columns: t1 = (1 + s nx^2 a, s b, -s nx), t2 = (b, s + ny^2 a, -ny), n
  out[oo] = 1 + s * nx * nx * a;
  out[oo + 1] = b;
  out[oo + 2] = nx;
  out[oo + 3] = s * b;
  out[oo + 4] = s + ny * ny * a;
  out[oo + 5] = ny;
  out[oo + 6] = -s * nx;
  out[oo + 7] = -ny;
  out[oo + 8] = nz;
}

// ---------------------------------------------------------------------------------------------
// Scratch (module level; single-threaded, not re-entrant)

/** Pending contact: pos (3), normal (3), dist. */
const E = new Float64Array(7);
/** Box query input point (box frame). */
const P = new Float64Array(3);
/** Box query output: closest surface point (3), outward normal (3), signed distance (box frame). */
const Q = new Float64Array(7);
/** Segment in the box frame: A (3), B (3), t. */
const S = new Float64Array(7);
/** Rim cross points (8 x 3) and misc. */
const W = new Float64Array(32);
/** Integer scratch. */
const U = new Int32Array(2);

/** Appends the pending contact E if E.dist < margin; returns 1 if stored. */
function emit(buf: ContactBuffer, geom: number, env: number): number {
  if (!(E[6] < buf.marginBox[0])) return 0;
  const k = buf.count;
  if (k >= buf.capacity) {
    buf.dropped++;
    return 0;
  }
  const o = 3 * k;
  buf.pos[o] = E[0];
  buf.pos[o + 1] = E[1];
  buf.pos[o + 2] = E[2];
  buf.normal[o] = E[3];
  buf.normal[o + 1] = E[4];
  buf.normal[o + 2] = E[5];
  buf.dist[k] = E[6];
  buf.geom[k] = geom;
  buf.env[k] = env;
  contactFrame(buf.normal, o, buf.frame, 9 * k);
  buf.count = k + 1;
  return 1;
}

/**
 * Signed distance of the point P (box frame) to the box of half extents he[0..2]: writes the
 * closest surface point, the outward unit normal (gradient of the signed distance) and the
 * signed distance into Q. Inside: the face of least penetration (ties: lowest axis, + side).
 */
function boxQuery(he: Float64Array): void {
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

/** P = S.A + S.t (S.B - S.A), then boxQuery. */
function segmentQuery(he: Float64Array): void {
  const t = S[6];
  P[0] = S[0] + t * (S[3] - S[0]);
  P[1] = S[1] + t * (S[4] - S[1]);
  P[2] = S[2] + t * (S[5] - S[2]);
  boxQuery(he);
}

/**
 * From Q (box frame) and the box placement B: E.pos = world closest point, E.normal = world
 * normal, E.dist = Q.sd - W[31] (the robot shape's radius, stored by the caller in W[31]).
 */
function boxContactFromQuery(B: Float64Array): void {
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
  E[6] = Q[6] - W[31];
}

/** P = B^T (x - p_B) for the world point x = W[28..30]. */
function worldToBox(B: Float64Array): void {
  const dx = W[28] - B[9];
  const dy = W[29] - B[10];
  const dz = W[30] - B[11];
  P[0] = B[0] * dx + B[3] * dy + B[6] * dz;
  P[1] = B[1] * dx + B[4] * dy + B[7] * dz;
  P[2] = B[2] * dx + B[5] * dy + B[8] * dz;
}

/** Pending contact for the world point W[28..30] (minus radius W[31]) against the plane. */
function planePoint(plane: Float64Array): void {
  const nx = plane[0];
  const ny = plane[1];
  const nz = plane[2];
  const x = W[28];
  const y = W[29];
  const z = W[30];
  const d = nx * x + ny * y + nz * z - plane[3];
  E[0] = x - d * nx;
  E[1] = y - d * ny;
  E[2] = z - d * nz;
  E[3] = nx;
  E[4] = ny;
  E[5] = nz;
  E[6] = d - W[31];
}

// ---------------------------------------------------------------------------------------------
// Robot shape vs half-space

/** Sphere (dims[0] = radius) centred at the frame origin. */
export function collideSpherePlane(
  shape: CollisionShape,
  M: Float64Array,
  mo: number,
  plane: Float64Array,
  geom: number,
  env: number,
  buf: ContactBuffer,
): number {
  W[28] = M[mo + 9];
  W[29] = M[mo + 10];
  W[30] = M[mo + 11];
  W[31] = shape.dims[0];
  planePoint(plane);
  return emit(buf, geom, env);
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
): number {
  const hl = shape.dims[1];
  W[31] = shape.dims[0];
  let added = 0;
  const last = hl > 0 ? 1 : -1; // a capsule of zero length is a sphere: one point
  for (let s = -1; s <= last; s += 2) {
    W[28] = M[mo + 9] + s * hl * M[mo + 2];
    W[29] = M[mo + 10] + s * hl * M[mo + 5];
    W[30] = M[mo + 11] + s * hl * M[mo + 8];
    planePoint(plane);
    added += emit(buf, geom, env);
  }
  return added;
}

/**
 * Rim cross points of a cylinder (radius, halfLength along local z) for the "down" direction
 * -n with n = W[24..26]: W[0..23] = 8 points (cap -hl: deepest, +u2, -u2, opposite; then cap +hl).
 */
function cylinderRim(shape: CollisionShape, M: Float64Array, mo: number): void {
  const r = shape.dims[0];
  const hl = shape.dims[1];
  const ax = M[mo + 2];
  const ay = M[mo + 5];
  const az = M[mo + 8];
  const nx = W[24];
  const ny = W[25];
  const nz = W[26];
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

/** Cylinder (radius, halfLength along local z): rim cross points of both caps (module doc). */
export function collideCylinderPlane(
  shape: CollisionShape,
  M: Float64Array,
  mo: number,
  plane: Float64Array,
  geom: number,
  env: number,
  buf: ContactBuffer,
): number {
  W[24] = plane[0];
  W[25] = plane[1];
  W[26] = plane[2];
  cylinderRim(shape, M, mo);
  W[31] = 0;
  let added = 0;
  const npts = shape.dims[1] > 0 ? 8 : 4; // a disc has a single rim
  for (let k = 0; k < npts; k++) {
    W[28] = W[3 * k];
    W[29] = W[3 * k + 1];
    W[30] = W[3 * k + 2];
    planePoint(plane);
    added += emit(buf, geom, env);
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
): number {
  const hx = shape.dims[0];
  const hy = shape.dims[1];
  const hz = shape.dims[2];
  W[31] = 0;
  let added = 0;
  for (let c = 0; c < 8; c++) {
    const x = c & 1 ? hx : -hx;
    const y = c & 2 ? hy : -hy;
    const z = c & 4 ? hz : -hz;
    W[28] = M[mo] * x + M[mo + 1] * y + M[mo + 2] * z + M[mo + 9];
    W[29] = M[mo + 3] * x + M[mo + 4] * y + M[mo + 5] * z + M[mo + 10];
    W[30] = M[mo + 6] * x + M[mo + 7] * y + M[mo + 8] * z + M[mo + 11];
    planePoint(plane);
    added += emit(buf, geom, env);
  }
  return added;
}

// ---------------------------------------------------------------------------------------------
// Robot shape vs oriented box

/** Sphere vs box: exact closest point (face, edge, corner; least-penetration face inside). */
export function collideSphereBox(
  shape: CollisionShape,
  M: Float64Array,
  mo: number,
  box: BoxObstacle,
  geom: number,
  env: number,
  buf: ContactBuffer,
): number {
  const B = box.placement;
  W[28] = M[mo + 9];
  W[29] = M[mo + 10];
  W[30] = M[mo + 11];
  W[31] = shape.dims[0];
  worldToBox(B);
  boxQuery(box.halfExtents);
  boxContactFromQuery(B);
  return emit(buf, geom, env);
}

const GOLDEN = 0.5 * (Math.sqrt(5) - 1);
const SEARCH_ITERS = 60;
const FLAT_TOL = 1e-12;

/**
 * With the segment S (box frame) set: W[20] = argmin of the signed distance over t in [0, 1]
 * (golden section), W[21] = the minimum, W[22] / W[23] = ends of the interval where the
 * distance is within FLAT_TOL of the minimum (bisection; it is an interval by convexity).
 */
function segmentMinimum(he: Float64Array): void {
  let a = 0;
  let b = 1;
  let c = b - GOLDEN * (b - a);
  let d = a + GOLDEN * (b - a);
  S[6] = c;
  segmentQuery(he);
  let fc = Q[6];
  S[6] = d;
  segmentQuery(he);
  let fd = Q[6];
  for (let k = 0; k < SEARCH_ITERS; k++) {
    if (fc <= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - GOLDEN * (b - a);
      S[6] = c;
      segmentQuery(he);
      fc = Q[6];
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + GOLDEN * (b - a);
      S[6] = d;
      segmentQuery(he);
      fd = Q[6];
    }
  }
  let tm = 0.5 * (a + b);
  S[6] = tm;
  segmentQuery(he);
  let fm = Q[6];
  S[6] = 0;
  segmentQuery(he);
  const f0 = Q[6];
  S[6] = 1;
  segmentQuery(he);
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
      segmentQuery(he);
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
      segmentQuery(he);
      if (Q[6] <= thr) x0 = xm;
      else x1 = xm;
    }
    hi = x0;
  }
  W[20] = tm;
  W[21] = fm;
  W[22] = lo;
  W[23] = hi;
}

/**
 * Emits the contact at parameter t = S[6] of the segment (distance offset W[31]) unless a point
 * of this call already lies closer than max(1e-6, 0.01 radius of the shape) along the segment
 * (W[16..19] hold the t already used, U[0] their count, W[14] the segment length).
 */
function emitSegmentPoint(
  shape: CollisionShape,
  box: BoxObstacle,
  geom: number,
  env: number,
  buf: ContactBuffer,
): number {
  const t = S[6];
  const len = W[14];
  const nUsed = U[0];
  const r = shape.dims[0];
  const minGap = r > 1e-4 ? 0.01 * r : 1e-6;
  for (let k = 0; k < nUsed; k++) {
    const dt = W[16 + k] - t;
    if ((dt < 0 ? -dt : dt) * len <= minGap) return 0;
  }
  W[16 + nUsed] = t;
  U[0] = nUsed + 1;
  segmentQuery(box.halfExtents);
  if (U[1] === 1) {
    // on the flat minimum interval: the normal of its minimizer (W[11..13]); at the end of the
    // interval next to an edge, the local normal would be tilted by sqrt(2 FLAT_TOL / gap)
    Q[3] = W[11];
    Q[4] = W[12];
    Q[5] = W[13];
  }
  boxContactFromQuery(box.placement);
  return emit(buf, geom, env);
}

/**
 * After segmentMinimum: the ends of the flat minimum interval, or the minimizer alone when the
 * interval is shorter than the dedupe distance (a strict minimum, e.g. across an edge).
 */
function emitMinimumInterval(
  shape: CollisionShape,
  box: BoxObstacle,
  geom: number,
  env: number,
  buf: ContactBuffer,
): number {
  const r = shape.dims[0];
  const minGap = r > 1e-4 ? 0.01 * r : 1e-6;
  U[1] = 0;
  if ((W[23] - W[22]) * W[14] <= minGap) {
    S[6] = W[20];
    return emitSegmentPoint(shape, box, geom, env, buf);
  }
  S[6] = W[20];
  segmentQuery(box.halfExtents);
  W[11] = Q[3];
  W[12] = Q[4];
  W[13] = Q[5];
  U[1] = 1;
  S[6] = W[22];
  let added = emitSegmentPoint(shape, box, geom, env, buf);
  S[6] = W[23];
  added += emitSegmentPoint(shape, box, geom, env, buf);
  U[1] = 0;
  return added;
}

/** Capsule vs box (module doc): up to 4 contacts along the segment. */
export function collideCapsuleBox(
  shape: CollisionShape,
  M: Float64Array,
  mo: number,
  box: BoxObstacle,
  geom: number,
  env: number,
  buf: ContactBuffer,
): number {
  const B = box.placement;
  const hl = shape.dims[1];
  W[31] = shape.dims[0];
  for (let s = 0; s < 2; s++) {
    const f = s === 0 ? -hl : hl;
    W[28] = M[mo + 9] + f * M[mo + 2];
    W[29] = M[mo + 10] + f * M[mo + 5];
    W[30] = M[mo + 11] + f * M[mo + 8];
    worldToBox(B);
    S[3 * s] = P[0];
    S[3 * s + 1] = P[1];
    S[3 * s + 2] = P[2];
  }
  W[14] = 2 * hl;
  U[0] = 0;
  segmentMinimum(box.halfExtents);
  // order: the minimum (interval ends), then the segment endpoints
  let added = emitMinimumInterval(shape, box, geom, env, buf);
  S[6] = 0;
  added += emitSegmentPoint(shape, box, geom, env, buf);
  S[6] = 1;
  added += emitSegmentPoint(shape, box, geom, env, buf);
  return added;
}

/** Cylinder vs box (module doc, approximation): rim cross points + lowest generator line. */
export function collideCylinderBox(
  shape: CollisionShape,
  M: Float64Array,
  mo: number,
  box: BoxObstacle,
  geom: number,
  env: number,
  buf: ContactBuffer,
): number {
  const B = box.placement;
  const he = box.halfExtents;
  // support direction: box normal at the point closest to the cylinder centre
  W[28] = M[mo + 9];
  W[29] = M[mo + 10];
  W[30] = M[mo + 11];
  worldToBox(B);
  boxQuery(he);
  W[24] = B[0] * Q[3] + B[1] * Q[4] + B[2] * Q[5];
  W[25] = B[3] * Q[3] + B[4] * Q[4] + B[5] * Q[5];
  W[26] = B[6] * Q[3] + B[7] * Q[4] + B[8] * Q[5];
  cylinderRim(shape, M, mo);
  W[31] = 0;
  let added = 0;
  for (let k = 0; k < 8; k++) {
    W[28] = W[3 * k];
    W[29] = W[3 * k + 1];
    W[30] = W[3 * k + 2];
    worldToBox(B);
    if (k === 0 || k === 4) {
      // the deepest rim points are the ends of the lowest generator line
      const o = k === 0 ? 0 : 3;
      S[o] = P[0];
      S[o + 1] = P[1];
      S[o + 2] = P[2];
    }
    boxQuery(he);
    boxContactFromQuery(B);
    added += emit(buf, geom, env);
  }
  // the generator line between them: ends of its flat minimum interval (e.g. lying across an
  // edge of the box), the line ends themselves being rim points already reported
  W[14] = 2 * shape.dims[1];
  W[16] = 0;
  W[17] = 1;
  U[0] = 2;
  segmentMinimum(he);
  added += emitMinimumInterval(shape, box, geom, env, buf);
  return added;
}

/** Robot box vs obstacle box (module doc, approximation): robot corners against the obstacle. */
export function collideBoxBox(
  shape: CollisionShape,
  M: Float64Array,
  mo: number,
  box: BoxObstacle,
  geom: number,
  env: number,
  buf: ContactBuffer,
): number {
  const B = box.placement;
  const hx = shape.dims[0];
  const hy = shape.dims[1];
  const hz = shape.dims[2];
  W[31] = 0;
  let added = 0;
  for (let c = 0; c < 8; c++) {
    const x = c & 1 ? hx : -hx;
    const y = c & 2 ? hy : -hy;
    const z = c & 4 ? hz : -hz;
    W[28] = M[mo] * x + M[mo + 1] * y + M[mo + 2] * z + M[mo + 9];
    W[29] = M[mo + 3] * x + M[mo + 4] * y + M[mo + 5] * z + M[mo + 10];
    W[30] = M[mo + 6] * x + M[mo + 7] * y + M[mo + 8] * z + M[mo + 11];
    worldToBox(B);
    boxQuery(box.halfExtents);
    boxContactFromQuery(B);
    added += emit(buf, geom, env);
  }
  return added;
}

// ---------------------------------------------------------------------------------------------
// Dispatch

/** Any robot primitive vs a half-space; returns the number of contacts added. */
export function collideShapePlane(
  shape: CollisionShape,
  M: Float64Array,
  mo: number,
  plane: Float64Array,
  geom: number,
  env: number,
  buf: ContactBuffer,
): number {
  switch (shape.kind) {
    case SHAPE_SPHERE:
      return collideSpherePlane(shape, M, mo, plane, geom, env, buf);
    case SHAPE_CAPSULE:
      return collideCapsulePlane(shape, M, mo, plane, geom, env, buf);
    case SHAPE_CYLINDER:
      return collideCylinderPlane(shape, M, mo, plane, geom, env, buf);
    case SHAPE_BOX:
      return collideBoxPlane(shape, M, mo, plane, geom, env, buf);
    default:
      return 0;
  }
}

/** Any robot primitive vs an oriented box obstacle; returns the number of contacts added. */
export function collideShapeBox(
  shape: CollisionShape,
  M: Float64Array,
  mo: number,
  box: BoxObstacle,
  geom: number,
  env: number,
  buf: ContactBuffer,
): number {
  switch (shape.kind) {
    case SHAPE_SPHERE:
      return collideSphereBox(shape, M, mo, box, geom, env, buf);
    case SHAPE_CAPSULE:
      return collideCapsuleBox(shape, M, mo, box, geom, env, buf);
    case SHAPE_CYLINDER:
      return collideCylinderBox(shape, M, mo, box, geom, env, buf);
    case SHAPE_BOX:
      return collideBoxBox(shape, M, mo, box, geom, env, buf);
    default:
      return 0;
  }
}
