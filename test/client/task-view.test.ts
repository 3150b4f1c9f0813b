import { describe, expect, it } from 'vitest';
import { jointLayout } from '../../client/joint-layout.ts';
import { plotHeight } from '../../client/plots.ts';
import { alignOnTime, extraPlots, framePoint, targetPoint, taskView, trackedFrames, traceValues, type ExtraSpec, type FrameTrack } from '../../client/task-view.ts';
import { createData } from '../../server/dynamics/data.ts';
import { forwardKinematics, updateFramePlacements } from '../../server/dynamics/kinematics.ts';
import { frameIndex, JOINT_FREE, jointIndex } from '../../server/model/model.ts';
import { loadRobot, posture } from '../../server/model/robots.ts';

/** Solo-12's joints as GET /api/robots/solo12 lists them: the free-flyer, then each leg's hip (HAA, HFE) and knee (KFE). */
const soloJoints = [{ name: 'root_joint', type: 'free' }, ...['FL', 'FR', 'HL', 'HR'].flatMap((l) => ['HAA', 'HFE', 'KFE'].map((j) => ({ name: `${l}_${j}`, type: 'revolute' })))];
const solo = { links: ['base_link', 'FL_FOOT', 'FR_FOOT', 'HL_FOOT', 'HR_FOOT', 'FL_LOWER_LEG'], contactFrames: ['FL_FOOT', 'FR_FOOT', 'HL_FOOT', 'HR_FOOT'], joints: soloJoints };

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
    // the extras: the other three feet, the base height q[2], the HR knee: q index 7 (free-flyer) + 3 legs x 3 + 2 = 18
    expect(v.extras).toEqual([
      { id: 'other-feet', kind: 'frames-max-rise', frames: ['FL_FOOT', 'FR_FOOT', 'HL_FOOT'], label: 'other feet, max', unit: 'm', target: null },
      { id: 'base-height', kind: 'q', index: 2, label: 'base height', unit: 'm', target: null },
      { id: 'knee', kind: 'q', index: 18, label: 'HR_KFE knee', unit: 'rad', target: null },
    ]);
    const t = track({ HR_FOOT: { start: [-0.19, -0.17, 0.016], rate: 0.01 } }, 5);
    const p = targetPoint(v.target, t)!;
    expect(p[0]).toBe(-0.19); expect(p[1]).toBe(-0.17); expect(p[2]).toBeCloseTo(0.096, 12);
    const tr = traceValues(v.trace, t, [[], [], [], [], []]);
    tr.forEach((x, k) => expect(x).toBeCloseTo(0.01 * k, 12));
  });

  it("lift-leg on a robot with other names: the foot and knee come from the summary's legs", () => {
    const legs = { FL: { frame: 'lf_foot', knee: 'lf_knee' }, FR: { frame: 'rf_foot', knee: 'rf_knee' }, HL: { frame: 'lh_foot', knee: 'lh_knee' }, HR: { frame: 'rh_foot', knee: 'rh_knee' } };
    const joints = [{ name: 'root_joint', type: 'free' }, ...['lf', 'rf', 'lh', 'rh'].flatMap((l) => ['hip', 'knee'].map((j) => ({ name: `${l}_${j}`, type: 'revolute' })))];
    const feet = ['lf_foot', 'rf_foot', 'lh_foot', 'rh_foot'];
    const v = taskView('lift-leg', { foot: 'HL', height: 0.05 }, { links: ['base', ...feet], contactFrames: feet, joints, legs });
    expect(v.target).toEqual({ frame: 'lh_foot', kind: 'start-offset', offset: [0, 0, 0.05] });
    expect(v.trace).toMatchObject({ frame: 'lh_foot', label: 'HL foot height' });
    // lh_knee: 7 (free-flyer) + 2 legs x 2 + 1 = 12
    expect(v.extras.find((e) => e.id === 'knee')).toEqual({ id: 'knee', kind: 'q', index: 12, label: 'lh_knee knee', unit: 'rad', target: null });
  });

  it('reach: target = the end effector at knot 0 plus the offset; trace = its distance to the target', () => {
    const v = taskView('reach', { dx: 0.1, dy: 0, dz: 0.2 }, { links: ['base', 'tip'], contactFrames: [], joints: [{ name: 'j1', type: 'revolute' }], endEffector: 'tip' });
    expect(v.trails).toEqual(['tip']);
    const t = track({ tip: { start: [0, 0, -0.3], rate: 0.1 } }, 3);
    targetPoint(v.target, t)!.forEach((x, i) => expect(x).toBeCloseTo([0.1, 0, -0.1][i], 12));
    const d = traceValues(v.trace, t, [[0], [0], [0]]);
    [Math.hypot(0.1, 0.2), Math.hypot(0.1, 0.1), 0.1].forEach((x, k) => expect(d[k]).toBeCloseTo(x, 12));
  });

  it('cube-lift: target at the cube start x, y and the target height; trace = the cube height', () => {
    const v = taskView('cube-lift', { height: 0.3 }, { links: ['rail', 'cube'], contactFrames: [], joints: [{ name: 'slide', type: 'prismatic' }] });
    expect(v.trails).toEqual(['cube']);
    const t = track({ cube: { start: [0, 0, 0.05], rate: 0.1 } }, 3);
    expect(targetPoint(v.target, t)).toEqual([0, 0, 0.3]);
    expect(traceValues(v.trace, t, [[0], [0], [0]]).map((x) => +x.toFixed(6))).toEqual([0.05, 0.15, 0.25]);
  });

  it('swing-up: the target comes from forward kinematics at the upright configuration; trace = first joint angle', () => {
    const v = taskView('swing-up', {}, { links: ['base_link', 'link1', 'link2', 'tip'], contactFrames: [], joints: [{ name: 'joint1', type: 'revolute' }, { name: 'joint2', type: 'revolute' }] });
    const seen: number[][] = [];
    expect(targetPoint(v.target, null, (q, f) => { seen.push(q); return f === 'tip' ? [0, 0, 1.2] : null; })).toEqual([0, 0, 1.2]);
    expect(seen).toEqual([[Math.PI, 0]]);
    expect(targetPoint(v.target, null)).toBeNull();
    expect(traceValues(v.trace, null, [[0.1, 0], [0.2, 1], []])).toEqual([0.1, 0.2, NaN]);
    expect(v.trace!.target).toBe(Math.PI);
    expect(v.extras).toEqual([]);
  });

  it('lift-leg extras from a known Solo-12 trajectory: base height = q[2], knee = q[FL_KFE], other feet = their highest rise', () => {
    // The trajectory: the standing posture, the base rising 1 mm per knot, the FL knee bending
    // 0.05 rad per knot (the leg bends, the foot moves). The feet come from the server's forward
    // kinematics (an independent implementation from the browser's urdf-loader).
    const { model, meta } = loadRobot('solo12');
    const summaryJoints = Array.from({ length: model.njoints - 1 }, (_, i) => ({ name: model.jointNames[i + 1], type: model.jointTypes[i + 1] === JOINT_FREE ? 'free' : 'revolute' }));
    expect(summaryJoints).toEqual(soloJoints); // the summary order the other tests assume
    const v = taskView('lift-leg', { foot: 'FL', height: 0.05 }, { ...solo, joints: summaryJoints });
    const kneeIndex = 7 + 2; // by hand: the free-flyer's 7 entries, then FL_HAA, FL_HFE, FL_KFE
    expect(model.idxQ[jointIndex(model, 'FL_KFE')]).toBe(kneeIndex);
    expect(v.extras.map((e) => e.id)).toEqual(['other-feet', 'base-height', 'knee']);
    const knots = 6;
    const q0 = posture(meta, model, 'standing');
    const q = Array.from({ length: knots }, (_, k) => { const x = Array.from(q0); x[2] += 0.001 * k; x[kneeIndex] += 0.05 * k; return x; });
    const data = createData(model);
    const pos = new Map(solo.contactFrames.map((f) => [f, new Float64Array(3 * knots)]));
    q.forEach((x, k) => {
      forwardKinematics(model, data, Float64Array.from(x));
      updateFramePlacements(model, data);
      for (const [f, p] of pos) p.set(data.oMf.subarray(12 * frameIndex(model, f) + 9, 12 * frameIndex(model, f) + 12), 3 * k);
    });
    const track: FrameTrack = { knots, pos };
    const [others, base, knee] = v.extras.map((e) => traceValues(e, track, q));
    for (let k = 0; k < knots; k++) {
      expect(base[k]).toBe(q0[2] + 0.001 * k);
      expect(knee[k]).toBe(q0[9] + 0.05 * k);
      expect(knee[k]).toBeCloseTo(-1.6 + 0.05 * k, 12); // the standing posture's FL_KFE (robots/solo12.json)
      expect(others[k]).toBeCloseTo(0.001 * k, 12); // the other legs are rigid: their feet rise with the base
    }
    // the FL foot itself moves with its knee: its rise differs from the base's
    const rise = traceValues(v.trace, track, q);
    expect(Math.abs(rise[knots - 1] - 0.001 * (knots - 1))).toBeGreaterThan(0.005);
    // with a missing frame or no track: NaN, never a wrong number
    expect(traceValues(v.extras[0], { knots, pos: new Map([...pos].filter(([f]) => f !== 'HL_FOOT')) }, q)).toEqual(q.map(() => NaN));
    expect(traceValues(v.extras[0], null, q)).toEqual(q.map(() => NaN));
    expect(traceValues(v.extras[2], null, [[0, 1]])).toEqual([NaN]);
  });

  it('the other feet series is the highest of their rises, knot by knot', () => {
    const v = taskView('lift-leg', { foot: 'FL' }, solo);
    const t = track({ FR_FOOT: { start: [0, 0, 0.016], rate: 0.002 }, HL_FOOT: { start: [0, 0, 0.02], rate: -0.001 }, HR_FOOT: { start: [0, 0, 0.016], rate: 0 } }, 4);
    // FR rises 2 mm per knot, HL sinks, HR stays: the highest is FR's rise (0 at knot 0: HR's and HL's)
    traceValues(v.extras[0], t, [[], [], [], []]).forEach((x, k) => expect(x).toBeCloseTo(0.002 * k, 12));
    const t2 = track({ FR_FOOT: { start: [0, 0, 0.016], rate: -0.003 }, HL_FOOT: { start: [0, 0, 0.02], rate: -0.001 }, HR_FOOT: { start: [0, 0, 0.016], rate: -0.002 } }, 3);
    traceValues(v.extras[0], t2, [[], [], []]).forEach((x, k) => expect(x).toBeCloseTo(-0.001 * k, 12));
  });

  it('extra plots: every id on screen, each viewport with its own values or none', () => {
    const other: ExtraSpec = { id: 'other-feet', kind: 'frames-max-rise', frames: ['FR_FOOT'], label: 'other feet, max', unit: 'm', target: null };
    const knee: ExtraSpec = { id: 'knee', kind: 'q', index: 9, label: 'FL_KFE knee', unit: 'rad', target: null };
    const kneeHR: ExtraSpec = { ...knee, index: 18, label: 'HR_KFE knee' };
    const left = { dt: 0.01, extras: [other, knee], values: [[0, 1], [2, 3]] };
    const right = { dt: 0.02, extras: [kneeHR], values: [[4, 5, 6]] };
    expect(extraPlots([left, right])).toEqual([
      { spec: other, series: [{ dt: 0.01, values: [0, 1] }, null] },
      { spec: knee, series: [{ dt: 0.01, values: [2, 3] }, { dt: 0.02, values: [4, 5, 6] }] },
    ]);
    expect(extraPlots([null, right])).toEqual([{ spec: kneeHR, series: [null, { dt: 0.02, values: [4, 5, 6] }] }]);
    expect(extraPlots([null, null])).toEqual([]);
    expect(extraPlots([{ dt: 0.01, extras: [], values: [] }, null])).toEqual([]);
  });

  it('joint layout: a free-flyer takes 7 entries of q, every other joint one', () => {
    expect(jointLayout(soloJoints).base).toBe(0);
    expect(jointLayout(soloJoints).joints.find((j) => j.name === 'HL_HFE')!.index).toBe(7 + 3 + 3 + 1);
    expect(jointLayout([{ name: 'a', type: 'revolute' }, { name: 'b', type: 'prismatic' }])).toEqual({ base: null, joints: [{ name: 'a', index: 0 }, { name: 'b', index: 1 }] });
  });

  it('plot height: the plots keep to about half the window, between 80 and 150 px', () => {
    expect(plotHeight(720, 1)).toBe(150);
    expect(plotHeight(1080, 2)).toBe(150);
    const h = plotHeight(720, 2);
    expect(h).toBeLessThan(150);
    expect(2 * (h + 46) + 40).toBeLessThanOrEqual(720 / 2);
    expect(plotHeight(400, 3)).toBe(80);
  });

  it('unknown tasks and missing frames fall back to the contact frames, without a target', () => {
    const v = taskView('walk', {}, solo);
    expect(v.target).toBeNull();
    expect(v.trails).toEqual(solo.contactFrames);
    expect(v.trace).toMatchObject({ kind: 'frame-z', frame: 'FL_FOOT' });
    const bare = taskView('lift-leg', { foot: 'FL' }, { links: ['base_link'], contactFrames: ['FL_FOOT'], joints: soloJoints });
    expect(bare).toEqual({ trails: [], target: null, trace: null, extras: [] });
    expect(v.extras).toEqual([]);
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
