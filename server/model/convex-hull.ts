/**
 * The vertices of the convex hull of a point set, synchronously, in plain TypeScript (an
 * incremental hull in the quickhull manner: start from a tetrahedron, repeatedly add the point
 * farthest outside a face, replace the faces it sees by a cone from it to their horizon).
 *
 * Why not Rapier's hull (dynamics/mesh-collision.ts): Rapier's wasm initializes
 * asynchronously, and tasks are built synchronously on every thread that needs them (solve
 * threads, linearization pools, contact tracing). The hull-plane contact query needs only the
 * hull's vertices, which this gives anywhere, at once.
 *
 * Exactness: a point counts as outside a face when it lies more than EPS_REL x (bounding-box
 * diagonal) beyond its plane; points within that tolerance of the hull (on a face, on an edge,
 * duplicates: a triangulated box's face and edge vertices) are not hull vertices. The result is
 * the hull's vertex set up to that tolerance (~1e-10 of the mesh's size), in first-seen input
 * order.
 *
 * Bounds: at most MAX_HULL_INPUT_VERTICES input points and MAX_HULL_VERTICES hull vertices
 * (shared/limits.ts): the work is O(input x hull faces), so these bound the time too (about
 * 0.1 s at a few thousand input points, measured on the upstream Solo-12's meshes). Beyond
 * either a HullError says so.
 */
import { MAX_HULL_INPUT_VERTICES, MAX_HULL_VERTICES } from '../../shared/limits.ts';
import { loadMesh } from './mesh.ts';

export const EPS_REL = 1e-10;

export class HullError extends Error {}

export interface HullResult {
  /** Hull vertices, 3 per vertex (f64 copies of the input numbers). */
  vertices: Float64Array;
  /** Triangles of the hull, 3 indices into `vertices` each, counter-clockwise seen from outside. */
  triangles: Uint32Array;
}

interface Face {
  a: number; b: number; c: number;
  nx: number; ny: number; nz: number; d: number;
  outside: number[];
  alive: boolean;
}

/** Convex hull of points (3 per point); `name` for messages. Throws HullError. */
export function convexHull(points: ArrayLike<number>, name = '<points>'): HullResult {
  const n = Math.floor(points.length / 3);
  if (n > MAX_HULL_INPUT_VERTICES) throw new HullError(`${name}: ${n} vertices, over the convex hull's limit of ${MAX_HULL_INPUT_VERTICES} (MAX_HULL_INPUT_VERTICES)`);
  if (n < 4) throw new HullError(`${name}: ${n} vertices, a convex hull needs 4 at least`);
  const P = Float64Array.from({ length: 3 * n }, (_, i) => points[i]);
  for (let i = 0; i < 3 * n; i++) if (!Number.isFinite(P[i])) throw new HullError(`${name}: vertex ${Math.floor(i / 3)} is not finite`);
  const x = (i: number) => P[3 * i], y = (i: number) => P[3 * i + 1], z = (i: number) => P[3 * i + 2];
  // extremes along the axes, and the tolerance
  const ext = [0, 0, 0, 0, 0, 0];
  for (let i = 1; i < n; i++) {
    for (let k = 0; k < 3; k++) {
      if (P[3 * i + k] < P[3 * ext[2 * k] + k]) ext[2 * k] = i;
      if (P[3 * i + k] > P[3 * ext[2 * k + 1] + k]) ext[2 * k + 1] = i;
    }
  }
  const diag = Math.hypot(x(ext[1]) - x(ext[0]), y(ext[3]) - y(ext[2]), z(ext[5]) - z(ext[4]));
  const eps = EPS_REL * diag;
  if (!(diag > 0)) throw new HullError(`${name}: every vertex is at the same point`);
  // initial tetrahedron: the farthest pair among the extremes, the point farthest from their
  // line, the point farthest from their plane
  let i0 = ext[0], i1 = ext[1], best = -1;
  for (const a of ext) for (const b of ext) {
    const d = (x(a) - x(b)) ** 2 + (y(a) - y(b)) ** 2 + (z(a) - z(b)) ** 2;
    if (d > best) { best = d; i0 = a; i1 = b; }
  }
  const ux = x(i1) - x(i0), uy = y(i1) - y(i0), uz = z(i1) - z(i0);
  let i2 = -1; best = 0;
  for (let i = 0; i < n; i++) {
    const wx = x(i) - x(i0), wy = y(i) - y(i0), wz = z(i) - z(i0);
    const cx = uy * wz - uz * wy, cy = uz * wx - ux * wz, cz = ux * wy - uy * wx;
    const d = cx * cx + cy * cy + cz * cz;
    if (d > best) { best = d; i2 = i; }
  }
  if (i2 < 0 || Math.sqrt(best) / Math.hypot(ux, uy, uz) <= eps) throw new HullError(`${name}: every vertex lies on one line (degenerate hull)`);
  const vx = x(i2) - x(i0), vy = y(i2) - y(i0), vz = z(i2) - z(i0);
  let nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
  const nl = Math.hypot(nx, ny, nz);
  nx /= nl; ny /= nl; nz /= nl;
  let i3 = -1; best = 0;
  for (let i = 0; i < n; i++) {
    const d = Math.abs(nx * (x(i) - x(i0)) + ny * (y(i) - y(i0)) + nz * (z(i) - z(i0)));
    if (d > best) { best = d; i3 = i; }
  }
  if (i3 < 0 || best <= eps) throw new HullError(`${name}: every vertex lies in one plane (flat mesh: no volume to collide with)`);

  const faces: Face[] = [];
  const edges = new Map<number, number>(); // directed edge a->b (key a * n + b) -> face
  const key = (a: number, b: number) => a * n + b;
  const cx0 = (x(i0) + x(i1) + x(i2) + x(i3)) / 4, cy0 = (y(i0) + y(i1) + y(i2) + y(i3)) / 4, cz0 = (z(i0) + z(i1) + z(i2) + z(i3)) / 4;
  const makeFace = (a: number, b: number, c: number): number => {
    let fx = (y(b) - y(a)) * (z(c) - z(a)) - (z(b) - z(a)) * (y(c) - y(a));
    let fy = (z(b) - z(a)) * (x(c) - x(a)) - (x(b) - x(a)) * (z(c) - z(a));
    let fz = (x(b) - x(a)) * (y(c) - y(a)) - (y(b) - y(a)) * (x(c) - x(a));
    const l = Math.hypot(fx, fy, fz);
    fx /= l; fy /= l; fz /= l;
    const f: Face = { a, b, c, nx: fx, ny: fy, nz: fz, d: fx * x(a) + fy * y(a) + fz * z(a), outside: [], alive: true };
    const id = faces.length;
    faces.push(f);
    edges.set(key(a, b), id); edges.set(key(b, c), id); edges.set(key(c, a), id);
    return id;
  };
  const dist = (f: Face, i: number) => f.nx * x(i) + f.ny * y(i) + f.nz * z(i) - f.d;
  // the tetrahedron's faces, each oriented away from its centroid
  const tet: [number, number, number][] = [[i0, i1, i2], [i0, i3, i1], [i1, i3, i2], [i2, i3, i0]];
  const first: number[] = [];
  for (const [a, b, c] of tet) {
    // orientation: flip when the centroid is on the positive side
    const fx = (y(b) - y(a)) * (z(c) - z(a)) - (z(b) - z(a)) * (y(c) - y(a));
    const fy = (z(b) - z(a)) * (x(c) - x(a)) - (x(b) - x(a)) * (z(c) - z(a));
    const fz = (x(b) - x(a)) * (y(c) - y(a)) - (y(b) - y(a)) * (x(c) - x(a));
    const s = fx * (cx0 - x(a)) + fy * (cy0 - y(a)) + fz * (cz0 - z(a));
    first.push(s > 0 ? makeFace(a, c, b) : makeFace(a, b, c));
  }
  const assign = (i: number, candidates: readonly number[]) => {
    for (const id of candidates) if (dist(faces[id], i) > eps) { faces[id].outside.push(i); return; }
  };
  for (let i = 0; i < n; i++) if (i !== i0 && i !== i1 && i !== i2 && i !== i3) assign(i, first);

  let hullCount = 4;
  // faces that may have outside points (dead or emptied ones are skipped when popped)
  const pending: number[] = [...first];
  for (;;) {
    let fid = -1;
    while (pending.length) {
      const k = pending.pop()!;
      if (faces[k].alive && faces[k].outside.length) { fid = k; break; }
    }
    if (fid < 0) break;
    // the eye: farthest outside point of that face
    const f0 = faces[fid];
    let eye = f0.outside[0], dmax = -Infinity;
    for (const i of f0.outside) { const d = dist(f0, i); if (d > dmax) { dmax = d; eye = i; } }
    // faces it sees: flood from f0 over shared edges (the visible set is connected)
    const visible: number[] = [fid];
    const seen = new Set<number>([fid]);
    for (let k = 0; k < visible.length; k++) {
      const f = faces[visible[k]];
      for (const [a, b] of [[f.a, f.b], [f.b, f.c], [f.c, f.a]]) {
        const g = edges.get(key(b, a));
        if (g === undefined || seen.has(g)) continue;
        seen.add(g);
        if (dist(faces[g], eye) > eps) visible.push(g);
      }
    }
    // horizon: edges of visible faces whose twin belongs to a face that does not see the eye
    const isVisible = new Set(visible);
    const horizon: [number, number][] = [];
    for (const id of visible) {
      const f = faces[id];
      for (const [a, b] of [[f.a, f.b], [f.b, f.c], [f.c, f.a]]) {
        const g = edges.get(key(b, a));
        if (g !== undefined && !isVisible.has(g)) horizon.push([a, b]);
      }
    }
    const orphans: number[] = [];
    for (const id of visible) {
      const f = faces[id];
      f.alive = false;
      for (const i of f.outside) if (i !== eye) orphans.push(i);
      f.outside = [];
      for (const [a, b] of [[f.a, f.b], [f.b, f.c], [f.c, f.a]]) if (edges.get(key(a, b)) === id) edges.delete(key(a, b));
    }
    const made = horizon.map(([a, b]) => makeFace(a, b, eye));
    for (const i of orphans) assign(i, made);
    for (const id of made) if (faces[id].outside.length) pending.push(id);
    if (++hullCount > MAX_HULL_VERTICES + 16 && countVertices(faces) > MAX_HULL_VERTICES) {
      throw new HullError(`${name}: the convex hull has over ${MAX_HULL_VERTICES} vertices (MAX_HULL_VERTICES)`);
    }
  }
  // vertices in first-seen input order, triangles re-indexed
  const used = new Int32Array(n).fill(-1);
  const alive = faces.filter((f) => f.alive);
  const ids: number[] = [];
  for (const f of alive) for (const i of [f.a, f.b, f.c]) if (used[i] < 0) { used[i] = 0; ids.push(i); }
  ids.sort((a, b) => a - b);
  if (ids.length > MAX_HULL_VERTICES) throw new HullError(`${name}: the convex hull has ${ids.length} vertices, over ${MAX_HULL_VERTICES} (MAX_HULL_VERTICES)`);
  ids.forEach((i, k) => { used[i] = k; });
  const vertices = new Float64Array(3 * ids.length);
  ids.forEach((i, k) => { vertices[3 * k] = x(i); vertices[3 * k + 1] = y(i); vertices[3 * k + 2] = z(i); });
  const triangles = new Uint32Array(3 * alive.length);
  alive.forEach((f, k) => { triangles[3 * k] = used[f.a]; triangles[3 * k + 1] = used[f.b]; triangles[3 * k + 2] = used[f.c]; });
  return { vertices, triangles };
}

function countVertices(faces: readonly Face[]): number {
  const s = new Set<number>();
  for (const f of faces) if (f.alive) { s.add(f.a); s.add(f.b); s.add(f.c); }
  return s.size;
}

const meshHulls = new Map<string, Float64Array>();

/**
 * The hull vertices of a URDF collision mesh (its file with its scale), computed once per
 * (path, scale) and process: what a task puts in the geometry's `hull` so that the Simulator
 * collides it without Rapier. Throws HullError or MeshError naming the file.
 */
export function meshHullVertices(shape: { uri: string; path: string | null; scale: ArrayLike<number> }): Float64Array {
  if (shape.path === null) throw new HullError(`collision mesh '${shape.uri}' was not resolved to a file (package:// roots: the --robots folder)`);
  const key = `${shape.path}|${Array.from(shape.scale).join(',')}`;
  let v = meshHulls.get(key);
  if (!v) {
    v = convexHull(loadMesh(shape.path, shape.scale).vertices, shape.path).vertices;
    meshHulls.set(key, v);
  }
  return v;
}
