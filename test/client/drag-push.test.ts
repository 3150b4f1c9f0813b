/** Drag to push (client/drag-push.ts): the viewport under the cursor and the force of a drag. */
import { describe, expect, it } from 'vitest';
import { dragForce, NEWTONS_PER_METRE, viewportAt } from '../../client/drag-push.ts';
import { MAX_PUSH_FORCE_N } from '../../shared/limits.ts';

describe('drag to push', () => {
  it('finds the viewport under the cursor and the point in its device coordinates', () => {
    // two viewports of 400 x 300 side by side
    expect(viewportAt(0, 0, 800, 300, 2)).toEqual({ index: 0, ndc: [-1, 1] });
    expect(viewportAt(200, 150, 800, 300, 2)).toEqual({ index: 0, ndc: [0, 0] });
    expect(viewportAt(600, 150, 800, 300, 2)).toEqual({ index: 1, ndc: [0, 0] });
    expect(viewportAt(799, 299, 800, 300, 2)!.index).toBe(1);
    expect(viewportAt(800, 10, 800, 300, 2)).toBeNull();
    expect(viewportAt(-1, 10, 800, 300, 2)).toBeNull();
  });

  it('pushes along the drag, NEWTONS_PER_METRE per metre, capped at the server limit', () => {
    const f = dragForce([0, 0, 0.2], [0.03, 0.04, 0.2]);
    expect(Math.hypot(...f)).toBeCloseTo(NEWTONS_PER_METRE * 0.05, 12);
    expect(f[0] / f[1]).toBeCloseTo(0.75, 12);
    expect(f[2]).toBe(0);
    const big = dragForce([0, 0, 0], [0, 0, 10]);
    expect(big).toEqual([0, 0, MAX_PUSH_FORCE_N]);
    expect(dragForce([1, 2, 3], [1, 2, 3])).toEqual([0, 0, 0]);
  });
});
