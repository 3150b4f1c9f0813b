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
  const batches = opts.batches ?? 101;
  const perBatch = opts.perBatch ?? batchSize(warmUp(fn, opts.warmupMs ?? 300));
  const samples: number[] = [];
  for (let b = 0; b < batches; b++) samples.push(batchUs(fn, perBatch));
  return { median: quantile(samples, 0.5), iqr: quantile(samples, 0.75) - quantile(samples, 0.25) };
}

/**
 * Several functions timed in interleaved rounds (one batch of each per round), so that all of
 * them see the same machine state: on a shared VM the speed drifts by 1.5x over seconds, and
 * a ratio of two medians taken one after the other inherits that drift. Returns each
 * function's median and, per round, the per-call times (rounds[r][i]) for paired ratios.
 */
export function timeInterleavedUs(fns: Array<() => void>, opts: TimingOptions = {}): { medians: number[]; rounds: number[][] } {
  const batches = opts.batches ?? 101;
  const perBatch = fns.map((fn) => opts.perBatch ?? batchSize(warmUp(fn, opts.warmupMs ?? 300)));
  const rounds: number[][] = [];
  for (let b = 0; b < batches; b++) rounds.push(fns.map((fn, i) => batchUs(fn, perBatch[i])));
  return { medians: fns.map((_, i) => quantile(rounds.map((r) => r[i]), 0.5)), rounds };
}

/** The q-quantile (0..1) of xs (sorted copy; nearest rank). */
export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/** Per-call time (ms) after the JIT has settled on fn. */
function warmUp(fn: () => void, warmupMs: number): number {
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
  return perCallMs;
}

/** Calls per batch so that a batch lasts about 2 ms. */
function batchSize(perCallMs: number): number {
  return Math.max(1, Math.round(2 / Math.max(perCallMs, 1e-6)));
}

/** One batch of n calls: the per-call time in microseconds. */
function batchUs(fn: () => void, n: number): number {
  const s = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - s) / 1000 / n;
}
