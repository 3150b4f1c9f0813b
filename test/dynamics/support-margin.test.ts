/** supportMargin (dynamics/statics.ts) against hand-computed distances. */
import { describe, expect, it } from 'vitest';
import { supportMargin } from '../../server/dynamics/statics.ts';

describe('supportMargin', () => {
  const square: [number, number][] = [[1, 1], [-1, 1], [-1, -1], [1, -1]];
  it('is the distance to the nearest edge inside, negative outside, whatever the point order', () => {
    expect(supportMargin(square, [0, 0])).toBeCloseTo(1, 15);
    expect(supportMargin(square, [0.5, 0.2])).toBeCloseTo(0.5, 15);
    expect(supportMargin([...square].reverse(), [0.5, 0.2])).toBeCloseTo(0.5, 15);
    expect(supportMargin(square, [1.5, 0])).toBeCloseTo(-0.5, 15);
    // a triangle: the centroid of (0,0), (3,0), (0,3) is 1 from the two legs, (3 - 2)/sqrt(2) from the hypotenuse
    expect(supportMargin([[0, 0], [3, 0], [0, 3]], [1, 1])).toBeCloseTo(1 / Math.SQRT2, 15);
    // on the diagonal of the square's stance triangle (a quadruped's CoM with one foot up): 0
    expect(supportMargin([[-1, 1], [-1, -1], [1, -1]], [0, 0])).toBeCloseTo(0, 15);
  });
  it('refuses collinear supports', () => {
    expect(() => supportMargin([[0, 0], [1, 1], [2, 2]], [0, 0])).toThrow(/on a line/);
  });
});
