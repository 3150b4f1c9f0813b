/**
 * Two more quadrupeds nobody here wrote, copied into test/data/ with their licences from
 * example-robot-data (URDF + SRDF, no metadata, no meshes): Unitree Go1 and ANYmal C. lift-leg
 * finds four feet and a standing posture from each SRDF, and the standing robot's
 * static-equilibrium torques fit within its URDF's effort limits (its own torque bound, read
 * back here from the URDF text) but not within Solo's 2.7 N m.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadRobot, posture } from '../../server/model/robots.ts';
import { totalMass } from '../../server/model/model.ts';
import { footContactModel, liftLegFeet, liftLegFits, liftLegTorqueBound } from '../../server/control/tasks/lift-leg.ts';
import { staticEquilibrium } from '../../server/dynamics/statics.ts';

const DATA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../data/robots');

const CASES = [
  { name: 'Go1', urdf: 'go1_description/urdf/go1.urdf', feet: ['FL_foot', 'FR_foot', 'RL_foot', 'RR_foot'], HL: 'RL_foot', spheres: true },
  { name: 'ANYmal C', urdf: 'anymal_c_simple_description/urdf/anymal.urdf', feet: ['LF_FOOT', 'RF_FOOT', 'LH_FOOT', 'RH_FOOT'], HL: 'LH_FOOT', spheres: false },
];

describe('Go1 and ANYmal C (test/data/, from example-robot-data)', () => {
  for (const c of CASES) {
    it(`${c.name}: floating base, four feet and the standing posture from its SRDF; stands within its URDF's efforts`, () => {
      const file = path.join(DATA, c.urdf);
      const robot = loadRobot(file);
      const { model, meta } = robot;
      expect(meta.metaFile).toBeNull();
      expect(meta.srdf).not.toBeNull();
      expect(meta.floating).toBe(true);
      expect(model.nq).toBe(19);
      expect(meta.contactFrames).toEqual(c.feet);
      expect(liftLegFits(robot, c.name)).toBeNull();
      expect(liftLegFeet(robot).HL.frame).toBe(c.HL);
      // Go1's feet carry collision spheres centred on them; ANYmal's sphere sits 2.25 cm above
      // its foot frame, so lift-leg puts its default contact sphere there
      expect(footContactModel(robot).stated).toEqual(new Array(4).fill(c.spheres));
      // the standing posture: the SRDF's group_state, every foot below the base
      const q = posture(meta, model, 'standing');
      expect(q.length).toBe(19);
      // its torque bound: the URDF's efforts (from the text)
      const efforts = [...readFileSync(file, 'utf8').matchAll(/effort="([^"]+)"/g)].map((m) => Number(m[1]));
      const bound = liftLegTorqueBound(robot, 0).bound;
      expect(Math.min(...bound)).toBe(Math.min(...efforts));
      // standing on four feet: static-equilibrium torques within the bound, above Solo's 2.7 N m
      const eq = staticEquilibrium(model, Float64Array.from(q), meta.contactFrames);
      const peak = Math.max(...Array.from(eq.tau, Math.abs));
      expect(peak).toBeGreaterThan(2.7);
      eq.tau.forEach((t, k) => expect(Math.abs(t)).toBeLessThan(bound[k]));
      // and the contact forces carry the weight
      expect(totalMass(model)).toBeGreaterThan(10);
    });
  }
});
