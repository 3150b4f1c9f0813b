/** The paired revision comparison (bench/compare.ts): its arithmetic and its argument checks. */
import { describe, expect, it } from 'vitest';
import { pairRounds, parseCompareArgs } from '../../bench/compare.ts';

describe('bench:compare', () => {
  it('pairs rounds: medians per revision and the median of per-round ratios head / base, with their range', () => {
    const m = (o: Record<string, number>) => new Map(Object.entries(o));
    // round 2 ran on a slower machine for both: the paired ratio ignores it, the medians do not
    const base = [m({ step: 10, lin: 100, gone: 5 }), m({ step: 20, lin: 200, gone: 5 }), m({ step: 11, lin: 110, gone: 5 })];
    const head = [m({ step: 9, lin: 100 }), m({ step: 18, lin: 220 }), m({ step: 9.9, lin: 99 })];
    const p = pairRounds(base, head);
    // a benchmark missing from a revision is left out, not compared against nothing
    expect(p.map((x) => x.name)).toEqual(['step', 'lin']);
    const step = p[0];
    expect(step.base_us).toBe(11);
    expect(step.head_us).toBe(9.9);
    expect(step.ratio).toBeCloseTo(0.9, 12);
    expect([step.ratio_min, step.ratio_max].map((x) => +x.toFixed(12))).toEqual([0.9, 0.9]);
    const lin = p[1];
    expect(lin.ratio).toBeCloseTo(1, 12);
    expect(lin.ratio_min).toBeCloseTo(0.9, 12);
    expect(lin.ratio_max).toBeCloseTo(1.1, 12);
  });

  it('names what is wrong with its arguments', () => {
    expect(() => parseCompareArgs([])).toThrow(/--base REV is required/);
    expect(() => parseCompareArgs(['--base', 'main', '--rounds', '0'])).toThrow(/--rounds: an integer from 1 to 50, got 0/);
    expect(() => parseCompareArgs(['--base', 'main', '--fast'])).toThrow(/unknown option --fast/);
    expect(parseCompareArgs(['--base', 'v1', '--only', 'dynamics'])).toEqual({ base: 'v1', head: 'HEAD', rounds: 3, only: 'dynamics', out: null });
  });
});
