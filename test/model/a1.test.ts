/**
 * A quadruped nobody here wrote, copied into test/data/ with its licence: Unitree's A1 from
 * example-robot-data (URDF + SRDF, no metadata, no visual meshes). lift-leg finds what it needs
 * from the SRDF and the collision spheres of its feet, and stands it under static-equilibrium
 * torques within its URDF's effort limit (33.5 N m), not Solo's 2.7.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadRobot } from '../../server/model/robots.ts';
import { footContactModel, liftLegFeet } from '../../server/control/tasks/lift-leg.ts';
import { staticEquilibrium } from '../../server/dynamics/statics.ts';
import { posture } from '../../server/model/robots.ts';

const A1 = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../data/robots/a1_description/urdf/a1.urdf');

describe('Unitree A1 (test/data/, from example-robot-data)', () => {
  it('floating base, four feet with their collision spheres and the standing posture, from its SRDF', () => {
    const robot = loadRobot(A1);
    const { model, meta } = robot;
    expect(meta.metaFile).toBeNull();
    expect(meta.floating).toBe(true);
    expect(model.nq).toBe(19);
    expect(meta.contactFrames).toEqual(['FL_foot', 'FR_foot', 'RL_foot', 'RR_foot']);
    expect(footContactModel(robot).radii).toEqual([0.02, 0.02, 0.02, 0.02]);
    expect(footContactModel(robot).stated).toEqual([true, true, true, true]);
    expect(liftLegFeet(robot).HL.frame).toBe('RL_foot');
    const q = posture(meta, model, 'standing');
    expect(q.length).toBe(19);
    // standing on four feet needs more than Solo's 2.7 N m and less than A1's 33.5 N m
    const eq = staticEquilibrium(model, Float64Array.from(q), meta.contactFrames);
    const peak = Math.max(...Array.from(eq.tau, Math.abs));
    expect(peak).toBeGreaterThan(2.7);
    expect(peak).toBeLessThan(33.5);
  });
});
