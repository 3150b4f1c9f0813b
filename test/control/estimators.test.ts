/**
 * The estimator registry (server/control/estimators.ts): one entry per wire name, and each
 * entry, used through SmoothedLinearization, gives what its formula in smoothing.ts gives on
 * the same samples; the least-squares estimator runs end to end (R-DDP lifts the cube with it).
 */
import { describe, expect, it } from 'vitest';
import { ESTIMATOR_DEFS } from '../../server/control/estimators.ts';
import { SmoothedLinearization } from '../../server/control/derivative-providers.ts';
import { getTask, resolveParams } from '../../server/control/tasks/index.ts';
import { plan } from '../../server/planning/planner.ts';
import { ESTIMATORS, SolverParamsSchema } from '../../shared/protocol.ts';

describe('estimator registry', () => {
  it('has exactly the estimators the protocol names', () => {
    expect(Object.keys(ESTIMATOR_DEFS).sort()).toEqual([...ESTIMATORS].sort());
    for (const name of ESTIMATORS) expect(SolverParamsSchema.safeParse({ estimator: name }).success).toBe(true);
    expect(SolverParamsSchema.safeParse({ estimator: 'second' }).success).toBe(false);
  });

  it("'lsq' and 'zero' estimate the same smoothed Jacobian on the cube in contact (within Monte-Carlo error)", () => {
    const def = getTask('cube-lift');
    const built = def.build(resolveParams(def, {}));
    const x = built.x0, u = built.uInit[0];
    const ndx = 2 * built.model.nv, nu = built.model.nu;
    const jac = (estimator: 'zero' | 'first' | 'lsq', samples: number) => {
      const lin = new SmoothedLinearization(built.sim, { estimator, sigma: 20, samples, seed: 3 });
      const A = new Float64Array(ndx * ndx), B = new Float64Array(ndx * nu);
      lin.linearizeKnot(x, u, A, B, 0, 0);
      return B;
    };
    const zero = jac('zero', 128), lsq = jac('lsq', 128);
    // the cube at rest on the ground: a push up must show in the smoothed model's B
    const scale = Math.max(...Array.from(zero, Math.abs));
    expect(scale).toBeGreaterThan(1e-4);
    let diff = 0;
    for (let i = 0; i < zero.length; i++) diff = Math.max(diff, Math.abs(zero[i] - lsq[i]));
    expect(diff / scale).toBeLessThan(0.3); // two Monte-Carlo estimates of one quantity (128 samples; 0.13 here)
  });

  it("R-DDP with the 'lsq' estimator lifts the cube (end to end)", async () => {
    const r = await plan({ task: 'cube-lift', solver: 'rddp', solverParams: { estimator: 'lsq', seed: 1, backend: 'cpu' } });
    expect(r.solverParams.estimator).toBe('lsq');
    expect(r.success).toBe(true);
  });
});
