/**
 * What Foxglove shows of a plan, built once per (task, parameters) and shared by the MCAP
 * recordings and the live endpoint: the robot's geometry, the environment, the task's target,
 * and, per trajectory, the body frames, the frame paths and the task's time series.
 */
import { createData, type Data } from '../dynamics/data.ts';
import { frameIndex, type Model } from '../model/model.ts';
import { loadRobot, type RobotMeta } from '../model/robots.ts';
import { getTask, type BuiltTask, type TimeSeries } from '../control/tasks/index.ts';
import { ns, type SceneUpdateJson } from './messages.ts';
import { robotGeometry, robotSceneUpdate, type RobotGeometry } from './robot-scene.ts';
import { environmentSceneUpdate, frameTransforms, pathSceneUpdate, targetSceneUpdate } from './world-scene.ts';

/** A trajectory as the planner reports it (contacts per knot when traced). */
export interface TrajectoryLike { dt: number; q: number[][]; v: number[][]; contacts?: { p: number[]; f: number[] }[][] }

const metas = new Map<string, RobotMeta>();
function metaOf(robot: string): RobotMeta {
  let m = metas.get(robot);
  if (!m) { m = loadRobot(robot).meta; metas.set(robot, m); }
  return m;
}

export class PlanView {
  readonly task: BuiltTask;
  readonly model: Model;
  readonly geometry: RobotGeometry;
  /** Frames whose paths are drawn: the robot's contact frames, else every body's frame. */
  readonly pathFrames: number[];
  readonly #data: Data;

  constructor(taskName: string, params: Record<string, number | string>) {
    this.task = getTask(taskName).build(params);
    this.model = this.task.model;
    const meta = metaOf(this.task.robot);
    this.geometry = robotGeometry(this.model, meta.urdf);
    const contact = meta.contactFrames.map((f) => frameIndex(this.model, f));
    this.pathFrames = contact.length ? contact : this.model.frames.flatMap((f, i) => (f.kind === 'body' && f.parentJoint > 0 ? [i] : []));
    this.#data = createData(this.model);
  }

  robot(t: bigint, prefix = ''): SceneUpdateJson { return robotSceneUpdate(this.geometry, t, { framePrefix: prefix, idPrefix: prefix }); }
  environment(t: bigint, prefix = ''): SceneUpdateJson { return environmentSceneUpdate(this.task.scene, t, prefix); }
  target(t: bigint, prefix = ''): SceneUpdateJson { return targetSceneUpdate(this.task.target?.() ?? null, t, prefix); }
  /** Whether the task has a target to show. */
  hasTarget(): boolean { return (this.task.target?.() ?? null) !== null; }

  /** The body frames at configuration q (frames `<prefix><body>`). */
  frames(q: ArrayLike<number>, t: bigint, prefix = ''): object[] {
    if (q.length !== this.model.nq) throw new Error(`configuration of size ${q.length}, the model has nq = ${this.model.nq}`);
    return frameTransforms(this.model, this.#data, q, t, prefix);
  }

  path(traj: TrajectoryLike, t: bigint, prefix = ''): SceneUpdateJson {
    return pathSceneUpdate(this.model, this.#data, this.pathFrames, traj.q, t, prefix);
  }

  /** The task's time series over a trajectory: `series` when the task has it, else its trace. */
  series(traj: TrajectoryLike): TimeSeries[] {
    const { nq, nv } = this.model;
    const xs = traj.q.map((q, k) => { const x = new Float64Array(nq + nv); x.set(q); x.set(traj.v[k] ?? [], nq); return x; });
    return this.task.series ? this.task.series(xs, traj.contacts) : [this.task.keyQuantity(xs)];
  }

  /** One rsddp.Knot message per knot (log time t0 + k dt). */
  knots(traj: TrajectoryLike, t0: bigint): { t: bigint; message: object }[] {
    const series = this.series(traj);
    return traj.q.map((_, k) => ({
      t: t0 + ns(k * traj.dt),
      message: {
        knot: k, time: k * traj.dt,
        series: series.map((s) => ({ name: s.label, unit: s.unit, value: s.values[k], ...(s.target !== undefined ? { target: s.target } : {}) })),
      },
    }));
  }

  /** The task's series of a whole trajectory in one rsddp.Series message (live). */
  seriesMessage(traj: TrajectoryLike, iteration: number): object {
    const series = this.series(traj);
    return {
      iteration, time: traj.q.map((_, k) => k * traj.dt),
      series: series.map((s) => ({ name: s.label, unit: s.unit, values: s.values, ...(s.target !== undefined ? { target: s.target } : {}) })),
    };
  }
}
