/**
 * What the tasks on a fixed-base arm without contact (reach, swing-up) share: the check that a
 * robot is such an arm, the problem's set-up (the model without mesh collisions, an empty scene,
 * the simulator and dynamics, the knots, symmetric torque bounds, zero initial controls) and the
 * running cost (a weighted state regularization plus the torques' effort).
 */
import { Simulator } from '../../dynamics/step.ts';
import type { Scene } from '../../dynamics/scene.ts';
import type { Model } from '../../model/model.ts';
import type { LoadedRobot } from '../../model/robots.ts';
import { ControlRegularization, CostSum, StateRegularization } from '../cost.ts';
import { makeDynamics } from '../problem.ts';
import { taskRobot, withoutMeshCollisions } from './task-robot.ts';
import type { BuiltTask, TaskDefinition, TaskParams } from './types.ts';

/**
 * Why `task` cannot run on a robot, or null: it needs a fixed base, an actuated joint, whatever
 * `more` asks (e.g. revolute joints only), then an end effector, checked in that order.
 */
export function fixedArmFits({ model, meta }: LoadedRobot, id: string, task: string, more?: () => string | null): string | null {
  if (meta.floating) return `robot '${id}' has a floating base: ${task} needs a fixed-base arm`;
  if (model.nu === 0) return `robot '${id}' has no actuated joint: ${task} needs an arm`;
  const other = more?.() ?? null;
  if (other) return other;
  if (meta.endEffector === null) return `robot '${id}' has no end effector (metadata "endEffector" or a leaf frame): ${task} needs one`;
  return null;
}

/** A fixed-arm task's robot, and the parts of its BuiltTask every such task sets up the same way. */
export interface FixedArmProblem {
  robot: LoadedRobot & { id: string };
  /** The robot's model without mesh collisions (= common.model) and its nv. */
  model: Model;
  n: number;
  /** The end effector's frame (the task's fits checked there is one). */
  endEffector: string;
  dt: number;
  /** To spread into the BuiltTask. */
  common: Pick<BuiltTask, 'model' | 'scene' | 'sim' | 'dynamics' | 'T' | 'dt' | 'uLower' | 'uUpper' | 'uInit'>;
}

/** The task's robot (checked by def.fits) in an empty scene, `horizon / dt` knots, torques within ±torqueLimit, starting from zero. */
export function fixedArmProblem(def: TaskDefinition, params: TaskParams): FixedArmProblem {
  const robot = taskRobot(def, params);
  const model = withoutMeshCollisions(robot.model);
  const dt = params.dt as number, T = Math.max(1, Math.round((params.horizon as number) / dt));
  const scene: Scene = { ground: null, boxes: [] };
  const sim = new Simulator(model, scene, { dt });
  const lim = params.torqueLimit as number;
  return {
    robot, model, n: model.nv, endEffector: robot.meta.endEffector!, dt,
    common: {
      model, scene, sim, dynamics: makeDynamics(sim), T, dt,
      uLower: new Float64Array(model.nu).fill(-lim), uUpper: new Float64Array(model.nu).fill(lim),
      uInit: Array.from({ length: T }, () => new Float64Array(model.nu)),
    },
  };
}

/** Per-coordinate weights of a state [q; v] with nv = n: `position` on the first n, `velocity` on the rest. */
export function stateWeights(n: number, position: number, velocity: number): number[] {
  return Array.from({ length: 2 * n }, (_, i) => (i < n ? position : velocity));
}

/** The running cost: the state's distance to xRef with these weights, plus effortWeight |u|^2, both per second. */
export function armRunningCost(model: Model, dt: number, xRef: Float64Array, weights: number[], effortWeight: number): CostSum {
  return new CostSum(model)
    .add(new StateRegularization(model, { xRef, weights }), dt)
    .add(new ControlRegularization(model.nu, { weights: effortWeight }), dt);
}
