/**
 * Generated forward kinematics and joint Jacobian kernels (server/dynamics/compiled/
 * kinematics-kernel.ts) against the generic loops they replace: every entry of liMi, oMi, v
 * and J equal (===) on the project's robots, the upstream Solo-12 and Solo-8 and random trees
 * (general placements, prismatic joints), for full and partial (from..to) passes.
 */
import { describe, expect, it } from 'vitest';
import { fkKernel, jacobianKernel } from '../../server/dynamics/compiled/kinematics-kernel.ts';
import { createData, type Data } from '../../server/dynamics/data.ts';
import { jointJacobiansFromPlacements, jointJacobiansFromPlacementsGeneric } from '../../server/dynamics/jacobian.ts';
import { forwardKinematics, forwardKinematicsGeneric } from '../../server/dynamics/kinematics.ts';
import { JOINT_FREE, type Model } from '../../server/model/model.ts';
import { loadRobot } from '../../server/model/robots.ts';
import { mulberry32, randomConfiguration, randomModel, randomVector } from '../helpers/random-model.ts';
import { expectSameEntries as expectSame, kernelTestModels, principalAxes } from '../helpers/kernel-trees.ts';

const cases = kernelTestModels(10);

function expectKinematics(got: Data, want: Data, withV: boolean, what: string): void {
  expectSame(got.liMi, want.liMi, `${what} liMi`);
  expectSame(got.oMi, want.oMi, `${what} oMi`);
  if (withV) expectSame(got.v, want.v, `${what} v`);
}

/**
 * Joint ranges from..to closed under descendants (the partial passes' precondition): j's
 * subtree when it is contiguous (depth-first numbering; the random trees are not always), and
 * every joint from j on.
 */
function closedRanges(model: Model): [number, number][] {
  const out: [number, number][] = [];
  const within = (i: number, from: number, to: number): boolean => {
    for (let a = i; a > 0; a = model.parents[a]) if (a >= from && a <= to) return true;
    return false;
  };
  for (let from = 1; from < model.njoints; from++) {
    let to = from;
    while (to + 1 < model.njoints && within(to + 1, from, from)) to++;
    let closed = true;
    for (let i = to + 1; i < model.njoints; i++) if (within(i, from, to)) closed = false;
    if (closed) out.push([from, to]);
    if (to !== model.njoints - 1) out.push([from, model.njoints - 1]);
  }
  return out;
}

/** q and v changed on the dofs of joints from..to only (a quaternion stays a unit one). */
function perturb(model: Model, q: Float64Array, v: Float64Array, from: number, to: number, rng: () => number): [Float64Array, Float64Array] {
  const q1 = q.slice(), v1 = v.slice();
  for (let j = from; j <= to; j++) {
    const iq = model.idxQ[j], iv = model.idxV[j];
    if (model.jointTypes[j] === JOINT_FREE) {
      for (let k = 0; k < 3; k++) q1[iq + k] += 0.1 * (rng() - 0.5);
      const r = randomConfiguration(model, rng); // a fresh unit quaternion
      for (let k = 3; k < 7; k++) q1[iq + k] = r[iq + k];
    } else {
      q1[iq] += 0.3 * (rng() - 0.5);
    }
    for (let k = 0; k < model.nvs[j]; k++) v1[iv + k] += rng() - 0.5;
  }
  return [q1, v1];
}

describe.each(cases)('compiled kinematics on $name', ({ model: makeModel }) => {
  const model = makeModel();

  it('has its kernels (the model is small enough to compile)', () => {
    expect(fkKernel(model, false)).toBeTypeOf('function');
    expect(fkKernel(model, true)).toBeTypeOf('function');
    expect(jacobianKernel(model)).toBeTypeOf('function');
  });

  it('full passes equal the generic ones: liMi, oMi, v and J', () => {
    const rng = mulberry32(7);
    const dc = createData(model), dg = createData(model);
    for (let t = 0; t < 20; t++) {
      const q = randomConfiguration(model, rng), v = randomVector(model.nv, rng, 2);
      forwardKinematics(model, dc, q);
      forwardKinematicsGeneric(model, dg, q);
      expectKinematics(dc, dg, false, `(q) #${t}`);
      jointJacobiansFromPlacements(model, dc);
      jointJacobiansFromPlacementsGeneric(model, dg);
      expectSame(dc.J, dg.J, `J #${t}`);
      forwardKinematics(model, dc, q, v);
      forwardKinematicsGeneric(model, dg, q, v);
      expectKinematics(dc, dg, true, `(q, v) #${t}`);
    }
  });

  it('partial passes over a subtree after a full pass at a neighbouring state equal the generic partial and a full pass', () => {
    const rng = mulberry32(8);
    const dc = createData(model), dg = createData(model), dfull = createData(model);
    for (const [from, to] of closedRanges(model)) {
      for (const withV of [false, true]) {
        const q0 = randomConfiguration(model, rng), v0 = randomVector(model.nv, rng, 2);
        const vv0 = withV ? v0 : undefined;
        forwardKinematics(model, dc, q0, vv0);
        jointJacobiansFromPlacements(model, dc);
        forwardKinematicsGeneric(model, dg, q0, vv0);
        jointJacobiansFromPlacementsGeneric(model, dg);
        const [q1, v1] = perturb(model, q0, v0, from, to, rng);
        const vv1 = withV ? v1 : undefined;
        const what = `joints ${from}..${to}${withV ? ' with v' : ''}`;
        forwardKinematics(model, dc, q1, vv1, undefined, from, to);
        jointJacobiansFromPlacements(model, dc, from, to);
        forwardKinematicsGeneric(model, dg, q1, vv1, undefined, from, to);
        jointJacobiansFromPlacementsGeneric(model, dg, from, to);
        forwardKinematicsGeneric(model, dfull, q1, vv1);
        jointJacobiansFromPlacementsGeneric(model, dfull);
        expectKinematics(dc, dg, withV, `${what}, compiled vs generic partial`);
        expectKinematics(dc, dfull, withV, `${what}, compiled partial vs full`);
        expectSame(dc.J, dg.J, `${what} J, compiled vs generic partial`);
        expectSame(dc.J, dfull.J, `${what} J, compiled partial vs full`);
      }
    }
  });
});

describe('compiled kinematics dispatch', () => {
  it('Solo-12 has all its kernels', () => {
    const { model } = loadRobot('solo12');
    expect(fkKernel(model, false)).not.toBeNull();
    expect(fkKernel(model, true)).not.toBeNull();
    expect(jacobianKernel(model)).not.toBeNull();
  });

  it('a tree too large to compile falls back to the generic loops (same results)', () => {
    const model = randomModel(13, 400, true);
    expect(fkKernel(model, true)).toBeNull();
    expect(jacobianKernel(model)).toBeNull();
    const rng = mulberry32(9);
    const q = randomConfiguration(model, rng), v = randomVector(model.nv, rng);
    const dc = createData(model), dg = createData(model);
    forwardKinematics(model, dc, q, v);
    forwardKinematicsGeneric(model, dg, q, v);
    expectKinematics(dc, dg, true, 'fallback');
    jointJacobiansFromPlacements(model, dc);
    jointJacobiansFromPlacementsGeneric(model, dg);
    expectSame(dc.J, dg.J, 'fallback J');
  });

  it('with v and a, the generic loop runs (accelerations as before)', () => {
    const { model } = loadRobot('solo12');
    const rng = mulberry32(10);
    const q = randomConfiguration(model, rng), v = randomVector(model.nv, rng), a = randomVector(model.nv, rng);
    const dc = createData(model), dg = createData(model);
    forwardKinematics(model, dc, q, v, a);
    forwardKinematicsGeneric(model, dg, q, v, a);
    expectKinematics(dc, dg, true, '(q, v, a)');
    expectSame(dc.a, dg.a, '(q, v, a) a');
  });
});
