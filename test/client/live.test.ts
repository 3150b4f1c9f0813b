/**
 * The Live tab's model (client/live.ts): messages of the followed session only, the states
 * buffered for scrubbing (aligned from the end across worlds), the adopted plan as the
 * viewport's trajectory, one history record per plan, the per-side stats line.
 */
import { describe, expect, it } from 'vitest';
import { LiveModel } from '../../client/live.ts';
import type { LiveState, ServerMessage } from '../../shared/protocol.ts';

const stats = (solver: 'ddp' | 'rddp') => ({ solver, replans: 3, replanRateHz: 12.5, solveMs: 41, iterations: 2, sigma: solver === 'rddp' ? 0.25 : 0, trackingError: 0.012, pushLatencyMs: [87], error: null });
const STATE: LiveState = {
  id: 'live-1', task: 'lift-leg', robot: 'solo12', params: { height: 0.05 }, solvers: ['ddp', 'rddp'], solverParams: {}, horizon: 0.4,
  realTimeFactor: 1, dt: 0.01, status: 'running', createdAt: '2026-01-01T00:00:00Z', t: 1, step: 100, stats: [stats('ddp'), stats('rddp')], recordings: [], error: null,
};
const state = (solver: 'ddp' | 'rddp', step: number, live = 'live-1'): ServerMessage =>
  ({ type: 'live.state', live, solver, step, t: step * 0.01, q: [step], v: [0], contacts: [], pushing: false, trackingError: 0 });

describe('LiveModel', () => {
  it('follows one session: states buffered for scrubbing, plans as trajectories and history', () => {
    const m = new LiveModel();
    expect(m.apply(state('ddp', 1))).toBe(false); // nothing followed yet
    m.follow('live-1', STATE);
    for (let k = 0; k < 10; k++) { m.apply(state('ddp', 2 * k)); if (k >= 3) m.apply(state('rddp', 2 * k)); }
    m.apply(state('ddp', 99, 'live-2'));
    expect(m.states.get('ddp')!.step).toBe(18);
    expect(m.frames).toBe(17);
    // the timeline spans what both worlds have, 2 steps apart
    const { knots, dt } = m.recorded();
    expect(knots).toBe(7);
    expect(dt).toBeCloseTo(0.02, 12);
    expect(m.stateAt('ddp', 0, knots)!.step).toBe(6);
    expect(m.stateAt('rddp', 0, knots)!.step).toBe(6);
    expect(m.stateAt('ddp', knots - 1, knots)!.step).toBe(18);
    // a paused timeline holds still while states keep arriving, and both worlds show the same
    // step even when one world's message for a step arrived before the other's
    const held = m.stateAt('ddp', 3, knots)!.step;
    expect(m.stateAt('rddp', 3, knots)!.step).toBe(held);
    m.apply(state('ddp', 20));
    expect(m.recorded().knots).toBe(7);
    expect(m.stateAt('ddp', 3, m.recorded().knots)!.step).toBe(held);
    m.apply(state('rddp', 20));
    expect(m.recorded().knots).toBe(8);
    expect(m.stateAt('ddp', 3, 8)!.step).toBe(held);
    expect(m.stateAt('rddp', 3, 8)!.step).toBe(held);
    expect(m.stateAt('ddp', 7, 8)!.step).toBe(20);

    const plan: ServerMessage = { type: 'live.plan', live: 'live-1', solver: 'rddp', replan: 4, step: 10, t: 0.1, adoptedStep: 12, dt: 0.01, q: [[1], [2], [3]], solveMs: 30, iterations: 2, sigma: 0.25, cost: 5, shift: 2, cancelled: false, replanRateHz: 11 };
    expect(m.apply(plan)).toBe(true);
    const [left, right] = m.slots();
    expect(left!.trajectory).toBeNull();
    expect(right!.trajectory!.q).toEqual([[1], [2], [3]]);
    expect(right!.history.map((h) => [h.iteration, h.cost, h.sigma, h.times.total])).toEqual([[4, 5, 0.25, 30]]);
    expect(right!.title).toBe('R-DDP-MPC');
    expect(m.statsLine('rddp')).toBe('12.5 replans/s · solve 41 ms · σ 0.25 · tracking 0.012 · push → plan 87 ms');
    expect(m.statsLine('ddp')).not.toMatch(/σ/);

    m.follow('live-2', null);
    expect(m.buffers.size).toBe(0);
    expect(m.slots()).toEqual([null, null]);
  });
});
