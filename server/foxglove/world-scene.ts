/**
 * Everything Foxglove draws besides the robot's own geometry: the body frames of a
 * configuration (foxglove.FrameTransform), the ground and static boxes, the task's target, and
 * the path of chosen frames over a trajectory, all as Foxglove messages.
 */
import type { Model } from '../model/model.ts';
import type { Data } from '../dynamics/data.ts';
import { forwardKinematics, updateFramePlacements } from '../dynamics/kinematics.ts';
import type { Scene } from '../dynamics/scene.ts';
import type { TaskTarget } from '../control/tasks/types.ts';
import { entity, IDENTITY_QUAT, poseOf, stamp, type SceneUpdateJson } from './messages.ts';

/** Half the side of the ground tile drawn (m): Foxglove has no infinite plane. */
export const GROUND_HALF_SIZE = 2;
const GROUND_THICKNESS = 0.002;

/**
 * One foxglove.FrameTransform per body (parent body or `root` → body) at configuration q,
 * the frames named `<prefix><body>`. Runs forward kinematics on `data`.
 */
export function frameTransforms(model: Model, data: Data, q: ArrayLike<number>, t: bigint, prefix = '', root = 'world'): object[] {
  forwardKinematics(model, data, q as Float64Array);
  const out: object[] = [];
  const ts = stamp(t);
  for (let j = 1; j < model.njoints; j++) {
    const p = model.parents[j];
    const pose = poseOf(data.liMi, 12 * j);
    out.push({
      timestamp: ts, parent_frame_id: p === 0 ? root : `${prefix}${model.bodyNames[p]}`, child_frame_id: `${prefix}${model.bodyNames[j]}`,
      translation: pose.position, rotation: pose.orientation,
    });
  }
  return out;
}

/** The ground (a thin tile whose top is the ground plane) and the static boxes, in `world`. */
export function environmentSceneUpdate(scene: Scene, t: bigint, idPrefix = ''): SceneUpdateJson {
  const e = entity(`${idPrefix}environment`, 'world', t, false);
  if (scene.ground) {
    e.cubes.push({
      pose: { position: { x: 0, y: 0, z: scene.ground.height - GROUND_THICKNESS / 2 }, orientation: IDENTITY_QUAT },
      size: { x: 2 * GROUND_HALF_SIZE, y: 2 * GROUND_HALF_SIZE, z: GROUND_THICKNESS }, color: { r: 0.55, g: 0.57, b: 0.6, a: 1 },
    });
  }
  for (const b of scene.boxes) {
    e.cubes.push({ pose: poseOf(b.placement), size: { x: b.size[0], y: b.size[1], z: b.size[2] }, color: { r: 0.45, g: 0.38, b: 0.3, a: 1 } });
  }
  return { deletions: [], entities: [e] };
}

/** The task's target as a translucent green sphere with its label (no target: no entity). */
export function targetSceneUpdate(target: TaskTarget | null, t: bigint, idPrefix = ''): SceneUpdateJson {
  if (!target) return { deletions: [], entities: [] };
  const e = entity(`${idPrefix}target`, 'world', t, false);
  const [x, y, z] = target.position, d = 2 * target.radius;
  e.spheres.push({ pose: { position: { x, y, z }, orientation: IDENTITY_QUAT }, size: { x: d, y: d, z: d }, color: { r: 0.1, g: 0.85, b: 0.3, a: 0.6 } });
  e.texts.push({
    pose: { position: { x, y, z: z + target.radius + 0.02 }, orientation: IDENTITY_QUAT }, billboard: true, font_size: 12, scale_invariant: true,
    color: { r: 0.1, g: 0.85, b: 0.3, a: 1 }, text: target.label,
  });
  e.metadata.push({ key: 'frame', value: target.frame });
  return { deletions: [], entities: [e] };
}

/**
 * The path of each given frame over a trajectory (configurations qs) as line strips in
 * `world`: the planned trajectory in one picture. Runs forward kinematics on `data`.
 */
export function pathSceneUpdate(model: Model, data: Data, frames: readonly number[], qs: readonly ArrayLike<number>[], t: bigint, idPrefix = ''): SceneUpdateJson {
  const e = entity(`${idPrefix}path`, 'world', t, false);
  const points: { x: number; y: number; z: number }[][] = frames.map(() => []);
  for (const q of qs) {
    forwardKinematics(model, data, q as Float64Array);
    updateFramePlacements(model, data);
    frames.forEach((f, i) => { const o = 12 * f; points[i].push({ x: data.oMf[o + 9], y: data.oMf[o + 10], z: data.oMf[o + 11] }); });
  }
  for (const p of points) {
    e.lines.push({
      type: 0, pose: { position: { x: 0, y: 0, z: 0 }, orientation: IDENTITY_QUAT }, thickness: 2, scale_invariant: true,
      points: p, color: { r: 0.2, g: 0.55, b: 1, a: 1 }, colors: [], indices: [],
    });
  }
  return { deletions: [], entities: [e] };
}
