/**
 * Foxglove message building blocks shared by the recordings (MCAP) and the live endpoint
 * (Foxglove WebSocket protocol): times, poses from our SE3 placements, the schemas of every
 * topic (Foxglove's own from @foxglove/schemas, ours as JSON schemas with their fields, so that
 * Foxglove's Plot panel and message-path autocompletion know them). All messages are JSON.
 */
import {
  FrameTransform, FrameTransforms, SceneUpdate,
} from '@foxglove/schemas/jsonschema.js';
import { rotToQuat } from '../model/spatial.ts';

export interface Vec3 { x: number; y: number; z: number }
export interface Quat { x: number; y: number; z: number; w: number }
export interface Pose { position: Vec3; orientation: Quat }
export interface Stamp { sec: number; nsec: number }
export interface Color { r: number; g: number; b: number; a: number }

/** A topic's schema as both MCAP and the WebSocket protocol want it: name, encoding, text. */
export interface TopicSchema { name: string; encoding: 'jsonschema'; schema: string }

export const IDENTITY_QUAT: Quat = Object.freeze({ x: 0, y: 0, z: 0, w: 1 });

/** Seconds to integer nanoseconds (clamped at 0: Foxglove times are unsigned). */
export function ns(t: number): bigint { return BigInt(Math.max(0, Math.round(t * 1e9))); }
export function stamp(t: bigint): Stamp { return { sec: Number(t / 1_000_000_000n), nsec: Number(t % 1_000_000_000n) }; }

const q4 = new Float64Array(4);
/** Pose of an SE3 placement (12 numbers at o: R row-major, then p). */
export function poseOf(M: ArrayLike<number> & { [i: number]: number }, o = 0): Pose {
  rotToQuat(M as Float64Array, o, q4, 0);
  return { position: { x: M[o + 9], y: M[o + 10], z: M[o + 11] }, orientation: { x: q4[0], y: q4[1], z: q4[2], w: q4[3] } };
}

/** The unit quaternion turning +x onto the unit vector d (Foxglove arrows point along +x). */
export function quatFromX(dx: number, dy: number, dz: number): Quat {
  // half-way vector between x and d: q = (x × h, x · h) with h = (x + d) / |x + d|
  const hx = 1 + dx, hy = dy, hz = dz, hn = Math.hypot(hx, hy, hz);
  if (hn < 1e-12) return { x: 0, y: 0, z: 1, w: 0 }; // d = -x: half a turn about z
  return { x: 0, y: -hz / hn, z: hy / hn, w: hx / hn };
}

/** An empty foxglove.SceneEntity (every primitive list present, as the schema requires). */
export function entity(id: string, frameId: string, t: bigint, frameLocked: boolean): SceneEntityJson {
  return {
    timestamp: stamp(t), frame_id: frameId, id, lifetime: { sec: 0, nsec: 0 }, frame_locked: frameLocked, metadata: [],
    arrows: [], cubes: [], spheres: [], cylinders: [], lines: [], triangles: [], texts: [], models: [],
  };
}

export interface SceneEntityJson {
  timestamp: Stamp; frame_id: string; id: string; lifetime: Stamp; frame_locked: boolean; metadata: { key: string; value: string }[];
  arrows: unknown[]; cubes: unknown[]; spheres: unknown[]; cylinders: unknown[]; lines: unknown[]; triangles: unknown[]; texts: unknown[]; models: unknown[];
}

export interface SceneUpdateJson { deletions: unknown[]; entities: SceneEntityJson[] }

const foxglove = (name: string, schema: object): TopicSchema => ({ name, encoding: 'jsonschema', schema: JSON.stringify(schema) });

/** Our per-iteration numbers (Foxglove plots them against `iteration` or time). */
const ITERATION_SCHEMA = {
  title: 'rsddp.Iteration', type: 'object',
  description: "One solver iteration: what the web client's cost and sigma plots and telemetry table show.",
  properties: {
    iteration: { type: 'integer' }, cost: { type: 'number' }, sigma: { type: 'number', description: 'R-DDP noise scale (0 for DDP)' },
    step_length: { type: 'number', description: '0 = step rejected' }, regularization: { type: 'number' }, gradient_norm: { type: 'number' },
    accepted: { type: 'boolean' }, ms: { type: 'number', description: 'wall-clock milliseconds of the iteration' },
  },
  required: ['iteration', 'cost', 'sigma', 'step_length', 'regularization', 'gradient_norm', 'accepted', 'ms'],
};

const SERIES_ITEM = {
  type: 'object',
  properties: { name: { type: 'string' }, unit: { type: 'string' }, value: { type: 'number' }, target: { type: 'number' } },
  required: ['name', 'unit', 'value'],
};

/** One knot of the plan's time series (the task's `series`, its trace first). */
const KNOT_SCHEMA = {
  title: 'rsddp.Knot', type: 'object',
  description: "One knot of the planned trajectory: the task's quantities (series[0] is the task's key quantity, e.g. the lifted foot's height).",
  properties: { knot: { type: 'integer' }, time: { type: 'number' }, series: { type: 'array', items: SERIES_ITEM } },
  required: ['knot', 'time', 'series'],
};

/** A whole trajectory's series in one message (live: Foxglove plots arrays against their index). */
const SERIES_SCHEMA = {
  title: 'rsddp.Series', type: 'object',
  description: "The task's quantities over the knots of the latest iterate (live), one array per quantity.",
  properties: {
    iteration: { type: 'integer' }, time: { type: 'array', items: { type: 'number' } },
    series: {
      type: 'array',
      items: { type: 'object', properties: { name: { type: 'string' }, unit: { type: 'string' }, values: { type: 'array', items: { type: 'number' } }, target: { type: 'number' } }, required: ['name', 'unit', 'values'] },
    },
  },
  required: ['iteration', 'time', 'series'],
};

export const SCHEMAS = {
  frameTransform: foxglove('foxglove.FrameTransform', FrameTransform),
  frameTransforms: foxglove('foxglove.FrameTransforms', FrameTransforms),
  sceneUpdate: foxglove('foxglove.SceneUpdate', SceneUpdate),
  iteration: foxglove('rsddp.Iteration', ITERATION_SCHEMA),
  knot: foxglove('rsddp.Knot', KNOT_SCHEMA),
  series: foxglove('rsddp.Series', SERIES_SCHEMA),
} as const;

/**
 * A solver iteration as an rsddp.Iteration message, or null when one of its numbers is not
 * finite or null (JSON cannot carry it; the iteration stays in /telemetry, where it reads null).
 */
export function iterationMessage(rec: {
  iteration: number; cost: number | null; sigma: number | null; stepLength: number | null; regularization: number | null; gradientNorm: number | null;
  accepted: boolean; times: { total: number | null };
}): object | null {
  const out = {
    iteration: rec.iteration, cost: rec.cost, sigma: rec.sigma, step_length: rec.stepLength, regularization: rec.regularization,
    gradient_norm: rec.gradientNorm, accepted: rec.accepted, ms: rec.times.total,
  };
  for (const v of Object.values(out)) if (v === null || (typeof v === 'number' && !Number.isFinite(v))) return null;
  return out;
}
