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
 * - cube-lift: trail of the cube; target: the cube centre at `height`; plot: its height.
 * - swing-up: trail of the tip; target: the tip with the pendulum upright (q = [pi, 0]); plot:
 *   the first joint angle (target pi).
 * - any other task: trails of the robot's contact frames, no target, their first frame's height.
 */
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
  | { kind: 'q'; index: number }
);

export interface TaskView {
  /** Frames whose paths are drawn. */
  trails: string[];
  target: TargetSpec | null;
  trace: TraceSpec | null;
}

export interface RobotFrames {
  /** Link names of the robot (urdf-loader's `links`). */
  links: readonly string[];
  contactFrames: readonly string[];
}

const num = (x: unknown, fallback: number) => (typeof x === 'number' && Number.isFinite(x) ? x : fallback);

export function taskView(task: string, params: Record<string, number | string>, robot: RobotFrames): TaskView {
  const has = (f: string) => robot.links.includes(f);
  switch (task) {
    case 'lift-leg': {
      const foot = `${String(params.foot ?? 'FL')}_FOOT`;
      const trails = robot.contactFrames.filter(has);
      if (!has(foot)) break;
      return {
        trails,
        target: { frame: foot, kind: 'start-offset', offset: [0, 0, num(params.height, 0.05)] },
        trace: { kind: 'frame-rise', frame: foot, label: `${String(params.foot ?? 'FL')} foot height`, unit: 'm', target: num(params.height, 0.05) },
      };
    }
    case 'cube-lift':
      if (!has('cube')) break;
      return {
        trails: ['cube'],
        target: { frame: 'cube', kind: 'start-z', z: num(params.height, 0.3) },
        trace: { kind: 'frame-z', frame: 'cube', label: 'cube height', unit: 'm', target: num(params.height, 0.3) },
      };
    case 'swing-up':
      if (!has('tip')) break;
      return {
        trails: ['tip'],
        target: { frame: 'tip', kind: 'at-q', q: [Math.PI, 0] },
        trace: { kind: 'q', index: 0, label: 'first joint angle', unit: 'rad', target: Math.PI },
      };
  }
  const trails = robot.contactFrames.filter(has);
  return { trails, target: null, trace: trails.length ? { kind: 'frame-z', frame: trails[0], label: `${trails[0]} height`, unit: 'm', target: null } : null };
}

/** Every frame forward kinematics must follow for this view. */
export function trackedFrames(v: TaskView): string[] {
  const s = new Set(v.trails);
  if (v.target) s.add(v.target.frame);
  if (v.trace && v.trace.kind !== 'q') s.add(v.trace.frame);
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
  const p = track?.pos.get(spec.frame);
  if (!track || !p) return q.map(() => NaN);
  const z0 = p[2];
  const out: number[] = [];
  for (let k = 0; k < track.knots; k++) out.push(spec.kind === 'frame-rise' ? p[3 * k + 2] - z0 : p[3 * k + 2]);
  return out;
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
