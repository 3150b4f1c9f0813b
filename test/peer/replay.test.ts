/**
 * The referee (server/peer/replay.ts): plans replayed in MuJoCo.
 *
 * - Contact-free, MuJoCo at the plan's own dt (substeps 1): both engines are semi-implicit Euler
 *   on the same model, so a trajectory our simulator produced must come back to rounding (the
 *   rigid-body algorithms agree to 1e-9 relative: test/dynamics/mujoco-crosscheck.test.ts). The
 *   free-floating case also checks the closed-loop law u = u* + K (x ⊖ x*) (SE(3) log of the
 *   base) against the same law rolled out in our simulator.
 * - Closed loop with zero gains is the open-loop replay, number for number.
 * - A real lift-leg DDP plan (gains from the solver) replays end to end.
 * - The CLI's errors.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Simulator } from '../../server/dynamics/step.ts';
import { plan, type PlanResult } from '../../server/planning/planner.ts';
import { differenceState, integrateState, makeDynamics } from '../../server/control/problem.ts';
import { getTask, resolveParams, type BuiltTask } from '../../server/control/tasks/index.ts';
import { replayInMujoco, replayOnTask, type PlanFile } from '../../server/peer/replay.ts';

const root = path.resolve(import.meta.dirname, '../..');
const tsx = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', ...args], { cwd: root, encoding: 'utf8' });

function buildTask(name: string, params: Record<string, unknown> = {}): BuiltTask {
  const def = getTask(name);
  return def.build(resolveParams(def, params));
}

/** Deterministic numbers in [-1, 1]. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

/** Rollout in our simulator of x_{k+1} = f(x_k, clip(u*_k + K_k (x_k ⊖ xRef_k))), K null: open loop. */
function rollout(built: BuiltTask, x0: Float64Array, us: Float64Array[], xRef: Float64Array[] | null, K: number[][][] | null): Float64Array[] {
  const { model } = built;
  const xs = [Float64Array.from(x0)];
  const dx = new Float64Array(2 * model.nv);
  for (let k = 0; k < us.length; k++) {
    const u = Float64Array.from(us[k]);
    if (K && xRef) {
      differenceState(model, xRef[k], xs[k], dx);
      for (let a = 0; a < u.length; a++) u[a] += K[k][a].reduce((s, kj, j) => s + kj * dx[j], 0);
    }
    for (let a = 0; a < u.length; a++) u[a] = Math.min(built.uUpper[a], Math.max(built.uLower[a], u[a]));
    const next = new Float64Array(x0.length);
    built.dynamics.step(xs[k], u, next);
    xs.push(next);
  }
  return xs;
}

function planFile(built: BuiltTask, xs: Float64Array[], us: Float64Array[], K?: number[][][]): PlanFile {
  const nq = built.model.nq;
  return {
    solver: 'test', robot: built.robot, task: built.task, params: built.params,
    trajectory: { dt: built.dt, q: xs.map((x) => Array.from(x.subarray(0, nq))), v: xs.map((x) => Array.from(x.subarray(nq))), u: us.map((u) => Array.from(u)) },
    ...(K ? { feedback: { K, atFinalNominal: true, phase: 'exact' } } : {}),
  };
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  let m = 0;
  a.forEach((row, k) => row.forEach((x, i) => { m = Math.max(m, Math.abs(x - b[k][i])); }));
  return m;
}

describe('MuJoCo replay without contacts, at the plan dt (substeps 1)', () => {
  it('swing-up: a trajectory of our simulator comes back to 1e-9 (fixed base)', async () => {
    const built = buildTask('swing-up');
    const r = lcg(1);
    const us = Array.from({ length: built.T }, (_, k) => Float64Array.from([0.4 * Math.sin(0.2 * k) + 0.05 * r(), 0.2 * Math.cos(0.13 * k) + 0.05 * r()]));
    const xs = rollout(built, built.x0, us, null, null);
    expect(Math.max(...xs.map((x) => Math.abs(x[2])))).toBeGreaterThan(3); // it really swings (rad/s)
    const rep = await replayInMujoco(planFile(built, xs, us), { settings: { substeps: 1 } });
    expect(rep.engine.timestep).toBe(built.dt);
    expect(rep.closedLoop).toBeNull();
    expect(rep.openLoop.divergedAt).toBeNull();
    expect(rep.openLoop.deviation.q).toBeLessThan(1e-9); // seen: 1.5e-13 (v: 2.9e-12, peak 40 rad/s)
    expect(rep.openLoop.deviation.v).toBeLessThan(1e-8);
    expect(rep.openLoop.metrics.angleError).toBeCloseTo(rep.planned.metrics.angleError as number, 8);
  });

  it('Solo-12 in the air (ground removed): closed loop with gains agrees with the same law in our simulator to 1e-8', async () => {
    const base = buildTask('lift-leg');
    const scene = { ground: null, boxes: [] };
    // joint stops off as in the MuJoCo twin (task-model.ts): this tumbling motion swings the
    // HAA joints past ±1.2 rad, and what is compared here is the integrator and the feedback law
    const sim = new Simulator(base.model, scene, { dt: base.dt, enforceLimits: false });
    const built: BuiltTask = { ...base, scene, sim, dynamics: makeDynamics(sim) };
    const { model, T } = built;
    const nv = model.nv, nu = model.nu, ndx = 2 * nv;
    const r = lcg(7);
    // a tumbling start: base raised, moving and turning; joints moving
    const x0 = Float64Array.from(base.x0);
    x0[2] += 2;
    for (let i = 0; i < nv; i++) x0[model.nq + i] = (i < 6 ? 0.5 : 1) * r();
    const us = Array.from({ length: T }, (_, k) => Float64Array.from({ length: nu }, (_, a) => 0.1 * Math.sin(0.1 * k + a) + 0.02 * r()));
    const xsOpen = rollout(built, x0, us, null, null);
    // the "plan": our open-loop states moved off by small tangent offsets, so the feedback acts
    const xRef = xsOpen.map((x, k) => {
      if (k === 0) return Float64Array.from(x);
      const d = Float64Array.from({ length: ndx }, () => 0.01 * r());
      const out = new Float64Array(x.length);
      integrateState(model, x, d, out);
      return out;
    });
    // a joint PD (stable at this dt) plus small couplings to every state coordinate, base included
    const K = Array.from({ length: T }, () => Array.from({ length: nu }, (_, a) => Array.from({ length: ndx }, (_, j) =>
      (j === 6 + a ? -0.2 : j === nv + 6 + a ? -0.005 : 0) + 0.005 * r())));
    const xsClosed = rollout(built, x0, us, xRef, K);
    const rep = await replayOnTask(built, planFile(built, xRef, us, K), { settings: { substeps: 1 } });
    expect(rep.engine.substeps).toBe(1);
    expect(xsClosed.at(-1)!.every(Number.isFinite)).toBe(true);
    expect(rep.closedLoop!.divergedAt).toBeNull();
    expect(rep.closedLoop!.contacts.every((c) => c === 0)).toBe(true);
    const nq = model.nq;
    // seen: closed loop q 3.0e-13, v 7.7e-12; open loop q 8.3e-11
    expect(maxAbsDiff(rep.closedLoop!.trajectory.q, xsClosed.map((x) => Array.from(x.subarray(0, nq))))).toBeLessThan(1e-8);
    expect(maxAbsDiff(rep.closedLoop!.trajectory.v, xsClosed.map((x) => Array.from(x.subarray(nq))))).toBeLessThan(1e-7);
    expect(maxAbsDiff(rep.openLoop.trajectory.q, xsOpen.map((x) => Array.from(x.subarray(0, nq))))).toBeLessThan(1e-8);
    // the feedback changed the motion (the check above is not the open loop twice)
    expect(maxAbsDiff(xsClosed.map((x) => Array.from(x)), xsOpen.map((x) => Array.from(x)))).toBeGreaterThan(0.1);
  });
});

describe('MuJoCo replay of a real lift-leg DDP plan', () => {
  let result: PlanResult;
  beforeAll(async () => {
    result = await plan({ task: 'lift-leg', solver: 'ddp', solverParams: { iterations: 3, backend: 'cpu' }, feedbackGains: true });
  }, 60_000);

  it('the plan carries its gains: T matrices of nu x 2nv, not all zero', () => {
    const fb = result.feedback!;
    expect(fb.K).toHaveLength(result.trajectory.u.length);
    expect(fb.K[0]).toHaveLength(12);
    expect(fb.K[0][0]).toHaveLength(36);
    expect(fb.K.flat(2).some((x) => x !== 0)).toBe(true);
    // DDP stops at a stationary nominal here (the sticking foot): its last pass was at the final nominal
    expect(result.status).toBe('converged');
    expect(fb.atFinalNominal).toBe(true);
  });

  it('replays end to end: the task judges both runs; the feedback keeps MuJoCo closer to the plan than open loop', async () => {
    const rep = await replayInMujoco(result);
    expect(rep.engine).toMatchObject({ substeps: 10, timestep: 0.001, cone: 'elliptic', impratio: 100, solref: [0.002, 1] });
    expect(rep.planned.metrics).toEqual(result.metrics);
    expect(rep.planned.success).toBe(result.success);
    for (const run of [rep.closedLoop!, rep.openLoop]) {
      expect(run.divergedAt).toBeNull();
      expect(Object.keys(run.metrics)).toEqual(Object.keys(result.metrics));
      expect(run.contacts.at(-1)).toBeGreaterThanOrEqual(4); // still standing on four feet
    }
    expect(rep.maxDeviation).toBe(rep.closedLoop!.deviation.q);
    expect(rep.closedLoop!.deviation.q).toBeLessThan(rep.openLoop.deviation.q);
    expect(rep.closedLoop!.deviation.q).toBeLessThan(2e-3); // m / rad
  }, 30_000);

  it('closed loop with zero gains is the open-loop replay, number for number', async () => {
    const zero = { ...result, feedback: { ...result.feedback!, K: result.feedback!.K.map((Kt) => Kt.map((row) => row.map(() => 0))) } };
    const rep = await replayInMujoco(zero);
    expect(rep.closedLoop!.trajectory).toEqual(rep.openLoop.trajectory);
    expect(rep.closedLoop!.metrics).toEqual(rep.openLoop.metrics);
  }, 30_000);

  it('npm run replay prints the three columns and writes the JSON', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'replay-'));
    const file = path.join(dir, 'run.json');
    writeFileSync(file, JSON.stringify(result));
    const out = path.join(dir, 'replay.json');
    const r = tsx(['server/cli/replay.ts', file, '--out', out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/planned \(ours\)\s+MuJoCo closed-loop\s+MuJoCo open-loop/);
    expect(r.stdout).toMatch(/^success\s+false\s+false\s+false$/m);
    expect(r.stdout).toMatch(/^footHeight\s/m);
    const o = tsx(['server/cli/replay.ts', file, '--open-loop']);
    expect(o.stdout).toMatch(/closed loop: skipped/);
    expect(o.stdout).toMatch(/^success\s+false\s+n\/a\s+false$/m);
  }, 30_000);
});

describe('npm run replay: errors', () => {
  it('one line and exit 1 for a missing file, a JSON that is no plan, an unknown task', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'replay-err-'));
    const cases: Array<[string, RegExp]> = [];
    cases.push([path.join(dir, 'missing.json'), /^replay: no such file: .*missing\.json\n$/]);
    const notJson = path.join(dir, 'bad.json');
    writeFileSync(notJson, 'not json');
    cases.push([notJson, /^replay: .*bad\.json is not JSON: .*\n$/]);
    const noPlan = path.join(dir, 'noplan.json');
    writeFileSync(noPlan, JSON.stringify({ hello: 1 }));
    cases.push([noPlan, /^replay: .*noplan\.json: not a plan result \(npm run plan --out\): solver: .*\n$/]);
    const unknown = path.join(dir, 'unknown.json');
    writeFileSync(unknown, JSON.stringify({ solver: 'ddp', robot: 'solo12', task: 'walk', params: {}, trajectory: { dt: 0.01, q: [], v: [], u: [] } }));
    cases.push([unknown, /^replay: .*unknown\.json: unknown task 'walk' \(known: lift-leg, cube-lift, swing-up, reach\)\n$/]);
    for (const [file, re] of cases) {
      const r = tsx(['server/cli/replay.ts', file]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(re);
    }
  }, 30_000);
});
