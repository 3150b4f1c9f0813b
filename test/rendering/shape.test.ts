import { describe, expect, it } from 'vitest';
import { icosphere, meshEdges } from '../../server/rendering/icosphere.ts';
import { UniformLaplacian } from '../../server/rendering/laplacian.ts';
import { voxelIoU, voxelize, gridFor } from '../../server/rendering/voxel-iou.ts';
import { SilhouetteRenderer, alphaOf, maskIoU } from '../../server/rendering/silhouette-loss.ts';
import { newGradient, newPose, type Pose, type RenderParams } from '../../server/rendering/renderer.ts';
import { coloredCube, lookAtCamera, type RenderMesh } from '../../server/rendering/scene.ts';
import { shapeCameras, targetMasks } from '../../server/rendering/shape-scene.ts';
import { fitShape } from '../../server/rendering/shape-fit.ts';
import { sampledAllocations } from '../helpers/heap-sampling.ts';

const HARD: RenderParams = { mode: 'hard', sigma: 1e-3, gamma: 1e-2, samples: 1, noise: 'gaussian', seed: 1, iteration: 0 };

function renderMesh(m: { vertices: Float64Array; faces: Uint32Array }): RenderMesh {
  return { vertices: m.vertices, faces: m.faces, faceColors: new Float64Array(m.faces.length).fill(0.7) };
}

/** A box of half extents (a, b, c), 12 triangles, outward. */
function box(a: number, b: number, c: number, shift = [0, 0, 0]): RenderMesh {
  const cube = coloredCube();
  const v = Float64Array.from(cube.vertices, (x, i) => x * [a, b, c][i % 3] + shift[i % 3]);
  return { vertices: v, faces: cube.faces, faceColors: cube.faceColors };
}

/** Signed volume of a closed triangle mesh (positive when its faces are outward). */
function volume(v: Float64Array, f: Uint32Array): number {
  let s = 0;
  for (let k = 0; k < f.length; k += 3) {
    const a = 3 * f[k], b = 3 * f[k + 1], c = 3 * f[k + 2];
    s += v[a] * (v[b + 1] * v[c + 2] - v[b + 2] * v[c + 1]) - v[a + 1] * (v[b] * v[c + 2] - v[b + 2] * v[c]) + v[a + 2] * (v[b] * v[c + 1] - v[b + 1] * v[c]);
  }
  return s / 6;
}

describe('icosphere', () => {
  it('is a closed genus-0 mesh (V - E + F = 2) on the sphere, outward, with near-uniform edges', () => {
    for (let level = 0; level <= 3; level++) {
      const m = icosphere(level, 0.7);
      const V = m.vertices.length / 3, F = m.faces.length / 3, E = meshEdges(m.faces).length / 2;
      expect(V).toBe(10 * 4 ** level + 2);
      expect(F).toBe(20 * 4 ** level);
      expect(V - E + F).toBe(2);
      expect(2 * E).toBe(3 * F); // every edge shared by exactly two faces
      for (let i = 0; i < V; i++) expect(Math.hypot(m.vertices[3 * i], m.vertices[3 * i + 1], m.vertices[3 * i + 2])).toBeCloseTo(0.7, 12);
      const edges = meshEdges(m.faces);
      let lo = Infinity, hi = 0;
      for (let e = 0; e < edges.length; e += 2) {
        const a = 3 * edges[e], b = 3 * edges[e + 1];
        const len = Math.hypot(m.vertices[a] - m.vertices[b], m.vertices[a + 1] - m.vertices[b + 1], m.vertices[a + 2] - m.vertices[b + 2]);
        lo = Math.min(lo, len); hi = Math.max(hi, len);
      }
      if (level === 0) expect(hi / lo).toBeCloseTo(1, 12); // the icosahedron's edges are all equal
      else expect(hi / lo).toBeLessThan(1.25);
      // Outward faces: positive volume, approaching the ball's.
      const vol = volume(m.vertices, m.faces), ball = (4 / 3) * Math.PI * 0.7 ** 3;
      expect(vol).toBeGreaterThan(0);
      if (level === 3) expect(vol / ball).toBeGreaterThan(0.98);
    }
  });
});

/** A regular planar triangle grid (n x n vertices, spacing 1) in the z = 0 plane. */
function planarGrid(n: number): { vertices: Float64Array; faces: Uint32Array; interior: number[] } {
  const v: number[] = [], f: number[] = [], interior: number[] = [];
  for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) {
    v.push(i + 0.5 * j, (j * Math.sqrt(3)) / 2, 0);
    if (i > 0 && j > 0 && i < n - 1 && j < n - 1) interior.push(j * n + i);
  }
  for (let j = 0; j < n - 1; j++) for (let i = 0; i < n - 1; i++) {
    const a = j * n + i;
    f.push(a, a + 1, a + n, a + 1, a + n + 1, a + n);
  }
  return { vertices: Float64Array.from(v), faces: Uint32Array.from(f), interior };
}

describe('uniform Laplacian', () => {
  it('is zero inside a regular planar grid and after any affine map of it', () => {
    const g = planarGrid(6);
    const L = new UniformLaplacian(g.vertices.length / 3, g.faces);
    const A = [1.3, -0.4, 0.2, 0.5, 0.9, -0.7, 0.1, 0.3, 1.1], b = [0.3, -2, 5];
    const mapped = new Float64Array(g.vertices.length);
    for (let i = 0; i < g.vertices.length / 3; i++) for (let r = 0; r < 3; r++) {
      mapped[3 * i + r] = A[3 * r] * g.vertices[3 * i] + A[3 * r + 1] * g.vertices[3 * i + 1] + A[3 * r + 2] * g.vertices[3 * i + 2] + b[r];
    }
    for (const v of [g.vertices, mapped]) {
      const lv = L.apply(v);
      for (const i of g.interior) for (let r = 0; r < 3; r++) expect(Math.abs(lv[3 * i + r])).toBeLessThan(1e-12);
      // Boundary vertices are not at their neighbours' mean: the term is not trivially zero.
      expect(Math.hypot(lv[0], lv[1], lv[2])).toBeGreaterThan(0.1);
    }
  });

  it('commutes with affine maps (rows sum to zero) and its gradient = central differences', () => {
    const m = icosphere(1, 1);
    const n = m.vertices.length / 3;
    const v = Float64Array.from(m.vertices, (x, i) => x + 0.1 * Math.sin(7 * i));
    const L = new UniformLaplacian(n, m.faces);
    const lv = Float64Array.from(L.apply(v));
    const shifted = Float64Array.from(v, (x, i) => 2 * x + [1, -3, 0.5][i % 3]);
    const ls = L.apply(shifted);
    for (let k = 0; k < lv.length; k++) expect(ls[k]).toBeCloseTo(2 * lv[k], 12);
    const grad = new Float64Array(3 * n);
    const w = 0.7;
    const loss = L.lossAndGradient(v, grad, w);
    expect(loss).toBeGreaterThan(0);
    const h = 1e-6;
    for (const k of [0, 4, 17, 35, 100, 3 * n - 1]) {
      const vp = Float64Array.from(v), vm = Float64Array.from(v);
      vp[k] += h; vm[k] -= h;
      const fd = (w * (L.lossAndGradient(vp, new Float64Array(3 * n)) - L.lossAndGradient(vm, new Float64Array(3 * n)))) / (2 * h);
      expect(Math.abs(grad[k] - fd)).toBeLessThan(1e-7 * Math.max(1, Math.abs(fd)));
    }
  });
});

describe('voxel IoU', () => {
  it('cube vs shifted cube, concentric spheres, volumes: the analytic values within the grid resolution', () => {
    const a = box(1, 1, 1), b = box(1, 1, 1, [0.5, 0, 0]);
    const r = voxelIoU(a, b, 50);
    expect(Math.abs(r.iou - 0.6)).toBeLessThan(0.03); // overlap 1.5 x 2 x 2 = 6, union 10
    // Exactly the voxels whose centres lie in the cube.
    const grid = gridFor([box(1.3, 1.3, 1.3, [0.2, 0, 0])], 37);
    const occ = voxelize(a, grid);
    let expected = 0, got = 0;
    for (let k = 0; k < 37; k++) for (let j = 0; j < 37; j++) for (let i = 0; i < 37; i++) {
      const c = [i, j, k].map((q, ax) => grid.lo[ax] + (q + 0.5) * grid.h);
      const inside = c.every((x) => Math.abs(x) < 1) ? 1 : 0;
      expected += inside;
      got += occ[i + 37 * (j + 37 * k)] === inside ? 1 : 0;
    }
    expect(got).toBe(37 ** 3);
    expect(expected).toBeGreaterThan(1000);
    expect(voxelIoU(a, a, 20).iou).toBe(1);
    // Disjoint boxes.
    expect(voxelIoU(a, box(1, 1, 1, [3, 0, 0]), 40).iou).toBe(0);
    // Concentric spheres r = 1 and 0.8: IoU = 0.8^3 = 0.512 (both polyhedra lose the same fraction).
    const s1 = icosphere(4, 1), s2 = icosphere(4, 0.8);
    const rs = voxelIoU(s1, s2, 64);
    expect(Math.abs(rs.iou - 0.512)).toBeLessThan(0.02);
    expect(Math.abs(rs.volumeA - (4 / 3) * Math.PI) / ((4 / 3) * Math.PI)).toBeLessThan(0.03);
  });

  it('a mesh with flipped faces voxelizes the same (parity ignores orientation)', () => {
    const s = icosphere(3, 1);
    const flipped = Uint32Array.from(s.faces, (_, i) => s.faces[i - (i % 3) + [0, 2, 1][i % 3]]);
    const grid = gridFor([s], 32);
    expect(voxelize({ vertices: s.vertices, faces: flipped }, grid)).toEqual(voxelize(s, grid));
  });
});

function fdSil(r: SilhouetteRenderer, pose: Pose, p: RenderParams, mask: Float64Array, k: number, h: number): number {
  const v = r.setup.vertices, x = v[k];
  const g = newGradient(r.setup.nVertices);
  v[k] = x + h; const lp = r.lossAndGradient(pose, p, mask, g).loss;
  v[k] = x - h; const lm = r.lossAndGradient(pose, p, mask, g).loss;
  v[k] = x;
  return (lp - lm) / (2 * h);
}

describe('silhouette loss (1 - soft IoU)', () => {
  const cam = lookAtCamera({ distance: 4.5, elevationDeg: 25, azimuthDeg: 40, size: 24 });
  const sphere = icosphere(1, 0.9);
  const targetMask = alphaOf(new SilhouetteRenderer(box(1, 0.6, 0.5), cam).render(newPose(), HARD));

  it('hard: the loss is 1 - IoU of the hard silhouettes, with a null gradient', () => {
    const r = new SilhouetteRenderer(renderMesh(sphere), cam);
    const own = alphaOf(r.render(newPose(), HARD));
    const g = r.lossAndGradient(newPose(), HARD, targetMask, newGradient(r.setup.nVertices));
    expect(g.loss).toBeCloseTo(1 - maskIoU(own, targetMask), 12);
    expect(g.loss).toBeGreaterThan(0.05);
    expect(g.vertices.every((x) => x === 0)).toBe(true);
  });

  it('softras: gradient in vertices, pose and sigma = central differences of its own loss', () => {
    const r = new SilhouetteRenderer(renderMesh(sphere), cam);
    // blur 30: fragments out to coverage e^-30, so that the sigma difference does not move
    // faces in or out of the fragment lists by a visible jump (the default cut is at 1e-4).
    const p: RenderParams = { ...HARD, mode: 'softras', sigma: 3e-3, blur: 30 };
    const pose = newPose([0.1, 0.2, -0.1], [0.05, 0, 0]);
    const g = r.lossAndGradient(pose, p, targetMask, newGradient(r.setup.nVertices));
    const check = (an: number, fd: number) => expect(Math.abs(an - fd)).toBeLessThan(1e-4 * Math.abs(fd) + 1e-8);
    let norm = 0;
    for (const k of [0, 1, 2, 10, 31, 77, 100, 125]) {
      check(g.vertices[k], fdSil(r, pose, p, targetMask, k, 1e-6));
      norm += g.vertices[k] ** 2;
    }
    expect(Math.sqrt(norm)).toBeGreaterThan(1e-3);
    const h = 1e-7;
    const ls = (q: RenderParams, ps = pose) => r.lossAndGradient(ps, q, targetMask, newGradient(r.setup.nVertices)).loss;
    check(g.sigma, (ls({ ...p, sigma: p.sigma + h }) - ls({ ...p, sigma: p.sigma - h })) / (2 * h));
    for (let i = 0; i < 3; i++) {
      const tp = newPose(pose.rotation, pose.translation), tm = newPose(pose.rotation, pose.translation);
      tp.translation[i] += 1e-6; tm.translation[i] -= 1e-6;
      check(g.translation[i], (ls(p, tp) - ls(p, tm)) / 2e-6);
    }
    expect(g.gamma).toBe(0);
  });

  it('perturbed: zero-order gradient = finite differences of its smoothed output (statistical)', () => {
    const r = new SilhouetteRenderer(renderMesh(sphere), cam, { maxSamples: 1000 });
    const base: RenderParams = { mode: 'perturbed', sigma: 1e-2, gamma: 1e-2, samples: 1000, noise: 'gaussian', seed: 5, iteration: 0 };
    const pose = newPose();
    // Coordinates of silhouette vertices (large gradients) and sigma.
    const g0 = r.lossAndGradient(pose, { ...base, mode: 'softras' }, targetMask, newGradient(r.setup.nVertices));
    const order = Array.from(g0.vertices.keys()).sort((a, b) => Math.abs(g0.vertices[b]) - Math.abs(g0.vertices[a])).slice(0, 3);
    const est: number[][] = [], fd: number[][] = [];
    for (const iteration of [0, 1, 2, 3]) {
      const p = { ...base, iteration };
      const g = r.lossAndGradient(pose, p, targetMask, newGradient(r.setup.nVertices));
      est.push([...order.map((k) => g.vertices[k]), g.sigma]);
      const ls = (q: RenderParams) => r.lossAndGradient(pose, q, targetMask, newGradient(r.setup.nVertices)).loss;
      fd.push([...order.map((k) => fdSil(r, pose, p, targetMask, k, 0.02)), (ls({ ...p, sigma: p.sigma + 2e-3 }) - ls({ ...p, sigma: p.sigma - 2e-3 })) / 4e-3]);
    }
    const mean = (xs: number[][], i: number) => xs.reduce((s, x) => s + x[i], 0) / xs.length;
    const se = (xs: number[][], i: number) => {
      const m = mean(xs, i);
      return Math.sqrt(xs.reduce((s, x) => s + (x[i] - m) ** 2, 0) / (xs.length - 1) / xs.length);
    };
    for (let i = 0; i < est[0].length; i++) {
      const e = mean(est, i), f = mean(fd, i);
      const tol = 0.25 * Math.abs(f) + 3 * Math.hypot(se(est, i), se(fd, i));
      expect(Math.abs(e - f), `${i}: estimate ${e} vs differences ${f}`).toBeLessThan(tol);
      expect(Math.abs(f), `${i}: ${f} ± ${se(fd, i)}`).toBeGreaterThan(3 * se(fd, i));
    }
  });
});

describe('shape fit', () => {
  it('deforming a sphere towards a box from 6 silhouettes raises the 3D IoU (softras and perturbed); hard does not fit', () => {
    const target = box(1, 0.55, 0.4);
    const cams = shapeCameras(6, 32, 1);
    const masks = targetMasks(target, cams);
    const ico = icosphere(2, 0.6);
    const before = voxelIoU(ico, target, 32).iou;
    const after: Record<string, number> = {};
    for (const method of ['softras', 'perturbed', 'hard'] as const) {
      const views = cams.map((c, i) => ({ renderer: new SilhouetteRenderer(renderMesh(ico), c), mask: masks[i] }));
      const res = fitShape(views, ico.vertices, ico.faces, { method, iterations: 60, lr: 2e-2, sigma: 3e-3, seed: 2 });
      after[method] = voxelIoU({ vertices: res.vertices, faces: ico.faces }, target, 32).iou;
      if (method !== 'hard') expect(res.telemetry[59].silhouette).toBeLessThan(res.telemetry[0].silhouette);
    }
    expect(after.softras, JSON.stringify({ before, after })).toBeGreaterThan(before + 0.05);
    expect(after.perturbed, JSON.stringify({ before, after })).toBeGreaterThan(before + 0.05);
    expect(after.hard).toBeLessThan(before + 0.05);
  });
});

describe('silhouette path', () => {
  // As the renderer's test: V8's sampling heap profiler attributes allocations to stacks; the
  // bytes sampled under server/rendering/ frames are the silhouette renderer's own.
  it('allocates nothing per pixel once warm (loss and gradient, every mode)', async () => {
    const cam = lookAtCamera({ distance: 4.5, elevationDeg: 25, azimuthDeg: 40, size: 24 });
    const mask = alphaOf(new SilhouetteRenderer(box(1, 0.6, 0.5), cam).render(newPose(), HARD));
    const r = new SilhouetteRenderer(renderMesh(icosphere(2, 0.9)), cam);
    const out = newGradient(r.setup.nVertices);
    const pose = newPose([0.2, -0.1, 0.3]);
    const params: RenderParams[] = (['hard', 'softras', 'perturbed'] as const).map((mode) => ({ ...HARD, mode, sigma: 2e-3, samples: 8 }));
    const run = (n: number) => {
      for (let k = 0; k < n; k++) {
        const p = params[k % 3];
        p.iteration = k;
        r.lossAndGradient(pose, p, mask, out);
      }
    };
    for (let w = 0; w < 40; w++) run(30);
    const { bytes, where } = await sampledAllocations(() => run(150), '/server/rendering/');
    // One boxed number per pixel would be 16 bytes x 576 pixels per call; a few hundred bytes per
    // call remain (about 200 per band of rows, measured, in silhouetteBand), none per pixel.
    expect(bytes / 150, where.join(', ')).toBeLessThan(2 * 24 * 24); // bytes per call
  });
});
