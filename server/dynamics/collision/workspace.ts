/**
 * The scratch of the primitive collision routines, owned by the caller (one per Simulator, or
 * per thread): every intermediate a routine passes to a helper goes through it, so that no
 * double is passed to or returned from a helper (V8 would box it: an allocation per call) and
 * nothing is allocated per query. Which routine writes and reads each field is named here.
 */
import { contactFrame, type ContactBuffer } from './contact-buffer.ts';

export class CollisionWorkspace {
  /** The pending contact that `emit` appends: pos (3), normal (3), dist. */
  readonly pending = new Float64Array(7);
  /** The robot point queried (world, 3) and the radius its distance is reduced by (at 3). */
  readonly point = new Float64Array(4);
  /** Box query input: the point in the box frame (worldToBox, segmentQuery). */
  readonly boxPoint = new Float64Array(3);
  /** Box query output (box frame): closest surface point (3), outward normal (3), signed distance. */
  readonly boxHit = new Float64Array(7);
  /** A segment in the box frame: A (3), B (3), and the parameter t to query (at 6). */
  readonly segment = new Float64Array(7);
  /** Cylinder rim cross points (8 x 3) for the support direction (cylinderRim). */
  readonly rim = new Float64Array(24);
  /** The support direction n of the rim: its deepest points are towards -n. */
  readonly support = new Float64Array(3);
  /** segmentMinimum's result: argmin t, the minimum, the two ends of the flat interval. */
  readonly segMin = new Float64Array(4);
  /** Segment parameters already emitted by this query (up to 4; count in segCount[0]). */
  readonly used = new Float64Array(4);
  /** The segment's length (m), for the dedupe distance. */
  readonly segLength = new Float64Array(1);
  /** The normal at the minimizer, taken by the points of the flat interval (when segCount[1] = 1). */
  readonly flatNormal = new Float64Array(3);
  /** [0]: number of entries of `used`; [1]: 1 while emitting the ends of the flat interval. */
  readonly segCount = new Int32Array(2);
}

/** Appends ws.pending to buf if its dist < margin; returns 1 if stored. */
export function emit(ws: CollisionWorkspace, buf: ContactBuffer, geom: number, env: number): number {
  const E = ws.pending;
  if (!(E[6] < buf.marginBox[0])) return 0;
  const k = buf.count;
  if (k >= buf.capacity) {
    buf.dropped++;
    return 0;
  }
  const o = 3 * k;
  buf.pos[o] = E[0];
  buf.pos[o + 1] = E[1];
  buf.pos[o + 2] = E[2];
  buf.normal[o] = E[3];
  buf.normal[o + 1] = E[4];
  buf.normal[o + 2] = E[5];
  buf.dist[k] = E[6];
  buf.geom[k] = geom;
  buf.env[k] = env;
  contactFrame(buf.normal, o, buf.frame, 9 * k);
  buf.count = k + 1;
  return 1;
}
