/**
 * Batch benchmarks of the compute backends (server/compute/): one batch of Solo-12 samples
 * around the settled standing state (four foot contacts), each sample the standing state with
 * the static-equilibrium torques plus Gaussian control noise (sigma 0.5 N m, R-DDP's default
 * for lift-leg), stepped from a cold contact start. JSON names `batch_cpu`, `batch_workers`,
 * `batch_webgpu`, each with `samples_per_s` (median over repetitions after warm-up), plus the
 * smoothing path (`smooth_samples_per_s`: 256 knots × 16 samples with the zero-order reduction,
 * as an R-DDP iteration asks for it).
 *
 * `median_us` of these entries is the time of one whole batch. BATCH_SAMPLES (default 4096) and
 * BATCH_REPS (default 9) override the sizes.
 */
import os from 'node:os';
import { allocSmoothBatch, allocStepBatch, CpuBatchBackend, dimsOf, type BatchBackend } from '../server/compute/batch.ts';
import { WorkersBatchBackend } from '../server/compute/workers-backend.ts';
import { defaultScene } from '../server/dynamics/scene.ts';
import { createRng } from '../server/control/rng.ts';
import type { BenchResult } from './harness.ts';
import { BENCH_DT, standingSolo } from './contact.ts';

const SIGMA = 0.5;

async function rate(backend: BatchBackend, run: () => Promise<void>, samples: number, reps: number): Promise<{ perS: number; ms: number; iqrMs: number }> {
  for (let w = 0; w < 3; w++) await run(); // warm-up (JIT, lazy driver work)
  const t: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await run();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  const ms = t[t.length >> 1];
  void backend;
  return { perS: samples / (ms / 1000), ms, iqrMs: t[Math.floor(0.75 * (t.length - 1))] - t[Math.floor(0.25 * (t.length - 1))] };
}

export async function batchBench(): Promise<BenchResult[]> {
  const N = Number(process.env.BATCH_SAMPLES ?? 4096);
  const reps = Number(process.env.BATCH_REPS ?? 9);
  const { model, sim, q, v, u } = standingSolo();
  const dims = dimsOf(model);
  // the batch: standing state, torques + noise
  const batch = allocStepBatch(dims, N);
  const rng = createRng(7);
  for (let i = 0; i < N; i++) {
    batch.x.set(q, i * dims.nx);
    batch.x.set(v, i * dims.nx + dims.nq);
    for (let k = 0; k < dims.nu; k++) batch.u[i * dims.nu + k] = u[k] + SIGMA * rng.nextGaussian();
  }
  // an R-DDP-shaped smoothing request: K knots × M samples, noise on the controls
  const K = 256, M = 16;
  const sm = allocSmoothBatch(dims, K, M);
  for (let t = 0; t < K; t++) { sm.x.set(q, t * dims.nx); sm.x.set(v, t * dims.nx + dims.nq); sm.u.set(u, t * dims.nu); }
  for (let j = dims.ndx; j < dims.n; j++) sm.sigma[j] = SIGMA;
  for (let i = 0; i < K * M; i++) for (let j = dims.ndx; j < dims.n; j++) sm.noise[i * dims.n + j] = rng.nextGaussian();

  const out: BenchResult[] = [];
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`;
  const entry = (name: string, r: { perS: number; ms: number; iqrMs: number }, s: { perS: number }, extra: Record<string, unknown>): BenchResult => ({
    name, median_us: r.ms * 1000, iqr_us: r.iqrMs * 1000, samples_per_s: r.perS, samples: N,
    smooth_samples_per_s: s.perS, smooth_shape: `${K} knots × ${M} samples (+ nominal)`, machine, ...extra,
  });

  // cpu and workers are timed alternately, repetition by repetition, so that a slow spell of
  // the machine (a shared VM) hits both; the speedup is the median of the per-repetition ratios
  const cpu = new CpuBatchBackend(sim);
  const size = os.cpus().length;
  const workers = new WorkersBatchBackend({ robot: 'solo12', scene: defaultScene(), options: { dt: BENCH_DT } }, sim, { size });
  try {
    for (let w = 0; w < 3; w++) { await cpu.step(batch); await workers.step(batch); }
    const tc: number[] = [], tw: number[] = [], ratio: number[] = [];
    for (let r = 0; r < reps; r++) {
      let t0 = performance.now();
      await cpu.step(batch);
      const c = performance.now() - t0;
      t0 = performance.now();
      await workers.step(batch);
      const wk = performance.now() - t0;
      tc.push(c); tw.push(wk); ratio.push(c / wk);
    }
    const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
    const iqr = (a: number[]) => { const b = [...a].sort((x, y) => x - y); return b[Math.floor(0.75 * (b.length - 1))] - b[Math.floor(0.25 * (b.length - 1))]; };
    const cpuStep = { perS: N / (med(tc) / 1000), ms: med(tc), iqrMs: iqr(tc) };
    const wStep = { perS: N / (med(tw) / 1000), ms: med(tw), iqrMs: iqr(tw) };
    const cpuSmooth = await rate(cpu, () => cpu.smooth(sm), K * (M + 1), Math.max(3, reps >> 1));
    const wSmooth = await rate(workers, () => workers.smooth(sm), K * (M + 1), Math.max(3, reps >> 1));
    out.push(entry('batch_cpu', cpuStep, cpuSmooth, { note: 'Solo-12 standing (4 foot contacts), cold contact start per sample, one thread, f64' }));
    out.push(entry('batch_workers', wStep, wSmooth, {
      threads: size, speedup_vs_cpu: med(ratio), target_speedup: size >= 2 ? 1.7 : undefined,
      note: `worker_threads pool (${size} threads), SharedArrayBuffers, contiguous ranges, f64; speedup = median of per-repetition ratios (cpu and workers timed alternately)`,
    }));
  } finally {
    await workers.dispose();
  }

  let gpu: import('../server/compute/webgpu/backend.ts').WebGpuBatchBackend | null = null;
  try {
    const { WebGpuBatchBackend } = await import('../server/compute/webgpu/backend.ts');
    gpu = await WebGpuBatchBackend.create(sim);
    const g = gpu;
    const gStep = await rate(g, () => g.step(batch), N, reps);
    const gSmooth = await rate(g, () => g.smooth(sm), K * (M + 1), Math.max(3, reps >> 1));
    const wRate = out.find((r) => r.name === 'batch_workers')?.samples_per_s as number | undefined;
    out.push(entry('batch_webgpu', gStep, gSmooth, {
      adapter: g.adapter.description, software_adapter: g.adapter.software, compile_ms: g.compileMs,
      speedup_vs_workers: wRate ? gStep.perS / wRate : undefined,
      note: `WGSL kernel generated for Solo-12, f32, one invocation per sample; ${g.adapter.software ? 'software Vulkan (a correctness vehicle, not a speed claim)' : 'hardware adapter'}`,
    }));
  } catch (e) {
    out.push({ name: 'batch_webgpu', median_us: 0, samples_per_s: 0, samples: N, note: `not measured: ${(e as Error).message}` });
  } finally {
    await gpu?.dispose();
  }
  return out;
}
