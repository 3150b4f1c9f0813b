/** Helpers of the joint types' symbolic pieces (the spatial algebra is ../spatial-sym.ts). */
import { bound, se3MulSym, sumSym } from '../spatial-sym.ts';
import type { JointArrays, SymOps } from './types.ts';

export { bound, se3MulSym, sumSym };

/** The constant placement of joint j (12 numbers). */
export function placementOf(P: Float64Array, j: number): number[] {
  return Array.from(P.subarray(12 * j, 12 * j + 12));
}

/** The joint axis of joint j. */
export function axisOf(axes: Float64Array, j: number): [number, number, number] {
  return [axes[3 * j], axes[3 * j + 1], axes[3 * j + 2]];
}

/** 0, 1, 2 when joint j's placement rotation is the identity and its axis is e_k, else 3. */
export function principalPath(model: JointArrays, j: number): number {
  const P = model.jointPlacements, o = 12 * j;
  const identity = P[o] === 1 && P[o + 4] === 1 && P[o + 8] === 1 && P[o + 1] === 0 && P[o + 2] === 0
    && P[o + 3] === 0 && P[o + 5] === 0 && P[o + 6] === 0 && P[o + 7] === 0;
  let path = 3;
  if (identity) for (let k = 0; k < 3; k++) if (model.axes[3 * j + k] === 1) path = k;
  return path;
}
