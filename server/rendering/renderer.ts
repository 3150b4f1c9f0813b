/**
 * The renderer's one interface over the three modes: `render(pose, params)` for an RGBA image
 * and `lossAndGradient(pose, params, target)` for the mean squared RGB error against a target
 * image with its gradient with respect to the pose (axis-angle rotation, translation), the
 * mesh vertices and the smoothing parameters (sigma, gamma).
 *
 * A call runs in three stages: `project` (object -> world -> camera -> NDC, flat Lambert
 * shading per face) into a geometry buffer, the kernel's bands (`kernel.ts`; here in this
 * thread, or on worker threads in `parallel.ts` with the same buffers), and `chain` (the
 * screen-space gradients back to camera, world, vertices and pose by the chain rule). Each
 * band's gradient is summed into the total in band order whoever computed it, so the result
 * does not depend on the number of threads. Nothing allocates per call after construction.
 */
import { ACC_EXTRA, BLUR_SIGMAS, ACC_PER_FACE, FACE_STRIDE, MODE_HARD, MODE_PERTURBED, MODE_SOFTRAS, RasterKernel, type KernelParams } from './kernel.ts';
import { noiseKey, type NoiseKind } from './noise.ts';
import { expSO3, leftJacobianSO3 } from './rotation.ts';
import type { Camera, Light, RenderMesh } from './scene.ts';

export type RenderMode = 'hard' | 'softras' | 'perturbed';
export const RENDER_MODES: readonly RenderMode[] = ['hard', 'softras', 'perturbed'];

/** Object pose: world point = R(rotation) v + translation (rotation as axis-angle). */
export interface Pose {
  rotation: Float64Array;
  translation: Float64Array;
}

export interface RenderParams {
  mode: RenderMode;
  /** Coverage smoothing, NDC units squared (reference default 1e-3). */
  sigma: number;
  /** Aggregation smoothing on inverse depths (reference default 1e-2). */
  gamma: number;
  /** Monte Carlo samples M of the perturbed mode. */
  samples: number;
  noise: NoiseKind;
  /** The noise is a function of (seed, iteration, pixel, sample). */
  seed: number;
  iteration: number;
  /**
   * Fragments: faces with D > -blur sigma (default ln(1e4 - 1) = 9.21, SoftRas coverage 1e-4,
   * the reference's blur radius). Cauchy noise reaches beyond: its tails are truncated there.
   */
  blur?: number;
}

export interface RenderGradient {
  loss: number;
  rotation: Float64Array;
  translation: Float64Array;
  /** dL/d(object-frame vertex), 3 per vertex. */
  vertices: Float64Array;
  sigma: number;
  gamma: number;
}

export interface RendererOptions {
  /** Fragments kept per pixel (nearest first), as PyTorch3D's faces_per_pixel. */
  maxFragments?: number;
  /** Largest sample count a call may use (scratch is sized for it). */
  maxSamples?: number;
  background?: readonly [number, number, number];
  rowsPerBand?: number;
}

export function newPose(rotation: ArrayLike<number> = [0, 0, 0], translation: ArrayLike<number> = [0, 0, 0]): Pose {
  return { rotation: Float64Array.from(rotation), translation: Float64Array.from(translation) };
}

export function newGradient(nVertices: number): RenderGradient {
  return { loss: 0, rotation: new Float64Array(3), translation: new Float64Array(3), vertices: new Float64Array(3 * nVertices), sigma: 0, gamma: 0 };
}

export function modeCode(mode: RenderMode): number {
  return mode === 'hard' ? MODE_HARD : mode === 'softras' ? MODE_SOFTRAS : MODE_PERTURBED;
}

/** Projection, shading and the chain rule: the parts of a call outside the pixel loops. */
export class RenderSetup {
  readonly mesh: RenderMesh;
  readonly camera: Camera;
  readonly light: Light;
  readonly nFaces: number;
  readonly nVertices: number;
  readonly maxFragments: number;
  readonly maxSamples: number;
  readonly rowsPerBand: number;
  readonly background: Float64Array;
  /** Object-frame vertices used by the next call (a copy of the mesh's; may be edited). */
  readonly vertices: Float64Array;
  readonly geom: Float64Array;
  readonly acc: Float64Array;
  readonly kparams: KernelParams;
  private readonly R = new Float64Array(9);
  private readonly J = new Float64Array(9);
  private readonly pw: Float64Array;
  private readonly pc: Float64Array;
  private readonly gpw: Float64Array;
  private readonly faceNormal: Float64Array;
  private readonly faceLit: Uint8Array;
  private readonly faceLen: Float64Array;

  constructor(mesh: RenderMesh, camera: Camera, light: Light, opts: RendererOptions = {}) {
    this.mesh = mesh;
    this.camera = camera;
    this.light = light;
    this.nFaces = mesh.faces.length / 3;
    this.nVertices = mesh.vertices.length / 3;
    for (let i = 0; i < mesh.faces.length; i++) {
      if (mesh.faces[i] >= this.nVertices) throw new RangeError(`face index ${mesh.faces[i]} beyond ${this.nVertices} vertices`);
    }
    this.maxFragments = opts.maxFragments ?? 32;
    this.maxSamples = opts.maxSamples ?? 128;
    this.rowsPerBand = opts.rowsPerBand ?? 8;
    this.background = Float64Array.from(opts.background ?? [0, 0, 0]);
    this.vertices = Float64Array.from(mesh.vertices);
    this.geom = new Float64Array(FACE_STRIDE * this.nFaces);
    this.acc = new Float64Array(ACC_PER_FACE * this.nFaces + ACC_EXTRA);
    this.pw = new Float64Array(3 * this.nVertices);
    this.pc = new Float64Array(3 * this.nVertices);
    this.gpw = new Float64Array(3 * this.nVertices);
    this.faceNormal = new Float64Array(3 * this.nFaces);
    this.faceLit = new Uint8Array(this.nFaces);
    this.faceLen = new Float64Array(this.nFaces);
    this.kparams = { mode: 0, noise: 0, sigma: 1e-3, gamma: 1e-2, samples: 1, key: 0, eps: 1e-10, background: this.background, near: camera.near, far: camera.far, blur: BLUR_SIGMAS };
  }

  get bands(): number {
    return Math.ceil(this.camera.height / this.rowsPerBand);
  }

  newKernel(): RasterKernel {
    return new RasterKernel(this.camera.width, this.camera.height, this.maxFragments, this.maxSamples, this.rowsPerBand);
  }

  /** Checks the parameters and copies them into `kparams`. */
  setParams(p: RenderParams): KernelParams {
    const k = this.kparams;
    k.mode = modeCode(p.mode);
    if (k.mode !== MODE_HARD) {
      if (!(p.sigma > 0) || !(p.gamma > 0)) throw new RangeError(`sigma and gamma must be positive (got ${p.sigma}, ${p.gamma})`);
    }
    if (k.mode === MODE_PERTURBED && !(Number.isInteger(p.samples) && p.samples >= 1 && p.samples <= this.maxSamples)) {
      throw new RangeError(`samples must be an integer in [1, ${this.maxSamples}], got ${p.samples}`);
    }
    k.noise = p.noise === 'cauchy' ? 1 : 0;
    k.sigma = p.sigma;
    k.gamma = p.gamma;
    k.samples = p.samples;
    k.key = noiseKey(p.seed, p.iteration);
    k.blur = p.blur ?? BLUR_SIGMAS;
    if (!(k.blur > 0)) throw new RangeError(`blur must be positive, got ${p.blur}`);
    return k;
  }

  /** Vertices to world and camera frames, faces to NDC, shaded colours. */
  project(pose: Pose): void {
    const R = expSO3(pose.rotation, this.R);
    const t = pose.translation;
    const cam = this.camera, Rc = cam.rotation, eye = cam.eye;
    const fy = cam.focal, fx = (cam.focal * cam.height) / cam.width;
    const v = this.vertices, pw = this.pw, pc = this.pc;
    for (let i = 0; i < this.nVertices; i++) {
      const x = v[3 * i], y = v[3 * i + 1], z = v[3 * i + 2];
      const wx = R[0] * x + R[1] * y + R[2] * z + t[0];
      const wy = R[3] * x + R[4] * y + R[5] * z + t[1];
      const wz = R[6] * x + R[7] * y + R[8] * z + t[2];
      pw[3 * i] = wx; pw[3 * i + 1] = wy; pw[3 * i + 2] = wz;
      const dx = wx - eye[0], dy = wy - eye[1], dz = wz - eye[2];
      pc[3 * i] = Rc[0] * dx + Rc[1] * dy + Rc[2] * dz;
      pc[3 * i + 1] = Rc[3] * dx + Rc[4] * dy + Rc[5] * dz;
      pc[3 * i + 2] = Rc[6] * dx + Rc[7] * dy + Rc[8] * dz;
    }
    const F = this.mesh.faces, geom = this.geom, L = this.light.direction, col = this.mesh.faceColors;
    for (let f = 0; f < this.nFaces; f++) {
      const o = f * FACE_STRIDE;
      let valid = 1;
      for (let i = 0; i < 3; i++) {
        const vi = F[3 * f + i];
        const zc = pc[3 * vi + 2];
        if (!(zc > cam.near)) valid = 0; // faces crossing the near plane are not drawn (no clipping)
        geom[o + 2 * i] = (fx * pc[3 * vi]) / zc;
        geom[o + 2 * i + 1] = (fy * pc[3 * vi + 1]) / zc;
        geom[o + 6 + i] = zc;
      }
      const area = (geom[o + 2] - geom[o]) * (geom[o + 5] - geom[o + 1]) - (geom[o + 3] - geom[o + 1]) * (geom[o + 4] - geom[o]);
      if (!(Math.abs(area) > 1e-14)) valid = 0;
      geom[o + 9] = area;
      geom[o + 13] = valid;
      // Flat Lambert shading from the world normal.
      const a = F[3 * f], b = F[3 * f + 1], c = F[3 * f + 2];
      const e1x = pw[3 * b] - pw[3 * a], e1y = pw[3 * b + 1] - pw[3 * a + 1], e1z = pw[3 * b + 2] - pw[3 * a + 2];
      const e2x = pw[3 * c] - pw[3 * a], e2y = pw[3 * c + 1] - pw[3 * a + 1], e2z = pw[3 * c + 2] - pw[3 * a + 2];
      const ux = e1y * e2z - e1z * e2y, uy = e1z * e2x - e1x * e2z, uz = e1x * e2y - e1y * e2x;
      const len = Math.sqrt(ux * ux + uy * uy + uz * uz);
      const nx = len > 0 ? ux / len : 0, ny = len > 0 ? uy / len : 0, nz = len > 0 ? uz / len : 0;
      this.faceNormal[3 * f] = nx; this.faceNormal[3 * f + 1] = ny; this.faceNormal[3 * f + 2] = nz;
      this.faceLen[f] = len;
      const nl = nx * L[0] + ny * L[1] + nz * L[2];
      this.faceLit[f] = nl > 0 && len > 0 ? 1 : 0;
      const shade = this.light.ambient + this.light.diffuse * (nl > 0 ? nl : 0);
      geom[o + 10] = col[3 * f] * shade; geom[o + 11] = col[3 * f + 1] * shade; geom[o + 12] = col[3 * f + 2] * shade;
    }
  }

  /** The loss and gradients from the summed accumulator `acc`, into `out`. */
  chain(pose: Pose, out: RenderGradient): RenderGradient {
    const acc = this.acc, nF = this.nFaces, nV = this.nVertices;
    const extra = ACC_PER_FACE * nF;
    out.loss = acc[extra];
    out.sigma = acc[extra + 1];
    out.gamma = acc[extra + 2];
    const cam = this.camera, Rc = cam.rotation;
    const fy = cam.focal, fx = (cam.focal * cam.height) / cam.width;
    const F = this.mesh.faces, geom = this.geom, pc = this.pc, pw = this.pw, gpw = this.gpw;
    gpw.fill(0);
    const L = this.light.direction, kd = this.light.diffuse, col = this.mesh.faceColors;
    for (let f = 0; f < nF; f++) {
      const o = f * FACE_STRIDE, ao = f * ACC_PER_FACE;
      if (geom[o + 13] !== 0) {
        for (let i = 0; i < 3; i++) {
          const vi = F[3 * f + i];
          const zc = pc[3 * vi + 2];
          const gX = acc[ao + 3 * i], gY = acc[ao + 3 * i + 1], gz = acc[ao + 3 * i + 2];
          const X = geom[o + 2 * i], Y = geom[o + 2 * i + 1];
          const gxc = (gX * fx) / zc, gyc = (gY * fy) / zc, gzc = gz - (gX * X + gY * Y) / zc;
          // Camera -> world: pc = Rc (pw - eye), so dL/dpw = Rc^T dL/dpc.
          gpw[3 * vi] += Rc[0] * gxc + Rc[3] * gyc + Rc[6] * gzc;
          gpw[3 * vi + 1] += Rc[1] * gxc + Rc[4] * gyc + Rc[7] * gzc;
          gpw[3 * vi + 2] += Rc[2] * gxc + Rc[5] * gyc + Rc[8] * gzc;
        }
      }
      if (this.faceLit[f] === 0) continue;
      // Shading: colour = base (ambient + kd n.l); n = u / |u|, u = e1 x e2.
      const s = kd * (acc[ao + 9] * col[3 * f] + acc[ao + 10] * col[3 * f + 1] + acc[ao + 11] * col[3 * f + 2]);
      if (s === 0) continue;
      const nx = this.faceNormal[3 * f], ny = this.faceNormal[3 * f + 1], nz = this.faceNormal[3 * f + 2];
      const gnx = s * L[0], gny = s * L[1], gnz = s * L[2];
      const nd = nx * gnx + ny * gny + nz * gnz;
      const len = this.faceLen[f];
      const gux = (gnx - nx * nd) / len, guy = (gny - ny * nd) / len, guz = (gnz - nz * nd) / len;
      const a = F[3 * f], b = F[3 * f + 1], c = F[3 * f + 2];
      const e1x = pw[3 * b] - pw[3 * a], e1y = pw[3 * b + 1] - pw[3 * a + 1], e1z = pw[3 * b + 2] - pw[3 * a + 2];
      const e2x = pw[3 * c] - pw[3 * a], e2y = pw[3 * c + 1] - pw[3 * a + 1], e2z = pw[3 * c + 2] - pw[3 * a + 2];
      // dL/de1 = e2 x gu, dL/de2 = gu x e1.
      const g1x = e2y * guz - e2z * guy, g1y = e2z * gux - e2x * guz, g1z = e2x * guy - e2y * gux;
      const g2x = guy * e1z - guz * e1y, g2y = guz * e1x - gux * e1z, g2z = gux * e1y - guy * e1x;
      gpw[3 * b] += g1x; gpw[3 * b + 1] += g1y; gpw[3 * b + 2] += g1z;
      gpw[3 * c] += g2x; gpw[3 * c + 1] += g2y; gpw[3 * c + 2] += g2z;
      gpw[3 * a] -= g1x + g2x; gpw[3 * a + 1] -= g1y + g2y; gpw[3 * a + 2] -= g1z + g2z;
    }
    // World -> pose and object-frame vertices: pw = R v + t.
    const R = this.R;
    let tx = 0, ty = 0, tz = 0, wx = 0, wy = 0, wz = 0;
    const t = pose.translation;
    for (let i = 0; i < nV; i++) {
      const gx = gpw[3 * i], gy = gpw[3 * i + 1], gz = gpw[3 * i + 2];
      tx += gx; ty += gy; tz += gz;
      out.vertices[3 * i] = R[0] * gx + R[3] * gy + R[6] * gz;
      out.vertices[3 * i + 1] = R[1] * gx + R[4] * gy + R[7] * gz;
      out.vertices[3 * i + 2] = R[2] * gx + R[5] * gy + R[8] * gz;
      // q = R v = pw - t; dL/dw += q x g (left perturbation R <- exp([w]x) R).
      const qx = pw[3 * i] - t[0], qy = pw[3 * i + 1] - t[1], qz = pw[3 * i + 2] - t[2];
      wx += qy * gz - qz * gy; wy += qz * gx - qx * gz; wz += qx * gy - qy * gx;
    }
    out.translation[0] = tx; out.translation[1] = ty; out.translation[2] = tz;
    const J = leftJacobianSO3(pose.rotation, this.J);
    out.rotation[0] = J[0] * wx + J[3] * wy + J[6] * wz;
    out.rotation[1] = J[1] * wx + J[4] * wy + J[7] * wz;
    out.rotation[2] = J[2] * wx + J[5] * wy + J[8] * wz;
    return out;
  }
}

/** The renderer on this thread. */
export class Renderer {
  readonly setup: RenderSetup;
  readonly image: Float64Array;
  private readonly kernel: RasterKernel;
  private readonly bandAcc: Float64Array;

  constructor(mesh: RenderMesh, camera: Camera, light: Light, opts: RendererOptions = {}) {
    this.setup = new RenderSetup(mesh, camera, light, opts);
    this.kernel = this.setup.newKernel();
    this.image = new Float64Array(4 * camera.width * camera.height);
    this.bandAcc = new Float64Array(this.setup.acc.length);
  }

  /** RGBA image (4 per pixel, rows top to bottom) of the mesh at `pose`; the renderer's buffer. */
  render(pose: Pose, params: RenderParams): Float64Array {
    this.run(pose, params, null);
    return this.image;
  }

  /** Mean squared RGB error to `target` (3 per pixel) and its gradients, into `out`. */
  lossAndGradient(pose: Pose, params: RenderParams, target: Float64Array, out: RenderGradient): RenderGradient {
    const s = this.setup;
    if (target.length !== 3 * s.camera.width * s.camera.height) throw new RangeError(`target has ${target.length} numbers, expected ${3 * s.camera.width * s.camera.height}`);
    this.run(pose, params, target);
    return s.chain(pose, out);
  }

  private run(pose: Pose, params: RenderParams, target: Float64Array | null): void {
    const s = this.setup;
    const kp = s.setParams(params);
    s.project(pose);
    const acc = s.acc, band = this.bandAcc;
    acc.fill(0);
    for (let b = 0; b < s.bands; b++) {
      band.fill(0);
      this.kernel.renderBand(b, s.geom, s.nFaces, kp, this.image, target, band);
      for (let i = 0; i < acc.length; i++) acc[i] += band[i];
    }
  }
}

/** RGB of an RGBA image (e.g. a rendered target). */
export function rgbOf(rgba: Float64Array, out = new Float64Array((rgba.length / 4) * 3)): Float64Array {
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    out[j] = rgba[i]; out[j + 1] = rgba[i + 1]; out[j + 2] = rgba[i + 2];
  }
  return out;
}
