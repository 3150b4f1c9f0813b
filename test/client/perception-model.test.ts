import { describe, expect, it } from 'vitest';
import {
  alignFitSeries, applyFitMessage, bestMethod, createFitsState, cubeLiftParamsFromPose, imageAt, maskIoU, maskOutline, methodLine, randomRotation,
  renderHeightOf, silhouetteMask,
} from '../../client/perception-model.ts';
import { ServerMessageSchema, type FitIterateMsg, type FitState, type ServerMessage } from '../../shared/protocol.ts';

const pose = { rotation: [0.1, 0.2, 0.3], translation: [0, 0, 0] };
function state(statuses: FitState['methods'][number]['status'][]): FitState {
  return {
    id: 'f1', object: 'cube', size: 32, iterations: 10, seed: 1, status: 'running', createdAt: '2026-01-01T00:00:00.000Z', target: 'pose',
    targetPose: pose, initialPose: pose, translation: false, targetUrl: '/api/fits/f1/target.png',
    methods: (['softras', 'perturbed'] as const).map((method, i) => ({ method, status: statuses[i], iteration: 0, loss: null, errorDeg: null, success: null, error: null, recording: null })),
  };
}
const rec = (iteration: number, loss: number): FitIterateMsg => ({
  iteration, loss, sigma: 1e-3, gamma: 1e-2, samples: 8, lr: 0.03, errorDeg: 20 - iteration, gradNorm: 1, dLdSigma: 0, dLdGamma: 0, sensitivity: 0, reduced: false,
});
/** Every message built here is checked against the shared protocol first. */
const msg = (m: unknown): ServerMessage => ServerMessageSchema.parse(m);

describe('fits store', () => {
  it('follows status, iterates (out of order, with renders) and finals; a late iterate does not replace the final', () => {
    const s = createFitsState();
    expect(applyFitMessage(s, msg({ type: 'status', plan: { id: 'p', robot: 'r', task: 't', params: {}, status: 'queued', createdAt: 'x', solves: [] } }))).toBe(false);
    applyFitMessage(s, msg({ type: 'fit-status', fit: state(['queued', 'queued']) }));
    expect(s.current).toBe('f1');
    applyFitMessage(s, msg({ type: 'fit-iterate', fit: 'f1', method: 'softras', record: rec(4, 0.5), pose, image: { iteration: 4, png: 'AAA' } }));
    applyFitMessage(s, msg({ type: 'fit-iterate', fit: 'f1', method: 'softras', record: rec(2, 0.7), pose }));
    const v = s.fits.get('f1')!.methods.softras!;
    expect(v.status).toBe('running');
    expect(v.history.map((h) => h.iteration)).toEqual([2, 4]);
    expect(v.image).toEqual({ iteration: 4, png: 'AAA' });
    const result = { method: 'softras', rotation: [1, 2, 3], translation: [0, 0.5, 0], errorDeg: 3, lastErrorDeg: 3, initialErrorDeg: 20, success: true, bestLoss: 0.01, iterations: 10, timeMs: 5, cancelled: false, image: 'BBB', telemetry: Array.from({ length: 10 }, (_, i) => rec(i, 1 / (i + 1))) };
    applyFitMessage(s, msg({ type: 'fit-final', fit: 'f1', method: 'softras', result }));
    applyFitMessage(s, msg({ type: 'fit-iterate', fit: 'f1', method: 'softras', record: rec(7, 0.5), pose }));
    expect(v.history).toHaveLength(10);
    expect(v.status).toBe('done');
    expect(v.image).toEqual({ iteration: 10, png: 'BBB' });
    expect(v.pose).toEqual({ rotation: [1, 2, 3], translation: [0, 0.5, 0] });
    // a status still saying running (sent before the final) does not undo the final
    applyFitMessage(s, msg({ type: 'fit-status', fit: state(['running', 'running']) }));
    expect(v.status).toBe('done');
    expect(methodLine(v, 10)).toBe('done · it 10/10 · loss 1.00e-1 · σ 1.0e-3 · 3.0° ✓');
    // where a cluster worker ran it (a second attempt named), as the Plan tab says it of a solve
    const remote = state(['done', 'running']);
    remote.methods[0].where = { worker: 'lab-2:4121', host: 'lab-2', attempt: 2 };
    applyFitMessage(s, msg({ type: 'fit-status', fit: remote }));
    expect(methodLine(v, 10)).toBe('done · it 10/10 · loss 1.00e-1 · σ 1.0e-3 · 3.0° ✓ · on lab-2:4121 (attempt 2)');
    applyFitMessage(s, msg({ type: 'fit-status', fit: state(['done', 'running']) }));
    expect(v.where).toBeNull();
    // the best method: the lowest loss among the finished
    expect(bestMethod(s.fits.get('f1')!)?.method).toBe('softras');
    applyFitMessage(s, msg({ type: 'fit-final', fit: 'f1', method: 'perturbed', result: { ...result, method: 'perturbed', bestLoss: 0.002 } }));
    expect(bestMethod(s.fits.get('f1')!)?.method).toBe('perturbed');
  });

  it('aligns histories on a common iteration axis, with gaps for missing, non-finite and (log) non-positive values', () => {
    const a = [rec(0, 1), rec(2, 0)], b = [rec(1, 3), rec(2, 2)];
    expect(alignFitSeries([a, b], (p) => p.loss, true)).toEqual([[0, 1, 2], [1, null, null], [null, 3, 2]]);
    expect(alignFitSeries([a, b], (p) => p.loss, false)).toEqual([[0, 1, 2], [1, null, 0], [null, 3, 2]]);
  });
});

describe('cube pose for cube-lift', () => {
  it('maps the estimated height (render units, 0.05 m each) onto the rail, clamped to the task range', () => {
    expect(cubeLiftParamsFromPose({ rotation: [1, 0, 0], translation: [0, 0, 0] })).toEqual({ initialHeight: 0.05 });
    expect(cubeLiftParamsFromPose({ rotation: [0, 0, 0], translation: [3, 5, -2] })).toEqual({ initialHeight: 0.3 });
    expect(cubeLiftParamsFromPose({ rotation: [0, 0, 0], translation: [0, -1, 0] })).toEqual({ initialHeight: 0.05 });
    expect(cubeLiftParamsFromPose({ rotation: [0, 0, 0], translation: [0, 100, 0] })).toEqual({ initialHeight: 1.5 });
    expect(cubeLiftParamsFromPose({ rotation: [0, 0, 0], translation: [0, renderHeightOf(0.17), 0] }).initialHeight).toBeCloseTo(0.17, 12);
  });
});

describe('silhouettes', () => {
  it('masks what is brighter than the background and outlines it (a filled square: its perimeter)', () => {
    const w = 10, h = 8, rgba = new Uint8Array(4 * w * h);
    for (let y = 2; y < 7; y++) for (let x = 3; x < 8; x++) { rgba[4 * (y * w + x)] = 200; rgba[4 * (y * w + x) + 3] = 255; }
    rgba[0] = 10; // dark noise stays background
    const m = silhouetteMask(rgba, w, h);
    expect(m.reduce((a, b) => a + b, 0)).toBe(25);
    const o = maskOutline(m, w, h);
    expect(o.reduce((a, b) => a + b, 0)).toBe(16);
    expect(o[4 * w + 5]).toBe(0); // the centre is inside
    expect(maskIoU(m, m)).toBe(1);
    const shifted = new Uint8Array(w * h);
    for (let y = 2; y < 7; y++) for (let x = 4; x < 9; x++) shifted[y * w + x] = 1;
    expect(maskIoU(m, shifted)).toBeCloseTo(20 / 30, 12);
  });
});

describe('random rotations', () => {
  it('are uniform: E[trace R] = 0 under the Haar measure, i.e. E[cos angle] = -1/2, and angles within [0, pi]', () => {
    let s = 12345;
    const rand = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; };
    let sum = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const r = randomRotation(rand);
      const a = Math.hypot(r[0], r[1], r[2]);
      expect(a).toBeLessThanOrEqual(Math.PI + 1e-12);
      sum += Math.cos(a);
    }
    // standard deviation of cos(angle) is 1/2: the mean of 20000 is within 0.02 of -1/2 (5 sigma)
    expect(Math.abs(sum / n + 0.5)).toBeLessThan(0.02);
  });
});

describe('renders by iteration', () => {
  it('keeps every render received and picks the last at or before an iteration (null: the latest or the estimate)', () => {
    const s = createFitsState();
    applyFitMessage(s, msg({ type: 'fit-status', fit: state(['running', 'running']) }));
    for (const [i, png] of [[0, 'A'], [10, 'B'], [20, 'C']] as const) applyFitMessage(s, msg({ type: 'fit-iterate', fit: 'f1', method: 'softras', record: rec(i, 0.5), pose, image: { iteration: i, png } }));
    // a repeated (snapshot) render is kept once
    applyFitMessage(s, msg({ type: 'fit-iterate', fit: 'f1', method: 'softras', record: rec(20, 0.5), pose, image: { iteration: 20, png: 'C' } }));
    const v = s.fits.get('f1')!.methods.softras!;
    expect(v.images.map((x) => x.png)).toEqual(['A', 'B', 'C']);
    expect(imageAt(v, 15)?.png).toBe('B');
    expect(imageAt(v, 10)?.png).toBe('B');
    expect(imageAt(v, 0)?.png).toBe('A');
    expect(imageAt(v, 99)?.png).toBe('C');
    expect(imageAt(v, null)?.png).toBe('C');
  });
});
