/**
 * The receding-horizon planner (server/planning/mpc.ts) and a live world's control law
 * (server/live/world.ts): the warm start is the previous plan shifted by the elapsed knots;
 * R-DDP's σ is carried across replans (a schedule restarted every replan of one iteration
 * would never lower it) and restarts on reset and on new parameters; the world applies
 * u = clamp(ū_k + K_k (x ⊖ x̄_k)), checked against the same law written out with lie.ts, and
 * with no disturbance it reproduces the plan's predicted states exactly. Every R-DDP replan
 * ends with its polish tail of exact-derivative iterations, and with it R-DDP-MPC keeps
 * lift-leg standing (without it the robot fell: docs/results/mpc-push-recovery/).
 */
import { describe, expect, it, vi } from 'vitest';
import { ExactLinearization, SmoothedLinearization } from '../../server/control/derivative-providers.ts';
import { RecedingHorizonPlanner, type MpcSolverParams } from '../../server/planning/mpc.ts';
import { LiveWorld } from '../../server/live/world.ts';
import { difference } from '../../server/dynamics/lie.ts';

const SP: MpcSolverParams = { iterations: 1, polish: 0, warmup: 2, samples: 8, sigma0: 0.5, estimator: 'zero', seed: 3 };
const PARAMS = { horizon: 0.1, holdWeight: 2000 };

describe('RecedingHorizonPlanner', () => {
  it('warm-starts from the previous plan shifted by the elapsed knots', async () => {
    const p = new RecedingHorizonPlanner({ task: 'lift-leg', params: PARAMS, solver: 'ddp', solverParams: SP });
    const T = p.built.T;
    expect(T).toBe(10);
    expect(p.warmStart(7).shift).toBe(0); // no plan yet: the task's guess
    const plan = await p.replan(p.built.x0, 10);
    const u = (t: number) => Array.from(plan.us.subarray(t * plan.nu, (t + 1) * plan.nu));
    for (const shift of [0, 2, 4, 9]) {
      const w = p.warmStart(10 + shift);
      expect(w.shift).toBe(shift);
      for (let t = 0; t < T; t++) expect(Array.from(w.us[t])).toEqual(u(Math.min(t + shift, T - 1)));
    }
    const next = await p.replan(p.built.x0, 12);
    expect(next.shift).toBe(2);
    expect(next.replan).toBe(2);
  });

  it('carries σ across replans and restarts it on reset and on new parameters', async () => {
    // deterministic given the seed: two planners run the same replans
    const lowered = async () => {
      const p = new RecedingHorizonPlanner({ task: 'lift-leg', params: PARAMS, solver: 'rddp', solverParams: SP });
      const sigmas: number[] = [];
      for (let r = 0; r < 12; r++) sigmas.push((await p.replan(p.built.x0, r)).sigma);
      expect(sigmas[0]).toBe(SP.sigma0);
      for (let r = 1; r < sigmas.length; r++) expect(sigmas[r]).toBeLessThanOrEqual(sigmas[r - 1]);
      expect(p.sigma).toBeLessThan(SP.sigma0);
      return p;
    };
    const a = await lowered();
    a.reset();
    expect(a.sigma).toBe(SP.sigma0);
    expect(a.warmStart(20).shift).toBe(0);
    const b = await lowered();
    b.setParams({ ...PARAMS, height: 0.08 });
    expect(b.sigma).toBe(SP.sigma0);
    expect(b.params.height).toBe(0.08);
    expect(b.warmStart(13).shift).toBe(2); // the warm start survives a parameter change
    expect(() => b.setParams({ ...PARAMS, dt: 0.02 })).toThrow(/horizon and time step/);
    // restartNoise: σ back to σ0, the warm start kept
    const c = await lowered();
    c.restartNoise();
    expect(c.sigma).toBe(SP.sigma0);
    expect(c.warmStart(13).shift).toBe(2);
  });
});

describe('the polish tail of an R-DDP replan', () => {
  it('runs the last `polish` iterations of each replan with exact derivatives, and DDP never smooths', async () => {
    try {
      const sp = { ...SP, iterations: 3, polish: 2, warmup: 4 };
      const p = new RecedingHorizonPlanner({ task: 'lift-leg', params: PARAMS, solver: 'rddp', solverParams: sp });
      const order: string[] = [];
      // record which provider each linearization used, in order
      const rec = (cls: typeof ExactLinearization | typeof SmoothedLinearization, tag: string) => {
        const orig = cls.prototype.linearize;
        return vi.spyOn(cls.prototype, 'linearize').mockImplementation(function (this: never, ...args: Parameters<typeof orig>) {
          order.push(tag);
          return (orig as (...x: unknown[]) => void).apply(this, args);
        });
      };
      const se = rec(ExactLinearization, 'exact'), ss = rec(SmoothedLinearization, 'smooth');
      const cold = await p.replan(p.built.x0, 0);
      expect(cold.iterations).toBe(4);
      // 2 smoothed iterations then exact ones only (a rejected step may reuse a linearization)
      const firstExact = order.indexOf('exact');
      expect(order.slice(0, firstExact).every((t) => t === 'smooth')).toBe(true);
      expect(firstExact).toBeGreaterThanOrEqual(1);
      expect(firstExact).toBeLessThanOrEqual(2);
      expect(order.slice(firstExact).every((t) => t === 'exact')).toBe(true);
      expect(cold.sigma).toBeGreaterThan(0); // σ of the smoothed iterations
      order.length = 0;
      const warm = await p.replan(cold.xs.subarray(2 * cold.nx, 3 * cold.nx), 2);
      expect(warm.iterations).toBe(3);
      expect(order[0]).toBe('smooth');
      expect(order.slice(1).every((t) => t === 'exact')).toBe(true);
      expect(order.filter((t) => t === 'exact').length).toBeGreaterThanOrEqual(1);
      // a polish as long as the budget: no smoothed iteration, σ reported 0
      order.length = 0;
      const allExact = new RecedingHorizonPlanner({ task: 'lift-leg', params: PARAMS, solver: 'rddp', solverParams: { ...sp, polish: 4 } });
      expect((await allExact.replan(p.built.x0, 0)).sigma).toBe(0);
      expect(order.every((t) => t === 'exact')).toBe(true);
      // DDP: exact derivatives only, whatever polish says
      order.length = 0;
      const ddp = new RecedingHorizonPlanner({ task: 'lift-leg', params: PARAMS, solver: 'ddp', solverParams: sp });
      await ddp.replan(p.built.x0, 0);
      expect(order.length).toBeGreaterThan(0);
      expect(order.every((t) => t === 'exact')).toBe(true);
      expect(se).toHaveBeenCalled();
      expect(ss).toHaveBeenCalled();
    } finally {
      vi.restoreAllMocks();
    }
  });

  it('keeps lift-leg standing under R-DDP-MPC with the live defaults (the study\'s success band)', async () => {
    // the setting of the push-recovery study: 0.2 s horizon, a replan every 2 steps, 4
    // iterations (the last 2 exact), 30 for the first; without the polish tail (4 smoothed
    // iterations) the base fell below standing − 3 cm by step 50 (seed 1: 0.139 m; with the
    // plan's base weight 10, at step 28 and 0.06 m by step 48)
    const { runClosedLoop } = await import('../../server/live/closed-loop.ts');
    const sp: MpcSolverParams = { iterations: 4, polish: 2, warmup: 30, samples: 16, sigma0: 0.5, estimator: 'zero', seed: 1 };
    const { getTask } = await import('../../server/control/tasks/index.ts');
    const params = { ...getTask('lift-leg').liveDefaults, horizon: 0.2 };
    const r = await runClosedLoop({ task: 'lift-leg', params, solver: 'rddp', solverParams: sp, steps: 50, replanEvery: 2, pushes: [] });
    expect(r.error).toBeNull();
    const standing = r.xs[0][2];
    for (const x of r.xs) expect(x[2]).toBeGreaterThan(standing - 0.03);
  }, 60_000);
});

describe('LiveWorld', () => {
  it('applies the plan\'s feedback law and, undisturbed, follows the plan exactly', async () => {
    const p = new RecedingHorizonPlanner({ task: 'lift-leg', params: PARAMS, solver: 'ddp', solverParams: { ...SP, warmup: 3 } });
    const w = new LiveWorld('ddp', 'lift-leg', p.params);
    const plan = await p.replan(w.x, 0);
    w.plan = plan;
    const { nq, nv } = w.model, nx = nq + nv, nu = plan.nu, ndx = plan.ndx;
    for (let k = 0; k < plan.T; k++) {
      w.step(k);
      for (let i = 0; i < nx; i++) expect(w.x[i]).toBe(plan.xs[(k + 1) * nx + i]);
    }
    // the law, written out: a perturbed state at knot 2
    const x = Float64Array.from(plan.xs.subarray(2 * nx, 3 * nx));
    x[0] += 0.003; x[nq + 7] -= 0.2; x[9] += 0.01;
    w.x.set(x);
    const u = Array.from(w.control(2));
    const dq = difference(w.model, plan.xs.subarray(2 * nx, 2 * nx + nq), x.subarray(0, nq), new Float64Array(nv));
    const dx = [...dq, ...Array.from({ length: nv }, (_, i) => x[nq + i] - plan.xs[2 * nx + nq + i])];
    for (let a = 0; a < nu; a++) {
      let s = plan.us[2 * nu + a];
      for (let j = 0; j < ndx; j++) s += plan.K[(2 * nu + a) * ndx + j] * dx[j];
      const clamped = Math.min(w.built.uUpper[a], Math.max(w.built.uLower[a], s));
      expect(u[a]).toBeCloseTo(clamped, 12);
    }
    expect(plan.K.some((k) => k !== 0)).toBe(true);
  });
});

describe('every task runs live', () => {
  for (const [task, horizon] of [['cube-lift', 0.2], ['swing-up', 0.3]] as const) {
    it(`${task}: replans and steps its world with both solvers`, async () => {
      for (const solver of ['ddp', 'rddp'] as const) {
        const p = new RecedingHorizonPlanner({ task, params: { horizon }, solver, solverParams: { ...SP, warmup: 2 } });
        const w = new LiveWorld(solver, task, p.params);
        let step = 0;
        for (let r = 0; r < 3; r++) {
          const plan = await p.replan(w.x, step);
          expect(plan.T).toBe(p.built.T);
          expect(Number.isFinite(plan.cost)).toBe(true);
          w.plan = plan;
          for (let i = 0; i < 2; i++) w.step(step++);
          expect(w.x.every(Number.isFinite)).toBe(true);
        }
        // the first frame of the model can be pushed
        const name = w.model.frames.find((f) => f.kind === 'body')!.name;
        expect(w.frameOf(name)).toBeGreaterThanOrEqual(0);
      }
    });
  }
});

describe('runClosedLoop', () => {
  it('is reproducible, and a push changes the run from its step on', async () => {
    const { runClosedLoop } = await import('../../server/live/closed-loop.ts');
    const base = { task: 'lift-leg', params: PARAMS, solver: 'rddp' as const, solverParams: SP, steps: 6, replanEvery: 2 };
    const a = await runClosedLoop({ ...base, pushes: [] });
    const b = await runClosedLoop({ ...base, pushes: [] });
    const c = await runClosedLoop({ ...base, pushes: [{ step: 3, body: 'base_link', force: [0, 5, 0], steps: 2 }] });
    expect(a.error).toBeNull();
    expect(a.xs).toHaveLength(7);
    expect(a.sigmas).toHaveLength(3);
    expect(a.xs.map((x) => Array.from(x))).toEqual(b.xs.map((x) => Array.from(x)));
    for (let k = 0; k <= 3; k++) expect(Array.from(c.xs[k])).toEqual(Array.from(a.xs[k]));
    expect(c.xs[4][1]).toBeGreaterThan(a.xs[4][1]); // pushed along +y
  });
});
