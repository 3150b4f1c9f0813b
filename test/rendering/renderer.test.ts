import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { binaryStl, cubeObj, cubeTriangles } from '../helpers/mesh-fixtures.ts';
import { objectMesh, poseScene } from '../../server/rendering/objects.ts';
import { describe, expect, it } from 'vitest';
import { Renderer, newGradient, newPose, rgbOf, type Pose, type RenderParams } from '../../server/rendering/renderer.ts';
import { cameraLookAt, coloredCube, defaultLight, lookAtCamera, type RenderMesh } from '../../server/rendering/scene.ts';
import { expSO3, leftJacobianSO3, logSO3, rotationAngleDeg } from '../../server/rendering/rotation.ts';
import { sampledAllocations } from '../helpers/heap-sampling.ts';

const HARD: RenderParams = { mode: 'hard', sigma: 1e-3, gamma: 1e-2, samples: 1, noise: 'gaussian', seed: 1, iteration: 0 };
const noLight = { direction: new Float64Array([0, 0, 1]), ambient: 1, diffuse: 0 };

/** A flat mesh of triangles given by world corners (one colour each). */
function triangles(tris: number[][][], colors: number[][]): RenderMesh {
  const vertices = new Float64Array(tris.flat(2));
  const faces = Uint32Array.from(tris.flatMap((_, k) => [3 * k, 3 * k + 1, 3 * k + 2]));
  return { vertices, faces, faceColors: new Float64Array(colors.flat()) };
}

describe('rotations', () => {
  it('exp/log round trip and the left Jacobian against finite differences', () => {
    const r = [0.3, -1.2, 0.7];
    const R = expSO3(r, new Float64Array(9));
    const back = logSO3(R, new Float64Array(3));
    for (let i = 0; i < 3; i++) expect(back[i]).toBeCloseTo(r[i], 12);
    // R(r + h e_i) R(r)^T = exp([J e_i h]x): its axis-angle / h is column i of J.
    const J = leftJacobianSO3(r, new Float64Array(9));
    const h = 1e-6;
    for (let i = 0; i < 3; i++) {
      const rp = [...r], rm = [...r];
      rp[i] += h; rm[i] -= h;
      const Rp = expSO3(rp, new Float64Array(9)), Rm = expSO3(rm, new Float64Array(9));
      // Rp Rm^T
      const D = new Float64Array(9);
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) D[3 * a + b] = Rp[3 * a] * Rm[3 * b] + Rp[3 * a + 1] * Rm[3 * b + 1] + Rp[3 * a + 2] * Rm[3 * b + 2];
      const w = logSO3(D, new Float64Array(3));
      for (let k = 0; k < 3; k++) expect(w[k] / (2 * h)).toBeCloseTo(J[3 * k + i], 6);
    }
    expect(rotationAngleDeg(R, expSO3([0.3, -1.2, 0.7 + 0.1], new Float64Array(9)))).toBeGreaterThan(0);
    expect(rotationAngleDeg(expSO3([0, 0, 0.5], new Float64Array(9)), expSO3([0, 0, -0.5], new Float64Array(9)))).toBeCloseTo((180 / Math.PI) * 1, 10);
  });
});

describe('hard renderer', () => {
  it('covers exactly the pixel centres inside a square facing the camera', () => {
    for (const [size, a] of [[32, 1], [33, 0.77], [64, 1.3]] as const) {
      const d = 5;
      const cam = cameraLookAt([0, 0, d], [0, 0, 0], [0, 1, 0], 60, size, size);
      const sq = triangles([[[-a, -a, 0], [a, -a, 0], [a, a, 0]], [[-a, -a, 0], [a, a, 0], [-a, a, 0]]], [[1, 0, 0], [1, 0, 0]]);
      const r = new Renderer(sq, cam, noLight);
      const img = r.render(newPose(), HARD);
      // NDC half-width of the square: f a / d; pixel centre i at (2i + 1)/size - 1.
      const h = (cam.focal * a) / d;
      const inside = (i: number) => Math.abs((2 * i + 1) / size - 1) < h;
      let expected = 0;
      for (let i = 0; i < size; i++) if (inside(i)) expected++;
      let covered = 0;
      for (let p = 0; p < size * size; p++) {
        const x = p % size, y = Math.floor(p / size);
        const want = inside(x) && inside(y) ? 1 : 0;
        expect(img[4 * p + 3]).toBe(want);
        expect(img[4 * p]).toBe(want);
        covered += img[4 * p + 3];
      }
      expect(covered).toBe(expected * expected);
    }
  });

  it('draws the nearer of two overlapping triangles, whatever their order', () => {
    const cam = cameraLookAt([0, 0, 5], [0, 0, 0], [0, 1, 0], 60, 32, 32);
    const near = [[-1, -1, 0.5], [1, -1, 0.5], [0, 1, 0.5]];
    const far = [[-1, 1, -0.5], [0, -1, -0.5], [1, 1, -0.5]];
    for (const swap of [false, true]) {
      const mesh = swap ? triangles([far, near], [[0, 0, 1], [1, 0, 0]]) : triangles([near, far], [[1, 0, 0], [0, 0, 1]]);
      const img = new Renderer(mesh, cam, noLight).render(newPose(), HARD);
      let overlap = 0, blueOnly = 0;
      for (let p = 0; p < 32 * 32; p++) {
        const x = (2 * (p % 32) + 1) / 32 - 1, y = 1 - (2 * Math.floor(p / 32) + 1) / 32;
        if (Math.abs(x) < 0.05 && Math.abs(y) < 0.05) { // centre: both triangles
          expect([img[4 * p], img[4 * p + 2]]).toEqual([1, 0]);
          overlap++;
        }
        if (img[4 * p + 2] === 1) blueOnly++;
      }
      expect(overlap).toBeGreaterThan(0);
      expect(blueOnly).toBeGreaterThan(0); // the far triangle shows where the near one does not cover
    }
    // Moving the blue triangle in front flips the centre.
    const mesh = triangles([near, far.map(([x, y]) => [x, y, 1.5])], [[1, 0, 0], [0, 0, 1]]);
    const img = new Renderer(mesh, cam, noLight).render(newPose(), HARD);
    const c = 16 * 32 + 16;
    expect([img[4 * c], img[4 * c + 2]]).toEqual([0, 1]);
  });

  it('has a null gradient (and a finite loss)', () => {
    const cam = lookAtCamera({ distance: 6.7, elevationDeg: 30, azimuthDeg: 120, size: 32 });
    const r = new Renderer(coloredCube(), cam, defaultLight(cam));
    const target = rgbOf(r.render(newPose([0.3, 0.5, 0.1]), HARD));
    const g = r.lossAndGradient(newPose([0.5, 0.4, 0.2]), HARD, target, newGradient(8));
    expect(g.loss).toBeGreaterThan(0);
    for (const a of [g.rotation, g.translation, g.vertices]) for (const v of a) expect(v).toBe(0);
  });
});

/** Central differences of the loss along one pose or vertex coordinate. */
function fdLoss(r: Renderer, pose: Pose, params: RenderParams, target: Float64Array, which: 'rotation' | 'translation' | 'vertex', i: number, h: number): number {
  const at = (s: number) => {
    const q = { rotation: Float64Array.from(pose.rotation), translation: Float64Array.from(pose.translation) };
    const v = r.setup.vertices;
    const keep = v[i];
    if (which === 'vertex') v[i] += s * h;
    else q[which][i] += s * h;
    const l = r.lossAndGradient(q, params, target, newGradient(r.setup.nVertices)).loss;
    v[i] = keep;
    return l;
  };
  return (at(1) - at(-1)) / (2 * h);
}

describe('softras', () => {
  it('gradient in pose, vertices, sigma and gamma = central differences of its own loss', () => {
    const cam = lookAtCamera({ distance: 6.7, elevationDeg: 30, azimuthDeg: 120, size: 32 });
    const r = new Renderer(coloredCube(), cam, defaultLight(cam));
    const target = rgbOf(r.render(newPose([0.3, 0.5, 0.1]), HARD));
    const p: RenderParams = { ...HARD, mode: 'softras', sigma: 3e-3, gamma: 3e-2 };
    const pose = newPose([0.5, 0.4, 0.2], [0.1, -0.05, 0.2]);
    const g = r.lossAndGradient(pose, p, target, newGradient(8));
    const check = (an: number, fd: number) => expect(Math.abs(an - fd)).toBeLessThan(1e-4 * Math.abs(fd) + 1e-8);
    let norm = 0;
    for (let i = 0; i < 3; i++) {
      check(g.rotation[i], fdLoss(r, pose, p, target, 'rotation', i, 1e-5));
      check(g.translation[i], fdLoss(r, pose, p, target, 'translation', i, 1e-5));
      norm += g.rotation[i] ** 2;
    }
    expect(Math.sqrt(norm)).toBeGreaterThan(1e-4); // not a trivially null gradient
    for (const i of [0, 5, 13, 22]) check(g.vertices[i], fdLoss(r, pose, p, target, 'vertex', i, 1e-5));
    const h = 1e-6;
    const ls = (q: RenderParams) => r.lossAndGradient(pose, q, target, newGradient(8)).loss;
    check(g.sigma, (ls({ ...p, sigma: p.sigma + h }) - ls({ ...p, sigma: p.sigma - h })) / (2 * h));
    check(g.gamma, (ls({ ...p, gamma: p.gamma + h }) - ls({ ...p, gamma: p.gamma - h })) / (2 * h));
  });
});

describe('perturbed', () => {
  // The smoothed loss at M = 1000 samples, estimator averaged over 4 noise keys, against central
  // differences of the same smoothed loss (common random numbers per key). gamma = 0.5 keeps the
  // silhouette edge smooth at this M (with small gamma the smoothed output's edge sits where the
  // Monte Carlo coverage first vanishes, a jump no finite difference of M samples resolves).
  for (const noise of ['gaussian', 'cauchy'] as const) {
    it(`${noise}: zero-order gradient = finite differences of its smoothed output (statistical)`, () => {
      const cam = lookAtCamera({ distance: 6.7, elevationDeg: 30, azimuthDeg: 120, size: noise === 'cauchy' ? 12 : 16 });
      const r = new Renderer(coloredCube(), cam, defaultLight(cam), { maxSamples: 1000 });
      const target = rgbOf(r.render(newPose([0.3, 0.5, 0.1]), HARD));
      const pose = newPose([0.45, 0.4, 0.2], [0.05, 0, 0]);
      // Cauchy tails reach far: fragments out to 100 sigma so that the truncation is small; its
      // sigma derivative is not compared (the finite difference also moves the truncation).
      const base: RenderParams = { mode: 'perturbed', sigma: 1e-2, gamma: 0.5, samples: 1000, noise, seed: 3, iteration: 0, blur: noise === 'cauchy' ? 100 : undefined };
      const keys = [0, 1, 2, 3];
      const names = ['rx', 'ry', 'ty', 'sigma', 'gamma'];
      const est: number[][] = [], fd: number[][] = [];
      for (const it of keys) {
        const p = { ...base, iteration: it };
        const g = r.lossAndGradient(pose, p, target, newGradient(8));
        est.push([g.rotation[0], g.rotation[1], g.translation[1], g.sigma, g.gamma]);
        const ls = (q: RenderParams) => r.lossAndGradient(pose, q, target, newGradient(8)).loss;
        fd.push([
          fdLoss(r, pose, p, target, 'rotation', 0, 0.01),
          fdLoss(r, pose, p, target, 'rotation', 1, 0.01),
          fdLoss(r, pose, p, target, 'translation', 1, 0.01),
          (ls({ ...p, sigma: p.sigma + 1e-3 }) - ls({ ...p, sigma: p.sigma - 1e-3 })) / 2e-3,
          (ls({ ...p, gamma: p.gamma + 0.05 }) - ls({ ...p, gamma: p.gamma - 0.05 })) / 0.1,
        ]);
      }
      const mean = (xs: number[][], i: number) => xs.reduce((s, x) => s + x[i], 0) / xs.length;
      const se = (xs: number[][], i: number) => {
        const m = mean(xs, i);
        return Math.sqrt(xs.reduce((s, x) => s + (x[i] - m) ** 2, 0) / (xs.length - 1) / xs.length);
      };
      for (let i = 0; i < names.length; i++) {
        if (noise === 'cauchy' && names[i] === 'sigma') continue;
        const e = mean(est, i), f = mean(fd, i);
        const tol = 0.25 * Math.abs(f) + 3 * Math.hypot(se(est, i), se(fd, i));
        expect(Math.abs(e - f), `${names[i]}: estimate ${e} vs differences ${f}`).toBeLessThan(tol);
        expect(Math.abs(f), `${names[i]}: ${f} ± ${se(fd, i)}`).toBeGreaterThan(3 * se(fd, i)); // the compared derivative is not noise
      }
    });
  }

  it('is reproducible for a seed and changes with it', () => {
    const cam = lookAtCamera({ distance: 6.7, elevationDeg: 30, azimuthDeg: 120, size: 24 });
    const r = new Renderer(coloredCube(), cam, defaultLight(cam));
    const p: RenderParams = { mode: 'perturbed', sigma: 1e-3, gamma: 1e-2, samples: 8, noise: 'gaussian', seed: 7, iteration: 3 };
    const a = Float64Array.from(r.render(newPose([0.2, 0.1, 0]), p));
    const b = Float64Array.from(r.render(newPose([0.2, 0.1, 0]), p));
    const c = Float64Array.from(r.render(newPose([0.2, 0.1, 0]), { ...p, seed: 8 }));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });
});

describe('single-thread path', () => {
  // V8's sampling heap profiler (one sample per 128 bytes on average) attributes allocations to
  // stacks: the bytes sampled under any frame of server/rendering/ are the renderer's own,
  // whatever the test runner allocates meanwhile.
  it('allocates nothing in its per-pixel loops once warm (loss and gradient, every mode)', async () => {
    const cam = lookAtCamera({ distance: 6.7, elevationDeg: 30, azimuthDeg: 120, size: 24 });
    const r = new Renderer(coloredCube(), cam, defaultLight(cam));
    const target = rgbOf(r.render(newPose([0.3, 0.5, 0.1]), HARD));
    const out = newGradient(8);
    const pose = newPose([0.5, 0.4, 0.2]);
    const params: RenderParams[] = (['hard', 'softras', 'perturbed'] as const).map((mode) => ({ ...HARD, mode, sigma: 2e-3, gamma: 2e-2, samples: 8 }));
    const run = (n: number) => {
      for (let k = 0; k < n; k++) {
        const p = params[k % 3];
        p.iteration = k;
        r.lossAndGradient(pose, p, target, out);
      }
    };
    for (let w = 0; w < 30; w++) run(30);
    const { bytes, where } = await sampledAllocations(() => run(300), '/server/rendering/');
    // Per call, not per pixel: a 24 x 24 image has hundreds of fragments, so one allocation in a
    // per-pixel loop would show as kilobytes; a few boxed numbers per call (pose, parameters) may remain.
    expect(bytes / 300, where.join(', ')).toBeLessThan(256); // bytes per call
  });
});

describe('noise', () => {
  it("the kernel's draws are noise.ts's variates (its hash and quantile are written out in the kernel)", async () => {
    const { noiseKey, sampleBase, uniformAt, variate } = await import('../../server/rendering/noise.ts');
    const { RasterKernel } = await import('../../server/rendering/kernel.ts');
    const k = new RasterKernel(4, 4, 4, 4);
    let n = 0;
    for (const kind of [0, 1]) {
      for (let pix = 0; pix < 50; pix++) {
        for (const s of [0, 1, 77]) {
          for (const slot of [0, 5, 1234]) {
            const key = noiseKey(9, pix);
            expect(k.drawFor(kind, key, pix, s, slot)).toBe(variate(kind, uniformAt(sampleBase(key, pix, s), slot)));
            n++;
          }
        }
      }
    }
    expect(n).toBe(900);
    // Gaussian draws are bounded by GAUSS_MAX (what the kernel's exact shortcuts rely on).
    const { GAUSS_MAX, normalQuantile } = await import('../../server/rendering/noise.ts');
    expect(normalQuantile(0.5 / 4294967296)).toBe(-GAUSS_MAX);
    expect(-normalQuantile(1 - 0.5 / 4294967296)).toBeLessThanOrEqual(GAUSS_MAX * (1 + 1e-9));
  });
});

describe('meshes from files', () => {
  it('an OBJ and an STL cube (model loader) render the coloured cube\'s silhouette', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'render-mesh-'));
    writeFileSync(path.join(dir, 'cube.obj'), cubeObj());
    writeFileSync(path.join(dir, 'cube.stl'), binaryStl(cubeTriangles()));
    const scene = poseScene('cube', 32);
    const pose = newPose([0.3, -0.4, 0.2]);
    const silhouette = (mesh: RenderMesh) => {
      const img = new Renderer(mesh, scene.camera, scene.light).render(pose, HARD);
      return Array.from({ length: 32 * 32 }, (_, p) => img[4 * p + 3]);
    };
    const ref = silhouette(objectMesh('cube'));
    expect(ref.reduce((a, b) => a + b, 0)).toBeGreaterThan(50);
    for (const f of ['cube.obj', 'cube.stl']) {
      const m = objectMesh(path.join(dir, f));
      expect(m.faces.length).toBe(36);
      expect(Math.max(...m.vertices.map(Math.abs))).toBeCloseTo(1, 6); // scaled to half-extent 1
      expect(silhouette(m)).toEqual(ref);
    }
    expect(() => objectMesh(path.join(dir, 'cube.ply'))).toThrow(/unknown object/);
  });
});
