/**
 * Stage: integration on the configuration manifold (dynamics/step.ts advance, lie.ts): the
 * free-flyer translates on a straight line and turns by exp(dt w), the other joints q + dt v;
 * and the joint stops within reach (joint-limits.ts), whose steps are the CPU's business.
 */
import type { Tracer } from '../trace.ts';
import type { B, M3, StepTrace, V, V3 } from './common.ts';

/** Rotation of the unit quaternion (x, y, z, w), row-major (spatial.ts quatToRot). */
export function quatRot(t: Tracer, x: V, y: V, z: V, w: V): M3 {
  const m = (a: V, b: V) => t.mul(a, b);
  const two = (a: V) => t.mul(2, a);
  const xx = m(x, x), yy = m(y, y), zz = m(z, z), xy = m(x, y), xz = m(x, z), yz = m(y, z), wx = m(w, x), wy = m(w, y), wz = m(w, z);
  return [
    t.sub(1, two(t.add(yy, zz))), two(t.sub(xy, wz)), two(t.add(xz, wy)),
    two(t.add(xy, wz)), t.sub(1, two(t.add(xx, zz))), two(t.sub(yz, wx)),
    two(t.sub(xz, wy)), two(t.add(yz, wx)), t.sub(1, two(t.add(xx, yy))),
  ];
}

/**
 * q * exp6(tv, tw) for the free-flyer (lie.ts integrateFreeFlyer): position and unit quaternion.
 * Series for (1 - cos)/th^2 and (th - sin)/th^3 below th = 0.25 (f32 cancellation).
 */
export function integrateFF(t: Tracer, p: V3, q: V[], tv: V3, tw: V3): { p: V3; q: V[] } {
  const th2 = t.dot(tw, tw);
  const th = t.sqrt(th2);
  const small = t.cmp('<', th, 0.25);
  const th4 = t.mul(th2, th2);
  const aS = t.add(t.sub(0.5, t.div(th2, 24)), t.div(th4, 720));
  const bS = t.add(t.sub(1 / 6, t.div(th2, 120)), t.div(th4, 5040));
  const thS = t.sel(small, 1, th); // keeps the unused branch finite
  const th2S = t.mul(thS, thS);
  const aL = t.div(t.sub(1, t.cos(thS)), th2S);
  const bL = t.div(t.sub(thS, t.sin(thS)), t.mul(th2S, thS));
  const a = t.sel(small, aS, aL), b = t.sel(small, bS, bL);
  const c = t.cross(tw, tv);
  const cc = t.cross(tw, c);
  const d = [0, 1, 2].map((i) => t.add(t.add(tv[i], t.mul(a, c[i])), t.mul(b, cc[i])));
  const R = quatRot(t, q[0], q[1], q[2], q[3]);
  const pn = t.v3add(p, t.mv(R, d));
  const half = t.mul(0.5, th);
  const s = t.sel(t.cmp('<', th, 1e-3), t.sub(0.5, t.div(th2, 48)), t.div(t.sin(half), t.sel(t.cmp('<', th, 1e-3), 1, th)));
  const ex = t.mul(s, tw[0]), ey = t.mul(s, tw[1]), ez = t.mul(s, tw[2]), ew = t.cos(half);
  const [qx, qy, qz, qw] = q;
  const m = (x: V, y: V) => t.mul(x, y);
  const nx = t.sub(t.add(t.add(m(qw, ex), m(qx, ew)), m(qy, ez)), m(qz, ey));
  const ny = t.add(t.add(t.sub(m(qw, ey), m(qx, ez)), m(qy, ew)), m(qz, ex));
  const nz = t.add(t.sub(t.add(m(qw, ez), m(qx, ey)), m(qy, ex)), m(qz, ew));
  const nw = t.sub(t.sub(t.sub(m(qw, ew), m(qx, ex)), m(qy, ey)), m(qz, ez));
  const inv = t.div(1, t.sqrt(t.dot([nx, ny, nz, nw], [nx, ny, nz, nw])));
  return { p: pn, q: [t.mul(nx, inv), t.mul(ny, inv), t.mul(nz, inv), t.mul(nw, inv)] };
}

/** q_next and v_next from q and the post-impulse velocity vout. */
export function traceIntegrate(s: StepTrace, q: readonly V[], vout: readonly V[]): { qn: V[]; vn: V[] } {
  const { t, model, dt } = s;
  const nj = model.njoints;
  const qn: V[] = new Array(model.nq).fill(0);
  const vn: V[] = vout.slice();
  let first = 1;
  if (model.floating) {
    first = 2;
    const qq = [q[3], q[4], q[5], q[6]];
    const l = [vout[0], vout[1], vout[2]], w = [vout[3], vout[4], vout[5]];
    const R = quatRot(t, qq[0], qq[1], qq[2], qq[3]);
    const pn = t.v3add([q[0], q[1], q[2]], t.v3scale(t.mv(R, l), dt));
    const rot = integrateFF(t, [0, 0, 0], qq, [0, 0, 0], t.v3scale(w, dt));
    qn[0] = pn[0]; qn[1] = pn[1]; qn[2] = pn[2];
    for (let k = 0; k < 4; k++) qn[3 + k] = rot.q[k];
    // v_lin' = exp(-dt w) v_lin (Rodrigues)
    const th = t.mul(dt, t.norm(w));
    const pos = t.cmp('>', th, 0);
    const thS = t.sel(pos, th, 1);
    const a = w.map((x) => t.div(t.mul(-dt, x), thS));
    const c = t.cos(th), sn = t.sin(th);
    const dotal = t.mul(t.dot(a, l), t.sub(1, c));
    const cr = t.cross(a, l);
    for (let i = 0; i < 3; i++) vn[i] = t.sel(pos, t.add(t.add(t.mul(l[i], c), t.mul(cr[i], sn)), t.mul(a[i], dotal)), l[i]);
  }
  // the other joints are vector spaces (model-pack.ts refuses any other configuration space)
  for (let j = first; j < nj; j++) {
    for (let k = 0; k < model.nvs[j]; k++) qn[model.idxQ[j] + k] = t.add(q[model.idxQ[j] + k], t.mul(dt, vout[model.idxV[j] + k]));
  }
  return { qn, vn };
}

/**
 * A joint stop is within reach (joint-limits.ts detectLimitRows: distance <= margin + dt |v|),
 * with the margin widened by 1e-4 so that f32 rounding cannot miss a row the CPU would build.
 */
export function traceNearLimit(s: StepTrace, q: readonly V[], v: readonly V[]): B {
  const { t, pm, dt } = s;
  let nearLimit: B = false;
  const lm = pm.options.limitMargin + 1e-4;
  for (const lim of pm.limits) {
    const x = q[lim.iq], dv = t.mul(dt, v[lim.iv]), ndv = t.mul(-dt, v[lim.iv]);
    for (const d of [Number.isFinite(lim.lower) ? t.sub(t.sub(x, lim.lower), lm) : null, Number.isFinite(lim.upper) ? t.sub(t.sub(lim.upper, x), lm) : null]) {
      if (d === null) continue;
      nearLimit = t.or(nearLimit, t.or(t.cmp('<=', d, dv), t.cmp('<=', d, ndv)));
    }
  }
  return nearLimit;
}
