/**
 * Plans on solve threads (ThreadSolves) (the server's way of keeping its event loop free): same results as
 * in-process, iterates in order, cancel within an iteration, errors and dead threads reported.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { plan, type IterationRecord } from '../../server/planning/planner.ts';
import { ThreadSolves } from '../../server/planning/thread-solves.ts';
import { TaskParamError, UnknownTaskError, WarmStartError } from '../../server/control/errors.ts';

const threads = new ThreadSolves();
afterAll(() => threads.close());

describe('ThreadSolves', () => {
  it('runs a plan off the main thread with the in-process result, iterates in order', async () => {
    const req = { task: 'cube-lift', solver: 'rddp' as const, solverParams: { seed: 4, iterations: 10 } };
    const local = await plan(req);
    const seen: IterationRecord[] = [];
    let lastTraj = 0;
    const remote = await threads.plan({ ...req, onIterate: (rec, traj) => { seen.push(rec); lastTraj = traj().u.length; } });
    expect(remote.trajectory.u).toEqual(local.trajectory.u);
    expect(remote.telemetry.map((t) => t.cost)).toEqual(local.telemetry.map((t) => t.cost));
    expect(seen.map((r) => r.iteration)).toEqual(remote.telemetry.map((t) => t.iteration));
    expect(lastTraj).toBe(remote.trajectory.u.length);
    // 'auto' is decided on the main thread and recorded as asked
    expect(remote.compute.requested).toBe('auto');
    expect(['workers', 'webgpu']).toContain(remote.compute.backend);
  });

  it('cancels within an iteration and returns the cancelled plan', async () => {
    const ac = new AbortController();
    let n = 0;
    const r = await threads.plan({
      task: 'lift-leg', solver: 'rddp', params: { horizon: 0.2 }, solverParams: { iterations: 200, samples: 4 }, signal: ac.signal,
      onIterate: () => { if (++n === 2) ac.abort(); },
    });
    expect(r.cancelled).toBe(true);
    expect(r.iterations).toBeLessThan(10);
  });

  it('rejects with the planner\'s message on bad input and keeps serving', async () => {
    await expect(threads.plan({ task: 'nope', solver: 'ddp' })).rejects.toThrow(/unknown task 'nope'/);
    const r = await threads.plan({ task: 'cube-lift', solver: 'ddp' });
    expect(r.iterations).toBe(1);
  });

  it('typed request errors keep their class and field across the thread', async () => {
    const caught = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e);
    const unknown = await caught(threads.plan({ task: 'nope', solver: 'ddp' }));
    expect(unknown).toBeInstanceOf(UnknownTaskError);
    expect(unknown).toMatchObject({ field: 'task', task: 'nope' });
    const param = await caught(threads.plan({ task: 'cube-lift', solver: 'ddp', params: { height: 99 } }));
    expect(param).toBeInstanceOf(TaskParamError);
    expect(param).toMatchObject({ field: 'params.height', param: 'height', task: 'cube-lift' });
    expect((param as Error).message).toMatch(/'height' must be <= /);
    // cube-lift: 0.2 s of 0.02 s steps is 10 controls of 1 number (the rail's force); 3 do not fit
    const warm = await caught(threads.plan({ task: 'cube-lift', solver: 'ddp', params: { horizon: 0.2, dt: 0.02 }, warmStart: [[0], [0], [0]] }));
    expect(warm).toBeInstanceOf(WarmStartError);
    expect(warm).toMatchObject({ field: 'warmStart', controls: 10, nu: 1 });
    expect((warm as Error).message).toBe("warm start must have 10 controls of 1 numbers (the task's horizon / dt)");
  });

  it('a thread that dies (here: closed under it) fails its solve with a clear error', async () => {
    const own = new ThreadSolves();
    const p = own.plan({ task: 'lift-leg', solver: 'rddp', params: { horizon: 0.3 }, solverParams: { iterations: 100 } });
    await new Promise((r) => setTimeout(r, 300));
    await own.close();
    await expect(p).rejects.toThrow(/solve thread failed/);
    await expect(own.plan({ task: 'cube-lift', solver: 'ddp' })).rejects.toThrow(/closed/);
  });
});
