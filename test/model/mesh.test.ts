/**
 * Mesh loading (server/model/mesh.ts): STL binary (including the "solid" header pitfall) and
 * ASCII, OBJ (fans, negative indices, v/t/n corners), scale, errors naming file and problem,
 * cache; and the real upstream Solo meshes.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clearMeshCache, loadMesh, meshBounds, MeshError, parseObj, parseStl, type TriangleMesh } from '../../server/model/mesh.ts';
import { upstreamRobots } from './helpers.ts';
import { binaryStl, cubeObj, cubeTriangles } from '../helpers/mesh-fixtures.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mesh-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function asciiStl(tris: number[][][]): string {
  return `solid cube\n${tris.map((t) => `  facet normal 0 0 0\n    outer loop\n${t.map((v) => `      vertex ${v.join(' ')}`).join('\n')}\n    endloop\n  endfacet`).join('\n')}\nendsolid cube\n`;
}

function write(name: string, data: string | Buffer): string {
  const p = path.join(dir, name);
  writeFileSync(p, data);
  return p;
}

function expectUnitCube(m: TriangleMesh, s = 1): void {
  expect(m.vertices.length / 3).toBe(8);
  expect(m.indices.length / 3).toBe(12);
  expect(Array.from(meshBounds(m))).toEqual([-0.5, -0.5, -0.5, 0.5, 0.5, 0.5].map((x) => Math.fround(x * s)));
  // every triangle is outward: (b - a) x (c - a) . centroid > 0
  for (let t = 0; t < m.indices.length; t += 3) {
    const [a, b, c] = [0, 1, 2].map((k) => Array.from(m.vertices.subarray(3 * m.indices[t + k], 3 * m.indices[t + k] + 3)));
    const u = [0, 1, 2].map((k) => b[k] - a[k]), w = [0, 1, 2].map((k) => c[k] - a[k]);
    const n = [u[1] * w[2] - u[2] * w[1], u[2] * w[0] - u[0] * w[2], u[0] * w[1] - u[1] * w[0]];
    const g = [0, 1, 2].map((k) => a[k] + b[k] + c[k]);
    expect(n[0] * g[0] + n[1] * g[1] + n[2] * g[2]).toBeGreaterThan(0);
  }
}

function meshError(fn: () => unknown): MeshError {
  try {
    fn();
  } catch (e) {
    if (e instanceof MeshError) return e;
    throw new Error(`expected a MeshError, got ${String(e)}`);
  }
  throw new Error('expected a MeshError, nothing was thrown');
}

describe('STL', () => {
  it('binary with a "solid" header is read as binary (size 84 + 50 n); vertices merged', () => {
    const m = loadMesh(write('cube-bin.stl', binaryStl(cubeTriangles())));
    expectUnitCube(m);
  });

  it('ASCII (facets of 3, and a quad loop triangulated as a fan)', () => {
    expectUnitCube(loadMesh(write('cube-ascii.stl', asciiStl(cubeTriangles()))));
    const quad = 'solid q\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 1 1 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid q\n';
    const m = parseStl(Buffer.from(quad));
    expect(Array.from(m.indices)).toEqual([0, 1, 2, 0, 2, 3]);
  });

  it('scale applied per axis, mirrored scale keeps the triangles outward; cached per (path, scale)', () => {
    const p = write('cube-scaled.stl', binaryStl(cubeTriangles()));
    const m = loadMesh(p, [0.1, 0.1, 0.1]);
    expectUnitCube(m, 0.1);
    expect(loadMesh(p, [0.1, 0.1, 0.1])).toBe(m);
    expect(loadMesh(p)).not.toBe(m);
    const mirrored = loadMesh(p, [-2, 2, 2]);
    expect(Array.from(meshBounds(mirrored))).toEqual([-1, -1, -1, 1, 1, 1]);
    expectUnitCube({ vertices: mirrored.vertices.map((x) => x / 2), indices: mirrored.indices });
    clearMeshCache();
    expect(loadMesh(p, [0.1, 0.1, 0.1])).not.toBe(m);
  });

  it('errors name the file and the problem', () => {
    const full = binaryStl(cubeTriangles());
    const trunc = write('trunc.stl', full.subarray(0, full.length - 7));
    const e1 = meshError(() => loadMesh(trunc));
    expect(e1.message).toContain(trunc);
    expect(e1.message).toMatch(/truncated binary STL: the header declares 12 triangles \(84 \+ 50 \* 12 = 684 bytes\) but the file has 677 bytes/);
    const bad = write('bad.stl', asciiStl(cubeTriangles()).replace('vertex -0.5 -0.5 -0.5', 'vertex -0.5 -0.5x -0.5'));
    const e2 = meshError(() => loadMesh(bad));
    expect(e2.message).toContain(bad);
    expect(e2.message).toMatch(/line \d+: bad number '-0.5x' in vertex/);
    const open = write('open.stl', 'solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\n');
    expect(meshError(() => loadMesh(open)).message).toMatch(/'outer loop' at line 3 is never closed/);
    expect(meshError(() => loadMesh(write('tiny.stl', 'abc'))).message).toMatch(/not an STL file/);
    expect(meshError(() => loadMesh(path.join(dir, 'missing.stl'))).message).toMatch(/missing\.stl: file not found/);
    expect(meshError(() => loadMesh(write('m.dae', '<x/>'))).message).toMatch(/unsupported mesh format '\.dae'/);
    const nan = binaryStl([[[0, 0, 0], [1, 0, 0], [NaN, 1, 0]]]);
    expect(meshError(() => parseStl(nan, 'nan.stl')).message).toMatch(/nan\.stl: binary STL: non-finite coordinate in triangle 0/);
  });
});

describe('OBJ', () => {
  it('quads as fans, v//n corners, comments and other statements ignored', () => {
    expectUnitCube(loadMesh(write('cube.obj', cubeObj())));
  });

  it('negative (relative) indices, v/t/n corners, pentagon fan, line continuation, extra vertex colour', () => {
    const m = parseObj('v 0 0 0 1 0 0\nv 1 0 0\nv 1 1 0\nv 0.5 1.5 0\nv 0 1 \\\n 0\nvt 0 0\nf -5/1/1 -4/1/1 -3/1/1 -2/1/1 -1/1/1\ng x\nusemtl m\ns off\n');
    expect(m.vertices.length).toBe(15);
    expect(Array.from(m.vertices.subarray(12))).toEqual([0, 1, 0]);
    expect(Array.from(m.indices)).toEqual([0, 1, 2, 0, 2, 3, 0, 3, 4]);
    // -1 is the latest vertex at the point of the face line
    const n = parseObj('v 0 0 0\nv 1 0 0\nv 0 1 0\nf -3 -2 -1\nv 0 0 1\nf 1 -1 2\n');
    expect(Array.from(n.indices)).toEqual([0, 1, 2, 0, 3, 1]);
  });

  it('errors: index out of range (positive, negative, zero), bad numbers, no faces', () => {
    expect(() => parseObj('v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4\n', 'a.obj')).toThrow(/a\.obj: line 4: face vertex index 4 out of range \(3 vertices defined so far/);
    expect(() => parseObj('v 0 0 0\nv 1 0 0\nf 1 2 -3\nv 0 1 0\n', 'b.obj')).toThrow(/line 3: face vertex index -3 out of range \(2 vertices/);
    expect(() => parseObj('v 0 0 0\nv 1 0 0\nv 0 1 0\nf 0 1 2\n', 'c.obj')).toThrow(/face vertex index 0 out of range/);
    expect(() => parseObj('v 0 0 0\nv 1 nan 0\n', 'd.obj')).toThrow(/d\.obj: line 2: bad number 'nan' in vertex/);
    expect(() => parseObj('v 0 0\n', 'e.obj')).toThrow(/line 1: 'v' needs 3 coordinates/);
    expect(() => parseObj('v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2\n', 'f.obj')).toThrow(/line 4: face with 2 vertices/);
    expect(() => parseObj('v 0 0 0\nf a b c\n', 'g.obj')).toThrow(/bad face vertex index 'a'/);
    expect(() => parseObj('v 0 0 0\n', 'h.obj')).toThrow(/h\.obj: OBJ with no faces/);
    expect(() => parseObj('v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4\n', 'a.obj')).toThrow(MeshError);
  });
});

describe('upstream Solo meshes (example-robot-data)', () => {
  const root = path.join(upstreamRobots, 'solo_description/meshes');
  const files = ['stl/solo12', 'stl/with_foot', 'obj/with_foot'].flatMap((d) => readdirSync(path.join(root, d)).map((f) => path.join(root, d, f)));

  it('every STL (binary, "solid" headers) and OBJ loads with vertices and plausible bounds', () => {
    expect(files.length).toBe(16);
    for (const f of files) {
      const m = loadMesh(f);
      expect(m.vertices.length / 3, f).toBeGreaterThan(100);
      expect(Math.max(...m.indices), f).toBeLessThan(m.vertices.length / 3);
      const b = meshBounds(m);
      const ext = [b[3] - b[0], b[4] - b[1], b[5] - b[2]];
      expect(Math.max(...ext), f).toBeGreaterThan(0.02); // centimetres..decimetres, metres as unit
      expect(Math.max(...ext), f).toBeLessThan(0.5);
    }
  });

  it('the foot is a wheel of radius 0.016 m in the x-z plane, about 16 mm thick', () => {
    for (const f of ['stl/with_foot/solo_foot.stl', 'obj/with_foot/solo_foot.obj']) {
      const b = meshBounds(loadMesh(path.join(root, f)));
      expect(b[0]).toBeCloseTo(-0.016, 4);
      expect(b[3]).toBeCloseTo(0.016, 4);
      expect(b[2]).toBeCloseTo(-0.016, 4);
      expect(b[5]).toBeCloseTo(0.016, 4);
      expect(b[4] - b[1]).toBeGreaterThan(0.01);
      expect(b[4] - b[1]).toBeLessThan(0.02);
    }
  });

  it('the STL and OBJ versions of one part agree (same vertex count and bounds to 0.2 mm)', () => {
    const stl = loadMesh(path.join(root, 'stl/with_foot/solo_upper_leg_left_side.stl'));
    const obj = loadMesh(path.join(root, 'obj/with_foot/solo_upper_leg_left_side.obj'));
    expect(stl.vertices.length).toBe(obj.vertices.length);
    const a = meshBounds(stl), b = meshBounds(obj);
    for (let k = 0; k < 6; k++) expect(Math.abs(a[k] - b[k])).toBeLessThan(2e-4);
  });
});
