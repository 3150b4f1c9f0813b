/**
 * Random trees reshaped to exercise the generated kernels' constant folding
 * (server/dynamics/compiled/): principal axes and identity placement rotations.
 */
import { expect } from 'vitest';
import { JOINT_FREE, type Model } from '../../server/model/model.ts';
import { loadRobot } from '../../server/model/robots.ts';
import { upstream } from '../model/helpers.ts';
import { randomModel } from './random-model.ts';

/**
 * The models every generated kernel is checked on: the project's robots, the upstream Solo
 * URDFs, and random trees (general, fixed-base, principal axes); `seed` varies the random ones.
 */
export function kernelTestModels(seed: number): { name: string; model: () => Model }[] {
  return [
    { name: 'solo12', model: () => loadRobot('solo12').model },
    { name: 'double_pendulum', model: () => loadRobot('double_pendulum').model },
    { name: 'cube', model: () => loadRobot('cube').model },
    { name: 'upstream Solo-12 (free-flyer)', model: () => loadRobot(upstream.solo12, { floating: true }).model },
    { name: 'upstream Solo-8 (free-flyer)', model: () => loadRobot(upstream.solo, { floating: true }).model },
    { name: 'random floating tree', model: () => randomModel(seed + 1, 9, true) },
    { name: 'random fixed tree', model: () => randomModel(seed + 2, 8, false) },
    { name: 'random tree with +-x/y/z axes', model: () => principalAxes(randomModel(seed + 4, 10, true)) },
  ];
}

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
