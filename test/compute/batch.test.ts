/**
 * The batch interface (server/compute/batch.ts): the `cpu` and `workers` backends agree bit for
 * bit; the R-DDP provider built on it (smoothed-provider.ts) reproduces SmoothedLinearization
 * bit for bit on the `cpu` backend; the factory (providers.ts) resolves backends and says why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocSmoothBatch, allocStepBatch, CpuBatchBackend, dimsOf } from '../../server/compute/batch.ts';
import { WorkersBatchBackend } from '../../server/compute/workers-backend.ts';
import { BatchSmoothedLinearization } from '../../server/compute/smoothed-provider.ts';
import { createProviders, resolveBackend } from '../../server/compute/providers.ts';
import { defaultSmoothingParams, ExactLinearization, SmoothedLinearization } from '../../server/control/derivative-providers.ts';
import { getTask, resolveParams } from '../../server/control/tasks/index.ts';
import { streamFor } from '../../server/control/rng.ts';
import { mulberry32 } from '../helpers/random-model.ts';

const def = getTask('lift-leg');
const params = resolveParams(def, { horizon: 0.1 });
const built = def.build(params);
const model = built.model;
const dims = dimsOf(model);

/** Random Solo-12 states around the standing posture: some feet touching, some not. */
function randomPairs(count: number, seed: number): ReturnType<typeof allocStepBatch> {
  const rnd = mulberry32(seed);
  const b = allocStepBatch(dims, count);
  for (let i = 0; i < count; i++) {
    const o = i * dims.nx;
    for (let k = 0; k < model.nq; k++) b.x[o + k] = built.x0[k] + 0.05 * (rnd() - 0.5);
    b.x[o + 2] = built.x0[2] + 0.02 * (rnd() - 0.5);
    const n = Math.hypot(b.x[o + 3], b.x[o + 4], b.x[o + 5], b.x[o + 6]);
    for (let k = 3; k < 7; k++) b.x[o + k] /= n;
    for (let k = 0; k < model.nv; k++) b.x[o + model.nq + k] = 0.4 * (rnd() - 0.5);
    for (let k = 0; k < model.nu; k++) b.u[i * model.nu + k] = 2 * (rnd() - 0.5);
  }
  return b;
}

describe('batch interface: cpu and workers', () => {
  const cpu = new CpuBatchBackend(built.sim);
  let workers: WorkersBatchBackend;
  beforeAll(() => { workers = new WorkersBatchBackend({ task: 'lift-leg', params }, built.sim, { size: 2 }); });
  afterAll(async () => { await workers.dispose(); });

  it('steps a batch of pairs identically (shared and plain arrays)', async () => {
    const a = randomPairs(40, 1);
    const b = randomPairs(40, 1);
    await cpu.step(a);
    await workers.step(b); // SharedArrayBuffer-backed: zero copy
    expect(Array.from(b.xNext)).toEqual(Array.from(a.xNext));
    const plain = { count: 40, x: Float64Array.from(a.x), u: Float64Array.from(a.u), xNext: new Float64Array(40 * dims.nx) };
    await workers.step(plain); // plain arrays: copied through the pool's shared buffers
    expect(Array.from(plain.xNext)).toEqual(Array.from(a.xNext));
    // every pair starts cold: the result does not depend on the batch it is in
    const one = randomPairs(40, 1);
    one.count = 1;
    for (let i = 0; i < dims.nx; i++) one.x[i] = a.x[17 * dims.nx + i];
    for (let i = 0; i < dims.nu; i++) one.u[i] = a.u[17 * dims.nu + i];
    await cpu.step(one);
    expect(Array.from(one.xNext.subarray(0, dims.nx))).toEqual(Array.from(a.xNext.subarray(17 * dims.nx, 18 * dims.nx)));
  });

  it('returns the same per-knot smoothed values and zero-order Jacobians', async () => {
    const K = 6, M = 8;
    const mk = () => {
      const r = allocSmoothBatch(dims, K, M, { stdErr: true });
      for (let j = 0; j < dims.n; j++) r.sigma[j] = j >= dims.ndx ? 0.5 : j < model.nv ? 0.001 : 0;
      const rnd = mulberry32(3);
      for (let t = 0; t < K; t++) { r.x.set(built.x0, t * dims.nx); r.u.set(built.uInit[t], t * dims.nu); }
      for (let i = 0; i < r.noise.length; i++) r.noise[i] = (r.sigma[i % dims.n] > 0 ? 1 : 0) * (rnd() - 0.5) * 3;
      return r;
    };
    const a = mk(), b = mk();
    await cpu.smooth(a);
    await workers.smooth(b);
    for (const k of ['f0', 'value', 'J', 'stdErr'] as const) expect(Array.from(b[k]!)).toEqual(Array.from(a[k]!));
    // unperturbed columns are zero
    for (let t = 0; t < K; t++) for (let r = 0; r < dims.ndx; r++) expect(a.J[t * dims.ndx * dims.n + r * dims.n + model.nv + 1]).toBe(0);
  });
});

describe('BatchSmoothedLinearization', () => {
  const T = built.T, ndx = dims.ndx, nu = dims.nu;
  const xs = Array.from({ length: T + 1 }, (_, t) => { const x = built.x0.slice(); x[2] += 0.001 * t; return x; });
  const us = built.uInit.map((u, t) => u.map((x, k) => x + 0.1 * Math.sin(t + k)));

  for (const stateNoiseRatio of [0, 0.01]) {
    it(`equals SmoothedLinearization bit for bit on the cpu backend (stateNoiseRatio ${stateNoiseRatio})`, async () => {
      const smoothing = defaultSmoothingParams({ sigma: 0.5, samples: 8, seed: 11, stateNoiseRatio });
      const ref = new SmoothedLinearization(built.sim, smoothing);
      const prov = new BatchSmoothedLinearization({ backend: new CpuBatchBackend(built.sim), exact: new ExactLinearization(built.sim), model, smoothing });
      const A1 = new Float64Array(T * ndx * ndx), B1 = new Float64Array(T * ndx * nu);
      const A2 = new Float64Array(T * ndx * ndx), B2 = new Float64Array(T * ndx * nu);
      for (const iteration of [0, 3]) {
        ref.linearize(xs, us, A1, B1, { iteration });
        await prov.linearize(xs, us, A2, B2, { iteration });
        expect(Array.from(A2)).toEqual(Array.from(A1));
        expect(Array.from(B2)).toEqual(Array.from(B1));
      }
      // sigma = 0: the exact linearization
      prov.setNoise(0, 8);
      ref.setNoise(0, 8);
      ref.linearize(xs, us, A1, B1, { iteration: 5 });
      await prov.linearize(xs, us, A2, B2, { iteration: 5 });
      expect(Array.from(B2)).toEqual(Array.from(B1));
    });
  }

  it('uses the per-(seed, knot, iteration) streams of rng.ts', () => {
    // the draw order the GPU path relies on: one gaussian per perturbed coordinate, row by row
    const r = streamFor(11, 2, 3);
    const a = new Float64Array(4);
    r.fillGaussian(a, 0, 4);
    const r2 = streamFor(11, 2, 3);
    expect(Array.from({ length: 4 }, () => r2.nextGaussian())).toEqual(Array.from(a));
  });
});

describe('backend selection', () => {
  it('keeps explicit choices and resolves auto from the adapter', async () => {
    expect((await resolveBackend('cpu')).backend).toBe('cpu');
    expect((await resolveBackend('workers')).backend).toBe('workers');
    const none = await resolveBackend('auto', async () => null);
    expect(none.backend).toBe('workers');
    expect(none.reason).toMatch(/no WebGPU adapter/);
    const failing = await resolveBackend('auto', async () => { throw new Error('driver exploded'); });
    expect(failing.backend).toBe('workers');
    const soft = { info: { description: 'llvmpipe (LLVM 15)', architecture: 'software', vendor: 'mesa', isFallbackAdapter: true } } as unknown as GPUAdapter;
    const s = await resolveBackend('auto', async () => soft);
    expect(s.backend).toBe('workers');
    expect(s.reason).toMatch(/software WebGPU adapter/);
    const hard = { info: { description: 'NVIDIA H100', architecture: 'hopper', vendor: 'nvidia' } } as unknown as GPUAdapter;
    expect((await resolveBackend('auto', async () => hard)).backend).toBe('webgpu');
  });

  it('gives DDP exact derivatives on the worker pool when webgpu is asked, and says so', async () => {
    const p = await createProviders({ backend: 'webgpu', task: 'lift-leg', params, built, smoothing: null, workers: 1 });
    try {
      expect(p.info.requested).toBe('webgpu');
      expect(p.info.backend).toBe('workers');
      expect(p.info.reason).toMatch(/DDP needs exact derivatives/);
      expect(p.smooth).toBeNull();
    } finally {
      await p.dispose();
    }
  });
});
