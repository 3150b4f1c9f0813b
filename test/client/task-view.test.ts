import { describe, expect, it } from 'vitest';
import { alignOnTime, framePoint, targetPoint, taskView, trackedFrames, traceValues, type FrameTrack } from '../../client/task-view.ts';

const solo = { links: ['base_link', 'FL_FOOT', 'FR_FOOT', 'HL_FOOT', 'HR_FOOT', 'FL_LOWER_LEG'], contactFrames: ['FL_FOOT', 'FR_FOOT', 'HL_FOOT', 'HR_FOOT'] };

/** A track where frame f rises linearly: z_k = z0 + k * rate. */
function track(frames: Record<string, { start: [number, number, number]; rate: number }>, knots: number): FrameTrack {
  const pos = new Map<string, Float64Array>();
  for (const [f, { start, rate }] of Object.entries(frames)) {
    const a = new Float64Array(3 * knots);
    for (let k = 0; k < knots; k++) { a[3 * k] = start[0]; a[3 * k + 1] = start[1]; a[3 * k + 2] = start[2] + k * rate; }
    pos.set(f, a);
  }
  return { knots, pos };
}

describe('task view (overlays and the trace plot)', () => {
  it('lift-leg: trails of the four feet, target = the lifted foot at knot 0 raised by height, trace = its rise', () => {
    const v = taskView('lift-leg', { foot: 'HR', height: 0.08 }, solo);
    expect(v.trails).toEqual(solo.contactFrames);
    expect(v.target).toEqual({ frame: 'HR_FOOT', kind: 'start-offset', offset: [0, 0, 0.08] });
    expect(v.trace).toMatchObject({ kind: 'frame-rise', frame: 'HR_FOOT', label: 'HR foot height', unit: 'm', target: 0.08 });
    expect(trackedFrames(v).sort()).toEqual([...solo.contactFrames].sort());
    const t = track({ HR_FOOT: { start: [-0.19, -0.17, 0.016], rate: 0.01 } }, 5);
    const p = targetPoint(v.target, t)!;
    expect(p[0]).toBe(-0.19); expect(p[1]).toBe(-0.17); expect(p[2]).toBeCloseTo(0.096, 12);
    const tr = traceValues(v.trace, t, [[], [], [], [], []]);
    tr.forEach((x, k) => expect(x).toBeCloseTo(0.01 * k, 12));
  });

  it('cube-lift: target at the cube start x, y and the target height; trace = the cube height', () => {
    const v = taskView('cube-lift', { height: 0.3 }, { links: ['rail', 'cube'], contactFrames: [] });
    expect(v.trails).toEqual(['cube']);
    const t = track({ cube: { start: [0, 0, 0.05], rate: 0.1 } }, 3);
    expect(targetPoint(v.target, t)).toEqual([0, 0, 0.3]);
    expect(traceValues(v.trace, t, [[0], [0], [0]]).map((x) => +x.toFixed(6))).toEqual([0.05, 0.15, 0.25]);
  });

  it('swing-up: the target comes from forward kinematics at the upright configuration; trace = first joint angle', () => {
    const v = taskView('swing-up', {}, { links: ['base_link', 'link1', 'link2', 'tip'], contactFrames: [] });
    const seen: number[][] = [];
    expect(targetPoint(v.target, null, (q, f) => { seen.push(q); return f === 'tip' ? [0, 0, 1.2] : null; })).toEqual([0, 0, 1.2]);
    expect(seen).toEqual([[Math.PI, 0]]);
    expect(targetPoint(v.target, null)).toBeNull();
    expect(traceValues(v.trace, null, [[0.1, 0], [0.2, 1], []])).toEqual([0.1, 0.2, NaN]);
    expect(v.trace!.target).toBe(Math.PI);
  });

  it('unknown tasks and missing frames fall back to the contact frames, without a target', () => {
    const v = taskView('walk', {}, solo);
    expect(v.target).toBeNull();
    expect(v.trails).toEqual(solo.contactFrames);
    expect(v.trace).toMatchObject({ kind: 'frame-z', frame: 'FL_FOOT' });
    const bare = taskView('lift-leg', { foot: 'FL' }, { links: ['base_link'], contactFrames: ['FL_FOOT'] });
    expect(bare).toEqual({ trails: [], target: null, trace: null });
    expect(traceValues(null, null, [[1]])).toEqual([]);
    expect(traceValues(v.trace, null, [[1], [2]])).toEqual([NaN, NaN]);
    expect(targetPoint(null, null)).toBeNull();
    expect(framePoint(track({ a: { start: [1, 2, 3], rate: 0 } }, 2), 'a', 2)).toBeNull();
  });

  it('aligns series of different time steps on the union of their knot times', () => {
    const [xs, a, b] = alignOnTime([{ dt: 0.1, values: [0, 1, 2] }, { dt: 0.05, values: [5, 6, NaN, 8, 9] }]);
    expect(xs).toEqual([0, 0.05, 0.1, 0.15, 0.2]);
    expect(a).toEqual([0, null, 1, null, 2]);
    expect(b).toEqual([5, 6, null, 8, 9]);
    const [xs2, c, d] = alignOnTime([null, { dt: 0.02, values: [1, 2] }]);
    expect(xs2).toEqual([0, 0.02]);
    expect(c).toEqual([null, null]);
    expect(d).toEqual([1, 2]);
  });
});
