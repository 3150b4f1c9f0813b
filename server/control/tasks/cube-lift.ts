/**
 * cube-lift (seed Fig. 2): a 1 kg cube resting on the floor, pushed by a vertical force u along
 * a rail, must reach a target height at the final time, starting from zero force. At rest with
 * u < m g the contact absorbs any small change of u: the exact derivative of every future state
 * with respect to u is zero, so DDP sees no gradient; randomized smoothing does.
 */
import { defaultScene } from '../../dynamics/scene.ts';
import { Simulator } from '../../dynamics/step.ts';
import { posture } from '../../model/robots.ts';
import { ControlRegularization, CostSum, StateRegularization } from '../cost.ts';
import { makeDynamics } from '../problem.ts';
import { framePositionAt } from './target.ts';
import { taskRobot } from './task-robot.ts';
import type { TaskDefinition } from './types.ts';

export const cubeLift: TaskDefinition = {
  name: 'cube-lift',
  title: 'Lift a resting cube',
  description: 'A cube on a vertical rail rests on the floor; a vertical force must bring it to a target height at the final time, starting from zero force (seed paper, Fig. 2).',
  robot: 'cube_rail',
  needs: "the project's cube on its vertical rail (cube_rail)",
  // the task is the seed's 1-dof example: its costs and force bound are in the rail's units
  fits: (_r, id) => (id === 'cube_rail' ? null : `robot '${id}' is not the cube on its rail: cube-lift runs on cube_rail only`),
  params: [
    { name: 'height', type: 'number', default: 0.3, min: 0.06, max: 1.5, unit: 'm', description: 'target height of the cube centre at the final time' },
    { name: 'initialHeight', type: 'number', default: 0.05, min: 0.05, max: 1.5, unit: 'm', description: 'height of the cube centre at the start, at rest (0.05: on the floor; above, it starts falling); e.g. from a pose estimate (Perception tab)' },
    { name: 'horizon', type: 'number', default: 1, min: 0.1, max: 5, unit: 's', description: 'duration of the plan' },
    { name: 'dt', type: 'number', default: 0.02, min: 0.002, max: 0.05, unit: 's', description: 'time step' },
    { name: 'forceLimit', type: 'number', default: 30, min: 10, max: 40, unit: 'N', description: 'bound on the force' },
    { name: 'heightWeight', type: 'number', default: 1000, min: 1, max: 1e6, description: 'terminal weight of the height error (per m^2)' },
    { name: 'velocityWeight', type: 'number', default: 10, min: 0, max: 1e5, description: 'terminal weight of the final velocity (per (m/s)^2)' },
    { name: 'effortWeight', type: 'number', default: 1e-4, min: 0, max: 1, description: 'running weight of the force (per N^2 s)' },
  ],
  // the noise must reach the weight (9.81 N) from zero force for some samples to lift the cube
  solverDefaults: { sigma0: 20, iterations: 40 },
  // a default plan takes about a second: a minute is generous
  timeLimitS: 60,
  build(params) {
    const { model, meta } = taskRobot(cubeLift, params);
    const dt = params.dt as number, T = Math.max(1, Math.round((params.horizon as number) / dt));
    const scene = defaultScene();
    const sim = new Simulator(model, scene, { dt });
    const dynamics = makeDynamics(sim);
    // at rest: on the floor (the 'resting' posture, 0.05 m) by default, or held higher and let go
    const rest = posture(meta, model, 'resting');
    const x0 = new Float64Array([Math.max(rest[0], params.initialHeight as number), 0]);
    const target = params.height as number;
    // running: small effort penalty (the force is what lifts: no gravity compensation reference)
    const running = new CostSum(model).add(new ControlRegularization(1, { weights: params.effortWeight as number }), dt);
    const xRef = new Float64Array([target, 0]);
    const terminal = new CostSum(model).add(new StateRegularization(model, { xRef, weights: [params.heightWeight as number, params.velocityWeight as number] }), 1);
    const lim = params.forceLimit as number;
    const uInit = Array.from({ length: T }, () => new Float64Array(1));
    return {
      task: 'cube-lift', robot: 'cube_rail', model, scene, sim, dynamics, running, terminal, x0, T, dt,
      uLower: new Float64Array([-lim]), uUpper: new Float64Array([lim]), uInit, params,
      metrics(xs) {
        const h = xs[xs.length - 1][0];
        return { finalHeight: h, targetHeight: target, heightError: Math.abs(h - target) };
      },
      success(m) { return (m.heightError as number) < 0.01; },
      // the cube centre at the target height (the rail's q is the centre's height)
      target() { return { label: `cube at ${target} m`, frame: 'cube', position: framePositionAt(model, [target], 'cube'), radius: 0.02 }; },
      keyQuantity(xs) { return { label: 'cube height', unit: 'm', values: xs.map((x) => x[0]), target }; },
    };
  },
};
