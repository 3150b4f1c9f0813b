import { describe, expect, it } from 'vitest';
import { totalMass } from '../../server/model/model.ts';
import { loadUrdfFile } from '../../server/model/urdf.ts';
import { upstream, upstreamRobots } from './helpers.ts';

const SOLO12_JOINTS = ['FL', 'FR', 'HL', 'HR'].flatMap((l) => ['HAA', 'HFE', 'KFE'].map((j) => `${l}_${j}`));

describe('upstream example-robot-data URDFs', () => {
  it.each([
    ['solo12', upstream.solo12],
    ['solo', upstream.solo],
  ])('%s loads with zero warnings, meshes resolved (floating and fixed)', (_name, file) => {
    for (const floating of [true, false]) {
      const { model, warnings } = loadUrdfFile(file, { floating, needCollisionMeshes: true });
      expect(warnings).toEqual([]);
      for (const g of [...model.visuals, ...model.collisions]) {
        expect(g.shape.type).toBe('mesh');
        if (g.shape.type === 'mesh') expect(g.shape.path).toMatch(/\.(stl|obj)$/);
      }
    }
    // Also through an explicit package dir.
    expect(loadUrdfFile(file, { packageDirs: [upstreamRobots], needCollisionMeshes: true }).warnings).toEqual([]);
  });

  it.each([
    ['double_pendulum', upstream.doublePendulum, true],
    ['double_pendulum_continuous', upstream.doublePendulumContinuous, false],
    ['double_pendulum_simple', upstream.doublePendulumSimple, true],
  ])('%s loads; its only warnings are the zero <limit> placeholders, one per joint', (_name, file, positional) => {
    const { model, warnings } = loadUrdfFile(file, { needCollisionMeshes: true });
    expect(warnings).toHaveLength(2);
    warnings.forEach((w, i) => {
      expect(w).toContain(`joint 'joint${i + 1}': <limit>`);
      expect(w).toContain(positional ? 'lower = upper = 0 read as no position limit' : 'effort 0 read as no effort limit');
      expect(w).not.toMatch(positional ? /^$/ : /position/);
    });
    expect(model.nq).toBe(2);
    expect(model.nu).toBe(2);
    expect(Array.from(model.lowerPositionLimit)).toEqual([-Infinity, -Infinity]);
    expect(Array.from(model.upperPositionLimit)).toEqual([Infinity, Infinity]);
    expect(Array.from(model.effortLimit)).toEqual([Infinity, Infinity]);
    expect(Array.from(model.damping)).toEqual([0.05, 0.05]);
    expect(Array.from(model.continuous)).toEqual(positional ? [0, 0, 0] : [0, 1, 1]);
  });

  it('double pendulum: exporter numbers (2.6279E-13) and fixed base inertia', () => {
    const { model } = loadUrdfFile(upstream.doublePendulum);
    expect(model.rootInertia[0]).toBe(0.10159);
    expect(model.rootInertia[2]).toBe(2.6279e-13);
    expect(model.bodyNames).toEqual(['base_link', 'link1', 'link2']);
    expect(totalMass(model)).toBeCloseTo(0.26703 + 0.33238, 12);
    expect(model.visuals[0].rgba).toEqual([0.96078, 1, 0, 1]);
  });

  it('double_pendulum_simple: the zero-mass end-effector link is merged without warning', () => {
    const { model } = loadUrdfFile(upstream.doublePendulumSimple);
    expect(model.frames.find((f) => f.name === 'link3')).toMatchObject({ kind: 'fixed', parentJoint: 2 });
    expect(Array.from(model.frames.find((f) => f.name === 'link3')!.placement.subarray(9))).toEqual([0, 0, 0.2]);
    expect(model.inertias[20]).toBe(0.3);
  });

  it('solo12 floating: nq 19, nv 18, nu 12, mass 2.50000279 kg, Solo-12 joint order', () => {
    const { model } = loadUrdfFile(upstream.solo12, { floating: true });
    expect([model.nq, model.nv, model.nu, model.njoints]).toEqual([19, 18, 12, 14]);
    expect(totalMass(model)).toBeCloseTo(2.50000279, 8);
    expect(Math.abs(totalMass(model) - 2.50000279)).toBeLessThan(1e-8);
    expect(model.jointNames).toEqual(['universe', 'root_joint', ...SOLO12_JOINTS]);
    expect(model.name).toBe('solo');
    expect(Array.from(model.parents)).toEqual([-1, 0, 1, 2, 3, 1, 5, 6, 1, 8, 9, 1, 11, 12]);
    expect(Array.from(model.idxQ)).toEqual([0, 0, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
    expect(Array.from(model.idxV)).toEqual([0, 0, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
    // Foot merged into the lower leg: 0.03070001 + 0.00693606.
    expect(model.inertias[40]).toBeCloseTo(0.03763607, 14);
    expect(model.frames.filter((f) => f.kind === 'fixed').map((f) => f.name)).toEqual(['FL_FOOT', 'FR_FOOT', 'HL_FOOT', 'HR_FOOT']);
    expect(model.lowerPositionLimit[7]).toBe(-10);
    expect(model.effortLimit[6]).toBe(1000);
  });

  it('solo12 fixed base: nq 12, the base in rootInertia', () => {
    const { model } = loadUrdfFile(upstream.solo12);
    expect([model.nq, model.nv, model.nu]).toEqual([12, 12, 12]);
    expect(model.rootInertia[0]).toBe(1.16115091);
    expect(totalMass(model) + model.rootInertia[0]).toBeCloseTo(2.50000279, 12);
    expect(model.jointNames.slice(1)).toEqual(SOLO12_JOINTS);
    expect(model.frames[0]).toMatchObject({ name: 'base_link', kind: 'body', parentJoint: 0 });
  });

  it('solo (8 dof) floating: nq 15, nv 14, nu 8', () => {
    const { model } = loadUrdfFile(upstream.solo, { floating: true });
    expect([model.nq, model.nv, model.nu]).toEqual([15, 14, 8]);
    expect(model.jointNames.slice(2)).toEqual(['FL', 'FR', 'HL', 'HR'].flatMap((l) => [`${l}_HFE`, `${l}_KFE`]));
  });
});
