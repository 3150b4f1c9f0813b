/**
 * Worker pools leased from the per-process cache: a released pool is handed to the next plan
 * of the same configuration (warm workers), gives the same results as a fresh one, and a pool
 * whose workers failed is never handed out again.
 */
import { describe, expect, it } from 'vitest';
import { PooledLinearization, type PoolOptions } from '../../server/compute/linearization-pool.ts';
import { plan } from '../../server/control/planner.ts';
import { defaultSmoothingParams } from '../../server/control/linearization.ts';

const opts = (seed: number): PoolOptions => ({
  task: 'cube-lift', params: {}, smoothing: defaultSmoothingParams({ seed }), T: 30, nx: 13, ndx: 12, nu: 1, size: 2,
});

describe('PooledLinearization.lease', () => {
  it('reuses a released pool of the same configuration, not one of another', async () => {
    const a = PooledLinearization.lease(opts(1));
    const b = PooledLinearization.lease(opts(1));
    expect(b).not.toBe(a); // a is in use
    await a.dispose();
    expect(PooledLinearization.lease(opts(1))).toBe(a);
    const other = PooledLinearization.lease(opts(2));
    expect(other).not.toBe(a);
    await Promise.all([b.terminate(), other.terminate(), a.terminate()]);
  });

  it('a broken pool is terminated on release, not cached', async () => {
    const a = PooledLinearization.lease(opts(3));
    a.broken = true;
    await a.dispose();
    expect(PooledLinearization.lease(opts(3))).not.toBe(a);
  });

  it('plans on a reused pool equal plans on a fresh one', async () => {
    const req = { task: 'cube-lift', solver: 'rddp' as const, solverParams: { seed: 8, iterations: 8, backend: 'workers' as const, workers: 2 } };
    const first = await plan(req);
    const second = await plan(req); // leases the pool the first released
    expect(second.trajectory.u).toEqual(first.trajectory.u);
    expect(second.telemetry.map((t) => t.cost)).toEqual(first.telemetry.map((t) => t.cost));
  });
});

describe('a worker that dies', () => {
  it('is replaced and its knots retried: the linearization completes with the same numbers', async () => {
    const { getTask, resolveParams } = await import('../../server/control/tasks/index.ts');
    const { ExactLinearization } = await import('../../server/control/linearization.ts');
    const def = getTask('cube-lift');
    const params = resolveParams(def, {});
    const built = def.build(params);
    const m = built.model, T = built.T, ndx = 2 * m.nv;
    const xs: Float64Array[] = [built.x0];
    for (let t = 0; t < T; t++) xs.push(built.sim.step(xs[t], built.uInit[t]));
    const us = built.uInit.map((u) => Float64Array.from(u));
    const ref = { A: new Float64Array(T * ndx * ndx), B: new Float64Array(T * ndx * m.nu) };
    new ExactLinearization(built.sim).linearize(xs, us, ref.A, ref.B);
    const pool = new PooledLinearization({ task: 'cube-lift', params, smoothing: null, T, nx: m.nq + m.nv, ndx, nu: m.nu, size: 2 });
    const A = new Float64Array(new SharedArrayBuffer(8 * T * ndx * ndx)), B = new Float64Array(new SharedArrayBuffer(8 * T * ndx * m.nu));
    await pool.linearize(xs, us, A, B, { iteration: 0 });
    // kill one thread while idle: the next call finds it dead, restarts it and retries its range
    const workers = (pool as unknown as { workers: Array<{ worker: { terminate(): Promise<number> } }> }).workers;
    await workers[1].worker.terminate();
    A.fill(NaN); B.fill(NaN);
    await pool.linearize(xs, us, A, B, { iteration: 1 });
    expect(Array.from(A)).toEqual(Array.from(ref.A));
    expect(Array.from(B)).toEqual(Array.from(ref.B));
    await pool.terminate();
  });
});
