import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import { createRng, PURPOSE_NOISE, Rng, streamFor } from '../../server/control/rng.ts';

// Normal CDF from erfc (Numerical Recipes' Chebyshev fit, fractional error < 1.2e-7: far below
// the Monte-Carlo errors tested here).
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}
const Phi = (x: number): number => 0.5 * erfc(-x / Math.SQRT2);

/** Pearson chi-square statistic of observed counts against equal expected counts. */
function chiSquare(counts: ArrayLike<number>, total: number): number {
  const e = total / counts.length;
  let s = 0;
  for (let i = 0; i < counts.length; i++) s += (counts[i] - e) ** 2 / e;
  return s;
}
/** Acceptance band for a chi-square with `dof` degrees of freedom: mean ± 5 standard deviations. */
function expectChiSquare(stat: number, dof: number): void {
  const sd = Math.sqrt(2 * dof);
  expect(stat).toBeGreaterThan(dof - 5 * sd);
  expect(stat).toBeLessThan(dof + 5 * sd);
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) { ma += a[i]; mb += b[i]; }
  ma /= n; mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma, db = b[i] - mb;
    sab += da * db; saa += da * da; sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
}

describe('xoshiro128** core', () => {
  it('matches the reference C implementation (Blackman & Vigna) bit for bit', () => {
    // Values printed by the reference xoshiro128plusplus.c/xoshiro128starstar.c `next()` compiled with gcc.
    const r = new Rng();
    r.setState(1, 2, 3, 4);
    const got = Array.from({ length: 10 }, () => r.nextU32());
    expect(got).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804]);
    r.setState(0x9e3779b9, 0x243f6a88, 0xb7e15162, 0x12345678);
    for (let i = 0; i < 1000; i++) r.nextU32();
    expect(Array.from({ length: 5 }, () => r.nextU32())).toEqual([3164447195, 3757135617, 1164112768, 3796319957, 1178299050]);
  });

  it('keys streams with numpy SeedSequence mixing (same state words as numpy 2.x)', () => {
    // numpy: SeedSequence([seed_lo, seed_hi, knot, iteration, purpose]).generate_state(4, np.uint32)
    const st = new Uint32Array(4);
    const r = new Rng();
    r.reseed(0, 0, 0, 0);
    r.getState(st);
    expect(Array.from(st)).toEqual([3757552657, 2018376492, 1456443223, 3395645823]);
    r.reseed(12345, 7, 3, 0);
    r.getState(st);
    expect(Array.from(st)).toEqual([2301213351, 282793619, 3969033936, 3770879513]);
    r.reseed(0xdeadbeef + 0x1fffff * 2 ** 32, 199, 41, 2);
    r.getState(st);
    expect(Array.from(st)).toEqual([4197767245, 3433662558, 1965221949, 2542634499]);
  });

  it('refuses bad seeds, indices and the all-zero state', () => {
    expect(() => createRng(-1)).toThrow(RangeError);
    expect(() => createRng(1.5)).toThrow(RangeError);
    expect(() => createRng(2 ** 53)).toThrow(RangeError);
    expect(() => streamFor(1, -1, 0)).toThrow(RangeError);
    expect(() => streamFor(1, 0, 2 ** 32)).toThrow(RangeError);
    expect(() => streamFor(1, 0, 0, 0.5)).toThrow(RangeError);
    expect(() => new Rng().setState(0, 0, 0, 0)).toThrow(RangeError);
    expect(() => createRng(2 ** 53 - 1)).not.toThrow();
  });
});

describe('determinism', () => {
  it('same seed, same numbers (u32, floats, Gaussians), bit for bit', () => {
    const a = createRng(42), b = createRng(42);
    for (let i = 0; i < 2000; i++) {
      expect(a.nextU32()).toBe(b.nextU32());
      expect(Object.is(a.nextFloat(), b.nextFloat())).toBe(true);
      expect(Object.is(a.nextGaussian(), b.nextGaussian())).toBe(true);
    }
  });

  it('fillGaussian gives exactly the nextGaussian sequence, however the fill is split', () => {
    const ref = streamFor(7, 3, 1);
    const expected = new Float64Array(1001);
    for (let i = 0; i < expected.length; i++) expected[i] = ref.nextGaussian();
    const r = streamFor(7, 3, 1);
    const out = new Float64Array(1010);
    // Odd pieces so that the cached second Box-Muller value crosses fills, plus a single call.
    let pos = 5;
    for (const len of [1, 3, 0, 2, 7, 500]) {
      r.fillGaussian(out, pos, len);
      pos += len;
    }
    out[pos++] = r.nextGaussian();
    r.fillGaussian(out, pos, 1001 - (pos - 5));
    expect(Array.from(out.subarray(5, 1006))).toEqual(Array.from(expected));
    expect(() => r.fillGaussian(out, 1005, 10)).toThrow(RangeError);
  });

  it('fillFloat gives exactly the nextFloat sequence', () => {
    const a = streamFor(7, 4, 2), b = streamFor(7, 4, 2);
    const out = new Float64Array(300);
    a.fillFloat(out, 0, 100);
    a.fillFloat(out, 100, 200);
    for (let i = 0; i < 300; i++) expect(out[i]).toBe(b.nextFloat());
    expect(a.nextU32()).toBe(b.nextU32());
  });

  it('reseed in place equals streamFor; draw order across knots does not matter', () => {
    const T = 20, n = 33;
    const forward = new Float64Array(T * n), backward = new Float64Array(T * n), interleaved = new Float64Array(T * n);
    for (let t = 0; t < T; t++) streamFor(99, t, 5).fillGaussian(forward, t * n, n);
    const r = createRng(0);
    for (let t = T - 1; t >= 0; t--) {
      r.reseed(99, t, 5);
      r.fillGaussian(backward, t * n, n);
    }
    // Interleaved: all knots open at once, one value at a time (a pool handing out work unevenly).
    const gens = Array.from({ length: T }, (_, t) => streamFor(99, t, 5, PURPOSE_NOISE));
    for (let j = 0; j < n; j++) for (let t = T - 1; t >= 0; t--) interleaved[t * n + j] = gens[t].nextGaussian();
    expect(Array.from(backward)).toEqual(Array.from(forward));
    expect(Array.from(interleaved)).toEqual(Array.from(forward));
  });

  it('a worker thread draws bit-identical noise for the same (seed, knot, iteration)', async () => {
    // tsx's ESM API registers its TypeScript loader in the worker (the ESM entry: `import` condition).
    const require = createRequire(import.meta.url);
    const tsxApi = pathToFileURL(require.resolve('tsx/package.json').replace(/package\.json$/, 'dist/esm/api/index.mjs')).href;
    const rngUrl = new URL('../../server/control/rng.ts', import.meta.url).href;
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      (async () => {
        const api = await import(workerData.tsxApi);
        api.register();
        const { streamFor } = await import(workerData.rngUrl);
        const out = new Float64Array(workerData.T * workerData.n);
        for (let t = workerData.T - 1; t >= 0; t--) streamFor(workerData.seed, t, workerData.iter).fillGaussian(out, t * workerData.n, workerData.n);
        parentPort.postMessage(out);
      })().catch((e) => { throw e; });`;
    const T = 8, n = 64, seed = 2024, iter = 3;
    const fromWorker = await new Promise<Float64Array>((resolve, reject) => {
      const w = new Worker(code, { eval: true, workerData: { tsxApi, rngUrl, T, n, seed, iter } });
      w.once('message', (m: Float64Array) => { void w.terminate(); resolve(m); });
      w.once('error', reject);
    });
    const local = new Float64Array(T * n);
    for (let t = 0; t < T; t++) streamFor(seed, t, iter).fillGaussian(local, t * n, n);
    expect(fromWorker.length).toBe(local.length);
    for (let i = 0; i < local.length; i++) expect(Object.is(fromWorker[i], local[i])).toBe(true);
  });
});

describe('distribution sanity (fixed seeds)', () => {
  it('nextU32: high and low bytes uniform (chi-square, 255 dof)', () => {
    const r = createRng(1);
    const N = 1 << 17;
    const hi = new Float64Array(256), lo = new Float64Array(256);
    let inRange = true;
    for (let i = 0; i < N; i++) {
      const x = r.nextU32();
      inRange &&= x >= 0 && x < 2 ** 32 && Number.isInteger(x);
      hi[x >>> 24]++;
      lo[x & 255]++;
    }
    expect(inRange).toBe(true);
    expectChiSquare(chiSquare(hi, N), 255);
    expectChiSquare(chiSquare(lo, N), 255);
  });

  it('nextFloat: in [0, 1), multiples of 2^-53 with all 53 bits used, uniform, successive pairs uniform in 2D', () => {
    const r = createRng(2);
    const N = 1 << 17;
    const bins = new Float64Array(100), grid = new Float64Array(256);
    let odd = 0, below2m20 = 0;
    let prev = r.nextFloat();
    let ok = true;
    for (let i = 0; i < N; i++) {
      const x = r.nextFloat();
      const k = x * 2 ** 53;
      ok &&= x >= 0 && x < 1 && Number.isInteger(k);
      if (k % 2 === 1) odd++; // lowest bit set: the second draw's bits reach the mantissa
      if (x < 2 ** -20) below2m20++;
      bins[Math.floor(x * 100)]++;
      if (i % 2 === 1) grid[Math.floor(prev * 16) * 16 + Math.floor(x * 16)]++;
      prev = x;
    }
    expect(ok).toBe(true);
    expect(Math.abs(odd / N - 0.5)).toBeLessThan(5 * 0.5 / Math.sqrt(N));
    expect(below2m20).toBeLessThan(10); // expected 0.125
    expectChiSquare(chiSquare(bins, N), 99);
    expectChiSquare(chiSquare(grid, N / 2), 255);
  });

  it('nextGaussian: mean, variance, skewness, kurtosis, tails and CDF within Monte-Carlo error', () => {
    const r = createRng(3);
    const N = 1 << 18;
    const z = new Float64Array(N);
    r.fillGaussian(z, 0, N);
    let s1 = 0, s2 = 0, s3 = 0, s4 = 0, tail3 = 0;
    const pit = new Float64Array(100);
    for (let i = 0; i < N; i++) {
      const x = z[i];
      s1 += x; s2 += x * x; s3 += x * x * x; s4 += x * x * x * x;
      if (Math.abs(x) > 3) tail3++;
      pit[Math.min(99, Math.floor(Phi(x) * 100))]++; // probability integral transform
    }
    const mean = s1 / N, m2 = s2 / N, m3 = s3 / N, m4 = s4 / N;
    expect(Math.abs(mean)).toBeLessThan(4 / Math.sqrt(N));
    expect(Math.abs(m2 - 1)).toBeLessThan(4 * Math.sqrt(2 / N));
    expect(Math.abs(m3)).toBeLessThan(4 * Math.sqrt(15 / N)); // Var(z^3) = 15
    expect(Math.abs(m4 - 3)).toBeLessThan(4 * Math.sqrt(96 / N)); // Var(z^4) = 105 - 9
    const p3 = 2 * (1 - Phi(3));
    expect(Math.abs(tail3 / N - p3)).toBeLessThan(4 * Math.sqrt(p3 * (1 - p3) / N));
    expectChiSquare(chiSquare(pit, N), 99);
  });

  it('independence: no lag-1 correlation within a stream, none between neighbouring streams', () => {
    const N = 1 << 16;
    const a = new Float64Array(N), b = new Float64Array(N), c = new Float64Array(N), d = new Float64Array(N);
    streamFor(5, 10, 4).fillGaussian(a, 0, N);
    streamFor(5, 11, 4).fillGaussian(b, 0, N); // next knot
    streamFor(5, 10, 5).fillGaussian(c, 0, N); // next iteration
    streamFor(6, 10, 4).fillGaussian(d, 0, N); // next seed
    const bound = 4 / Math.sqrt(N);
    expect(Math.abs(correlation(a.subarray(0, N - 1), a.subarray(1)))).toBeLessThan(bound);
    // Pairs from one Box-Muller draw (cos, sin of the same radius) are uncorrelated too.
    const even = a.filter((_, i) => i % 2 === 0), oddv = a.filter((_, i) => i % 2 === 1);
    expect(Math.abs(correlation(even, oddv))).toBeLessThan(4 / Math.sqrt(N / 2));
    for (const other of [b, c, d]) expect(Math.abs(correlation(a, other))).toBeLessThan(bound);
    // Squares too (dependence through the radius would show here).
    const sq = (x: Float64Array) => x.map((v) => v * v);
    expect(Math.abs(correlation(sq(even), sq(oddv)))).toBeLessThan(4 / Math.sqrt(N / 2));
    expect(Math.abs(correlation(sq(a), sq(b)))).toBeLessThan(bound);
  });
});

describe('streams', () => {
  it('differ for every (knot, iteration, purpose) and seed, with no symmetric collisions', () => {
    const seen = new Set<string>();
    let count = 0;
    for (const seed of [0, 1, 2 ** 32, 2 ** 32 + 1]) {
      for (let t = 0; t < 40; t++) {
        for (let k = 0; k < 12; k++) {
          for (const purpose of [0, 1]) {
            const r = streamFor(seed, t, k, purpose);
            seen.add(`${r.nextU32()}:${r.nextU32()}`);
            count++;
          }
        }
      }
    }
    expect(seen.size).toBe(count);
    const first = (r: Rng) => [r.nextU32(), r.nextU32(), r.nextU32()];
    expect(first(streamFor(3, 1, 2))).not.toEqual(first(streamFor(3, 2, 1)));
    expect(first(createRng(3))).not.toEqual(first(streamFor(3, 0, 0)));
    expect(first(createRng(0))).not.toEqual(first(createRng(2 ** 32))); // the seed's high word is used
  });

  it('reseed and fillGaussian allocate nothing (no GC, < 64 KiB of young-generation growth over 1e6 Gaussians)', async () => {
    const r = createRng(8);
    const out = new Float64Array(1000);
    const run = (reps: number) => {
      for (let k = 0; k < reps; k++) {
        r.reseed(8, k & 63, k >>> 6);
        r.fillGaussian(out, 0, 999); // odd: the second variate of the last pair is cached...
        r.fillGaussian(out, 999, 1); // ...and used here

      }
    };
    const newSpace = () => v8.getHeapSpaceStatistics().find((sp) => sp.space_name === 'new_space')!.space_used_size;
    const gcStarts: number[] = [];
    const obs = new PerformanceObserver((list) => { for (const e of list.getEntries()) gcStarts.push(e.startTime); });
    obs.observe({ entryTypes: ['gc'] });
    await new Promise((res) => setTimeout(res, 10));
    for (let w = 0; w < 100; w++) run(10); // warm-up: optimized code for run itself, not only OSR
    const t0 = performance.now();
    const before = newSpace();
    run(1000);
    const after = newSpace();
    const t1 = performance.now();
    await new Promise((res) => setTimeout(res, 20));
    obs.disconnect();
    expect(gcStarts.filter((t) => t >= t0 && t <= t1)).toEqual([]);
    expect(after - before).toBeLessThan(64 * 1024);
  });
});
