/**
 * The scene of the shape-from-silhouettes fits: the target mesh (STL/OBJ through the model
 * layer's loader, centred and scaled to half-extent 1, as the pose scenes), `views` cameras on
 * a Fibonacci lattice of directions around it (distance 4.5, fov 60 deg: the object fills
 * about half the frame), the lattice turned about the vertical by a seed-dependent angle, and
 * the target's hard silhouettes as masks.
 */
import { MAX_RENDER_SIZE, MAX_SHAPE_VIEWS, MIN_RENDER_SIZE } from '../../shared/limits.ts';
import { loadMesh } from '../model/mesh.ts';
import { newPose } from './renderer.ts';
import { fromTriangleMesh, lookAtCamera, type Camera, type RenderMesh } from './scene.ts';
import { alphaOf, SilhouetteRenderer } from './silhouette-loss.ts';

export const SHAPE_CAMERA_DISTANCE = 4.5;

/** Cameras looking at the origin from `n` directions spread over the sphere. */
export function shapeCameras(n: number, size: number, seed = 0, distance = SHAPE_CAMERA_DISTANCE): Camera[] {
  if (!(distance > 1 + Math.sqrt(3))) throw new RangeError(`camera distance must be above 1 + sqrt(3) (a target of half-extent 1 stays beyond the near plane at 1), got ${distance}`);
  if (!(Number.isInteger(n) && n >= 1 && n <= MAX_SHAPE_VIEWS)) throw new RangeError(`views must be an integer in [1, ${MAX_SHAPE_VIEWS}], got ${n}`);
  if (!(Number.isInteger(size) && size >= MIN_RENDER_SIZE && size <= MAX_RENDER_SIZE)) throw new RangeError(`size must be an integer in [${MIN_RENDER_SIZE}, ${MAX_RENDER_SIZE}], got ${size}`);
  // A fixed, seed-dependent turn of the lattice (golden-ratio sequence, no generator state).
  const phase = 360 * ((seed * 0.6180339887498949) % 1);
  const golden = 180 * (3 - Math.sqrt(5));
  const cams: Camera[] = [];
  for (let k = 0; k < n; k++) {
    const y = n === 1 ? 0.5 : 0.9 * (1 - (2 * (k + 0.5)) / n);
    cams.push(lookAtCamera({ distance, elevationDeg: (Math.asin(y) * 180) / Math.PI, azimuthDeg: phase + k * golden, fovDeg: 60, size }));
  }
  return cams;
}

/** A mesh file as a render mesh of half-extent 1 (grey). */
export function shapeTarget(file: string): RenderMesh {
  if (!/\.(stl|obj)$/i.test(file)) throw new RangeError(`mesh must be an .stl or .obj file, got '${file}'`);
  return fromTriangleMesh(loadMesh(file), [0.7, 0.7, 0.7]);
}

/** The target's hard silhouette seen by each camera (one number per pixel, 0 or 1). */
export function targetMasks(target: RenderMesh, cameras: Camera[]): Float64Array[] {
  const pose = newPose();
  return cameras.map((cam) => {
    const r = new SilhouetteRenderer(target, cam, { maxSamples: 1 });
    return alphaOf(r.render(pose, { mode: 'hard', sigma: 1, gamma: 1, samples: 1, noise: 'gaussian', seed: 0, iteration: 0 }));
  });
}
