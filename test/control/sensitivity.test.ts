import { describe, expect, it } from 'vitest';
import { smoothedCostSlope } from '../../server/control/sensitivity.ts';

const sq = (us: readonly Float64Array[]): number => us.reduce((s, u) => s + u.reduce((a, x) => a + x * x, 0), 0);

describe('smoothedCostSlope (dJ_sigma/dsigma from rollouts)', () => {
  it('matches 2 n sigma for J = |u|^2 (J_sigma = |u|^2 + n sigma^2)', () => {
    const us = [Float64Array.of(0.3, -1), Float64Array.of(2, 0.5), Float64Array.of(-0.7, 0.1)];
    const n = 6, sigma = 0.4;
    const g = smoothedCostSlope(sq, us, sigma, 4000, 11, 0);
    expect(g).toBeGreaterThan(0);
    expect(Math.abs(g - 2 * n * sigma) / (2 * n * sigma)).toBeLessThan(0.1);
  });

  it('is negative where more noise reaches a lower cost (a cliff beyond the noise)', () => {
    // cost 1 unless some control exceeds 1 (a "lift"): more noise lowers the expected cost
    const cliff = (us: readonly Float64Array[]): number => (us.some((u) => u[0] > 1) ? 0 : 1);
    const us = Array.from({ length: 4 }, () => Float64Array.of(0));
    expect(smoothedCostSlope(cliff, us, 0.5, 500, 3, 0)).toBeLessThan(0);
  });

  it('is reproducible for a seed and iteration, and checks its arguments', () => {
    const us = [Float64Array.of(1, 2)];
    expect(smoothedCostSlope(sq, us, 1, 3, 5, 2)).toBe(smoothedCostSlope(sq, us, 1, 3, 5, 2));
    expect(() => smoothedCostSlope(sq, us, 0, 3, 5, 2)).toThrow(/sigma/);
    expect(() => smoothedCostSlope(sq, us, 1, 0, 5, 2)).toThrow(/pairs/);
  });
});
