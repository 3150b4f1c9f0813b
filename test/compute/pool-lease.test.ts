/**
 * Worker pools leased from the per-process cache: a released pool is handed to the next plan
 * of the same configuration (warm workers), gives the same results as a fresh one, and a pool
 * whose workers failed is never handed out again.
 */
import { describe, expect, it } from 'vitest';
import { MAX_IDLE_POOLS, PooledLinearization, idlePoolCount, type PoolOptions } from '../../server/compute/pooled-linearization.ts';
import { exactReference } from '../helpers/linearization.ts';
import { plan } from '../../server/planning/planner.ts';
import { defaultSmoothingParams } from '../../server/control/derivative-providers.ts';

const opts = (seed: number, T = 30, estimator: 'zero' | 'first' = 'zero'): PoolOptions => ({
  task: 'cube-lift', params: {}, smoothing: defaultSmoothingParams({ seed, estimator }), T, nx: 13, ndx: 12, nu: 1, size: 2,
});

describe('PooledLinearization.lease', () => {
  it('reuses a released pool of the same configuration, not one of another', async () => {
    const a = PooledLinearization.lease(opts(1));
    const b = PooledLinearization.lease(opts(1));
    expect(b).not.toBe(a); // a is in use
    await a.dispose();
    expect(PooledLinearization.lease(opts(1))).toBe(a);
    const other = PooledLinearization.lease(opts(1, 30, 'first'));
    expect(other).not.toBe(a);
    await Promise.all([b.terminate(), other.terminate(), a.terminate()]);
  });

  it('the seed is not part of the key: a pool released by one seed serves another, with its seed', async () => {
    const a = PooledLinearization.lease(opts(11));
    await a.dispose();
    const b = PooledLinearization.lease(opts(12));
    expect(b).toBe(a);
    expect(b.params?.seed).toBe(12);
    await b.terminate();
  });

  it('keeps at most MAX_IDLE_POOLS idle pools, terminating the longest idle', async () => {
    const pools = Array.from({ length: MAX_IDLE_POOLS + 3 }, (_, i) => PooledLinearization.lease(opts(1, 5 + i)));
    for (const p of pools) await p.dispose();
    expect(idlePoolCount()).toBeLessThanOrEqual(MAX_IDLE_POOLS);
    // the first released went first; the last is still cached
    expect(PooledLinearization.lease(opts(1, 5))).not.toBe(pools[0]);
    const last = PooledLinearization.lease(opts(1, 5 + MAX_IDLE_POOLS + 2));
    expect(last).toBe(pools[pools.length - 1]);
    await last.terminate();
  });

  it('plans with different seeds reuse one pool and equal the in-process result of their seed', async () => {
    const req = (seed: number, backend: 'workers' | 'cpu') => ({ task: 'cube-lift', solver: 'rddp' as const, solverParams: { seed, iterations: 3, backend, workers: 2 } });
    await plan(req(21, 'workers')); // leaves a pool in the cache
    const before = idlePoolCount();
    const reused = await plan(req(22, 'workers'));
    expect(idlePoolCount()).toBe(before); // the same pool went back, no second one
    const reference = await plan(req(22, 'cpu'));
    expect(reused.trajectory.u).toEqual(reference.trajectory.u);
    expect(reused.telemetry.map((t) => t.cost)).toEqual(reference.telemetry.map((t) => t.cost));
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
    const { xs, us, ref, poolOptions, sharedOutputs } = exactReference('cube-lift');
    const pool = new PooledLinearization(poolOptions(2));
    const { A, B } = sharedOutputs();
    await pool.linearize(xs, us, A, B, { iteration: 0 });
    // kill one thread while idle: the next call finds it dead, the other threads take its
    // knots, and it is restarted for the next call
    await pool.pool.threads[1].worker.terminate();
    A.fill(NaN); B.fill(NaN);
    await pool.linearize(xs, us, A, B, { iteration: 1 });
    expect(Array.from(A)).toEqual(Array.from(ref.A));
    expect(Array.from(B)).toEqual(Array.from(ref.B));
    A.fill(NaN); B.fill(NaN);
    await pool.linearize(xs, us, A, B, { iteration: 2 }); // with the restarted thread
    expect(Array.from(A)).toEqual(Array.from(ref.A));
    await pool.terminate();
  });

  it('a knot that fails deterministically rejects the linearization with its message, and the pool is not reused', async () => {
    const { xs, us, poolOptions, sharedOutputs } = exactReference('lift-leg', { horizon: 0.1, dt: 0.01 });
    const pool = new PooledLinearization(poolOptions(2));
    const { A, B } = sharedOutputs();
    const bad = xs.map((x) => x.slice());
    bad[3].fill(NaN); // Solo's mass matrix at a NaN configuration is refused
    try {
      await expect(pool.linearize(bad, us, A, B, { iteration: 0 })).rejects.toThrow(/knot 3 .*not positive definite/);
      expect(pool.broken).toBe(true);
    } finally {
      await pool.terminate();
    }
  });
});
