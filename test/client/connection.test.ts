import { describe, expect, it } from 'vitest';
import { applyMessage, backoffDelay, createState, parseServerMessage } from '../../client/connection.ts';
import type { PlanState, ServerMessage } from '../../shared/protocol.ts';

const rec = (iteration: number, cost: number | null, sigma = 0) => ({
  iteration, cost, costBefore: null, expectedImprovement: null, actualImprovement: null, stepLength: 1, regularization: 0,
  gradientNorm: 1, accepted: true, sigma, samples: 8, phase: 'smooth' as const, times: { linearize: 1, backward: 1, forward: 1, total: 3 },
});
const traj = (x: number) => ({ dt: 0.1, q: [[x], [x + 1]], v: [[0], [0]], u: [[0]] });
const plan = (id: string, over: Partial<PlanState['solves'][number]> = {}, createdAt = '2026-01-01T00:00:00.000Z'): PlanState => ({
  id, robot: 'cube_rail', task: 'cube-lift', params: { height: 0.3 }, status: 'running', createdAt,
  solves: (['ddp', 'rddp'] as const).map((solver) => ({
    solver, status: 'running' as const, run: 0, warmStart: false, iteration: 0, latest: null, cost: null, success: null, error: null, recording: null, ...over,
  })),
});
const final = (planId: string, solver: 'ddp' | 'rddp', run: number, cancelled = false): ServerMessage => ({
  type: 'final', plan: planId, solver, run,
  result: {
    solver, robot: 'cube_rail', task: 'cube-lift', params: {}, solverParams: {}, seed: 1, iterations: 3, cost: 0.5, initialCost: 4,
    converged: true, cancelled, status: 'done', success: true, metrics: {}, timings: { total_s: 1, perIteration_ms: { linearize: 1, backward: 1, forward: 1 } },
        compute: { requested: 'cpu', backend: 'cpu', reason: 'asked', exact: 'cpu', description: 'cpu (the solve thread)' },
    telemetry: [rec(1, 3, 20), rec(2, 1, 10), rec(3, 0.5, 5)], trajectory: traj(9),
  },
});

describe('client store: applyMessage', () => {
  it('hello creates the plans and picks the newest as current; status adds plans', () => {
    const s = createState();
    applyMessage(s, { type: 'hello', version: 1, server: 'rsddp 0.1.0', plans: [plan('a', { iteration: 4, latest: rec(4, 2) }), plan('b', {}, '2026-02-01T00:00:00.000Z')] });
    expect(s.server).toBe('rsddp 0.1.0');
    expect([...s.plans.keys()]).toEqual(['a', 'b']);
    expect(s.current).toBe('b');
    expect(s.plans.get('a')!.solves.ddp!.history.map((h) => [h.iteration, h.cost, h.sigma])).toEqual([[4, 2, 0]]);
    applyMessage(s, { type: 'status', plan: plan('c') });
    expect(s.plans.has('c')).toBe(true);
    expect(s.current).toBe('b');
    // the server states each plan's iteration budget: known for plans other clients started too
    expect(s.budgets.has('c')).toBe(false);
    applyMessage(s, { type: 'status', plan: { ...plan('d'), iterations: 40 } });
    expect(s.budgets.get('d')).toBe(40);
  });

  it('iterates grow the history in order and carry the latest trajectory; a final replaces both', () => {
    const s = createState();
    applyMessage(s, { type: 'status', plan: plan('p') });
    expect(s.current).toBe('p');
    applyMessage(s, { type: 'iterate', plan: 'p', solver: 'rddp', run: 0, record: rec(2, 3, 10), trajectory: traj(2) });
    applyMessage(s, { type: 'iterate', plan: 'p', solver: 'rddp', run: 0, record: rec(1, 4, 20), trajectory: traj(1) });
    const v = s.plans.get('p')!.solves.rddp!;
    expect(v.history.map((h) => h.iteration)).toEqual([1, 2]);
    expect(v.iteration).toBe(2);
    expect(v.trajectory!.q[0][0]).toBe(1); // the latest message's trajectory
    applyMessage(s, final('p', 'rddp', 0));
    expect(v.final).toBe(true);
    expect(v.status).toBe('done');
    expect(v.history.map((h) => h.sigma)).toEqual([20, 10, 5]);
    expect(v.trajectory!.q[0][0]).toBe(9);
    // a late iterate does not replace the final plan
    applyMessage(s, { type: 'iterate', plan: 'p', solver: 'rddp', run: 0, record: rec(3, 9), trajectory: traj(5) });
    expect(v.trajectory!.q[0][0]).toBe(9);
    // the other solver is untouched
    expect(s.plans.get('p')!.solves.ddp!.history).toEqual([]);
  });

  it('a cancelled final marks the solve cancelled', () => {
    const s = createState();
    applyMessage(s, { type: 'status', plan: plan('p') });
    applyMessage(s, final('p', 'ddp', 0, true));
    expect(s.plans.get('p')!.solves.ddp!.status).toBe('cancelled');
  });

  it('a replan (run + 1) starts a fresh history, keeps the old trajectory until the first iterate, and ignores stale runs', () => {
    const s = createState();
    applyMessage(s, { type: 'status', plan: plan('p') });
    applyMessage(s, final('p', 'ddp', 0));
    applyMessage(s, { type: 'status', plan: plan('p', { run: 1, warmStart: true, status: 'queued' }) });
    const v = s.plans.get('p')!.solves.ddp!;
    expect(v.run).toBe(1);
    expect(v.final).toBe(false);
    expect(v.history).toEqual([]);
    expect(v.trajectory!.q[0][0]).toBe(9);
    applyMessage(s, { type: 'iterate', plan: 'p', solver: 'ddp', run: 0, record: rec(7, 1), trajectory: traj(7) });
    expect(v.history).toEqual([]);
    applyMessage(s, { type: 'iterate', plan: 'p', solver: 'ddp', run: 1, record: rec(1, 1), trajectory: traj(1) });
    expect(v.history).toHaveLength(1);
    expect(v.status).toBe('running');
    expect(v.trajectory!.q[0][0]).toBe(1);
    applyMessage(s, final('p', 'ddp', 0));
    expect(v.final).toBe(false);
  });

  it('after a reconnect, hello merges into the existing store (catch-up) and keeps the selected plan', () => {
    const s = createState();
    applyMessage(s, { type: 'hello', version: 1, server: 'x', plans: [plan('a'), plan('b', {}, '2026-03-01T00:00:00.000Z')] });
    s.current = 'a';
    applyMessage(s, { type: 'iterate', plan: 'a', solver: 'ddp', run: 0, record: rec(1, 5), trajectory: traj(1) });
    const before = s.plans.get('a')!.solves.ddp!;
    applyMessage(s, { type: 'hello', version: 1, server: 'x', plans: [plan('a', { iteration: 6, latest: rec(6, 2), status: 'done' }), plan('b')] });
    const after = s.plans.get('a')!.solves.ddp!;
    expect(after).toBe(before);
    expect(after.iteration).toBe(6);
    expect(after.status).toBe('done');
    expect(after.history.map((h) => h.iteration)).toEqual([1, 6]);
    expect(after.trajectory).not.toBeNull();
    expect(s.current).toBe('a');
  });

  it('ignores messages about unknown plans and records server errors', () => {
    const s = createState();
    applyMessage(s, { type: 'iterate', plan: 'zz', solver: 'ddp', run: 0, record: rec(1, 1), trajectory: traj(0) });
    applyMessage(s, final('zz', 'ddp', 0));
    expect(s.plans.size).toBe(0);
    applyMessage(s, { type: 'error', message: 'plan: unknown plan', field: 'plan' });
    expect(s.lastError).toBe('plan: unknown plan');
  });
});

describe('parseServerMessage', () => {
  it('accepts protocol messages (NaN as null) and rejects the rest with a reason', () => {
    const ok = parseServerMessage(JSON.stringify({ type: 'iterate', plan: 'p', solver: 'ddp', run: 0, record: rec(1, null), trajectory: traj(0) }));
    expect(ok.ok).toBe(true);
    expect(parseServerMessage('{').ok).toBe(false);
    expect(parseServerMessage(JSON.stringify({ type: 'hello', version: 2, server: 'x', plans: [] })).ok).toBe(false);
    const bad = parseServerMessage(JSON.stringify({ type: 'nope' }));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.reason).toBeTruthy();
  });
});

describe('backoffDelay', () => {
  it('doubles from the base up to the cap; jitter adds at most 25 %', () => {
    expect([0, 1, 2, 3, 4, 5, 10].map((n) => backoffDelay(n, 500, 10_000))).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(backoffDelay(1, 500, 10_000, 1)).toBe(1250);
    expect(backoffDelay(-3)).toBe(500);
  });
});
