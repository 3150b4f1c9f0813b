/**
 * The seed's phenomena at the planner level: on cube-lift classical DDP gets exactly null
 * gradients at rest and stays put, R-DDP lifts the cube; on Solo-12 standing, DDP's gradient
 * toward lifting a foot is null. Plus the smooth swing-up, reproducibility and bad input.
 */
import { describe, expect, it } from 'vitest';
import { plan } from '../../server/planning/planner.ts';
import { getTask, resolveParams, TaskParamError } from '../../server/control/tasks/index.ts';

describe('cube-lift (seed Fig. 2)', () => {
  it('DDP sees a null gradient at rest and does not move the cube', async () => {
    const r = await plan({ task: 'cube-lift', solver: 'ddp' });
    expect(r.iterations).toBe(1);
    expect(r.telemetry[0].gradientNorm).toBe(0);
    expect(r.metrics.finalHeight as number).toBeCloseTo(0.05, 9);
    expect(r.success).toBe(false);
  });

  it('R-DDP lifts the cube to the target height, and a seed reproduces it bit for bit', async () => {
    const a = await plan({ task: 'cube-lift', solver: 'rddp', solverParams: { seed: 3 } });
    expect(a.success).toBe(true);
    expect(a.metrics.heightError as number).toBeLessThan(0.01);
    expect(a.telemetry.some((t) => t.phase === 'smooth' && t.sigma > 0)).toBe(true);
    // cost non-increasing over accepted steps
    for (const t of a.telemetry) if (t.accepted) expect(t.cost).toBeLessThanOrEqual(t.costBefore);
    const b = await plan({ task: 'cube-lift', solver: 'rddp', solverParams: { seed: 3 } });
    expect(b.trajectory.u).toEqual(a.trajectory.u);
    expect(b.cost).toBe(a.cost);
  });
});

describe('lift-leg on Solo-12 (seed Figs. 3-4)', () => {
  it('DDP gets no gradient toward lifting the foot from the standing state', async () => {
    const r = await plan({ task: 'lift-leg', solver: 'ddp', params: { horizon: 0.1, dt: 0.01 }, solverParams: { iterations: 3 } });
    expect(r.telemetry[0].gradientNorm).toBeLessThan(1e-5);
    expect(Math.abs(r.metrics.footHeight as number)).toBeLessThan(1e-6);
    expect(r.success).toBe(false);
  });
});

describe('lift-leg objectives and success test', () => {
  it("'pose' (terminal configuration from inverse kinematics) gives DDP a gradient where 'foot' gives none", async () => {
    const foot = await plan({ task: 'lift-leg', solver: 'ddp', params: { horizon: 0.1 }, solverParams: { iterations: 1, backend: 'cpu' } });
    const pose = await plan({ task: 'lift-leg', solver: 'ddp', params: { horizon: 0.1, objective: 'pose' }, solverParams: { iterations: 1, backend: 'cpu' } });
    expect(foot.telemetry[0].gradientNorm).toBeLessThan(1e-5);
    expect(pose.telemetry[0].gradientNorm).toBeGreaterThan(1e-2);
    expect(pose.metrics.objective).toBe('pose');
    // same initial state: the pose cost at the start is the configuration miss, not zero
    expect(pose.initialCost).toBeGreaterThan(0.1);
  });

  it('success needs the foot at height, the other feet down, the base at its height and the joints still', () => {
    const def = getTask('lift-leg');
    const built = def.build(resolveParams(def, {}));
    const ok = { footError: 0.005, otherFeetMaxHeight: 0.001, baseHeightChange: 0.01, maxJointSpeed: 0.3 };
    expect(built.success(ok)).toBe(true);
    expect(built.success({ ...ok, footError: 0.011 })).toBe(false);
    expect(built.success({ ...ok, otherFeetMaxHeight: 0.006 })).toBe(false);
    expect(built.success({ ...ok, baseHeightChange: 0.07 })).toBe(false);
    expect(built.success({ ...ok, baseHeightChange: -0.03 })).toBe(false);
    expect(built.success({ ...ok, maxJointSpeed: 1.7 })).toBe(false);
  });
});

describe("lift-leg 'hold': the goal costed over the end of the horizon", () => {
  it('the window knots add the goal term at weight 1/hold per second; the others are unchanged', () => {
    const def = getTask('lift-leg');
    const plain = def.build(resolveParams(def, { horizon: 0.2, dt: 0.02 }));
    const held = def.build(resolveParams(def, { horizon: 0.2, dt: 0.02, hold: 0.06 }));
    expect(Array.isArray(plain.running)).toBe(false);
    const costs = held.running as readonly (typeof plain.terminal)[];
    expect(costs.length).toBe(10);
    // at the standing state the foot is 5 cm below its target: the goal term is ½ 5000 h²
    const x = held.x0, u = plain.uInit[0];
    const base = (plain.running as typeof plain.terminal).value(x, u);
    for (let k = 0; k < 7; k++) expect(costs[k].value(x, u)).toBeCloseTo(base, 12);
    const goal = 0.5 * 5000 * 0.05 ** 2;
    for (let k = 7; k < 10; k++) expect(costs[k].value(x, u) - base).toBeCloseTo(goal * (1 / 0.06) * 0.02, 9);
    // the terminal cost is the same with and without the window
    expect(held.terminal.value(x, null)).toBeCloseTo(plain.terminal.value(x, null), 12);
  });

  it('a window shorter than a step or longer than the horizon is refused, naming it', () => {
    const def = getTask('lift-leg');
    expect(() => def.build(resolveParams(def, { dt: 0.02, hold: 0.005 }))).toThrow(/hold 0.005 s is shorter than one step/);
    expect(() => def.build(resolveParams(def, { horizon: 0.5, hold: 0.8 }))).toThrow(/longer than the horizon/);
  });
});

describe('task cost weights are task parameters', () => {
  it("lift-leg 'baseWeight' weights the base height only: ½ w Δz² terminal and per second running", () => {
    const def = getTask('lift-leg');
    const plain = def.build(resolveParams(def, { horizon: 0.2 }));
    const heavy = def.build(resolveParams(def, { horizon: 0.2, baseWeight: 2500 }));
    const sunk = Float64Array.from(plain.x0);
    sunk[2] -= 0.02; // the base 2 cm lower, level (its tangent z is the world z)
    const run = (b: typeof plain, x: Float64Array) => (b.running as typeof plain.terminal).value(x, plain.uInit[0]);
    const extra = 0.5 * (2500 - 10) * 0.02 ** 2;
    expect(heavy.terminal.value(sunk, null) - plain.terminal.value(sunk, null)).toBeCloseTo(extra, 10);
    expect(run(heavy, sunk) - run(plain, sunk)).toBeCloseTo(extra * plain.dt, 10);
    // standing, or moved sideways: no difference
    const side = Float64Array.from(plain.x0);
    side[1] += 0.02;
    for (const x of [plain.x0, side]) expect(heavy.terminal.value(x, null)).toBeCloseTo(plain.terminal.value(x, null), 12);
    expect(def.liveDefaults?.baseWeight).toBe(2500);
  });

  it("lift-leg 'controlWeight' weights the torques' distance to the standing ones: ½ w |Δu|² per second (default 0.1)", () => {
    const def = getTask('lift-leg');
    const plain = def.build(resolveParams(def, { horizon: 0.2 }));
    const light = def.build(resolveParams(def, { horizon: 0.2, controlWeight: 0.001 }));
    expect(plain.params.controlWeight).toBe(0.1);
    const u = Float64Array.from(plain.uInit[0]);
    u[2] += 1.5; // 1.5 N m more at one knee
    const run = (b: typeof plain, uu: Float64Array) => (b.running as typeof plain.terminal).value(plain.x0, uu);
    expect(run(plain, u) - run(plain, plain.uInit[0])).toBeCloseTo(0.5 * 0.1 * 1.5 ** 2 * plain.dt, 10);
    expect(run(light, u) - run(light, plain.uInit[0])).toBeCloseTo(0.5 * 0.001 * 1.5 ** 2 * plain.dt, 10);
  });

  it('cube-lift and swing-up: the terminal cost follows the weights given (defaults: the former constants)', () => {
    const cube = getTask('cube-lift');
    const x = new Float64Array([0.1, 0.5]); // 0.2 m below the default target, moving up at 0.5 m/s
    const at = (w: Record<string, number>) => cube.build(resolveParams(cube, w)).terminal.value(x, null);
    expect(at({})).toBeCloseTo(0.5 * 1000 * 0.2 ** 2 + 0.5 * 10 * 0.5 ** 2, 10);
    expect(at({ heightWeight: 2000, velocityWeight: 0 })).toBeCloseTo(0.5 * 2000 * 0.2 ** 2, 10);
    const swing = getTask('swing-up');
    const xs = new Float64Array([Math.PI - 0.1, 0.2, 1, 0]);
    const sw = (w: Record<string, number>) => swing.build(resolveParams(swing, w)).terminal.value(xs, null);
    expect(sw({})).toBeCloseTo(0.5 * 100 * (0.1 ** 2 + 0.2 ** 2) + 0.5 * 10 * 1, 10);
    expect(sw({ angleWeight: 1, velocityWeight: 0 })).toBeCloseTo(0.5 * (0.1 ** 2 + 0.2 ** 2), 10);
  });
});

describe('lift-leg R-DDP', () => {
  it('breaks the contact and lifts the foot to the target (0.5 s horizon)', async () => {
    const r = await plan({ task: 'lift-leg', solver: 'rddp', params: { horizon: 0.5 }, solverParams: { seed: 3, iterations: 40 } });
    expect(r.success).toBe(true);
    expect(r.metrics.footError as number).toBeLessThan(0.01);
    expect(r.metrics.otherFeetMaxHeight as number).toBeLessThan(0.005);
    for (const u of r.trajectory.u) for (const x of u) expect(Math.abs(x)).toBeLessThanOrEqual(2.7 + 1e-12);
  });
});

describe('swing-up', () => {
  it('DDP swings the double pendulum up', async () => {
    const r = await plan({ task: 'swing-up', solver: 'ddp' });
    expect(r.success).toBe(true);
    expect(r.converged).toBe(true);
  });
});

describe('bad input', () => {
  it('names the offending task parameter', async () => {
    await expect(plan({ task: 'lift-leg', solver: 'ddp', params: { foot: 'XX' } })).rejects.toThrow(TaskParamError);
    await expect(plan({ task: 'lift-leg', solver: 'ddp', params: { height: -1 } })).rejects.toThrow(/'height' must be >= 0.005/);
    await expect(plan({ task: 'lift-leg', solver: 'ddp', params: { bogus: 1 } })).rejects.toThrow(/unknown parameter 'bogus'/);
    await expect(plan({ task: 'nope', solver: 'ddp' })).rejects.toThrow(/unknown task 'nope'/);
  });
});

describe('workers backend', () => {
  it('gives bit-identical R-DDP results to the in-process backend', async () => {
    const cpu = await plan({ task: 'cube-lift', solver: 'rddp', solverParams: { seed: 5, iterations: 12, backend: 'cpu' } });
    const workers = await plan({ task: 'cube-lift', solver: 'rddp', solverParams: { seed: 5, iterations: 12, backend: 'workers', workers: 2 } });
    expect(workers.trajectory.u).toEqual(cpu.trajectory.u);
    expect(workers.telemetry.map((t) => t.cost)).toEqual(cpu.telemetry.map((t) => t.cost));
  });
});

describe('R-DDP noise schedule in the planner', () => {
  const sigmas = (r: { telemetry: { sigma: number }[] }) => r.telemetry.map((t) => t.sigma);

  it('sigma0 = 1 is too small to see the contact: the noise is raised and the cube is lifted', async () => {
    const r = await plan({ task: 'cube-lift', solver: 'rddp', solverParams: { seed: 3, sigma0: 1, backend: 'cpu' } });
    expect(r.telemetry[0].gradientNorm).toBeLessThan(1e-12); // the model at sigma = 1 sees nothing
    expect(Math.max(...sigmas(r))).toBeGreaterThan(1);
    expect(r.success).toBe(true);
  });

  it('ends with exact-derivative polish iterations (phase polish, sigma 0) and never smooths after them', async () => {
    const r = await plan({ task: 'cube-lift', solver: 'rddp', params: { horizon: 0.4 }, solverParams: { seed: 3, iterations: 20, backend: 'cpu' } });
    const phases = r.telemetry.map((t) => t.phase);
    const first = phases.indexOf('polish');
    expect(first).toBeGreaterThan(0);
    expect(phases.slice(first).every((p) => p === 'polish')).toBe(true);
    expect(r.telemetry.slice(first).every((t) => t.sigma === 0)).toBe(true);
    expect(r.success).toBe(true);
  });

  it('adapts: two problems with different progress get different sigma traces (same sigma0 and seed)', async () => {
    const a = await plan({ task: 'cube-lift', solver: 'rddp', solverParams: { seed: 3, backend: 'cpu' } });
    const b = await plan({ task: 'cube-lift', solver: 'rddp', params: { height: 0.06 }, solverParams: { seed: 3, backend: 'cpu' } });
    expect(sigmas(a)).not.toEqual(sigmas(b));
  });

  it('the sensitivity rule runs (dJ/dsigma from rollouts) on the cube and on Solo', async () => {
    const c = await plan({ task: 'cube-lift', solver: 'rddp', params: { horizon: 0.4 }, solverParams: { seed: 3, iterations: 12, rule: 'sensitivity', backend: 'cpu' } });
    expect(c.telemetry.at(-1)!.phase).toBe('polish');
    // finite differences, as when this test was written: with the analytic default this seed's
    // 0.2 s plan ends at joint speed 0.55 rad/s, just over the task's 0.5 success limit (foot
    // error 0.16 mm against 0.39): the 0.2 s flick sits on that limit either way
    const s = await plan({ task: 'lift-leg', solver: 'rddp', params: { horizon: 0.2 }, solverParams: { seed: 3, iterations: 15, rule: 'sensitivity', backend: 'cpu', derivatives: 'fd' } });
    expect(Math.min(...sigmas(s).filter((x) => x > 0))).toBeLessThan(0.5); // reduced from sigma0 = 0.5
    expect(s.telemetry.at(-1)!.phase).toBe('polish');
    expect(s.success).toBe(true);
  });

  it('continuation on Solo (short horizon): the foot reaches its height, then polish', async () => {
    const r = await plan({ task: 'lift-leg', solver: 'rddp', params: { horizon: 0.2 }, solverParams: { seed: 3, iterations: 15, backend: 'cpu' } });
    expect(r.telemetry.at(-1)!.phase).toBe('polish');
    expect(r.metrics.footError as number).toBeLessThan(0.01);
    expect(r.metrics.otherFeetMaxHeight as number).toBeLessThan(0.005);
    // (in 0.2 s the lift is a flick, joints at ~4 rad/s at the end: not a success by the task's test)
  });
});

describe('cube-lift initial height', () => {
  it('starts at rest at the given height (default: on the floor) and falls freely until it lands', () => {
    const cube = getTask('cube-lift');
    expect(Array.from(cube.build(resolveParams(cube, {})).x0)).toEqual([0.05, 0]);
    const built = cube.build(resolveParams(cube, { initialHeight: 0.3, dt: 0.01 }));
    expect(Array.from(built.x0)).toEqual([0.3, 0]);
    // zero force: free fall z = 0.3 - g t^2 / 2 until the floor (0.05 m) at t = sqrt(0.5 / g) = 0.226 s
    let x: Float64Array = Float64Array.from(built.x0);
    for (let k = 0; k < 15; k++) x = built.sim.step(x, [0]);
    const t = 0.15;
    // semi-implicit Euler: z_k = z0 - g dt^2 k (k + 1) / 2
    expect(x[0]).toBeCloseTo(0.3 - (9.81 * 0.01 * 0.01 * 15 * 16) / 2, 6);
    expect(Math.abs(x[0] - (0.3 - 9.81 * t * t / 2))).toBeLessThan(0.01);
    for (let k = 0; k < 50; k++) x = built.sim.step(x, [0]);
    expect(x[0]).toBeCloseTo(0.05, 3);
    expect(() => resolveParams(cube, { initialHeight: 0.01 })).toThrow(/initialHeight/);
  });
});
