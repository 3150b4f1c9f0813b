/**
 * The compiled CRBA kernel (server/dynamics/compiled/crba-kernel.ts) against the generic loops
 * it unrolls: every entry of M and of the composite inertias equal (===), on many random
 * configurations (one state could match by luck of its values; many cannot), for full and
 * partial passes. liMi always comes from forwardKinematics (the kernels' precondition: they
 * take the constant entries of fast-path joints' placements as literals), and the structure
 * they assume is checked against what forward kinematics writes.
 */
import { describe, expect, it } from 'vitest';
import { createData, type Data } from '../../server/dynamics/data.ts';
import { crbaFromPlacements, crbaFromPlacementsGeneric } from '../../server/dynamics/crba.ts';
import {
  compiledCrba, crbaKernelSources, placementLayout, placementReads, type CrbaFullKernel, type CrbaPartialKernel,
} from '../../server/dynamics/compiled/crba-kernel.ts';
import { compileKernel, MAX_KERNEL_SOURCE } from '../../server/dynamics/compiled/emit.ts';
import { forwardKinematics, forwardKinematicsGeneric } from '../../server/dynamics/kinematics.ts';
import { loadRobot } from '../../server/model/robots.ts';
import { loadUrdfFile } from '../../server/model/urdf.ts';
import { JOINT_FREE, JOINT_REVOLUTE, type Model } from '../../server/model/model.ts';
import { mulberry32, randomConfiguration, randomModel } from '../helpers/random-model.ts';
import { upstream } from '../model/helpers.ts';
import { fastPathTree } from '../helpers/kernel-trees.ts';

const STATES = 12;

const models: [string, () => Model][] = [
  ['solo12', () => loadRobot('solo12').model],
  ['double_pendulum', () => loadRobot('double_pendulum').model],
  ['cube', () => loadRobot('cube').model],
  ['cube_rail (prismatic)', () => loadRobot('cube_rail').model],
  ['upstream Solo-12', () => loadUrdfFile(upstream.solo12, { floating: true }).model],
  ['upstream Solo-8', () => loadUrdfFile(upstream.solo, { floating: true }).model],
  ['random floating tree (general axes, prismatic)', () => randomModel(7, 10, true)],
  ['random fixed-base forest', () => randomModel(11, 8, false)],
  ['random floating tree, mostly fast-path joints', () => fastPathTree(randomModel(13, 12, true))],
  ['random fixed-base forest, mostly fast-path joints', () => fastPathTree(randomModel(14, 10, false))],
];

/** Random configurations, then ones where sin or cos of the joint angles is exactly 0 or +-1. */
function configurations(model: Model, rng: () => number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let s = 0; s < STATES; s++) out.push(randomConfiguration(model, rng));
  for (const angle of [0, -0, Math.PI / 2, Math.PI, -Math.PI]) {
    const q = randomConfiguration(model, rng);
    for (let j = 1; j < model.njoints; j++) if (model.jointTypes[j] !== JOINT_FREE) q[model.idxQ[j]] = angle;
    out.push(q);
  }
  return out;
}

/** Index of the first entry where a and b differ (=== per entry), or -1. */
function firstDifference(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) if (!(a[i] === b[i])) return i;
  return -1;
}

function expectSame(model: Model, a: Data, b: Data): void {
  expect(firstDifference(a.M, b.M), 'first differing entry of M').toBe(-1);
  expect(firstDifference(a.Ycrb, b.Ycrb), 'first differing entry of Ycrb').toBe(-1);
  // not vacuous: a mass matrix was computed
  for (let i = 0; i < model.nv; i++) expect(a.M[i * model.nv + i]).toBeGreaterThan(0);
}

/**
 * Joint j's subtree marked with its ancestors, as Simulator marks a partial stage, and the last
 * joint of the subtree (random models are not depth-first: the range j..to may hold other
 * joints, whose placements forward kinematics then rewrites unchanged).
 */
function affectedBy(model: Model, j: number): { aff: Uint8Array; to: number } {
  const aff = new Uint8Array(model.njoints);
  let to = j;
  for (let k = j; k < model.njoints; k++) {
    if (!isDescendant(model, k, j)) continue;
    to = k;
    for (let a = k; a > 0 && !aff[a]; a = model.parents[a]) aff[a] = 1;
  }
  return { aff, to };
}

function isDescendant(model: Model, k: number, j: number): boolean {
  for (let a = k; a > 0; a = model.parents[a]) if (a === j) return true;
  return false;
}

describe('compiled CRBA kernel', () => {
  it.each(models)('%s: M and Ycrb === the generic CRBA on random configurations', (_name, load) => {
    const model = load();
    expect(compiledCrba(model)).not.toBeNull();
    const rng = mulberry32(42);
    const g = createData(model), c = createData(model);
    for (const q of configurations(model, rng)) {
      forwardKinematics(model, g, q);
      forwardKinematics(model, c, q);
      crbaFromPlacementsGeneric(model, g);
      expect(crbaFromPlacements(model, c)).toBe(c.M);
      expectSame(model, g, c);
    }
  });

  it.each(models)('%s: partial pass after one joint moved === generic partial pass === full pass', (_name, load) => {
    const model = load();
    const rng = mulberry32(7);
    const g = createData(model), c = createData(model), full = createData(model);
    const movable: number[] = [];
    for (let j = 1; j < model.njoints; j++) if (model.jointTypes[j] !== JOINT_FREE) movable.push(j);
    if (movable.length === 0) movable.push(1); // the cube: its free-flyer's x
    for (let s = 0; s < STATES; s++) {
      const q = randomConfiguration(model, rng);
      forwardKinematics(model, g, q);
      forwardKinematics(model, c, q);
      crbaFromPlacementsGeneric(model, g);
      crbaFromPlacements(model, c);
      // perturb one joint (a leg joint on the legged robots), redo its subtree's placements
      const j = movable[s % movable.length];
      q[model.idxQ[j]] += 0.3 * (rng() - 0.5);
      const { aff, to } = affectedBy(model, j);
      forwardKinematics(model, g, q, undefined, undefined, j, to);
      forwardKinematics(model, c, q, undefined, undefined, j, to);
      crbaFromPlacementsGeneric(model, g, aff);
      expect(crbaFromPlacements(model, c, aff)).toBe(c.M);
      expectSame(model, g, c);
      forwardKinematics(model, full, q);
      crbaFromPlacementsGeneric(model, full);
      expectSame(model, full, c);
    }
  });

  it('crbaFromPlacements runs the compiled kernel for Solo-12 (the generic scratch stays untouched)', () => {
    const { model } = loadRobot('solo12');
    const kernel = compiledCrba(model);
    expect(kernel).not.toBeNull();
    expect(compiledCrba(model)).toBe(kernel); // cached per model
    const data = createData(model);
    forwardKinematics(model, data, randomConfiguration(model, mulberry32(3)));
    data.tmp36.fill(Number.NaN);
    crbaFromPlacements(model, data);
    expect(data.tmp36.every(Number.isNaN)).toBe(true);
    crbaFromPlacementsGeneric(model, data);
    expect(data.tmp36.every(Number.isNaN)).toBe(false);
  });

  it.each(models)('%s: after forward kinematics, liMi has exactly the structure the kernels assume', (_name, load) => {
    const model = load();
    const rng = mulberry32(11);
    const dc = createData(model), dg = createData(model);
    for (let j = 1; j < model.njoints; j++) {
      // the kernels' fast path is jointTransform's (data.jointPath), for revolute joints
      const fast = model.jointTypes[j] === JOINT_REVOLUTE && dc.jointPath[j] !== 3;
      expect(placementLayout(model, j).some((e) => typeof e === 'number'), `joint ${j} on the fast path`).toBe(fast);
    }
    for (const q of configurations(model, rng)) {
      forwardKinematics(model, dc, q); // the generated forward kinematics
      forwardKinematicsGeneric(model, dg, q); // jointTransform
      for (const d of [dc, dg]) {
        const L = d.liMi;
        for (let j = 1; j < model.njoints; j++) {
          placementLayout(model, j).forEach((e, k) => {
            const want = typeof e === 'number' ? e : e.negated ? -L[12 * j + e.read] : L[12 * j + e.read];
            // Object.is: even the sign of a zero is the assumed one
            if (!Object.is(L[12 * j + k], want)) expect.fail(`liMi[${12 * j + k}] (joint ${j}, entry ${k}): ${L[12 * j + k]}, assumed ${want}`);
          });
        }
      }
    }
  });

  it('Solo-12: every leg joint is on the fast path; the kernels read only cos and sin of their placements', () => {
    const { model } = loadRobot('solo12');
    for (let j = 2; j < model.njoints; j++) {
      const layout = placementLayout(model, j);
      expect(layout.filter((e) => typeof e !== 'number').length, `joint ${j}`).toBe(4); // c twice, s, -s
      expect(placementReads(layout), `joint ${j}`).toHaveLength(2); // read: c and s
      expect(layout.slice(9)).toEqual(Array.from(model.jointPlacements.subarray(12 * j + 9, 12 * j + 12)));
    }
    // the constant entries are not read: poisoned, the kernels' results stay the generic ones
    const rng = mulberry32(12);
    const g = createData(model), c = createData(model), cp = createData(model);
    const all = new Uint8Array(model.njoints).fill(1);
    for (let s = 0; s < 4; s++) {
      const q = randomConfiguration(model, rng);
      for (const d of [g, c, cp]) forwardKinematics(model, d, q);
      crbaFromPlacementsGeneric(model, g);
      for (const d of [c, cp]) {
        for (let j = 2; j < model.njoints; j++) {
          placementLayout(model, j).forEach((e, k) => { if (typeof e === 'number') d.liMi[12 * j + k] = Number.NaN; });
        }
      }
      crbaFromPlacements(model, c);
      crbaFromPlacements(model, cp, all);
      expectSame(model, g, c);
      expectSame(model, g, cp);
    }
    // (and the generic loops do read them)
    crbaFromPlacementsGeneric(model, c);
    expect(c.M.some(Number.isNaN)).toBe(true);
  });

  it('the exact comparison catches a kernel with one sum reassociated', () => {
    const model = randomModel(7, 10, true);
    const src = crbaKernelSources(model);
    // the same three terms added in another order, in every transport of a composite to its
    // parent: Yc_p[1] += kx + m * px becomes (Yc_p[1] + kx) + m * px
    const inLocals = /(c\d+_1) \+= kx \+ m \* px;/g, inMemory = /(Yc\[\d+\]) \+= kx \+ m \* px;/g;
    expect(src.full).toMatch(inLocals);
    expect(src.partial).toMatch(inMemory);
    const full = compileKernel<CrbaFullKernel>('badFull', ['L', 'Yb', 'Yc', 'M'], src.full.replace(inLocals, '$1 = $1 + kx + m * px;'));
    const partial = compileKernel<CrbaPartialKernel>('badPartial', ['L', 'Yb', 'Yc', 'M', 'aff'], src.partial.replace(inMemory, '$1 = $1 + kx + m * px;'));
    if (full === null || partial === null) throw new Error('the mutated kernels did not compile');
    const all = new Uint8Array(model.njoints).fill(1);
    const rng = mulberry32(5);
    const g = createData(model), c = createData(model), cp = createData(model);
    let differing = 0, differingPartial = 0;
    for (let s = 0; s < STATES; s++) {
      const q = randomConfiguration(model, rng);
      for (const d of [g, c, cp]) forwardKinematics(model, d, q);
      crbaFromPlacementsGeneric(model, g);
      full(c.liMi, c.Ybody, c.Ycrb, c.M);
      partial(cp.liMi, cp.Ybody, cp.Ycrb, cp.M, all);
      if (firstDifference(g.M, c.M) >= 0 || firstDifference(g.Ycrb, c.Ycrb) >= 0) differing++;
      if (firstDifference(g.M, cp.M) >= 0 || firstDifference(g.Ycrb, cp.Ycrb) >= 0) differingPartial++;
    }
    expect(differing).toBeGreaterThan(STATES / 2);
    expect(differingPartial).toBeGreaterThan(STATES / 2);
  });

  it('a model too large to compile falls back to the generic loops', () => {
    const model = randomModel(3, 120, true);
    expect(crbaKernelSources(model).full.length).toBeGreaterThan(MAX_KERNEL_SOURCE);
    expect(compiledCrba(model)).toBeNull();
    const g = createData(model), c = createData(model);
    const q = randomConfiguration(model, mulberry32(9));
    forwardKinematics(model, g, q);
    forwardKinematics(model, c, q);
    crbaFromPlacementsGeneric(model, g);
    crbaFromPlacements(model, c);
    expectSame(model, g, c);
  });
});
