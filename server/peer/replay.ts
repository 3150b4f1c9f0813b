/**
 * The referee: a final plan replayed in MuJoCo (a second engine nobody here wrote), to see
 * whether the task still succeeds outside the simulator the plan was optimized in.
 *
 * From a PlanResult the task is rebuilt (getTask + resolveParams + build, with the parameters
 * stored in the result), its MuJoCo twin made (task-model.ts: what differs between the engines
 * is written there), and the plan replayed from the same x0 for the plan's T knots of dt:
 * - closed loop: u_k = clip(u*_k + K_k (x_k ⊖ x*_k)), with DDP's feedback gains K of the result
 *   (PlanResult.feedback; ⊖ the tangent-space difference, SE(3) log for the base, as the
 *   solver's own rollouts); null when the result has no gains;
 * - open loop: u_k = clip(u*_k).
 * clip: the task's control bounds intersected with the URDF effort limits (our Simulator clamps
 * to those too). Each control is held over the knot's `substeps` MuJoCo steps. The task's own
 * metrics() and success() judge the replayed states (converted to our coordinates).
 */
import { z } from 'zod';
import { differenceState } from '../control/problem.ts';
import type { PlanResult, Trajectory } from '../planning/planner.ts';
import { PlanResultSchema } from '../../shared/protocol.ts';
import { getTask, resolveParams, type BuiltTask } from '../control/tasks/index.ts';
import { loadMujoco } from './mujoco-wasm.ts';
import { mujocoForTask, refereeDefaults, type RefereeSettings } from './task-model.ts';

type Metrics = Record<string, number | boolean | string>;

export interface ReplayRun {
  success: boolean;
  metrics: Metrics;
  /**
   * Largest deviation from the plan over the knots, infinity norm of x_k ⊖ x*_k: its
   * configuration part (m and rad) and its velocity part (m/s and rad/s).
   */
  deviation: { q: number; v: number };
  /** Knot at which MuJoCo went unstable and reset its state (the rest of the run is NaN), or null. */
  divergedAt: number | null;
  /** Controls (knot, joint) that the bounds clipped. */
  clipped: number;
  /** MuJoCo's active contacts at each replayed state x_1..x_T. */
  contacts: number[];
  /** The replayed states and the controls applied. */
  trajectory: Trajectory;
}

export interface MujocoReplay {
  task: string;
  robot: string;
  solver: string;
  seed: number | null;
  params: Record<string, number | string>;
  /** MuJoCo's version and the referee's settings (task-model.ts), with MuJoCo's time step. */
  engine: RefereeSettings & { mujoco: string; timestep: number; dt: number; knots: number };
  /** The plan as our simulator has it (the task's metrics of the stored trajectory). */
  planned: { success: boolean; metrics: Metrics };
  /** null: no feedback gains in the result (an older file, or --open-loop). */
  closedLoop: ReplayRun | null;
  openLoop: ReplayRun;
  /** deviation.q of the closed-loop run (open loop when there is none): the one-number summary. */
  maxDeviation: number;
  /** Where the gains come from (PlanResult.feedback), when used. */
  gains: { atFinalNominal: boolean; phase: string } | null;
}

export interface ReplayOptions {
  /** Skip the closed-loop replay. */
  openLoopOnly?: boolean;
  /** Override the referee's MuJoCo settings (defaults: refereeDefaults). */
  settings?: Partial<RefereeSettings>;
}

export class PlanFileError extends Error {}

/**
 * What a replay reads of a plan result (the wire's PlanResultSchema): the seed may be missing,
 * and the solver is only a label (a plan made elsewhere names its own).
 */
const PlanFileSchema = PlanResultSchema.pick({ solver: true, robot: true, task: true, seed: true, params: true, trajectory: true, feedback: true })
  .partial({ seed: true }).extend({ solver: z.string() });
export type PlanFile = z.infer<typeof PlanFileSchema>;

/** Checks that a parsed JSON value is a plan result (PlanResult or a file written by `npm run plan`). */
export function parsePlanFile(json: unknown): PlanFile {
  const r = PlanFileSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new PlanFileError(`not a plan result (npm run plan --out): ${issue.path.join('.') || 'the document'}: ${issue.message}`);
  }
  return r.data;
}

/** Rebuilds the result's task and checks that the stored plan fits it (sizes, dt, x0). */
export function rebuildTask(plan: PlanFile): BuiltTask {
  const def = getTask(plan.task);
  const built = def.build(resolveParams(def, plan.params));
  const { model, T } = built;
  const tr = plan.trajectory;
  const bad = (what: string): never => {
    throw new PlanFileError(`plan does not fit task ${plan.task} as built now: ${what}`);
  };
  if (built.robot !== plan.robot) bad(`robot ${plan.robot}, the task's is ${built.robot}`);
  if (Math.abs(tr.dt - built.dt) > 1e-12) bad(`dt ${tr.dt}, the task's is ${built.dt}`);
  if (tr.u.length !== T || tr.q.length !== T + 1 || tr.v.length !== T + 1) bad(`${tr.u.length} controls and ${tr.q.length} states, expected ${T} and ${T + 1}`);
  if (tr.q.some((q) => q.length !== model.nq) || tr.v.some((v) => v.length !== model.nv) || tr.u.some((u) => u.length !== model.nu)) {
    bad(`state/control sizes differ from nq = ${model.nq}, nv = ${model.nv}, nu = ${model.nu}`);
  }
  const ndx = 2 * model.nv;
  if (plan.feedback && (plan.feedback.K.length !== T || plan.feedback.K.some((Kt) => Kt.length !== model.nu || Kt.some((r) => r.length !== ndx)))) {
    bad(`feedback gains must be ${T} matrices of ${model.nu} x ${ndx}`);
  }
  const x0 = [...tr.q[0], ...tr.v[0]];
  const gap = Math.max(...x0.map((x, i) => Math.abs(x - built.x0[i])));
  if (gap > 1e-9) bad(`its initial state differs from the task's x0 by ${gap.toExponential(2)}`);
  return built;
}

function statesOf(tr: { q: number[][]; v: number[][] }): Float64Array[] {
  return tr.q.map((q, k) => Float64Array.from([...q, ...tr.v[k]]));
}

/**
 * Replays the plan's controls in MuJoCo (closed loop when K is given, else open loop). The
 * MuJoCo data is reset first, so two runs with the same inputs give the same numbers.
 */
function runInMujoco(
  built: BuiltTask, peer: Awaited<ReturnType<typeof mujocoForTask>>, settings: RefereeSettings,
  planned: Float64Array[], us: number[][], K: number[][][] | null,
): ReplayRun {
  const { model, T } = built;
  const nq = model.nq, nv = model.nv, nu = model.nu, ndx = 2 * nv;
  const actuated = built.sim.actuated;
  const lo = new Float64Array(nu), hi = new Float64Array(nu);
  for (let i = 0; i < nu; i++) {
    const e = model.effortLimit[actuated[i]];
    lo[i] = Math.max(built.uLower[i], -e);
    hi[i] = Math.min(built.uUpper[i], e);
  }
  const { mj, model: mjModel, data } = peer;
  mj.mj_resetData(mjModel, data);
  peer.setState(planned[0].subarray(0, nq), planned[0].subarray(nq));
  const xs: Float64Array[] = [Float64Array.from(planned[0])];
  const applied: Float64Array[] = [];
  const contacts: number[] = [];
  const dx = new Float64Array(ndx), tau = new Float64Array(nv);
  let clipped = 0;
  let divergedAt: number | null = null;
  const h = built.dt / settings.substeps;
  for (let k = 0; k < T; k++) {
    const x = xs[k];
    const u = Float64Array.from(us[k]);
    if (K) {
      differenceState(model, planned[k], x, dx);
      for (let a = 0; a < nu; a++) {
        const row = K[k][a];
        let s = 0;
        for (let j = 0; j < ndx; j++) s += row[j] * dx[j];
        u[a] += s;
      }
    }
    for (let a = 0; a < nu; a++) {
      const c = u[a] < lo[a] ? lo[a] : u[a] > hi[a] ? hi[a] : u[a];
      if (c !== u[a]) clipped++;
      u[a] = c;
    }
    applied.push(u);
    const next = new Float64Array(nq + nv);
    if (divergedAt === null) {
      tau.fill(0);
      for (let a = 0; a < nu; a++) tau[actuated[a]] = u[a];
      const before = data.time;
      const st = peer.advance(tau, settings.substeps);
      // MuJoCo resets the data (time back to 0) when the state blows up (mjWARN_BADQACC)
      if (!(data.time > before + 0.5 * h * settings.substeps) || !st.q.every(Number.isFinite) || !st.v.every(Number.isFinite)) {
        divergedAt = k;
      } else {
        next.set(st.q, 0);
        next.set(st.v, nq);
      }
      // contacts AT the new state (mj_step's ncon is that of the state before its last
      // substep); mj_forward leaves the state and the solver's warm start as they are
      if (divergedAt === null) mj.mj_forward(mjModel, data);
      contacts.push(divergedAt === null ? data.ncon : 0);
    } else contacts.push(0);
    if (divergedAt !== null) next.fill(NaN);
    xs.push(next);
  }
  let devQ = 0, devV = 0;
  for (let k = 0; k <= T; k++) {
    differenceState(model, planned[k], xs[k], dx);
    for (let i = 0; i < nv; i++) devQ = Math.max(devQ, Math.abs(dx[i]));
    for (let i = nv; i < ndx; i++) devV = Math.max(devV, Math.abs(dx[i]));
    if (!dx.every(Number.isFinite)) { devQ = NaN; devV = NaN; break; }
  }
  const metrics = built.metrics(xs, applied);
  return {
    success: built.success(metrics), metrics, deviation: { q: devQ, v: devV }, divergedAt, clipped, contacts,
    trajectory: {
      dt: built.dt,
      q: xs.map((x) => Array.from(x.subarray(0, nq))),
      v: xs.map((x) => Array.from(x.subarray(nq))),
      u: applied.map((u) => Array.from(u)),
    },
  };
}

/**
 * Replays a plan result in MuJoCo, closed loop (with the result's feedback gains) and open
 * loop, and judges both with the task's metrics() and success(). For the experiment report:
 * `closedLoop.success` / `openLoop.success`, their `metrics`, and `maxDeviation`. Throws
 * PlanFileError when the result is not a plan or does not fit its task, and the task's errors
 * (unknown task, bad parameters) as they are.
 */
export async function replayInMujoco(result: PlanResult | PlanFile | unknown, opts: ReplayOptions = {}): Promise<MujocoReplay> {
  const plan = parsePlanFile(result);
  return replayOnTask(rebuildTask(plan), plan, opts);
}

/**
 * replayInMujoco on an already built task, which the plan must fit (rebuildTask checks that);
 * the replay starts from the plan's first state. Tests use it with modified tasks (no ground).
 */
export async function replayOnTask(built: BuiltTask, plan: PlanFile, opts: ReplayOptions = {}): Promise<MujocoReplay> {
  const settings = refereeDefaults(built.dt, opts.settings);
  const mj = await loadMujoco();
  const peer = await mujocoForTask(built, settings);
  try {
    const planned = statesOf(plan.trajectory);
    const plannedMetrics = built.metrics(planned, plan.trajectory.u.map((u) => Float64Array.from(u)));
    const gains = opts.openLoopOnly ? null : plan.feedback ?? null;
    const closedLoop = gains ? runInMujoco(built, peer, settings, planned, plan.trajectory.u, gains.K) : null;
    const openLoop = runInMujoco(built, peer, settings, planned, plan.trajectory.u, null);
    const v = mj.mj_version();
    return {
      task: plan.task, robot: plan.robot, solver: plan.solver, seed: plan.seed ?? null, params: built.params,
      engine: { ...settings, mujoco: `${Math.floor(v / 100)}.${Math.floor(v / 10) % 10}.${v % 10}`, timestep: built.dt / settings.substeps, dt: built.dt, knots: built.T },
      planned: { success: built.success(plannedMetrics), metrics: plannedMetrics },
      closedLoop, openLoop,
      maxDeviation: (closedLoop ?? openLoop).deviation.q,
      gains: gains ? { atFinalNominal: gains.atFinalNominal, phase: gains.phase } : null,
    };
  } finally {
    peer.dispose();
  }
}
