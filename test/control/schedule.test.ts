import { describe, expect, it } from 'vitest';
import { streamFor } from '../../server/control/rng.ts';
import { createSampleBatch, perturbedInputs, samplePerturbations, setSigma } from '../../server/control/smoothing.ts';
import {
  createNoiseSchedule,
  sigmaDerivative,
  type IterationStats,
  type NoiseSchedule,
} from '../../server/control/schedule.ts';

/** Stats of an accepted step from cost c to c × (1 - rel). */
const step = (c: number, rel: number, extra: Partial<IterationStats> = {}): IterationStats => ({
  trueCostBefore: c, trueCostAfter: c * (1 - rel), accepted: true, ...extra,
});
const rejected = (c: number, extra: Partial<IterationStats> = {}): IterationStats => ({
  trueCostBefore: c, trueCostAfter: Infinity, accepted: false, ...extra,
});
const PROGRESS = 0.05; // 5 % decrease: progress for the default threshold 1e-3
const STALL = 1e-4; // below the default threshold

describe('defaults and validation', () => {
  it('documented defaults', () => {
    const s = createNoiseSchedule({ sigma0: 2 });
    expect(s.params).toMatchObject({
      rule: 'continuation', samples0: 32, sigmaMin: 2e-3, reductionFactor: 2, progressThreshold: 1e-3,
      thresholdFactor: 1, patience: 2, reduceOnReject: true, minItersPerLevel: 1, maxItersPerLevel: 10,
      momentum: 0.9, sensitivityInterval: 1, sampleGrowth: 2, maxSamples: 128,
      polishThreshold: 1e-6, polishPatience: 2, costFloor: 1e-12,
    });
    expect([s.sigma, s.samples, s.phase, s.stopped, s.iteration]).toEqual([2, 32, 'smooth', false, 0]);
    expect(createNoiseSchedule({ sigma0: 1, rule: 'sensitivity' }).params.reductionFactor).toBe(1.1);
  });

  it('refuses bad parameters and bad stats', () => {
    expect(() => createNoiseSchedule({ sigma0: -1 })).toThrow(RangeError);
    expect(() => createNoiseSchedule({ sigma0: 1, reductionFactor: 1 })).toThrow(/reductionFactor/);
    expect(() => createNoiseSchedule({ sigma0: 1, patience: 0 })).toThrow(/patience/);
    expect(() => createNoiseSchedule({ sigma0: 1, minItersPerLevel: 3, maxItersPerLevel: 2 })).toThrow(/maxItersPerLevel/);
    expect(() => createNoiseSchedule({ sigma0: 1, samples0: 256 })).toThrow(/maxSamples/);
    expect(() => createNoiseSchedule({ sigma0: 1, rule: 'bogus' as never })).toThrow(/unknown/);
    const s = createNoiseSchedule({ sigma0: 1 });
    expect(() => s.update({ trueCostBefore: NaN, trueCostAfter: 1, accepted: true })).toThrow(RangeError);
    expect(() => s.update({ trueCostBefore: 1, trueCostAfter: NaN, accepted: true })).toThrow(RangeError);
    expect(() => createNoiseSchedule({ sigma0: 1, rule: 'sensitivity' }).update(step(1, PROGRESS))).toThrow(/dJdSigma/);
  });
});

describe('continuation rule', () => {
  it('keeps sigma while the true cost improves', () => {
    const s = createNoiseSchedule({ sigma0: 1 });
    let c = 100;
    for (let k = 0; k < 9; k++) {
      const d = s.update(step(c, PROGRESS));
      c *= 1 - PROGRESS;
      expect(d).toMatchObject({ sigma: 1, reduced: false, reason: 'progress', phase: 'smooth', stop: false });
    }
  });

  it('reduces after `patience` stalled iterations, not after the first', () => {
    const s = createNoiseSchedule({ sigma0: 1 });
    expect(s.update(step(100, PROGRESS)).sigma).toBe(1);
    expect(s.update(step(95, STALL))).toMatchObject({ sigma: 1, reason: 'waiting', reduced: false });
    expect(s.update(step(95, STALL))).toMatchObject({ sigma: 0.5, reason: 'stall', reduced: true });
    // The stall counter restarts at the new level; progress resets it too.
    expect(s.update(step(95, STALL)).sigma).toBe(0.5);
    expect(s.update(step(95, PROGRESS)).sigma).toBe(0.5);
    expect(s.update(step(90, STALL)).sigma).toBe(0.5);
    expect(s.update(step(90, STALL)).sigma).toBe(0.25);
  });

  it('reduces at once on a rejected step (unless reduceOnReject is off)', () => {
    const s = createNoiseSchedule({ sigma0: 1 });
    expect(s.update(rejected(100))).toMatchObject({ sigma: 0.5, reason: 'rejected' });
    const t = createNoiseSchedule({ sigma0: 1, reduceOnReject: false });
    expect(t.update(rejected(100))).toMatchObject({ sigma: 1, reason: 'waiting' }); // counts as a stall
    expect(t.update(rejected(100))).toMatchObject({ sigma: 0.5, reason: 'stall' });
  });

  it('never reduces more than once per iteration, and not before minItersPerLevel', () => {
    // Every trigger at once: rejected, stall count = patience, max iterations reached.
    const s = createNoiseSchedule({ sigma0: 1, patience: 1, maxItersPerLevel: 1 });
    expect(s.update(rejected(100))).toMatchObject({ sigma: 0.5, reduced: true });
    // A run of rejections halves sigma once per iteration, no faster.
    expect(s.update(rejected(100)).sigma).toBe(0.25);
    expect(s.update(rejected(100)).sigma).toBe(0.125);
    const t = createNoiseSchedule({ sigma0: 1, minItersPerLevel: 2 });
    expect(t.update(rejected(100))).toMatchObject({ sigma: 1, reduced: false, reason: 'waiting' });
    expect(t.update(rejected(100))).toMatchObject({ sigma: 0.5, reason: 'rejected' });
    expect(t.update(rejected(100)).sigma).toBe(0.5);
    expect(t.update(rejected(100)).sigma).toBe(0.25);
  });

  it('forces a reduction after maxItersPerLevel iterations even while progressing (not too slow)', () => {
    const s = createNoiseSchedule({ sigma0: 1, maxItersPerLevel: 4 });
    const sigmas: number[] = [];
    const reasons: string[] = [];
    let c = 100;
    for (let k = 0; k < 9; k++) {
      const d = s.update(step(c, PROGRESS));
      c *= 1 - PROGRESS;
      sigmas.push(d.sigma);
      reasons.push(d.reason);
    }
    expect(sigmas).toEqual([1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25]);
    expect(reasons[3]).toBe('max-iters-per-level');
    expect(reasons[7]).toBe('max-iters-per-level');
  });

  it('thresholdFactor 0.5 halves the progress threshold at each reduction', () => {
    const s = createNoiseSchedule({ sigma0: 1, thresholdFactor: 0.5, patience: 1 });
    expect(s.update(step(100, 7e-4))).toMatchObject({ sigma: 0.5, reason: 'stall' }); // 7e-4 < 1e-3
    expect(s.progressThreshold).toBe(5e-4);
    expect(s.update(step(100, 7e-4))).toMatchObject({ sigma: 0.5, reason: 'progress' }); // 7e-4 >= 5e-4
  });

  it('floor: sigma below sigmaMin becomes 0 (polish), polishing stops when it no longer improves', () => {
    const s = createNoiseSchedule({ sigma0: 1, sigmaMin: 0.3, patience: 1 });
    expect(s.update(step(100, STALL))).toMatchObject({ sigma: 0.5, phase: 'smooth' });
    expect(s.update(step(100, STALL))).toMatchObject({ sigma: 0, phase: 'polish', reason: 'floor', reduced: true, stop: false });
    expect(s.update(step(100, 1e-3))).toMatchObject({ sigma: 0, phase: 'polish', reason: 'polish-progress', stop: false });
    expect(s.update(step(99.9, 1e-8))).toMatchObject({ reason: 'waiting', stop: false }); // first stall of polishPatience = 2
    expect(s.update(rejected(99.9))).toMatchObject({ reason: 'polish-stall', stop: true, phase: 'polish' });
    expect(s.stopped).toBe(true);
    expect(() => s.update(step(99.9, 0.1))).toThrow(/after stop/);
    const z = createNoiseSchedule({ sigma0: 0 });
    expect([z.phase, z.sigma]).toEqual(['polish', 0]);
  });

  it('a scripted R-DDP run: history holds sigma, M and phase per iteration', () => {
    const s = createNoiseSchedule({ sigma0: 0.8, sigmaMin: 0.15 });
    // fast progress, stall, stall (reduce), progress, rejected (reduce), stall, stall (reduce -> 0.1 < 0.15: polish), polish x3
    const script: IterationStats[] = [
      step(50, 0.2), step(40, 1e-4), step(40, 2e-4), step(40, 0.1), rejected(36), step(36, 1e-5), step(36, 0),
      step(36, 1e-3), step(35.96, 1e-7), step(35.96, 0),
    ];
    const decisions = script.map((st) => s.update(st));
    expect(s.history.map((h) => h.sigma)).toEqual([0.8, 0.8, 0.8, 0.4, 0.4, 0.2, 0.2, 0, 0, 0]);
    expect(s.history.map((h) => h.phase)).toEqual(['smooth', 'smooth', 'smooth', 'smooth', 'smooth', 'smooth', 'smooth', 'polish', 'polish', 'polish']);
    expect(s.history.map((h) => h.samples)).toEqual(Array(10).fill(32));
    expect(decisions.map((d) => d.reason)).toEqual([
      'progress', 'waiting', 'stall', 'progress', 'rejected', 'waiting', 'floor', 'polish-progress', 'waiting', 'polish-stall',
    ]);
    expect(decisions.at(-1)!.stop).toBe(true);
    expect(s.history[0]).toMatchObject({ iteration: 0, trueCostBefore: 50, accepted: true });
    expect(s.history[0].relativeDecrease).toBeCloseTo(0.2, 12);
    expect(s.history[4].relativeDecrease).toBe(0);
    expect(s.iteration).toBe(10);
  });
});

describe('sensitivity rule', () => {
  it('moving average v <- 0.9 v + 0.1 dJ/dsigma; reduces by 1.1 only when v > 0; M doubles up to the cap', () => {
    const s = createNoiseSchedule({ sigma0: 1, rule: 'sensitivity', samples0: 32, maxItersPerLevel: 1000 });
    const g = [-1, -1, 2, 5, 3, -10, 1, 20, 20, 20];
    let v = 0;
    let sigma = 1, M = 32;
    for (let k = 0; k < g.length; k++) {
      const d = s.update(step(10, STALL, { dJdSigma: g[k] }));
      v = 0.9 * v + 0.1 * g[k];
      expect(s.sensitivity).toBeCloseTo(v, 14);
      if (v > 0) {
        sigma /= 1.1;
        M = Math.min(2 * M, 128);
      }
      expect(d.reduced).toBe(v > 0);
      expect(d.reason).toBe(v > 0 ? 'sensitivity' : 'waiting');
      expect(d.sigma).toBeCloseTo(sigma, 14);
      expect(d.samples).toBe(M);
    }
    // v went positive at k = 3 (0.9 (0.9 (-0.1) - 0.1) + 0.2 = 0.029... > 0 after 2, 5)
    expect(s.history.filter((h) => h.decision.reduced).length).toBeGreaterThanOrEqual(4);
    expect(s.samples).toBe(128); // 32 -> 64 -> 128 -> capped
  });

  it('sensitivityInterval: tests v > 0 only every k-th iteration; maxItersPerLevel still forces', () => {
    const s = createNoiseSchedule({ sigma0: 1, rule: 'sensitivity', sensitivityInterval: 3, maxItersPerLevel: 1000 });
    const reduced = Array.from({ length: 9 }, () => s.update(step(10, 0, { dJdSigma: 1 })).reduced);
    expect(reduced).toEqual([false, false, true, false, false, true, false, false, true]);
    const t = createNoiseSchedule({ sigma0: 1, rule: 'sensitivity', maxItersPerLevel: 3 });
    const r2 = Array.from({ length: 4 }, () => t.update(step(10, 0, { dJdSigma: -1 })));
    expect(r2.map((d) => d.reason)).toEqual(['waiting', 'waiting', 'max-iters-per-level', 'waiting']);
    expect(r2[2].samples).toBe(64);
  });
});

describe('fixed decay', () => {
  it('sigma_k = sigma0 / sqrt(k + 1) whatever the costs, then the floor', () => {
    const s = createNoiseSchedule({ sigma0: 2, rule: 'decay', sigmaMin: 0.7 });
    const got = [s.sigma];
    const script = [step(10, 0.5), rejected(5), step(5, 0), step(5, 0.1), step(4.5, 0.1), step(4, 0.1), step(3.6, 0.1), step(3.2, 0.1)];
    for (const st of script) got.push(s.update(st).sigma);
    // k = 0..7: 2/sqrt(k+1) = 2, 1.414, 1.155, 1, 0.894, 0.816, 0.756, 0.707, then 0.667 < 0.7 -> 0
    const expected = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => 2 / Math.sqrt(k + 1)).concat([0]);
    expect(got.length).toBe(expected.length);
    for (let k = 0; k < got.length; k++) expect(got[k]).toBeCloseTo(expected[k], 14);
    expect(s.phase).toBe('polish');
    expect(s.history.at(-1)!.decision.reason).toBe('floor');
  });
});

describe('sigmaDerivative: zero-order estimate of d/dsigma E f(x + sigma w)', () => {
  // f(x) = |x|^2: E|x + sigma c∘w|^2 = |x|^2 + sigma^2 Σ c_j^2, derivative 2 sigma Σ c_j^2 (= 2 sigma n isotropic).
  const sq = (batch: ReturnType<typeof createSampleBatch>, x: Float64Array): void => {
    const { n, M } = batch;
    const X = new Float64Array(M * n);
    perturbedInputs(batch, x, X);
    for (let i = 0; i < M; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += X[i * n + j] ** 2;
      batch.F[i] = s;
    }
    batch.f0[0] = x.reduce((a, v) => a + v * v, 0);
  };
  const x = Float64Array.of(0.5, -1, 2);

  it('isotropic, n = 3: 2 sigma n within 4 SE, with and without the baseline, and antithetic', () => {
    const sigma = 0.7, M = 20_000;
    for (const antithetic of [false, true]) {
      const b = createSampleBatch(3, 1, M, { sigma, antithetic });
      samplePerturbations(b, streamFor(77, 0, 0));
      sq(b, x);
      const out = new Float64Array(1), se = new Float64Array(1);
      sigmaDerivative(b, sigma, out, { stdErr: se });
      expect(Math.abs(out[0] - 2 * sigma * 3)).toBeLessThanOrEqual(4 * se[0]);
      expect(se[0]).toBeLessThan(0.05 * 2 * sigma * 3); // a useful estimate: SE under 5 % of the value
      const outNb = new Float64Array(1), seNb = new Float64Array(1);
      sigmaDerivative(b, sigma, outNb, { stdErr: seNb, baseline: false });
      expect(Math.abs(outNb[0] - 2 * sigma * 3)).toBeLessThanOrEqual(4 * seNb[0]);
      expect(seNb[0]).toBeGreaterThan(se[0]); // |x|^2 = 5.25 is a large constant part
    }
  });

  it('per-coordinate pattern sigma_j = s c_j (c = [1, 0, 2]): d/ds = 2 s Σ c_j^2', () => {
    const s = 0.4, M = 20_000;
    const b = createSampleBatch(3, 1, M);
    setSigma(b, s, [1, 0, 2]);
    samplePerturbations(b, streamFor(78, 0, 0));
    sq(b, x);
    const out = new Float64Array(1), se = new Float64Array(1);
    sigmaDerivative(b, s, out, { stdErr: se });
    expect(Math.abs(out[0] - 2 * s * 5)).toBeLessThanOrEqual(4 * se[0]);
  });

  it('unbiased across 50 seeds (M = 500)', () => {
    const sigma = 0.7, M = 500, S = 50;
    const b = createSampleBatch(3, 1, M, { sigma });
    const out = new Float64Array(1);
    const v: number[] = [];
    for (let seed = 0; seed < S; seed++) {
      samplePerturbations(b, streamFor(5000 + seed, 0, 0));
      sq(b, x);
      sigmaDerivative(b, sigma, out);
      v.push(out[0]);
    }
    const mean = v.reduce((a, c) => a + c, 0) / S;
    const sd = Math.sqrt(v.reduce((a, c) => a + (c - mean) ** 2, 0) / (S - 1));
    expect(Math.abs(mean - 2 * sigma * 3)).toBeLessThanOrEqual(4 * sd / Math.sqrt(S));
  });

  it('feeds the sensitivity rule: cost that grows with sigma -> v > 0 -> reduction', () => {
    const sched: NoiseSchedule = createNoiseSchedule({ sigma0: 0.7, rule: 'sensitivity' });
    const b = createSampleBatch(3, 1, 256, { sigma: sched.sigma });
    const out = new Float64Array(1);
    samplePerturbations(b, streamFor(1, 0, 0));
    sq(b, x);
    sigmaDerivative(b, sched.sigma, out);
    const d = sched.update(step(5.25, 0, { dJdSigma: out[0] }));
    expect(out[0]).toBeGreaterThan(0);
    expect(d).toMatchObject({ reduced: true, reason: 'sensitivity', samples: 64 });
    expect(d.sigma).toBeCloseTo(0.7 / 1.1, 14);
  });
});

describe('noise increase (blind stalls)', () => {
  it('raises sigma when a stall comes with no predicted decrease, bounded by maxIncreases', () => {
    const s = createNoiseSchedule({ sigma0: 1, patience: 1, maxIncreases: 2, increaseFactor: 2 });
    const blind = { expectedImprovement: 0 };
    expect(s.update(rejected(10, blind))).toMatchObject({ sigma: 2, reason: 'blind', reduced: true });
    expect(s.update(rejected(10, blind))).toMatchObject({ sigma: 4, reason: 'blind' });
    // third blind stall: the increases are spent (sigmaMax = 4): reduce as usual
    expect(s.update(rejected(10, blind))).toMatchObject({ sigma: 2, reason: 'rejected' });
  });

  it('reduces, not raises, when the smoothed model predicted a decrease or the level made progress', () => {
    const seen = createNoiseSchedule({ sigma0: 1, patience: 1, maxIncreases: 3 });
    expect(seen.update(step(10, STALL, { expectedImprovement: 1 }))).toMatchObject({ sigma: 0.5, reason: 'stall' });
    const progressed = createNoiseSchedule({ sigma0: 1, patience: 1, maxIncreases: 3 });
    progressed.update(step(10, PROGRESS, { expectedImprovement: 1 }));
    expect(progressed.update(step(9.5, STALL, { expectedImprovement: 0 }))).toMatchObject({ sigma: 0.5, reason: 'stall' });
  });

  it('is off by default', () => {
    const s = createNoiseSchedule({ sigma0: 1, patience: 1 });
    expect(s.update(step(10, STALL, { expectedImprovement: 0 }))).toMatchObject({ sigma: 0.5, reason: 'stall' });
  });
});

describe('budget tail', () => {
  it('the last polishTail iterations of the budget are polish, whatever the rule', () => {
    for (const rule of ['continuation', 'sensitivity', 'decay'] as const) {
      const s = createNoiseSchedule({ sigma0: 1, rule, budget: 6, polishTail: 2, maxItersPerLevel: 6 });
      const phases: string[] = [];
      let c = 100;
      for (let k = 0; k < 6 && !s.stopped; k++) {
        phases.push(s.phase);
        s.update(step(c, PROGRESS, { dJdSigma: -1 }));
        c *= 1 - PROGRESS;
      }
      expect(phases).toEqual(['smooth', 'smooth', 'smooth', 'smooth', 'polish', 'polish']);
      expect(s.history[3].decision.reason).toBe('budget-tail');
    }
  });
});
