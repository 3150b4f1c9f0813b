/**
 * lift-leg (seed Figs. 3-4): Solo-12 starts standing in its reference posture, feet on the
 * ground, under static-equilibrium torques; at the final time the chosen foot must be at a
 * target height above the ground while the other three stay on the ground. Lifting needs the
 * contact to break, which is where the seed says classical DDP fails (it "bends its leg
 * instead of lifting it") and R-DDP succeeds. Two formulations of the same goal:
 * - objective 'foot': a terminal cost on the lifted foot's position (height weight
 *   `footWeight`), the rest held by regularization to the standing state;
 * - objective 'pose' (the seed's wording, "reach a final target pose"): a terminal cost on the
 *   whole configuration (weight `poseWeight`) toward the stance found by inverse kinematics
 *   with the chosen foot at the target height and the other three where they stand.
 * Both keep the stance feet on the ground along the way and at the end. Success is the same
 * physical test for both (SUCCESS below), stated before any run of the study.
 */
import { createData } from '../../dynamics/data.ts';
import { forwardKinematics, updateFramePlacements } from '../../dynamics/kinematics.ts';
import { defaultScene } from '../../dynamics/scene.ts';
import { staticEquilibrium } from '../../dynamics/statics.ts';
import { Simulator } from '../../dynamics/step.ts';
import { frameIndex } from '../../model/model.ts';
import { loadRobot, posture } from '../../model/robots.ts';
import { solvePointIk } from '../../dynamics/inverse-kinematics.ts';
import { ControlRegularization, CostSum, FramePosition, StateRegularization } from '../cost.ts';
import { makeDynamics } from '../problem.ts';
import type { TaskDefinition } from './types.ts';

const FEET = ['FL', 'FR', 'HL', 'HR'] as const;
/** Foot sphere radius (robots/solo12.urdf): the foot frame sits this high above the ground at contact. */
const FOOT_RADIUS = 0.016;

/**
 * Success, for every objective: the lifted foot within 1 cm of its target height, the other
 * feet within 5 mm of the ground, the base within 2 cm of its standing height (a robot that
 * jumped or sagged did not "lift a leg"), and every joint slower than 0.5 rad/s at the final
 * time (with the leg's ~0.3 m lever the foot then moves under ~15 cm/s: it stays within its
 * 1 cm tolerance for a few tens of milliseconds at least, rather than flicking through it).
 */
export const SUCCESS = { footError: 0.01, otherFeet: 0.005, baseBand: 0.02, jointSpeed: 0.5 } as const;

export const liftLeg: TaskDefinition = {
  name: 'lift-leg',
  title: 'Lift one leg of Solo-12',
  description: 'Solo-12 stands on four feet; at the final time the chosen foot must be at a target height while the other three stay on the ground (seed paper, Figs. 3-4).',
  robot: 'solo12',
  params: [
    { name: 'foot', type: 'enum', default: 'FL', options: [...FEET], description: 'foot to lift' },
    { name: 'objective', type: 'enum', default: 'foot', options: ['foot', 'pose'], description: "terminal cost: 'foot' on the lifted foot's position, 'pose' on the whole configuration (target stance from inverse kinematics)" },
    { name: 'footWeight', type: 'number', default: 5000, min: 1, max: 1e6, description: "objective 'foot': weight of the lifted foot's height error (terminal, per m^2)" },
    { name: 'velocityWeight', type: 'number', default: 0.01, min: 0, max: 100, description: 'terminal weight of the joint velocities (per (rad/s)^2): how much the leg must be at rest at the end' },
    { name: 'poseWeight', type: 'number', default: 100, min: 0.1, max: 1e5, description: "objective 'pose': weight of the configuration error (terminal, per rad^2 and m^2)" },
    { name: 'holdWeight', type: 'number', default: 0, min: 0, max: 1e6, description: "running weight of the lifted foot's height error (per m^2 per s; 0: none, the plan's default): holds the foot at the target along the whole horizon (live sessions use 2000)" },
    { name: 'height', type: 'number', default: 0.05, min: 0.005, max: 0.15, unit: 'm', description: 'target height of the foot above the ground at the final time' },
    { name: 'horizon', type: 'number', default: 1, min: 0.1, max: 3, unit: 's', description: 'duration of the plan' },
    { name: 'dt', type: 'number', default: 0.01, min: 0.002, max: 0.05, unit: 's', description: 'time step' },
    { name: 'torqueLimit', type: 'number', default: 2.7, min: 0.5, max: 10, unit: 'N m', description: 'joint torque bound (Solo actuator peak about 2.7 N m)' },
  ],
  solverDefaults: { sigma0: 0.5, iterations: 60 },
  liveDefaults: { holdWeight: 2000 },
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
    // or bouncing); joint velocities velocityWeight, by default only 0.01: the task is a final
    // pose, and an earlier session found that with weight 1 every step that lifts the foot
    // ends with the leg still swinging and costs more than it gains (the line search rejected
    // them all). The study (npm run study -- --grid weights) measures this trade-off.
    const wVel = params.velocityWeight as number;
    const wTerm = wState.map((w, i) => (i >= nv + 6 ? wVel : i >= nv ? 1 : w));
    const terminal = new CostSum(model);
    const objective = params.objective as 'foot' | 'pose';
    const stanceTargets = footPos.map((p, k) => (k === lifted ? [p[0], p[1], FOOT_RADIUS + height] : p));
    let poseTarget: Float64Array | null = null;
    if (objective === 'pose') {
      // the target stance: closest to standing (tangent-space distance) with the four feet at
      // stanceTargets; its velocity is zero
      const ik = solvePointIk(model, q0, footIds.map((frame, k) => ({ frame, position: stanceTargets[k] })));
      if (ik.maxError > 1e-4) throw new Error(`lift-leg: no stance puts foot ${FEET[lifted]} at ${height} m (inverse kinematics misses by ${ik.maxError.toExponential(2)} m)`);
      poseTarget = new Float64Array(model.nq + nv);
      poseTarget.set(ik.q);
      const w = params.poseWeight as number;
      const wPose = wTerm.map((v, i) => (i < nv ? w : v));
      terminal.add(new StateRegularization(model, { xRef: poseTarget, weights: wPose, name: 'pose' }), 1);
    } else {
      // (the 'foot' objective keeps the state regularization to standing below)
      terminal.add(new StateRegularization(model, { xRef: x0, weights: wTerm }), 1);
    }
    // the lifted foot ('foot' objective): height weight footWeight (default 5000: a 1 cm miss
    // costs 0.25, more than the base and posture disturbance the lift needs, about 0.1); the
    // other feet: position at the end and along the way, for both objectives.
    footIds.forEach((id, k) => {
      if (k === lifted) {
        const hold = params.holdWeight as number;
        if (hold > 0) running.add(new FramePosition(model, { frame: id, target: stanceTargets[k], weights: [0, 0, hold], name: `hold:${FEET[k]}` }), dt);
        if (objective === 'foot') terminal.add(new FramePosition(model, { frame: id, target: stanceTargets[k], weights: [100, 100, params.footWeight as number], name: `foot:${FEET[k]}` }), 1);
        return;
      }
      terminal.add(new FramePosition(model, { frame: id, target: footPos[k], weights: [100, 100, 100], name: `foot:${FEET[k]}` }), 1);
      running.add(new FramePosition(model, { frame: id, target: footPos[k], weights: 100, name: `stance:${FEET[k]}` }), dt);
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
        let jointSpeed = 0;
        for (let i = 6; i < nv; i++) jointSpeed = Math.max(jointSpeed, Math.abs(xT[model.nq + i]));
        const knee = model.idxQ[model.jointNames.indexOf(`${FEET[lifted]}_KFE`)];
        return {
          foot: FEET[lifted],
          objective,
          footHeight: heights[lifted],
          targetHeight: height,
          footError: Math.abs(heights[lifted] - height),
          otherFeetMaxHeight: Math.max(...others.map(Math.abs)),
          baseHeight: xT[2],
          baseHeightChange: xT[2] - x0[2],
          maxJointSpeed: jointSpeed,
          // how much the lifted leg's knee moved (rad): "bends" without lifting shows here
          kneeChange: xT[knee] - x0[knee],
        };
      },
      success(m) {
        return (m.footError as number) < SUCCESS.footError && (m.otherFeetMaxHeight as number) < SUCCESS.otherFeet
          && Math.abs(m.baseHeightChange as number) < SUCCESS.baseBand && (m.maxJointSpeed as number) < SUCCESS.jointSpeed;
      },
      keyQuantity(xs) {
        const d = createData(model), id = footIds[lifted];
        const values = xs.map((x) => {
          forwardKinematics(model, d, x.subarray(0, model.nq));
          updateFramePlacements(model, d);
          return d.oMf[12 * id + 11] - FOOT_RADIUS;
        });
        return { label: `${FEET[lifted]} foot height`, unit: 'm', values, target: height };
      },
      // the lifted foot's target: its standing x, y at the target height (the foot frame is the foot sphere's centre)
      target() {
        const [x, y, z] = stanceTargets[lifted];
        return { label: `${FEET[lifted]} foot at ${height} m`, frame: `${FEET[lifted]}_FOOT`, position: [x, y, z], radius: FOOT_RADIUS };
      },
      series(xs, contacts) {
        const d = createData(model), id = footIds[lifted];
        const knee = model.idxQ[model.jointNames.indexOf(`${FEET[lifted]}_KFE`)];
        const foot: number[] = [], others: number[] = [], base: number[] = [], kneeAngle: number[] = [], force: number[] = [];
        xs.forEach((x, k) => {
          forwardKinematics(model, d, x.subarray(0, model.nq));
          updateFramePlacements(model, d);
          foot.push(d.oMf[12 * id + 11] - FOOT_RADIUS);
          others.push(Math.max(...footIds.filter((_, j) => j !== lifted).map((f) => d.oMf[12 * f + 11] - FOOT_RADIUS)));
          base.push(x[2]);
          kneeAngle.push(x[knee]);
          if (contacts) {
            // vertical force of the contacts under the lifted foot (within 3 cm horizontally)
            const fx = d.oMf[12 * id + 9], fy = d.oMf[12 * id + 10];
            force.push((contacts[k] ?? []).reduce((s, c) => s + (Math.hypot(c.p[0] - fx, c.p[1] - fy) < 0.03 ? c.f[2] : 0), 0));
          }
        });
        const out = [
          { label: `${FEET[lifted]} foot height`, unit: 'm', values: foot, target: height },
          { label: 'highest other foot', unit: 'm', values: others },
          { label: 'base height', unit: 'm', values: base, target: x0[2], targetLabel: 'standing' },
          { label: `${FEET[lifted]} knee angle (KFE)`, unit: 'rad', values: kneeAngle },
        ];
        if (contacts) out.push({ label: `${FEET[lifted]} foot vertical contact force`, unit: 'N', values: force });
        return out;
      },
    };
  },
};
