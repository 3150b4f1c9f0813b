/**
 * The scenes of the pose experiments, as the reference code's: the object (the coloured cube,
 * or an STL/OBJ file through the model layer's loader, centred and scaled to half-extent 1) at
 * the origin, a camera at distance 6.7, elevation 30 deg, azimuth 120 deg, fov 60 deg, near 1,
 * far 100, a square image, black background.
 */
import { MAX_RENDER_SIZE, MIN_RENDER_SIZE } from '../../shared/limits.ts';
import { loadMesh } from '../model/mesh.ts';
import { coloredCube, defaultLight, fromTriangleMesh, lookAtCamera, type Camera, type Light, type RenderMesh } from './scene.ts';

export interface PoseScene {
  object: string;
  mesh: RenderMesh;
  camera: Camera;
  light: Light;
}

export function objectMesh(object: string): RenderMesh {
  if (object === 'cube') return coloredCube();
  if (/\.(stl|obj)$/i.test(object)) return fromTriangleMesh(loadMesh(object), [0.8, 0.6, 0.3]);
  throw new RangeError(`unknown object '${object}' (cube, or a path to an .stl / .obj file)`);
}

export function poseScene(object: string, size: number): PoseScene {
  if (!(Number.isInteger(size) && size >= MIN_RENDER_SIZE && size <= MAX_RENDER_SIZE)) {
    throw new RangeError(`size must be an integer in [${MIN_RENDER_SIZE}, ${MAX_RENDER_SIZE}], got ${size}`);
  }
  const mesh = objectMesh(object);
  const camera = lookAtCamera({ distance: 6.7, elevationDeg: 30, azimuthDeg: 120, fovDeg: 60, size });
  return { object, mesh, camera, light: defaultLight(camera) };
}
