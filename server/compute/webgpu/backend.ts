/**
 * The `webgpu` batch backend: the contact step and the zero-order smoothing reduction as WGSL
 * compute kernels (kernels.ts) on a WebGPU device (Dawn for Node), in f32.
 *
 * Host side:
 * - the model and scene are packed (model-pack.ts) and uploaded once; the three pipelines are
 *   compiled once; every other buffer is allocated at the first request and reused (grown when a
 *   request is larger), so an R-DDP iteration only writes its inputs and the noise;
 * - the noise is generated on the host from the same `streamFor(seed, knot, iteration)` streams
 *   as the CPU backends (the caller fills SmoothBatch.noise) and uploaded compact (only the
 *   perturbed coordinates, f32): the GPU and CPU estimates use the same random numbers, so they
 *   differ by f32 rounding and not by Monte-Carlo noise;
 * - `smooth` reads back only the per-knot results reduced on the GPU (Jacobian columns of the
 *   perturbed coordinates, smoothed value, nominal next state, a status word; the standard
 *   errors only when asked); `step` reads back the next states;
 * - a knot whose samples report a contact-buffer overflow, a mass matrix that is not positive
 *   definite or a non-finite result is recomputed on the CPU in f64 (counted in `stats`);
 * - robustness: every GPU wait is bounded (mapAsync, onSubmittedWorkDone, popErrorScope), a
 *   validation / internal / out-of-memory error in a submission, an uncaptured error or a lost
 *   device marks the backend failed and the call rejects with WebGpuError; callers
 *   (smoothed-provider.ts) then fall back to `workers` with a logged message.
 */
import type { Simulator } from '../../dynamics/step.ts';
import { BatchEvaluator, checkSmoothBatch, checkStepBatch, dimsOf, type BatchBackend, type BatchDims, type SmoothBatch, type StepBatch } from '../batch.ts';
import { acquireDevice, GpuUnavailableError, withTimeout, type AdapterFactory, type AdapterInfo } from './device.ts';
import {
  DEFAULT_GPU_SOLVER, diffKernel, layoutOf, reduceBlock, reduceKernel, runBytes, STATUS_CPU, STATUS_NOT_CONVERGED,
  stepKernel, WORKGROUP, type GpuSolverOptions, type KernelLayout,
} from './kernels.ts';
import { packModel, type PackedModel } from './model-pack.ts';

export class WebGpuError extends Error {}

export interface WebGpuBackendOptions {
  adapterFactory?: AdapterFactory;
  /** Bound on acquiring the adapter/device and compiling (default 30 s). */
  setupTimeoutMs?: number;
  /**
   * Bound on one submission's completion: base + perSampleMs × invocations (defaults 30 s and
   * 2 ms, generous for a software driver; a hardware GPU needs microseconds per sample).
   */
  timeoutMs?: number;
  perSampleMs?: number;
  solver?: GpuSolverOptions;
  /** Refuse a software adapter (lavapipe) with GpuUnavailableError. Default false. */
  requireHardware?: boolean;
}

export interface WebGpuStats {
  submissions: number;
  samples: number;
  /** Knots recomputed on the CPU (overflow, not positive definite, non-finite). */
  knotsRecomputed: number;
  /** Samples whose PGS stopped above its f32 tolerance (kept, as the CPU keeps unconverged solves). */
  samplesNotConverged: number;
  /** Pairs of a step batch that came back flagged. */
  pairsFlagged: number;
}

const U = GPUBufferUsageFlags();

function GPUBufferUsageFlags() {
  // the Dawn globals are installed by device.ts before any backend is created; constants here
  return { STORAGE: 0x80, UNIFORM: 0x40, COPY_SRC: 0x04, COPY_DST: 0x08, MAP_READ: 0x01 };
}

interface Grown { buf: GPUBuffer; size: number }

export class WebGpuBatchBackend implements BatchBackend {
  readonly name = 'webgpu' as const;
  readonly description: string;
  readonly dims: BatchDims;
  readonly adapter: AdapterInfo;
  readonly packed: PackedModel;
  readonly stats: WebGpuStats = { submissions: 0, samples: 0, knotsRecomputed: 0, samplesNotConverged: 0, pairsFlagged: 0 };
  /** Milliseconds spent creating the pipelines (driver compilation included). */
  readonly compileMs: number;
  /** Set when the device is lost or a submission failed: every later call rejects. */
  failure: string | null = null;

  private readonly device: GPUDevice;
  private readonly opts: WebGpuBackendOptions;
  private readonly cpu: BatchEvaluator;
  private readonly L: KernelLayout;
  private readonly stepPipe: GPUComputePipeline;
  private readonly diffPipe: GPUComputePipeline;
  private readonly reducePipe: GPUComputePipeline;
  private readonly bufs = new Map<string, Grown>();
  private busy: Promise<unknown> = Promise.resolve();
  private disposed = false;

  private constructor(device: GPUDevice, info: AdapterInfo, packed: PackedModel, sim: Simulator, opts: WebGpuBackendOptions,
    pipes: { step: GPUComputePipeline; diff: GPUComputePipeline; reduce: GPUComputePipeline }, compileMs: number) {
    this.device = device;
    this.adapter = info;
    this.packed = packed;
    this.opts = opts;
    this.compileMs = compileMs;
    this.dims = dimsOf(sim.model);
    this.L = layoutOf(packed);
    this.cpu = new BatchEvaluator(sim);
    this.description = `webgpu (${info.description}${info.software ? ', software' : ''})`;
    this.stepPipe = pipes.step; this.diffPipe = pipes.diff; this.reducePipe = pipes.reduce;
    device.lost.then((li) => {
      if (!this.disposed) this.failure ??= `WebGPU device lost (${li.reason}): ${li.message}`;
    }).catch(() => undefined);
    device.addEventListener('uncapturederror', (ev) => {
      this.failure ??= `WebGPU uncaptured error: ${(ev as GPUUncapturedErrorEvent).error.message}`;
    });
  }

  /**
   * Acquires a device, generates and compiles the kernels for the simulator's model. Throws
   * GpuUnavailableError (no adapter), GpuUnsupportedError (model outside the kernels' scope)
   * or WebGpuError (compilation).
   */
  static async create(sim: Simulator, opts: WebGpuBackendOptions = {}): Promise<WebGpuBatchBackend> {
    const packed = packModel(sim); // throws GpuUnsupportedError before touching the GPU
    const setupMs = opts.setupTimeoutMs ?? 300_000;
    const { device, info } = await acquireDevice({ adapterFactory: opts.adapterFactory, timeoutMs: Math.min(setupMs, 30_000) });
    if (opts.requireHardware && info.software) {
      device.destroy();
      throw new GpuUnavailableError(`only a software WebGPU adapter is available (${info.description})`);
    }
    try {
      const solver = opts.solver ?? DEFAULT_GPU_SOLVER;
      const t0 = performance.now();
      const compile = async (code: string, label: string) => {
        device.pushErrorScope('validation');
        const module = device.createShaderModule({ code, label });
        const pipe = await withTimeout(device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' }, label }), setupMs, `compiling the ${label} kernel`);
        const err = await withTimeout(device.popErrorScope(), setupMs, 'popErrorScope');
        if (err) throw new WebGpuError(`${label} kernel: ${err.message}`);
        return pipe;
      };
      const [step, diff, reduce] = await Promise.all([
        compile(stepKernel(packed, solver), 'step'), compile(diffKernel(packed), 'diff'), compile(reduceKernel(packed), 'reduce'),
      ]);
      const backend = new WebGpuBatchBackend(device, info, packed, sim, opts, { step, diff, reduce }, 0);
      // a driver may compile lazily at the first dispatch: run each kernel once, bounded
      await backend.warmUp(setupMs);
      (backend as { compileMs: number }).compileMs = performance.now() - t0;
      return backend;
    } catch (e) {
      device.destroy();
      if (e instanceof Error && e.name === 'GPUPipelineError') throw new WebGpuError(`kernel compilation failed: ${e.message}`);
      throw e;
    }
  }

  private async warmUp(ms: number): Promise<void> {
    const { nx, nu, n } = this.dims;
    const b = { knots: 1, samples: 2, x: new Float64Array(nx), u: new Float64Array(nu), sigma: new Float64Array(n).fill(1), noise: new Float64Array(2 * n),
      f0: new Float64Array(nx), value: new Float64Array(2 * this.dims.nv), J: new Float64Array(2 * this.dims.nv * n) };
    // a valid configuration: identity quaternion for a free-flyer, well above any ground
    if (this.packed.floating) { b.x[2] = 1e3; b.x[6] = 1; }
    const saved = this.opts.timeoutMs;
    (this.opts as WebGpuBackendOptions).timeoutMs = ms;
    try {
      await this.smooth(b);
    } finally {
      (this.opts as WebGpuBackendOptions).timeoutMs = saved;
    }
    this.stats.submissions = 0; this.stats.samples = 0; this.stats.knotsRecomputed = 0; this.stats.samplesNotConverged = 0;
  }

  /** A reusable buffer of at least `bytes` (reallocated only to grow). */
  private buffer(name: string, bytes: number, usage: number): GPUBuffer {
    const size = Math.max(256, Math.ceil(bytes / 256) * 256);
    const cur = this.bufs.get(name);
    if (cur && cur.size >= size) return cur.buf;
    cur?.buf.destroy();
    const grown = Math.max(size, cur ? 2 * cur.size : 0);
    const buf = this.device.createBuffer({ size: grown, usage, label: name });
    this.bufs.set(name, { buf, size: grown });
    return buf;
  }

  private check(): void {
    if (this.disposed) throw new WebGpuError('webgpu backend used after dispose()');
    if (this.failure) throw new WebGpuError(this.failure);
  }

  /** Serializes calls (the reusable buffers belong to one call at a time). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.busy.then(fn, fn);
    this.busy = next.catch(() => undefined);
    return next;
  }

  private timeoutFor(invocations: number): number {
    return (this.opts.timeoutMs ?? 30_000) + (this.opts.perSampleMs ?? 2) * invocations;
  }

  /** Submits, then waits (bounded) for the error scopes. */
  private async submit(encode: (enc: GPUCommandEncoder) => void, invocations: number): Promise<void> {
    const device = this.device;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('internal');
    device.pushErrorScope('validation');
    const enc = device.createCommandEncoder();
    encode(enc);
    device.queue.submit([enc.finish()]);
    const ms = this.timeoutFor(invocations);
    let errs: Array<GPUError | null>;
    try {
      errs = await withTimeout(Promise.all([device.popErrorScope(), device.popErrorScope(), device.popErrorScope()]), ms, 'WebGPU error scopes');
    } catch (e) {
      this.failure = (e as Error).message;
      throw new WebGpuError(this.failure);
    }
    const err = errs.find((e) => e !== null);
    if (err) {
      this.failure = `WebGPU ${err.constructor?.name ?? 'error'}: ${err.message}`;
      throw new WebGpuError(this.failure);
    }
    this.stats.submissions++;
    this.stats.samples += invocations;
  }

  private async readBack(src: GPUBuffer, bytes: number, invocations: number, name: string): Promise<Float32Array> {
    const size = Math.ceil(bytes / 4) * 4;
    const staging = this.buffer(`${name}:read`, size, U.MAP_READ | U.COPY_DST);
    const enc = this.device.createCommandEncoder();
    enc.copyBufferToBuffer(src, 0, staging, 0, size);
    this.device.queue.submit([enc.finish()]);
    try {
      await withTimeout(staging.mapAsync(1 /* GPUMapMode.READ */, 0, size), this.timeoutFor(invocations), 'WebGPU mapAsync');
    } catch (e) {
      this.failure = (e as Error).message;
      throw new WebGpuError(this.failure);
    }
    if (this.failure) { staging.unmap(); throw new WebGpuError(this.failure); }
    const out = new Float32Array(staging.getMappedRange(0, size).slice(0));
    staging.unmap();
    return out;
  }

  private writeRun(mode: number, count: number, spk: number, M: number, knots: number, uoff: number, sigma: Float64Array | null, cols: number[]): GPUBuffer {
    const L = this.L;
    const buf = this.buffer('run', runBytes(L), U.UNIFORM | U.COPY_DST);
    const data = new ArrayBuffer(runBytes(L));
    new Uint32Array(data, 0, 8).set([mode, count, spk, M, knots, uoff, cols.length, 0]);
    const sg = new Float32Array(data, 32, 4 * L.NP4);
    if (sigma) for (let j = 0; j < L.n; j++) sg[j] = sigma[j];
    new Uint32Array(data, 32 + 16 * L.NP4, 4 * L.NP4).set(cols);
    this.device.queue.writeBuffer(buf, 0, data);
    return buf;
  }

  private inputs(x: Float64Array, u: Float64Array, count: number): { buf: GPUBuffer; uoff: number } {
    const L = this.L;
    const uoff = count * L.NX4;
    const data = new Float32Array(4 * (uoff + count * L.NU4));
    for (let i = 0; i < count; i++) {
      for (let k = 0; k < L.nx; k++) data[4 * L.NX4 * i + k] = x[i * L.nx + k];
      for (let k = 0; k < L.nu; k++) data[4 * uoff + 4 * L.NU4 * i + k] = u[i * L.nu + k];
    }
    const buf = this.buffer('inp', data.byteLength, U.STORAGE | U.COPY_DST);
    this.device.queue.writeBuffer(buf, 0, data);
    return { buf, uoff };
  }

  private bindStep(run: GPUBuffer, inp: GPUBuffer, noise: GPUBuffer, xout: GPUBuffer, status: GPUBuffer): GPUBindGroup {
    return this.device.createBindGroup({
      layout: this.stepPipe.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: run, size: runBytes(this.L) } },
        { binding: 1, resource: { buffer: inp } },
        { binding: 2, resource: { buffer: noise } },
        { binding: 3, resource: { buffer: xout } },
        { binding: 4, resource: { buffer: status } },
      ],
    });
  }

  step(b: StepBatch): Promise<void> {
    return this.exclusive(async () => {
      this.check();
      checkStepBatch(this.dims, b);
      const L = this.L;
      const B = b.count;
      if (B === 0) return;
      const inp = this.inputs(b.x, b.u, B);
      const noise = this.buffer('noise', 16 * L.NP4, U.STORAGE | U.COPY_DST);
      const xoutBytes = 16 * L.NX4 * B;
      const xout = this.buffer('xout', xoutBytes + 4 * B, U.STORAGE | U.COPY_SRC | U.COPY_DST);
      const status = this.buffer('status', 4 * B, U.STORAGE | U.COPY_SRC);
      const run = this.writeRun(0, B, 1, 0, 0, inp.uoff, null, []);
      const bg = this.bindStep(run, inp.buf, noise, xout, status);
      await this.submit((enc) => {
        const pass = enc.beginComputePass();
        pass.setPipeline(this.stepPipe);
        pass.setBindGroup(0, bg);
        pass.dispatchWorkgroups(Math.ceil(B / WORKGROUP));
        pass.end();
        enc.copyBufferToBuffer(status, 0, xout, xoutBytes, 4 * B); // one readback
      }, B);
      const out = await this.readBack(xout, xoutBytes + 4 * B, B, 'xout');
      const flags = new Uint32Array(out.buffer, xoutBytes, B);
      for (let i = 0; i < B; i++) {
        for (let k = 0; k < L.nx; k++) b.xNext[i * L.nx + k] = out[4 * L.NX4 * i + k];
        if (flags[i] & STATUS_NOT_CONVERGED) this.stats.samplesNotConverged++;
        if (flags[i] & STATUS_CPU) {
          this.stats.pairsFlagged++;
          this.cpu.stepRange(b, i, i + 1); // f64 on the CPU
        }
      }
    });
  }

  smooth(b: SmoothBatch): Promise<void> {
    return this.exclusive(async () => {
      this.check();
      checkSmoothBatch(this.dims, b);
      const L = this.L;
      const { nx, ndx, n } = this.dims;
      const K = b.knots, M = b.samples, spk = M + 1;
      if (K === 0) return;
      const idx: number[] = [];
      for (let j = 0; j < n; j++) if (b.sigma[j] > 0) idx.push(j);
      const k = idx.length;
      if (k === 0) {
        this.cpu.smoothRange(b, 0, K); // nothing perturbed: the nominal steps only
        return;
      }
      const dev = this.device;
      const inp = this.inputs(b.x, b.u, K);
      const noiseData = new Float32Array(4 * L.NP4 * K * M);
      for (let r = 0; r < K * M; r++) {
        for (let q = 0; q < k; q++) noiseData[4 * L.NP4 * r + idx[q]] = b.noise[r * n + idx[q]];
      }
      const noise = this.buffer('noise', noiseData.byteLength, U.STORAGE | U.COPY_DST);
      dev.queue.writeBuffer(noise, 0, noiseData);
      const count = K * spk;
      const xout = this.buffer('xout', 16 * L.NX4 * count + 4 * count, U.STORAGE | U.COPY_SRC | U.COPY_DST);
      const status = this.buffer('status', 4 * count, U.STORAGE | U.COPY_SRC);
      const F = this.buffer('F', 16 * L.NDX4 * K * M, U.STORAGE);
      const per = reduceBlock(L, k);
      const outFloats = K * per + K * ndx * k;
      const outp = this.buffer('out', 4 * outFloats, U.STORAGE | U.COPY_SRC);
      const run = this.writeRun(1, count, spk, M, K, inp.uoff, b.sigma, idx);
      const runRes = { buffer: run, size: runBytes(L) };
      const bgStep = this.bindStep(run, inp.buf, noise, xout, status);
      const bgDiff = dev.createBindGroup({
        layout: this.diffPipe.getBindGroupLayout(0),
        entries: [{ binding: 0, resource: runRes }, { binding: 1, resource: { buffer: xout } }, { binding: 2, resource: { buffer: F } }],
      });
      const bgRed = dev.createBindGroup({
        layout: this.reducePipe.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: runRes }, { binding: 1, resource: { buffer: F } }, { binding: 2, resource: { buffer: noise } },
          { binding: 3, resource: { buffer: outp } }, { binding: 4, resource: { buffer: xout } }, { binding: 5, resource: { buffer: status } },
        ],
      });
      await this.submit((enc) => {
        const pass = enc.beginComputePass();
        pass.setPipeline(this.stepPipe);
        pass.setBindGroup(0, bgStep);
        pass.dispatchWorkgroups(Math.ceil(count / WORKGROUP));
        pass.setPipeline(this.diffPipe);
        pass.setBindGroup(0, bgDiff);
        pass.dispatchWorkgroups(Math.ceil((K * M) / WORKGROUP));
        pass.setPipeline(this.reducePipe);
        pass.setBindGroup(0, bgRed);
        pass.dispatchWorkgroups(K);
        pass.end();
      }, count);
      const out = await this.readBack(outp, 4 * (b.stdErr ? outFloats : K * per), count, 'out');
      b.J.fill(0, 0, K * ndx * n);
      b.stdErr?.fill(0, 0, K * ndx * n);
      for (let t = 0; t < K; t++) {
        const base = t * per;
        const flags = out[base + ndx * k + ndx + nx];
        if (!Number.isFinite(flags) || flags & STATUS_CPU) {
          this.stats.knotsRecomputed++;
          this.cpu.smoothRange(b, t, t + 1); // f64 on the CPU
          continue;
        }
        if (flags & STATUS_NOT_CONVERGED) this.stats.samplesNotConverged++;
        const jo = t * ndx * n;
        for (let r = 0; r < ndx; r++) {
          for (let q = 0; q < k; q++) b.J[jo + r * n + idx[q]] = out[base + r * k + q];
        }
        for (let r = 0; r < ndx; r++) b.value[t * ndx + r] = out[base + ndx * k + r];
        for (let r = 0; r < nx; r++) b.f0[t * nx + r] = out[base + ndx * k + ndx + r];
        if (b.stdErr) {
          const so = K * per + t * ndx * k;
          for (let r = 0; r < ndx; r++) {
            for (let q = 0; q < k; q++) b.stdErr[jo + r * n + idx[q]] = out[so + r * k + q];
          }
        }
      }
    });
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.busy.catch(() => undefined);
    for (const { buf } of this.bufs.values()) buf.destroy();
    this.bufs.clear();
    this.device.destroy();
  }
}
