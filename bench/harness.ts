/**
 * Benchmark timing: warm up until the JIT has optimized the code, then time `batches` batches
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
  // Warm up for warmupMs, then in 100 ms rounds until a round is no longer clearly faster
  // than the one before (V8 still tiering up: large generated kernels take a few hundred ms to
  // reach optimized code), at most 3 s; the last round sizes the batches.
  const round = (ms: number): number => {
    const t0 = performance.now();
    let calls = 0;
    while (performance.now() - t0 < ms) { fn(); calls++; }
    return (performance.now() - t0) / Math.max(1, calls);
  };
  const start = performance.now();
  let perCallMs = round(warmupMs);
  for (;;) {
    const next = round(100);
    const improving = next < 0.95 * perCallMs;
    perCallMs = next;
    if (!improving || performance.now() - start > 3000) break;
  }
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
