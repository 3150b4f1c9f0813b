/**
 * The `webgpu` backend (server/compute/webgpu/) against the f64 CPU Simulator, on the adapter
 * this machine has (CI: Mesa's lavapipe, software Vulkan). With RSDDP_REQUIRE_WEBGPU=1 (set by
 * .ci/run) a missing adapter FAILS these tests; without it they are skipped.
 *
 * Tolerances (measured on 1024 random Solo-12 states per case, max abs over x_next). Without
 * contact the f32 step differs from the f64 step by f32 rounding (max 1.6e-5, median 4e-6).
 * With contacts both run the same PGS, but the GPU stops at an absolute residual of 2e-6 (f32)
 * where the CPU default goes to 1e-12; on ill-conditioned contact sets (four feet, light legs)
 * a residual of 2e-6 still leaves joint-velocity differences up to ~3e-2 (median 5e-5), and the
 * CPU run at the GPU's tolerance is off from its default by the same amount. So the GPU is
 * checked against the CPU Simulator at the SAME solver tolerance (max 4e-4, median 4e-5), and
 * against the default CPU through the median.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocSmoothBatch, allocStepBatch, CpuBatchBackend, dimsOf, type StepBatch } from '../../server/compute/batch.ts';
import { probeAdapter } from '../../server/compute/webgpu/device.ts';
import { WebGpuBatchBackend } from '../../server/compute/webgpu/backend.ts';
import { BatchSmoothedLinearization } from '../../server/compute/smoothed-provider.ts';
import { createProviders } from '../../server/compute/providers.ts';
import { DEFAULT_GPU_SOLVER } from '../../server/compute/webgpu/kernels.ts';
import { Simulator } from '../../server/dynamics/step.ts';
import { defaultScene, type Scene } from '../../server/dynamics/scene.ts';
import { loadRobot, posture } from '../../server/model/robots.ts';
import { parseUrdf } from '../../server/model/urdf.ts';
import { ExactLinearization, defaultSmoothingParams } from '../../server/control/derivative-providers.ts';
import { getTask, resolveParams } from '../../server/control/tasks/index.ts';
import { plan } from '../../server/planning/planner.ts';
import { mulberry32 } from '../helpers/random-model.ts';

const required = process.env.RSDDP_REQUIRE_WEBGPU === '1';
const adapter = await probeAdapter();

describe('WebGPU adapter', () => {
  it(required ? 'is present (RSDDP_REQUIRE_WEBGPU=1)' : 'is looked for (optional here)', () => {
    if (required) expect(adapter, 'no WebGPU adapter: install mesa-vulkan-drivers >= 24 (lavapipe), see .ci/run').not.toBeNull();
  });
});

const gpuDescribe = describe.skipIf(!adapter && !required);
/** The GPU solver's tolerance on the CPU, for like-for-like comparisons. */
const sameSolver = { tolerance: DEFAULT_GPU_SOLVER.tolerance, maxIterations: DEFAULT_GPU_SOLVER.maxIterations };

function maxDiff(a: Float64Array, b: Float64Array, count: number, nx: number): { max: number; median: number } {
  const per: number[] = [];
  for (let i = 0; i < count; i++) {
    let m = 0;
    for (let k = 0; k < nx; k++) m = Math.max(m, Math.abs(a[i * nx + k] - b[i * nx + k]));
    per.push(m);
  }
  per.sort((x, y) => x - y);
  return { max: per[per.length - 1], median: per[per.length >> 1] };
}

async function compare(sim: Simulator, gpu: WebGpuBatchBackend, batch: StepBatch): Promise<{ same: { max: number; median: number }; exact: { max: number; median: number }; contacts: number }> {
  const dims = gpu.dims;
  const simSame = new Simulator(sim.model, sim.scene, { ...sim.options, solver: sameSolver });
  const ref = { ...batch, xNext: new Float64Array(batch.count * dims.nx) };
  const refSame = { ...batch, xNext: new Float64Array(batch.count * dims.nx) };
  await new CpuBatchBackend(sim).step(ref);
  await new CpuBatchBackend(simSame).step(refSame);
  await gpu.step(batch);
  let contacts = 0;
  const q = new Float64Array(dims.nq), v = new Float64Array(dims.nv);
  for (let i = 0; i < batch.count; i++) {
    q.set(batch.x.subarray(i * dims.nx, i * dims.nx + dims.nq));
    v.set(batch.x.subarray(i * dims.nx + dims.nq, (i + 1) * dims.nx));
    sim.resetWarmStart();
    if (sim.stepInto(q, v, batch.u.subarray(i * dims.nu, (i + 1) * dims.nu), new Float64Array(dims.nq), new Float64Array(dims.nv)).contacts > 0) contacts++;
  }
  return { same: maxDiff(batch.xNext, refSame.xNext, batch.count, dims.nx), exact: maxDiff(batch.xNext, ref.xNext, batch.count, dims.nx), contacts };
}

gpuDescribe('webgpu step vs the f64 CPU step', () => {
  const solo = loadRobot('solo12');
  const sim = new Simulator(solo.model, defaultScene(), { dt: 0.01 });
  const dims = dimsOf(solo.model);
  const q0 = posture(solo.meta, solo.model, 'standing');
  let gpu: WebGpuBatchBackend;
  beforeAll(async () => { gpu = await WebGpuBatchBackend.create(sim); }, 300_000);
  afterAll(async () => { await gpu?.dispose(); });

  /** Random Solo-12 states: `height` of the base, `spread` of the joints, `speed` of v. */
  const states = (count: number, seed: number, height: () => number, spread: number, speed: number) => {
    const rnd = mulberry32(seed);
    const b = allocStepBatch(dims, count, false);
    for (let i = 0; i < count; i++) {
      const o = i * dims.nx;
      for (let k = 0; k < solo.model.nq; k++) b.x[o + k] = q0[k] + spread * (rnd() - 0.5);
      b.x[o + 2] = height();
      const n = Math.hypot(b.x[o + 3], b.x[o + 4], b.x[o + 5], b.x[o + 6]);
      for (let k = 3; k < 7; k++) b.x[o + k] /= n;
      for (let k = 0; k < solo.model.nv; k++) b.x[o + solo.model.nq + k] = speed * (rnd() - 0.5);
      for (let k = 0; k < solo.model.nu; k++) b.u[i * solo.model.nu + k] = 4 * (rnd() - 0.5);
    }
    return b;
  };

  it('agrees to f32 rounding without contacts (Solo-12 in the air)', async () => {
    const r = await compare(sim, gpu, states(64, 1, () => 1, 0.4, 2));
    expect(r.contacts).toBe(0);
    expect(r.exact.max).toBeLessThan(5e-5);
  });

  it('agrees on states with contacts (Solo-12 near standing and on random contact states)', async () => {
    const rnd = mulberry32(9);
    const near = await compare(sim, gpu, states(64, 2, () => 0.2276 + 0.002 * (rnd() - 0.5), 0.02, 0.05));
    expect(near.contacts).toBe(64);
    expect(near.same.max).toBeLessThan(1e-3);
    expect(near.exact.median).toBeLessThan(2e-4);
    const random = await compare(sim, gpu, states(64, 3, () => 0.2 + 0.05 * (rnd() - 0.5), 0.1, 0.5));
    expect(random.contacts).toBeGreaterThan(40);
    expect(random.same.max).toBeLessThan(1e-3);
    expect(gpu.stats.pairsFlagged).toBe(0);
  });

  it('refuses a model beyond its contact-candidate bound (the caller then falls back)', async () => {
    const scene: Scene = defaultScene();
    scene.boxes.push({ name: 'step', size: [0.3, 0.6, 0.05], placement: Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1, 0.25, 0, 0.025]), friction: 0.8 });
    // Solo-12 with a step: 4 feet + 8 base corners, against the ground and the box: 24 candidates
    await expect(WebGpuBatchBackend.create(new Simulator(solo.model, scene, { dt: 0.01 }))).rejects.toThrow(/24 contact candidates > 16/);
  });
});

gpuDescribe('webgpu step: spheres and boxes against a static box', () => {
  it('agrees with the CPU step for a ball on the ground and on a table (sphere-plane, sphere-box)', async () => {
    const { model } = parseUrdf(`<robot name="ball"><link name="ball">
      <inertial><origin xyz="0 0 0"/><mass value="0.5"/><inertia ixx="0.0008" iyy="0.0008" izz="0.0008" ixy="0" ixz="0" iyz="0"/></inertial>
      <collision><origin xyz="0 0 0"/><geometry><sphere radius="0.04"/></geometry></collision></link></robot>`, { floating: true });
    const scene: Scene = defaultScene();
    scene.boxes.push({ name: 'table', size: [0.4, 0.4, 0.2], placement: Float64Array.from([Math.cos(0.3), -Math.sin(0.3), 0, Math.sin(0.3), Math.cos(0.3), 0, 0, 0, 1, 0.3, 0, 0.1]), friction: 0.5 });
    const sim = new Simulator(model, scene, { dt: 0.01 });
    const gpu = await WebGpuBatchBackend.create(sim);
    try {
      const dims = dimsOf(model);
      const rnd = mulberry32(8);
      const b = allocStepBatch(dims, 48, false);
      for (let i = 0; i < 48; i++) {
        const o = i * dims.nx;
        // on the ground, on the table top, or against the table's side / edge
        const where = i % 3;
        b.x[o] = where === 0 ? -0.3 : where === 1 ? 0.3 + 0.1 * (rnd() - 0.5) : 0.3 - 0.2 * Math.cos(0.3) - 0.04 + 0.02 * rnd();
        b.x[o + 1] = where === 2 ? -0.2 * Math.sin(0.3) + 0.05 * (rnd() - 0.5) : 0.1 * (rnd() - 0.5);
        b.x[o + 2] = where === 0 ? 0.04 + 0.005 * (rnd() - 0.5) : where === 1 ? 0.24 + 0.005 * (rnd() - 0.5) : 0.1 + 0.15 * rnd();
        b.x[o + 6] = 1;
        for (let k = 0; k < 6; k++) b.x[o + 7 + k] = rnd() - 0.5;
      }
      const r = await compare(sim, gpu, b);
      expect(r.contacts).toBeGreaterThan(30);
      expect(r.same.max).toBeLessThan(1e-3);
    } finally {
      await gpu.dispose();
    }
  }, 300_000);
});

gpuDescribe('webgpu step: joint position limits', () => {
  it('a pair with a stop within reach is stepped on the CPU (exactly the CPU step, stop held); others stay on the GPU', async () => {
    // cube_rail: a prismatic joint with stops at 0 and 2 m (the cube rests on the ground at 0.05)
    const { model } = loadRobot('cube_rail');
    const sim = new Simulator(model, defaultScene(), { dt: 0.01 });
    const gpu = await WebGpuBatchBackend.create(sim);
    try {
      const dims = dimsOf(model);
      const n = 32;
      const b = allocStepBatch(dims, n, false);
      for (let i = 0; i < n; i++) {
        const near = i % 2 === 0;
        // near: rising into the upper stop from within its reach; far: mid-rail
        b.x[i * dims.nx] = near ? 1.99 + 0.0003 * i : 0.5 + 0.02 * i;
        b.x[i * dims.nx + 1] = near ? 0.5 + 0.05 * i : 0.3;
        b.u[i] = 30;
      }
      const ref = { ...b, xNext: new Float64Array(n * dims.nx) };
      await new CpuBatchBackend(sim).step(ref);
      const flaggedBefore = gpu.stats.pairsFlagged;
      await gpu.step(b);
      expect(gpu.stats.pairsFlagged - flaggedBefore).toBe(n / 2);
      for (let i = 0; i < n; i++) {
        if (i % 2 === 0) {
          expect(b.xNext[i * dims.nx]).toBe(ref.xNext[i * dims.nx]); // recomputed in f64: the CPU's step
          expect(b.xNext[i * dims.nx + 1]).toBe(ref.xNext[i * dims.nx + 1]);
          expect(b.xNext[i * dims.nx]).toBeLessThanOrEqual(2 + 1e-12);
        } else {
          expect(Math.abs(b.xNext[i * dims.nx] - ref.xNext[i * dims.nx])).toBeLessThan(1e-5); // f32
        }
      }
    } finally {
      await gpu.dispose();
    }
  }, 300_000);
});

gpuDescribe('webgpu step on the cube (box corners against the ground and a static box)', () => {
  it('agrees with the CPU step', async () => {
    const { model } = loadRobot('cube');
    const scene: Scene = defaultScene();
    scene.boxes.push({ name: 'table', size: [0.4, 0.4, 0.2], placement: Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1, 0.3, 0, 0.1]), friction: 0.6 });
    const sim = new Simulator(model, scene, { dt: 0.01 });
    const gpu = await WebGpuBatchBackend.create(sim);
    try {
      const dims = dimsOf(model);
      const rnd = mulberry32(6);
      const b = allocStepBatch(dims, 48, false);
      for (let i = 0; i < 48; i++) {
        const o = i * dims.nx;
        const onTable = i % 2 === 1;
        b.x[o] = onTable ? 0.3 + 0.1 * (rnd() - 0.5) : -0.2;
        b.x[o + 1] = 0.1 * (rnd() - 0.5);
        b.x[o + 2] = (onTable ? 0.2 : 0) + 0.05 + 0.02 * (rnd() - 0.5) + (i % 4 === 0 ? 0.02 : 0);
        const qv = [0.2 * (rnd() - 0.5), 0.2 * (rnd() - 0.5), rnd() - 0.5, 1];
        const n = Math.hypot(...qv);
        for (let k = 0; k < 4; k++) b.x[o + 3 + k] = qv[k] / n;
        for (let k = 0; k < 6; k++) b.x[o + 7 + k] = (rnd() - 0.5);
      }
      const r = await compare(sim, gpu, b);
      expect(r.contacts).toBeGreaterThan(30);
      expect(r.same.max).toBeLessThan(1e-3);
    } finally {
      await gpu.dispose();
    }
  }, 300_000);
});

gpuDescribe('webgpu smoothed Jacobians', () => {
  const def = getTask('lift-leg');
  const params = resolveParams(def, { horizon: 0.1 });
  const built = def.build(params);
  const dims = dimsOf(built.model);
  let gpu: WebGpuBatchBackend;
  beforeAll(async () => { gpu = await WebGpuBatchBackend.create(built.sim); }, 300_000);
  afterAll(async () => { await gpu?.dispose(); });

  const request = (seed: number, M: number) => {
    const K = 4;
    const r = allocSmoothBatch(dims, K, M, { stdErr: true, shared: false });
    const rnd = mulberry32(seed);
    const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
    for (let j = dims.ndx; j < dims.n; j++) r.sigma[j] = 0.5;
    for (let t = 0; t < K; t++) {
      r.x.set(built.x0, t * dims.nx);
      r.u.set(built.uInit[t], t * dims.nu);
      // the first two knots carry a foot 2 mm above the ground: the samples make and break contact
      if (t < 2) r.x[t * dims.nx + 2] += 0.002;
    }
    for (let i = 0; i < K * M; i++) for (let j = dims.ndx; j < dims.n; j++) r.noise[i * dims.n + j] = gauss();
    return r;
  };

  it('match the CPU estimate on the same samples, and agree within Monte-Carlo error on independent ones', async () => {
    const a = request(1, 64), b = request(1, 64);
    await new CpuBatchBackend(built.sim).smooth(a);
    await gpu.smooth(b);
    // same noise: differences far below the Monte-Carlo error
    let worst = 0;
    for (let i = 0; i < a.J.length; i++) {
      const se = a.stdErr![i];
      if (se > 0) worst = Math.max(worst, Math.abs(a.J[i] - b.J[i]) / se);
    }
    expect(worst).toBeLessThan(0.1);
    for (let i = 0; i < a.value.length; i++) expect(Math.abs(a.value[i] - b.value[i])).toBeLessThan(1e-3);
    // independent noise (GPU with another stream): |J_gpu - J_cpu| within their combined error
    const c = request(2, 64);
    await gpu.smooth(c);
    let within3 = 0, total = 0, worstZ = 0;
    for (let i = 0; i < a.J.length; i++) {
      const s = Math.hypot(a.stdErr![i], c.stdErr![i]);
      if (s === 0) continue;
      const z = Math.abs(a.J[i] - c.J[i]) / s;
      total++;
      if (z <= 3) within3++;
      worstZ = Math.max(worstZ, z);
    }
    expect(total).toBeGreaterThan(500);
    expect(within3 / total).toBeGreaterThan(0.97);
    expect(worstZ).toBeLessThan(8);
  });

  it('gives R-DDP the same linearization as the CPU provider (same noise streams)', async () => {
    const smoothing = defaultSmoothingParams({ sigma: 0.5, samples: 16, seed: 4 });
    const T = built.T, ndx = dims.ndx, nu = dims.nu;
    const xs = Array.from({ length: T + 1 }, () => built.x0.slice());
    const mk = (backend: CpuBatchBackend | WebGpuBatchBackend) => new BatchSmoothedLinearization({ backend, exact: new ExactLinearization(built.sim), model: built.model, smoothing });
    const A1 = new Float64Array(T * ndx * ndx), B1 = new Float64Array(T * ndx * nu), A2 = A1.slice(), B2 = B1.slice();
    await mk(new CpuBatchBackend(built.sim)).linearize(xs, built.uInit, A1, B1, { iteration: 2 });
    await mk(gpu).linearize(xs, built.uInit, A2, B2, { iteration: 2 });
    expect(Array.from(A2)).toEqual(Array.from(A1)); // state columns: exact f64 on both
    let maxB = 0, scale = 0;
    for (let i = 0; i < B1.length; i++) { maxB = Math.max(maxB, Math.abs(B1[i] - B2[i])); scale = Math.max(scale, Math.abs(B1[i])); }
    expect(maxB).toBeLessThan(1e-3 * scale);
  });
});

gpuDescribe('webgpu robustness', () => {
  const def = getTask('lift-leg');
  const params = resolveParams(def, { horizon: 0.1 });
  const built = def.build(params);
  const smoothing = defaultSmoothingParams({ sigma: 0.5, samples: 8, seed: 1 });

  it('falls back to workers with a logged message when no adapter appears', async () => {
    const logs: string[] = [];
    for (const adapterFactory of [async () => null, async () => { throw new Error('simulated driver failure'); }]) {
      const p = await createProviders({ backend: 'webgpu', task: 'lift-leg', params, built, smoothing, workers: 1, adapterFactory, log: (m) => logs.push(m) });
      try {
        expect(p.info.backend).toBe('workers');
        expect(p.info.fallback).toBeTruthy();
      } finally {
        await p.dispose();
      }
    }
    expect(logs[0]).toMatch(/webgpu unavailable \(no WebGPU adapter.*falling back to workers/);
    expect(logs[1]).toMatch(/simulated driver failure/);
  });

  it('does not hang on an adapter that never answers', async () => {
    const logs: string[] = [];
    const t0 = Date.now();
    const p = await createProviders({ backend: 'webgpu', task: 'lift-leg', params, built, smoothing, workers: 1, adapterFactory: () => new Promise(() => undefined), webgpu: { setupTimeoutMs: 300 }, log: (m) => logs.push(m) });
    await p.dispose();
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(p.info.backend).toBe('workers');
    expect(logs[0]).toMatch(/timed out/);
  });

  it('recomputes on workers when the device is lost during a plan', async () => {
    const logs: string[] = [];
    const p = await createProviders({ backend: 'webgpu', task: 'lift-leg', params, built, smoothing, workers: 1, log: (m) => logs.push(m) });
    try {
      expect(p.info.backend).toBe('webgpu');
      const T = built.T, ndx = 2 * built.model.nv, nu = built.model.nu;
      const xs = Array.from({ length: T + 1 }, () => built.x0.slice());
      const A = new Float64Array(T * ndx * ndx), B = new Float64Array(T * ndx * nu);
      await p.smooth!.linearize(xs, built.uInit, A, B, { iteration: 0 });
      const B0 = B.slice();
      // lose the device under the backend's feet
      const leased = (p.smooth as BatchSmoothedLinearization).backend;
      const gpu = ('gpu' in leased ? leased.gpu : leased) as WebGpuBatchBackend; // plans lease a cached backend
      (gpu as unknown as { device: GPUDevice }).device.destroy();
      await new Promise((r) => setTimeout(r, 50));
      await p.smooth!.linearize(xs, built.uInit, A, B, { iteration: 0 });
      expect(p.info.backend).toBe('workers');
      expect(p.info.fallback).toMatch(/webgpu backend failed/);
      expect(logs.join('\n')).toMatch(/falling back to workers/);
      // same noise streams, f64 instead of f32: the same estimate up to rounding
      let d = 0, s = 0;
      for (let i = 0; i < B.length; i++) { d = Math.max(d, Math.abs(B[i] - B0[i])); s = Math.max(s, Math.abs(B0[i])); }
      expect(d).toBeLessThan(1e-3 * s);
    } finally {
      await p.dispose();
    }
  });
});

gpuDescribe('R-DDP with the webgpu backend', () => {
  it('lifts Solo-12\'s foot (lift-leg, 0.5 s horizon), and says which backend ran', async () => {
    const r = await plan({ task: 'lift-leg', solver: 'rddp', params: { horizon: 0.5 }, solverParams: { seed: 3, iterations: 40, backend: 'webgpu', workers: 2 } });
    expect(r.compute.backend).toBe('webgpu');
    expect(r.compute.exact).toBe('workers');
    expect(r.compute.adapter).toBeTruthy();
    expect(r.success).toBe(true);
  }, 300_000);
});
