/**
 * What collides (set-up time): the robot's collision primitives and the static environment's
 * half-spaces and oriented boxes. Conventions in collision.ts.
 */
import type { GeometryShape } from '../../model/model.ts';

export const SHAPE_NONE = -1;
export const SHAPE_SPHERE = 0;
export const SHAPE_CAPSULE = 1;
export const SHAPE_CYLINDER = 2;
export const SHAPE_BOX = 3;

/**
 * Preprocessed collision primitive: kind and dims =
 *   sphere [radius, 0, 0]; capsule [radius, halfLength, 0] (segment between local z = +-halfLength);
 *   cylinder [radius, halfLength, 0] (caps at local z = +-halfLength); box [hx, hy, hz] half extents.
 */
export interface CollisionShape {
  kind: number;
  readonly dims: Float64Array;
}

export function makeCollisionShape(kind: number, d0: number, d1 = 0, d2 = 0): CollisionShape {
  return { kind, dims: new Float64Array([d0, d1, d2]) };
}

/**
 * From a model geometry (setup time): URDF box size is the full size; cylinder length the full
 * length; capsule length the distance between the hemisphere centres (the cylindrical part).
 * Meshes give SHAPE_NONE (no contacts).
 */
export function collisionShapeFromGeometry(shape: GeometryShape): CollisionShape {
  switch (shape.type) {
    case 'sphere':
      return makeCollisionShape(SHAPE_SPHERE, shape.radius);
    case 'capsule':
      return makeCollisionShape(SHAPE_CAPSULE, shape.radius, shape.length / 2);
    case 'cylinder':
      return makeCollisionShape(SHAPE_CYLINDER, shape.radius, shape.length / 2);
    case 'box':
      return makeCollisionShape(SHAPE_BOX, shape.size[0] / 2, shape.size[1] / 2, shape.size[2] / 2);
    default:
      return makeCollisionShape(SHAPE_NONE, 0);
  }
}

/** Half-space {x : n.x <= h} as [nx, ny, nz, h] with n normalized (setup time). */
export function makePlane(nx: number, ny: number, nz: number, h: number): Float64Array {
  const l = Math.hypot(nx, ny, nz);
  if (!(l > 0)) throw new Error('makePlane: zero normal');
  return new Float64Array([nx / l, ny / l, nz / l, h]);
}

/** The world ground z = height (solid below). */
export function groundPlane(height = 0): Float64Array {
  return makePlane(0, 0, 1, height);
}

export interface BoxObstacle {
  /** World placement (SE3, 12 numbers). */
  readonly placement: Float64Array;
  /** Half extents (3). */
  readonly halfExtents: Float64Array;
}

export function makeBoxObstacle(placement: ArrayLike<number>, halfExtents: ArrayLike<number>): BoxObstacle {
  if (placement.length !== 12 || halfExtents.length !== 3) throw new Error('makeBoxObstacle: bad sizes');
  return { placement: Float64Array.from(placement), halfExtents: Float64Array.from(halfExtents) };
}
