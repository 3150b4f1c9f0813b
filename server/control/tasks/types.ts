/**
 * Tasks: named optimal-control problems with a parameter schema (served to clients, validated
 * on input) and a builder that turns parameters into a DDP problem on a contact Simulator.
 */
import type { ParamSpec } from '../../../shared/protocol.ts';
import type { Model } from '../../model/model.ts';
import type { LoadedRobot } from '../../model/robots.ts';
import type { Scene } from '../../dynamics/scene.ts';
import type { Simulator } from '../../dynamics/step.ts';
import type { CostSum } from '../cost.ts';
import type { SimulatorDynamics } from '../problem.ts';
import { TaskParamError } from '../errors.ts';

export { TaskParamError, UnknownTaskError } from '../errors.ts';

/** A task parameter's declaration: defined once, on the wire (GET /api/tasks). */
export type { ParamSpec };

export type TaskParams = Record<string, number | string>;

/** One quantity over time, a value per knot. */
export interface TimeSeries { label: string; unit: string; values: number[]; target?: number; /** What the target line is (default 'target'). */ targetLabel?: string }

/**
 * Where the task wants the robot at the final time, as a point in the world, for displays (the
 * web client's target marker, Foxglove's 3D panel): e.g. the lifted foot's target position.
 */
export interface TaskTarget {
  label: string;
  /** The robot frame meant to reach it (e.g. 'FL_FOOT'). */
  frame: string;
  /** World position (m). */
  position: [number, number, number];
  /** Marker radius (m), e.g. the foot sphere's. */
  radius: number;
}

export interface BuiltTask {
  task: string;
  robot: string;
  model: Model;
  scene: Scene;
  sim: Simulator;
  dynamics: SimulatorDynamics;
  /** One running cost for every knot, or T of them (a cost that applies in a window of the horizon). */
  running: CostSum | readonly CostSum[];
  terminal: CostSum;
  x0: Float64Array;
  T: number;
  dt: number;
  uLower: Float64Array;
  uUpper: Float64Array;
  /** Initial guess (T controls). */
  uInit: Float64Array[];
  /** Task-specific measurements of a trajectory (e.g. the foot height reached). */
  metrics(xs: readonly Float64Array[], us: readonly Float64Array[]): Record<string, number | boolean | string>;
  /** The task's key quantity over time (e.g. the lifted foot's height), for plots. */
  keyQuantity(xs: readonly Float64Array[]): TimeSeries;
  /**
   * The quantities a report plots over time (the trace first, then e.g. the base height and a
   * knee angle), one value per knot; `contacts` (contact-trace.ts, when given) adds contact
   * forces. Tasks without it report their trace only.
   */
  series?(xs: readonly Float64Array[], contacts?: readonly { p: number[]; f: number[] }[][]): TimeSeries[];
  /** The task's target (TaskTarget); absent or null for a task without one. */
  target?(): TaskTarget | null;
  /** Whether the metrics meet the task's success criterion. */
  success(metrics: Record<string, number | boolean | string>): boolean;
  /** Parameters actually used (defaults filled in). */
  params: TaskParams;
}

export interface TaskDefinition {
  name: string;
  title: string;
  description: string;
  /** The robot a plan runs on when it names none (parameter `robot`, ROBOT_PARAM). */
  robot: string;
  /** What the task needs of a robot, in one line (GET /api/tasks). */
  needs: string;
  /**
   * Whether the task can run on this robot: null, or the missing piece in a sentence that
   * names the robot and what the task needs ("robot 'x' has no contact frames: lift-leg needs
   * 2, 4 or 6 feet").
   */
  fits(robot: LoadedRobot, id: string): string | null;
  params: ParamSpec[];
  /** Solver settings suited to the task (e.g. the R-DDP noise scale in the task's control units). */
  solverDefaults?: { sigma0?: number; samples?: number; iterations?: number };
  /**
   * Parameters a live session (server/live/, model-predictive control) uses unless its request
   * says otherwise: e.g. lift-leg's running cost that holds the foot at its target along the
   * whole horizon, which a receding horizon needs (a terminal cost alone is always 'later').
   */
  liveDefaults?: Record<string, number | string>;
  /** Wall-clock seconds one solve of this task may run on the server (default DEFAULT_PLAN_TIME_LIMIT_S; --plan-timeout overrides). */
  timeLimitS?: number;
  build(params: TaskParams): BuiltTask;
}

/**
 * The robot a plan runs on travels with its parameters, as `robot` (a robot id,
 * robot-catalog.ts): so every place that rebuilds a task from (task, params) (solve threads,
 * worker pools, contact tracing, recordings, replays) rebuilds it on the same robot. It is
 * present only when it is not the task's default robot, so plans on the default robot keep
 * the parameters they always had.
 */
export const ROBOT_PARAM = 'robot';

/** The robot id of resolved parameters. */
export function robotOf(def: Pick<TaskDefinition, 'robot'>, params: TaskParams): string {
  const r = params[ROBOT_PARAM];
  return typeof r === 'string' ? r : def.robot;
}

/** Fills defaults and validates against the schema; errors name the parameter. */
export function resolveParams(def: TaskDefinition, given: Record<string, unknown> = {}): TaskParams {
  const out: TaskParams = {};
  for (const key of Object.keys(given)) {
    if (key === ROBOT_PARAM) {
      const r = given[key];
      if (typeof r !== 'string' || r === '' || r.length > 200) throw new TaskParamError(def.name, key, `task ${def.name}: parameter 'robot' must be a robot id, got ${JSON.stringify(r)}`);
      if (r !== def.robot) out[ROBOT_PARAM] = r;
      continue;
    }
    if (!def.params.some((p) => p.name === key)) {
      throw new TaskParamError(def.name, key, `task ${def.name}: unknown parameter '${key}' (known: ${def.params.map((p) => p.name).join(', ')})`);
    }
  }
  for (const p of def.params) {
    const v = given[p.name];
    if (v === undefined) { out[p.name] = p.default; continue; }
    if (p.type === 'enum') {
      if (typeof v !== 'string' || !p.options?.includes(v)) throw new TaskParamError(def.name, p.name, `task ${def.name}: parameter '${p.name}' must be one of ${p.options?.join(', ')}, got ${JSON.stringify(v)}`);
      out[p.name] = v;
      continue;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new TaskParamError(def.name, p.name, `task ${def.name}: parameter '${p.name}' must be a finite number, got ${JSON.stringify(v)}`);
    if (p.type === 'integer' && !Number.isInteger(v)) throw new TaskParamError(def.name, p.name, `task ${def.name}: parameter '${p.name}' must be an integer, got ${v}`);
    if (p.min !== undefined && v < p.min) throw new TaskParamError(def.name, p.name, `task ${def.name}: parameter '${p.name}' must be >= ${p.min}, got ${v}`);
    if (p.max !== undefined && v > p.max) throw new TaskParamError(def.name, p.name, `task ${def.name}: parameter '${p.name}' must be <= ${p.max}, got ${v}`);
    out[p.name] = v;
  }
  return out;
}
