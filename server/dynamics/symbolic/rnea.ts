/**
 * RNEA from the placements written once in the symbolic form (server/model/joints/types.ts
 * SymOps) and run by both printers: the generated JavaScript (compiled/rnea-kernel.ts, f64,
 * results === rnea.ts's generic loop) and the WGSL step (compute/webgpu/step/rnea.ts, f32).
 *
 * rneaForwardSym is joint j's forward step, with the generic code's two branches: the
 * free-flyer's helper by helper (motionActInv, addMotionCross, motionCrossForce) and the fused
 * one-dof step (oneDofForward). rneaBackwardSym is its backward step: tau_j = S_j^T f_j, then
 * f_parent += liMi_j f_j. Each printer supplies the I/O; the callbacks run in program order.
 */
import { jointOf, S_FULL, S_LINEAR_AXIS, type SymOps } from '../../model/joints/index.ts';
import { projectSym } from '../../model/joints/subspace.ts';
import type { Model } from '../../model/model.ts';
import { bound, dotSym, forceActSym, inertiaMulMotionSym, motionActInvSym } from '../../model/spatial-sym.ts';

type S<T> = T | number;

export interface RneaForwardIo<T> {
  /** liMi_j (12); called first. */
  placement(): S<T>[];
  /** qd[idxV[j] + i]. */
  v(i: number): S<T>;
  /** qdd[idxV[j] + i]; absent: a = 0. */
  a?: (i: number) => S<T>;
  /** The parent's body velocity (6). */
  parentVelocity(): S<T>[];
  /** The parent's body acceleration (6; the universe's is -g). */
  parentAcceleration(): S<T>[];
  /**
   * The body velocity of joint j when the printer has it already (forward kinematics computes
   * it with the same operations): then it is not formed again and parentVelocity is not read.
   */
  bodyVelocity?: () => S<T>[];
  /** Results in the generic code's order: velocity ('V') and acceleration ('A') entries. */
  motion(which: 'V' | 'A', k: number, x: S<T>): void;
  /** The body inertia Y_j (10, origin form). */
  inertia(): S<T>[];
  /** Entry k of the body force f_j. */
  force(k: number, x: S<T>): void;
}

/** v x* f (motionCrossForce): [w x f_l; w x f_a + v_l x f_l], in spatial.ts's order. */
function motionCrossForceSym<T>(ops: SymOps<T>, v: readonly S<T>[], f: readonly S<T>[]): S<T>[] {
  const { add, sub, mul } = bound(ops);
  const [lx, ly, lz, wx, wy, wz] = v;
  const [fx, fy, fz, nx, ny, nz] = f;
  return [
    sub(mul(wy, fz), mul(wz, fy)),
    sub(mul(wz, fx), mul(wx, fz)),
    sub(mul(wx, fy), mul(wy, fx)),
    sub(add(sub(mul(wy, nz), mul(wz, ny)), mul(ly, fz)), mul(lz, fy)),
    sub(add(sub(mul(wz, nx), mul(wx, nz)), mul(lz, fx)), mul(lx, fz)),
    sub(add(sub(mul(wx, ny), mul(wy, nx)), mul(lx, fy)), mul(ly, fx)),
  ];
}

export function rneaForwardSym<T>(ops: SymOps<T>, model: Model, j: number, io: RneaForwardIo<T>): void {
  if (jointOf(model, j).subspace === S_FULL) freeForward(ops, io);
  else oneDofForward(ops, model, j, io);
}

/** The free-flyer's branch, helper by helper. */
function freeForward<T>(ops: SymOps<T>, io: RneaForwardIo<T>): void {
  const { add, sub, mul, def } = bound(ops);
  const defAll = (name: string, vs: S<T>[]) => vs.map((x, i) => def(`${name}${i}`, x));
  const L = io.placement();
  let V: S<T>[];
  const vJ: S<T>[] = [];
  if (io.bodyVelocity) {
    V = io.bodyVelocity();
    for (let i = 0; i < 6; i++) vJ.push(io.v(i));
  } else {
    const Vo = defAll('v', motionActInvSym(ops, L, io.parentVelocity()));
    for (let i = 0; i < 6; i++) vJ.push(io.v(i));
    V = defAll('V', Vo.map((x, k) => add(x, vJ[k])));
  }
  let Ao = defAll('a', motionActInvSym(ops, L, io.parentAcceleration()));
  if (io.a) {
    const aJ: S<T>[] = [];
    for (let i = 0; i < 6; i++) aJ.push(io.a(i));
    Ao = defAll('c', Ao.map((x, k) => add(x, aJ[k])));
  }
  // A += V x vJ (addMotionCross)
  const [v1x, v1y, v1z, w1x, w1y, w1z] = V;
  const [v2x, v2y, v2z, w2x, w2y, w2z] = vJ;
  const A = defAll('A', [
    add(Ao[0], sub(add(sub(mul(w1y, v2z), mul(w1z, v2y)), mul(v1y, w2z)), mul(v1z, w2y))),
    add(Ao[1], sub(add(sub(mul(w1z, v2x), mul(w1x, v2z)), mul(v1z, w2x)), mul(v1x, w2z))),
    add(Ao[2], sub(add(sub(mul(w1x, v2y), mul(w1y, v2x)), mul(v1x, w2y)), mul(v1y, w2x))),
    add(Ao[3], sub(mul(w1y, w2z), mul(w1z, w2y))),
    add(Ao[4], sub(mul(w1z, w2x), mul(w1x, w2z))),
    add(Ao[5], sub(mul(w1x, w2y), mul(w1y, w2x))),
  ]);
  for (let k = 0; k < 6; k++) { io.motion('V', k, V[k]); io.motion('A', k, A[k]); }
  // F = V x* (Y V) + Y A
  const Y = io.inertia();
  const hv = defAll('h', inertiaMulMotionSym(ops, Y, V));
  const ya = defAll('g', inertiaMulMotionSym(ops, Y, A));
  const f = motionCrossForceSym(ops, V, hv);
  for (let k = 0; k < 6; k++) io.force(k, add(f[k], ya[k]));
}

/** oneDofForward of rnea.ts: v, a and f of the body of a one-dof joint, fused. */
function oneDofForward<T>(ops: SymOps<T>, model: Model, j: number, io: RneaForwardIo<T>): void {
  const { add, sub, mul, def, sum } = bound(ops);
  const [r0, r1, r2, r3, r4, r5, r6, r7, r8, px, py, pz] = io.placement();
  const x = io.v(0);
  const xa = io.a ? io.a(0) : 0;
  const ax = model.axes[3 * j], ay = model.axes[3 * j + 1], az = model.axes[3 * j + 2];
  const prismatic = jointOf(model, j).subspace === S_LINEAR_AXIS;
  // joint velocity vJ = S qd
  const jlx = prismatic ? def('jlx', mul(ax, x)) : 0, jly = prismatic ? def('jly', mul(ay, x)) : 0;
  const jlz = prismatic ? def('jlz', mul(az, x)) : 0;
  const jwx = prismatic ? 0 : def('jwx', mul(ax, x)), jwy = prismatic ? 0 : def('jwy', mul(ay, x));
  const jwz = prismatic ? 0 : def('jwz', mul(az, x));
  const rt = (a: S<T>, b: S<T>, c: S<T>, l: readonly S<T>[]) => dotSym(ops, [a, b, c], l);
  // parent motion m into this frame, before the rotation: m_l - p x m_w
  const shift = (n: string, [l0, l1, l2, ux, uy, uz]: S<T>[]) => [
    def(`${n}x`, sub(l0, sub(mul(py, uz), mul(pz, uy)))),
    def(`${n}y`, sub(l1, sub(mul(pz, ux), mul(px, uz)))),
    def(`${n}z`, sub(l2, sub(mul(px, uy), mul(py, ux)))),
    ux, uy, uz,
  ];
  // v = R^T (v_p - p x w_p) + vJ, w = R^T w_p + wJ
  let vx: S<T>, vy: S<T>, vz: S<T>, wx: S<T>, wy: S<T>, wz: S<T>;
  if (io.bodyVelocity) {
    [vx, vy, vz, wx, wy, wz] = io.bodyVelocity();
  } else {
    const [lx, ly, lz, ux, uy, uz] = shift('l', io.parentVelocity());
    vx = def('vx', add(rt(r0, r3, r6, [lx, ly, lz]), jlx));
    vy = def('vy', add(rt(r1, r4, r7, [lx, ly, lz]), jly));
    vz = def('vz', add(rt(r2, r5, r8, [lx, ly, lz]), jlz));
    wx = def('wx', add(rt(r0, r3, r6, [ux, uy, uz]), jwx));
    wy = def('wy', add(rt(r1, r4, r7, [ux, uy, uz]), jwy));
    wz = def('wz', add(rt(r2, r5, r8, [ux, uy, uz]), jwz));
  }
  // a = R^T (a_p - p x alpha_p) + S qdd + v x vJ
  const [lx, ly, lz, ux, uy, uz] = shift('m', io.parentAcceleration());
  const cax = prismatic ? mul(ax, xa) : 0, cay = prismatic ? mul(ay, xa) : 0, caz = prismatic ? mul(az, xa) : 0;
  const cwx = prismatic ? 0 : mul(ax, xa), cwy = prismatic ? 0 : mul(ay, xa), cwz = prismatic ? 0 : mul(az, xa);
  const alx = def('alx', sum(rt(r0, r3, r6, [lx, ly, lz]), cax, sub(mul(wy, jlz), mul(wz, jly)), sub(mul(vy, jwz), mul(vz, jwy))));
  const aly = def('aly', sum(rt(r1, r4, r7, [lx, ly, lz]), cay, sub(mul(wz, jlx), mul(wx, jlz)), sub(mul(vz, jwx), mul(vx, jwz))));
  const alz = def('alz', sum(rt(r2, r5, r8, [lx, ly, lz]), caz, sub(mul(wx, jly), mul(wy, jlx)), sub(mul(vx, jwy), mul(vy, jwx))));
  const aax = def('aax', sum(rt(r0, r3, r6, [ux, uy, uz]), cwx, sub(mul(wy, jwz), mul(wz, jwy))));
  const aay = def('aay', sum(rt(r1, r4, r7, [ux, uy, uz]), cwy, sub(mul(wz, jwx), mul(wx, jwz))));
  const aaz = def('aaz', sum(rt(r2, r5, r8, [ux, uy, uz]), cwz, sub(mul(wx, jwy), mul(wy, jwx))));
  const V = [vx, vy, vz, wx, wy, wz], A = [alx, aly, alz, aax, aay, aaz];
  for (let k = 0; k < 6; k++) io.motion('V', k, V[k]);
  for (let k = 0; k < 6; k++) io.motion('A', k, A[k]);
  // f = Y a + v x* (Y v), Y in origin form [m, h, I]
  const Y = io.inertia();
  const names = ['hvx', 'hvy', 'hvz', 'hwx', 'hwy', 'hwz'];
  const h = inertiaMulMotionSym(ops, Y, V).map((e, k) => def(names[k], e));
  const ya = inertiaMulMotionSym(ops, Y, A);
  const c = motionCrossForceSym(ops, V, h);
  for (let k = 0; k < 6; k++) io.force(k, add(ya[k], c[k]));
}

export interface RneaBackwardIo<T> {
  /** f_j (6), read for the torque ('torque') and, when j has a parent, for the transport ('transport'). */
  force(use: 'torque' | 'transport'): S<T>[];
  /** tau[idxV[j] + r]. */
  torque(r: number, x: S<T>): void;
  /** liMi_j (12), read after force('transport'). */
  placement(): S<T>[];
  /** f_parent[k] += x. */
  addToParent(k: number, x: S<T>): void;
}

export function rneaBackwardSym<T>(ops: SymOps<T>, model: Model, j: number, io: RneaBackwardIo<T>): void {
  const f = io.force('torque');
  for (let r = 0; r < model.nvs[j]; r++) io.torque(r, projectSym(ops, model, j, r, f));
  if (model.parents[j] === 0) return;
  const g = io.force('transport');
  const F = forceActSym(ops, io.placement(), g);
  for (let k = 0; k < 6; k++) io.addToParent(k, F[k]);
}
