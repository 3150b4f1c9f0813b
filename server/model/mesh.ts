/**
 * Triangle meshes from disk: STL (binary and ASCII) and Wavefront OBJ, for collision geometry.
 *
 * A mesh is { vertices: Float32Array (3 per vertex), indices: Uint32Array (3 per triangle) }
 * in the mesh file's units times the URDF `scale` (per axis). A negative scale product mirrors
 * the mesh; the winding of every triangle is then flipped so that it keeps its orientation.
 *
 * Formats
 * - STL, binary: 80-byte header, uint32 triangle count n, then n records of 50 bytes (normal,
 *   3 vertices as float32 LE, uint16 attribute). A file is binary when its size is exactly
 *   84 + 50 n, WHATEVER its header says: many exporters (SolidWorks, the Solo meshes of
 *   example-robot-data) write binary files whose header starts with "solid". Binary STL has no
 *   shared vertices: exactly equal vertices are merged.
 * - STL, ASCII: `solid` ... `facet normal` / `outer loop` / `vertex x y z` (3 or more; more
 *   are triangulated as a fan) / `endloop` / `endfacet` ... `endsolid`. Keywords are matched
 *   case-insensitively; the facet normals are ignored.
 * - OBJ: `v x y z [w | r g b]` and `f a b c ...` lines; a face corner is `i`, `i/t`, `i//n` or
 *   `i/t/n`; indices are 1-based, negative ones count back from the last vertex read so far
 *   (-1 = the latest); polygons are triangulated as fans (0, k, k+1). Other statements (vn, vt,
 *   o, g, s, usemtl, mtllib, l, p, comments) are ignored; a trailing backslash continues a line.
 *
 * Errors are MeshError, whose message names the file and the problem (truncated binary STL,
 * a bad number with its line, a face index out of range, no triangles, unsupported format).
 *
 * Cache: files are parsed once per absolute path and scaled meshes are kept per (path, scale);
 * the returned arrays are shared: treat them as read-only. `clearMeshCache()` forgets all.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface TriangleMesh {
  /** Vertex coordinates, 3 per vertex (m, scale applied). */
  readonly vertices: Float32Array;
  /** Triangle vertex indices, 3 per triangle. */
  readonly indices: Uint32Array;
}

export class MeshError extends Error {
  readonly file: string;
  readonly problem: string;
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'MeshError';
    this.file = file;
    this.problem = problem;
  }
}

const parsedCache = new Map<string, TriangleMesh>();
const scaledCache = new Map<string, TriangleMesh>();

/** Forgets every cached mesh (e.g. after files changed on disk). */
export function clearMeshCache(): void {
  parsedCache.clear();
  scaledCache.clear();
}

/**
 * The mesh at `file` (STL or OBJ, chosen by extension) with `scale` applied. Cached: the same
 * (path, scale) returns the same object.
 */
export function loadMesh(file: string, scale: ArrayLike<number> = [1, 1, 1]): TriangleMesh {
  const abs = path.resolve(file);
  const sx = scale[0], sy = scale[1], sz = scale[2];
  if (scale.length !== 3 || ![sx, sy, sz].every((s) => Number.isFinite(s) && s !== 0)) {
    throw new MeshError(abs, `invalid scale [${Array.from(scale).join(', ')}] (3 finite non-zero numbers expected)`);
  }
  const key = `${abs}|${sx},${sy},${sz}`;
  const hit = scaledCache.get(key);
  if (hit) return hit;
  let base = parsedCache.get(abs);
  if (!base) {
    base = parseMeshFile(abs);
    parsedCache.set(abs, base);
  }
  const out = sx === 1 && sy === 1 && sz === 1 ? base : scaleMesh(base, sx, sy, sz);
  scaledCache.set(key, out);
  return out;
}

/** A scaled copy (winding flipped when the scale mirrors). */
export function scaleMesh(mesh: TriangleMesh, sx: number, sy: number, sz: number): TriangleMesh {
  const v = new Float32Array(mesh.vertices.length);
  for (let i = 0; i < v.length; i += 3) {
    v[i] = mesh.vertices[i] * sx;
    v[i + 1] = mesh.vertices[i + 1] * sy;
    v[i + 2] = mesh.vertices[i + 2] * sz;
  }
  const idx = Uint32Array.from(mesh.indices);
  if (sx * sy * sz < 0) {
    for (let t = 0; t < idx.length; t += 3) {
      const a = idx[t + 1];
      idx[t + 1] = idx[t + 2];
      idx[t + 2] = a;
    }
  }
  return { vertices: v, indices: idx };
}

/** Parses a mesh file (no scale, no cache). */
export function parseMeshFile(file: string): TriangleMesh {
  const ext = path.extname(file).toLowerCase();
  if (ext !== '.stl' && ext !== '.obj') {
    throw new MeshError(file, `unsupported mesh format '${ext || '(no extension)'}' (STL and OBJ are supported)`);
  }
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new MeshError(file, code === 'ENOENT' ? 'file not found' : `cannot read: ${(e as Error).message}`);
  }
  return ext === '.stl' ? parseStl(data, file) : parseObj(data.toString('utf8'), file);
}

// ---------------------------------------------------------------------------------------------
// STL

/** True when the bytes look like text (no control bytes other than whitespace). */
function looksLikeText(data: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const b = data[i];
    if (b < 9 || (b > 13 && b < 32) || b === 127) return false;
  }
  return true;
}

export function parseStl(data: Uint8Array, file = '<stl>'): TriangleMesh {
  const size = data.length;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const n = size >= 84 ? view.getUint32(80, true) : -1;
  // The size rule first: a binary file whose header says "solid" is still binary.
  if (n >= 0 && size === 84 + 50 * n) return parseBinaryStl(view, n, file);
  let start = 0;
  while (start < size && start < 1024 && (data[start] === 32 || (data[start] >= 9 && data[start] <= 13))) start++;
  const startsWithSolid = size - start >= 5 && String.fromCharCode(...data.subarray(start, start + 5)).toLowerCase() === 'solid';
  if (startsWithSolid && looksLikeText(data, 0, Math.min(size, 4096))) {
    return parseAsciiStl(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1'), file);
  }
  if (size < 84) {
    throw new MeshError(file, `not an STL file: ${size} bytes, too short for a binary STL (84 bytes at least) and not ASCII ('solid ...')`);
  }
  const need = 84 + 50 * n;
  if (size < need) {
    throw new MeshError(
      file,
      `truncated binary STL: the header declares ${n} triangles (84 + 50 * ${n} = ${need} bytes) but the file has ${size} bytes`,
    );
  }
  throw new MeshError(
    file,
    `binary STL size mismatch: the header declares ${n} triangles (84 + 50 * ${n} = ${need} bytes) but the file has ${size} bytes (${size - need} extra)`,
  );
}

/** Merges exactly equal vertices (setup time). */
class VertexWelder {
  private readonly map = new Map<string, number>();
  readonly coords: number[] = [];
  add(x: number, y: number, z: number): number {
    const key = `${x},${y},${z}`;
    let i = this.map.get(key);
    if (i === undefined) {
      i = this.coords.length / 3;
      this.coords.push(x, y, z);
      this.map.set(key, i);
    }
    return i;
  }
}

function parseBinaryStl(view: DataView, n: number, file: string): TriangleMesh {
  if (n === 0) throw new MeshError(file, 'binary STL with no triangles');
  const weld = new VertexWelder();
  const indices = new Uint32Array(3 * n);
  for (let t = 0; t < n; t++) {
    const o = 84 + 50 * t + 12; // skip the facet normal
    for (let k = 0; k < 3; k++) {
      const x = view.getFloat32(o + 12 * k, true);
      const y = view.getFloat32(o + 12 * k + 4, true);
      const z = view.getFloat32(o + 12 * k + 8, true);
      if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(z)) {
        throw new MeshError(file, `binary STL: non-finite coordinate in triangle ${t} (vertex ${k}: ${x} ${y} ${z})`);
      }
      indices[3 * t + k] = weld.add(x, y, z);
    }
  }
  return { vertices: Float32Array.from(weld.coords), indices };
}

function parseNumber(tok: string | undefined, file: string, line: number, what: string): number {
  // Number('') is 0 and Number(' ') too: reject empty tokens explicitly.
  const x = tok === undefined || tok === '' ? NaN : Number(tok);
  if (!Number.isFinite(x)) {
    throw new MeshError(file, `line ${line}: bad number ${tok === undefined ? '(missing)' : `'${tok}'`} in ${what}`);
  }
  return x;
}

function parseAsciiStl(text: string, file: string): TriangleMesh {
  const weld = new VertexWelder();
  const indices: number[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  let loop: number[] | null = null;
  let loopLine = 0;
  for (let li = 0; li < lines.length; li++) {
    const toks = lines[li].trim().split(/\s+/);
    const kw = toks[0].toLowerCase();
    const line = li + 1;
    if (kw === 'outer') {
      if (loop) throw new MeshError(file, `line ${line}: 'outer loop' inside the loop opened at line ${loopLine}`);
      loop = [];
      loopLine = line;
    } else if (kw === 'vertex') {
      if (!loop) throw new MeshError(file, `line ${line}: 'vertex' outside an 'outer loop'`);
      if (toks.length < 4) throw new MeshError(file, `line ${line}: 'vertex' needs 3 coordinates`);
      const x = parseNumber(toks[1], file, line, 'vertex');
      const y = parseNumber(toks[2], file, line, 'vertex');
      const z = parseNumber(toks[3], file, line, 'vertex');
      loop.push(weld.add(Math.fround(x), Math.fround(y), Math.fround(z)));
    } else if (kw === 'endloop') {
      if (!loop) throw new MeshError(file, `line ${line}: 'endloop' without 'outer loop'`);
      if (loop.length < 3) throw new MeshError(file, `line ${line}: facet loop with ${loop.length} vertices (3 at least)`);
      for (let k = 1; k + 1 < loop.length; k++) indices.push(loop[0], loop[k], loop[k + 1]);
      loop = null;
    } else if (kw === 'facet') {
      // facet normal nx ny nz: checked for syntax, ignored
      for (let k = 2; k < 5 && k < toks.length; k++) parseNumber(toks[k], file, line, 'facet normal');
    }
    // solid, endfacet, endsolid, blank lines: nothing to do
  }
  if (loop) throw new MeshError(file, `'outer loop' at line ${loopLine} is never closed (file truncated?)`);
  if (indices.length === 0) throw new MeshError(file, 'ASCII STL with no facets');
  return { vertices: Float32Array.from(weld.coords), indices: Uint32Array.from(indices) };
}

// ---------------------------------------------------------------------------------------------
// OBJ

export function parseObj(text: string, file = '<obj>'): TriangleMesh {
  const coords: number[] = [];
  const indices: number[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  const corner: number[] = [];
  for (let li = 0; li < lines.length; li++) {
    const line = li + 1;
    let s = lines[li];
    while (s.endsWith('\\') && li + 1 < lines.length) s = s.slice(0, -1) + ' ' + lines[++li];
    const hash = s.indexOf('#');
    if (hash >= 0) s = s.slice(0, hash);
    const toks = s.trim().split(/\s+/);
    const kw = toks[0];
    if (kw === 'v') {
      if (toks.length < 4) throw new MeshError(file, `line ${line}: 'v' needs 3 coordinates, got ${toks.length - 1}`);
      for (let k = 1; k <= 3; k++) coords.push(Math.fround(parseNumber(toks[k], file, line, 'vertex')));
    } else if (kw === 'f') {
      if (toks.length < 4) throw new MeshError(file, `line ${line}: face with ${toks.length - 1} vertices (3 at least)`);
      const nv = coords.length / 3;
      corner.length = 0;
      for (let k = 1; k < toks.length; k++) {
        const ref = toks[k].split('/')[0];
        if (!/^[+-]?\d+$/.test(ref)) throw new MeshError(file, `line ${line}: bad face vertex index '${toks[k]}'`);
        const i = Number(ref);
        const idx = i > 0 ? i - 1 : i < 0 ? nv + i : -1;
        if (i === 0 || idx < 0 || idx >= nv) {
          throw new MeshError(
            file,
            `line ${line}: face vertex index ${i} out of range (${nv} vertices defined so far; 1..${nv} or -1..-${nv})`,
          );
        }
        corner.push(idx);
      }
      for (let k = 1; k + 1 < corner.length; k++) indices.push(corner[0], corner[k], corner[k + 1]);
    }
  }
  if (indices.length === 0) throw new MeshError(file, coords.length === 0 ? 'OBJ with no vertices and no faces' : 'OBJ with no faces');
  return { vertices: Float32Array.from(coords), indices: Uint32Array.from(indices) };
}

/** Axis-aligned bounding box [minx, miny, minz, maxx, maxy, maxz] of a mesh's vertices. */
export function meshBounds(mesh: TriangleMesh): Float64Array {
  const b = Float64Array.from([Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity]);
  const v = mesh.vertices;
  for (let i = 0; i < v.length; i += 3) {
    for (let k = 0; k < 3; k++) {
      if (v[i + k] < b[k]) b[k] = v[i + k];
      if (v[i + k] > b[3 + k]) b[3 + k] = v[i + k];
    }
  }
  return b;
}
