/**
 * The robot's visual geometry as foxglove.SceneUpdate entities locked to its body frames (one
 * entity per body, frame_id = the body's frame, as /tf names it), so that Foxglove's 3D panel
 * draws the robot wherever the transforms put it, with no URDF or mesh file beside the data.
 *
 * URDF shapes map to Foxglove primitives: box → cube, sphere → sphere, cylinder → cylinder
 * (both along z), capsule → a cylinder and two end spheres (Foxglove has no capsule). Meshes
 * are embedded as ModelPrimitive `data` with their media type, but only when the file's real
 * path lies inside the robot's folder (the rule the API applies to the meshes it serves,
 * model/confine.ts) and the meshes embedded so far stay within a byte budget; others are
 * listed in `skipped` with the reason.
 */
import { closeSync, fstatSync, openSync, readSync, realpathSync, constants as fsc } from 'node:fs';
import path from 'node:path';
import type { Model } from '../model/model.ts';
import { insideAny } from '../model/confine.ts';
import { se3Mul } from '../model/spatial.ts';
import { entity, poseOf, type Color, type Pose, type SceneEntityJson, type SceneUpdateJson } from './messages.ts';

/** Bytes of mesh files one robot embeds at most (a recording's size stays bounded). */
export const MAX_EMBEDDED_MESH_BYTES = 16 * 1024 * 1024;

const DEFAULT_COLOR: Color = { r: 0.7, g: 0.7, b: 0.72, a: 1 };

/** Media types Foxglove's 3D panel reads, by file extension. */
const MEDIA_TYPES: Record<string, string> = {
  '.stl': 'model/stl', '.obj': 'model/obj', '.dae': 'model/vnd.collada+xml', '.glb': 'model/gltf-binary', '.gltf': 'model/gltf+json',
};

export interface BodyGeometry {
  /** The body's frame name (model.bodyNames; 'world' for geometry fixed to the world). */
  frame: string;
  cubes: { pose: Pose; size: { x: number; y: number; z: number }; color: Color }[];
  spheres: { pose: Pose; size: { x: number; y: number; z: number }; color: Color }[];
  cylinders: { pose: Pose; size: { x: number; y: number; z: number }; bottom_scale: number; top_scale: number; color: Color }[];
  models: { pose: Pose; scale: { x: number; y: number; z: number }; color: Color; override_color: boolean; url: string; media_type: string; data: string }[];
}

export interface RobotGeometry {
  bodies: BodyGeometry[];
  /** Mesh bytes embedded (each file once, though every use carries its copy in the message). */
  meshBytes: number;
  /** Meshes not embedded, with why. */
  skipped: { uri: string; reason: string }[];
}

export interface RobotGeometryOptions {
  /** Real paths of the folders the robot's meshes must lie in (default: the URDF's folder). */
  roots?: string[];
  /** Mesh byte budget (default MAX_EMBEDDED_MESH_BYTES). */
  maxMeshBytes?: number;
}

/** Reads a regular file of at most `max` bytes without following a final symbolic link; null otherwise. */
function readBounded(file: string, max: number): { bytes: Buffer } | { error: string } {
  let fd: number;
  try { fd = openSync(file, fsc.O_RDONLY | (fsc.O_NOFOLLOW ?? 0)); } catch (e) { return { error: `cannot open: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }; }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { error: 'not a regular file' };
    if (st.size > max) return { error: `${st.size} bytes exceed the budget left (${max} of ${MAX_EMBEDDED_MESH_BYTES})` };
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) { const n = readSync(fd, buf, off, buf.length - off, off); if (n <= 0) break; off += n; }
    return { bytes: buf.subarray(0, off) };
  } finally { closeSync(fd); }
}

/**
 * The visual geometry of a model, per body, posed in the body's frame (`urdfPath` gives the
 * robot's folder when `roots` is not given).
 */
export function robotGeometry(model: Model, urdfPath: string | null, opts: RobotGeometryOptions = {}): RobotGeometry {
  let roots = opts.roots;
  if (!roots) {
    roots = [];
    if (urdfPath) { try { roots = [realpathSync(path.dirname(urdfPath))]; } catch { roots = []; } }
  }
  let budget = opts.maxMeshBytes ?? MAX_EMBEDDED_MESH_BYTES;
  const byJoint = new Map<number, BodyGeometry>();
  const body = (j: number): BodyGeometry => {
    let b = byJoint.get(j);
    if (!b) { b = { frame: j === 0 ? 'world' : model.bodyNames[j], cubes: [], spheres: [], cylinders: [], models: [] }; byJoint.set(j, b); }
    return b;
  };
  const embedded = new Map<string, string>(); // real path → base64
  const skipped: RobotGeometry['skipped'] = [];
  let meshBytes = 0;
  const local = new Float64Array(12), off = new Float64Array(12);
  for (const g of model.visuals) {
    const color: Color = g.rgba ? { r: g.rgba[0], g: g.rgba[1], b: g.rgba[2], a: g.rgba[3] } : DEFAULT_COLOR;
    const pose = poseOf(g.placement);
    const s = g.shape;
    const b = body(g.parentJoint);
    if (s.type === 'box') b.cubes.push({ pose, size: { x: s.size[0], y: s.size[1], z: s.size[2] }, color });
    else if (s.type === 'sphere') b.spheres.push({ pose, size: { x: 2 * s.radius, y: 2 * s.radius, z: 2 * s.radius }, color });
    else if (s.type === 'cylinder' || s.type === 'capsule') {
      const d = 2 * s.radius;
      b.cylinders.push({ pose, size: { x: d, y: d, z: s.length }, bottom_scale: 1, top_scale: 1, color });
      if (s.type === 'capsule') {
        // the end caps: spheres at ±length/2 along the capsule's z axis
        for (const sgn of [-1, 1]) {
          off.fill(0); off[0] = off[4] = off[8] = 1; off[11] = sgn * s.length / 2;
          se3Mul(g.placement, 0, off, 0, local, 0);
          b.spheres.push({ pose: poseOf(local), size: { x: d, y: d, z: d }, color });
        }
      }
    } else {
      const media = MEDIA_TYPES[path.extname(s.uri).toLowerCase()];
      if (!s.path) { skipped.push({ uri: s.uri, reason: 'not resolved to a file' }); continue; }
      if (!media) { skipped.push({ uri: s.uri, reason: `no Foxglove media type for '${path.extname(s.uri)}'` }); continue; }
      let real: string;
      try { real = realpathSync(s.path); } catch { skipped.push({ uri: s.uri, reason: 'file not found' }); continue; }
      if (!insideAny(real, roots)) { skipped.push({ uri: s.uri, reason: `outside the robot's folder (${roots.join(', ') || 'none'})` }); continue; }
      let data = embedded.get(real);
      if (data === undefined) {
        const r = readBounded(real, budget);
        if ('error' in r) { skipped.push({ uri: s.uri, reason: r.error }); continue; }
        budget -= r.bytes.length;
        meshBytes += r.bytes.length;
        data = r.bytes.toString('base64');
        embedded.set(real, data);
      }
      b.models.push({
        pose, scale: { x: s.scale[0], y: s.scale[1], z: s.scale[2] }, color, override_color: g.rgba !== undefined,
        url: '', media_type: media, data,
      });
    }
  }
  return { bodies: [...byJoint.values()], meshBytes, skipped };
}

/**
 * The robot as a foxglove.SceneUpdate: one entity `<idPrefix>robot/<body>` per body, locked to
 * the frame `<framePrefix><body>` (so it moves with /tf), never expiring.
 */
export function robotSceneUpdate(geometry: RobotGeometry, t: bigint, opts: { framePrefix?: string; idPrefix?: string } = {}): SceneUpdateJson {
  const fp = opts.framePrefix ?? '', ip = opts.idPrefix ?? '';
  const entities: SceneEntityJson[] = geometry.bodies.map((b) => {
    const e = entity(`${ip}robot/${b.frame}`, b.frame === 'world' ? 'world' : `${fp}${b.frame}`, t, true);
    e.cubes = b.cubes; e.spheres = b.spheres; e.cylinders = b.cylinders; e.models = b.models;
    return e;
  });
  return { deletions: [], entities };
}
