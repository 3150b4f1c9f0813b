/**
 * One shape-from-silhouettes problem end to end, shared by `npm run shape` and
 * `npm run experiment -- shape`: the target mesh's hard silhouettes from `views` cameras
 * (shape-scene.ts), an icosphere of `level` and `radius` deformed by `fitShape`, and the
 * scores: the 3D IoU (voxel-iou.ts) of the starting sphere and of the fitted mesh against the
 * target, and the mean 2D IoU of their hard silhouettes over the views.
 */
import { icosphere } from './icosphere.ts';
import type { NoiseKind } from './noise.ts';
import { newPose, type RenderMode } from './renderer.ts';
import type { RenderMesh } from './scene.ts';
import { fitShape, type ShapeFitResult, type ShapeIterate } from './shape-fit.ts';
import { shapeCameras, shapeTarget, targetMasks } from './shape-scene.ts';
import { alphaOf, maskIoU, SilhouetteRenderer } from './silhouette-loss.ts';
import { voxelIoU } from './voxel-iou.ts';

export interface ShapeProblemOptions {
  /** Path to the target's .stl / .obj file. */
  mesh: string;
  method: RenderMode;
  views?: number;
  size?: number;
  iterations?: number;
  seed?: number;
  level?: number;
  radius?: number;
  lr?: number;
  sigma?: number;
  samples?: number;
  maxSamples?: number;
  laplacian?: number;
  noise?: NoiseKind;
  adaptive?: boolean;
  /** Voxel grid side of the 3D IoU. */
  voxels?: number;
  /** Camera distance from the target's centre (default 4.5). */
  distance?: number;
}

export const SHAPE_PROBLEM_DEFAULTS = { views: 12, size: 48, iterations: 200, seed: 1, level: 3, radius: 0.5, voxels: 48 };

export interface ShapeProblemResult {
  settings: Required<Omit<ShapeProblemOptions, 'noise' | 'adaptive' | 'lr' | 'sigma' | 'samples' | 'maxSamples' | 'laplacian' | 'distance'>> & Pick<ShapeProblemOptions, 'noise' | 'adaptive' | 'lr' | 'sigma' | 'samples' | 'maxSamples' | 'laplacian' | 'distance'>;
  targetVertices: number;
  targetFaces: number;
  /** 3D IoU of the starting sphere and of the fitted mesh against the target. */
  initialIoU: number;
  iou: number;
  /** Mean over the views of the hard silhouettes' 2D IoU, before and after. */
  initialSilhouetteIoU: number;
  silhouetteIoU: number;
  fit: ShapeFitResult;
  faces: Uint32Array;
  /** Hard silhouettes per view (one number per pixel): the target's, the sphere's, the fitted mesh's. */
  silhouettes: { target: Float64Array[]; start: Float64Array[]; fitted: Float64Array[] };
}

export function runShapeProblem(opts: ShapeProblemOptions, onIterate?: (it: ShapeIterate) => void): ShapeProblemResult {
  const s = { ...SHAPE_PROBLEM_DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as typeof SHAPE_PROBLEM_DEFAULTS & ShapeProblemOptions;
  const target = shapeTarget(s.mesh);
  const cams = shapeCameras(s.views, s.size, s.seed, s.distance);
  const masks = targetMasks(target, cams);
  const ico = icosphere(s.level, s.radius);
  const start: RenderMesh = { vertices: ico.vertices, faces: ico.faces, faceColors: new Float64Array(ico.faces.length).fill(0.7) };
  const views = cams.map((c, i) => ({ renderer: new SilhouetteRenderer(start, c, { maxSamples: s.maxSamples ?? 128 }), mask: masks[i] }));
  const hardSilhouettes = (vertices: Float64Array) => views.map((v) => {
    v.renderer.setup.vertices.set(vertices);
    return alphaOf(v.renderer.render(newPose(), { mode: 'hard', sigma: 1, gamma: 1, samples: 1, noise: 'gaussian', seed: 0, iteration: 0 }));
  });
  const meanIoU = (sils: Float64Array[]) => sils.reduce((a, x, i) => a + maskIoU(x, masks[i]), 0) / sils.length;
  const startSils = hardSilhouettes(ico.vertices);
  const fit = fitShape(views, ico.vertices, ico.faces, {
    method: s.method, iterations: s.iterations, seed: s.seed, lr: s.lr, sigma: s.sigma, samples: s.samples, maxSamples: s.maxSamples, laplacian: s.laplacian, noise: s.noise, adaptive: s.adaptive,
  }, onIterate);
  const fittedSils = hardSilhouettes(fit.vertices);
  return {
    settings: s,
    targetVertices: target.vertices.length / 3,
    targetFaces: target.faces.length / 3,
    initialIoU: voxelIoU(ico, target, s.voxels).iou,
    iou: voxelIoU({ vertices: fit.vertices, faces: ico.faces }, target, s.voxels).iou,
    initialSilhouetteIoU: meanIoU(startSils),
    silhouetteIoU: meanIoU(fittedSils),
    fit,
    faces: ico.faces,
    silhouettes: { target: masks, start: startSils, fitted: fittedSils },
  };
}

/**
 * Silhouettes as one grey image: a row per set (target, start, fitted), a column per view (the
 * first `maxViews`), 2 px gaps; RGB, 3 numbers per pixel.
 */
export function silhouetteSheet(rows: Float64Array[][], size: number, maxViews = 8): { rgb: Float64Array; width: number; height: number } {
  const cols = Math.min(maxViews, rows[0].length), gap = 2;
  const width = cols * (size + gap) - gap, height = rows.length * (size + gap) - gap;
  const rgb = new Float64Array(3 * width * height).fill(0.25);
  rows.forEach((row, r) => {
    for (let c = 0; c < cols; c++) {
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
        const v = row[c][y * size + x], o = 3 * ((r * (size + gap) + y) * width + c * (size + gap) + x);
        rgb[o] = v; rgb[o + 1] = v; rgb[o + 2] = v;
      }
    }
  });
  return { rgb, width, height };
}

/** A triangle mesh as Wavefront OBJ text. */
export function objText(vertices: ArrayLike<number>, faces: ArrayLike<number>): string {
  const lines: string[] = [];
  for (let i = 0; i < vertices.length; i += 3) lines.push(`v ${vertices[i].toPrecision(7)} ${vertices[i + 1].toPrecision(7)} ${vertices[i + 2].toPrecision(7)}`);
  for (let f = 0; f < faces.length; f += 3) lines.push(`f ${faces[f] + 1} ${faces[f + 1] + 1} ${faces[f + 2] + 1}`);
  return lines.join('\n') + '\n';
}
