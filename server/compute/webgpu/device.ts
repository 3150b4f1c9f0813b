/**
 * WebGPU adapters and devices through the `webgpu` package (Dawn for Node), with every wait
 * bounded by a timeout so that nothing hangs.
 *
 * - One Dawn instance per process (`create([])`), made on first use.
 * - `probeAdapter()` answers "is there an adapter, and what is it" once per process (cached).
 *   A software adapter (Mesa's lavapipe: `isFallbackAdapter`, architecture 'software') counts
 *   as an adapter for an explicit `--backend webgpu` but not for `auto` unless
 *   RSDDP_WEBGPU_ALLOW_SOFTWARE=1: on the same cores it is much slower than the worker pool.
 * - `AdapterFactory` is injectable (tests simulate a missing or failing adapter).
 *
 * Dawn keeps the process alive while a device exists: every device acquired here must be
 * destroyed (`device.destroy()`, done by the backends' dispose()).
 */

export type AdapterFactory = () => Promise<GPUAdapter | null>;

export interface AdapterInfo {
  /** e.g. 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)' or the GPU's name. */
  description: string;
  vendor: string;
  architecture: string;
  /** Software rasterizer / CPU implementation (lavapipe, SwiftShader, WARP). */
  software: boolean;
}

export class GpuUnavailableError extends Error {}

let gpuInstance: GPU | null = null;
let dawnError: string | null = null;

async function dawnGpu(): Promise<GPU | null> {
  if (gpuInstance || dawnError) return gpuInstance;
  try {
    const mod = await import('webgpu');
    Object.assign(globalThis, mod.globals);
    gpuInstance = mod.create([]);
  } catch (e) {
    dawnError = (e as Error).message;
  }
  return gpuInstance;
}

/** The default factory: Dawn's adapter for 'high-performance', or null. */
export const defaultAdapterFactory: AdapterFactory = async () => {
  const gpu = await dawnGpu();
  if (!gpu) throw new GpuUnavailableError(`the webgpu (Dawn) module could not be loaded: ${dawnError}`);
  return gpu.requestAdapter({ powerPreference: 'high-performance' });
};

/** Resolves with p, or rejects with `what timed out after ms` (the timer never keeps the process alive). */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new GpuUnavailableError(`${what} timed out after ${ms} ms`)), ms);
    timer.unref?.();
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export function describeAdapter(adapter: GPUAdapter): AdapterInfo {
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const architecture = info?.architecture ?? '';
  const description = info?.description || info?.device || info?.vendor || 'unknown adapter';
  const software = Boolean(info?.isFallbackAdapter) || architecture === 'software'
    || /llvmpipe|lavapipe|swiftshader|\bwarp\b/i.test(description);
  return { description, vendor: info?.vendor ?? '', architecture, software };
}

export interface AcquireOptions {
  adapterFactory?: AdapterFactory;
  /** Bound on requestAdapter / requestDevice (default 10 s). */
  timeoutMs?: number;
}

/** An adapter and a device; throws GpuUnavailableError (no adapter, factory failure, timeout). */
export async function acquireDevice(opts: AcquireOptions = {}): Promise<{ adapter: GPUAdapter; device: GPUDevice; info: AdapterInfo }> {
  const factory = opts.adapterFactory ?? defaultAdapterFactory;
  const ms = opts.timeoutMs ?? 10_000;
  let adapter: GPUAdapter | null;
  try {
    adapter = await withTimeout(factory(), ms, 'requestAdapter');
  } catch (e) {
    throw e instanceof GpuUnavailableError ? e : new GpuUnavailableError(`requestAdapter failed: ${(e as Error).message}`);
  }
  if (!adapter) throw new GpuUnavailableError('no WebGPU adapter (requestAdapter returned null)');
  const info = describeAdapter(adapter);
  const lim = adapter.limits;
  let device: GPUDevice;
  try {
    device = await withTimeout(adapter.requestDevice({
      requiredLimits: {
        maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize,
        maxBufferSize: lim.maxBufferSize,
        maxStorageBuffersPerShaderStage: Math.min(8, lim.maxStorageBuffersPerShaderStage),
      },
    }), ms, 'requestDevice');
  } catch (e) {
    throw e instanceof GpuUnavailableError ? e : new GpuUnavailableError(`requestDevice failed: ${(e as Error).message}`);
  }
  return { adapter, device, info };
}

let probed: Promise<AdapterInfo | null> | null = null;

/**
 * The default adapter's description, or null when there is none (cached per process; no device
 * is created, so nothing keeps the process alive).
 */
export function probeAdapter(): Promise<AdapterInfo | null> {
  probed ??= (async () => {
    try {
      const adapter = await withTimeout(defaultAdapterFactory(), 10_000, 'requestAdapter');
      return adapter ? describeAdapter(adapter) : null;
    } catch {
      return null;
    }
  })();
  return probed;
}

/** Whether `auto` may pick a software adapter (RSDDP_WEBGPU_ALLOW_SOFTWARE=1). */
export function autoAllowsSoftware(): boolean {
  return process.env.RSDDP_WEBGPU_ALLOW_SOFTWARE === '1';
}
