/**
 * Robot descriptions a task can use (server/model/robots.ts, srdf.ts, robot-detect.ts): read
 * from the upstream example-robot-data Solo-12 and Solo-8 (URDF + SRDF, no metadata), from the
 * same URDFs without their SRDF (detection), and overridden by metadata.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRobot } from '../../server/model/robots.ts';
import { findSrdf, readSrdf } from '../../server/model/srdf.ts';
import { detectEndEffector, detectFeet, leafChains } from '../../server/model/robot-detect.ts';
import { liftLeg, liftLegFeet, footContactModel, DEFAULT_FOOT_RADIUS } from '../../server/control/tasks/lift-leg.ts';
import { reach } from '../../server/control/tasks/reach.ts';
import { swingUp } from '../../server/control/tasks/swing-up.ts';
import { upstream, upstreamRobots } from './helpers.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'rsddp-robot-desc-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// the SRDF's standing posture of Solo (root_joint, then joints in the model's order FL, FR, HL, HR)
const STANDING_12 = [0, 0, 0.235, 0, 0, 0, 1, 0.1, 0.8, -1.6, -0.1, 0.8, -1.6, 0.1, -0.8, 1.6, -0.1, -0.8, 1.6];
const FEET = ['FL_FOOT', 'FR_FOOT', 'HL_FOOT', 'HR_FOOT'];

describe('SRDF beside the URDF (upstream example-robot-data)', () => {
  it('finds srdf/solo.srdf for robots/solo12.urdf and robots/solo.urdf (longest name prefix)', () => {
    const want = path.join(upstreamRobots, 'solo_description/srdf/solo.srdf');
    expect(findSrdf(upstream.solo12)).toBe(want);
    expect(findSrdf(upstream.solo)).toBe(want);
    expect(findSrdf(upstream.doublePendulum)).toBeNull();
    const s = readSrdf(want, 1e6);
    expect([...s.states.keys()]).toEqual(['standing', 'straight_standing']);
    expect(s.endEffectors).toEqual(FEET);
  });

  it('Solo-12: floating base, four feet and standing from the SRDF, each with its reason', () => {
    const { model, meta } = loadRobot(upstream.solo12);
    expect(meta.metaFile).toBeNull();
    expect(model.nq).toBe(19);
    expect(meta.floating).toBe(true);
    expect(meta.why.floating).toMatch(/solo\.srdf.*root_joint 7 values/);
    expect(meta.contactFrames).toEqual(FEET);
    expect(meta.why.contactFrames).toMatch(/solo\.srdf.*end effectors/);
    expect(meta.postures.standing.q).toEqual(STANDING_12);
    expect(Object.keys(meta.postures)).toEqual(['standing', 'straight_standing']);
    expect(liftLeg.fits({ model, meta, warnings: [] }, 'solo12-up')).toBeNull();
  });

  it('Solo-8: the SRDF joints it lacks (HAA) are skipped and said so; the rest of standing is used', () => {
    const { model, meta } = loadRobot(upstream.solo);
    expect(model.nq).toBe(15);
    expect(meta.postures.standing.q).toEqual([0, 0, 0.235, 0, 0, 0, 1, 0.8, -1.6, 0.8, -1.6, -0.8, 1.6, -0.8, 1.6]);
    expect(meta.why.postures).toMatch(/skipped: FL_HAA, HL_HAA, FR_HAA, HR_HAA/);
    expect(meta.contactFrames).toEqual(FEET);
    expect(liftLeg.fits({ model, meta, warnings: [] }, 'solo8')).toBeNull();
  });

  it('mesh feet get a contact sphere of the stated radius; mesh collisions leave the task model', () => {
    const robot = loadRobot(upstream.solo12);
    expect(robot.model.collisions.every((g) => g.shape.type === 'mesh')).toBe(true);
    const { model, radii, stated } = footContactModel(robot);
    expect(radii).toEqual([DEFAULT_FOOT_RADIUS, DEFAULT_FOOT_RADIUS, DEFAULT_FOOT_RADIUS, DEFAULT_FOOT_RADIUS]);
    expect(stated).toEqual([false, false, false, false]);
    expect(model.collisions.map((g) => [g.link, g.shape.type])).toEqual(FEET.map((f) => [f, 'sphere']));
    // each sphere sits on its foot frame
    for (const f of FEET) {
      const fr = model.frames.find((x) => x.name === f)!, g = model.collisions.find((x) => x.link === f)!;
      expect(g.parentJoint).toBe(fr.parentJoint);
      expect(Array.from(g.placement)).toEqual(Array.from(fr.placement));
    }
    // the project's Solo-12 has spheres at its feet: its model is used as is
    const own = loadRobot('solo12');
    expect(footContactModel(own).model).toBe(own.model);
    expect(footContactModel(own).radii).toEqual([0.016, 0.016, 0.016, 0.016]);
  });

  it("foot codes follow where the feet stand: FL is the front-left foot, its knee the foot's joint", () => {
    const legs = liftLegFeet(loadRobot(upstream.solo12));
    expect(legs).toEqual({ FL: { frame: 'FL_FOOT', knee: 'FL_KFE' }, FR: { frame: 'FR_FOOT', knee: 'FR_KFE' }, HL: { frame: 'HL_FOOT', knee: 'HL_KFE' }, HR: { frame: 'HR_FOOT', knee: 'HR_KFE' } });
  });
});

describe('detection without an SRDF, and overrides', () => {
  const bare = path.join(tmp, 'bare');
  mkdirSync(bare, { recursive: true });
  // the URDF alone (its meshes unresolved: package:// with no package folder)
  copyFileSync(upstream.solo12, path.join(bare, 'quad.urdf'));

  it('legs are the leaf chains of 2+ joints; two or more legs mean a floating base', () => {
    const fixed = loadRobot(path.join(bare, 'quad.urdf'), { floating: false }).model;
    expect(detectFeet(fixed).map((l) => l.frame)).toEqual(FEET);
    expect(leafChains(fixed).every((l) => l.dofs === 3)).toBe(true);
    const { model, meta } = loadRobot(path.join(bare, 'quad.urdf'));
    expect(meta.srdf).toBeNull();
    expect(model.floating).toBe(true);
    expect(meta.why.floating).toMatch(/^detected: 4 legs/);
    expect(meta.contactFrames).toEqual(FEET);
    expect(meta.why.contactFrames).toMatch(/^detected/);
    // no posture: lift-leg says what is missing
    expect(meta.postures).toEqual({});
    expect(liftLeg.fits({ model, meta, warnings: [] }, 'quad')).toMatch(/robot 'quad' has no standing posture/);
  });

  it('a fixed-base chain: not legged; its end effector is the tip of the longest chain', () => {
    const { model, meta } = loadRobot(upstream.doublePendulum);
    expect(meta.floating).toBe(false);
    expect(meta.contactFrames).toEqual([]);
    expect(detectEndEffector(model)?.frame).toBe(meta.endEffector);
    expect(meta.endEffector).toBe('link2');
    expect(reach.fits({ model, meta, warnings: [] }, 'dp')).toBeNull();
    expect(swingUp.fits({ model, meta, warnings: [] }, 'dp')).toBeNull();
    expect(liftLeg.fits({ model, meta, warnings: [] }, 'dp')).toBe("robot 'dp' has a fixed base: lift-leg needs a legged robot with a floating base");
  });

  it('metadata overrides detection field by field; what it leaves out is still detected', () => {
    writeFileSync(path.join(bare, 'biped.json'), JSON.stringify({
      urdf: 'quad.urdf', contactFrames: ['FL_FOOT', 'FR_FOOT'], footRadius: 0.03,
      postures: { standing: { q: STANDING_12 } },
    }));
    const robot = loadRobot(path.join(bare, 'biped.json'));
    expect(robot.meta.floating).toBe(true);
    expect(robot.meta.why.floating).toMatch(/^detected/);
    expect(robot.meta.contactFrames).toEqual(['FL_FOOT', 'FR_FOOT']);
    expect(robot.meta.why.contactFrames).toBe('from biped.json');
    expect(footContactModel(robot).radii).toEqual([0.03, 0.03]);
    expect(liftLeg.fits(robot, 'biped')).toBeNull();
    // on two feet, FL and HL name the left one
    const legs = liftLegFeet(robot);
    expect([legs.FL.frame, legs.HL.frame, legs.FR.frame, legs.HR.frame]).toEqual(['FL_FOOT', 'FL_FOOT', 'FR_FOOT', 'FR_FOOT']);
    writeFileSync(path.join(bare, 'tri.json'), JSON.stringify({ urdf: 'quad.urdf', contactFrames: FEET.slice(0, 3), postures: { standing: { q: STANDING_12 } } }));
    expect(liftLeg.fits(loadRobot(path.join(bare, 'tri.json')), 'tri')).toBe("robot 'tri' has 3 contact frames (FL_FOOT, FR_FOOT, HL_FOOT): lift-leg needs 2, 4 or 6 feet");
    writeFileSync(path.join(bare, 'none.json'), JSON.stringify({ urdf: 'quad.urdf', floating: true, contactFrames: [] }));
    expect(liftLeg.fits(loadRobot(path.join(bare, 'none.json')), 'none')).toBe("robot 'none' has no contact frames: lift-leg needs ≥2 feet (2, 4 or 6)");
    writeFileSync(path.join(bare, 'badee.json'), JSON.stringify({ urdf: 'quad.urdf', endEffector: 'NOPE' }));
    expect(() => loadRobot(path.join(bare, 'badee.json'))).toThrow(/end effector 'NOPE' is not a link/);
  });
});
