/**
 * What to draw for a task besides the robot (pure, no DOM): which frames leave trails, where the
 * target marker goes, and the task's key quantity over time for the plot ("foot height vs time").
 * Inputs are frame positions per knot (FrameTrack, from forward kinematics in kinematics.ts) and
 * the configurations q; the rules follow the server's task definitions
 * (server/control/tasks/*.ts):
 *
 * - lift-leg: trails of the four feet; the target is the lifted foot's standing x, y at the
 *   target height: the task places the feet exactly on the ground in q0, so the target is the
 *   foot frame at knot 0 raised by `height`; the plot is that foot's rise above its start.
 *   Extra plots tell a plan that bends the leg (knee angle changes, foot stays down) from one
 *   that lifts it: the other three feet's highest rise, the base height (q[2]: the free-flyer's
 *   position is the base frame's origin, as the server's `baseHeight` metric) and the lifted
 *   leg's knee angle (q of `<foot>_KFE`, its index from the summary's joint order).
 * - cube-lift: trail of the cube; target: the cube centre at `height`; plot: its height.
 * - swing-up: trail of the end effector (the summary's, else 'tip'); target: it with the chain
 *   upright (first joint pi, the others 0); plot: the first joint angle (target pi).
 * - reach: trail of the end effector; target: its start plus (dx, dy, dz); plot: its distance to
 *   the target.
 * lift-leg's foot and knee come from the robot summary's `legs` (the server's task picks the foot
 * by where the feet stand), else `<foot>_FOOT` and `<foot>_KFE`.
 * - any other task: trails of the robot's contact frames, no target, their first frame's height.
 */
import { jointLayout, type JointInfo } from './joint-layout.ts';

export type V3 = [number, number, number];

/** Positions of some frames at every knot: pos.get(frame)[3k..3k+2] (world, m). */
export interface FrameTrack { knots: number; pos: Map<string, Float64Array> }

export type TargetSpec =
  | { frame: string; kind: 'start-offset'; offset: V3 }
  | { frame: string; kind: 'start-z'; z: number }
  | { frame: string; kind: 'at-q'; q: number[] };

export type TraceSpec = { label: string; unit: string; target: number | null } & (
  | { kind: 'frame-rise'; frame: string }
  | { kind: 'frame-z'; frame: string }
  /** the highest rise above its start over several frames, per knot */
  | { kind: 'frames-max-rise'; frames: string[] }
  | { kind: 'q'; index: number }
  /** the distance from the frame to its start position plus `offset` (reach's target) */
  | { kind: 'frame-distance'; frame: string; offset: V3 }
);

/** A further quantity over time a task declares, plotted beside the key one; `id` matches it across viewports. */
export type ExtraSpec = TraceSpec & { id: string };

export interface TaskView {
  /** Frames whose paths are drawn. */
  trails: string[];
  target: TargetSpec | null;
  /** The task's key quantity over time. */
  trace: TraceSpec | null;
  /** Further quantities over time, one plot each, in this order. */
  extras: ExtraSpec[];
}

export interface RobotFrames {
  /** Link names of the robot (urdf-loader's `links`). */
  links: readonly string[];
  contactFrames: readonly string[];
  /** The robot's joints in the model's order (the summary's `joints`), for q indices. */
  joints: readonly JointInfo[];
  /** lift-leg's foot codes → foot frame and knee joint, as the server's task finds them (the summary's `legs`). */
  legs?: Record<string, { frame: string; knee: string }> | null;
  /** An arm's end effector frame (the summary's `endEffector`). */
  endEffector?: string | null;
}

const num = (x: unknown, fallback: number) => (typeof x === 'number' && Number.isFinite(x) ? x : fallback);

export function taskView(task: string, params: Record<string, number | string>, robot: RobotFrames): TaskView {
  const has = (f: string) => robot.links.includes(f);
  const layout = jointLayout(robot.joints);
  const qOf = (joint: string) => layout.joints.find((j) => j.name === joint)?.index ?? null;
  switch (task) {
    case 'lift-leg': {
      const leg = String(params.foot ?? 'FL'), named = robot.legs?.[leg];
      const foot = named?.frame ?? `${leg}_FOOT`, kneeJoint = named?.knee ?? `${leg}_KFE`, knee = qOf(kneeJoint);
      const trails = robot.contactFrames.filter(has);
      if (!has(foot)) break;
      const others = trails.filter((f) => f !== foot);
      const extras: ExtraSpec[] = [];
      // this order puts the knee angle under the foot height in the wide layout (plots.ts)
      if (others.length) extras.push({ id: 'other-feet', kind: 'frames-max-rise', frames: others, label: 'other feet, max', unit: 'm', target: null });
      if (layout.base !== null) extras.push({ id: 'base-height', kind: 'q', index: layout.base + 2, label: 'base height', unit: 'm', target: null });
      if (knee !== null) extras.push({ id: 'knee', kind: 'q', index: knee, label: `${kneeJoint} knee`, unit: 'rad', target: null });
      return {
        trails,
        target: { frame: foot, kind: 'start-offset', offset: [0, 0, num(params.height, 0.05)] },
        trace: { kind: 'frame-rise', frame: foot, label: `${leg} foot height`, unit: 'm', target: num(params.height, 0.05) },
        extras,
      };
    }
    case 'cube-lift':
      if (!has('cube')) break;
      return {
        trails: ['cube'],
        target: { frame: 'cube', kind: 'start-z', z: num(params.height, 0.3) },
        trace: { kind: 'frame-z', frame: 'cube', label: 'cube height', unit: 'm', target: num(params.height, 0.3) },
        extras: [],
      };
    case 'swing-up': {
      const tip = robot.endEffector ?? 'tip';
      if (!has(tip)) break;
      const up = layout.joints.map((_, k) => (k === 0 ? Math.PI : 0));
      return {
        trails: [tip],
        target: { frame: tip, kind: 'at-q', q: up },
        trace: { kind: 'q', index: 0, label: 'first joint angle', unit: 'rad', target: Math.PI },
        extras: [],
      };
    }
    case 'reach': {
      const ee = robot.endEffector;
      if (!ee || !has(ee)) break;
      const offset: V3 = [num(params.dx, 0.1), num(params.dy, 0), num(params.dz, 0.1)];
      return {
        trails: [ee],
        target: { frame: ee, kind: 'start-offset', offset },
        trace: { kind: 'frame-distance', frame: ee, offset, label: `${ee} distance to target`, unit: 'm', target: 0 },
        extras: [],
      };
    }
  }
  const trails = robot.contactFrames.filter(has);
  return { trails, target: null, trace: trails.length ? { kind: 'frame-z', frame: trails[0], label: `${trails[0]} height`, unit: 'm', target: null } : null, extras: [] };
}

/** Every frame forward kinematics must follow for this view. */
export function trackedFrames(v: TaskView): string[] {
  const s = new Set(v.trails);
  if (v.target) s.add(v.target.frame);
  for (const t of [v.trace, ...v.extras]) {
    if (!t || t.kind === 'q') continue;
    if (t.kind === 'frames-max-rise') t.frames.forEach((f) => s.add(f)); else s.add(t.frame);
  }
  return [...s];
}

export function framePoint(track: FrameTrack, frame: string, k: number): V3 | null {
  const p = track.pos.get(frame);
  if (!p || k < 0 || k >= track.knots) return null;
  return [p[3 * k], p[3 * k + 1], p[3 * k + 2]];
}

/**
 * The target marker's world position. `fkAt(q, frame)` (forward kinematics at one
 * configuration) is needed only for 'at-q' targets.
 */
export function targetPoint(spec: TargetSpec | null, track: FrameTrack | null, fkAt?: (q: number[], frame: string) => V3 | null): V3 | null {
  if (!spec) return null;
  if (spec.kind === 'at-q') return fkAt ? fkAt(spec.q, spec.frame) : null;
  const start = track ? framePoint(track, spec.frame, 0) : null;
  if (!start) return null;
  if (spec.kind === 'start-offset') return [start[0] + spec.offset[0], start[1] + spec.offset[1], start[2] + spec.offset[2]];
  return [start[0], start[1], spec.z];
}

/** The traced quantity at every knot (NaN where it cannot be computed). */
export function traceValues(spec: TraceSpec | null, track: FrameTrack | null, q: readonly (readonly number[])[]): number[] {
  if (!spec) return [];
  if (spec.kind === 'q') return q.map((x) => (x.length > spec.index ? x[spec.index] : NaN));
  if (spec.kind === 'frames-max-rise') {
    const ps = spec.frames.map((f) => track?.pos.get(f));
    if (!track || ps.length === 0 || ps.some((p) => !p)) return q.map(() => NaN);
    const out: number[] = [];
    for (let k = 0; k < track.knots; k++) {
      let m = -Infinity;
      for (const p of ps) m = Math.max(m, p![3 * k + 2] - p![2]);
      out.push(m);
    }
    return out;
  }
  const p = track?.pos.get(spec.frame);
  if (!track || !p) return q.map(() => NaN);
  const z0 = p[2];
  const out: number[] = [];
  if (spec.kind === 'frame-distance') {
    const g = [p[0] + spec.offset[0], p[1] + spec.offset[1], p[2] + spec.offset[2]];
    for (let k = 0; k < track.knots; k++) out.push(Math.hypot(p[3 * k] - g[0], p[3 * k + 1] - g[1], p[3 * k + 2] - g[2]));
    return out;
  }
  for (let k = 0; k < track.knots; k++) out.push(spec.kind === 'frame-rise' ? p[3 * k + 2] - z0 : p[3 * k + 2]);
  return out;
}

/** One viewport's extras with their values per knot (`values[j]` belongs to `extras[j]`). */
export interface SlotExtras { dt: number; extras: readonly ExtraSpec[]; values: readonly (readonly number[])[] }

/**
 * The extra plots for the viewports on screen: every extra id any viewport declares, in the
 * first declaring viewport's order, described by that viewport's spec, with each viewport's own
 * values for that id (null where its task has no such extra: a cube-lift recording beside a
 * lift-leg one).
 */
export function extraPlots(slots: readonly (SlotExtras | null)[]): { spec: ExtraSpec; series: ({ dt: number; values: readonly number[] } | null)[] }[] {
  const specs = new Map<string, ExtraSpec>();
  for (const s of slots) for (const e of s?.extras ?? []) if (!specs.has(e.id)) specs.set(e.id, e);
  return [...specs.values()].map((spec) => ({
    spec,
    series: slots.map((s) => {
      const j = s ? s.extras.findIndex((e) => e.id === spec.id) : -1;
      return s && j >= 0 ? { dt: s.dt, values: s.values[j] } : null;
    }),
  }));
}

/**
 * Series on a common time axis for the trace plot (uPlot's layout): x = the union of the knot
 * times (rounded to the microsecond), one y array per input (null where it has no knot).
 */
export function alignOnTime(series: readonly ({ dt: number; values: readonly number[] } | null)[]): [number[], ...(number | null)[][]] {
  const key = (t: number) => Math.round(t * 1e6) / 1e6;
  const xs = [...new Set(series.flatMap((s) => (s ? s.values.map((_, k) => key(k * s.dt)) : [])))].sort((a, b) => a - b);
  const pos = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map((s) => {
    const y: (number | null)[] = new Array(xs.length).fill(null);
    if (s) s.values.forEach((v, k) => { y[pos.get(key(k * s.dt))!] = Number.isFinite(v) ? v : null; });
    return y;
  });
  return [xs, ...ys];
}
