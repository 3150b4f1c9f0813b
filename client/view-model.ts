/**
 * What each of the two viewports shows, whatever it comes from: a live plan (its DDP solve on
 * the left, its R-DDP solve on the right) or recordings opened from the browser (any recording
 * in either viewport). Pure functions over the store (connection.ts) and the loaded recordings,
 * so the DOM code only renders a `SlotView`; unit-tested in node.
 */
import { z } from 'zod';
import {
  RecordingContentSchema, RecordingListSchema,
  type IterationRecordMsg, type RecordingContent, type RecordingInfo, type RecordingList, type RecordingMeta, type Solver, type TrajectoryMsg,
} from '../shared/protocol.ts';
import type { ClientState, SolveView } from './connection.ts';

/** GET /api/recordings and GET /api/recordings/:id (server/store/recordings.ts), validated on arrival with the shared schemas. */
export { RecordingContentSchema, RecordingListSchema };
export type { RecordingContent, RecordingInfo, RecordingList, RecordingMeta };

export const SOLVER_TITLES: Record<Solver, string> = { ddp: 'DDP', rddp: 'R-DDP' };

/** One viewport's content. */
export interface SlotView {
  source: 'live' | 'recording';
  /** Identity of the content (plan + solver + run, or recording id): a change means "new content". */
  key: string;
  title: string;
  /** Recording id, or the plan id for live content. */
  subtitle: string;
  solver: Solver;
  robot: string;
  task: string;
  params: Record<string, number | string>;
  status: string;
  run: number;
  warmStart: boolean;
  iteration: number;
  /** Iteration budget when known. */
  budget: number | null;
  cost: number | null;
  latest: IterationRecordMsg | null;
  history: IterationRecordMsg[];
  trajectory: TrajectoryMsg | null;
  error: string | null;
  success: boolean | null;
  /** Where a live solve runs when not on the server itself: "on <worker>" (a cluster worker, docs/cluster.md). */
  where?: string | null;
}

function liveSlot(state: ClientState, planId: string, v: SolveView): SlotView {
  const plan = state.plans.get(planId)!;
  const st = plan.state.solves.find((s) => s.solver === v.solver);
  return {
    source: 'live', key: `${planId}/${v.solver}/${v.run}`, title: SOLVER_TITLES[v.solver], subtitle: planId,
    solver: v.solver, robot: plan.state.robot, task: plan.state.task, params: plan.state.params,
    status: plan.lost ? 'lost' : v.status, run: v.run, warmStart: st?.warmStart ?? false,
    iteration: v.iteration, budget: state.budgets.get(planId) ?? null, cost: v.cost, latest: v.latest,
    history: v.history, trajectory: v.trajectory, error: v.error, success: v.success,
    where: st?.where && st.where.worker !== 'server' ? `on ${st.where.worker}${st.where.attempt > 1 ? ` (attempt ${st.where.attempt})` : ''}` : null,
  };
}

/** The current plan's solves: DDP on the left, R-DDP on the right (null where the plan has no such solve). */
export function liveSlots(state: ClientState): [SlotView | null, SlotView | null] {
  const plan = state.current ? state.plans.get(state.current) : undefined;
  if (!plan) return [null, null];
  const s = (solver: Solver) => (plan.solves[solver] ? liveSlot(state, plan.state.id, plan.solves[solver]!) : null);
  return [s('ddp'), s('rddp')];
}

export function recordingSlot(c: RecordingContent): SlotView {
  const m = c.metadata;
  const budget = Number(m.solverParams.iterations);
  return {
    source: 'recording', key: `rec:${m.id}`, title: SOLVER_TITLES[m.solver], subtitle: m.id,
    solver: m.solver, robot: m.robot, task: m.task, params: m.params, status: m.status, run: m.run, warmStart: m.warmStart,
    iteration: m.iterations, budget: Number.isFinite(budget) && budget > 0 ? budget : null, cost: m.cost,
    latest: c.telemetry.at(-1) ?? null, history: c.telemetry, trajectory: c.trajectory, error: null, success: m.success,
  };
}

/** Numbers for people: 4 significant digits, exponent outside [0.01, 1e4). */
export function fmt(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '-∞';
  return Math.abs(x) >= 1e4 || Math.abs(x) < 1e-2 ? x.toExponential(digits - 2) : x.toPrecision(digits);
}

/** Fraction of the iteration budget done (0..1), null without a budget. Finished solves (converged early too) are full. */
export function progress(v: SlotView): number | null {
  if (!['running', 'queued', 'cancelled', 'failed', 'lost'].includes(v.status)) return 1;
  if (!v.budget) return null;
  return Math.min(1, Math.max(0, v.iteration / v.budget));
}

/** The one-line status over a viewport: "running · it 12/60 · cost 1.234 · σ 0.5". */
export function statusLine(v: SlotView | null): string {
  if (!v) return '–';
  if (v.status === 'lost') return 'the server restarted and no longer knows this plan';
  const it = v.budget ? `it ${v.iteration}/${v.budget}` : `it ${v.iteration}`;
  const sigma = v.solver === 'rddp' && v.latest ? ` · σ ${fmt(v.latest.sigma)}` : '';
  const run = v.run ? ` · run ${v.run}${v.warmStart ? ' (warm)' : ''}` : '';
  const ok = v.success === true ? ' · success' : v.success === false && (v.status === 'done' || v.source === 'recording') ? ' · target missed' : '';
  const err = v.error ? ` · ${v.error}` : '';
  const where = v.where ? ` · ${v.where}` : '';
  return `${v.status} · ${it} · cost ${fmt(v.cost)}${sigma}${run}${ok}${where}${err}`;
}

/** Knots and time step of the longest trajectory shown (the shared timeline's length). */
export function timelineLength(slots: readonly (SlotView | null)[], fallbackDt: number): { knots: number; dt: number } {
  let knots = 1, dt = fallbackDt;
  for (const s of slots) {
    const t = s?.trajectory;
    if (t && (t.q.length - 1) * t.dt > (knots - 1) * dt) { knots = t.q.length; dt = t.dt; }
  }
  return { knots, dt };
}
