/**
 * The synchronous convex hull (server/model/convex-hull.ts) against independent references:
 * - a box triangulated with points on its faces and edges: the hull is exactly its 8 corners;
 * - points on a sphere: every one is a hull vertex (each is the only maximizer of its own
 *   direction);
 * - random clouds: the support function max_p d.p over the input equals the one over the hull
 *   vertices in 500 random directions (two convex sets with equal support functions are equal),
 *   every input point lies inside every hull face, and the faces close a sphere (V - E + F = 2);
 * - flat, degenerate and oversized inputs: HullError.
 */
import { describe, expect, it } from 'vitest';
import { convexHull, HullError } from '../../server/model/convex-hull.ts';
import { mulberry32 } from '../../shared/mulberry32.ts';
import { MAX_HULL_INPUT_VERTICES } from '../../shared/limits.ts';

/** Box [-a, a] x [-b, b] x [-c, c] sampled on a k x k x k grid, surface points only. */
function boxSurface(a: number, b: number, c: number, k: number): Float32Array {
  const out: number[] = [];
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) for (let l = 0; l < k; l++) {
    if (i !== 0 && i !== k - 1 && j !== 0 && j !== k - 1 && l !== 0 && l !== k - 1) continue;
    out.push(-a + (2 * a * i) / (k - 1), -b + (2 * b * j) / (k - 1), -c + (2 * c * l) / (k - 1));
  }
  return Float32Array.from(out);
}

function support(pts: ArrayLike<number>, d: number[]): number {
  let m = -Infinity;
  for (let i = 0; i < pts.length; i += 3) m = Math.max(m, d[0] * pts[i] + d[1] * pts[i + 1] + d[2] * pts[i + 2]);
  return m;
}

describe('convex hull (synchronous, model/convex-hull.ts)', () => {
  it('a box with points on its faces and edges: the 8 corners', () => {
    const pts = boxSurface(0.2, 0.07, 0.05, 7);
    const h = convexHull(pts, 'box');
    expect(h.vertices.length / 3).toBe(8);
    const corners = new Set<string>();
    for (let i = 0; i < 8; i++) corners.add(Array.from(h.vertices.subarray(3 * i, 3 * i + 3), (v) => Math.sign(v)).join());
    expect(corners.size).toBe(8);
    for (let i = 0; i < 24; i++) expect(Math.abs(h.vertices[i])).toBeCloseTo([0.2, 0.07, 0.05][i % 3], 6);
  });

  it('points on a sphere: every one is a hull vertex', () => {
    const r = mulberry32(7), pts: number[] = [];
    for (let i = 0; i < 300; i++) {
      const zz = 2 * r() - 1, t = 2 * Math.PI * r(), s = Math.sqrt(1 - zz * zz);
      pts.push(s * Math.cos(t), s * Math.sin(t), zz);
    }
    expect(convexHull(pts).vertices.length / 3).toBe(300);
  });

  it('random clouds: same support function, contains every point, closed surface', () => {
    for (const seed of [1, 2, 3]) {
      const r = mulberry32(seed), pts: number[] = [];
      // an anisotropic blob with some repeated points
      for (let i = 0; i < 2000; i++) {
        const p = [r() - 0.5, (r() - 0.5) * 0.3, (r() - 0.5) * 0.1];
        pts.push(...p);
        if (i % 97 === 0) pts.push(...p);
      }
      const h = convexHull(pts);
      const V = h.vertices.length / 3, F = h.triangles.length / 3;
      expect(V).toBeGreaterThan(8);
      expect(V).toBeLessThan(2000);
      for (let k = 0; k < 500; k++) {
        const d = [r() - 0.5, r() - 0.5, r() - 0.5];
        expect(support(h.vertices, d)).toBeCloseTo(support(pts, d), 12);
      }
      // every point inside every face (outward normals from the counter-clockwise triangles)
      for (let f = 0; f < F; f++) {
        const [a, b, c] = [h.triangles[3 * f], h.triangles[3 * f + 1], h.triangles[3 * f + 2]].map((i) => Array.from(h.vertices.subarray(3 * i, 3 * i + 3)));
        const u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]], v = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
        const nrm = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
        const l = Math.hypot(...nrm);
        let worst = -Infinity;
        for (let i = 0; i < pts.length; i += 3) worst = Math.max(worst, (nrm[0] * (pts[i] - a[0]) + nrm[1] * (pts[i + 1] - a[1]) + nrm[2] * (pts[i + 2] - a[2])) / l);
        expect(worst).toBeLessThan(1e-9);
      }
      // Euler: a closed triangulated sphere has V - E + F = 2 with E = 3F / 2
      expect(V - (3 * F) / 2 + F).toBe(2);
    }
  });

  it('flat, collinear, too few or too many vertices: HullError naming the input', () => {
    expect(() => convexHull([0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0], 'flat.stl')).toThrow(/flat\.stl.*one plane/);
    expect(() => convexHull([0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0], 'line')).toThrow(/one line/);
    expect(() => convexHull([0, 0, 0, 1, 0, 0], 'two')).toThrow(HullError);
    expect(() => convexHull(new Float32Array(3 * (MAX_HULL_INPUT_VERTICES + 1)), 'huge')).toThrow(/MAX_HULL_INPUT_VERTICES/);
  });
});
