/**
 * reach: a fixed-base arm (the double pendulum by default) starts at rest in its first posture
 * (else q = 0) and must bring its end effector to a target point, given as an offset from where
 * the end effector starts, and hold still there at the final time. No contact: a smooth problem
 * on any arm, the counterpart of swing-up for robots that are not pendulums.
 */
import { posture } from '../../model/robots.ts';
import { CostSum, FramePosition, StateRegularization } from '../cost.ts';
import { armRunningCost, fixedArmFits, fixedArmProblem, stateWeights } from './fixed-arm.ts';
import { framePositionAt } from './target.ts';
import type { TaskDefinition } from './types.ts';
import type { LoadedRobot } from '../../model/robots.ts';

/** Success: end effector within 1 cm of the target, every joint under 0.5 rad/s at the end. */
export const REACH_SUCCESS = { distance: 0.01, jointSpeed: 0.5 } as const;

/** Why reach cannot run on a robot, or null. */
export function reachFits(robot: LoadedRobot, id: string): string | null {
  return fixedArmFits(robot, id, 'reach');
}

export const reach: TaskDefinition = {
  name: 'reach',
  title: 'Reach a point with the end effector',
  description: 'A fixed-base arm must bring its end effector to a target point (an offset from where it starts) and be still there at the final time.',
  robot: 'double_pendulum',
  needs: 'a fixed-base arm with an end effector (metadata "endEffector", an SRDF end effector or the tip of its longest chain)',
  fits: reachFits,
  params: [
    { name: 'dx', type: 'number', default: 0.1, min: -2, max: 2, unit: 'm', description: 'target: x offset from the end effector\'s start' },
    { name: 'dy', type: 'number', default: 0, min: -2, max: 2, unit: 'm', description: 'target: y offset from the end effector\'s start' },
    { name: 'dz', type: 'number', default: 0.1, min: -2, max: 2, unit: 'm', description: 'target: z offset from the end effector\'s start' },
    { name: 'horizon', type: 'number', default: 1, min: 0.2, max: 5, unit: 's', description: 'duration of the plan' },
    { name: 'dt', type: 'number', default: 0.02, min: 0.002, max: 0.05, unit: 's', description: 'time step' },
    { name: 'torqueLimit', type: 'number', default: 2, min: 0.1, max: 500, unit: 'N m', description: 'joint torque bound' },
    { name: 'positionWeight', type: 'number', default: 1000, min: 1, max: 1e7, description: 'terminal weight of the end effector\'s position error (per m^2)' },
    { name: 'velocityWeight', type: 'number', default: 1, min: 0, max: 1e5, description: 'terminal weight of the joint velocities (per (rad/s)^2)' },
    { name: 'effortWeight', type: 'number', default: 0.01, min: 0, max: 100, description: 'running weight of the torques (per (N m)^2 s)' },
  ],
  solverDefaults: { sigma0: 0.2, iterations: 40 },
  build(params) {
    const arm = fixedArmProblem(reach, params);
    const { robot, model, n, dt, endEffector: ee } = arm;
    const q0 = posture(robot.meta, model);
    const x0 = new Float64Array(model.nq + n);
    x0.set(q0);
    const start = framePositionAt(model, q0, ee);
    const goal: [number, number, number] = [start[0] + (params.dx as number), start[1] + (params.dy as number), start[2] + (params.dz as number)];
    const wv = params.velocityWeight as number;
    // running: small velocity and effort penalties; terminal: the point, and still
    const running = armRunningCost(model, dt, x0, stateWeights(n, 0, wv / 100), params.effortWeight as number);
    const terminal = new CostSum(model)
      .add(new FramePosition(model, { frame: ee, target: goal, weights: params.positionWeight as number, name: `reach:${ee}` }), 1)
      .add(new StateRegularization(model, { xRef: x0, weights: stateWeights(n, 0, wv) }), 1);
    const where = (x: Float64Array) => framePositionAt(model, x.subarray(0, model.nq), ee);
    return {
      ...arm.common, task: 'reach', robot: robot.id, running, terminal, x0, params,
      metrics(xs) {
        const xT = xs[xs.length - 1], p = where(xT);
        let speed = 0;
        for (let i = 0; i < n; i++) speed = Math.max(speed, Math.abs(xT[model.nq + i]));
        return { endEffector: ee, distance: Math.hypot(p[0] - goal[0], p[1] - goal[1], p[2] - goal[2]), maxJointSpeed: speed };
      },
      success(m) { return (m.distance as number) < REACH_SUCCESS.distance && (m.maxJointSpeed as number) < REACH_SUCCESS.jointSpeed; },
      target() { return { label: `${ee} target`, frame: ee, position: goal, radius: 0.02 }; },
      keyQuantity(xs) {
        return { label: `${ee} distance to target`, unit: 'm', values: xs.map((x) => { const p = where(x); return Math.hypot(p[0] - goal[0], p[1] - goal[1], p[2] - goal[2]); }), target: 0 };
      },
    };
  },
};
