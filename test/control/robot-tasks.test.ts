/**
 * Tasks parameterized by robot (server/control/tasks): reach on a fixed-base arm reaches its
 * point (checked by forward kinematics of our own, independently of the task's metric), the
 * upstream double pendulum (mesh-only collision geometry) builds for the arm tasks, and a robot
 * that lacks what a task needs is a RobotMismatchError naming it.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTask, resolveParams } from '../../server/control/tasks/index.ts';
import { RobotMismatchError } from '../../server/control/errors.ts';
import { plan } from '../../server/planning/planner.ts';
import { createData } from '../../server/dynamics/data.ts';
import { forwardKinematics, updateFramePlacements } from '../../server/dynamics/kinematics.ts';
import { frameIndex } from '../../server/model/model.ts';
import { ROBOT_DIRS_ENV, setRobotDirs } from '../../server/model/robot-catalog.ts';
import { repoRoot } from '../model/helpers.ts';

const saved = process.env[ROBOT_DIRS_ENV];
beforeAll(() => setRobotDirs([path.join(repoRoot, '../shared/robots/example-robot-data/robots/double_pendulum_description')]));
afterAll(() => { if (saved === undefined) delete process.env[ROBOT_DIRS_ENV]; else process.env[ROBOT_DIRS_ENV] = saved; });

const tipAt = (task: ReturnType<ReturnType<typeof getTask>['build']>, q: number[], frame: string) => {
  const d = createData(task.model);
  forwardKinematics(task.model, d, Float64Array.from(q));
  updateFramePlacements(task.model, d);
  const f = frameIndex(task.model, frame);
  return [d.oMf[12 * f + 9], d.oMf[12 * f + 10], d.oMf[12 * f + 11]];
};

describe('reach', () => {
  it('DDP brings the double pendulum tip to its start plus (dx, dy, dz) and stops there', async () => {
    const r = await plan({ task: 'reach', params: { dx: 0.1, dz: 0.1 }, solver: 'ddp', solverParams: { iterations: 40, backend: 'cpu' } });
    expect(r.robot).toBe('double_pendulum');
    const def = getTask('reach'), built = def.build(resolveParams(def, r.params));
    const start = tipAt(built, r.trajectory.q[0], 'tip'), end = tipAt(built, r.trajectory.q.at(-1)!, 'tip');
    const miss = Math.hypot(end[0] - (start[0] + 0.1), end[1] - start[1], end[2] - (start[2] + 0.1));
    expect(miss).toBeLessThan(0.01);
    expect(r.metrics.distance as number).toBeCloseTo(miss, 12);
    expect(r.success).toBe(true);
  });
});

describe('arm tasks on the upstream double pendulum (collision geometry: meshes only)', () => {
  it('builds reach and swing-up on it, its end effector detected, without its mesh collisions', () => {
    for (const name of ['reach', 'swing-up']) {
      const def = getTask(name);
      const built = def.build(resolveParams(def, { robot: 'double_pendulum_description-double_pendulum' }));
      expect(built.robot).toBe('double_pendulum_description-double_pendulum');
      expect(built.model.collisions.some((g) => g.shape.type === 'mesh')).toBe(false);
      expect(built.target?.()?.frame).toBe('link2');
      expect(built.x0).toHaveLength(4);
    }
  });

  it('a robot the task cannot run on is a RobotMismatchError naming what it lacks', () => {
    const def = getTask('lift-leg');
    const err = (() => { try { def.build(resolveParams(def, { robot: 'double_pendulum_description-double_pendulum' })); } catch (e) { return e; } return null; })();
    expect(err).toBeInstanceOf(RobotMismatchError);
    expect((err as RobotMismatchError).field).toBe('robot');
    expect((err as Error).message).toBe("robot 'double_pendulum_description-double_pendulum' has a fixed base: lift-leg needs a legged robot with a floating base");
    const unknown = (() => { try { def.build(resolveParams(def, { robot: 'nobody' })); } catch (e) { return e as RobotMismatchError; } return null; })();
    expect(unknown?.unknown).toBe(true);
    expect(unknown?.message).toMatch(/^unknown robot 'nobody'/);
  });
});
