/**
 * The subdivided icosahedron ("icosphere"): the shape-from-silhouettes fit's starting mesh.
 * Level 0 is the icosahedron (12 vertices, 20 faces); each level splits every triangle into
 * four at its edge midpoints, pushed onto the sphere: 10 * 4^level + 2 vertices,
 * 20 * 4^level faces (level 3: 642 vertices, the reference code's sphere_642). Faces are
 * counter-clockwise seen from outside.
 */
import { MAX_ICO_LEVEL } from '../../shared/limits.ts';

export interface IcoMesh {
  vertices: Float64Array;
  faces: Uint32Array;
}


export function icosphere(level: number, radius = 1): IcoMesh {
  if (!(Number.isInteger(level) && level >= 0 && level <= MAX_ICO_LEVEL)) throw new RangeError(`icosphere level must be an integer in [0, ${MAX_ICO_LEVEL}], got ${level}`);
  if (!(radius > 0)) throw new RangeError(`icosphere radius must be positive, got ${radius}`);
  const t = (1 + Math.sqrt(5)) / 2;
  const pts: number[] = [
    -1, t, 0, 1, t, 0, -1, -t, 0, 1, -t, 0,
    0, -1, t, 0, 1, t, 0, -1, -t, 0, 1, -t,
    t, 0, -1, t, 0, 1, -t, 0, -1, -t, 0, 1,
  ];
  let faces: number[] = [
    0, 11, 5, 0, 5, 1, 0, 1, 7, 0, 7, 10, 0, 10, 11,
    1, 5, 9, 5, 11, 4, 11, 10, 2, 10, 7, 6, 7, 1, 8,
    3, 9, 4, 3, 4, 2, 3, 2, 6, 3, 6, 8, 3, 8, 9,
    4, 9, 5, 2, 4, 11, 6, 2, 10, 8, 6, 7, 9, 8, 1,
  ];
  const unit = (i: number) => {
    const n = Math.hypot(pts[3 * i], pts[3 * i + 1], pts[3 * i + 2]);
    pts[3 * i] /= n; pts[3 * i + 1] /= n; pts[3 * i + 2] /= n;
  };
  for (let i = 0; i < 12; i++) unit(i);
  for (let l = 0; l < level; l++) {
    const mid = new Map<number, number>();
    const midpoint = (a: number, b: number) => {
      const key = a < b ? a * 1e6 + b : b * 1e6 + a;
      let m = mid.get(key);
      if (m === undefined) {
        m = pts.length / 3;
        pts.push((pts[3 * a] + pts[3 * b]) / 2, (pts[3 * a + 1] + pts[3 * b + 1]) / 2, (pts[3 * a + 2] + pts[3 * b + 2]) / 2);
        unit(m);
        mid.set(key, m);
      }
      return m;
    };
    const next: number[] = [];
    for (let f = 0; f < faces.length; f += 3) {
      const a = faces[f], b = faces[f + 1], c = faces[f + 2];
      const ab = midpoint(a, b), bc = midpoint(b, c), ca = midpoint(c, a);
      next.push(a, ab, ca, b, bc, ab, c, ca, bc, ab, bc, ca);
    }
    faces = next;
  }
  const vertices = Float64Array.from(pts, (v) => v * radius);
  return { vertices, faces: Uint32Array.from(faces) };
}

/** Each undirected edge once, as pairs (i < j), from a triangle list. */
export function meshEdges(faces: Uint32Array): Uint32Array {
  const seen = new Set<number>();
  const out: number[] = [];
  for (let f = 0; f < faces.length; f += 3) {
    for (let e = 0; e < 3; e++) {
      const a = faces[f + e], b = faces[f + (e + 1) % 3];
      const i = Math.min(a, b), j = Math.max(a, b);
      const key = i * 4294967296 + j;
      if (!seen.has(key)) { seen.add(key); out.push(i, j); }
    }
  }
  return Uint32Array.from(out);
}
