/**
 * swing-up: the double pendulum from hanging down to upright. A smooth problem (no contact)
 * where DDP converges fast; it guards the solvers against regressions.
 */
import { Simulator } from '../../dynamics/step.ts';
import { loadRobot } from '../../model/robots.ts';
import { ControlRegularization, CostSum, StateRegularization } from '../cost.ts';
import { makeDynamics } from '../problem.ts';
import { framePositionAt } from './target.ts';
import type { TaskDefinition } from './types.ts';

export const swingUp: TaskDefinition = {
  name: 'swing-up',
  title: 'Double pendulum swing-up',
  description: 'Swing the double pendulum from hanging down to upright at the final time.',
  robot: 'double_pendulum',
  params: [
    { name: 'horizon', type: 'number', default: 1.5, min: 0.3, max: 5, unit: 's', description: 'duration of the plan' },
    { name: 'dt', type: 'number', default: 0.02, min: 0.002, max: 0.05, unit: 's', description: 'time step' },
    { name: 'torqueLimit', type: 'number', default: 2, min: 0.1, max: 5, unit: 'N m', description: 'joint torque bound' },
    { name: 'angleWeight', type: 'number', default: 100, min: 0, max: 1e6, description: 'terminal weight of the angle errors (per rad^2); the running weight is 1 % of it' },
    { name: 'velocityWeight', type: 'number', default: 10, min: 0, max: 1e5, description: 'terminal weight of the joint velocities (per (rad/s)^2); the running weight is 1 % of it' },
    { name: 'effortWeight', type: 'number', default: 0.1, min: 0, max: 100, description: 'running weight of the torques (per (N m)^2 s)' },
  ],
  solverDefaults: { sigma0: 0.2, iterations: 60 },
  build(params) {
    const { model } = loadRobot('double_pendulum');
    const dt = params.dt as number, T = Math.max(1, Math.round((params.horizon as number) / dt));
    const scene = { ground: null, boxes: [] };
    const sim = new Simulator(model, scene, { dt });
    const dynamics = makeDynamics(sim);
    const x0 = new Float64Array(4);
    const up = new Float64Array([Math.PI, 0, 0, 0]);
    const wa = params.angleWeight as number, wv = params.velocityWeight as number;
    const running = new CostSum(model)
      .add(new StateRegularization(model, { xRef: up, weights: [wa / 100, wa / 100, wv / 100, wv / 100] }), dt)
      .add(new ControlRegularization(2, { weights: params.effortWeight as number }), dt);
    const terminal = new CostSum(model).add(new StateRegularization(model, { xRef: up, weights: [wa, wa, wv, wv] }), 1);
    const lim = params.torqueLimit as number;
    return {
      task: 'swing-up', robot: 'double_pendulum', model, scene, sim, dynamics, running, terminal, x0, T, dt,
      uLower: new Float64Array(2).fill(-lim), uUpper: new Float64Array(2).fill(lim),
      uInit: Array.from({ length: T }, () => new Float64Array(2)), params,
      metrics(xs) {
        const xT = xs[xs.length - 1];
        const err = Math.hypot(Math.atan2(Math.sin(xT[0] - Math.PI), Math.cos(xT[0] - Math.PI)), Math.atan2(Math.sin(xT[1]), Math.cos(xT[1])));
        return { angleError: err, finalVelocity: Math.hypot(xT[2], xT[3]) };
      },
      success(m) { return (m.angleError as number) < 0.05 && (m.finalVelocity as number) < 0.5; },
      // the tip with the pendulum upright (q = up)
      target() { return { label: 'tip upright', frame: 'tip', position: framePositionAt(model, up.subarray(0, 2), 'tip'), radius: 0.03 }; },
      keyQuantity(xs) { return { label: 'first joint angle', unit: 'rad', values: xs.map((x) => x[0]), target: Math.PI }; },
    };
  },
};
