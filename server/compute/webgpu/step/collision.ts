/**
 * Stage: collision candidates (dynamics/collision.ts) of every shape against the ground and the
 * boxes, with the velocity-dependent margin of the position stage; a candidate is active when
 * its signed distance is below the margin (the CPU's contact list is exactly the active
 * candidates, in the same order).
 */
import { SHAPE_BOX, SHAPE_CAPSULE, SHAPE_SPHERE } from '../../../dynamics/collision.ts';
import type { Tracer } from '../trace.ts';
import { IDENT, isIdent, type B, type M3, type StepTrace, type V, type V3 } from './common.ts';
import type { Kinematics } from './kinematics.ts';

export interface Candidate {
  shape: number;
  body: number;
  active: B;
  pos: V3;
  n: V3;
  dist: V;
  /** Contact frame, row-major, columns [t1 t2 n]. */
  R: M3;
  mu: number;
}

/** The contact frame [t1 t2 n] of a unit normal (collision.ts contactFrame). */
export function contactFrame(t: Tracer, n: V3): M3 {
  const s = t.sel(t.cmp('>=', n[2], 0), 1, -1);
  const a = t.div(-1, t.add(s, n[2]));
  const b = t.mul(t.mul(n[0], n[1]), a);
  // columns t1 = (1 + s nx^2 a, s b, -s nx), t2 = (b, s + ny^2 a, -ny), n  (collision.ts contactFrame)
  return [
    t.add(1, t.mul(t.mul(s, t.mul(n[0], n[0])), a)), b, n[0],
    t.mul(s, b), t.add(s, t.mul(t.mul(n[1], n[1]), a)), n[1],
    t.neg(t.mul(s, n[0])), t.neg(n[1]), n[2],
  ];
}

export function traceCandidates(st: StepTrace, kin: Kinematics): Candidate[] {
  const { t, pm, model, dt } = st;
  const o = pm.options;
  const { oR, op, bvl, bva } = kin;
  const cands: Candidate[] = [];
  const g2 = dt * dt * Math.hypot(model.gravity[0], model.gravity[1], model.gravity[2]);
  const planePoint = (s: number, body: number, x: V3, r: number, margin: V) => {
    const pl = pm.plane!;
    const d = t.sub(x[2], pl.height);
    const dist = t.sub(d, r);
    cands.push({ shape: s, body, active: t.cmp('<', dist, margin), pos: [x[0], x[1], t.sub(x[2], d)], n: [0, 0, 1], dist, R: IDENT, mu: pl.friction });
  };
  const boxPoint = (s: number, body: number, x: V3, r: number, b: number, margin: V) => {
    const box = pm.boxes[b];
    const BR = box.placement.slice(0, 9), Bp = box.placement.slice(9, 12), he = box.halfExtents;
    const P3 = t.mtv(BR, t.v3sub(x, Bp));
    // boxQuery: outside -> closest point; inside -> face of least penetration
    const qc = P3.map((pi, i) => t.min(t.max(pi, -he[i]), he[i]));
    const dl = t.v3sub(P3, qc);
    const l = t.norm(dl);
    const outside = t.cmp('>', l, 0);
    const lS = t.sel(outside, l, 1);
    const e = P3.map((pi, i) => t.sub(t.abs(pi), he[i]));
    const useX = t.and(t.cmp('>=', e[0], e[1]), t.cmp('>=', e[0], e[2]));
    const useY = t.and(t.not(useX), t.cmp('>=', e[1], e[2]));
    const useZ = t.and(t.not(useX), t.not(useY));
    const use = [useX, useY, useZ];
    const sg = P3.map((pi) => t.sel(t.cmp('>=', pi, 0), 1, -1));
    const nLoc = [0, 1, 2].map((i) => t.sel(outside, t.div(dl[i], lS), t.sel(use[i], sg[i], 0)));
    const qLoc = [0, 1, 2].map((i) => t.sel(outside, qc[i], t.sel(use[i], t.mul(sg[i], he[i]), P3[i])));
    const sdIn = t.sel(useX, e[0], t.sel(useY, e[1], e[2]));
    const sd = t.sel(outside, l, sdIn);
    const n = t.mv(BR, nLoc);
    const dist = t.sub(sd, r);
    cands.push({ shape: s, body, active: t.cmp('<', dist, margin), pos: t.v3add(t.mv(BR, qLoc), Bp), n, dist, R: contactFrame(t, n), mu: box.friction });
  };
  pm.shapes.forEach((sh, s) => {
    const j = sh.joint;
    const SR = sh.placement.slice(0, 9), Sp = sh.placement.slice(9, 12);
    const w = bva[j];
    const sv = t.v3add(bvl[j], t.cross(w, Sp));
    const reach = t.mul(dt, t.add(t.norm(sv), t.mul(t.norm(w), sh.radius)));
    const margin = t.add(o.margin + g2, reach);
    const R = isIdent(SR) ? oR[j] : t.mm(oR[j], SR);
    const c = t.v3add(t.mv(oR[j], Sp), op[j]);
    const d = sh.dims;
    if (sh.kind === SHAPE_SPHERE) {
      if (pm.plane) planePoint(s, j, c, d[0], margin);
      pm.boxes.forEach((_, b) => boxPoint(s, j, c, d[0], b, margin));
    } else if (sh.kind === SHAPE_CAPSULE) {
      if (pm.plane) {
        const ax = [R[2], R[5], R[8]];
        planePoint(s, j, t.v3sub(c, t.v3scale(ax, d[1])), d[0], margin);
        if (d[1] > 0) planePoint(s, j, t.v3add(c, t.v3scale(ax, d[1])), d[0], margin);
      }
    } else if (sh.kind === SHAPE_BOX) {
      const corner = (k: number): V3 => t.v3add(t.mv(R, [k & 1 ? d[0] : -d[0], k & 2 ? d[1] : -d[1], k & 4 ? d[2] : -d[2]]), c);
      const corners = Array.from({ length: 8 }, (_, k) => corner(k));
      if (pm.plane) corners.forEach((x) => planePoint(s, j, x, 0, margin));
      pm.boxes.forEach((_, b) => corners.forEach((x) => boxPoint(s, j, x, 0, b, margin)));
    }
  });
  return cands;
}
