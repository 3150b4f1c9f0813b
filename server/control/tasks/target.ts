/** Helpers for BuiltTask.target(): where a robot frame is at a given configuration. */
import { createData } from '../../dynamics/data.ts';
import { forwardKinematics, updateFramePlacements } from '../../dynamics/kinematics.ts';
import { frameIndex, type Model } from '../../model/model.ts';

/** World position of frame `name` at configuration q (forward kinematics). */
export function framePositionAt(model: Model, q: ArrayLike<number>, name: string): [number, number, number] {
  const d = createData(model), f = frameIndex(model, name);
  forwardKinematics(model, d, Float64Array.from(q));
  updateFramePlacements(model, d);
  return [d.oMf[12 * f + 9], d.oMf[12 * f + 10], d.oMf[12 * f + 11]];
}
