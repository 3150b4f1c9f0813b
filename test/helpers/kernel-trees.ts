/**
 * Random trees reshaped to exercise the generated kernels' constant folding
 * (server/dynamics/compiled/): principal axes and identity placement rotations.
 */
import { expect } from 'vitest';
import { JOINT_FREE, type Model } from '../../server/model/model.ts';

/**
 * The tree with most non-free joints put on jointTransform's fast path shape: identity placement
 * rotation, axis +x, +y or +z, some translation entries 0 (for the revolute ones that is the fast
 * path; prismatic ones stay read in full). Every fourth keeps its general placement and axis.
 */
export function fastPathTree(model: Model): Model {
  for (let j = 1; j < model.njoints; j++) {
    if (model.jointTypes[j] === JOINT_FREE || j % 4 === 3) continue;
    const o = 12 * j;
    model.jointPlacements.set([1, 0, 0, 0, 1, 0, 0, 0, 1], o);
    if (j % 3 !== 1) model.jointPlacements[o + 9 + (j % 3)] = 0;
    model.axes.fill(0, 3 * j, 3 * j + 3);
    model.axes[3 * j + (j % 3)] = 1;
  }
  return model;
}

/**
 * The tree with identity placement rotations on every other joint and axes along +-x, +-y,
 * +-z: the jointPath fast paths (+x/+y/+z) and the constant folding of -1 axes.
 */
export function principalAxes(model: Model): Model {
  for (let j = 2; j < model.njoints; j++) {
    const k = j % 3, sign = j % 4 < 2 ? 1 : -1;
    model.axes.fill(0, 3 * j, 3 * j + 3);
    model.axes[3 * j + k] = sign;
    if (j % 2 === 0) model.jointPlacements.set([1, 0, 0, 0, 1, 0, 0, 0, 1], 12 * j);
  }
  return model;
}

/** Every entry equal (===), reporting the first that is not. */
export function expectSameEntries(got: Float64Array, want: Float64Array, what: string): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) expect.fail(`${what}[${i}]: ${got[i]} !== ${want[i]}`);
  }
}
