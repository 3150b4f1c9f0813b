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
  const run = runner(fn);
  const perBatch = opts.perBatch ?? batchSize(warmUp(run, opts.warmupMs ?? 300));
  const samples: number[] = [];
  for (let b = 0; b < batches; b++) samples.push(run.batch(perBatch));
  return { median: quantile(samples, 0.5), iqr: quantile(samples, 0.75) - quantile(samples, 0.25) };
}

/** A function run in a peer thread (see bench/peer.ts): timed there, by the same loops. */
export interface RemoteTimed {
  warm(warmupMs: number): Promise<number>;
  batch(n: number): Promise<number>;
}

/**
 * Several functions timed in interleaved rounds (one batch of each per round), so that all of
 * them see the same machine state: on a shared VM the speed drifts by 1.5x over seconds, and
 * a ratio of two medians taken one after the other inherits that drift. Some of the functions
 * may run in another thread (RemoteTimed, the MuJoCo peer). Returns each function's median
 * and, per round, the per-call times (rounds[r][i]) for paired ratios.
 */
export async function timeInterleavedUs(fns: Array<(() => void) | RemoteTimed>, opts: TimingOptions = {}): Promise<{ medians: number[]; rounds: number[][] }> {
  const batches = opts.batches ?? 101;
  const runs = fns.map((f) => (typeof f === 'function' ? runner(f) : f));
  const perBatch: number[] = [];
  for (const run of runs) {
    const perCallMs = 'round' in run ? warmUp(run, opts.warmupMs ?? 300) : await run.warm(opts.warmupMs ?? 300);
    perBatch.push(opts.perBatch ?? batchSize(perCallMs));
  }
  const rounds: number[][] = [];
  for (let b = 0; b < batches; b++) {
    const r: number[] = [];
    for (let i = 0; i < runs.length; i++) {
      const run = runs[i];
      r.push('round' in run ? run.batch(perBatch[i]) : await run.batch(perBatch[i]));
    }
    rounds.push(r);
  }
  return { medians: runs.map((_, i) => quantile(rounds.map((r) => r[i]), 0.5)), rounds };
}

/** The q-quantile (0..1) of xs (sorted copy; nearest rank). */
export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

export interface Runner {
  /** n calls: the per-call time in microseconds. */
  batch(n: number): number;
  /** Calls for about ms milliseconds: the per-call time in milliseconds. */
  round(ms: number): number;
}

/**
 * The timing loops for one function, compiled afresh for it (as benchmark.js does): a loop
 * shared by every benchmark would collect all their call targets in one feedback slot, and
 * each benchmark's loop would be optimized for the others' functions too.
 */
export function runner(fn: () => void): Runner {
  const make = new Function('fn', 'hrtime', 'now', `"use strict"; return {
    batch(n) { const s = hrtime(); for (let i = 0; i < n; i++) fn(); return Number(hrtime() - s) / 1000 / n; },
    round(ms) { const t0 = now(); let calls = 0; while (now() - t0 < ms) { fn(); calls++; } return (now() - t0) / Math.max(1, calls); },
  };`) as (f: () => void, hrtime: () => bigint, now: () => number) => Runner;
  return make(fn, process.hrtime.bigint, () => performance.now());
}

/** Per-call time (ms) after the JIT has settled on the runner's function. */
export function warmUp(run: Runner, warmupMs: number): number {
  // Warm up for warmupMs, then in 100 ms rounds until three rounds in a row are no longer
  // clearly faster than the best before them (V8 still tiering up: large generated kernels take
  // a few hundred ms to reach optimized code, longer when the compiler threads are busy), at
  // least 1 s and at most 5 s in all; the last round sizes the batches.
  const start = performance.now();
  let best = run.round(warmupMs), perCallMs = best, flat = 0;
  while (performance.now() - start < 5000) {
    perCallMs = run.round(100);
    if (perCallMs < 0.95 * best) flat = 0; else flat++;
    best = Math.min(best, perCallMs);
    if (flat >= 3 && performance.now() - start >= 1000) break;
  }
  return perCallMs;
}

/** Calls per batch so that a batch lasts about 2 ms. */
export function batchSize(perCallMs: number): number {
  return Math.max(1, Math.round(2 / Math.max(perCallMs, 1e-6)));
}
