/**
 * lift-leg (seed Figs. 3-4): Solo-12 starts standing in its reference posture, feet on the
 * ground, under static-equilibrium torques; at the final time the chosen foot must be at a
 * target height above the ground while the other three stay on the ground. Lifting needs the
 * contact to break: classical DDP gets null gradients from the sticking foot and only bends
 * the leg; R-DDP breaks the contact.
 */
import { createData } from '../../dynamics/data.ts';
import { forwardKinematics, updateFramePlacements } from '../../dynamics/kinematics.ts';
import { defaultScene } from '../../dynamics/scene.ts';
import { staticEquilibrium } from '../../dynamics/statics.ts';
import { Simulator } from '../../dynamics/step.ts';
import { frameIndex } from '../../model/model.ts';
import { loadRobot, posture } from '../../model/robots.ts';
import { ControlRegularization, CostSum, FramePosition, StateRegularization } from '../cost.ts';
import { makeDynamics } from '../problem.ts';
import type { TaskDefinition } from './types.ts';

const FEET = ['FL', 'FR', 'HL', 'HR'] as const;
/** Foot sphere radius (robots/solo12.urdf): the foot frame sits this high above the ground at contact. */
const FOOT_RADIUS = 0.016;

export const liftLeg: TaskDefinition = {
  name: 'lift-leg',
  title: 'Lift one leg of Solo-12',
  description: 'Solo-12 stands on four feet; at the final time the chosen foot must be at a target height while the other three stay on the ground (seed paper, Figs. 3-4).',
  robot: 'solo12',
  params: [
    { name: 'foot', type: 'enum', default: 'FL', options: [...FEET], description: 'foot to lift' },
    { name: 'height', type: 'number', default: 0.05, min: 0.005, max: 0.15, unit: 'm', description: 'target height of the foot above the ground at the final time' },
    { name: 'horizon', type: 'number', default: 1, min: 0.1, max: 3, unit: 's', description: 'duration of the plan' },
    { name: 'dt', type: 'number', default: 0.01, min: 0.002, max: 0.05, unit: 's', description: 'time step' },
    { name: 'torqueLimit', type: 'number', default: 2.7, min: 0.5, max: 10, unit: 'N m', description: 'joint torque bound (Solo actuator peak about 2.7 N m)' },
  ],
  solverDefaults: { sigma0: 0.5, iterations: 60 },
  build(params) {
    const { model, meta } = loadRobot('solo12');
    const dt = params.dt as number, T = Math.max(1, Math.round((params.horizon as number) / dt));
    const scene = defaultScene();
    const sim = new Simulator(model, scene, { dt });
    const dynamics = makeDynamics(sim);
    // standing posture with the feet exactly on the ground
    const q0 = posture(meta, model, 'standing');
    const data = createData(model);
    forwardKinematics(model, data, q0);
    updateFramePlacements(model, data);
    const footIds = FEET.map((f) => frameIndex(model, `${f}_FOOT`));
    const footZ = Math.min(...footIds.map((id) => data.oMf[12 * id + 11]));
    q0[2] += FOOT_RADIUS - footZ;
    forwardKinematics(model, data, q0);
    updateFramePlacements(model, data);
    const footPos = footIds.map((id) => Array.from(data.oMf.subarray(12 * id + 9, 12 * id + 12)));
    const x0 = new Float64Array(model.nq + model.nv);
    x0.set(q0);
    const eq = staticEquilibrium(model, q0, meta.contactFrames);
    const lifted = FEET.indexOf(params.foot as (typeof FEET)[number]);
    const height = params.height as number;

    // weights (cost units; running terms are multiplied by dt)
    const nv = model.nv;
    const wState = new Float64Array(2 * nv);
    for (let i = 0; i < 6; i++) wState[i] = 10; // base pose
    for (let i = 6; i < nv; i++) wState[i] = 0.1; // joint posture (the lifted leg must be free to move)
    for (let i = nv; i < 2 * nv; i++) wState[i] = 0.1; // velocities
    const running = new CostSum(model)
      .add(new StateRegularization(model, { xRef: x0, weights: wState }), dt)
      .add(new ControlRegularization(model.nu, { uRef: eq.tau, weights: 0.1 }), dt);
    // terminal state: base pose as above, base velocity 1 (the robot must end still, not tipping
    // or bouncing); joint velocities only 0.01: the task is a final pose, and the light leg that
    // has just broken contact must be free to move in the first R-DDP steps (with weight 1 every
    // step that lifts the foot ends with the leg still swinging and costs more than it gains, so
    // the line search rejects them all); the small weight still brings the leg to rest
    // (< ~2.5 rad/s) once the foot is lifted.
    const wTerm = wState.map((w, i) => (i >= nv + 6 ? 0.01 : i >= nv ? 1 : w));
    const terminal = new CostSum(model).add(new StateRegularization(model, { xRef: x0, weights: wTerm }), 1);
    // lifted foot's height: 5000 so that a 1 cm miss (0.25) outweighs the cost of the base and
    // posture disturbance the lift needs (about 0.1); the other feet: position at the end and
    // along the way.
    footIds.forEach((id, k) => {
      const target = footPos[k].slice();
      if (k === lifted) target[2] = FOOT_RADIUS + height;
      const term = new FramePosition(model, { frame: id, target, weights: k === lifted ? [100, 100, 5000] : [100, 100, 100], name: `foot:${FEET[k]}` });
      terminal.add(term, 1);
      if (k !== lifted) running.add(new FramePosition(model, { frame: id, target: footPos[k], weights: 100, name: `stance:${FEET[k]}` }), dt);
    });

    const lim = params.torqueLimit as number;
    const uInit = Array.from({ length: T }, () => Float64Array.from(eq.tau));
    return {
      task: 'lift-leg', robot: 'solo12', model, scene, sim, dynamics, running, terminal, x0, T, dt,
      uLower: new Float64Array(model.nu).fill(-lim), uUpper: new Float64Array(model.nu).fill(lim), uInit, params,
      metrics(xs) {
        const d = createData(model);
        const xT = xs[xs.length - 1];
        forwardKinematics(model, d, xT.subarray(0, model.nq));
        updateFramePlacements(model, d);
        const heights = footIds.map((id) => d.oMf[12 * id + 11] - FOOT_RADIUS);
        const others = heights.filter((_, k) => k !== lifted);
        return {
          foot: FEET[lifted],
          footHeight: heights[lifted],
          targetHeight: height,
          footError: Math.abs(heights[lifted] - height),
          otherFeetMaxHeight: Math.max(...others),
          baseHeight: xT[2],
        };
      },
      success(m) { return (m.footError as number) < 0.01 && (m.otherFeetMaxHeight as number) < 0.005; },
      trace(xs) {
        const d = createData(model), id = footIds[lifted];
        const values = xs.map((x) => {
          forwardKinematics(model, d, x.subarray(0, model.nq));
          updateFramePlacements(model, d);
          return d.oMf[12 * id + 11] - FOOT_RADIUS;
        });
        return { label: `${FEET[lifted]} foot height`, unit: 'm', values, target: height };
      },
    };
  },
};
