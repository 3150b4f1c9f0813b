/**
 * Benchmark timing: warm up (so the JIT has optimized the code), then time `batches` batches
 * of `perBatch` calls and report the median per-call time in microseconds.
 */
export interface BenchResult {
  name: string;
  median_us: number;
  /** Interquartile range of the per-batch timings, in microseconds. */
  iqr_us?: number;
  target_us?: number;
  peer?: string;
  peer_median_us?: number;
  note?: string;
  [extra: string]: unknown;
}

export interface TimingOptions {
  warmupMs?: number;
  batches?: number;
  /** Calls per batch; by default chosen so that a batch lasts about 2 ms. */
  perBatch?: number;
}

export function timeMedianUs(fn: () => void, opts: TimingOptions = {}): { median: number; iqr: number } {
  const warmupMs = opts.warmupMs ?? 300;
  const batches = opts.batches ?? 101;
  const t0 = performance.now();
  let calls = 0;
  while (performance.now() - t0 < warmupMs) { fn(); calls++; }
  const perCallMs = (performance.now() - t0) / Math.max(1, calls);
  const perBatch = opts.perBatch ?? Math.max(1, Math.round(2 / Math.max(perCallMs, 1e-6)));
  const samples: number[] = [];
  for (let b = 0; b < batches; b++) {
    const s = process.hrtime.bigint();
    for (let i = 0; i < perBatch; i++) fn();
    samples.push(Number(process.hrtime.bigint() - s) / 1000 / perBatch);
  }
  samples.sort((a, b) => a - b);
  const q = (f: number) => samples[Math.min(samples.length - 1, Math.floor(f * samples.length))];
  return { median: q(0.5), iqr: q(0.75) - q(0.25) };
}
