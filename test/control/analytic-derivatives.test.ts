/**
 * Analytic step derivatives where the planner uses them (`derivatives: 'analytic'`): the exact
 * provider agrees with finite differences on every knot of lift-leg's initial trajectory
 * (Solo-12 on its feet), DDP on cube-lift still sees the null gradient at rest (the seed's
 * Fig. 2), and a step the analytic path does not cover (a contact with a static box) falls back
 * to finite differences, equal to them bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { ExactLinearization } from '../../server/control/derivative-providers.ts';
import { getTask, resolveParams } from '../../server/control/tasks/index.ts';
import { StepJacobians } from '../../server/dynamics/step-jacobians.ts';
import { Linearizer } from '../../server/dynamics/step-derivatives.ts';
import { Simulator } from '../../server/dynamics/step.ts';
import { loadRobot, posture } from '../../server/model/robots.ts';
import { plan } from '../../server/planning/planner.ts';

describe("derivatives: 'analytic'", () => {
  it('agrees with finite differences on every knot of lift-leg, with no fallback', () => {
    const def = getTask('lift-leg');
    const built = def.build(resolveParams(def, {}));
    const m = built.model, T = built.T, ndx = 2 * m.nv;
    const xs: Float64Array[] = [built.x0];
    for (let t = 0; t < T; t++) xs.push(built.sim.step(xs[t], built.uInit[t]));
    const us = built.uInit.map((u) => Float64Array.from(u));
    const fd = new ExactLinearization(built.sim, 'fd'), an = new ExactLinearization(built.sim, 'analytic');
    const A1 = new Float64Array(T * ndx * ndx), B1 = new Float64Array(T * ndx * m.nu);
    const A2 = new Float64Array(T * ndx * ndx), B2 = new Float64Array(T * ndx * m.nu);
    fd.linearize(xs, us, A1, B1);
    an.linearize(xs, us, A2, B2);
    expect(an.lin.fallbacks).toBe(0);
    let worst = 0;
    for (let t = 0; t < T; t++) {
      for (const [X, Y, n] of [[A1, A2, ndx * ndx], [B1, B2, ndx * m.nu]] as const) {
        let e = 0, s = 0;
        for (let i = t * n; i < (t + 1) * n; i++) { e = Math.max(e, Math.abs(X[i] - Y[i])); s = Math.max(s, Math.abs(Y[i])); }
        worst = Math.max(worst, e / s);
      }
    }
    // the forward differences' own error (one-sided, h = 1e-6)
    expect(worst).toBeLessThan(1e-4);
  });

  it('DDP on cube-lift still sees no gradient at rest (seed Fig. 2)', async () => {
    const r = await plan({ task: 'cube-lift', solver: 'ddp', solverParams: { derivatives: 'analytic', backend: 'cpu' } });
    expect(r.telemetry[0].gradientNorm).toBeLessThan(1e-9);
    expect(r.metrics.finalHeight as number).toBeCloseTo(0.05, 9);
    expect(r.success).toBe(false);
  });

  it('gives the same plan on the worker pool as in process (the option reaches the workers)', async () => {
    const req = { task: 'lift-leg', solver: 'rddp' as const, params: { horizon: 0.1, dt: 0.01 } };
    const sp = { iterations: 3, estimator: 'first' as const, derivatives: 'analytic' as const };
    const a = await plan({ ...req, solverParams: { ...sp, backend: 'cpu' } });
    const b = await plan({ ...req, solverParams: { ...sp, backend: 'workers', workers: 1 } });
    expect(b.compute.backend).toBe('workers');
    expect(b.trajectory.u).toEqual(a.trajectory.u);
    expect(b.cost).toBe(a.cost);
    // and not the finite-difference plan's numbers (the option is used, not ignored)
    const c = await plan({ ...req, solverParams: { ...sp, derivatives: 'fd', backend: 'cpu' } });
    expect(c.cost).not.toBe(a.cost);
  });

  it('falls back to finite differences, bit for bit, for a contact with a static box', () => {
    const { model, meta } = loadRobot('solo12');
    const P = new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, -0.05]);
    const scene = { ground: null, boxes: [{ name: 'table', size: [2, 2, 0.1] as [number, number, number], placement: P, friction: 0.9 }] };
    const q = posture(meta, model, 'standing'), v = new Float64Array(model.nv), u = new Float64Array(model.nu);
    q[2] -= 0.0033; // the feet (3.1 mm above the table in this posture) 0.2 mm into it
    const nx = 2 * model.nv;
    const run = (lin: { linearize: Linearizer['linearize'] }) => {
      const A = new Float64Array(nx * nx), B = new Float64Array(nx * model.nu);
      lin.linearize(q, v, u, new Float64Array(model.nq), new Float64Array(model.nv), A, B);
      return { A, B };
    };
    const sj = new StepJacobians(new Simulator(model, scene, { dt: 0.01 }), 'analytic');
    const a = run(sj);
    expect(sj.fallbacks).toBe(1);
    expect(sj.lastFallback).toMatch(/static box/);
    const b = run(new Linearizer(new Simulator(model, scene, { dt: 0.01 })));
    expect(Array.from(a.A)).toEqual(Array.from(b.A));
    expect(Array.from(a.B)).toEqual(Array.from(b.B));
  });
});
