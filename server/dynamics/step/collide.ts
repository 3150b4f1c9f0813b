/**
 * The collision part of the position stage: the robot's collision shapes (set up once from the
 * model's geometry) against the scene (ground half-space, static boxes), with a margin that
 * grows with each shape's speed.
 */
import type { Model } from '../../model/model.ts';
import { se3Mul } from '../../model/spatial.ts';
import {
  clearContacts, CollisionWorkspace, collideShapeBox, collideShapePlane, collisionShapeFromGeometry, groundPlane, makeBoxObstacle,
  SHAPE_CAPSULE, SHAPE_CYLINDER, SHAPE_NONE, SHAPE_SPHERE, type BoxObstacle, type CollisionShape, type ContactBuffer,
} from '../collision.ts';
import type { Data } from '../data.ts';
import { collideMeshScene, hullCollisionShape, meshCollisionReady, meshCollisionShape, SHAPE_MESH, type MeshCollisionShape } from '../mesh-collision.ts';
import type { Scene } from '../scene.ts';
import type { SimOptions } from './options.ts';

/** The robot's collision shapes and the scene they collide with (set-up once per Simulator). */
export class SceneCollider {
  /** Shapes that can touch the scene (not welded to the world), in model order. */
  readonly shapes: CollisionShape[] = [];
  /** Per shape: the joint whose body carries it. */
  readonly shapeJoint: Int32Array;
  /** Bounding radius of each shape about its centre (m). */
  readonly shapeRadius: Float64Array;
  /** Per shape: its placement in its joint's frame (12 numbers). */
  private readonly shapePlacement: Float64Array;
  /** Per shape: its world placement at the last detection (12 numbers). */
  private readonly shapeWorld: Float64Array;
  private readonly plane: Float64Array | null;
  private readonly boxes: BoxObstacle[];
  /** Friction per environment object: index 0 the ground, 1.. the boxes. */
  readonly envFriction: Float64Array;
  /** The collision routines' scratch. */
  private readonly ws = new CollisionWorkspace();

  constructor(model: Model, scene: Scene) {
    const geomJoint: number[] = [];
    const placements: number[] = [];
    let meshOnly = model.collisions.length > 0;
    for (const g of model.collisions) {
      const shape = g.shape.type === 'mesh' && g.shape.hull ? hullCollisionShape(g.shape.hull, `${g.link} (${g.shape.uri})`)
        : g.shape.type === 'mesh' && g.shape.path !== null && meshCollisionReady()
          ? meshCollisionShape(g.shape) : collisionShapeFromGeometry(g.shape);
      if (shape.kind === SHAPE_MESH && (shape as MeshCollisionShape).hull.raw === null && scene.boxes.length > 0 && !meshCollisionReady()) {
        throw new Error(`simulator: the convex hull of ${g.link}'s collision mesh against the scene's boxes needs Rapier: call \`await initMeshCollision()\` (server/dynamics/mesh-collision.ts) before creating the Simulator (against the ground alone it does not)`);
      }
      if (shape.kind === SHAPE_NONE) continue;
      meshOnly = false;
      if (g.parentJoint === 0) continue; // welded to the world: never moves, never collides
      this.shapes.push(shape);
      geomJoint.push(g.parentJoint);
      placements.push(...g.placement);
    }
    if (meshOnly) {
      throw new Error(`simulator: model ${model.name} has only mesh collision geometry; contacts need primitives (sphere, capsule, cylinder, box), or mesh collision: call \`await initMeshCollision()\` (server/dynamics/mesh-collision.ts) before creating the Simulator, with the mesh files resolved (packageDirs)`);
    }
    this.shapeJoint = Int32Array.from(geomJoint);
    this.shapeRadius = Float64Array.from(this.shapes.map((sh) => {
      const d = sh.dims;
      switch (sh.kind) {
        case SHAPE_SPHERE: return d[0];
        case SHAPE_CAPSULE: return d[0] + d[1];
        case SHAPE_CYLINDER: return Math.hypot(d[0], d[1]);
        default: return Math.hypot(d[0], d[1], d[2]);
      }
    }));
    this.shapePlacement = Float64Array.from(placements);
    this.shapeWorld = new Float64Array(12 * this.shapes.length);
    this.plane = scene.ground ? groundPlane(scene.ground.height) : null;
    this.boxes = scene.boxes.map((b) => makeBoxObstacle(b.placement, [b.size[0] / 2, b.size[1] / 2, b.size[2] / 2]));
    // env index 0 = ground, 1.. = boxes
    this.envFriction = Float64Array.from([scene.ground?.friction ?? 0, ...scene.boxes.map((b) => b.friction)]);
  }

  /**
   * Clears buf and fills it with the contacts at the placements of data (forward kinematics
   * done). With v, each shape's margin grows by the distance it can travel in the step (speed
   * of its centre + |w| x its bounding radius, + g dt^2), so a fast body cannot pass the margin
   * unseen; the speculative bias lets such a gap close exactly.
   */
  detect(model: Model, data: Data, v: ArrayLike<number> | undefined, o: SimOptions, buf: ContactBuffer): void {
    const dt = o.dt;
    clearContacts(buf);
    const G0 = model.gravity[0], G1 = model.gravity[1], G2 = model.gravity[2];
    const g2 = dt * dt * Math.sqrt(G0 * G0 + G1 * G1 + G2 * G2); // (Math.hypot allocates its arguments)
    for (let s = 0; s < this.shapes.length; s++) {
      const j = this.shapeJoint[s], kind = this.shapes[s].kind, so = 12 * s, P = this.shapePlacement, SW = this.shapeWorld;
      const cx = P[so + 9], cy = P[so + 10], cz = P[so + 11];
      if (v) {
        const V = data.v, o6 = 6 * j;
        const wx = V[o6 + 3], wy = V[o6 + 4], wz = V[o6 + 5];
        const sx = V[o6] + wy * cz - wz * cy, sy = V[o6 + 1] + wz * cx - wx * cz, sz = V[o6 + 2] + wx * cy - wy * cx;
        const reach = dt * (Math.sqrt(sx * sx + sy * sy + sz * sz) + Math.sqrt(wx * wx + wy * wy + wz * wz) * this.shapeRadius[s]);
        buf.marginBox[0] = o.margin + reach + g2;
      }
      // the shape's world centre (the translation se3Mul writes, the same numbers)
      const O = data.oMi, jo = 12 * j;
      const wx = O[jo] * cx + O[jo + 1] * cy + O[jo + 2] * cz + O[jo + 9];
      const wy = O[jo + 3] * cx + O[jo + 4] * cy + O[jo + 5] * cz + O[jo + 10];
      const wz = O[jo + 6] * cx + O[jo + 7] * cy + O[jo + 8] * cz + O[jo + 11];
      // bounding-sphere cull against the ground: a shape whose sphere lies beyond the margin
      // cannot touch it (the base of a standing robot, a swinging leg)
      let nearGround = this.plane !== null;
      if (nearGround && kind !== SHAPE_MESH) {
        const pl = this.plane!;
        nearGround = pl[0] * wx + pl[1] * wy + pl[2] * wz - pl[3] - this.shapeRadius[s] <= buf.marginBox[0] + 1e-9;
        if (!nearGround && this.boxes.length === 0) continue;
      }
      // a sphere's queries read only its centre (its rotation entries in shapeWorld stay unwritten)
      if (kind === SHAPE_SPHERE) { SW[so + 9] = wx; SW[so + 10] = wy; SW[so + 11] = wz; } else se3Mul(O, jo, P, so, SW, so);
      if (nearGround) collideShapePlane(this.shapes[s], this.shapeWorld, 12 * s, this.plane!, s, 0, buf, this.ws);
      for (let b = 0; b < this.boxes.length; b++) collideShapeBox(this.shapes[s], this.shapeWorld, 12 * s, this.boxes[b], s, b + 1, buf, this.ws);
      if (kind === SHAPE_MESH) collideMeshScene(this.shapes[s] as MeshCollisionShape, this.shapeWorld, 12 * s, this.plane, this.boxes, s, buf);
    }
    buf.marginBox[0] = o.margin;
  }
}
