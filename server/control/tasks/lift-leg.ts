/**
 * lift-leg (seed Figs. 3-4), on any legged robot with 2, 4 or 6 feet (Solo-12 by default): the
 * robot starts standing in its reference posture, feet on the
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
import { frameIndex, type Geometry, type Model } from '../../model/model.ts';
import { posture, type LoadedRobot } from '../../model/robots.ts';
import { sphereAtFrame } from '../../model/robot-detect.ts';
import { robotTorqueBound } from '../../model/torque-bound.ts';
import { meshHullVertices } from '../../model/convex-hull.ts';
import { TaskParamError } from '../errors.ts';
import { solvePointIk } from '../../dynamics/inverse-kinematics.ts';
import { ControlRegularization, CostSum, FramePosition, StateRegularization } from '../cost.ts';
import { makeDynamics } from '../problem.ts';
import { taskRobot } from './task-robot.ts';
import type { TaskDefinition } from './types.ts';

/** The foot parameter: front/hind and left/right, found on any robot by where its feet stand (legs.ts). */
const FEET = ['FL', 'FR', 'HL', 'HR'] as const;
type FootCode = (typeof FEET)[number];
/** Feet counts lift-leg plans for. */
const FEET_COUNTS = [2, 4, 6];
/**
 * Radius (m) of the contact sphere put at a foot whose collision geometry is not a sphere
 * centred on it (e.g. a mesh) when the robot's metadata states none (`footRadius`): Solo-12's
 * foot sphere is 0.016 m, an A1's about 0.02 m.
 */
export const DEFAULT_FOOT_RADIUS = 0.02;
/** Torque bound (N m) when the robot states none and the plan gives none: Solo's actuator peak. */
export const FALLBACK_TORQUE_LIMIT = 2.7;

/**
 * The torque bounds lift-leg uses (u order): the parameter when > 0, else the robot's own
 * (model/torque-bound.ts), else FALLBACK_TORQUE_LIMIT on every joint.
 */
export function liftLegTorqueBound(robot: LoadedRobot, torqueLimit: number): { bound: Float64Array; why: string } {
  const nu = robot.model.nu;
  if (torqueLimit > 0) return { bound: new Float64Array(nu).fill(torqueLimit), why: `the plan's torqueLimit (${torqueLimit} N m)` };
  const own = robotTorqueBound(robot.model, robot.meta.torqueLimit);
  if (own.bound) return { bound: own.bound, why: own.why };
  return { bound: new Float64Array(nu).fill(FALLBACK_TORQUE_LIMIT), why: `${FALLBACK_TORQUE_LIMIT} N m (Solo's), the robot states none: ${own.why}` };
}

/** The posture lift-leg starts from: 'standing', else the robot's first posture. */
export function standingName(robot: LoadedRobot): string | null {
  const names = Object.keys(robot.meta.postures);
  return names.includes('standing') ? 'standing' : names[0] ?? null;
}

/** Why lift-leg cannot run on a robot, or null. */
export function liftLegFits(robot: LoadedRobot, id: string): string | null {
  const { meta, model } = robot;
  if (!meta.floating) return `robot '${id}' has a fixed base: lift-leg needs a legged robot with a floating base`;
  const n = meta.contactFrames.length;
  if (n === 0) return `robot '${id}' has no contact frames: lift-leg needs ≥2 feet (2, 4 or 6)`;
  if (!FEET_COUNTS.includes(n)) return `robot '${id}' has ${n} contact frames (${meta.contactFrames.join(', ')}): lift-leg needs 2, 4 or 6 feet`;
  if (standingName(robot) === null) return `robot '${id}' has no standing posture (metadata "postures" or an SRDF group_state): lift-leg starts from it`;
  if (model.nu === 0) return `robot '${id}' has no actuated joint: lift-leg needs legs to move`;
  return null;
}

/**
 * Which foot a code names: among the feet on that side in the standing posture (left: +y in
 * the base frame), the front-most (F) or hind-most (H). Two feet: FL = HL = the left one.
 */
export function footForCode(model: Model, data: ReturnType<typeof createData>, feet: readonly number[], code: FootCode): number {
  const base = model.floating ? 1 : 0;
  // positions relative to the base in its frame (world when fixed)
  const R = base ? data.oMi.subarray(12, 21) : null, p0 = base ? data.oMi.subarray(21, 24) : null;
  const local = feet.map((f) => {
    const w = [data.oMf[12 * f + 9], data.oMf[12 * f + 10], data.oMf[12 * f + 11]];
    if (!R || !p0) return w;
    const d = [w[0] - p0[0], w[1] - p0[1], w[2] - p0[2]];
    return [R[0] * d[0] + R[3] * d[1] + R[6] * d[2], R[1] * d[0] + R[4] * d[1] + R[7] * d[2], R[2] * d[0] + R[5] * d[1] + R[8] * d[2]];
  });
  const left = code[1] === 'L';
  const side = feet.map((_, k) => k).filter((k) => (left ? local[k][1] > 0 : local[k][1] < 0));
  if (side.length === 0) throw new Error(`lift-leg: no foot on the ${left ? 'left' : 'right'} side of ${model.name}`);
  side.sort((a, b) => (code[0] === 'F' ? local[b][0] - local[a][0] : local[a][0] - local[b][0]));
  return side[0];
}

/**
 * Which frame and knee (the joint that moves the foot) each foot code names on a robot lift-leg
 * fits, in its standing posture with the feet on the ground: what GET /api/robots/:id tells the
 * client so it follows the same foot as the task.
 */
export function liftLegFeet(robot: LoadedRobot): Record<FootCode, { frame: string; knee: string }> {
  const { model } = footContactModel(robot);
  const q0 = posture(robot.meta, model, standingName(robot)!);
  const data = createData(model);
  forwardKinematics(model, data, q0);
  updateFramePlacements(model, data);
  const ids = robot.meta.contactFrames.map((f) => frameIndex(model, f));
  const out = {} as Record<FootCode, { frame: string; knee: string }>;
  for (const code of FEET) {
    const k = footForCode(model, data, ids, code);
    out[code] = { frame: robot.meta.contactFrames[k], knee: model.jointNames[model.frames[ids[k]].parentJoint] };
  }
  return out;
}

/** Which collision meshes lift-leg collides (parameter meshCollision). */
export type MeshCollisionChoice = 'off' | 'hulls';

/**
 * The model lift-leg simulates. Its feet: each foot's collision sphere centred on it, else a
 * contact sphere (metadata footRadius, else DEFAULT_FOOT_RADIUS). The robot's primitive
 * collision geometry (boxes, cylinders...) is kept. Its collision meshes:
 * - 'off' (default): left out;
 * - 'hulls': those of the bodies that carry no foot (base, hips, thighs) collide as their convex
 *   hulls (model/convex-hull.ts, computed here, synchronously, once per mesh file and
 *   process); those of the bodies that carry a foot (shank, foot) stay out, the foot sphere
 *   being their contact: a shank's hull would reach down over the foot and touch the ground
 *   with it. A mesh that cannot be read or hulled is a TaskParamError naming it.
 * Unchanged (the robot's own model) when every foot has its sphere and no mesh is added.
 */
export function footContactModel(robot: LoadedRobot, meshCollision: MeshCollisionChoice = 'off'): { model: Model; radii: number[]; stated: boolean[]; hulls: string[] } {
  const { model, meta } = robot;
  const given = meta.contactFrames.map((f) => sphereAtFrame(model, f));
  const radii = given.map((r) => r ?? meta.footRadius ?? DEFAULT_FOOT_RADIUS);
  const stated = given.map((r) => r !== null);
  if (given.every((r) => r !== null) && meshCollision === 'off') return { model, radii, stated, hulls: [] };
  const footJoints = new Set(meta.contactFrames.map((f) => model.frames[frameIndex(model, f)].parentJoint));
  const hulls: string[] = [];
  const collisions: Geometry[] = [];
  for (const g of model.collisions) {
    if (g.shape.type !== 'mesh') { collisions.push(g); continue; }
    if (meshCollision === 'off' || footJoints.has(g.parentJoint) || g.parentJoint === 0) continue;
    let hull: Float64Array;
    try { hull = meshHullVertices(g.shape); } catch (e) {
      throw new TaskParamError('lift-leg', 'meshCollision', `meshCollision 'hulls': the collision mesh of link ${g.link}: ${(e as Error).message}`);
    }
    collisions.push({ ...g, shape: { ...g.shape, hull } });
    hulls.push(g.link);
  }
  meta.contactFrames.forEach((name, k) => {
    if (given[k] !== null) return;
    const f = model.frames[frameIndex(model, name)];
    collisions.push({ link: name, name: 'foot-contact', parentJoint: f.parentJoint, placement: Float64Array.from(f.placement), shape: { type: 'sphere', radius: radii[k] } });
  });
  return { model: { ...model, collisions }, radii, stated, hulls };
}

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
  title: 'Lift one leg',
  description: 'A legged robot (Solo-12 by default) stands on its feet; at the final time the chosen foot must be at a target height while the others stay on the ground (seed paper, Figs. 3-4).',
  robot: 'solo12',
  needs: 'a floating-base legged robot with 2, 4 or 6 feet (contact frames) and a standing posture',
  fits: liftLegFits,
  params: [
    { name: 'foot', type: 'enum', default: 'FL', options: [...FEET], description: 'foot to lift: front/hind, left/right by where the feet stand (on two feet FL = HL, FR = HR)' },
    { name: 'objective', type: 'enum', default: 'foot', options: ['foot', 'pose'], description: "terminal cost: 'foot' on the lifted foot's position, 'pose' on the whole configuration (target stance from inverse kinematics)" },
    { name: 'footWeight', type: 'number', default: 5000, min: 1, max: 1e6, description: "objective 'foot': weight of the lifted foot's height error (terminal, per m^2)" },
    { name: 'velocityWeight', type: 'number', default: 0.01, min: 0, max: 100, description: 'terminal weight of the joint velocities (per (rad/s)^2): how much the leg must be at rest at the end' },
    { name: 'poseWeight', type: 'number', default: 100, min: 0.1, max: 1e5, description: "objective 'pose': weight of the configuration error (terminal, per rad^2 and m^2)" },
    { name: 'hold', type: 'number', default: 0, min: 0, max: 3, unit: 's', description: "the goal (lifted foot or target pose) is also costed over this last part of the horizon, as a running cost of the same total weight: the foot must get there and stay (0: final time only)" },
    { name: 'holdWeight', type: 'number', default: 0, min: 0, max: 1e6, description: "running weight of the lifted foot's height error (per m^2 per s; 0: none, the plan's default): holds the foot at the target along the whole horizon (live sessions use 2000)" },
    { name: 'controlWeight', type: 'number', default: 0.1, min: 0, max: 100, description: "running weight of the torques' distance to the standing ones (per (N m)^2 per s): sized for Solo's 2.7 N m motors; a heavy robot's lift needs torque changes tens of times larger" },
    { name: 'baseWeight', type: 'number', default: 10, min: 0, max: 1e6, description: "weight of the base's height error from standing (per m^2: terminal, and per s as a running cost); the other base pose terms keep 10" },
    { name: 'height', type: 'number', default: 0.05, min: 0.005, max: 0.15, unit: 'm', description: 'target height of the foot above the ground at the final time' },
    { name: 'horizon', type: 'number', default: 1, min: 0.1, max: 3, unit: 's', description: 'duration of the plan' },
    { name: 'dt', type: 'number', default: 0.01, min: 0.002, max: 0.05, unit: 's', description: 'time step' },
    { name: 'meshCollision', type: 'enum', default: 'off', options: ['off', 'hulls'], description: "collision meshes of the links that carry no foot (base, thighs...): 'hulls' collides them with the ground as their convex hulls (computed when the task is built, bounded by MAX_HULL_INPUT_VERTICES); 'off' leaves them out. The feet's contact spheres and the robot's primitive collision geometry collide either way" },
    { name: 'torqueLimit', type: 'number', default: 0, min: 0, max: 100, unit: 'N m', description: `joint torque bound; 0: the robot's own (its metadata's torqueLimit, else its URDF's effort limits unless placeholders, else ${FALLBACK_TORQUE_LIMIT} N m, Solo's actuator peak)` },
  ],
  solverDefaults: { sigma0: 0.5, iterations: 60 },
  // live: the foot held along the horizon, and the base height weighted as its 2 cm success
  // band asks (1 / 0.02² = 2500): with the plan's 10 a closed-loop lift-leg let the base sag or
  // tip over and kept the foot up (docs/results/mpc-push-recovery/)
  liveDefaults: { holdWeight: 2000, baseWeight: 2500 },
  build(params) {
    const robot = taskRobot(liftLeg, params);
    const { meta } = robot;
    const { model, radii } = footContactModel(robot, params.meshCollision as MeshCollisionChoice);
    const dt = params.dt as number, T = Math.max(1, Math.round((params.horizon as number) / dt));
    const scene = defaultScene();
    const sim = new Simulator(model, scene, { dt });
    const dynamics = makeDynamics(sim);
    // standing posture with the feet exactly on the ground
    const q0 = posture(meta, model, standingName(robot)!);
    const data = createData(model);
    forwardKinematics(model, data, q0);
    updateFramePlacements(model, data);
    const footIds = meta.contactFrames.map((f) => frameIndex(model, f));
    // the lowest foot sphere on the ground (Solo-12: all four at once)
    const footZ = Math.min(...footIds.map((id, k) => data.oMf[12 * id + 11] - radii[k]));
    q0[2] -= footZ;
    forwardKinematics(model, data, q0);
    updateFramePlacements(model, data);
    const footPos = footIds.map((id) => Array.from(data.oMf.subarray(12 * id + 9, 12 * id + 12)));
    const x0 = new Float64Array(model.nq + model.nv);
    x0.set(q0);
    const eq = staticEquilibrium(model, q0, meta.contactFrames);
    const code = params.foot as FootCode;
    const lifted = footForCode(model, data, footIds, code);
    const footName = meta.contactFrames[lifted];
    const kneeJoint = model.frames[footIds[lifted]].parentJoint;
    const kneeName = model.jointNames[kneeJoint];
    const kneeShort = kneeName.startsWith(`${code}_`) ? kneeName.slice(code.length + 1) : kneeName;
    const FOOT_RADIUS = radii[lifted];
    const height = params.height as number;

    // weights (cost units; running terms are multiplied by dt)
    const nv = model.nv;
    const wState = new Float64Array(2 * nv);
    for (let i = 0; i < 6; i++) wState[i] = 10; // base pose
    wState[2] = params.baseWeight as number; // base height (default 10 as the rest of the pose)
    for (let i = 6; i < nv; i++) wState[i] = 0.1; // joint posture (the lifted leg must be free to move)
    for (let i = nv; i < 2 * nv; i++) wState[i] = 0.1; // velocities
    const running = new CostSum(model)
      .add(new StateRegularization(model, { xRef: x0, weights: wState }), dt)
      .add(new ControlRegularization(model.nu, { uRef: eq.tau, weights: params.controlWeight as number }), dt);
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
      if (ik.maxError > 1e-4) throw new Error(`lift-leg: no stance puts foot ${code} (${footName}) at ${height} m (inverse kinematics misses by ${ik.maxError.toExponential(2)} m)`);
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
        const holdW = params.holdWeight as number;
        if (holdW > 0) running.add(new FramePosition(model, { frame: id, target: stanceTargets[k], weights: [0, 0, holdW], name: `hold:${meta.contactFrames[k]}` }), dt);
        if (objective === 'foot') terminal.add(new FramePosition(model, { frame: id, target: stanceTargets[k], weights: [100, 100, params.footWeight as number], name: `foot:${meta.contactFrames[k]}` }), 1);
        return;
      }
      terminal.add(new FramePosition(model, { frame: id, target: footPos[k], weights: [100, 100, 100], name: `foot:${meta.contactFrames[k]}` }), 1);
      running.add(new FramePosition(model, { frame: id, target: footPos[k], weights: 100, name: `stance:${meta.contactFrames[k]}` }), dt);
    });

    // hold window: the last `holdKnots` knots also carry the goal term (weight / hold per
    // second, so the window adds the terminal weight once more in total)
    const hold = params.hold as number;
    const holdKnots = Math.min(T, Math.round(hold / dt));
    if (hold > 0 && holdKnots < 1) throw new Error(`lift-leg: hold ${hold} s is shorter than one step (dt ${dt} s)`);
    if (hold > (params.horizon as number) + 1e-12) throw new Error(`lift-leg: hold ${hold} s is longer than the horizon ${params.horizon as number} s`);
    let runningCosts: CostSum | CostSum[] = running;
    if (holdKnots > 0) {
      const w = 1 / (holdKnots * dt);
      const window = new CostSum(model);
      for (const it of running.items) window.add(it.term, it.weight);
      if (objective === 'pose') {
        const wPose = wTerm.map((v, i) => (i < nv ? (params.poseWeight as number) : 0));
        window.add(new StateRegularization(model, { xRef: poseTarget as Float64Array, weights: wPose, name: 'window:pose' }), w * dt);
      } else {
        window.add(new FramePosition(model, { frame: footIds[lifted], target: stanceTargets[lifted], weights: [100, 100, params.footWeight as number], name: `window:${meta.contactFrames[lifted]}` }), w * dt);
      }
      runningCosts = Array.from({ length: T }, (_, k) => (k >= T - holdKnots ? window : running));
    }

    const { bound } = liftLegTorqueBound(robot, params.torqueLimit as number);
    const uInit = Array.from({ length: T }, () => Float64Array.from(eq.tau));
    return {
      task: 'lift-leg', robot: robot.id, model, scene, sim, dynamics, running: runningCosts, terminal, x0, T, dt,
      uLower: bound.map((b) => -b), uUpper: bound, uInit, params,
      metrics(xs) {
        const d = createData(model);
        const xT = xs[xs.length - 1];
        forwardKinematics(model, d, xT.subarray(0, model.nq));
        updateFramePlacements(model, d);
        const heights = footIds.map((id, k) => d.oMf[12 * id + 11] - radii[k]);
        const others = heights.filter((_, k) => k !== lifted);
        let jointSpeed = 0;
        for (let i = 6; i < nv; i++) jointSpeed = Math.max(jointSpeed, Math.abs(xT[model.nq + i]));
        const knee = model.idxQ[kneeJoint];
        return {
          foot: code,
          footFrame: footName,
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
        return { label: `${code} foot height`, unit: 'm', values, target: height };
      },
      // the lifted foot's target: its standing x, y at the target height (the foot frame is the foot sphere's centre)
      target() {
        const [x, y, z] = stanceTargets[lifted];
        return { label: `${code} foot at ${height} m`, frame: footName, position: [x, y, z], radius: FOOT_RADIUS };
      },
      series(xs, contacts) {
        const d = createData(model), id = footIds[lifted];
        const knee = model.idxQ[kneeJoint];
        const foot: number[] = [], others: number[] = [], base: number[] = [], kneeAngle: number[] = [], force: number[] = [];
        xs.forEach((x, k) => {
          forwardKinematics(model, d, x.subarray(0, model.nq));
          updateFramePlacements(model, d);
          foot.push(d.oMf[12 * id + 11] - FOOT_RADIUS);
          others.push(Math.max(...footIds.flatMap((f, j) => (j !== lifted ? [d.oMf[12 * f + 11] - radii[j]] : []))));
          base.push(x[2]);
          kneeAngle.push(x[knee]);
          if (contacts) {
            // vertical force of the contacts under the lifted foot (within 3 cm horizontally)
            const fx = d.oMf[12 * id + 9], fy = d.oMf[12 * id + 10];
            force.push((contacts[k] ?? []).reduce((s, c) => s + (Math.hypot(c.p[0] - fx, c.p[1] - fy) < 0.03 ? c.f[2] : 0), 0));
          }
        });
        const out = [
          { label: `${code} foot height`, unit: 'm', values: foot, target: height },
          { label: 'highest other foot', unit: 'm', values: others },
          { label: 'base height', unit: 'm', values: base, target: x0[2], targetLabel: 'standing' },
          { label: `${code} knee angle (${kneeShort})`, unit: 'rad', values: kneeAngle },
        ];
        if (contacts) out.push({ label: `${code} foot vertical contact force`, unit: 'N', values: force });
        return out;
      },
    };
  },
};
