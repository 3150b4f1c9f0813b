/**
 * Analytic contact generation between robot collision primitives and a static environment made
 * of half-spaces (the ground) and oriented boxes, for velocity-level time stepping.
 *
 * Conventions (see also contact-solver.ts)
 * - A robot shape is placed by a world SE3 of 12 numbers at M[mo..mo+11] (R row-major then p,
 *   x_world = R x_local + p). Shapes are centred on their frame; cylinders and capsules have
 *   their axis along local z (URDF convention).
 * - Every contact has:
 *     pos    : the witness point ON THE ENVIRONMENT SURFACE (plane or box). The robot's witness
 *              point is pos + dist * normal.
 *     normal : unit, from the environment INTO the robot body: the direction in which the
 *              contact force pushes the robot.
 *     dist   : signed distance between the surfaces along the normal (negative = penetration).
 *     frame  : rotation [t1 t2 n] (columns; row-major, 9 numbers) from `contactFrame`, the
 *              contact frame of the solver (tangents first, normal last).
 *     geom   : robot geometry index, env : environment object index (both given by the caller).
 * - Contacts are reported while dist < buf.margin (> 0), so the solver sees contacts that are
 *   about to close during the step (use computeContactBias' speculative rule for d > 0).
 * - A half-space is a Float64Array [nx, ny, nz, h]: the solid is {x : n.x <= h}, n unit
 *   (`makePlane`, `groundPlane(height)` for the world ground z = height).
 * - A box obstacle is { placement: SE3 (12), halfExtents: (3) } (`makeBoxObstacle`).
 *
 * Per pair (maximum number of contacts in brackets):
 *   sphere-plane   [1] centre projection.
 *   capsule-plane  [2] the two hemisphere centres (segment endpoints), each tested like a sphere.
 *                      Exact for the deepest point (a segment's extremum is at an endpoint) and
 *                      gives the 2-point line support of a capsule lying on the ground.
 *   cylinder-plane [8] per cap, 4 rim points in a cross: the deepest rim point, the opposite one
 *                      and the two at +-90 degrees, each reported when within the margin. Tilted
 *                      beyond the margin: 1 point per cap at most (2 in all, e.g. lying on its
 *                      side: the two bottom rim points); flat on the plane: the 4 rim points of
 *                      the bottom cap (a stable 4-point support). The cross is aligned with the
 *                      tilt direction, or with the local x/y axes when the axis is exactly
 *                      normal to the plane. 8 only for a cylinder thinner than the margin.
 *   box-plane      [8] every corner within the margin (4 when resting flat, 1 when tilted on
 *                      a corner, 2 on an edge). 8 only when the box is thinner than the margin.
 *   sphere-box     [1] exact: closest point of the box to the centre (face, edge or corner);
 *                      a centre inside the box uses the face of least penetration.
 *   capsule-box    [4] signed distance to the box along the segment is convex: its minimum is
 *                      found by golden-section search and the interval where it is flat (within
 *                      1e-12 m) by bisection; contacts at the two ends of that interval (at the
 *                      minimizer when the interval is shorter than 1% of the radius) and at the
 *                      two segment endpoints (if within the margin), points closer than 1% of
 *                      the radius merged. Exact for the deepest point; a capsule lying on a face
 *                      gives its 2 endpoints, one hanging over an edge gives the endpoint on the
 *                      face and the edge point, one crossing an edge gives the edge point.
 *                      The interval-end contacts take the normal of the minimizer (the face
 *                      normal for a capsule lying on a face). (Penetrating at an edge, the
 *                      interval ends where the depths below the two faces are equal.)
 *   cylinder-box  [10] approximation: the box is seen through the support direction n at the
 *                      cylinder centre (normal of the box's closest point / least-penetration
 *                      face); the 8 rim cross points built for that direction, plus the ends of
 *                      the minimum interval of the signed distance along the cylinder's lowest
 *                      generator line (as for capsules: lying across an edge gives the edge
 *                      point), are each tested exactly against the box. Curved-side contacts
 *                      away from that generator line (e.g. a box corner poking into the side of
 *                      a standing cylinder) are missed.
 *   box-box        [8] approximation: the 8 robot-box corners tested exactly against the
 *                      obstacle (vertex-face contacts: a foot on a step or a table). Edge-edge
 *                      contacts and obstacle corners poking into a robot face are missed.
 *   mesh           not handled here: mesh-collision.ts collides meshes as convex hulls (Rapier).
 *
 * Files: collision/shapes.ts (primitives, half-spaces, box obstacles), collision/contact-buffer.ts
 * (the output and the contact frame), collision/workspace.ts (the caller's scratch),
 * collision/plane.ts and collision/box.ts (the pairs); this file dispatches on the shape kind.
 *
 * Hot path: no allocation (the scratch is the CollisionWorkspace the caller passes, allocated
 * once; no double passed to or returned from a helper: V8 would box it) and a fixed evaluation
 * order, so results are deterministic. When the buffer is full further contacts are dropped and
 * counted in buf.dropped.
 */

import type { ContactBuffer } from './collision/contact-buffer.ts';
import { collideBoxBox, collideCapsuleBox, collideCylinderBox, collideSphereBox } from './collision/box.ts';
import { collideBoxPlane, collideCapsulePlane, collideCylinderPlane, collideSpherePlane } from './collision/plane.ts';
import { SHAPE_BOX, SHAPE_CAPSULE, SHAPE_CYLINDER, SHAPE_SPHERE, type BoxObstacle, type CollisionShape } from './collision/shapes.ts';
import type { CollisionWorkspace } from './collision/workspace.ts';

export * from './collision/shapes.ts';
export { ContactBuffer, clearContacts, contactFrame, createContactBuffer } from './collision/contact-buffer.ts';
export { CollisionWorkspace } from './collision/workspace.ts';
export { collideBoxBox, collideCapsuleBox, collideCylinderBox, collideSphereBox } from './collision/box.ts';
export { collideBoxPlane, collideCapsulePlane, collideCylinderPlane, collideSpherePlane } from './collision/plane.ts';

/** Any robot primitive vs a half-space; returns the number of contacts added. */
export function collideShapePlane(
  shape: CollisionShape,
  M: Float64Array,
  mo: number,
  plane: Float64Array,
  geom: number,
  env: number,
  buf: ContactBuffer,
  ws: CollisionWorkspace,
): number {
  switch (shape.kind) {
    case SHAPE_SPHERE:
      return collideSpherePlane(shape, M, mo, plane, geom, env, buf, ws);
    case SHAPE_CAPSULE:
      return collideCapsulePlane(shape, M, mo, plane, geom, env, buf, ws);
    case SHAPE_CYLINDER:
      return collideCylinderPlane(shape, M, mo, plane, geom, env, buf, ws);
    case SHAPE_BOX:
      return collideBoxPlane(shape, M, mo, plane, geom, env, buf, ws);
    default:
      return 0;
  }
}

/** Any robot primitive vs an oriented box obstacle; returns the number of contacts added. */
export function collideShapeBox(
  shape: CollisionShape,
  M: Float64Array,
  mo: number,
  box: BoxObstacle,
  geom: number,
  env: number,
  buf: ContactBuffer,
  ws: CollisionWorkspace,
): number {
  switch (shape.kind) {
    case SHAPE_SPHERE:
      return collideSphereBox(shape, M, mo, box, geom, env, buf, ws);
    case SHAPE_CAPSULE:
      return collideCapsuleBox(shape, M, mo, box, geom, env, buf, ws);
    case SHAPE_CYLINDER:
      return collideCylinderBox(shape, M, mo, box, geom, env, buf, ws);
    case SHAPE_BOX:
      return collideBoxBox(shape, M, mo, box, geom, env, buf, ws);
    default:
      return 0;
  }
}
