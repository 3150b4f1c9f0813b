/**
 * swing-up: a pendulum chain (the double pendulum by default; any fixed-base robot of revolute
 * joints that hangs down at q = 0) from hanging down to upright: the first joint at pi, the
 * others at 0. A smooth problem (no contact) where DDP converges fast; it guards the solvers
 * against regressions.
 */
import { JOINT_REVOLUTE } from '../../model/model.ts';
import type { LoadedRobot } from '../../model/robots.ts';
import { CostSum, StateRegularization } from '../cost.ts';
import { armRunningCost, fixedArmFits, fixedArmProblem, stateWeights } from './fixed-arm.ts';
import { framePositionAt } from './target.ts';
import type { TaskDefinition } from './types.ts';

/** Why swing-up cannot run on a robot, or null. */
export function pendulumFits(robot: LoadedRobot, id: string, task = 'swing-up'): string | null {
  const { model } = robot;
  return fixedArmFits(robot, id, task, () => {
    for (let j = 1; j < model.njoints; j++) {
      if (model.jointTypes[j] !== JOINT_REVOLUTE) return `robot '${id}': joint '${model.jointNames[j]}' is not revolute: ${task} needs a chain of revolute joints`;
    }
    return null;
  });
}

export const swingUp: TaskDefinition = {
  name: 'swing-up',
  title: 'Double pendulum swing-up',
  description: 'Swing the double pendulum from hanging down to upright at the final time.',
  robot: 'double_pendulum',
  needs: 'a fixed-base chain of revolute joints hanging down at q = 0, with an end effector',
  fits: (r, id) => pendulumFits(r, id),
  params: [
    { name: 'horizon', type: 'number', default: 1.5, min: 0.3, max: 5, unit: 's', description: 'duration of the plan' },
    { name: 'dt', type: 'number', default: 0.02, min: 0.002, max: 0.05, unit: 's', description: 'time step' },
    { name: 'torqueLimit', type: 'number', default: 2, min: 0.1, max: 100, unit: 'N m', description: 'joint torque bound' },
    { name: 'angleWeight', type: 'number', default: 100, min: 0, max: 1e6, description: 'terminal weight of the angle errors (per rad^2); the running weight is 1 % of it' },
    { name: 'velocityWeight', type: 'number', default: 10, min: 0, max: 1e5, description: 'terminal weight of the joint velocities (per (rad/s)^2); the running weight is 1 % of it' },
    { name: 'effortWeight', type: 'number', default: 0.1, min: 0, max: 100, description: 'running weight of the torques (per (N m)^2 s)' },
  ],
  solverDefaults: { sigma0: 0.2, iterations: 60 },
  build(params) {
    const arm = fixedArmProblem(swingUp, params);
    const { robot, model, n, dt, endEffector: tip } = arm;
    const x0 = new Float64Array(2 * n);
    const up = new Float64Array(2 * n);
    up[0] = Math.PI;
    const w = stateWeights(n, params.angleWeight as number, params.velocityWeight as number);
    const running = armRunningCost(model, dt, up, w.map((x) => x / 100), params.effortWeight as number);
    const terminal = new CostSum(model).add(new StateRegularization(model, { xRef: up, weights: w }), 1);
    return {
      ...arm.common, task: 'swing-up', robot: robot.id, running, terminal, x0, params,
      metrics(xs) {
        const xT = xs[xs.length - 1];
        const wrap = (a: number) => Math.atan2(Math.sin(a), Math.cos(a));
        const err = Math.hypot(...Array.from({ length: n }, (_, i) => wrap(xT[i] - up[i])));
        return { angleError: err, finalVelocity: Math.hypot(...Array.from(xT.subarray(n))) };
      },
      success(m) { return (m.angleError as number) < 0.05 && (m.finalVelocity as number) < 0.5; },
      // the tip with the pendulum upright (q = up)
      target() { return { label: `${tip} upright`, frame: tip, position: framePositionAt(model, up.subarray(0, n), tip), radius: 0.03 }; },
      keyQuantity(xs) { return { label: 'first joint angle', unit: 'rad', values: xs.map((x) => x[0]), target: Math.PI }; },
    };
  },
};
