import { describe, expect, it } from 'vitest';
import { interpolateQ, knotAt, slerp, Timeline } from '../../client/timeline.ts';

const axisAngle = (ax: number[], a: number) => [ax[0] * Math.sin(a / 2), ax[1] * Math.sin(a / 2), ax[2] * Math.sin(a / 2), Math.cos(a / 2)];

describe('slerp', () => {
  it('interpolates the rotation angle at constant rate about the common axis', () => {
    const a = axisAngle([0, 0, 1], 0), b = axisAngle([0, 0, 1], 1.2);
    for (const t of [0, 0.25, 0.5, 0.9, 1]) {
      const r = slerp(a, b, t);
      const e = axisAngle([0, 0, 1], 1.2 * t);
      r.forEach((x, i) => expect(x).toBeCloseTo(e[i], 12));
    }
  });
  it('takes the short way when the quaternions have opposite signs, and stays unit', () => {
    const a = axisAngle([1, 0, 0], 0.2), b = axisAngle([1, 0, 0], 0.6).map((x) => -x);
    const r = slerp(a, b, 0.5);
    const e = axisAngle([1, 0, 0], 0.4);
    r.forEach((x, i) => expect(x).toBeCloseTo(e[i], 12));
    expect(Math.hypot(...r)).toBeCloseTo(1, 14);
  });
  it('is stable for (nearly) equal quaternions', () => {
    const a = axisAngle([0, 1, 0], 0.3);
    slerp(a, a, 0.7).forEach((x, i) => expect(x).toBeCloseTo(a[i], 12));
  });
});

describe('interpolateQ', () => {
  const dt = 0.1;
  it('is linear between knots for fixed-base robots and clamps at the ends', () => {
    const q = [[0, 1], [1, 3], [2, 5]];
    expect(interpolateQ(q, dt, 0.05, false)).toEqual([0.5, 2]);
    expect(interpolateQ(q, dt, 0.15, false)[1]).toBeCloseTo(4, 12);
    expect(interpolateQ(q, dt, -1, false)).toEqual([0, 1]);
    expect(interpolateQ(q, dt, 9, false)).toEqual([2, 5]);
    expect(interpolateQ(q, dt, 0.2, false)).toEqual([2, 5]);
    expect(interpolateQ([], dt, 0, false)).toEqual([]);
  });
  it('slerps the free-flyer quaternion q[3..6] and interpolates the rest linearly', () => {
    const q0 = [0, 0, 0.3, ...axisAngle([0, 0, 1], 0), 0.1];
    const q1 = [1, 0, 0.5, ...axisAngle([0, 0, 1], Math.PI / 2), 0.3];
    const q = interpolateQ([q0, q1], dt, 0.05, true);
    expect(q[0]).toBeCloseTo(0.5, 12);
    expect(q[2]).toBeCloseTo(0.4, 12);
    expect(q[7]).toBeCloseTo(0.2, 12);
    axisAngle([0, 0, 1], Math.PI / 4).forEach((x, i) => expect(q[3 + i]).toBeCloseTo(x, 12));
    // linear interpolation of the quaternion components would not be unit:
    expect(Math.hypot(q[3], q[4], q[5], q[6])).toBeCloseTo(1, 14);
  });
  it('knotAt maps time to knot and fraction', () => {
    expect(knotAt(0.25, 0.1, 5)).toMatchObject({ index: 2 });
    expect(knotAt(0.25, 0.1, 5).alpha).toBeCloseTo(0.5, 12);
    expect(knotAt(0.4, 0.1, 5)).toEqual({ index: 3, alpha: 1 });
    expect(knotAt(1, 0.1, 1)).toEqual({ index: 0, alpha: 0 });
  });
});

describe('Timeline', () => {
  const make = () => { const t = new Timeline(); t.setLength(11, 0.1); return t; }; // duration 1 s
  it('advances by speed x elapsed and loops around', () => {
    const t = make();
    expect(t.duration).toBeCloseTo(1, 12);
    t.advance(0.3);
    expect(t.time).toBeCloseTo(0.3, 12);
    t.setSpeed(2);
    t.advance(0.3);
    expect(t.time).toBeCloseTo(0.9, 12);
    t.advance(0.1);
    expect(t.time).toBeCloseTo(0.1, 12);
    expect(t.playing).toBe(true);
    t.setSpeed(-1); t.setSpeed(NaN);
    expect(t.speed).toBe(2);
  });
  it('stops at the end without loop, and play restarts from the beginning', () => {
    const t = make();
    t.loop = false;
    t.advance(5);
    expect(t.time).toBeCloseTo(1, 12);
    expect(t.playing).toBe(false);
    t.advance(1);
    expect(t.time).toBeCloseTo(1, 12);
    t.play();
    expect(t.time).toBe(0);
    expect(t.playing).toBe(true);
  });
  it('pause / toggle stop and resume', () => {
    const t = make();
    t.toggle();
    expect(t.playing).toBe(false);
    t.advance(0.5);
    expect(t.time).toBe(0);
    t.toggle();
    t.advance(0.5);
    expect(t.time).toBeCloseTo(0.5, 12);
  });
  it('step moves by knots, pauses, and wraps when looping (clamps otherwise)', () => {
    const t = make();
    t.step(1);
    expect(t.playing).toBe(false);
    expect(t.index).toBe(1);
    t.step(-2);
    expect(t.index).toBe(10);
    t.step(1);
    expect(t.index).toBe(0);
    t.loop = false;
    t.step(-1);
    expect(t.index).toBe(0);
    t.step(25);
    expect(t.index).toBe(10);
    expect(t.time).toBeCloseTo(1, 12);
  });
  it('scrub and seek clamp to the trajectory; setLength keeps the time in range', () => {
    const t = make();
    t.scrub(0.5);
    expect(t.time).toBeCloseTo(0.5, 12);
    expect(t.fraction).toBeCloseTo(0.5, 12);
    t.scrub(2);
    expect(t.time).toBeCloseTo(1, 12);
    t.seek(-3);
    expect(t.time).toBe(0);
    t.seek(0.9);
    t.setLength(5, 0.1);
    expect(t.time).toBeCloseTo(0.4, 12);
    t.setLength(1, 0.1);
    expect(t.duration).toBe(0);
    t.advance(1);
    expect(t.time).toBe(0);
  });
});
