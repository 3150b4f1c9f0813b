import { mkdtempSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { totalMass } from '../../server/model/model.ts';
import { DEFAULT_ROBOTS_DIR, listRobots, loadRobot, posture } from '../../server/model/robots.ts';
import { loadUrdfFile } from '../../server/model/urdf.ts';
import { expectClose, framePosition, repoRoot, upstream } from './helpers.ts';

describe("the project's robots", () => {
  it('robots/ is found from the module location', () => {
    expect(DEFAULT_ROBOTS_DIR).toBe(path.join(repoRoot, 'robots'));
    expect(listRobots()).toEqual(['cube', 'cube_rail', 'double_pendulum', 'solo12']);
  });

  it.each(['cube', 'cube_rail', 'double_pendulum', 'solo12'])('%s loads with zero warnings; postures fit', (name) => {
    const { model, warnings, meta } = loadRobot(name, {});
    expect(warnings).toEqual([]);
    expect(meta.name).toBe(name);
    expect(meta.urdf).toBe(path.join(repoRoot, 'robots', `${name}.urdf`));
    for (const p of Object.keys(meta.postures)) expect(posture(meta, model, p)).toHaveLength(model.nq);
    for (const g of [...model.visuals, ...model.collisions]) expect(g.shape.type).not.toBe('mesh');
  });

  describe('solo12 (our file) equals the upstream description', () => {
    const ours = loadUrdfFile(path.join(repoRoot, 'robots/solo12.urdf'), { floating: true }).model;
    const theirs = loadUrdfFile(upstream.solo12, { floating: true }).model;

    it('same sizes, names, tree and mass', () => {
      expect([ours.nq, ours.nv, ours.nu, ours.njoints]).toEqual([19, 18, 12, 14]);
      expect(ours.jointNames).toEqual(theirs.jointNames);
      expect(ours.bodyNames).toEqual(theirs.bodyNames);
      expect(Array.from(ours.parents)).toEqual(Array.from(theirs.parents));
      expect(Array.from(ours.jointTypes)).toEqual(Array.from(theirs.jointTypes));
      expect(Math.abs(totalMass(ours) - 2.50000279)).toBeLessThan(1e-8);
    });

    it('inertias, placements and axes equal upstream to 1e-9', () => {
      expectClose(ours.inertias, theirs.inertias, 1e-9, 'inertias');
      expectClose(ours.jointPlacements, theirs.jointPlacements, 1e-9, 'jointPlacements');
      expectClose(ours.axes, theirs.axes, 1e-9, 'axes');
      expectClose(ours.rootInertia, theirs.rootInertia, 1e-9, 'rootInertia');
    });

    it('frames equal upstream (names, kinds, parents, placements)', () => {
      expect(ours.frames.map((f) => [f.name, f.kind, f.parentJoint])).toEqual(theirs.frames.map((f) => [f.name, f.kind, f.parentJoint]));
      ours.frames.forEach((f, i) => expectClose(f.placement, theirs.frames[i].placement, 1e-9, f.name));
    });

    it('the fixed-base variant also matches', () => {
      const a = loadUrdfFile(path.join(repoRoot, 'robots/solo12.urdf')).model;
      const b = loadUrdfFile(upstream.solo12).model;
      expectClose(a.inertias, b.inertias, 1e-9, 'inertias');
      expectClose(a.rootInertia, b.rootInertia, 1e-9, 'rootInertia');
      expectClose(a.jointPlacements, b.jointPlacements, 1e-9, 'placements');
    });

    it('limits: 2.7 N m, 30 rad/s, HAA +-1.2, HFE/KFE +-pi', () => {
      for (let j = 2; j < ours.njoints; j++) {
        const iq = ours.idxQ[j];
        const iv = ours.idxV[j];
        expect(ours.effortLimit[iv]).toBe(2.7);
        expect(ours.velocityLimit[iv]).toBe(30);
        const lim = ours.jointNames[j].endsWith('HAA') ? 1.2 : 3.14159265358979;
        expect([ours.lowerPositionLimit[iq], ours.upperPositionLimit[iq]]).toEqual([-lim, lim]);
      }
    });

    it('feet: a sphere of radius 0.016 m at each FOOT frame origin', () => {
      for (const leg of ['FL', 'FR', 'HL', 'HR']) {
        const foot = ours.collisions.filter((g) => g.link === `${leg}_FOOT`);
        expect(foot).toHaveLength(1);
        expect(foot[0].shape).toEqual({ type: 'sphere', radius: 0.016 });
        const frame = ours.frames.find((f) => f.name === `${leg}_FOOT`)!;
        expect(foot[0].parentJoint).toBe(frame.parentJoint);
        expectClose(foot[0].placement, frame.placement, 1e-15, 'foot placement');
      }
    });
  });

  it('solo12 metadata: floating, contact frames, standing posture puts the feet at z = -0.2159 in the base frame', () => {
    const { model, meta } = loadRobot('solo12');
    expect(meta.floating).toBe(true);
    expect(model.floating).toBe(true);
    expect(meta.contactFrames).toEqual(['FL_FOOT', 'FR_FOOT', 'HL_FOOT', 'HR_FOOT']);
    expect(meta.torqueLimit).toBe(2.7);
    const q = posture(meta, model, 'standing');
    expect(Array.from(q)).toEqual([0, 0, 0.235, 0, 0, 0, 1, 0.1, 0.8, -1.6, -0.1, 0.8, -1.6, 0.1, -0.8, 1.6, -0.1, -0.8, 1.6]);
    expect(Array.from(posture(meta, model))).toEqual(Array.from(q)); // first posture by default
    for (const f of meta.contactFrames) {
      const p = framePosition(model, q, f);
      expect(p[2] - 0.235).toBeCloseTo(-0.2159, 4);
      expect(p[2] - 0.016).toBeGreaterThan(0); // sphere bottoms above the ground
      expect(p[2] - 0.016).toBeLessThan(0.005);
    }
  });

  it('cube: 1 kg, box inertia, resting on its face', () => {
    const { model, meta } = loadRobot('cube');
    expect([model.nq, model.nv, model.nu]).toEqual([7, 6, 0]);
    expectClose(model.inertias.subarray(10, 20), [1, 0, 0, 0, 1 / 600, 1 / 600, 1 / 600, 0, 0, 0], 1e-15, 'cube');
    expect(model.collisions[0].shape).toEqual({ type: 'box', size: [0.1, 0.1, 0.1] });
    expect(Array.from(posture(meta, model, 'resting'))).toEqual([0, 0, 0.05, 0, 0, 0, 1]);
  });

  it('double pendulum: fixed base, two continuous joints about y, no zero limits', () => {
    const { model, meta, warnings } = loadRobot('double_pendulum');
    expect(warnings).toEqual([]);
    expect(meta.floating).toBe(false);
    expect([model.nq, model.nv, model.nu]).toEqual([2, 2, 2]);
    expectClose(model.axes.subarray(3), [0, 1, 0, 0, 1, 0], 0, 'axes');
    expect(Array.from(model.continuous)).toEqual([0, 1, 1]);
    expect(Array.from(model.lowerPositionLimit)).toEqual([-Infinity, -Infinity]);
    expect(Array.from(model.effortLimit)).toEqual([5, 5]);
    expect(totalMass(model)).toBeCloseTo(0.5, 15);
    expectClose(model.inertias.subarray(10, 20), [0.2, 0, 0, -0.05, 0.2 * (0.025 ** 2 + 0.1 ** 2) / 12, 0.2 * (0.025 ** 2 + 0.1 ** 2) / 12, 0.2 * 2 * 0.025 ** 2 / 12, 0, 0, 0], 1e-15, 'link1');
    expect(Array.from(posture(meta, model, 'down'))).toEqual([0, 0]);
    expect(framePosition(model, [0, 0], 'tip')[2]).toBeCloseTo(-0.3, 15);
  });
});

describe('loadRobot / posture', () => {
  it('loads a .urdf path directly (the rest from its SRDF and detection, robot-description.test.ts); posture() is neutral without postures', () => {
    const { meta } = loadRobot(upstream.solo12, { floating: true });
    expect(meta).toMatchObject({ name: 'solo12', metaFile: null, floating: true, torqueLimit: null, footRadius: null });
    expect(loadRobot(upstream.solo12, { floating: false }).model.nq).toBe(12);
    const dp = loadRobot(upstream.doublePendulum);
    expect(dp.meta).toMatchObject({ metaFile: null, floating: false, contactFrames: [], postures: {} });
    expect(Array.from(posture(dp.meta, dp.model))).toEqual([0, 0]);
  });

  it('floating override drops postures written for the other base type', () => {
    const { model, meta } = loadRobot('solo12', { floating: false });
    expect(model.nq).toBe(12);
    expect(meta.postures).toEqual({});
  });

  it('unknown robot and unknown posture are clear errors', () => {
    expect(() => loadRobot('nope')).toThrow(/unknown robot 'nope'.*known robots: cube, cube_rail, double_pendulum, solo12/);
    const { model, meta } = loadRobot('cube');
    expect(() => posture(meta, model, 'flying')).toThrow(/robot cube: no posture 'flying' \(known: resting\)/);
  });

  it('metadata is checked against the model', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'robots-'));
    copyFileSync(path.join(repoRoot, 'robots/cube.urdf'), path.join(dir, 'cube.urdf'));
    const write = (name: string, meta: unknown) => writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(meta));
    write('short', { urdf: 'cube.urdf', floating: true, postures: { p: { q: [0, 0, 1] } } });
    write('frame', { urdf: 'cube.urdf', floating: true, contactFrames: ['FOOT'] });
    write('quat', { urdf: 'cube.urdf', floating: true, postures: { p: { q: [0, 0, 1, 0, 0, 0, 2] } } });
    write('badurdf', { urdf: 3 });
    write('ok', { urdf: 'cube.urdf', floating: true });
    writeFileSync(path.join(dir, 'broken.json'), '{ nope');
    expect(listRobots(dir)).toEqual(['badurdf', 'broken', 'frame', 'ok', 'quat', 'short']);
    expect(() => loadRobot('short', { robotsDir: dir })).toThrow(/posture 'p' has 3 numbers, the model has nq = 7/);
    expect(() => loadRobot('frame', { robotsDir: dir })).toThrow(/contact frame 'FOOT' is not a link of cube/);
    expect(() => loadRobot('quat', { robotsDir: dir })).toThrow(/quaternion of 'root_joint' has norm 2/);
    expect(() => loadRobot('badurdf', { robotsDir: dir })).toThrow(/"urdf" must be a file name/);
    expect(() => loadRobot('broken', { robotsDir: dir })).toThrow(/broken\.json: cannot read robot metadata/);
    expect(loadRobot(path.join(dir, 'ok.json')).model.nq).toBe(7);
  });
});
