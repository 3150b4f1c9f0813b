/**
 * Streaming linearization: the first backward pass of an iteration starts from the last knot
 * while a provider (the worker pool) is still linearizing the earlier ones. Results must not
 * depend on it, and a provider that fails mid-way must fail the solve, not hang it.
 */
import { describe, expect, it } from 'vitest';
import { setImmediate as tick } from 'node:timers/promises';
import { DdpSolver, defaultDdpOptions } from '../../server/control/ddp.ts';
import { ExactLinearization } from '../../server/control/derivative-providers.ts';
import { plan } from '../../server/planning/planner.ts';
import type { LinearizationProvider, LinearizeContext } from '../../server/control/problem.ts';
import { getTask, resolveParams } from '../../server/control/tasks/index.ts';
import { exactReference } from '../helpers/linearization.ts';

function swingUp() {
  const def = getTask('swing-up');
  const built = def.build(resolveParams(def, { horizon: 0.5 }));
  const solver = new DdpSolver({ dynamics: built.dynamics, running: built.running, terminal: built.terminal, x0: built.x0, T: built.T, uLower: built.uLower, uUpper: built.uUpper }, defaultDdpOptions());
  return { built, solver };
}

/** Exact linearization delivered knot by knot, last first, yielding to the event loop between knots. */
class SlowStream implements LinearizationProvider {
  readonly streaming = true;
  constructor(private readonly inner: ExactLinearization, private readonly failAt = -1) {}
  async linearize(xs: Float64Array[], us: Float64Array[], As: Float64Array, Bs: Float64Array, ctx: LinearizeContext): Promise<void> {
    for (let t = us.length - 1; t >= 0; t--) {
      await tick();
      if (t === this.failAt) throw new Error(`knot ${t}: simulated worker failure`);
      this.inner.linearizeKnot(xs[t], us[t], As, Bs, t);
      if (ctx.ready) { Atomics.store(ctx.ready, t, 1); Atomics.notify(ctx.ready, t); }
    }
  }
}

describe('streaming linearization', () => {
  it('gives the same iterates as the blocking provider, bit for bit', async () => {
    const a = swingUp(), b = swingUp();
    const ra = await a.solver.solve(a.built.uInit, { maxIterations: 8, linearization: new ExactLinearization(a.built.sim) });
    const rb = await b.solver.solve(b.built.uInit, { maxIterations: 8, linearization: new SlowStream(new ExactLinearization(b.built.sim)) });
    expect(rb.us.map((u) => Array.from(u))).toEqual(ra.us.map((u) => Array.from(u)));
    expect(rb.telemetry.map((t) => t.cost)).toEqual(ra.telemetry.map((t) => t.cost));
    expect(rb.telemetry.every((t) => t.times.total > 0)).toBe(true);
  });

  it('a provider failing mid-way fails the solve with its error instead of hanging', async () => {
    const { built, solver } = swingUp();
    const failAt = Math.floor(built.T / 2);
    await expect(solver.solve(built.uInit, { maxIterations: 3, linearization: new SlowStream(new ExactLinearization(built.sim), failAt) }))
      .rejects.toThrow(/simulated worker failure/);
  });

  it('DDP on Solo lift-leg with the streaming worker pool equals the in-process solve', async () => {
    const params = { horizon: 0.2, dt: 0.01 };
    const cpu = await plan({ task: 'lift-leg', solver: 'ddp', params, solverParams: { iterations: 3, backend: 'cpu' } });
    const pooled = await plan({ task: 'lift-leg', solver: 'ddp', params, solverParams: { iterations: 3, backend: 'workers', workers: 2 } });
    expect(pooled.trajectory.u).toEqual(cpu.trajectory.u);
    expect(pooled.telemetry.map((t) => t.cost)).toEqual(cpu.telemetry.map((t) => t.cost));
  });
});

describe('the solver thread assists the worker pool', () => {
  it('claims knots from the shared counter while the worker claims others: A, B bit-identical to the in-process provider', async () => {
    const { PooledLinearization } = await import('../../server/compute/pooled-linearization.ts');
    const { T, xs, us, ref, poolOptions, sharedOutputs } = exactReference('lift-leg', { horizon: 0.2, dt: 0.01 });
    const pool = new PooledLinearization(poolOptions(1));
    const { A, B } = sharedOutputs();
    const ready = new Int32Array(new SharedArrayBuffer(4 * T));
    try {
      await pool.linearize(xs, us, A, B, { iteration: 0, ready }); // threads up, outputs bound
      expect(pool.assist()).toBe(false); // nothing in progress
      A.fill(NaN); B.fill(NaN); ready.fill(0);
      let assisted = 0, finished = false;
      const p = pool.linearize(xs, us, A, B, { iteration: 1, ready }).then(() => { finished = true; });
      while (!finished) {
        while (pool.assist()) assisted++;
        await Promise.resolve();
        await tick();
      }
      await p;
      expect(assisted).toBeGreaterThan(0);
      expect(Array.from(ready)).toEqual(new Array(T).fill(1));
      expect(Array.from(A)).toEqual(Array.from(ref.A));
      expect(Array.from(B)).toEqual(Array.from(ref.B));
    } finally {
      await pool.terminate();
    }
  });
});
