/**
 * Backend selection: the planner asks for linearization providers by backend name and gets
 * them with a record of what was picked; the solver never sees a backend.
 *
 *   cpu      ExactLinearization / SmoothedLinearization in this thread.
 *   workers  PooledLinearization: a worker-thread pool (exact and smoothed), bit-identical to cpu.
 *   webgpu   R-DDP (zero-order estimator): the perturbed steps, the nominal steps and the
 *            zero-order reduction on the GPU (BatchSmoothedLinearization over
 *            WebGpuBatchBackend); the exact state columns, and the whole linearization once
 *            sigma reaches 0, by finite differences in f64 on the worker pool, at the same time.
 *            DDP (exact derivatives), the first-order estimator and antithetic sampling are NOT
 *            run on the GPU: they use the worker pool, and the record says so.
 *            No adapter, an unsupported model, a kernel error or a lost device: the `workers`
 *            backend, with the reason logged and recorded.
 *   auto     webgpu when a hardware adapter exists, else workers. A software adapter (Mesa's
 *            lavapipe) does not count unless RSDDP_WEBGPU_ALLOW_SOFTWARE=1: on the same cores
 *            it runs the step kernel slower than the worker pool runs the f64 step.
 */
import { estimatorDef } from '../control/estimators.ts';
import type { ComputeInfo, DerivativesMode } from '../../shared/protocol.ts';
import type { LinearizationProvider } from '../control/problem.ts';
import { ExactLinearization, SmoothedLinearization, type SmoothingParams } from '../control/derivative-providers.ts';
import type { BuiltTask } from '../control/tasks/types.ts';
import { PooledLinearization } from './pooled-linearization.ts';
import { BatchSmoothedLinearization } from './smoothed-provider.ts';
import { WorkersBatchBackend } from './workers-backend.ts';
import { BACKEND_CHOICES, type BackendChoice, type BackendName } from './batch.ts';
import { autoAllowsSoftware, describeAdapter, probeAdapter, withTimeout, type AdapterFactory, type AdapterInfo } from './webgpu/device.ts';
import type { WebGpuBackendOptions, WebGpuBatchBackend } from './webgpu/backend.ts';
import type { Simulator } from '../dynamics/step.ts';
import { sceneToJson } from '../dynamics/scene.ts';
import type { BatchBackend, SmoothBatch, StepBatch } from './batch.ts';

export { BACKEND_CHOICES, type BackendChoice, type BackendName };

/** What was asked, what runs, and why (kept in PlanResult.compute and printed by the tools). */
/** Defined once, on the wire (shared/protocol.ts ComputeInfoSchema: a final result carries it). */
export type { ComputeInfo };

export interface SmoothProvider extends LinearizationProvider {
  readonly params: SmoothingParams | null;
  setNoise(sigma: number, samples: number): void;
}

export interface Providers {
  exact: LinearizationProvider;
  smooth: SmoothProvider | null;
  info: ComputeInfo;
  dispose(): Promise<void>;
}

export interface ProviderOptions {
  backend: BackendChoice;
  /** Exact step Jacobians: 'fd' or 'analytic' (default) (dynamics/step-jacobians.ts). */
  derivatives?: DerivativesMode;
  task: string;
  params: Record<string, number | string>;
  built: BuiltTask;
  /** null: DDP (exact derivatives only). */
  smoothing: SmoothingParams | null;
  /** Worker pool size (default: cores − 1; the solver thread linearizes too). */
  workers?: number;
  /** Injected adapter source (tests); default Dawn's. */
  adapterFactory?: AdapterFactory;
  webgpu?: WebGpuBackendOptions;
  /** Where fallback messages go (default: stderr). */
  log?: (msg: string) => void;
  /** `backend` already resolved by the caller (e.g. 'auto' on the server's main thread). */
  resolved?: { backend: BackendName; reason: string };
}

export function isBackendChoice(x: unknown): x is BackendChoice {
  return typeof x === 'string' && (BACKEND_CHOICES as readonly string[]).includes(x);
}

async function adapterOf(factory: AdapterFactory | undefined): Promise<AdapterInfo | null> {
  if (!factory) return probeAdapter();
  try {
    const a = await withTimeout(factory(), 10_000, 'requestAdapter');
    return a ? describeAdapter(a) : null;
  } catch {
    return null;
  }
}

/** Resolves 'auto' (and validates the others). */
export async function resolveBackend(choice: BackendChoice, adapterFactory?: AdapterFactory): Promise<{ backend: BackendName; reason: string; adapter?: AdapterInfo | null }> {
  if (choice !== 'auto') return { backend: choice, reason: `requested ${choice}` };
  const adapter = await adapterOf(adapterFactory);
  if (!adapter) return { backend: 'workers', reason: 'auto: no WebGPU adapter, using the worker pool', adapter };
  if (adapter.software && !autoAllowsSoftware()) {
    return { backend: 'workers', reason: `auto: only a software WebGPU adapter (${adapter.description}); using the worker pool (set RSDDP_WEBGPU_ALLOW_SOFTWARE=1 to use it)`, adapter };
  }
  return { backend: 'webgpu', reason: `auto: WebGPU adapter ${adapter.description}`, adapter };
}

/**
 * WebGPU backends kept per process between plans (generating and compiling a model's kernel
 * takes seconds: ~4 s on lavapipe with Mesa's shader cache warm, ~12 s cold), keyed by model,
 * scene and simulator options; a plan leases one, and a backend idle for IDLE_MS is destroyed
 * (the timer does not keep the process alive). A failed backend is never handed out again.
 */
const IDLE_MS = 60_000;
const gpuCache = new Map<string, { backend: Promise<WebGpuBatchBackend>; users: number; timer: NodeJS.Timeout | null }>();

function gpuKey(sim: Simulator, opts: WebGpuBackendOptions | undefined): string {
  return JSON.stringify([sim.model.source, sim.model.name, sim.model.nq, sim.model.floating, sceneToJson(sim.scene), sim.options, opts?.solver ?? null, opts?.requireHardware ?? false]);
}

/** A lease on a cached backend: the same interface, dispose() hands it back. */
class GpuLease implements BatchBackend {
  readonly name = 'webgpu' as const;
  private released = false;
  constructor(readonly gpu: WebGpuBatchBackend, private readonly key: string) {}
  get description(): string { return this.gpu.description; }
  get dims() { return this.gpu.dims; }
  step(b: StepBatch): Promise<void> { return this.gpu.step(b); }
  smooth(b: SmoothBatch): Promise<void> { return this.gpu.smooth(b); }
  async dispose(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const e = gpuCache.get(this.key);
    if (!e) { await this.gpu.dispose(); return; }
    e.users--;
    if (this.gpu.failure) { gpuCache.delete(this.key); if (e.users <= 0) await this.gpu.dispose(); return; }
    if (e.users <= 0) {
      e.timer = setTimeout(() => {
        if (gpuCache.get(this.key) === e && e.users <= 0) { gpuCache.delete(this.key); void this.gpu.dispose(); }
      }, IDLE_MS);
      e.timer.unref();
    }
  }
}

async function leaseGpu(sim: Simulator, opts: ProviderOptions): Promise<GpuLease | WebGpuBatchBackend> {
  const { WebGpuBatchBackend } = await import('./webgpu/backend.ts');
  if (opts.adapterFactory) return WebGpuBatchBackend.create(sim, { adapterFactory: opts.adapterFactory, ...opts.webgpu }); // tests: no sharing
  const key = gpuKey(sim, opts.webgpu);
  let e = gpuCache.get(key);
  if (e) {
    const b = await e.backend.catch(() => null);
    if (!b || b.failure) { gpuCache.delete(key); e = undefined; }
  }
  if (!e) {
    e = { backend: WebGpuBatchBackend.create(sim, opts.webgpu), users: 0, timer: null };
    gpuCache.set(key, e);
    e.backend.catch(() => { if (gpuCache.get(key) === e) gpuCache.delete(key); });
  }
  if (e.timer) { clearTimeout(e.timer); e.timer = null; }
  e.users++;
  try {
    return new GpuLease(await e.backend, key);
  } catch (err) {
    e.users--;
    throw err;
  }
}

export async function createProviders(opts: ProviderOptions): Promise<Providers> {
  const { built, smoothing } = opts;
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const resolved: { backend: BackendName; reason: string; adapter?: AdapterInfo | null } = opts.resolved ?? await resolveBackend(opts.backend, opts.adapterFactory);
  const adapterName = resolved.adapter ? resolved.adapter.description : undefined;
  const model = built.model;
  // pools are leased from a per-process cache (warm workers across plans and replans)
  const poolOf = (sm: SmoothingParams | null) => PooledLinearization.lease({
    task: opts.task, params: opts.params, smoothing: sm, derivatives: opts.derivatives, T: built.T, nx: model.nq + model.nv, ndx: 2 * model.nv, nu: model.nu, size: opts.workers,
  });
  const workersInfo = (reason: string, extra: Partial<ComputeInfo> = {}): ComputeInfo => ({
    requested: opts.backend, backend: 'workers', exact: 'workers', reason, adapter: adapterName, description: 'workers', ...extra,
  });

  if (resolved.backend === 'cpu') {
    const exact = new ExactLinearization(built.sim, opts.derivatives);
    return {
      exact, smooth: smoothing ? new SmoothedLinearization(built.sim, smoothing, opts.derivatives) : null,
      info: { requested: opts.backend, backend: 'cpu', exact: 'cpu', reason: resolved.reason, description: 'cpu (1 thread, in process)' },
      dispose: async () => undefined,
    };
  }
  const workers = (reason: string, extra: Partial<ComputeInfo> = {}): Providers => {
    const pool = poolOf(smoothing);
    const info = workersInfo(reason, extra);
    info.description = `workers (${pool.size} thread${pool.size > 1 ? 's' : ''} + the solver thread)`;
    return { exact: pool, smooth: smoothing ? pool : null, info, dispose: () => pool.dispose() };
  };
  if (resolved.backend === 'workers') return workers(resolved.reason);

  // webgpu
  if (!smoothing) {
    return workers('webgpu requested, but DDP needs exact derivatives: finite differences in f64 on the worker pool (the GPU kernels are f32 and sample-based)');
  }
  if (!estimatorDef(smoothing.estimator).gpu || smoothing.antithetic) {
    return workers(`webgpu requested, but ${smoothing.antithetic ? 'antithetic sampling' : `the '${smoothing.estimator}' estimator`} is not run on the GPU: worker pool`);
  }
  let gpu: GpuLease | WebGpuBatchBackend;
  try {
    gpu = await leaseGpu(built.sim, opts);
  } catch (e) {
    const msg = `webgpu unavailable (${(e as Error).message}); falling back to workers`;
    log(`compute: ${msg}`);
    return workers(msg, { fallback: (e as Error).message });
  }
  const exactPool = poolOf(null);
  const info: ComputeInfo = {
    requested: opts.backend, backend: 'webgpu', exact: 'workers', adapter: ('gpu' in gpu ? gpu.gpu : gpu).adapter.description,
    reason: `${resolved.reason}; smoothed samples on the GPU, exact state columns on the worker pool (f64)`,
    description: gpu.description,
  };
  const smooth = new BatchSmoothedLinearization({
    backend: gpu, exact: exactPool, model, smoothing, log,
    fallback: async () => new WorkersBatchBackend({ task: opts.task, params: opts.params }, built.sim, { size: opts.workers }),
    onFallback: (reason, fb) => { info.backend = 'workers'; info.fallback = reason; info.description = fb.description; },
  });
  return {
    exact: exactPool, smooth, info,
    dispose: async () => { await Promise.all([smooth.dispose(), exactPool.dispose()]); },
  };
}
