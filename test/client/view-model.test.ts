import { describe, expect, it } from 'vitest';
import { applyMessage, createState, plansNewestFirst } from '../../client/connection.ts';
import { fmt, liveSlots, progress, RecordingContentSchema, recordingSlot, statusLine, timelineLength, type SlotView } from '../../client/view-model.ts';
import { ms, telemetryCells } from '../../client/telemetry.ts';
import { alignSeries, polishIterations } from '../../client/plots.ts';
import type { PlanState } from '../../shared/protocol.ts';

const rec = (iteration: number, cost: number | null, sigma = 0, accepted = true) => ({
  iteration, cost, costBefore: null, expectedImprovement: null, actualImprovement: null, stepLength: 0.5, regularization: 1e-6,
  gradientNorm: 1, accepted, sigma, samples: 8, phase: 'smooth' as const, times: { linearize: 1, backward: 1, forward: 1, total: 12.345 },
});
const plan = (id: string, over: Partial<PlanState['solves'][number]> = {}, solvers: ('ddp' | 'rddp')[] = ['ddp', 'rddp']): PlanState => ({
  id, robot: 'solo12', task: 'lift-leg', params: { foot: 'FL', height: 0.05 }, status: 'running', createdAt: `2026-01-01T00:00:0${id.length}.000Z`,
  solves: solvers.map((solver) => ({ solver, status: 'running' as const, run: 0, warmStart: false, iteration: 0, latest: null, cost: null, success: null, error: null, recording: null, ...over })),
});

describe('view model', () => {
  it('live slots: DDP left, R-DDP right, with the plan budget; a missing solver is an empty viewport', () => {
    const s = createState();
    expect(liveSlots(s)).toEqual([null, null]);
    applyMessage(s, { type: 'status', plan: plan('p', {}, ['rddp']) });
    s.budgets.set('p', 50);
    applyMessage(s, { type: 'iterate', plan: 'p', solver: 'rddp', run: 0, record: rec(5, 2, 0.5), trajectory: { dt: 0.1, q: [[0], [1]], v: [[0], [0]], u: [[0]] } });
    const [l, r] = liveSlots(s);
    expect(l).toBeNull();
    expect(r).toMatchObject({ source: 'live', key: 'p/rddp/0', title: 'R-DDP', robot: 'solo12', status: 'running', iteration: 5, budget: 50, cost: 2 });
    expect(progress(r!)).toBeCloseTo(0.1, 12);
    expect(statusLine(r)).toBe('running · it 5/50 · cost 2.000 · σ 0.5000');
    expect(statusLine(null)).toBe('–');
    // a solve on a cluster worker names it (the server's own threads are not named)
    applyMessage(s, { type: 'status', plan: plan('p', { where: { worker: 'lab-2:41', host: 'lab-2', attempt: 2 }, iteration: 5 }, ['rddp']) });
    expect(liveSlots(s)[1]!.where).toBe('on lab-2:41 (attempt 2)');
    applyMessage(s, { type: 'status', plan: plan('p', { where: { worker: 'server', host: 'h', attempt: 1 }, iteration: 5 }, ['rddp']) });
    expect(liveSlots(s)[1]!.where).toBeNull();
  });

  it('status lines: warm replans, success, errors, lost plans', () => {
    const base: SlotView = {
      source: 'live', key: 'k', title: 'DDP', subtitle: 'p', solver: 'ddp', robot: 'r', task: 't', params: {}, status: 'done', run: 2, warmStart: true,
      iteration: 7, budget: null, cost: 1e-5, latest: null, history: [], trajectory: null, error: null, success: false,
    };
    expect(statusLine(base)).toBe('done · it 7 · cost 1.00e-5 · run 2 (warm) · target missed');
    expect(statusLine({ ...base, status: 'running', success: null })).toBe('running · it 7 · cost 1.00e-5 · run 2 (warm)');
    expect(statusLine({ ...base, status: 'failed', error: 'boom', success: null, run: 0 })).toBe('failed · it 7 · cost 1.00e-5 · boom');
    expect(statusLine({ ...base, status: 'lost' })).toMatch(/restarted/);
    expect(statusLine({ ...base, status: 'running', success: null, run: 0, where: 'on lab-2:41' })).toBe('running · it 7 · cost 1.00e-5 · on lab-2:41');
    expect(progress(base)).toBe(1);
    expect(progress({ ...base, status: 'converged' })).toBe(1);
    expect(progress({ ...base, status: 'cancelled' })).toBeNull();
    expect(progress({ ...base, status: 'cancelled', budget: 14 })).toBe(0.5);
  });

  it('recording slots come from validated recording content', () => {
    const content = RecordingContentSchema.parse({
      metadata: {
        id: 'p-rddp-r1', plan: 'p', run: 1, robot: 'solo12', task: 'lift-leg', params: { foot: 'FL' }, solver: 'rddp', seed: 1, solverParams: { iterations: 30 },
        status: 'converged', cancelled: false, success: true, iterations: 2, cost: 0.5, warmStart: true, startedAt: 'a', finishedAt: 'b',
        projectVersion: '0.1.0', timings: { total_s: 1, perIteration_ms: { linearize: 1, backward: 1, forward: 1 } }, metrics: {},
      },
      telemetry: [rec(1, 1), rec(2, 0.5)],
      trajectory: { dt: 0.01, q: [[0]], v: [[0]], u: [], contacts: [[{ p: [0, 0, 0], f: [0, 0, 1] }]] },
    });
    const s = recordingSlot(content);
    expect(s).toMatchObject({ source: 'recording', key: 'rec:p-rddp-r1', title: 'R-DDP', subtitle: 'p-rddp-r1', budget: 30, iteration: 2, status: 'converged' });
    expect(s.latest!.iteration).toBe(2);
    expect(s.trajectory!.contacts![0][0].f[2]).toBe(1);
    expect(RecordingContentSchema.safeParse({ metadata: {}, telemetry: [], trajectory: null }).success).toBe(false);
  });

  it('the shared timeline takes the longest trajectory shown', () => {
    const t = (knots: number, dt: number) => ({ trajectory: { dt, q: Array.from({ length: knots }, () => [0]), v: [], u: [] } }) as unknown as SlotView;
    expect(timelineLength([null, null], 0.01)).toEqual({ knots: 1, dt: 0.01 });
    expect(timelineLength([t(11, 0.1), t(101, 0.005)], 0.01)).toEqual({ knots: 11, dt: 0.1 });
    expect(timelineLength([t(11, 0.01), t(101, 0.005)], 0.01)).toEqual({ knots: 101, dt: 0.005 });
  });

  it('number formatting and telemetry rows', () => {
    expect([null, undefined, NaN, 0, Infinity, 12345, 0.001234, 1.5].map((x) => fmt(x))).toEqual(['–', '–', '–', '0', '∞', '1.23e+4', '1.23e-3', '1.500']);
    expect(telemetryCells(rec(3, 0.25, 0.125))).toEqual(['3', '0.2500', '0.500', '1e-6', '0.125', '12.3']);
    expect(telemetryCells(rec(4, 0.25, 0, false))[2]).toBe('0 ✗');
    expect(telemetryCells(null)).toEqual(['–', '–', '–', '–', '–', '–']);
    expect([1033.2, 99.94, 0.5].map(ms)).toEqual(['1033', '99.9', '0.500']);
  });

  it('plot series: iterations of both viewports on one axis, gaps where a value is missing or not positive', () => {
    const [xs, a, b] = alignSeries([[rec(1, 4), rec(3, 2)], [rec(2, 0), rec(3, null)]], (p) => p.cost);
    expect(xs).toEqual([1, 2, 3]);
    expect(a).toEqual([4, null, 2]);
    expect(b).toEqual([null, null, null]);
  });
});

describe('store: reconnection to a restarted server, budgets, plan list', () => {
  it('hello without the plan on screen marks it lost (kept, unfinished solves cancelled); others are forgotten', () => {
    const s = createState();
    applyMessage(s, { type: 'hello', version: 1, server: 'x', plans: [plan('a'), plan('bb')] });
    s.current = 'a';
    applyMessage(s, { type: 'hello', version: 1, server: 'x', plans: [] });
    expect(s.hellos).toBe(2);
    expect([...s.plans.keys()]).toEqual(['a']);
    const a = s.plans.get('a')!;
    expect(a.lost).toBe(true);
    expect(a.solves.ddp!.status).toBe('cancelled');
    expect(liveSlots(s)[0]!.status).toBe('lost');
    // the next plan created (by anyone) replaces a lost plan on screen
    applyMessage(s, { type: 'status', plan: plan('ccc') });
    expect(s.current).toBe('ccc');
    expect(plansNewestFirst(s).map((p) => p.state.id)).toEqual(['ccc', 'a']);
    // a plan the server lists again is not lost
    applyMessage(s, { type: 'hello', version: 1, server: 'x', plans: [plan('a'), plan('ccc')] });
    expect(s.plans.get('a')!.lost).toBe(false);
  });

  it('a final carries the budget of plans created elsewhere', () => {
    const s = createState();
    applyMessage(s, { type: 'status', plan: plan('p') });
    applyMessage(s, {
      type: 'final', plan: 'p', solver: 'ddp', run: 0,
      result: {
        solver: 'ddp', robot: 'solo12', task: 'lift-leg', params: {}, solverParams: { iterations: 60 }, seed: 1, iterations: 1, cost: 6, initialCost: 6,
        converged: true, cancelled: false, status: 'converged', success: false, metrics: {}, timings: { total_s: 1, perIteration_ms: { linearize: 1, backward: 1, forward: 1 } },
        compute: { requested: 'cpu', backend: 'cpu', reason: 'asked', exact: 'cpu', description: 'cpu (the solve thread)' },
        telemetry: [rec(1, 6)], trajectory: { dt: 0.1, q: [[0]], v: [[0]], u: [] },
      },
    });
    expect(s.budgets.get('p')).toBe(60);
    expect(liveSlots(s)[0]).toMatchObject({ budget: 60, status: 'done', success: false });
  });
});

describe('polish iterations (shaded on the cost and sigma plots)', () => {
  it('collects the iterations in phase polish over both viewports', () => {
    const polish = (it: number) => ({ ...rec(it, 1), sigma: 0, phase: 'polish' as const });
    expect(polishIterations([[rec(0, 3), rec(1, 2), polish(2), polish(3)], [rec(0, 3), polish(3), polish(4)]])).toEqual([2, 3, 4]);
    expect(polishIterations([[rec(0, 3)], []])).toEqual([]);
  });
});
