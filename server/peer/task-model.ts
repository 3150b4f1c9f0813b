/**
 * The MuJoCo twin of a task's simulation: the same URDF (robots/<robot>.urdf), the same
 * collision primitives on the same links, the same ground (height, friction) and static boxes,
 * the same gravity, no joint damping or armature, stepped at a fraction of the task's dt.
 * Joint position limits are off in the twin, while our Simulator enforces them as hard stops
 * (joint-limits.ts): a plan that drives a joint onto its stop is judged without that stop
 * here. Solo-12's stops (HAA ±1.2, HFE/KFE ±π) and the cube's rail (0..2 m) are far from the
 * tasks' motions: a default lift-leg R-DDP plan and a default cube-lift plan are bit-identical
 * with the stops on and off.
 *
 * What differs between the two engines, by design (MuJoCo is the referee, not a copy):
 * - Normal contact. Ours is hard: a velocity-level complementarity (no penetration beyond a
 *   0.5 mm slop, gaps closed exactly, inelastic impacts). MuJoCo's is soft: a constraint
 *   with reference acceleration -b v - k r (solref: time constant, damping ratio) and an
 *   impedance (solimp) that lets the contact sink in until that spring carries the load; the
 *   foot penetrates (about a micrometre at rest here) and an impact takes a few time constants.
 * - Friction. Ours is the exact Coulomb cone with exact sticking (De Saxcé NCP). MuJoCo's
 *   elliptic cone has the same shape, but its friction is regularized: a sticking foot creeps
 *   at a small velocity proportional to the tangential load (impratio scales that softness).
 * - Detection. Ours detects within a 1 cm margin grown by each shape's travel in the step
 *   (speculative contacts, no tunnelling); MuJoCo's margin is 0: a contact exists only once
 *   the shapes touch, at the start of each of its (smaller) steps.
 * - Time stepping. Both are semi-implicit Euler (the free-flyer moved on a straight line and
 *   turned by exp(dt w) in both); MuJoCo takes `substeps` steps of dt / substeps per knot with
 *   the control held, because its soft contacts need a time step well below their time constant.
 *
 * Settings (REFEREE_DEFAULTS), chosen as the standard faithful ones and not tuned to make the
 * engines agree: MuJoCo's time step h = dt / ceil(dt / 1 ms) (the step of this project's contact
 * cross-checks); elliptic cone (ours is the circular Coulomb cone, MuJoCo's default pyramid
 * is not); impratio 100 (harder friction, as MuJoCo Menagerie's quadrupeds, e.g. Unitree Go2,
 * use); solref (2 h, 1): the stiffest time constant MuJoCo's documentation allows (at least two
 * time steps), critically damped; solimp, solver, iterations and tolerance at MuJoCo's defaults
 * (Newton, 100, 1e-8); contact dimension 3 (no torsional or rolling friction, as ours).
 */
import { readFileSync } from 'node:fs';
import type { BuiltTask } from '../control/tasks/types.ts';
import type { Geometry } from '../model/model.ts';
import { loadRobot } from '../model/robots.ts';
import type { ContactScene, ExtraGeom } from './mjcf.ts';
import { mujocoFromUrdf, type PeerModel } from './mujoco.ts';
import { matToQuat } from './rotations.ts';

export interface RefereeSettings {
  /** MuJoCo steps per knot of the plan (MuJoCo's time step = dt / substeps). */
  substeps: number;
  cone: 'elliptic' | 'pyramidal';
  impratio: number;
  solref: [number, number];
  solimp: [number, number, number, number, number];
}

/** The longest MuJoCo time step the referee takes (s). */
export const REFEREE_MAX_STEP = 1e-3;

/** The settings used unless overridden (see the header comment for why). */
export function refereeDefaults(dt: number, overrides: Partial<RefereeSettings> = {}): RefereeSettings {
  const substeps = overrides.substeps ?? Math.max(1, Math.ceil(dt / REFEREE_MAX_STEP - 1e-9));
  return {
    substeps,
    cone: 'elliptic',
    impratio: 100,
    solref: [2 * (dt / substeps), 1],
    solimp: [0.9, 0.95, 0.001, 0.5, 2],
    ...overrides,
  };
}

/** Rotation (row-major 3x3 at placement[0..9]) and translation of a 12-number placement. */
function poseOf(placement: Float64Array): { pos: [number, number, number]; quat: [number, number, number, number] } {
  return {
    pos: [placement[9], placement[10], placement[11]],
    quat: matToQuat(Array.from(placement.subarray(0, 9))),
  };
}

/** The model's collision primitives as MuJoCo geoms on the body of their joint (skipping world-welded ones, as the Simulator does). */
export function collisionGeoms(built: BuiltTask): ExtraGeom[] {
  const model = built.model;
  const out: ExtraGeom[] = [];
  model.collisions.forEach((g: Geometry, i) => {
    if (g.parentJoint === 0) return;
    // the body of joint j is its URDF child link: MuJoCo's body of the same name, same frame
    const link = model.bodyNames[g.parentJoint];
    const { pos, quat } = poseOf(g.placement);
    const name = `collision${i}_${g.link}`;
    const s = g.shape;
    switch (s.type) {
      case 'sphere': out.push({ link, name, pos, quat, type: 'sphere', radius: s.radius }); break;
      case 'box': out.push({ link, name, pos, quat, type: 'box', halfSize: [s.size[0] / 2, s.size[1] / 2, s.size[2] / 2] }); break;
      case 'capsule': case 'cylinder': out.push({ link, name, pos, quat, type: s.type, radius: s.radius, halfLength: s.length / 2 }); break;
      case 'mesh': throw new Error(`referee: ${g.link} has mesh collision geometry, which the MuJoCo twin does not import (primitives only)`);
    }
  });
  return out;
}

/** The contact scene of a task (null when the task's scene has nothing to touch). */
export function contactSceneOf(built: BuiltTask, s: RefereeSettings): ContactScene | null {
  const scene = built.scene;
  if (!scene.ground && scene.boxes.length === 0) return null;
  const mu = scene.ground?.friction ?? scene.boxes[0].friction;
  return {
    geoms: collisionGeoms(built),
    ground: scene.ground !== null,
    groundHeight: scene.ground?.height ?? 0,
    groundFriction: scene.ground?.friction,
    boxes: scene.boxes.map((b) => ({
      name: b.name,
      halfSize: [b.size[0] / 2, b.size[1] / 2, b.size[2] / 2],
      ...poseOf(b.placement),
      friction: b.friction,
    })),
    friction: [mu, 0, 0],
    cone: s.cone,
    impratio: s.impratio,
    solref: s.solref,
    solimp: s.solimp,
  };
}

/** MuJoCo model of the task's robot and scene, in the project's coordinates (PeerModel). */
export async function mujocoForTask(built: BuiltTask, settings: RefereeSettings): Promise<PeerModel> {
  const { meta } = loadRobot(built.robot);
  const model = built.model;
  if (model.gravity[0] !== 0 || model.gravity[1] !== 0 || model.gravity[2] !== -9.81) {
    throw new Error(`referee: gravity ${Array.from(model.gravity).join(' ')} is not the (0, 0, -9.81) the MuJoCo twin uses`);
  }
  // (URDF joint friction: ignored by our Simulator, zeroed in the twin by mujocoFromUrdf)
  if (model.damping.some((d) => d !== 0)) {
    throw new Error(`referee: robot ${built.robot} has joint damping, which the MuJoCo twin does not carry over (no task's robot has any)`);
  }
  const contact = contactSceneOf(built, settings);
  return mujocoFromUrdf(readFileSync(meta.urdf, 'utf8'), {
    floating: model.floating,
    jointOrder: model.jointNames.slice(model.floating ? 2 : 1),
    timestep: built.dt / settings.substeps,
    ...(contact ? { contact } : {}),
  });
}
