/**
 * What the renderer draws: a triangle mesh with one colour per face, a perspective camera
 * (look-at, vertical field of view, near/far planes as the reference's OpenGL camera) and a
 * directional light for flat Lambert shading. Meshes come from the coloured cube of the paper
 * or from STL/OBJ files through the model layer's loader.
 */
import type { TriangleMesh } from '../model/mesh.ts';

export interface RenderMesh {
  /** Vertex coordinates in the object frame, 3 per vertex. */
  readonly vertices: Float64Array;
  /** Triangle vertex indices, 3 per face, counter-clockwise seen from outside. */
  readonly faces: Uint32Array;
  /** Base RGB colour per face, 3 per face, in [0, 1]. */
  readonly faceColors: Float64Array;
}

export interface Camera {
  /** World-to-camera rotation, rows = camera axes (x right, y up, z forward) in world coordinates. */
  readonly rotation: Float64Array;
  readonly eye: Float64Array;
  /** 1 / tan(fov / 2). */
  readonly focal: number;
  readonly near: number;
  readonly far: number;
  readonly width: number;
  readonly height: number;
}

export interface Light {
  /** Unit direction towards the light, world frame. */
  readonly direction: Float64Array;
  readonly ambient: number;
  readonly diffuse: number;
}

/** The paper's cube: side 2 centred at the origin, each face its own colour. */
export const CUBE_COLORS: ReadonlyArray<readonly [number, number, number]> = [
  [0.85, 0.1, 0.1], // +x red
  [1.0, 0.67, 0.0], // -x yellow
  [0.1, 0.3, 1.0], // +y blue
  [0.1, 0.9, 0.1], // -y lime
  [0.6, 0.1, 0.9], // +z purple
  [0.95, 0.95, 0.95], // -z white
];

export function coloredCube(halfSide = 1): RenderMesh {
  const h = halfSide;
  const vertices = new Float64Array(24);
  for (let i = 0; i < 8; i++) {
    vertices[3 * i] = i & 1 ? h : -h;
    vertices[3 * i + 1] = i & 2 ? h : -h;
    vertices[3 * i + 2] = i & 4 ? h : -h;
  }
  // Quads per face (+x, -x, +y, -y, +z, -z), counter-clockwise seen from outside.
  const quads = [
    [1, 3, 7, 5], [0, 4, 6, 2], [2, 6, 7, 3], [0, 1, 5, 4], [4, 5, 7, 6], [0, 2, 3, 1],
  ];
  const faces = new Uint32Array(36);
  const faceColors = new Float64Array(36);
  quads.forEach((q, k) => {
    faces.set([q[0], q[1], q[2], q[0], q[2], q[3]], 6 * k);
    for (let t = 0; t < 2; t++) faceColors.set(CUBE_COLORS[k], 6 * k + 3 * t);
  });
  return { vertices, faces, faceColors };
}

/**
 * A mesh from the model layer's loader (STL/OBJ), centred and scaled so that its largest
 * half-extent is `halfExtent` (the reference normalizes its meshes the same way), in one colour.
 */
export function fromTriangleMesh(mesh: TriangleMesh, color: readonly [number, number, number] = [0.8, 0.8, 0.8], halfExtent = 1): RenderMesh {
  const n = mesh.vertices.length / 3;
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) {
      lo[k] = Math.min(lo[k], mesh.vertices[3 * i + k]);
      hi[k] = Math.max(hi[k], mesh.vertices[3 * i + k]);
    }
  }
  const c = [0, 1, 2].map((k) => (lo[k] + hi[k]) / 2);
  const ext = Math.max(...[0, 1, 2].map((k) => (hi[k] - lo[k]) / 2));
  if (!(ext > 0)) throw new RangeError('mesh has no extent');
  const s = halfExtent / ext;
  const vertices = new Float64Array(3 * n);
  for (let i = 0; i < 3 * n; i++) vertices[i] = (mesh.vertices[i] - c[i % 3]) * s;
  const m = mesh.indices.length / 3;
  const faceColors = new Float64Array(3 * m);
  for (let f = 0; f < m; f++) faceColors.set(color, 3 * f);
  return { vertices, faces: Uint32Array.from(mesh.indices), faceColors };
}

/**
 * A camera at `distance` from `target`, at elevation and azimuth (degrees; azimuth about +y
 * from +z, as PyTorch3D's look_at_view_transform), looking at the target with +y up.
 */
export function lookAtCamera(opts: { distance: number; elevationDeg: number; azimuthDeg: number; fovDeg?: number; size: number; near?: number; far?: number; target?: readonly number[] }): Camera {
  const el = (opts.elevationDeg * Math.PI) / 180, az = (opts.azimuthDeg * Math.PI) / 180;
  const t = opts.target ?? [0, 0, 0];
  const eye = new Float64Array([
    t[0] + opts.distance * Math.cos(el) * Math.sin(az),
    t[1] + opts.distance * Math.sin(el),
    t[2] + opts.distance * Math.cos(el) * Math.cos(az),
  ]);
  return cameraLookAt(eye, t, [0, 1, 0], opts.fovDeg ?? 60, opts.size, opts.size, opts.near ?? 1, opts.far ?? 100);
}

export function cameraLookAt(eye: ArrayLike<number>, target: ArrayLike<number>, up: ArrayLike<number>, fovDeg: number, width: number, height: number, near = 1, far = 100): Camera {
  const fz = [target[0] - eye[0], target[1] - eye[1], target[2] - eye[2]];
  const nz = Math.hypot(fz[0], fz[1], fz[2]);
  const z = fz.map((v) => v / nz);
  // Image axes: x = z x up (right), y = x x z (up); z forward, as in the projection X = f x / z.
  let x = [z[1] * up[2] - z[2] * up[1], z[2] * up[0] - z[0] * up[2], z[0] * up[1] - z[1] * up[0]];
  const nx = Math.hypot(x[0], x[1], x[2]);
  if (!(nx > 1e-9)) throw new RangeError('camera up is parallel to the viewing direction');
  x = x.map((v) => v / nx);
  const y = [x[1] * z[2] - x[2] * z[1], x[2] * z[0] - x[0] * z[2], x[0] * z[1] - x[1] * z[0]];
  if (!(fovDeg > 0 && fovDeg < 180)) throw new RangeError(`fov must be in (0, 180) degrees, got ${fovDeg}`);
  if (!(near > 0 && far > near)) throw new RangeError('need 0 < near < far');
  return {
    rotation: new Float64Array([...x, ...y, ...z]),
    eye: Float64Array.from([eye[0], eye[1], eye[2]]),
    focal: 1 / Math.tan((fovDeg * Math.PI) / 360),
    near,
    far,
    width,
    height,
  };
}

/** Light from the camera's upper left, as a fixed world direction. */
export function defaultLight(camera: Camera): Light {
  const R = camera.rotation;
  // Towards the camera (-z), up (+y) and left (-x), camera frame, mapped to world.
  const c = [-0.3, 0.5, -1];
  const d = [0, 1, 2].map((k) => R[k] * c[0] + R[3 + k] * c[1] + R[6 + k] * c[2]);
  const n = Math.hypot(d[0], d[1], d[2]);
  return { direction: new Float64Array(d.map((v) => v / n)), ambient: 0.5, diffuse: 0.5 };
}
