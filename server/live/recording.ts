/**
 * A live session's recording: one MCAP per world through the RecordingStore, so it is listed and
 * played back like a plan's. What each holds:
 * - `/trajectory` (and `/tf`, `/contacts`, `/knots` for Foxglove): the states the world went
 *   through (the last MAX_LIVE_RECORDED_S), with the controls applied and the contacts;
 * - `/telemetry`: one record per adopted plan (iteration = replan number, its cost, σ, solve
 *   time as times.total), so the browser's iteration plots show the replans;
 * - `/live/plans`: every adopted plan's summary (start and adoption steps, solve time,
 *   iterations, σ, cost, warm-start shift) and, for at most RECORDED_PLANS_PER_S per second
 *   (session.ts), its predicted configurations and controls;
 * - `/live/events`: the operator events, stamped with their simulated time.
 * Message times are the session's start plus simulated time.
 */
import type { IterationRecord, PlanResult } from '../planning/planner.ts';
import type { RecordingInfo, RecordingStore } from '../store/recordings.ts';
import { ns } from '../foxglove/messages.ts';
import type { LiveSession } from './session.ts';

export async function saveLiveRecordings(store: RecordingStore, session: LiveSession, finishedAt: Date): Promise<RecordingInfo[]> {
  const out: RecordingInfo[] = [];
  for (const solver of session.solvers) {
    const rec = session.recordingOf(solver);
    if (!rec || rec.states.length < 2) continue;
    const { states, plans, world } = rec;
    const dt = session.dt;
    const first = states[0].step;
    const trajectory = {
      dt,
      q: states.map((s) => s.q),
      v: states.map((s) => s.v),
      u: states.slice(1).map((s) => s.u),
      contacts: states.map((s) => s.contacts),
    };
    const xs = states.map((s) => Float64Array.from([...s.q, ...s.v]));
    const us = trajectory.u.map((u) => Float64Array.from(u));
    let metrics: PlanResult['metrics'] = {};
    let success = false;
    try { metrics = world.built.metrics(xs, us); success = world.built.success(metrics); } catch { /* a task whose metrics need more: none */ }
    const telemetry: IterationRecord[] = plans.map((p) => ({
      iteration: p.replan, cost: p.cost, costBefore: p.cost, expectedImprovement: NaN, actualImprovement: NaN, stepLength: 0,
      regularization: 0, gradientNorm: 0, accepted: !p.cancelled, sigma: p.sigma, samples: solver === 'rddp' && p.sigma > 0 ? session.setup.solverParams.samples : 0,
      phase: solver === 'ddp' ? 'exact' : p.sigma > 0 ? 'smooth' : 'polish',
      times: { linearize: 0, backward: 0, forward: 0, total: p.solveMs },
    }));
    const wall = (finishedAt.getTime() - session.createdAt.getTime()) / 1000;
    const meanSolve = plans.length ? plans.reduce((s, p) => s + p.solveMs, 0) / plans.length : 0;
    const result: PlanResult = {
      solver, robot: session.robot, task: session.setup.task, params: session.params,
      solverParams: { ...session.setup.solverParams, backend: 'cpu', horizon: session.setup.horizon, realTimeFactor: session.setup.realTimeFactor } as unknown as PlanResult['solverParams'],
      seed: session.setup.solverParams.seed, iterations: plans.length,
      cost: plans.at(-1)?.cost ?? NaN, initialCost: plans[0]?.cost ?? NaN, converged: false, cancelled: false, status: 'live',
      success, metrics: { ...metrics, replans: plans.length, meanSolveMs: Math.round(meanSolve * 1000) / 1000 },
      timings: { total_s: wall, perIteration_ms: { linearize: 0, backward: 0, forward: 0 } },
      compute: { requested: 'cpu', backend: 'cpu', exact: 'cpu', reason: 'live sessions plan on one thread per world', description: 'live planner thread' },
      telemetry, trajectory,
    };
    const t0 = ns(session.createdAt.getTime() / 1000);
    const at = (step: number) => t0 + ns(Math.max(0, step - first) * dt);
    out.push(await store.save({
      plan: session.id, run: 1, warmStart: true, startedAt: session.createdAt, finishedAt, result, kind: 'live',
      extras: [
        { topic: '/live/plans', schema: 'rsddp.LivePlan', messages: plans.map((p) => ({ t: at(p.adoptedStep), message: p })) },
        { topic: '/live/events', schema: 'rsddp.LiveEvent', messages: session.events.map((e) => ({ t: at(e.step), message: e })) },
      ],
    }));
  }
  return out;
}
