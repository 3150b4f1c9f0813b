/**
 * Silhouettes and the soft-IoU silhouette loss of SoftRas (Liu et al. 2019, `neg_iou_loss`):
 * L = 1 - I / U with I = sum_p alpha_p t_p and U = sum_p (alpha_p + t_p - alpha_p t_p) over
 * the pixels, alpha the rendered silhouette (1 - prod over the pixel's faces of (1 - coverage))
 * and t the target mask. The kernel's silhouette pass (`RasterKernel.silhouetteBand`) sums I,
 * A = U - sum t and their screen-space gradients band by band; this module turns them into
 * dL/d(screen vertices) = -(dI U - I dA) / U^2 and chains them to the pose and the mesh
 * vertices with the renderer's `RenderSetup` (the same projection and chain rule as the RGB
 * loss). Gradients in sigma too (for the adaptive smoothing); gamma plays no part.
 */
import { ACC_PER_FACE, RasterKernel, SIL_A } from './kernel.ts';
import { RenderSetup, type Pose, type RenderGradient, type RendererOptions, type RenderParams } from './renderer.ts';
import type { Camera, Light, RenderMesh } from './scene.ts';

/** Silhouettes need no shading: a constant light. */
const FLAT: Light = { direction: new Float64Array([0, 0, 1]), ambient: 1, diffuse: 0 };

export class SilhouetteRenderer {
  readonly setup: RenderSetup;
  /** RGBA, the silhouette in every channel (the buffer of the last call). */
  readonly image: Float64Array;
  private readonly kernel: RasterKernel;
  private readonly bandAcc: Float64Array;

  constructor(mesh: RenderMesh, camera: Camera, opts: RendererOptions = {}) {
    this.setup = new RenderSetup(mesh, camera, FLAT, opts);
    this.kernel = this.setup.newKernel();
    this.image = new Float64Array(4 * camera.width * camera.height);
    this.bandAcc = new Float64Array(this.setup.acc.length);
  }

  /** The silhouette at `pose` (the vertices in `setup.vertices`), RGBA. */
  render(pose: Pose, params: RenderParams): Float64Array {
    this.run(pose, params, null);
    return this.image;
  }

  /** 1 - soft IoU against `mask` (one number per pixel in [0, 1]) and its gradients, into `out`. */
  lossAndGradient(pose: Pose, params: RenderParams, mask: Float64Array, out: RenderGradient): RenderGradient {
    const s = this.setup;
    const P = s.camera.width * s.camera.height;
    if (mask.length !== P) throw new RangeError(`mask has ${mask.length} numbers, expected ${P}`);
    let T = 0;
    for (let i = 0; i < P; i++) T += mask[i];
    this.run(pose, params, mask);
    const acc = s.acc, nF = s.nFaces, e = ACC_PER_FACE * nF;
    const I = acc[e], U = acc[e + 1] + T;
    // L = 1 - I / U: dL = c1 dI + c2 dA.
    const c1 = U > 0 ? -1 / U : 0, c2 = U > 0 ? I / (U * U) : 0;
    for (let f = 0; f < nF; f++) {
      const o = f * ACC_PER_FACE;
      const x0 = c1 * acc[o] + c2 * acc[o + SIL_A], y0 = c1 * acc[o + 1] + c2 * acc[o + SIL_A + 1];
      const x1 = c1 * acc[o + 2] + c2 * acc[o + SIL_A + 2], y1 = c1 * acc[o + 3] + c2 * acc[o + SIL_A + 3];
      const x2 = c1 * acc[o + 4] + c2 * acc[o + SIL_A + 4], y2 = c1 * acc[o + 5] + c2 * acc[o + SIL_A + 5];
      // The RGB loss's layout (renderer.ts `chain`): X, Y, z per vertex, then the colour (none here).
      acc[o] = x0; acc[o + 1] = y0; acc[o + 2] = 0;
      acc[o + 3] = x1; acc[o + 4] = y1; acc[o + 5] = 0;
      acc[o + 6] = x2; acc[o + 7] = y2; acc[o + 8] = 0;
      acc[o + 9] = 0; acc[o + 10] = 0; acc[o + 11] = 0;
    }
    const dSigma = c1 * acc[e + 2] + c2 * acc[e + 3];
    acc[e] = U > 0 ? 1 - I / U : 0;
    acc[e + 1] = dSigma;
    acc[e + 2] = 0;
    acc[e + 3] = 0;
    return s.chain(pose, out);
  }

  private run(pose: Pose, params: RenderParams, mask: Float64Array | null): void {
    const s = this.setup;
    const kp = s.setParams(params);
    s.project(pose);
    const acc = s.acc, band = this.bandAcc;
    acc.fill(0);
    for (let b = 0; b < s.bands; b++) {
      band.fill(0);
      this.kernel.silhouetteBand(b, s.geom, s.nFaces, kp, this.image, mask, band);
      for (let i = 0; i < acc.length; i++) acc[i] += band[i];
    }
  }
}

/** The alpha channel of an RGBA image (e.g. a hard silhouette as a target mask). */
export function alphaOf(rgba: Float64Array, out = new Float64Array(rgba.length / 4)): Float64Array {
  for (let i = 0, j = 0; i < rgba.length; i += 4, j++) out[j] = rgba[i + 3];
  return out;
}

/** 1 - IoU of two masks (the loss's value for hard silhouettes; 0 when both are empty). */
export function maskIoU(a: Float64Array, b: Float64Array): number {
  let I = 0, U = 0;
  for (let i = 0; i < a.length; i++) { I += a[i] * b[i]; U += a[i] + b[i] - a[i] * b[i]; }
  return U > 0 ? I / U : 1;
}
