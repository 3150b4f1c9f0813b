/**
 * Generated RNEA kernels (server/dynamics/compiled/rnea-kernel.ts) against the generic pass
 * they replace: tau and data.v, data.a, data.f equal (===) on the project's robots, the
 * upstream Solo-12 and Solo-8 and random trees, with a = null and a given, for full passes and
 * for partial ones (`affected`) after a full pass at a neighbouring configuration. liMi always
 * comes from jointTransform (forwardKinematicsGeneric): the kernels' precondition, since they
 * take the constant entries of fast-path joints' placements as literals (placementLayout, whose
 * match with forward kinematics compiled-crba.test.ts checks).
 */
import { describe, expect, it } from 'vitest';
import { placementLayout } from '../../server/dynamics/compiled/crba-kernel.ts';
import { rneaKernel } from '../../server/dynamics/compiled/rnea-kernel.ts';
import { createData, type Data } from '../../server/dynamics/data.ts';
import { forwardKinematicsGeneric } from '../../server/dynamics/kinematics.ts';
import { rneaFromPlacements, rneaFromPlacementsGeneric } from '../../server/dynamics/rnea.ts';
import { JOINT_FREE, type Model } from '../../server/model/model.ts';
import { loadRobot } from '../../server/model/robots.ts';
import { mulberry32, randomConfiguration, randomModel, randomVector } from '../helpers/random-model.ts';
import { expectSameEntries as expectSame, kernelTestModels, fastPathTree, principalAxes } from '../helpers/kernel-trees.ts';

const cases: { name: string; model: () => Model }[] = [
  ...kernelTestModels(20),
  { name: 'random floating tree, mostly fast-path joints', model: () => fastPathTree(randomModel(25, 12, true)) },
  { name: 'random fixed tree, mostly fast-path joints', model: () => fastPathTree(randomModel(26, 9, false)) },
];

function expectRnea(got: Data, want: Data, what: string): void {
  expectSame(got.tau, want.tau, `${what} tau`);
  expectSame(got.v, want.v, `${what} v`);
  expectSame(got.a, want.a, `${what} a`);
  expectSame(got.f, want.f, `${what} f`);
}

/** The subtree of joint j (as a set), whatever the numbering. */
function subtree(model: Model, j: number): Set<number> {
  const s = new Set<number>();
  for (let i = j; i < model.njoints; i++) {
    for (let a = i; a > 0; a = model.parents[a]) if (a === j) { s.add(i); break; }
  }
  return s;
}

/** affected as Simulator.positionStage builds it: the given joints and all their ancestors. */
function affectedOf(model: Model, changed: Set<number>): Uint8Array {
  const aff = new Uint8Array(model.njoints);
  for (const j of changed) for (let a = j; a > 0 && !aff[a]; a = model.parents[a]) aff[a] = 1;
  return aff;
}

/** q changed on the joints in `changed` only (a quaternion stays a unit one). */
function perturb(model: Model, q: Float64Array, changed: Set<number>, rng: () => number): Float64Array {
  const q1 = q.slice();
  const fresh = randomConfiguration(model, rng);
  for (const j of changed) {
    const iq = model.idxQ[j];
    if (model.jointTypes[j] === JOINT_FREE) for (let k = 0; k < 7; k++) q1[iq + k] = fresh[iq + k];
    else q1[iq] += 0.3 * (rng() - 0.5);
  }
  return q1;
}

describe.each(cases)('compiled RNEA on $name', ({ model: makeModel }) => {
  const model = makeModel();

  it('has its kernels (the model is small enough to compile)', () => {
    expect(rneaKernel(model, false)).toBeTypeOf('function');
    expect(rneaKernel(model, true)).toBeTypeOf('function');
  });

  it('full passes equal the generic one (a = null and a given): tau, v, a, f', () => {
    const rng = mulberry32(5);
    const dc = createData(model), dg = createData(model);
    for (let t = 0; t < 20; t++) {
      const q = randomConfiguration(model, rng), v = randomVector(model.nv, rng, 2), a = randomVector(model.nv, rng, 3);
      forwardKinematicsGeneric(model, dc, q);
      forwardKinematicsGeneric(model, dg, q);
      rneaFromPlacements(model, dc, v, null);
      rneaFromPlacementsGeneric(model, dg, v, null);
      expectRnea(dc, dg, `a = null #${t}`);
      rneaFromPlacements(model, dc, v, a);
      rneaFromPlacementsGeneric(model, dg, v, a);
      expectRnea(dc, dg, `a given #${t}`);
    }
  });

  it('full passes at joint angles whose sin or cos is exactly 0 or +-1 equal the generic one', () => {
    const rng = mulberry32(8);
    const dc = createData(model), dg = createData(model);
    for (const angle of [0, -0, Math.PI / 2, Math.PI, -Math.PI]) {
      const q = randomConfiguration(model, rng), v = randomVector(model.nv, rng, 2), a = randomVector(model.nv, rng, 3);
      for (let j = 1; j < model.njoints; j++) if (model.jointTypes[j] !== JOINT_FREE) q[model.idxQ[j]] = angle;
      forwardKinematicsGeneric(model, dc, q);
      forwardKinematicsGeneric(model, dg, q);
      rneaFromPlacements(model, dc, v, null);
      rneaFromPlacementsGeneric(model, dg, v, null);
      expectRnea(dc, dg, `a = null, angles ${angle}`);
      rneaFromPlacements(model, dc, v, a);
      rneaFromPlacementsGeneric(model, dg, v, a);
      expectRnea(dc, dg, `a given, angles ${angle}`);
    }
  });

  it('partial passes after a full pass at a neighbouring configuration equal the generic partial and a full pass', () => {
    const rng = mulberry32(6);
    const dc = createData(model), dg = createData(model), dfull = createData(model);
    for (let j = 1; j < model.njoints; j++) {
      for (const withA of [false, true]) {
        const changed = j % 3 === 0 ? new Set([j]) : subtree(model, j);
        const q0 = randomConfiguration(model, rng), v = randomVector(model.nv, rng, 2);
        const a = withA ? randomVector(model.nv, rng, 3) : null;
        for (const d of [dc, dg]) {
          forwardKinematicsGeneric(model, d, q0);
          rneaFromPlacementsGeneric(model, d, v, a);
        }
        const q1 = perturb(model, q0, changed, rng);
        // the changed joints' subtrees are redone (their velocities change), with their ancestors
        const aff = affectedOf(model, subtree(model, j));
        for (const d of [dc, dg, dfull]) forwardKinematicsGeneric(model, d, q1);
        rneaFromPlacements(model, dc, v, a, aff);
        rneaFromPlacementsGeneric(model, dg, v, a, aff);
        rneaFromPlacementsGeneric(model, dfull, v, a);
        const what = `joints {${[...changed].join(',')}}${withA ? ', a given' : ''}`;
        expectRnea(dc, dg, `${what}, compiled vs generic partial`);
        expectRnea(dc, dfull, `${what}, compiled partial vs full`);
      }
    }
  });
});

describe('compiled RNEA dispatch', () => {
  it('Solo-12 has both kernels', () => {
    const { model } = loadRobot('solo12');
    expect(rneaKernel(model, false)).not.toBeNull();
    expect(rneaKernel(model, true)).not.toBeNull();
  });

  it('Solo-12: the kernels do not read the constant entries of the fast-path placements (the precondition)', () => {
    const { model } = loadRobot('solo12');
    const rng = mulberry32(9);
    const dc = createData(model), dg = createData(model);
    const aff = affectedOf(model, subtree(model, 5));
    const poison = () => {
      for (let j = 2; j < model.njoints; j++) {
        const layout = placementLayout(model, j);
        expect(layout.some((e) => typeof e === 'number'), `joint ${j} on the fast path`).toBe(true);
        layout.forEach((e, k) => { if (typeof e === 'number') dc.liMi[12 * j + k] = Number.NaN; });
      }
    };
    for (const withA of [false, true]) {
      const q = randomConfiguration(model, rng), v = randomVector(model.nv, rng, 2);
      const a = withA ? randomVector(model.nv, rng, 3) : null;
      forwardKinematicsGeneric(model, dc, q);
      forwardKinematicsGeneric(model, dg, q);
      poison();
      rneaFromPlacements(model, dc, v, a);
      rneaFromPlacementsGeneric(model, dg, v, a);
      expectRnea(dc, dg, `full${withA ? ', a given' : ''}`);
      // partial, after one leg moved
      const q1 = perturb(model, q, subtree(model, 5), rng);
      forwardKinematicsGeneric(model, dc, q1);
      forwardKinematicsGeneric(model, dg, q1);
      poison();
      rneaFromPlacements(model, dc, v, a, aff);
      rneaFromPlacementsGeneric(model, dg, v, a, aff);
      expectRnea(dc, dg, `partial${withA ? ', a given' : ''}`);
    }
    // (the generic pass does read them)
    rneaFromPlacementsGeneric(model, dc, randomVector(model.nv, rng, 2), null);
    expect(dc.tau.some(Number.isNaN)).toBe(true);
  });

  it('a tree too large to compile falls back to the generic pass (same results)', () => {
    const model = randomModel(23, 200, true);
    expect(rneaKernel(model, false)).toBeNull();
    const rng = mulberry32(7);
    const q = randomConfiguration(model, rng), v = randomVector(model.nv, rng);
    const dc = createData(model), dg = createData(model);
    forwardKinematicsGeneric(model, dc, q);
    forwardKinematicsGeneric(model, dg, q);
    rneaFromPlacements(model, dc, v, null);
    rneaFromPlacementsGeneric(model, dg, v, null);
    expectRnea(dc, dg, 'fallback');
  });
});
