/**
 * lift-leg on six feet: a hexapod URDF written here (three legs a side, hip and knee about y,
 * a foot sphere at each tip), whose feet and floating base are detected; with a standing
 * posture in its metadata, lift-leg picks the foot by where it stands and plans.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRobot } from '../../server/model/robots.ts';
import { liftLeg, liftLegFeet } from '../../server/control/tasks/lift-leg.ts';
import { resolveParams } from '../../server/control/tasks/index.ts';
import { plan } from '../../server/planning/planner.ts';
import { ROBOT_DIRS_ENV, setRobotDirs } from '../../server/model/robot-catalog.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'rsddp-hexapod-'));
const saved = process.env[ROBOT_DIRS_ENV];
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  if (saved === undefined) delete process.env[ROBOT_DIRS_ENV]; else process.env[ROBOT_DIRS_ENV] = saved;
});

const inertial = (m: number) => `<inertial><mass value="${m}"/><inertia ixx="${m * 1e-3}" iyy="${m * 1e-3}" izz="${m * 1e-3}" ixy="0" ixz="0" iyz="0"/></inertial>`;
const LEGS = [['L1', 0.15, 0.1], ['L2', 0, 0.1], ['L3', -0.15, 0.1], ['R1', 0.15, -0.1], ['R2', 0, -0.1], ['R3', -0.15, -0.1]] as const;
const urdf = `<robot name="hexapod">
  <link name="base">${inertial(2)}<collision><geometry><box size="0.4 0.2 0.05"/></geometry></collision></link>
  ${LEGS.map(([n, x, y]) => `
  <joint name="${n}_HIP" type="revolute"><parent link="base"/><child link="${n}_UPPER"/><origin xyz="${x} ${y} 0"/><axis xyz="0 1 0"/><limit lower="-3" upper="3" effort="10" velocity="10"/></joint>
  <link name="${n}_UPPER">${inertial(0.1)}</link>
  <joint name="${n}_KNEE" type="revolute"><parent link="${n}_UPPER"/><child link="${n}_LOWER"/><origin xyz="0 0 -0.1"/><axis xyz="0 1 0"/><limit lower="-3" upper="3" effort="10" velocity="10"/></joint>
  <link name="${n}_LOWER">${inertial(0.1)}</link>
  <joint name="${n}_ANKLE" type="fixed"><parent link="${n}_LOWER"/><child link="${n}_FOOT"/><origin xyz="0 0 -0.1"/></joint>
  <link name="${n}_FOOT">${inertial(0.01)}<collision><geometry><sphere radius="0.015"/></geometry></collision></link>`).join('')}
</robot>`;
writeFileSync(path.join(dir, 'hexapod.urdf'), urdf);
// bent knees: straight legs would be singular for the stance
const q = [0, 0, 0.2, 0, 0, 0, 1, ...LEGS.flatMap(() => [0.4, -0.8])];
writeFileSync(path.join(dir, 'hexapod6.json'), JSON.stringify({ urdf: 'hexapod.urdf', postures: { standing: { q } } }));

describe('lift-leg on a hexapod', () => {
  it('detects six feet and a floating base; without a posture lift-leg says so', () => {
    const r = loadRobot(path.join(dir, 'hexapod.urdf'));
    expect(r.meta.floating).toBe(true);
    expect(r.meta.why.floating).toMatch(/^detected: 6 legs/);
    expect(r.meta.contactFrames).toEqual(LEGS.map(([n]) => `${n}_FOOT`));
    expect(liftLeg.fits(r, 'hexapod')).toMatch(/has no standing posture/);
  });

  it('with a standing posture: the foot codes name the corner feet, and DDP and R-DDP plan on six contacts', async () => {
    const r = loadRobot(path.join(dir, 'hexapod6.json'));
    expect(liftLeg.fits(r, 'hexapod6')).toBeNull();
    const legs = liftLegFeet(r);
    expect(Object.fromEntries(Object.entries(legs).map(([k, v]) => [k, v.frame]))).toEqual({ FL: 'L1_FOOT', FR: 'R1_FOOT', HL: 'L3_FOOT', HR: 'R3_FOOT' });
    expect(legs.HL.knee).toBe('L3_KNEE');
    setRobotDirs([dir]);
    const built = liftLeg.build(resolveParams(liftLeg, { robot: 'hexapod6', foot: 'HL', horizon: 0.2, dt: 0.02 }));
    // standing: every foot sphere on the ground
    const m0 = built.metrics([built.x0], []);
    expect(Math.abs(m0.footHeight as number)).toBeLessThan(1e-12);
    expect(m0.otherFeetMaxHeight as number).toBeLessThan(1e-12);
    expect(m0.footFrame).toBe('L3_FOOT');
    // at rest under the static-equilibrium torques (six feet carry the weight): it stays at rest
    const x1 = built.sim.step(built.x0, built.uInit[0]);
    const nq = built.model.nq;
    expect(Math.max(...Array.from(x1.subarray(nq), Math.abs))).toBeLessThan(1e-6);
    for (const solver of ['ddp', 'rddp'] as const) {
      const res = await plan({ task: 'lift-leg', params: { robot: 'hexapod6', foot: 'HL', horizon: 0.2, dt: 0.02 }, solver, solverParams: { iterations: 3, samples: 8, backend: 'cpu' } });
      expect(res.robot).toBe('hexapod6');
      expect(Number.isFinite(res.cost)).toBe(true);
      expect(res.cost).toBeLessThanOrEqual(res.initialCost * (1 + 1e-9));
    }
  });
});
