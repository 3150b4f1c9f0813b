/**
 * Generates the body of the WGSL step kernel for one model: the contact time step of
 * server/dynamics/step.ts traced through trace.ts, so the tree, the joint axes, the inertias and
 * the collision candidates unroll into straight-line f32 code over registers (every model
 * number a literal). One invocation steps one sample.
 *
 * Stages, in step.ts order (same formulas; the CPU file names the reference of each):
 *   forward kinematics with body velocities (kinematics.ts);
 *   collision candidates of every shape against the ground and the boxes (collision.ts), with
 *     the velocity-dependent margin of positionStage; a candidate is active when its signed
 *     distance is below the margin (the CPU's contact list is exactly the active candidates, in
 *     the same order);
 *   CRBA (crba.ts) with composite inertias in origin form, H = M + dt D, its tree-sparse LTDL
 *     factor (factor-m.ts);
 *   contact Jacobians in the contact frames [t1 t2 n], W = L^-T Jc^T and G = W^T D^-1 W along
 *     each contact's dof chain, the normal bias (contact-solver.ts computeContactBias);
 *   RNEA nonlinear effects, effort clamp, v_free = v + H^-1 dt (tau - nle - D v) with the
 *     free-flyer's w x v term;
 *   PGS on the De Saxcé NCP from a cold start (contact-solver.ts solvePgs: sticking candidate
 *     by the 3x3 block inverse, else normal then tangential split step; residual = max of
 *     primal, dual and complementarity; exact re-evaluation of sigma before declaring
 *     convergence), over the active candidates in order;
 *   impulses v = v_free + H^-1 Jc^T lambda; manifold integration (step.ts advance).
 *
 * Not on the GPU: the CPU's active-set polish of sticking contacts (an exact f64 solve that
 * makes finite-difference derivatives of sticking contacts null to machine precision; the
 * zero-order estimator does not need it, and the PGS tolerance below is at f32 resolution).
 */
import { JOINT_FREE, JOINT_PRISMATIC } from '../../model/model.ts';
import { dofParents } from '../../model/model.ts';
import { inertiaComToOrigin } from '../../model/spatial.ts';
import { SHAPE_BOX, SHAPE_CAPSULE, SHAPE_SPHERE } from '../../dynamics/collision.ts';
import type { PackedModel } from './model-pack.ts';
import { Tracer, type B, type V } from './trace.ts';

export interface GpuSolverOptions {
  /** PGS sweeps (the CPU allows up to 500). */
  maxIterations: number;
  /** Absolute residual (velocity / impulse units, contact-solver.ts) at which PGS stops. */
  tolerance: number;
}

export const DEFAULT_GPU_SOLVER: GpuSolverOptions = { maxIterations: 200, tolerance: 2e-6 };

type V3 = V[];
type M3 = V[];

interface Inertia { m: V; h: V3; I: V[] /* xx yy zz xy xz yz */ }

interface Candidate {
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

const IDENT: M3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/** Rotation of the unit quaternion (x, y, z, w), row-major (spatial.ts quatToRot). */
function quatRot(t: Tracer, x: V, y: V, z: V, w: V): M3 {
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
function integrateFF(t: Tracer, p: V3, q: V[], tv: V3, tw: V3): { p: V3; q: V[] } {
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

function contactFrame(t: Tracer, n: V3): M3 {
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

export interface StepCode {
  /** WGSL statements (inside main) computing qn (nq) and vn (nv) from q, v, u. */
  lines: string[];
  qn: V[];
  vn: V[];
  /** WGSL bool expressions (or constants) for the status bits. */
  notPd: B;
  /** Name of the WGSL bool variable set when PGS stopped above tolerance (or null without contacts). */
  notConverged: string | null;
  /** A joint stop is within reach (the CPU's rule, the margin widened for f32): the step is the CPU's business. */
  nearLimit: B;
}

/** Traces one step; q, v, u are the names (or constants) of the inputs. */
export function traceStep(pm: PackedModel, q: V[], v: V[], u: V[], solver: GpuSolverOptions = DEFAULT_GPU_SOLVER): StepCode {
  const t = new Tracer();
  const model = pm.model, o = pm.options;
  const nj = model.njoints, nv = model.nv, dt = o.dt;
  const P = model.jointPlacements;
  const axisOf = (j: number): number[] => [model.axes[3 * j], model.axes[3 * j + 1], model.axes[3 * j + 2]];
  const placeR = (j: number): number[] => Array.from(P.subarray(12 * j, 12 * j + 9));
  const placeP = (j: number): number[] => Array.from(P.subarray(12 * j + 9, 12 * j + 12));
  const isIdent = (R: number[]) => R.every((x, i) => x === IDENT[i]);

  // ---------------- forward kinematics (kinematics.ts) ----------------
  const lR: M3[] = [IDENT], lp: V3[] = [[0, 0, 0]];
  const oR: M3[] = [IDENT], op: V3[] = [[0, 0, 0]];
  const bvl: V3[] = [[0, 0, 0]], bva: V3[] = [[0, 0, 0]];
  const jointVel = (j: number): { l: V3; a: V3 } => {
    const iv = model.idxV[j], ty = model.jointTypes[j];
    if (ty === JOINT_FREE) return { l: [v[iv], v[iv + 1], v[iv + 2]], a: [v[iv + 3], v[iv + 4], v[iv + 5]] };
    const ax = axisOf(j).map((x) => t.mul(x, v[iv]));
    return ty === JOINT_PRISMATIC ? { l: ax, a: [0, 0, 0] } : { l: [0, 0, 0], a: ax };
  };
  for (let j = 1; j < nj; j++) {
    const p = model.parents[j], ty = model.jointTypes[j], iq = model.idxQ[j];
    const PR = placeR(j), Pp = placeP(j);
    if (ty === JOINT_FREE) {
      const R = quatRot(t, q[iq + 3], q[iq + 4], q[iq + 5], q[iq + 6]);
      lR[j] = t.mm(PR, R);
      lp[j] = t.v3add(t.mv(PR, [q[iq], q[iq + 1], q[iq + 2]]), Pp);
    } else if (ty === JOINT_PRISMATIC) {
      lR[j] = PR;
      lp[j] = t.v3add(Pp, t.v3scale(t.mv(PR, axisOf(j)), q[iq]));
    } else {
      const a = axisOf(j), x = q[iq];
      const c = t.cos(x), s = t.sin(x);
      let rot: M3;
      const principal = a.filter((e) => e === 0).length === 2 && a.some((e) => e === 1);
      if (principal) {
        const ns = t.neg(s);
        if (a[0] === 1) rot = [1, 0, 0, 0, c, ns, 0, s, c];
        else if (a[1] === 1) rot = [c, 0, s, 0, 1, 0, ns, 0, c];
        else rot = [c, ns, 0, s, c, 0, 0, 0, 1];
      } else {
        const tt = t.sub(1, c);
        const m = (u1: number, u2: number) => t.mul(u1 * u2, tt);
        rot = [
          t.add(c, m(a[0], a[0])), t.sub(m(a[0], a[1]), t.mul(a[2], s)), t.add(m(a[0], a[2]), t.mul(a[1], s)),
          t.add(m(a[1], a[0]), t.mul(a[2], s)), t.add(c, m(a[1], a[1])), t.sub(m(a[1], a[2]), t.mul(a[0], s)),
          t.sub(m(a[2], a[0]), t.mul(a[1], s)), t.add(m(a[2], a[1]), t.mul(a[0], s)), t.add(c, m(a[2], a[2])),
        ];
      }
      lR[j] = isIdent(PR) ? rot : t.mm(PR, rot);
      lp[j] = Pp;
    }
    oR[j] = p === 0 ? lR[j] : t.mm(oR[p], lR[j]);
    op[j] = p === 0 ? lp[j] : t.v3add(t.mv(oR[p], lp[j]), op[p]);
    const jv = jointVel(j);
    // v_j = actInv(liMi, v_p) + S qd
    bvl[j] = t.v3add(t.mtv(lR[j], t.v3sub(bvl[p], t.cross(lp[j], bva[p]))), jv.l);
    bva[j] = t.v3add(t.mtv(lR[j], bva[p]), jv.a);
  }

  // ---------------- collision candidates (collision.ts) ----------------
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
  const NC = cands.length;

  // ---------------- CRBA, H = M + dt D, LTDL (crba.ts, factor-m.ts) ----------------
  const Yb: Inertia[] = [];
  const yb = new Float64Array(10);
  for (let j = 0; j < nj; j++) {
    inertiaComToOrigin(model.inertias, 10 * j, yb, 0);
    Yb.push({ m: yb[0], h: [yb[1], yb[2], yb[3]], I: [yb[4], yb[5], yb[6], yb[7], yb[8], yb[9]] });
  }
  const inertiaMul = (Y: Inertia, l: V3, w: V3): { l: V3; a: V3 } => {
    const [Ixx, Iyy, Izz, Ixy, Ixz, Iyz] = Y.I;
    return {
      l: t.v3sub(t.v3scale(l, Y.m), t.cross(Y.h, w)),
      a: t.v3add(t.cross(Y.h, l), [t.dot([Ixx, Ixy, Ixz], w), t.dot([Ixy, Iyy, Iyz], w), t.dot([Ixz, Iyz, Izz], w)]),
    };
  };
  const sCol = (j: number, k: number): { l: V3; a: V3 } => {
    const ty = model.jointTypes[j];
    if (ty === JOINT_FREE) { const e: V3 = [0, 0, 0, 0, 0, 0]; e[k] = 1; return { l: e.slice(0, 3), a: e.slice(3) }; }
    return ty === JOINT_PRISMATIC ? { l: axisOf(j), a: [0, 0, 0] } : { l: [0, 0, 0], a: axisOf(j) };
  };
  const sProj = (j: number, r: number, f: { l: V3; a: V3 }): V => {
    const ty = model.jointTypes[j];
    if (ty === JOINT_FREE) return r < 3 ? f.l[r] : f.a[r - 3];
    return t.dot(axisOf(j), ty === JOINT_PRISMATIC ? f.l : f.a);
  };
  const forceAct = (R: M3, p: V3, f: { l: V3; a: V3 }): { l: V3; a: V3 } => {
    const F = t.mv(R, f.l);
    return { l: F, a: t.v3add(t.mv(R, f.a), t.cross(p, F)) };
  };
  const inertiaActAdd = (R: M3, p: V3, Y: Inertia, out: Inertia): Inertia => {
    const [r0, r1, r2, r3, r4, r5, r6, r7, r8] = R;
    const [Ixx, Iyy, Izz, Ixy, Ixz, Iyz] = Y.I;
    const m = Y.m;
    const k = t.mv(R, Y.h);
    const [px, py, pz] = p;
    const dd = (a: V[], b: V[]) => t.dot(a, b);
    const t00 = dd([r0, r1, r2], [Ixx, Ixy, Ixz]), t01 = dd([r0, r1, r2], [Ixy, Iyy, Iyz]), t02 = dd([r0, r1, r2], [Ixz, Iyz, Izz]);
    const t10 = dd([r3, r4, r5], [Ixx, Ixy, Ixz]), t11 = dd([r3, r4, r5], [Ixy, Iyy, Iyz]), t12 = dd([r3, r4, r5], [Ixz, Iyz, Izz]);
    const t20 = dd([r6, r7, r8], [Ixx, Ixy, Ixz]), t21 = dd([r6, r7, r8], [Ixy, Iyy, Iyz]), t22 = dd([r6, r7, r8], [Ixz, Iyz, Izz]);
    const kp = t.dot(k, p), pp = t.dot(p, p);
    const diag = t.add(t.mul(2, kp), t.mul(m, pp));
    const mp = (a: V, b: V) => t.mul(m, t.mul(a, b));
    return {
      m: t.add(out.m, m),
      h: [t.add(out.h[0], t.add(k[0], t.mul(m, px))), t.add(out.h[1], t.add(k[1], t.mul(m, py))), t.add(out.h[2], t.add(k[2], t.mul(m, pz)))],
      I: [
        t.add(out.I[0], t.add(t.sub(t.sub(dd([t00, t01, t02], [r0, r1, r2]), t.mul(2, t.mul(px, k[0]))), mp(px, px)), diag)),
        t.add(out.I[1], t.add(t.sub(t.sub(dd([t10, t11, t12], [r3, r4, r5]), t.mul(2, t.mul(py, k[1]))), mp(py, py)), diag)),
        t.add(out.I[2], t.add(t.sub(t.sub(dd([t20, t21, t22], [r6, r7, r8]), t.mul(2, t.mul(pz, k[2]))), mp(pz, pz)), diag)),
        t.add(out.I[3], t.sub(t.sub(dd([t00, t01, t02], [r3, r4, r5]), t.add(t.mul(px, k[1]), t.mul(k[0], py))), mp(px, py))),
        t.add(out.I[4], t.sub(t.sub(dd([t00, t01, t02], [r6, r7, r8]), t.add(t.mul(px, k[2]), t.mul(k[0], pz))), mp(px, pz))),
        t.add(out.I[5], t.sub(t.sub(dd([t10, t11, t12], [r6, r7, r8]), t.add(t.mul(py, k[2]), t.mul(k[1], pz))), mp(py, pz))),
      ],
    };
  };
  const H: V[] = new Array(nv * nv).fill(0);
  const Yc: Inertia[] = Yb.map((y) => ({ m: y.m, h: y.h.slice(), I: y.I.slice() }));
  for (let j = nj - 1; j >= 1; j--) {
    const ivj = model.idxV[j], nvj = model.nvs[j];
    let F = Array.from({ length: nvj }, (_, k) => { const s = sCol(j, k); return inertiaMul(Yc[j], s.l, s.a); });
    let i = j;
    for (;;) {
      const ivi = model.idxV[i];
      for (let k = 0; k < nvj; k++) {
        for (let r = 0; r < model.nvs[i]; r++) {
          const x = sProj(i, r, F[k]);
          H[(ivi + r) * nv + ivj + k] = x;
          H[(ivj + k) * nv + ivi + r] = x;
        }
      }
      const p = model.parents[i];
      if (p === 0) break;
      F = F.map((f) => forceAct(lR[i], lp[i], f));
      i = p;
    }
    const p = model.parents[j];
    if (p > 0) Yc[p] = inertiaActAdd(lR[j], lp[j], Yc[j], Yc[p]);
  }
  for (let i = 0; i < nv; i++) H[i * nv + i] = t.add(H[i * nv + i], dt * model.damping[i]);
  const lambda = dofParents(model);
  let notPd: B = false;
  for (let k = nv - 1; k >= 0; k--) {
    const dk = H[k * nv + k];
    notPd = t.or(notPd, t.not(t.cmp('>', dk, 0)));
    for (let i = lambda[k]; i !== -1; i = lambda[i]) {
      const a = t.div(H[k * nv + i], dk);
      for (let jj = i; jj !== -1; jj = lambda[jj]) H[i * nv + jj] = t.sub(H[i * nv + jj], t.mul(a, H[k * nv + jj]));
      H[k * nv + i] = a;
    }
  }
  const solveH = (b: V[]): V[] => {
    const x = b.slice();
    for (let k = nv - 1; k >= 0; k--) {
      if (x[k] === 0) continue;
      for (let i = lambda[k]; i !== -1; i = lambda[i]) x[i] = t.sub(x[i], t.mul(H[k * nv + i], x[k]));
    }
    for (let k = 0; k < nv; k++) x[k] = t.div(x[k], H[k * nv + k]);
    for (let k = 0; k < nv; k++) {
      let s = x[k];
      for (let i = lambda[k]; i !== -1; i = lambda[i]) s = t.sub(s, t.mul(H[k * nv + i], x[i]));
      x[k] = s;
    }
    return x;
  };

  // ---------------- contact Jacobians, W, G, bias (step.ts positionStage) ----------------
  const chainOf = (body: number): number[] => {
    const out: number[] = [];
    for (let k = model.idxV[body] + model.nvs[body] - 1; k !== -1; k = lambda[k]) out.push(k);
    return out;
  };
  const Jl: V3[] = [], Ja: V3[] = [];
  if (NC > 0) {
    for (let j = 1; j < nj; j++) {
      for (let k = 0; k < model.nvs[j]; k++) {
        const s = sCol(j, k);
        const W = t.mv(oR[j], s.a);
        Jl[model.idxV[j] + k] = t.v3add(t.mv(oR[j], s.l), t.cross(op[j], W));
        Ja[model.idxV[j] + k] = W;
      }
    }
  }
  const chains = cands.map((c) => chainOf(c.body));
  /** Jc[c][r] and W[c][r]: dense nv rows with structural zeros off the chain. */
  const Jc: V[][][] = [], Wr: V[][][] = [];
  cands.forEach((c, ci) => {
    const p = t.v3add(c.pos, t.v3scale(c.n, c.dist));
    const rows: V[][] = [[], [], []].map(() => new Array(nv).fill(0));
    for (const k of chains[ci]) {
      const vel = t.v3add(Jl[k], t.cross(Ja[k], p));
      const loc = t.mtv(c.R, vel);
      rows[0][k] = loc[0]; rows[1][k] = loc[1]; rows[2][k] = loc[2];
    }
    Jc.push(rows);
    Wr.push(rows.map((row) => {
      const w = row.slice();
      for (const k of chains[ci]) {
        if (w[k] === 0) continue;
        for (let i = lambda[k]; i !== -1; i = lambda[i]) w[i] = t.sub(w[i], t.mul(H[k * nv + i], w[k]));
      }
      return w;
    }));
  });
  const Dinv: V[] = [];
  if (NC > 0) for (let k = 0; k < nv; k++) Dinv[k] = t.div(1, H[k * nv + k]);
  const n3 = 3 * NC;
  const G: V[] = new Array(n3 * n3).fill(0);
  for (let a = 0; a < n3; a++) {
    const ca = (a / 3) | 0;
    const wa = Wr[ca][a % 3];
    for (let b = a; b < n3; b++) {
      const cb = (b / 3) | 0;
      const wb = Wr[cb][b % 3];
      let x: V = 0;
      for (const k of chains[ca]) {
        if (wa[k] === 0 || wb[k] === 0) continue;
        x = t.fma(x, t.mul(wa[k], wb[k]), Dinv[k]);
      }
      G[a * n3 + b] = x;
      G[b * n3 + a] = x;
    }
  }
  const bias: V[] = cands.map((c) => {
    const d = c.dist;
    const corr = t.neg(t.min(t.div(t.mul(o.beta, t.sub(t.neg(d), o.slop)), dt), o.maxCorrectionVelocity));
    return t.sel(t.cmp('>=', d, 0), t.div(d, dt), t.sel(t.cmp('>=', d, -o.slop), 0, corr));
  });

  // ---------------- free velocity (rnea.ts from the placements; step.ts freeVelocity) ----------------
  const bal: V3[] = [[-model.gravity[0], -model.gravity[1], -model.gravity[2]]], baa: V3[] = [[0, 0, 0]];
  const bf: Array<{ l: V3; a: V3 }> = [{ l: [0, 0, 0], a: [0, 0, 0] }];
  for (let j = 1; j < nj; j++) {
    const p = model.parents[j];
    const jv = jointVel(j);
    const vl = bvl[j], va = bva[j];
    const al = t.v3add(t.v3add(t.mtv(lR[j], t.v3sub(bal[p], t.cross(lp[j], baa[p]))), t.cross(va, jv.l)), t.cross(vl, jv.a));
    const aa = t.v3add(t.mtv(lR[j], baa[p]), t.cross(va, jv.a));
    bal[j] = al; baa[j] = aa;
    const hv = inertiaMul(Yb[j], vl, va);
    const ya = inertiaMul(Yb[j], al, aa);
    bf[j] = { l: t.v3add(ya.l, t.cross(va, hv.l)), a: t.v3add(t.v3add(ya.a, t.cross(va, hv.a)), t.cross(vl, hv.l)) };
  }
  const nle: V[] = new Array(nv).fill(0);
  for (let j = nj - 1; j >= 1; j--) {
    const iv = model.idxV[j];
    for (let r = 0; r < model.nvs[j]; r++) nle[iv + r] = sProj(j, r, bf[j]);
    const p = model.parents[j];
    if (p > 0) {
      const f = forceAct(lR[j], lp[j], bf[j]);
      bf[p] = { l: t.v3add(bf[p].l, f.l), a: t.v3add(bf[p].a, f.a) };
    }
  }
  const tau: V[] = new Array(nv).fill(0);
  let ku = 0;
  for (let j = 1; j < nj; j++) {
    if (model.jointTypes[j] === JOINT_FREE) continue;
    for (let d = 0; d < model.nvs[j]; d++) {
      const i = model.idxV[j] + d;
      const lim = model.effortLimit[i];
      tau[i] = o.clampEffort && Number.isFinite(lim) ? t.min(t.max(u[ku], -lim), lim) : u[ku];
      ku++;
    }
  }
  const rhs = Array.from({ length: nv }, (_, i) => t.mul(dt, t.sub(t.sub(tau[i], nle[i]), t.mul(model.damping[i], v[i]))));
  const vfree = solveH(rhs).map((x, i) => t.add(x, v[i]));
  if (model.floating) {
    const c = t.cross([v[3], v[4], v[5]], [v[0], v[1], v[2]]);
    for (let i = 0; i < 3; i++) vfree[i] = t.add(vfree[i], t.mul(dt, c[i]));
  }

  // ---------------- PGS on the De Saxcé NCP (contact-solver.ts), cold start ----------------
  let vout: V[] = vfree;
  let notConverged: string | null = null;
  if (NC > 0) {
    const gv: V[] = [];
    cands.forEach((_, c) => { for (let r = 0; r < 3; r++) gv.push(t.dot(Jc[c][r], vfree)); });
    // per-contact constants of the sweep
    const invNN: V[] = [], stepT: V[] = [], binv: V[][] = [], binvOk: B[] = [];
    for (let i = 0; i < NC; i++) {
      const oo = 3 * i, r0 = oo * n3 + oo, r1 = r0 + n3, r2 = r1 + n3;
      const a00 = G[r0], a01 = G[r0 + 1], a02 = G[r0 + 2], a11 = G[r1 + 1], a12 = G[r1 + 2], a22 = G[r2 + 2];
      const scale = t.max(a00, t.max(a11, a22));
      const tiny = t.mul(1e-7, scale);
      invNN.push(t.sel(t.cmp('>', a22, tiny), t.div(1, a22), 0));
      const h = t.mul(0.5, t.sub(a00, a11));
      const lt = t.add(t.mul(0.5, t.add(a00, a11)), t.sqrt(t.add(t.mul(h, h), t.mul(a01, a01))));
      stepT.push(t.sel(t.cmp('>', lt, tiny), t.div(1, lt), 0));
      const c00 = t.sub(t.mul(a11, a22), t.mul(a12, a12));
      const c01 = t.sub(t.mul(a02, a12), t.mul(a01, a22));
      const c02 = t.sub(t.mul(a01, a12), t.mul(a02, a11));
      const det = t.add(t.add(t.mul(a00, c00), t.mul(a01, c01)), t.mul(a02, c02));
      binvOk.push(t.and(t.cmp('>', scale, 0), t.cmp('>', det, t.mul(1e-6, t.mul(scale, t.mul(scale, scale))))));
      const id = t.div(1, det);
      const c11 = t.sub(t.mul(a00, a22), t.mul(a02, a02));
      const c12 = t.sub(t.mul(a01, a02), t.mul(a00, a12));
      const c22 = t.sub(t.mul(a00, a11), t.mul(a01, a01));
      binv.push([c00, c01, c02, c01, c11, c12, c02, c12, c22].map((x) => t.mul(x, id)));
    }
    const lam = Array.from({ length: n3 }, (_, r) => t.var(0, `lam${r}`));
    const sig = Array.from({ length: n3 }, (_, r) => t.var(r % 3 === 2 ? t.add(gv[r], bias[(r / 3) | 0]) : gv[r], `sig${r}`));
    const resid = t.var(0, 'resid');
    const coneMetrics = () => {
      let res: V = 0;
      for (let i = 0; i < NC; i++) {
        const m = cands[i].mu;
        const l = [lam[3 * i], lam[3 * i + 1], lam[3 * i + 2]], s = [sig[3 * i], sig[3 * i + 1], sig[3 * i + 2]];
        const stn = t.sqrt(t.add(t.mul(s[0], s[0]), t.mul(s[1], s[1])));
        const sn = t.add(s[2], t.mul(m, stn));
        const ltn = t.sqrt(t.add(t.mul(l[0], l[0]), t.mul(l[1], l[1])));
        const k = Math.sqrt(1 + m * m);
        const pIn = t.sqrt(t.add(t.mul(ltn, ltn), t.mul(l[2], l[2])));
        const pOn = t.div(t.sub(ltn, t.mul(m, l[2])), k);
        const p = t.sel(t.cmp('>', ltn, t.mul(m, l[2])), t.sel(t.cmp('<=', t.mul(m, ltn), t.neg(l[2])), pIn, pOn), 0);
        const dIn = t.sqrt(t.add(t.mul(stn, stn), t.mul(sn, sn)));
        const dOn = t.div(t.sub(t.mul(m, stn), sn), k);
        const d = t.sel(t.cmp('>', t.mul(m, stn), sn), t.sel(t.cmp('<=', stn, t.neg(t.mul(m, sn))), dIn, dOn), 0);
        const cc = t.abs(t.add(t.add(t.mul(l[0], s[0]), t.mul(l[1], s[1])), t.mul(l[2], sn)));
        res = t.max(res, t.sel(cands[i].active, t.max(p, t.max(d, cc)), 0));
      }
      t.assign(resid, res);
    };
    const exactSigma = () => {
      for (let r = 0; r < n3; r++) {
        let s: V = gv[r];
        for (let c = 0; c < n3; c++) s = t.fma(s, G[r * n3 + c], lam[c]);
        if (r % 3 === 2) s = t.add(s, bias[(r / 3) | 0]);
        t.assign(sig[r], s);
      }
    };
    coneMetrics();
    t.emit('var exact = true;');
    t.emit('var it = 0;');
    t.open('loop');
    t.emit(`if (!(resid > ${t.s(solver.tolerance)}) || it >= ${solver.maxIterations}) { break; }`);
    t.emit('it = it + 1;');
    for (let i = 0; i < NC; i++) {
      const act = cands[i].active;
      if (act === false) continue;
      if (act !== true) t.open(`if (${act})`);
      const oo = 3 * i, m = cands[i].mu;
      const s = [sig[oo], sig[oo + 1], sig[oo + 2]];
      const l = [lam[oo], lam[oo + 1], lam[oo + 2]];
      const B3 = binv[i];
      const kk = [0, 1, 2].map((r) => t.sub(l[r], t.dot([B3[3 * r], B3[3 * r + 1], B3[3 * r + 2]], s)));
      const stick = t.and(t.and(binvOk[i], t.cmp('>=', kk[2], 0)), t.cmp('<=', t.sqrt(t.add(t.mul(kk[0], kk[0]), t.mul(kk[1], kk[1]))), t.mul(m, kk[2])));
      const r0 = oo * n3 + oo;
      const n2 = t.max(0, t.sub(l[2], t.mul(s[2], invNN[i])));
      const dn = t.sub(n2, l[2]);
      const s0 = t.add(s[0], t.mul(G[r0 + 2], dn));
      const s1 = t.add(s[1], t.mul(G[r0 + n3 + 2], dn));
      let n0 = t.sub(l[0], t.mul(s0, stepT[i]));
      let n1 = t.sub(l[1], t.mul(s1, stepT[i]));
      const tn = t.sqrt(t.add(t.mul(n0, n0), t.mul(n1, n1)));
      const rad = t.mul(m, n2);
      const over = t.cmp('>', tn, rad);
      const fct = t.sel(over, t.sel(t.cmp('>', tn, 0), t.div(rad, t.sel(t.cmp('>', tn, 0), tn, 1)), 0), 1);
      n0 = t.mul(n0, fct); n1 = t.mul(n1, fct);
      const nl = [t.sel(stick, kk[0], n0), t.sel(stick, kk[1], n1), t.sel(stick, kk[2], n2)];
      const dl = [0, 1, 2].map((r) => t.sub(nl[r], l[r]));
      for (let r = 0; r < 3; r++) t.assign(l[r], nl[r]);
      for (let c = 0; c < n3; c++) {
        const upd = t.add(t.add(t.mul(G[oo * n3 + c], dl[0]), t.mul(G[(oo + 1) * n3 + c], dl[1])), t.mul(G[(oo + 2) * n3 + c], dl[2]));
        if (upd !== 0) t.assign(sig[c], t.add(sig[c], upd));
      }
      const moved = t.or(t.or(t.cmp('!=', dl[0], 0), t.cmp('!=', dl[1], 0)), t.cmp('!=', dl[2], 0));
      t.emit(`exact = exact && !(${t.bstr(moved)});`);
      if (act !== true) t.end();
    }
    coneMetrics();
    // converged on the incremental sigma, or out of sweeps: confirm on the exact sigma
    t.open(`if ((!(resid > ${t.s(solver.tolerance)}) || it >= ${solver.maxIterations}) && !exact)`);
    exactSigma();
    coneMetrics();
    t.emit('exact = true;');
    t.end();
    t.end(); // loop
    notConverged = t.letB(`resid > ${t.s(solver.tolerance)}`);
    // active-set polish (step.ts polishSticking), static form: the sticking contacts S (impulse
    // strictly inside its cone) get the exact solution of G_SS lambda_S = -(g + b e_N)_S -
    // G_SF lambda_F; the other rows become identity rows with a zero right-hand side. Ridge
    // 1e-6 trace(G_SS)/|S| (f32; the CPU uses 1e-14). Kept only if every sticking impulse
    // stays in its cone and the factorization succeeded.
    const stickC: B[] = cands.map((c, i) => {
      const l = [lam[3 * i], lam[3 * i + 1], lam[3 * i + 2]];
      const lt = t.mul(c.mu * (1 - 1e-6), l[2]);
      return t.and(c.active, t.and(t.cmp('>', l[2], 0), t.cmp('<', t.add(t.mul(l[0], l[0]), t.mul(l[1], l[1])), t.mul(lt, lt))));
    });
    const mS: V[] = stickC.map((b) => t.sel(b, 1, 0));
    const ma = (a: number) => mS[(a / 3) | 0];
    let tr: V = 0, cnt: V = 0;
    for (let a = 0; a < n3; a++) { tr = t.fma(tr, ma(a), G[a * n3 + a]); cnt = t.add(cnt, ma(a)); }
    const ridge = t.div(t.mul(1e-6, tr), t.max(cnt, 1));
    const rhs: V[] = [];
    for (let a = 0; a < n3; a++) {
      let x: V = t.neg(gv[a]);
      if (a % 3 === 2) x = t.sub(x, bias[(a / 3) | 0]);
      for (let c = 0; c < NC; c++) {
        const free = t.sub(1, mS[c]);
        const coupling = t.add(t.add(t.mul(G[a * n3 + 3 * c], lam[3 * c]), t.mul(G[a * n3 + 3 * c + 1], lam[3 * c + 1])), t.mul(G[a * n3 + 3 * c + 2], lam[3 * c + 2]));
        x = t.sub(x, t.mul(free, coupling));
      }
      rhs.push(t.mul(ma(a), x));
    }
    const Lc: V[] = new Array(n3 * n3).fill(0);
    let pivOk: B = true;
    for (let j = 0; j < n3; j++) {
      let d: V = t.add(t.mul(t.mul(ma(j), ma(j)), G[j * n3 + j]), t.add(t.sub(1, ma(j)), t.mul(ma(j), ridge)));
      for (let k = 0; k < j; k++) d = t.sub(d, t.mul(Lc[j * n3 + k], Lc[j * n3 + k]));
      pivOk = t.and(pivOk, t.cmp('>', d, 0));
      const ljj = t.sqrt(t.max(d, 1e-30));
      Lc[j * n3 + j] = ljj;
      const inv = t.div(1, ljj);
      for (let i = j + 1; i < n3; i++) {
        let s: V = t.mul(t.mul(ma(i), ma(j)), G[i * n3 + j]);
        for (let k = 0; k < j; k++) s = t.sub(s, t.mul(Lc[i * n3 + k], Lc[j * n3 + k]));
        Lc[i * n3 + j] = t.mul(s, inv);
      }
    }
    const y: V[] = rhs.slice();
    for (let i = 0; i < n3; i++) {
      let s = y[i];
      for (let k = 0; k < i; k++) s = t.sub(s, t.mul(Lc[i * n3 + k], y[k]));
      y[i] = t.div(s, Lc[i * n3 + i]);
    }
    for (let i = n3 - 1; i >= 0; i--) {
      let s = y[i];
      for (let k = i + 1; k < n3; k++) s = t.sub(s, t.mul(Lc[k * n3 + i], y[k]));
      y[i] = t.div(s, Lc[i * n3 + i]);
    }
    let accept: B = pivOk;
    cands.forEach((c, i) => {
      const x = [y[3 * i], y[3 * i + 1], y[3 * i + 2]];
      const lim = t.mul(c.mu, x[2]);
      const inCone = t.and(t.cmp('>', x[2], 0), t.cmp('<=', t.add(t.mul(x[0], x[0]), t.mul(x[1], x[1])), t.mul(lim, lim)));
      accept = t.and(accept, t.or(t.not(stickC[i]), inCone));
    });
    const polished: V[] = lam.map((l, r) => t.sel(t.and(accept, stickC[(r / 3) | 0]), y[r], l));
    // impulses: v = v_free + H^-1 Jc^T lambda
    const rv: V[] = new Array(nv).fill(0);
    cands.forEach((_, c) => {
      for (let r = 0; r < 3; r++) for (const k of chains[c]) rv[k] = t.fma(rv[k], Jc[c][r][k], polished[3 * c + r]);
    });
    const dv = solveH(rv);
    vout = vfree.map((x, i) => t.add(x, dv[i]));
  }

  // ---------------- integration (step.ts advance) ----------------
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
  for (let j = first; j < nj; j++) qn[model.idxQ[j]] = t.add(q[model.idxQ[j]], t.mul(dt, vout[model.idxV[j]]));
  // joint stops within reach (joint-limits.ts detectLimitRows: distance <= margin + dt |v|),
  // with the margin widened by 1e-4 so that f32 rounding cannot miss a row the CPU would build
  let nearLimit: B = false;
  const lm = o.limitMargin + 1e-4;
  for (const lim of pm.limits) {
    const x = q[lim.iq], dv = t.mul(dt, v[lim.iv]), ndv = t.mul(-dt, v[lim.iv]);
    for (const d of [Number.isFinite(lim.lower) ? t.sub(t.sub(x, lim.lower), lm) : null, Number.isFinite(lim.upper) ? t.sub(t.sub(lim.upper, x), lm) : null]) {
      if (d === null) continue;
      nearLimit = t.or(nearLimit, t.or(t.cmp('<=', d, dv), t.cmp('<=', d, ndv)));
    }
  }
  return { lines: t.lines, qn, vn, notPd, notConverged, nearLimit };
}

/** Applies the smoothing perturbation x ⊕ sigma∘w, u + sigma∘w (traced), used before traceStep. */
export function tracePerturb(pm: PackedModel, q: V[], v: V[], u: V[], dx: V[], du: V[]): { lines: string[]; q: V[]; v: V[]; u: V[] } {
  const t = new Tracer('p');
  const model = pm.model, nv = model.nv;
  const qo = q.slice();
  let first = 1;
  if (model.floating) {
    first = 2;
    const r = integrateFF(t, [q[0], q[1], q[2]], [q[3], q[4], q[5], q[6]], [dx[0], dx[1], dx[2]], [dx[3], dx[4], dx[5]]);
    qo[0] = r.p[0]; qo[1] = r.p[1]; qo[2] = r.p[2];
    for (let k = 0; k < 4; k++) qo[3 + k] = r.q[k];
  }
  for (let j = first; j < model.njoints; j++) qo[model.idxQ[j]] = t.add(q[model.idxQ[j]], dx[model.idxV[j]]);
  const vo = v.map((x, i) => t.add(x, dx[nv + i]));
  const uo = u.map((x, i) => t.add(x, du[i]));
  return { lines: t.lines, q: qo, v: vo, u: uo };
}
