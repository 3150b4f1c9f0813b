/**
 * Contacts for collision MESHES, through Rapier (@dimforge/rapier3d-compat) shape queries, in
 * the ContactBuffer format of collision.ts (pos on the environment surface, normal from the
 * environment INTO the robot, signed dist, contactFrame, reported while dist < buf.margin).
 *
 * Geometry: each mesh collision geometry becomes the CONVEX HULL of its vertices (Rapier's
 * `ConvexPolyhedron` built without indices = `RawShape.convexHull`), built once per (file,
 * scale) and shared. Robot links are convex-ish; concave detail (a notch, the inside of a
 * bracket) is lost: the hull fills it. Approximate strongly concave parts with several
 * primitives or several meshes if that matters.
 *
 * Queries (per robot mesh, per environment object):
 *   hull-plane [4]  exact, without Rapier: every hull vertex whose signed distance to the
 *                   plane is below the margin is a candidate (a convex polytope's deepest point
 *                   is a vertex); at most 4 are kept (below). A cube resting flat gives its 4
 *                   bottom corners, exactly as collision.ts' box-plane.
 *   hull-box   [5]  the hull vertices tested exactly against the box (closest point / least
 *                   penetration face, in f64: vertex-face contacts, a manifold for a hull lying
 *                   on a face), at most 4 kept; PLUS Rapier's `contactShape` (GJK/EPA) for the
 *                   deepest point of the pair, which also finds what the vertices miss (an
 *                   edge crossing an edge of the box, a box corner poking into a hull face).
 *                   Rapier's contact is dropped as redundant when it has the normal of the
 *                   deepest vertex contact (within 1e-4 in cosine, ~0.8 deg) and is not deeper
 *                   than it by more than RAPIER_DEPTH_TOL (Rapier works in float32: its depths
 *                   carry ~1e-7 m errors and its normals ~1e-3 rad at gaps of 1e-4 m). The
 *                   query runs in the box frame (box at the origin), so float32 sees small
 *                   coordinates; results are mapped back to the world in f64.
 *   Both first test the hull's bounding sphere (no contact possible: nothing to do).
 * Keeping 4 of K > 4 candidates ("deepest, spread out", over the environment witness points):
 *   the support is the set of candidates at most SUPPORT_BAND * margin (0.1 mm at the default
 *   1 cm margin) less deep than the deepest: a = the deepest; b = the support point farthest
 *   from a; c = the one making the largest triangle (a, b, c); d = the one farthest outside
 *   that triangle (none if all are inside). Slots left (a support that is a point or a line)
 *   are filled by farthest-point sampling over all candidates (speculative contacts where the
 *   body may tip to). The band is narrow on purpose: on a faceted round surface (Solo's
 *   wheel-shaped foot, 626 hull vertices) a wide band is won by points far up the side and
 *   the facet the body actually rests on is left out, so it rocks from vertex to vertex (seen
 *   with 1 mm: |v| ~ 5e-3 for a standing Solo; with 0.1 mm: 1e-11). The choice is emitted in
 *   hull-vertex order, so the order is stable while the contact set is (warm start). The hull
 *   vertices are float32 numbers (the mesh's); all arithmetic on them is f64.
 *
 * Rapier's init is asynchronous: `await initMeshCollision()` once (the Rapier module is loaded
 * then, by dynamic import: code that never calls it never loads Rapier). Building a mesh shape
 * from a file through Rapier (meshCollisionShape), or a hull-box query, before that throws. A
 * hull whose vertices were computed without Rapier (model/convex-hull.ts, carried by the
 * geometry as `shape.hull`: lift-leg's meshCollision 'hulls') collides with the ground on any
 * thread at once (hullCollisionShape).
 *
 * Hot path: no allocation on our side (module scratch, grown when a hull is built, not per
 * query). What Rapier's JS API forces on the hull-box query, per call that passes the bounding
 * sphere test: one RawVector and one RawRotation for the hull pose (wasm-bindgen objects,
 * immutable: they cannot be reused) and the RawShapeContact result object, all freed at once
 * (`free()`), so only their small JS wrappers are left to the GC. The hull-plane query makes no
 * allocation at all. Not re-entrant (module scratch), like collision.ts.
 */
import type RAPIER_NS from '@dimforge/rapier3d-compat';
import type { GeometryShape } from '../model/model.ts';
import { loadMesh, type TriangleMesh } from '../model/mesh.ts';
import { contactFrame, type BoxObstacle, type CollisionShape, type ContactBuffer } from './collision.ts';

type Rapier = typeof RAPIER_NS;
type RawShape = ReturnType<InstanceType<Rapier['Cuboid']>['intoRaw']>;
type RawVector = ReturnType<Rapier['VectorOps']['intoRaw']>;
type RawRotation = ReturnType<Rapier['RotationOps']['intoRaw']>;

/** Collision shape kind of a mesh (after collision.ts' SHAPE_BOX = 3). */
export const SHAPE_MESH = 4;

/** Rapier contact not deeper than the deepest vertex contact by more than this is redundant (m). */
export const RAPIER_DEPTH_TOL = 1e-5;
const SAME_NORMAL_COS = 1 - 1e-4;
/** Candidates within this fraction of the margin of the deepest one form the support. */
export const SUPPORT_BAND = 0.01;

/** The convex hull of a mesh (shared by every geometry using the same file and scale). */
export interface ConvexHull {
  /** Source, for messages. */
  readonly name: string;
  /** Hull vertices in the mesh frame (3 per vertex; float32 values held in f64). */
  readonly vertices: Float64Array;
  readonly count: number;
  /** Bounding sphere (centre in the mesh frame, radius), a cheap rejection test. */
  readonly center: Float64Array;
  readonly radius: number;
  /**
   * Rapier's convex polyhedron (hull-box queries), or null for a hull computed without Rapier
   * (hullCollisionShape): the hull-plane query never needs it, and a hull-box query builds it
   * on first use once Rapier is initialized.
   */
  raw: RawShape | null;
}

/**
 * A mesh collision primitive: kind SHAPE_MESH, dims = [bounding radius about the geometry frame
 * origin, 0, 0] (what Simulator uses to widen the margin of a fast-turning body), and the hull.
 */
export interface MeshCollisionShape extends CollisionShape {
  readonly hull: ConvexHull;
}

// ---------------------------------------------------------------------------------------------
// Init

let R: Rapier | null = null;
let pending: Promise<void> | null = null;
/** Constant pose of the box in its own frame, and the pose object read by VectorOps.intoRaw. */
let ZERO_V: RawVector | null = null;
let IDENT_Q: RawRotation | null = null;
const POS = { x: 0, y: 0, z: 0 };
const ROT = { x: 0, y: 0, z: 0, w: 1 };
const RAPIER_OUT = new Float32Array(16);

/** Loads and initializes Rapier (idempotent; concurrent calls share one load). */
export function initMeshCollision(): Promise<void> {
  if (R) return Promise.resolve();
  if (!pending) {
    pending = (async () => {
      const mod = await import('@dimforge/rapier3d-compat');
      const r = ((mod as { default?: Rapier }).default ?? mod) as Rapier;
      await r.init();
      ZERO_V = r.VectorOps.intoRaw({ x: 0, y: 0, z: 0 });
      IDENT_Q = r.RotationOps.intoRaw({ x: 0, y: 0, z: 0, w: 1 });
      R = r;
    })();
    pending.catch(() => {
      pending = null;
    });
  }
  return pending;
}

/** True once initMeshCollision() has completed. */
export function meshCollisionReady(): boolean {
  return R !== null;
}

function notReady(what: string): never {
  throw new Error(`mesh collision: ${what} before Rapier is initialized: call \`await initMeshCollision()\` (server/dynamics/mesh-collision.ts) first`);
}

// ---------------------------------------------------------------------------------------------
// Set-up

const hullCache = new Map<string, ConvexHull>();

/**
 * Per candidate (hull vertices within the margin, in hull-vertex order): env point (3), normal
 * (3), dist. Grown at set-up so that it fits the largest hull (+ 1 slot).
 */
let cand = new Float64Array(7 * 64);

function ensureScratch(n: number): void {
  if (cand.length >= 7 * n) return;
  cand = new Float64Array(7 * n);
}

/** Convex hull of a point set (3 per point) through Rapier; `name` for messages. */
export function convexHullFromPoints(points: Float32Array, name = '<points>'): ConvexHull {
  if (!R) notReady(`convex hull of ${name}`);
  if (points.length < 12) throw new Error(`mesh collision: ${name}: ${points.length / 3} vertices, a convex hull needs 4 at least`);
  const raw = new R.ConvexPolyhedron(points, null).intoRaw() as RawShape | undefined;
  if (!raw) throw new Error(`mesh collision: ${name}: the convex hull failed (flat or degenerate mesh?)`);
  const hv = raw.vertices();
  if (!hv || hv.length < 12) throw new Error(`mesh collision: ${name}: degenerate convex hull (${hv ? hv.length / 3 : 0} vertices)`);
  const vertices = Float64Array.from(hv);
  const count = vertices.length / 3;
  // bounding sphere: centre of the bounding box, radius to the farthest vertex
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < 3; k++) {
      const x = vertices[3 * i + k];
      if (x < lo[k]) lo[k] = x;
      if (x > hi[k]) hi[k] = x;
    }
  }
  const center = Float64Array.from([0, 1, 2].map((k) => 0.5 * (lo[k] + hi[k])));
  let r2 = 0;
  for (let i = 0; i < count; i++) {
    const dx = vertices[3 * i] - center[0], dy = vertices[3 * i + 1] - center[1], dz = vertices[3 * i + 2] - center[2];
    r2 = Math.max(r2, dx * dx + dy * dy + dz * dz);
  }
  ensureScratch(count + 1); // + 1: Rapier's contact rides in slot K
  return { name, vertices, count, center, radius: Math.sqrt(r2) * (1 + 1e-9) + 1e-12, raw };
}

/** The hull of a loaded mesh (all its vertices; the triangles are not needed for a hull). */
export function convexHullFromMesh(mesh: TriangleMesh, name = '<mesh>'): ConvexHull {
  return convexHullFromPoints(mesh.vertices, name);
}

const vertexHulls = new WeakMap<Float64Array, MeshCollisionShape>();

/**
 * The collision shape of hull vertices computed without Rapier (3 per vertex, in the geometry
 * frame; model/convex-hull.ts): no Rapier needed for the ground; one shape per vertex array.
 */
export function hullCollisionShape(vertices: Float64Array, name = '<hull>'): MeshCollisionShape {
  let shape = vertexHulls.get(vertices);
  if (shape) return shape;
  const count = vertices.length / 3;
  if (!(count >= 4) || !Number.isInteger(count)) throw new Error(`mesh collision: ${name}: ${vertices.length} hull coordinates, 4 vertices (12 numbers) at least`);
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < 3; k++) {
      const x = vertices[3 * i + k];
      if (x < lo[k]) lo[k] = x;
      if (x > hi[k]) hi[k] = x;
    }
  }
  const center = Float64Array.from([0, 1, 2].map((k) => 0.5 * (lo[k] + hi[k])));
  let r2 = 0;
  for (let i = 0; i < count; i++) {
    const dx = vertices[3 * i] - center[0], dy = vertices[3 * i + 1] - center[1], dz = vertices[3 * i + 2] - center[2];
    r2 = Math.max(r2, dx * dx + dy * dy + dz * dz);
  }
  ensureScratch(count + 1);
  shape = meshShapeFromHull({ name, vertices, count, center, radius: Math.sqrt(r2) * (1 + 1e-9) + 1e-12, raw: null });
  vertexHulls.set(vertices, shape);
  return shape;
}

/** Wraps a hull as a collision shape. */
export function meshShapeFromHull(hull: ConvexHull): MeshCollisionShape {
  let r2 = 0;
  for (let i = 0; i < hull.count; i++) {
    const x = hull.vertices[3 * i], y = hull.vertices[3 * i + 1], z = hull.vertices[3 * i + 2];
    r2 = Math.max(r2, x * x + y * y + z * z);
  }
  return { kind: SHAPE_MESH, dims: Float64Array.from([Math.sqrt(r2), 0, 0]), hull };
}

/**
 * Mesh collision shape of a model geometry `{type: 'mesh', path, scale}` (setup time): loads the
 * mesh (cached) and builds its convex hull (cached per path and scale). Throws when mesh
 * collision is not initialized, the path is unresolved or the file is bad (MeshError).
 */
export function meshCollisionShape(shape: Extract<GeometryShape, { type: 'mesh' }>): MeshCollisionShape {
  if (!R) notReady(`mesh '${shape.uri}'`);
  if (shape.path === null) throw new Error(`mesh collision: mesh '${shape.uri}' was not resolved to a file`);
  const key = `${shape.path}|${shape.scale.join(',')}`;
  let hull = hullCache.get(key);
  if (!hull) {
    hull = convexHullFromMesh(loadMesh(shape.path, shape.scale), shape.path);
    hullCache.set(key, hull);
  }
  return meshShapeFromHull(hull);
}

// ---------------------------------------------------------------------------------------------
// Queries

/** Box query output: closest surface point (3), outward normal (3), signed distance (box frame). */
const Q = new Float64Array(7);
/** Selected candidates. */
const SEL = new Int32Array(5);

/** Box query input point (box frame). Doubles travel through scratch arrays: passed to or
 * returned from a helper that V8 does not inline, a double is boxed (an allocation). */
const P = new Float64Array(3);
/** Band of the support selection (m), for selectCandidates. */
const BAND = new Float64Array(1);
/** Rotation (row-major) for rotToQuat. */
const RM = new Float64Array(9);

/** Signed distance of P (box frame) to the box of half extents he (collision.ts' rule). */
function boxQuery(he: Float64Array): void {
  const x = P[0], y = P[1], z = P[2];
  const hx = he[0], hy = he[1], hz = he[2];
  const qx = x > hx ? hx : x < -hx ? -hx : x;
  const qy = y > hy ? hy : y < -hy ? -hy : y;
  const qz = z > hz ? hz : z < -hz ? -hz : z;
  const dx = x - qx, dy = y - qy, dz = z - qz;
  const l = Math.sqrt(dx * dx + dy * dy + dz * dz);
  if (l > 0) {
    const il = 1 / l;
    Q[0] = qx; Q[1] = qy; Q[2] = qz;
    Q[3] = dx * il; Q[4] = dy * il; Q[5] = dz * il;
    Q[6] = l;
    return;
  }
  const ex = (x < 0 ? -x : x) - hx, ey = (y < 0 ? -y : y) - hy, ez = (z < 0 ? -z : z) - hz;
  Q[0] = x; Q[1] = y; Q[2] = z;
  Q[3] = 0; Q[4] = 0; Q[5] = 0;
  if (ex >= ey && ex >= ez) {
    const s = x >= 0 ? 1 : -1;
    Q[0] = s * hx; Q[3] = s; Q[6] = ex;
  } else if (ey >= ez) {
    const s = y >= 0 ? 1 : -1;
    Q[1] = s * hy; Q[4] = s; Q[6] = ey;
  } else {
    const s = z >= 0 ? 1 : -1;
    Q[2] = s * hz; Q[5] = s; Q[6] = ez;
  }
}

function emitCand(buf: ContactBuffer, c: number, geom: number, env: number): number {
  const k = buf.count;
  if (k >= buf.capacity) {
    buf.dropped++;
    return 0;
  }
  const o = 3 * k, co = 7 * c;
  buf.pos[o] = cand[co]; buf.pos[o + 1] = cand[co + 1]; buf.pos[o + 2] = cand[co + 2];
  buf.normal[o] = cand[co + 3]; buf.normal[o + 1] = cand[co + 4]; buf.normal[o + 2] = cand[co + 5];
  buf.dist[k] = cand[co + 6];
  buf.geom[k] = geom;
  buf.env[k] = env;
  contactFrame(buf.normal, o, buf.frame, 9 * k);
  buf.count = k + 1;
  return 1;
}

/**
 * Picks at most 4 of the K candidates (module doc) into SEL, sorted by candidate index;
 * returns how many. Slot K of `cand` may hold an extra (Rapier) entry: it is not considered.
 */
function selectCandidates(K: number): number {
  const band = BAND[0];
  if (K <= 4) {
    for (let i = 0; i < K; i++) SEL[i] = i;
    return K;
  }
  let a = 0;
  for (let i = 1; i < K; i++) if (cand[7 * i + 6] < cand[7 * a + 6]) a = i;
  const dBand = cand[7 * a + 6] + band;
  const ax = cand[7 * a], ay = cand[7 * a + 1], az = cand[7 * a + 2];
  let n = 0;
  SEL[n++] = a;
  // the support: spread over the candidates within the band
  let b = -1, best = 1e-24;
  for (let i = 0; i < K; i++) {
    if (!(cand[7 * i + 6] <= dBand)) continue;
    const dx = cand[7 * i] - ax, dy = cand[7 * i + 1] - ay, dz = cand[7 * i + 2] - az;
    const d2 = dx * dx + dy * dy + dz * dz;
    if (d2 > best) { best = d2; b = i; }
  }
  if (b >= 0) {
    SEL[n++] = b;
    const ux = cand[7 * b] - ax, uy = cand[7 * b + 1] - ay, uz = cand[7 * b + 2] - az;
    const ul2 = best;
    let c = -1;
    best = 1e-12 * ul2 * ul2;
    let tx = 0, ty = 0, tz = 0;
    for (let i = 0; i < K; i++) {
      if (!(cand[7 * i + 6] <= dBand)) continue;
      const wx = cand[7 * i] - ax, wy = cand[7 * i + 1] - ay, wz = cand[7 * i + 2] - az;
      const cx = uy * wz - uz * wy, cy = uz * wx - ux * wz, cz = ux * wy - uy * wx;
      const a2 = cx * cx + cy * cy + cz * cz;
      if (a2 > best) { best = a2; c = i; tx = cx; ty = cy; tz = cz; }
    }
    if (c >= 0) {
      SEL[n++] = c;
      // d: farthest outside the triangle (a, b, c) whose normal is t = (b - a) x (c - a)
      let d = -1;
      let out = 1e-9 * Math.sqrt(best);
      for (let i = 0; i < K; i++) {
        if (!(cand[7 * i + 6] <= dBand) || i === a || i === b || i === c) continue;
        const px = cand[7 * i], py = cand[7 * i + 1], pz = cand[7 * i + 2];
        let o = 0;
        for (let e = 0; e < 3; e++) {
          const u = e === 0 ? a : e === 1 ? b : c;
          const v = e === 0 ? b : e === 1 ? c : a;
          const ex = cand[7 * v] - cand[7 * u], ey = cand[7 * v + 1] - cand[7 * u + 1], ez = cand[7 * v + 2] - cand[7 * u + 2];
          const wx = px - cand[7 * u], wy = py - cand[7 * u + 1], wz = pz - cand[7 * u + 2];
          // signed area of (u, v, p) along t: positive inside
          const sg = (ey * wz - ez * wy) * tx + (ez * wx - ex * wz) * ty + (ex * wy - ey * wx) * tz;
          if (-sg > o) o = -sg;
        }
        if (o > out) { out = o; d = i; }
      }
      if (d >= 0) SEL[n++] = d;
    }
  }
  // free slots (a point or a line of support): farthest-point fill from every candidate
  while (n < 4) {
    let f = -1;
    best = 1e-24;
    for (let i = 0; i < K; i++) {
      let m = Infinity;
      for (let s = 0; s < n; s++) {
        const j = SEL[s];
        const dx = cand[7 * i] - cand[7 * j], dy = cand[7 * i + 1] - cand[7 * j + 1], dz = cand[7 * i + 2] - cand[7 * j + 2];
        const d2 = dx * dx + dy * dy + dz * dz;
        if (d2 < m) m = d2;
      }
      if (m > best) { best = m; f = i; }
    }
    if (f < 0) break;
    SEL[n++] = f;
  }
  // insertion sort by candidate index (hull-vertex order)
  for (let i = 1; i < n; i++) {
    const x = SEL[i];
    let j = i - 1;
    while (j >= 0 && SEL[j] > x) { SEL[j + 1] = SEL[j]; j--; }
    SEL[j + 1] = x;
  }
  return n;
}

/**
 * Convex hull (geometry placed by the world SE3 M[mo..mo+11]) vs the half-space plane
 * [nx, ny, nz, h]: exact, at most 4 contacts (module doc). Returns the number added.
 */
export function collideMeshPlane(
  shape: MeshCollisionShape,
  M: Float64Array,
  mo: number,
  plane: Float64Array,
  geom: number,
  env: number,
  buf: ContactBuffer,
): number {
  const hull = shape.hull, V = hull.vertices, margin = buf.marginBox[0];
  const nx = plane[0], ny = plane[1], nz = plane[2], h = plane[3];
  const r00 = M[mo], r01 = M[mo + 1], r02 = M[mo + 2];
  const r10 = M[mo + 3], r11 = M[mo + 4], r12 = M[mo + 5];
  const r20 = M[mo + 6], r21 = M[mo + 7], r22 = M[mo + 8];
  const px = M[mo + 9], py = M[mo + 10], pz = M[mo + 11];
  // the plane normal in the mesh frame, and the signed distance of the mesh origin
  const lx = r00 * nx + r10 * ny + r20 * nz;
  const ly = r01 * nx + r11 * ny + r21 * nz;
  const lz = r02 * nx + r12 * ny + r22 * nz;
  const d0 = nx * px + ny * py + nz * pz - h;
  const C = hull.center;
  if (d0 + lx * C[0] + ly * C[1] + lz * C[2] - hull.radius >= margin) return 0;
  let K = 0;
  for (let i = 0; i < hull.count; i++) {
    const vx = V[3 * i], vy = V[3 * i + 1], vz = V[3 * i + 2];
    const d = d0 + lx * vx + ly * vy + lz * vz;
    if (!(d < margin)) continue;
    const wx = r00 * vx + r01 * vy + r02 * vz + px;
    const wy = r10 * vx + r11 * vy + r12 * vz + py;
    const wz = r20 * vx + r21 * vy + r22 * vz + pz;
    const o = 7 * K;
    cand[o] = wx - d * nx; cand[o + 1] = wy - d * ny; cand[o + 2] = wz - d * nz;
    cand[o + 3] = nx; cand[o + 4] = ny; cand[o + 5] = nz;
    cand[o + 6] = d;
    K++;
  }
  if (K === 0) return 0;
  BAND[0] = SUPPORT_BAND * margin;
  const n = selectCandidates(K);
  let added = 0;
  for (let s = 0; s < n; s++) added += emitCand(buf, SEL[s], geom, env);
  return added;
}

/** Rapier's contact of the last collideMeshBox call (box frame): valid when RC[13] = 1. */
const RC = new Float64Array(14);

/**
 * Convex hull (placed by M[mo..mo+11]) vs an oriented box obstacle: the hull vertices against
 * the box (at most 4) plus Rapier's deepest point unless redundant (module doc). Returns the
 * number of contacts added (at most 5).
 */
export function collideMeshBox(
  shape: MeshCollisionShape,
  M: Float64Array,
  mo: number,
  box: BoxObstacle,
  geom: number,
  env: number,
  buf: ContactBuffer,
): number {
  const r = R;
  if (!r) notReady('collideMeshBox');
  const hull = shape.hull, V = hull.vertices, margin = buf.marginBox[0], B = box.placement, he = box.halfExtents;
  // hull pose in the box frame: Rb = B_R^T R, pb = B_R^T (p - p_B)
  const b00 = B[0], b01 = B[1], b02 = B[2], b10 = B[3], b11 = B[4], b12 = B[5], b20 = B[6], b21 = B[7], b22 = B[8];
  const r00 = b00 * M[mo] + b10 * M[mo + 3] + b20 * M[mo + 6];
  const r01 = b00 * M[mo + 1] + b10 * M[mo + 4] + b20 * M[mo + 7];
  const r02 = b00 * M[mo + 2] + b10 * M[mo + 5] + b20 * M[mo + 8];
  const r10 = b01 * M[mo] + b11 * M[mo + 3] + b21 * M[mo + 6];
  const r11 = b01 * M[mo + 1] + b11 * M[mo + 4] + b21 * M[mo + 7];
  const r12 = b01 * M[mo + 2] + b11 * M[mo + 5] + b21 * M[mo + 8];
  const r20 = b02 * M[mo] + b12 * M[mo + 3] + b22 * M[mo + 6];
  const r21 = b02 * M[mo + 1] + b12 * M[mo + 4] + b22 * M[mo + 7];
  const r22 = b02 * M[mo + 2] + b12 * M[mo + 5] + b22 * M[mo + 8];
  const qx0 = M[mo + 9] - B[9], qy0 = M[mo + 10] - B[10], qz0 = M[mo + 11] - B[11];
  const px = b00 * qx0 + b10 * qy0 + b20 * qz0;
  const py = b01 * qx0 + b11 * qy0 + b21 * qz0;
  const pz = b02 * qx0 + b12 * qy0 + b22 * qz0;
  const C = hull.center;
  P[0] = r00 * C[0] + r01 * C[1] + r02 * C[2] + px;
  P[1] = r10 * C[0] + r11 * C[1] + r12 * C[2] + py;
  P[2] = r20 * C[0] + r21 * C[1] + r22 * C[2] + pz;
  boxQuery(he);
  if (Q[6] - hull.radius >= margin) return 0;
  // vertices against the box (candidates in the BOX frame, mapped to the world when emitted)
  const ex = he[0], ey = he[1], ez = he[2];
  let K = 0;
  for (let i = 0; i < hull.count; i++) {
    const vx = V[3 * i], vy = V[3 * i + 1], vz = V[3 * i + 2];
    const x = r00 * vx + r01 * vy + r02 * vz + px;
    const y = r10 * vx + r11 * vy + r12 * vz + py;
    const z = r20 * vx + r21 * vy + r22 * vz + pz;
    // outside the box grown by the margin (a lower bound of the distance): no contact
    if ((x < 0 ? -x : x) - ex >= margin || (y < 0 ? -y : y) - ey >= margin || (z < 0 ? -z : z) - ez >= margin) continue;
    P[0] = x; P[1] = y; P[2] = z;
    boxQuery(he);
    if (!(Q[6] < margin)) continue;
    const o = 7 * K;
    for (let k = 0; k < 7; k++) cand[o + k] = Q[k];
    K++;
  }
  // Rapier: the deepest point of the pair, hull pose relative to the box (box at the origin)
  POS.x = px; POS.y = py; POS.z = pz;
  RM[0] = r00; RM[1] = r01; RM[2] = r02; RM[3] = r10; RM[4] = r11; RM[5] = r12; RM[6] = r20; RM[7] = r21; RM[8] = r22;
  rotToQuat();
  const rawPos = r.VectorOps.intoRaw(POS);
  const rawRot = r.RotationOps.intoRaw(ROT);
  if (!hull.raw) hull.raw = (new r.ConvexPolyhedron(Float32Array.from(hull.vertices), null).intoRaw() as RawShape | undefined) ?? null;
  if (!hull.raw) throw new Error(`mesh collision: ${hull.name}: Rapier could not build the convex polyhedron of its hull`);
  const res = hull.raw.contactShape(rawPos, rawRot, boxRaw(r, box), ZERO_V!, IDENT_Q!, margin);
  rawPos.free();
  rawRot.free();
  RC[13] = 0;
  if (res) {
    res.getComponents(RAPIER_OUT);
    res.free();
    // [distance, point1 (hull), point2 (box), normal1 (out of hull), normal2 (out of box)]
    const dist = RAPIER_OUT[0];
    let nx = RAPIER_OUT[10], ny = RAPIER_OUT[11], nz = RAPIER_OUT[12];
    const nl = Math.sqrt(nx * nx + ny * ny + nz * nz);
    if (dist < margin && nl > 0.5) {
      nx /= nl; ny /= nl; nz /= nl;
      RC[0] = RAPIER_OUT[4]; RC[1] = RAPIER_OUT[5]; RC[2] = RAPIER_OUT[6];
      RC[3] = nx; RC[4] = ny; RC[5] = nz;
      RC[6] = dist;
      RC[13] = 1;
      if (K > 0) {
        let a = 0;
        for (let i = 1; i < K; i++) if (cand[7 * i + 6] < cand[7 * a + 6]) a = i;
        const cosn = nx * cand[7 * a + 3] + ny * cand[7 * a + 4] + nz * cand[7 * a + 5];
        if (cosn >= SAME_NORMAL_COS && dist >= cand[7 * a + 6] - RAPIER_DEPTH_TOL) RC[13] = 0;
      }
    }
  }
  BAND[0] = SUPPORT_BAND * margin;
  const n = selectCandidates(K);
  // Rapier's point goes last, in slot K of the scratch
  if (RC[13] === 1) {
    for (let k = 0; k < 7; k++) cand[7 * K + k] = RC[k];
    SEL[n] = K;
  }
  const total = n + (RC[13] === 1 ? 1 : 0);
  let added = 0;
  for (let s = 0; s < total; s++) {
    // box frame -> world, in place
    const o = 7 * SEL[s];
    const x = cand[o], y = cand[o + 1], z = cand[o + 2], mx = cand[o + 3], my = cand[o + 4], mz = cand[o + 5];
    cand[o] = b00 * x + b01 * y + b02 * z + B[9];
    cand[o + 1] = b10 * x + b11 * y + b12 * z + B[10];
    cand[o + 2] = b20 * x + b21 * y + b22 * z + B[11];
    cand[o + 3] = b00 * mx + b01 * my + b02 * mz;
    cand[o + 4] = b10 * mx + b11 * my + b12 * mz;
    cand[o + 5] = b20 * mx + b21 * my + b22 * mz;
    added += emitCand(buf, SEL[s], geom, env);
  }
  return added;
}

/**
 * Every contact of a mesh shape with the scene, in Simulator's order and numbering: the plane
 * (env 0) when given, then box b (env b + 1). Returns the number added.
 */
export function collideMeshScene(
  shape: MeshCollisionShape,
  M: Float64Array,
  mo: number,
  plane: Float64Array | null,
  boxes: readonly BoxObstacle[],
  geom: number,
  buf: ContactBuffer,
): number {
  let added = plane ? collideMeshPlane(shape, M, mo, plane, geom, 0, buf) : 0;
  for (let b = 0; b < boxes.length; b++) added += collideMeshBox(shape, M, mo, boxes[b], geom, b + 1, buf);
  return added;
}

/** Unit quaternion of the rotation matrix RM (Shepperd), into ROT. */
function rotToQuat(): void {
  const m00 = RM[0], m01 = RM[1], m02 = RM[2], m10 = RM[3], m11 = RM[4], m12 = RM[5], m20 = RM[6], m21 = RM[7], m22 = RM[8];
  const tr = m00 + m11 + m22;
  let x: number, y: number, z: number, w: number;
  if (tr > 0) {
    const s = 2 * Math.sqrt(1 + tr);
    w = 0.25 * s; x = (m21 - m12) / s; y = (m02 - m20) / s; z = (m10 - m01) / s;
  } else if (m00 > m11 && m00 > m22) {
    const s = 2 * Math.sqrt(1 + m00 - m11 - m22);
    w = (m21 - m12) / s; x = 0.25 * s; y = (m01 + m10) / s; z = (m02 + m20) / s;
  } else if (m11 > m22) {
    const s = 2 * Math.sqrt(1 + m11 - m00 - m22);
    w = (m02 - m20) / s; x = (m01 + m10) / s; y = 0.25 * s; z = (m12 + m21) / s;
  } else {
    const s = 2 * Math.sqrt(1 + m22 - m00 - m11);
    w = (m10 - m01) / s; x = (m02 + m20) / s; y = (m12 + m21) / s; z = 0.25 * s;
  }
  const l = Math.sqrt(x * x + y * y + z * z + w * w);
  ROT.x = x / l; ROT.y = y / l; ROT.z = z / l; ROT.w = w / l;
}

/** Rapier cuboid of a box obstacle, made on first use and kept with the obstacle. */
const boxRaws = new WeakMap<BoxObstacle, RawShape>();
function boxRaw(r: Rapier, box: BoxObstacle): RawShape {
  let raw = boxRaws.get(box);
  if (!raw) {
    raw = new r.Cuboid(box.halfExtents[0], box.halfExtents[1], box.halfExtents[2]).intoRaw();
    boxRaws.set(box, raw);
  }
  return raw;
}
