/**
 * What the WebGPU step kernel is generated from: a Simulator's model, scene and options,
 * checked against what the kernel supports. Anything else throws GpuUnsupportedError, and the
 * caller falls back to the `workers` backend with that message.
 *
 * Supported:
 * - a kinematic tree of revolute, prismatic and free joints, the free-flyer only as joint 1 (a
 *   floating base), nv <= MAX_NV;
 * - collision primitives sphere, capsule and box (the shapes of robots/solo12.urdf and
 *   robots/cube*.urdf) against the ground half-space and static boxes, except capsule-box (the
 *   CPU's golden-section search; no robot here needs it); cylinders and meshes only where they
 *   can never touch anything (no ground, no boxes);
 * - contact candidates: every (shape, object) pair contributes a fixed list of candidate points
 *   (sphere: 1 per object; capsule: its 2 segment ends against the ground; box: its 8 corners
 *   per object), in the CPU's emission order; a candidate is a contact when its signed distance
 *   is below the (velocity-dependent) margin. At most MAX_CANDIDATES candidates (Solo-12 on the
 *   ground: 4 feet + 8 base corners = 12), and no more than the simulator's contact capacity,
 *   so the contact set is exactly the CPU's.
 * Joint position limits: the kernel does not solve limit rows. It flags every sample with a
 * stop within (slightly more than) the CPU's reach (STATUS_LIMIT), and the backend recomputes
 * such a pair, or such a knot's samples, on the CPU in f64, where the stop is a row of the NCP.
 * Samples far from every stop (the CPU builds no limit row for them) stay on the GPU.
 */
import type { Model } from '../../model/model.ts';
import { JOINT_TYPES, LIE_SE3, LIE_VECTOR } from '../../model/joints/index.ts';
import {
  collisionShapeFromGeometry, SHAPE_BOX, SHAPE_CAPSULE, SHAPE_CYLINDER, SHAPE_NONE, SHAPE_SPHERE,
} from '../../dynamics/collision.ts';
import { meshCollisionReady } from '../../dynamics/mesh-collision.ts';
import type { SimOptions, Simulator } from '../../dynamics/step.ts';

/** Largest velocity dimension the kernels are generated for. */
export const MAX_NV = 32;
/** Largest number of contact candidates per sample. */
export const MAX_CANDIDATES = 16;

export class GpuUnsupportedError extends Error {}

export interface GpuShape {
  kind: number;
  dims: [number, number, number];
  /** Joint (body) the shape is attached to. */
  joint: number;
  /** Placement in the joint frame (12: R row-major, p). */
  placement: number[];
  /** Bounding radius about its centre (step.ts). */
  radius: number;
}

export interface PackedModel {
  name: string;
  model: Model;
  nq: number;
  nv: number;
  nu: number;
  floating: boolean;
  shapes: GpuShape[];
  plane: { height: number; friction: number } | null;
  boxes: Array<{ placement: number[]; halfExtents: [number, number, number]; friction: number }>;
  /** Contact candidates per sample (file header). */
  candidates: number;
  /** Joints whose stops the kernel watches (empty when the simulator does not enforce limits). */
  limits: Array<{ iq: number; iv: number; lower: number; upper: number }>;
  options: SimOptions;
}

function candidatesOf(kind: number, plane: boolean, nboxes: number): number {
  switch (kind) {
    case SHAPE_SPHERE: return (plane ? 1 : 0) + nboxes;
    case SHAPE_CAPSULE: return plane ? 2 : 0;
    case SHAPE_BOX: return (plane ? 8 : 0) + 8 * nboxes;
    default: return 0;
  }
}

/** Checks and describes a Simulator for the kernel generator (throws GpuUnsupportedError). */
export function packModel(sim: Simulator): PackedModel {
  const model = sim.model, scene = sim.scene, o = sim.options;
  const nv = model.nv, nj = model.njoints;
  if (nv > MAX_NV) throw new GpuUnsupportedError(`webgpu: model ${model.name} has nv = ${nv} > ${MAX_NV}`);
  if (nv < 1) throw new GpuUnsupportedError(`webgpu: model ${model.name} has no degree of freedom`);
  for (let j = 1; j < nj; j++) {
    // the generator handles what the joint types declare (step/: S classes, vector spaces), and
    // SE(3) only as the floating base
    const jt = JOINT_TYPES[model.jointTypes[j]];
    if (jt === undefined) throw new GpuUnsupportedError(`webgpu: joint kind ${model.jointTypes[j]} not supported`);
    if (jt.lieGroup === LIE_SE3 && (j !== 1 || !model.floating)) throw new GpuUnsupportedError(`webgpu: model ${model.name}: a ${jt.name} joint is supported only as the floating base (joint 1), found at joint ${j}`);
    if (jt.lieGroup !== LIE_SE3 && jt.lieGroup !== LIE_VECTOR) throw new GpuUnsupportedError(`webgpu: joint type ${jt.name} not supported`);
  }
  if (o.solver && o.solver.method === 'admm') throw new GpuUnsupportedError('webgpu: the GPU step solves contacts by PGS; the simulator asks for ADMM');
  const plane = scene.ground ? { height: scene.ground.height, friction: scene.ground.friction } : null;
  const nboxes = scene.boxes.length;
  const anyEnv = plane !== null || nboxes > 0;
  const shapes: GpuShape[] = [];
  for (const g of model.collisions) {
    if (g.shape.type === 'mesh' && (g.shape.hull !== undefined || (g.shape.path !== null && meshCollisionReady()))) {
      if (g.parentJoint !== 0 && anyEnv) throw new GpuUnsupportedError(`webgpu: mesh collision geometry (link ${g.link}, collided as its convex hull) is not supported on the GPU`);
      continue;
    }
    const shape = collisionShapeFromGeometry(g.shape);
    if (shape.kind === SHAPE_NONE || g.parentJoint === 0) continue;
    if (anyEnv && shape.kind === SHAPE_CYLINDER) throw new GpuUnsupportedError(`webgpu: cylinder collision shapes (link ${g.link}) are not supported on the GPU`);
    if (nboxes > 0 && shape.kind === SHAPE_CAPSULE) throw new GpuUnsupportedError(`webgpu: capsule-box contacts (link ${g.link}) are not supported on the GPU`);
    if (!anyEnv) continue; // nothing to touch
    const d = shape.dims;
    const radius = shape.kind === SHAPE_SPHERE ? d[0] : shape.kind === SHAPE_CAPSULE ? d[0] + d[1] : Math.hypot(d[0], d[1], d[2]);
    shapes.push({ kind: shape.kind, dims: [d[0], d[1], d[2]], joint: g.parentJoint, placement: Array.from(g.placement), radius });
  }
  let candidates = 0;
  for (const s of shapes) candidates += candidatesOf(s.kind, plane !== null, nboxes);
  if (candidates > MAX_CANDIDATES) throw new GpuUnsupportedError(`webgpu: ${candidates} contact candidates > ${MAX_CANDIDATES}`);
  if (candidates > o.maxContacts) throw new GpuUnsupportedError(`webgpu: ${candidates} contact candidates exceed the simulator's capacity ${o.maxContacts}`);
  return {
    name: model.name, model, nq: model.nq, nv, nu: model.nu, floating: model.floating, shapes, plane,
    boxes: scene.boxes.map((b) => ({ placement: Array.from(b.placement), halfExtents: [b.size[0] / 2, b.size[1] / 2, b.size[2] / 2], friction: b.friction })),
    candidates, options: o,
    limits: Array.from(sim.jointLimits.joint, (_, l) => ({
      iq: sim.jointLimits.iq[l], iv: sim.jointLimits.iv[l], lower: sim.jointLimits.lower[l], upper: sim.jointLimits.upper[l],
    })),
  };
}
