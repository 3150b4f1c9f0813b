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
