/**
 * MuJoCo (mujoco-js, the official WebAssembly build) as an independent reference for our
 * rigid-body algorithms and as a peer for benchmarks.
 *
 * Everything a PeerModel takes or returns is in the PROJECT's (Pinocchio's) coordinates:
 *   q = [x y z, qx qy qz qw, joints...], v = [base linear velocity in the BASE frame,
 *   base angular velocity in the base frame, joints...], joints in the project's order.
 * MuJoCo's free joint instead uses qpos = [x y z, qw qx qy qz] and
 * qvel = [linear velocity of the body origin in the WORLD frame, angular velocity in the body
 * frame]. With R the base rotation (body -> world) and T = blockdiag(R, I3, I):
 *   qvel_mj = T v,   qacc_mj = T a + Tdot v,   Tdot v = [R (w x v_lin); 0; 0],
 *   tau_mj = T^-T tau (virtual work), so with M_mj qacc_mj + b_mj = tau_mj:
 *   M = T^T M_mj T,   nle = T^T (b_mj + M_mj Tdot v),   a = T^-1 (qacc_mj - Tdot v).
 * (For the joints T is the identity up to the permutation MuJoCo-dof <-> project-dof.)
 *
 * Model import: MuJoCo's own URDF importer with visuals/collisions stripped, no armature,
 * no joint damping/friction (unless asked), inertiafromgeom=false, balanceinertia=false,
 * gravity (0,0,-9.81), contacts and constraints disabled (unless a contact scene is asked).
 * A floating base is imported by adding a URDF link "world" and a "floating" joint
 * 'root_joint' to the root link, which MuJoCo turns into a free joint.
 *
 * MuJoCo 3.3.8 (mujoco-js 0.0.7) quirk: compiler fusestatic=true merges the inertia of a
 * fixed child link WRONGLY when the child's principal inertia axes are rotated (upstream
 * issues #2982 / PR #3250: mjCBody::AccumulateInertia composes the poses in the wrong order).
 * On Solo-12 the merged FOOT+LOWER_LEG centre of mass comes out as (-0.00147, 0.00642, -0.10225)
 * instead of (0, 0.00790, -0.10225) and M is off by 7e-5. So the reference model is imported
 * with fusestatic=false (fixed links stay separate, welded bodies: exact dynamics), and the
 * optional fused model (fuseStatic: true) is rebuilt by this file from the imported model,
 * merging inertias itself (17-digit MJCF), and checked against the unfused one in the tests.
 * Second quirk: MuJoCo stores an inertia as principal moments + quaternion, and its compiler's
 * eigen-decomposition is only good to ~1e-10..5e-9 relative for tensors with several products
 * of inertia (double pendulum link2: 4.5e-9). After compiling, body_inertia/body_iquat are
 * replaced by a machine-precision decomposition of the URDF tensors (worst 8e-16 relative).
 * mj_saveLastXML is not used: it writes 6 significant digits.
 */

import { XMLParser } from 'fast-xml-parser';
import loadMujocoWasm from 'mujoco-js';

// ---------------------------------------------------------------------------------------------
// Typed view of the parts of the emscripten/embind module that this file uses.
// Arrays of MjModel/MjData are typed-array views into the wasm heap: a fresh view on every
// property access; writing into it writes MuJoCo's memory. Views of a previous access are
// detached (length 0) after the wasm memory grows, so never keep them across allocations.
// ---------------------------------------------------------------------------------------------

export interface MjOptionT {
  timestep: number;
  integrator: number;
  disableflags: number;
  enableflags: number;
  iterations: number;
  tolerance: number;
  cone: number;
  solver: number;
  readonly gravity: Float64Array;
}

export interface MjModelT {
  readonly nq: number;
  readonly nv: number;
  readonly nu: number;
  readonly nbody: number;
  readonly njnt: number;
  readonly ngeom: number;
  readonly nM: number;
  readonly opt: MjOptionT;
  readonly qpos0: Float64Array;
  readonly body_parentid: Int32Array;
  readonly body_jntnum: Int32Array;
  readonly body_jntadr: Int32Array;
  readonly body_pos: Float64Array;
  readonly body_quat: Float64Array;
  readonly body_ipos: Float64Array;
  readonly body_iquat: Float64Array;
  readonly body_mass: Float64Array;
  readonly body_inertia: Float64Array;
  readonly body_weldid: Int32Array;
  readonly body_sameframe: Uint8Array;
  readonly jnt_type: Int32Array;
  readonly jnt_qposadr: Int32Array;
  readonly jnt_dofadr: Int32Array;
  readonly jnt_bodyid: Int32Array;
  readonly jnt_pos: Float64Array;
  readonly jnt_axis: Float64Array;
  readonly jnt_limited: Uint8Array;
  readonly dof_damping: Float64Array;
  readonly dof_frictionloss: Float64Array;
  readonly dof_armature: Float64Array;
  readonly geom_type: Int32Array;
  readonly geom_bodyid: Int32Array;
  delete(): void;
}

export interface MjDataT {
  time: number;
  readonly ncon: number;
  readonly nefc: number;
  readonly qpos: Float64Array;
  readonly qvel: Float64Array;
  readonly qacc: Float64Array;
  readonly qacc_warmstart: Float64Array;
  readonly qfrc_applied: Float64Array;
  readonly qfrc_bias: Float64Array;
  readonly qfrc_passive: Float64Array;
  readonly qfrc_constraint: Float64Array;
  readonly qfrc_inverse: Float64Array;
  readonly qM: Float64Array;
  readonly xpos: Float64Array;
  readonly xquat: Float64Array;
  readonly subtree_com: Float64Array;
  readonly geom_xpos: Float64Array;
  readonly ctrl: Float64Array;
  delete(): void;
}

/** A heap-allocated double buffer (the way to receive outputs such as mj_fullM's). */
export interface DoubleBufferT {
  GetView(): Float64Array;
  GetPointer(): number;
  GetElementCount(): number;
  delete(): void;
}

export interface MujocoFS {
  writeFile(path: string, data: string | Uint8Array): void;
  readFile(path: string, opts: { encoding: 'utf8' }): string;
  unlink(path: string): void;
  mkdir(path: string): void;
}

/** mjtObj values used here. */
export const MJ_OBJ_BODY = 1;
export const MJ_OBJ_JOINT = 3;
export const MJ_OBJ_GEOM = 5;
/** mjtJoint values. */
export const MJ_JNT_FREE = 0;
export const MJ_JNT_BALL = 1;
export const MJ_JNT_SLIDE = 2;
export const MJ_JNT_HINGE = 3;
/** mjtDisableBit values. */
export const MJ_DSBL_CONSTRAINT = 1;
export const MJ_DSBL_FRICTIONLOSS = 4;
export const MJ_DSBL_LIMIT = 8;
export const MJ_DSBL_CONTACT = 16;
export const MJ_DSBL_SPRING = 32;
export const MJ_DSBL_DAMPER = 64;

export interface MujocoModule {
  readonly FS: MujocoFS;
  readonly MjModel: { loadFromXML(path: string): MjModelT | null };
  readonly MjData: new (model: MjModelT) => MjDataT;
  readonly DoubleBuffer: new (n: number) => DoubleBufferT;
  mj_version(): number;
  mj_forward(m: MjModelT, d: MjDataT): void;
  mj_inverse(m: MjModelT, d: MjDataT): void;
  mj_step(m: MjModelT, d: MjDataT): void;
  mj_resetData(m: MjModelT, d: MjDataT): void;
  mj_setConst(m: MjModelT, d: MjDataT): void;
  mj_kinematics(m: MjModelT, d: MjDataT): void;
  /** Dense M (nv x nv, row-major) from d.qM into dst. */
  mj_fullM(m: MjModelT, dst: DoubleBufferT, qM: Float64Array): void;
  /** RNE: flg_acc = 0 gives the bias forces (C v + g); result into dst (nv). */
  mj_rne(m: MjModelT, d: MjDataT, flgAcc: number, dst: DoubleBufferT): void;
  mj_name2id(m: MjModelT, type: number, name: string): number;
  mj_id2name(m: MjModelT, type: number, id: number): string;
  mj_saveLastXML(path: string, m: MjModelT): number;
}

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

let modulePromise: Promise<MujocoModule> | null = null;
/** Recent lines MuJoCo wrote to stderr (load errors are reported there, not thrown). */
const stderrLines: string[] = [];

/**
 * The MuJoCo wasm module (a cached singleton). In Node it is just
 * `(await import('mujoco-js')).default(moduleArg)`: the emscripten loader detects Node and reads
 * the embedded wasm itself. Never touch HEAPF64 & co. on it: they are not exported, and reading
 * them aborts the module (use DoubleBuffer / the typed views of MjModel/MjData instead).
 */
export function loadMujoco(): Promise<MujocoModule> {
  if (!modulePromise) {
    const moduleArg = {
      print: (s: string) => {
        if (process.env.MUJOCO_VERBOSE) console.log(`[mujoco] ${s}`);
      },
      printErr: (s: string) => {
        stderrLines.push(s);
        if (stderrLines.length > 50) stderrLines.shift();
        if (process.env.MUJOCO_VERBOSE) console.error(`[mujoco] ${s}`);
      },
    };
    modulePromise = loadMujocoWasm(moduleArg).then((mod) => {
      const mj = mod as unknown as MujocoModule;
      mj.FS.mkdir('/peer');
      return mj;
    });
  }
  return modulePromise;
}

let fileCounter = 0;

/** Load an MJCF or URDF document (by its text) into a new MjModel; throws with MuJoCo's message. */
export function loadModelFromString(mj: MujocoModule, xml: string, ext: 'xml' | 'urdf'): MjModelT {
  const file = `/peer/model_${++fileCounter}.${ext}`;
  mj.FS.writeFile(file, xml);
  const before = stderrLines.length;
  let model: MjModelT | null = null;
  let thrown: unknown = null;
  try {
    model = mj.MjModel.loadFromXML(file);
  } catch (e) {
    thrown = e;
  } finally {
    mj.FS.unlink(file);
  }
  if (!model) {
    const msg = stderrLines.slice(before).join('\n') || String(thrown ?? 'unknown error');
    throw new Error(`MuJoCo could not load the ${ext.toUpperCase()}: ${msg}`);
  }
  return model;
}

// ---------------------------------------------------------------------------------------------
// A minimal URDF reader (only what the harness needs: tree, joint order, inertials). It is
// deliberately independent of server/model/urdf.ts.
// ---------------------------------------------------------------------------------------------

export interface UrdfInertial {
  mass: number;
  xyz: [number, number, number];
  rpy: [number, number, number];
  /** ixx iyy izz ixy ixz iyz */
  inertia: [number, number, number, number, number, number];
}

export interface UrdfJointInfo {
  name: string;
  type: string;
  parent: string;
  child: string;
  xyz: [number, number, number];
  rpy: [number, number, number];
  axis: [number, number, number];
}

export interface UrdfInfo {
  name: string;
  links: string[];
  joints: UrdfJointInfo[];
  inertials: Map<string, UrdfInertial>;
  root: string;
  /** Moving (non-fixed) joints in depth-first order, children in file order. */
  movingJointOrder: string[];
}

type XmlNode = Record<string, unknown>;

function asArray(x: unknown): XmlNode[] {
  if (x === undefined || x === null) return [];
  return (Array.isArray(x) ? x : [x]) as XmlNode[];
}

function attr(node: XmlNode | undefined, name: string): string | undefined {
  if (!node) return undefined;
  const v = node[`@_${name}`];
  return v === undefined ? undefined : String(v);
}

function vec3(s: string | undefined, dflt: [number, number, number]): [number, number, number] {
  if (s === undefined) return dflt;
  const p = s.trim().split(/\s+/).map(Number);
  return [p[0] ?? 0, p[1] ?? 0, p[2] ?? 0];
}

export function readUrdf(urdfXml: string): UrdfInfo {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_' });
  const doc = parser.parse(urdfXml) as XmlNode;
  const robot = doc.robot as XmlNode | undefined;
  if (!robot) throw new Error('not a URDF: no <robot>');
  const links = asArray(robot.link).map((l) => attr(l, 'name') ?? '');
  const inertials = new Map<string, UrdfInertial>();
  for (const l of asArray(robot.link)) {
    const inert = asArray(l.inertial)[0];
    if (!inert) continue;
    const origin = asArray(inert.origin)[0];
    const I = asArray(inert.inertia)[0];
    const g = (k: string) => Number(attr(I, k) ?? 0);
    inertials.set(attr(l, 'name') ?? '', {
      mass: Number(attr(asArray(inert.mass)[0], 'value') ?? 0),
      xyz: vec3(attr(origin, 'xyz'), [0, 0, 0]),
      rpy: vec3(attr(origin, 'rpy'), [0, 0, 0]),
      inertia: [g('ixx'), g('iyy'), g('izz'), g('ixy'), g('ixz'), g('iyz')],
    });
  }
  const joints: UrdfJointInfo[] = asArray(robot.joint).map((j) => {
    const origin = asArray(j.origin)[0];
    return {
      name: attr(j, 'name') ?? '',
      type: attr(j, 'type') ?? '',
      parent: attr(asArray(j.parent)[0], 'link') ?? '',
      child: attr(asArray(j.child)[0], 'link') ?? '',
      xyz: vec3(attr(origin, 'xyz'), [0, 0, 0]),
      rpy: vec3(attr(origin, 'rpy'), [0, 0, 0]),
      axis: vec3(attr(asArray(j.axis)[0], 'xyz'), [1, 0, 0]),
    };
  });
  const children = new Set(joints.map((j) => j.child));
  const roots = links.filter((l) => !children.has(l));
  if (roots.length !== 1) throw new Error(`URDF must have exactly one root link, got ${roots.join(', ')}`);
  const root = roots[0];
  const movingJointOrder: string[] = [];
  const visit = (link: string) => {
    for (const j of joints) {
      if (j.parent !== link) continue;
      if (j.type !== 'fixed') movingJointOrder.push(j.name);
      visit(j.child);
    }
  };
  visit(root);
  return { name: attr(robot, 'name') ?? '', links, joints, inertials, root, movingJointOrder };
}

/** Remove <visual>, <collision> (and any <mujoco> extension block) from a URDF document. */
export function stripUrdfGeometry(urdfXml: string): string {
  return urdfXml
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<visual\b[^>]*\/>/g, '')
    .replace(/<visual\b[\s\S]*?<\/visual>/g, '')
    .replace(/<collision\b[^>]*\/>/g, '')
    .replace(/<collision\b[\s\S]*?<\/collision>/g, '')
    .replace(/<mujoco\b[\s\S]*?<\/mujoco>/g, '');
}

// ---------------------------------------------------------------------------------------------
// Small rotation helpers (MuJoCo quaternions are [w x y z]).
// ---------------------------------------------------------------------------------------------

type Vec3 = [number, number, number];
type Quat = [number, number, number, number];
/** Row-major 3x3. */
type Mat3 = number[];

export function quatToMat(q: ArrayLike<number>): Mat3 {
  const [w, x, y, z] = [q[0], q[1], q[2], q[3]];
  const n = Math.hypot(w, x, y, z);
  const a = w / n, b = x / n, c = y / n, d = z / n;
  return [
    1 - 2 * (c * c + d * d), 2 * (b * c - a * d), 2 * (b * d + a * c),
    2 * (b * c + a * d), 1 - 2 * (b * b + d * d), 2 * (c * d - a * b),
    2 * (b * d - a * c), 2 * (c * d + a * b), 1 - 2 * (b * b + c * c),
  ];
}

function quatMul(p: Quat, q: Quat): Quat {
  return [
    p[0] * q[0] - p[1] * q[1] - p[2] * q[2] - p[3] * q[3],
    p[0] * q[1] + p[1] * q[0] + p[2] * q[3] - p[3] * q[2],
    p[0] * q[2] - p[1] * q[3] + p[2] * q[0] + p[3] * q[1],
    p[0] * q[3] + p[1] * q[2] - p[2] * q[1] + p[3] * q[0],
  ];
}

function matVec(R: Mat3, v: ArrayLike<number>): Vec3 {
  return [
    R[0] * v[0] + R[1] * v[1] + R[2] * v[2],
    R[3] * v[0] + R[4] * v[1] + R[5] * v[2],
    R[6] * v[0] + R[7] * v[1] + R[8] * v[2],
  ];
}

function matTVec(R: Mat3, v: ArrayLike<number>): Vec3 {
  return [
    R[0] * v[0] + R[3] * v[1] + R[6] * v[2],
    R[1] * v[0] + R[4] * v[1] + R[7] * v[2],
    R[2] * v[0] + R[5] * v[1] + R[8] * v[2],
  ];
}

function cross(a: ArrayLike<number>, b: ArrayLike<number>): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

/** R diag(d) R^T, row-major. */
function rotateDiag(R: Mat3, d: ArrayLike<number>): Mat3 {
  const out = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += R[3 * i + k] * d[k] * R[3 * j + k];
      out[3 * i + j] = s;
    }
  return out;
}

/** R A R^T for a full 3x3 A, row-major. */
function rotateFull(R: Mat3, A: Mat3): Mat3 {
  const out = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) for (let l = 0; l < 3; l++) s += R[3 * i + k] * A[3 * k + l] * R[3 * j + l];
      out[3 * i + j] = s;
    }
  return out;
}

/** URDF rpy -> rotation (R = Rz(yaw) Ry(pitch) Rx(roll)), row-major. */
export function rpyToMat(rpy: ArrayLike<number>): Mat3 {
  const [cr, sr] = [Math.cos(rpy[0]), Math.sin(rpy[0])];
  const [cp, sp] = [Math.cos(rpy[1]), Math.sin(rpy[1])];
  const [cy, sy] = [Math.cos(rpy[2]), Math.sin(rpy[2])];
  return [
    cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr,
    sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr,
    -sp, cp * sr, cp * cr,
  ];
}

/**
 * Full rotational inertia about the centre of mass, in the body frame, of MuJoCo body b
 * (R(body_iquat) diag(body_inertia) R^T), row-major.
 */
export function mujocoBodyInertiaTensor(model: MjModelT, b: number): Mat3 {
  const iq = model.body_iquat;
  const d = model.body_inertia;
  return rotateDiag(quatToMat([iq[4 * b], iq[4 * b + 1], iq[4 * b + 2], iq[4 * b + 3]]), [
    d[3 * b], d[3 * b + 1], d[3 * b + 2],
  ]);
}

/** Symmetric 3x3 eigen-decomposition by cyclic Jacobi, to machine precision: A = V diag(d) V^T, det V = +1. */
export function symEig3(A: ArrayLike<number>): { d: Vec3; V: Mat3 } {
  const a = Array.from(A);
  const V = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  for (let sweep = 0; sweep < 50; sweep++) {
    const off = Math.abs(a[1]) + Math.abs(a[2]) + Math.abs(a[5]);
    if (off === 0) break;
    for (const [p, q] of [[0, 1], [0, 2], [1, 2]] as const) {
      const apq = a[3 * p + q];
      if (apq === 0) continue;
      const theta = (a[3 * q + q] - a[3 * p + p]) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1);
      const s = t * c;
      // A <- J^T A J, V <- V J with J the rotation in the (p, q) plane
      for (let k = 0; k < 3; k++) {
        const akp = a[3 * k + p], akq = a[3 * k + q];
        a[3 * k + p] = c * akp - s * akq;
        a[3 * k + q] = s * akp + c * akq;
      }
      for (let k = 0; k < 3; k++) {
        const apk = a[3 * p + k], aqk = a[3 * q + k];
        a[3 * p + k] = c * apk - s * aqk;
        a[3 * q + k] = s * apk + c * aqk;
      }
      for (let k = 0; k < 3; k++) {
        const vkp = V[3 * k + p], vkq = V[3 * k + q];
        V[3 * k + p] = c * vkp - s * vkq;
        V[3 * k + q] = s * vkp + c * vkq;
      }
    }
  }
  return { d: [a[0], a[4], a[8]], V };
}

/** Unit quaternion [w x y z] of a rotation matrix (row-major). */
export function matToQuat(R: Mat3): Quat {
  const tr = R[0] + R[4] + R[8];
  let q: Quat;
  if (tr > 0) {
    const s = 2 * Math.sqrt(tr + 1);
    q = [s / 4, (R[7] - R[5]) / s, (R[2] - R[6]) / s, (R[3] - R[1]) / s];
  } else if (R[0] > R[4] && R[0] > R[8]) {
    const s = 2 * Math.sqrt(1 + R[0] - R[4] - R[8]);
    q = [(R[7] - R[5]) / s, s / 4, (R[1] + R[3]) / s, (R[2] + R[6]) / s];
  } else if (R[4] > R[8]) {
    const s = 2 * Math.sqrt(1 + R[4] - R[0] - R[8]);
    q = [(R[2] - R[6]) / s, (R[1] + R[3]) / s, s / 4, (R[5] + R[7]) / s];
  } else {
    const s = 2 * Math.sqrt(1 + R[8] - R[0] - R[4]);
    q = [(R[3] - R[1]) / s, (R[2] + R[6]) / s, (R[5] + R[7]) / s, s / 4];
  }
  const n = Math.hypot(...q);
  return [q[0] / n, q[1] / n, q[2] / n, q[3] / n];
}

/**
 * MuJoCo keeps a body inertia as principal moments + a quaternion, and its compiler's eig3
 * is only good to ~1e-10..5e-9 relative when the tensor has products of inertia (the Solo-12
 * tensors, with at most one product, come out exact; the double pendulum's and a general
 * tensor's do not). Overwrite body_inertia / body_iquat with an eigen-decomposition accurate
 * to machine precision of the given tensors (about the centre of mass, body frame, by body
 * name), and recompute the model constants.
 */
function refineInertias(mj: MujocoModule, model: MjModelT, data: MjDataT, tensors: Map<string, Mat3>): void {
  const inertia = model.body_inertia;
  const iquat = model.body_iquat;
  const sameframe = model.body_sameframe;
  for (const [name, I] of tensors) {
    const b = mj.mj_name2id(model, MJ_OBJ_BODY, name);
    if (b <= 0) continue;
    const { d, V } = symEig3(I);
    if (det3(V) < 0) for (let k = 0; k < 3; k++) V[3 * k + 2] = -V[3 * k + 2];
    const q = matToQuat(V);
    const old = Array.from(iquat.subarray(4 * b, 4 * b + 4));
    inertia.set(d, 3 * b);
    iquat.set(q, 4 * b);
    // body_sameframe (mjSAMEFRAME_*) lets kinematics skip the inertial rotation when the
    // compiler found it (near-)identity: reset it to 'none' unless the quaternion is unchanged.
    if (q.some((x, k) => x !== old[k])) sameframe[b] = 0;
  }
  mj.mj_setConst(model, data);
}

function det3(M: Mat3): number {
  return (
    M[0] * (M[4] * M[8] - M[5] * M[7]) - M[1] * (M[3] * M[8] - M[5] * M[6]) + M[2] * (M[3] * M[7] - M[4] * M[6])
  );
}

// ---------------------------------------------------------------------------------------------
// MJCF regeneration from a compiled model (full precision; optional exact static fusion).
// ---------------------------------------------------------------------------------------------

interface GeomPlacement {
  /** URDF link the geom is attached to (its frame), e.g. 'FL_FOOT'. */
  link: string;
  /** Position in the link frame (default origin). */
  pos?: [number, number, number];
  /** Orientation in the link frame, MuJoCo order [w x y z] (default identity). */
  quat?: [number, number, number, number];
  name?: string;
}

export type ExtraGeom = GeomPlacement &
  (
    | { type: 'sphere'; radius: number }
    /** A box centred at pos, aligned with the link frame (or rotated by quat). */
    | { type: 'box'; /** Half sizes (MuJoCo's box size), m. */ halfSize: [number, number, number] }
    /** Capsule / cylinder along the local z axis (URDF's and MuJoCo's convention), of half length halfLength. */
    | { type: 'capsule' | 'cylinder'; radius: number; halfLength: number }
  );

/** A static box of the environment (world frame); it collides with the robot's geoms. */
export interface StaticBox {
  name: string;
  halfSize: [number, number, number];
  pos: [number, number, number];
  /** [w x y z] */
  quat: [number, number, number, number];
  /** Sliding friction coefficient (default: the scene's). */
  friction?: number;
}

export interface ContactScene {
  /** Primitives attached to links; they collide with the ground and static boxes only. */
  geoms: ExtraGeom[];
  /** Add an infinite ground plane (default true). */
  ground?: boolean;
  /** Height of the ground plane (default 0). */
  groundHeight?: number;
  /** Sliding friction of the ground (default: friction[0]). */
  groundFriction?: number;
  /** Static boxes of the environment (default none). */
  boxes?: StaticBox[];
  /**
   * geom friction (default MuJoCo's 1 0.005 0.0001). The environment (ground, boxes) has geom
   * priority 1: a contact takes ITS friction, solref and solimp (MuJoCo's rule for unequal
   * priorities), so groundFriction / a box's friction is the contact's coefficient.
   */
  friction?: [number, number, number];
  /** Friction cone (MuJoCo's option cone; default 'pyramidal'). */
  cone?: 'pyramidal' | 'elliptic';
  /** Ratio of frictional to normal constraint impedance (option impratio; default 1). */
  impratio?: number;
  /** Contact solref [timeconst, dampratio] of every added geom and the ground (default MuJoCo's 0.02 1). */
  solref?: [number, number];
  /** Contact solimp [dmin, dmax, width, midpoint, power] (default MuJoCo's 0.9 0.95 0.001 0.5 2). */
  solimp?: [number, number, number, number, number];
  /** Solver iterations / tolerance (MuJoCo defaults 100 / 1e-8). */
  iterations?: number;
  tolerance?: number;
}

const fmt = (x: number): string => (Object.is(x, -0) ? '0' : x.toPrecision(17).replace(/\.?0+(e|$)/, '$1'));
const fmtv = (a: ArrayLike<number>): string => Array.from(a, fmt).join(' ');

interface Pose {
  p: Vec3;
  q: Quat;
}

function composePose(a: Pose, b: Pose): Pose {
  const R = quatToMat(a.q);
  const bp = matVec(R, b.p);
  return { p: [a.p[0] + bp[0], a.p[1] + bp[1], a.p[2] + bp[2]], q: quatMul(a.q, b.q) };
}

/**
 * Rewrite a compiled model as MJCF text with 17 significant digits (mj_saveLastXML only writes
 * 6), optionally merging jointless bodies into their parent (exactly, unlike MuJoCo 3.3.8's
 * fusestatic) and adding contact geometry.
 */
function regenerateMjcf(
  mj: MujocoModule,
  m: MjModelT,
  opts: { fuseStatic: boolean; contact?: ContactScene; timestep?: number; modelName: string },
): { xml: string; tensors: Map<string, Mat3> } {
  const nb = m.nbody;
  const parent = Array.from(m.body_parentid);
  const jntnum = Array.from(m.body_jntnum);
  const jntadr = Array.from(m.body_jntadr);
  const bpos = Array.from(m.body_pos);
  const bquat = Array.from(m.body_quat);
  const ipos = Array.from(m.body_ipos);
  const iquat = Array.from(m.body_iquat);
  const mass = Array.from(m.body_mass);
  const inertia = Array.from(m.body_inertia);
  const jtype = Array.from(m.jnt_type);
  const jpos = Array.from(m.jnt_pos);
  const jaxis = Array.from(m.jnt_axis);
  const jdof = Array.from(m.jnt_dofadr);
  const damping = Array.from(m.dof_damping);
  const frictionloss = Array.from(m.dof_frictionloss);
  const armature = Array.from(m.dof_armature);
  const bodyName = (b: number) => mj.mj_id2name(m, MJ_OBJ_BODY, b);
  const jointName = (j: number) => mj.mj_id2name(m, MJ_OBJ_JOINT, j);

  // target[b]: body of the regenerated model that b ends up in; pose of b in it.
  const target = new Array<number>(nb).fill(0);
  const poseIn: Pose[] = new Array<Pose>(nb);
  poseIn[0] = { p: [0, 0, 0], q: [1, 0, 0, 0] };
  for (let b = 1; b < nb; b++) {
    const local: Pose = {
      p: [bpos[3 * b], bpos[3 * b + 1], bpos[3 * b + 2]],
      q: [bquat[4 * b], bquat[4 * b + 1], bquat[4 * b + 2], bquat[4 * b + 3]],
    };
    if (opts.fuseStatic && jntnum[b] === 0) {
      target[b] = target[parent[b]];
      poseIn[b] = composePose(poseIn[parent[b]], local);
    } else {
      target[b] = b;
      poseIn[b] = { p: [0, 0, 0], q: [1, 0, 0, 0] };
    }
  }

  // Inertial of each kept body: members merged about their common centre of mass.
  const tensors = new Map<string, Mat3>();
  const inertialXml = (t: number): string => {
    const members: number[] = [];
    for (let b = 1; b < nb; b++) if (target[b] === t && mass[b] > 0) members.push(b);
    if (members.length === 1 && members[0] === t) {
      const iq: Quat = [iquat[4 * t], iquat[4 * t + 1], iquat[4 * t + 2], iquat[4 * t + 3]];
      tensors.set(bodyName(t), rotateDiag(quatToMat(iq), inertia.slice(3 * t, 3 * t + 3)));
      return `<inertial pos="${fmtv(ipos.slice(3 * t, 3 * t + 3))}" quat="${fmtv(iquat.slice(4 * t, 4 * t + 4))}" mass="${fmt(mass[t])}" diaginertia="${fmtv(inertia.slice(3 * t, 3 * t + 3))}"/>`;
    }
    let M = 0;
    const c: Vec3 = [0, 0, 0];
    const parts: { m: number; c: Vec3; I: Mat3 }[] = [];
    for (const b of members) {
      const pose = poseIn[b];
      const R = quatToMat(pose.q);
      const cb = matVec(R, ipos.slice(3 * b, 3 * b + 3));
      const com: Vec3 = [pose.p[0] + cb[0], pose.p[1] + cb[1], pose.p[2] + cb[2]];
      const Ri = quatToMat(quatMul(pose.q, [iquat[4 * b], iquat[4 * b + 1], iquat[4 * b + 2], iquat[4 * b + 3]]));
      parts.push({ m: mass[b], c: com, I: rotateDiag(Ri, inertia.slice(3 * b, 3 * b + 3)) });
      M += mass[b];
      for (let k = 0; k < 3; k++) c[k] += mass[b] * com[k];
    }
    if (M === 0) return '';
    for (let k = 0; k < 3; k++) c[k] /= M;
    const I = new Array<number>(9).fill(0);
    for (const part of parts) {
      const d = [part.c[0] - c[0], part.c[1] - c[1], part.c[2] - c[2]];
      const dd = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++)
          I[3 * i + j] += part.I[3 * i + j] + part.m * ((i === j ? dd : 0) - d[i] * d[j]);
    }
    tensors.set(bodyName(t), I);
    // fullinertia = ixx iyy izz ixy ixz iyz
    return `<inertial pos="${fmtv(c)}" mass="${fmt(M)}" fullinertia="${fmtv([I[0], I[4], I[8], I[1], I[2], I[5]])}"/>`;
  };

  const contact = opts.contact;
  const friction =
    (contact?.friction ? ` friction="${fmtv(contact.friction)}"` : '') +
    (contact?.solref ? ` solref="${fmtv(contact.solref)}"` : '') +
    (contact?.solimp ? ` solimp="${fmtv(contact.solimp)}"` : '');
  const geomsOf = new Map<number, string[]>();
  if (contact) {
    for (const g of contact.geoms) {
      const b = mj.mj_name2id(m, MJ_OBJ_BODY, g.link);
      if (b < 0) throw new Error(`contact geom: no link/body named '${g.link}'`);
      const pose = composePose(poseIn[b], { p: g.pos ?? [0, 0, 0], q: g.quat ?? [1, 0, 0, 0] });
      const t = target[b];
      const list = geomsOf.get(t) ?? [];
      // contype 2 / conaffinity 1: collides with the environment (1/2), not with each other.
      // composePose leaves the link's orientation in its merged target body.
      const size = g.type === 'sphere' ? fmt(g.radius) : g.type === 'box' ? fmtv(g.halfSize) : fmtv([g.radius, g.halfLength]);
      const quat = g.type === 'sphere' ? '' : ` quat="${fmtv(pose.q)}"`;
      list.push(
        `<geom name="${g.name ?? `${g.link}_${g.type}`}" type="${g.type}" size="${size}" pos="${fmtv(pose.p)}"${quat} contype="2" conaffinity="1" mass="0"${friction}/>`,
      );
      geomsOf.set(t, list);
    }
  }

  const lines: string[] = [];
  const emit = (b: number, indent: string) => {
    const isWorld = b === 0;
    if (!isWorld) {
      lines.push(
        `${indent}<body name="${bodyName(b)}" pos="${fmtv(bpos.slice(3 * b, 3 * b + 3))}" quat="${fmtv(bquat.slice(4 * b, 4 * b + 4))}">`,
      );
      const inert = inertialXml(b);
      if (inert) lines.push(`${indent}  ${inert}`);
      for (let j = jntadr[b]; j < jntadr[b] + jntnum[b]; j++) {
        const name = jointName(j);
        const t = jtype[j];
        if (t === MJ_JNT_FREE) {
          lines.push(`${indent}  <freejoint name="${name}"/>`);
          continue;
        }
        const typ = t === MJ_JNT_HINGE ? 'hinge' : t === MJ_JNT_SLIDE ? 'slide' : 'ball';
        const d = jdof[j];
        lines.push(
          `${indent}  <joint name="${name}" type="${typ}" pos="${fmtv(jpos.slice(3 * j, 3 * j + 3))}" axis="${fmtv(jaxis.slice(3 * j, 3 * j + 3))}" limited="false" damping="${fmt(damping[d])}" frictionloss="${fmt(frictionloss[d])}" armature="${fmt(armature[d])}"/>`,
        );
      }
    }
    for (const g of geomsOf.get(b) ?? []) lines.push(`${indent}  ${g}`);
    for (let c = 1; c < nb; c++) {
      if (parent[c] !== b) continue;
      if (target[c] === c) emit(c, isWorld ? indent : `${indent}  `);
      else emitMergedChildren(c, isWorld ? indent : `${indent}  `);
    }
    if (!isWorld) lines.push(`${indent}</body>`);
  };
  // A merged (jointless) body contributes its inertia and geoms to its target; its own
  // children that keep a joint become children of the target, at their composed pose.
  const emitMergedChildren = (b: number, indent: string) => {
    for (let c = 1; c < nb; c++) {
      if (parent[c] !== b) continue;
      if (target[c] !== c) {
        emitMergedChildren(c, indent);
        continue;
      }
      const pose = composePose(poseIn[b], {
        p: [bpos[3 * c], bpos[3 * c + 1], bpos[3 * c + 2]],
        q: [bquat[4 * c], bquat[4 * c + 1], bquat[4 * c + 2], bquat[4 * c + 3]],
      });
      const start = lines.length;
      emit(c, indent);
      lines[start] = lines[start]
        .replace(/ pos="[^"]*"/, ` pos="${fmtv(pose.p)}"`)
        .replace(/ quat="[^"]*"/, ` quat="${fmtv(pose.q)}"`);
    }
  };
  emit(0, '    ');

  let flags = '';
  if (!contact) flags = '<flag contact="disable" constraint="disable"/>';
  let optAttrs = '';
  if (contact?.cone) optAttrs += ` cone="${contact.cone}"`;
  if (contact?.impratio !== undefined) optAttrs += ` impratio="${fmt(contact.impratio)}"`;
  if (contact?.iterations !== undefined) optAttrs += ` iterations="${contact.iterations}"`;
  if (contact?.tolerance !== undefined) optAttrs += ` tolerance="${fmt(contact.tolerance)}"`;
  // The environment: priority 1, so that its friction, solref and solimp are the contact's.
  const envParams = (mu: number | undefined): string => {
    const f = contact?.friction ?? [1, 0.005, 0.0001];
    return (mu === undefined ? friction : ` friction="${fmtv([mu, f[1], f[2]])}"` + friction.replace(/ friction="[^"]*"/, ''));
  };
  let ground = contact && contact.ground !== false
    ? `    <geom name="ground" type="plane" size="0 0 1" pos="0 0 ${fmt(contact.groundHeight ?? 0)}" contype="1" conaffinity="2" priority="1"${envParams(contact.groundFriction)}/>\n`
    : '';
  for (const box of contact?.boxes ?? []) {
    ground += `    <geom name="${box.name}" type="box" size="${fmtv(box.halfSize)}" pos="${fmtv(box.pos)}" quat="${fmtv(box.quat)}" contype="1" conaffinity="2" priority="1"${envParams(box.friction)}/>\n`;
  }
  const xml = `<mujoco model="${opts.modelName}">
  <compiler angle="radian" autolimits="true" inertiafromgeom="false" balanceinertia="false" fusestatic="false" alignfree="false" boundmass="0" boundinertia="0"/>
  <option timestep="${fmt(opts.timestep ?? 0.002)}" gravity="0 0 -9.81"${optAttrs}>${flags}</option>
  <worldbody>
${ground}${lines.join('\n')}
  </worldbody>
</mujoco>
`;
  return { xml, tensors };
}

// ---------------------------------------------------------------------------------------------
// PeerModel
// ---------------------------------------------------------------------------------------------

export interface MujocoFromUrdfOptions {
  /** Add a free joint ('root_joint') to the root link. */
  floating: boolean;
  /** Visual/collision geometry (meshes included) is always stripped before loading. */
  meshes?: 'strip';
  /**
   * Moving joints in the project's order (default: depth-first, children in file order, which
   * is Pinocchio's/our order for the example-robot-data robots). Pass model.jointNames.slice(...)
   * to be sure.
   */
  jointOrder?: readonly string[];
  /** Keep the URDF's joint damping and friction (default: zeroed). Armature is always 0. */
  jointDamping?: boolean;
  /**
   * Merge links attached by fixed joints into their parent body (exact merge done here, see the
   * header comment; default false: MuJoCo's importer output, welded bodies kept separate).
   */
  fuseStatic?: boolean;
  /** A contact scene (ground + primitives on links). Enables contacts and constraints. */
  contact?: ContactScene;
  /** Integration step for step() / mj_step (default 0.002, MuJoCo's). */
  timestep?: number;
}

export interface PeerState {
  q: Float64Array;
  v: Float64Array;
}

export interface PeerModel {
  readonly mj: MujocoModule;
  readonly model: MjModelT;
  readonly data: MjDataT;
  readonly floating: boolean;
  /** Project sizes: nq = MuJoCo nq (same count), nv = MuJoCo nv. */
  readonly nq: number;
  readonly nv: number;
  /** Moving joints in the project's order (the free joint excluded). */
  readonly jointNames: readonly string[];
  /** MuJoCo qpos index of project q index i (free joint: the quaternion reorders). */
  readonly qposIndex: Int32Array;
  /** MuJoCo dof index of project v index i. */
  readonly dofIndex: Int32Array;
  /** Write a project-coordinates state into MuJoCo's qpos/qvel (qvel zero when v omitted). */
  setState(q: ArrayLike<number>, v?: ArrayLike<number>): void;
  /** Read MuJoCo's current qpos/qvel in project coordinates. */
  getState(): PeerState;
  /** M(q), nv x nv row-major. */
  massMatrix(q: ArrayLike<number>): Float64Array;
  /** C(q, v) v + g(q). */
  nonLinearEffects(q: ArrayLike<number>, v: ArrayLike<number>): Float64Array;
  /** g(q) = nonLinearEffects(q, 0). */
  generalizedGravity(q: ArrayLike<number>): Float64Array;
  /** a = M^-1 (tau - nle) (plus passive forces when jointDamping, plus contact when a scene). */
  forwardDynamics(q: ArrayLike<number>, v: ArrayLike<number>, tau: ArrayLike<number>): Float64Array;
  /** tau = M a + nle (MuJoCo's mj_inverse). */
  inverseDynamics(q: ArrayLike<number>, v: ArrayLike<number>, a: ArrayLike<number>): Float64Array;
  /**
   * n steps of mj_step from (q, v) with generalized force tau (project coordinates, held
   * constant); returns the new state and the number of active contacts.
   */
  step(q: ArrayLike<number>, v: ArrayLike<number>, tau: ArrayLike<number>, n?: number): PeerState & { ncon: number };
  /**
   * n steps of mj_step from MuJoCo's CURRENT state (setState first), its warm start kept, with
   * generalized force tau (project coordinates, converted at the current state, then held
   * constant in MuJoCo's coordinates); returns the new state and the active contacts.
   */
  advance(tau: ArrayLike<number>, n?: number): PeerState & { ncon: number };
  /** Free the MuJoCo model and data. */
  dispose(): void;
}

/**
 * Load a URDF into MuJoCo for dynamics comparison (see the header comment for what is done to
 * it), wrapped so that every quantity is in the project's coordinates.
 */
export async function mujocoFromUrdf(urdfXml: string, opts: MujocoFromUrdfOptions): Promise<PeerModel> {
  const mj = await loadMujoco();
  const info = readUrdf(urdfXml);
  let urdf = stripUrdfGeometry(urdfXml);
  const compiler =
    '<mujoco><compiler angle="radian" fusestatic="false" discardvisual="true" balanceinertia="false" ' +
    'inertiafromgeom="false" alignfree="false" boundmass="0" boundinertia="0" strippath="true"/></mujoco>';
  let extra = compiler;
  if (opts.floating) {
    if (info.links.includes('world')) throw new Error('floating: the URDF already has a link named world');
    extra +=
      '<link name="world"/><joint name="root_joint" type="floating">' +
      `<parent link="world"/><child link="${info.root}"/></joint>`;
  }
  urdf = urdf.replace(/<robot\b([^>]*)>/, (s) => `${s}${extra}`);
  let model = loadModelFromString(mj, urdf, 'urdf');
  let data = new mj.MjData(model);
  // The inertia tensors as written in the URDF (about the centre of mass, link frame).
  const tensors = new Map<string, Mat3>();
  for (const [link, L] of info.inertials) {
    const b = mj.mj_name2id(model, MJ_OBJ_BODY, link);
    if (b <= 0) continue;
    if (model.body_mass[b] !== L.mass) throw new Error(`link ${link}: MuJoCo mass ${model.body_mass[b]} != ${L.mass}`);
    const R = rpyToMat(L.rpy);
    const [ixx, iyy, izz, ixy, ixz, iyz] = L.inertia;
    const I = rotateFull(R, [ixx, ixy, ixz, ixy, iyy, iyz, ixz, iyz, izz]);
    // Sanity: MuJoCo read the same tensor (up to its eig3 accuracy).
    const Imj = mujocoBodyInertiaTensor(model, b);
    const scale = Math.max(...I.map(Math.abs));
    if (I.some((x, k) => Math.abs(x - Imj[k]) > 1e-6 * scale))
      throw new Error(`link ${link}: MuJoCo inertia ${Imj.join(' ')} != URDF ${I.join(' ')}`);
    tensors.set(link, I);
  }
  refineInertias(mj, model, data, tensors);

  if (opts.fuseStatic || opts.contact) {
    const regen = regenerateMjcf(mj, model, {
      fuseStatic: opts.fuseStatic ?? false,
      contact: opts.contact,
      timestep: opts.timestep,
      modelName: info.name,
    });
    data.delete();
    model.delete();
    model = loadModelFromString(mj, regen.xml, 'xml');
    data = new mj.MjData(model);
    refineInertias(mj, model, data, regen.tensors);
  }

  const opt = model.opt;
  opt.gravity[0] = 0;
  opt.gravity[1] = 0;
  opt.gravity[2] = -9.81;
  if (opts.timestep !== undefined) opt.timestep = opts.timestep;
  opt.disableflags = opts.contact ? 0 : MJ_DSBL_CONSTRAINT | MJ_DSBL_CONTACT;
  model.dof_armature.fill(0);
  if (!opts.jointDamping) {
    model.dof_damping.fill(0);
    model.dof_frictionloss.fill(0);
  }
  mj.mj_setConst(model, data);
  return makePeer(mj, model, data, opts.floating, opts.jointOrder ?? info.movingJointOrder);
}

function makePeer(
  mj: MujocoModule,
  model: MjModelT,
  data: MjDataT,
  floating: boolean,
  jointOrder: readonly string[],
): PeerModel {
  const nq = model.nq;
  const nv = model.nv;
  const qposIndex = new Int32Array(nq);
  const dofIndex = new Int32Array(nv);
  const jtype = model.jnt_type;
  const jq = model.jnt_qposadr;
  const jd = model.jnt_dofadr;
  let iq = 0;
  let iv = 0;
  if (floating) {
    const j = mj.mj_name2id(model, MJ_OBJ_JOINT, 'root_joint');
    if (j < 0 || jtype[j] !== MJ_JNT_FREE) throw new Error('floating: no free joint root_joint');
    const a = jq[j];
    // ours [x y z qx qy qz qw] <- MuJoCo [x y z qw qx qy qz]
    qposIndex.set([a, a + 1, a + 2, a + 4, a + 5, a + 6, a + 3]);
    for (let k = 0; k < 6; k++) dofIndex[k] = jd[j] + k;
    iq = 7;
    iv = 6;
  }
  for (const name of jointOrder) {
    const j = mj.mj_name2id(model, MJ_OBJ_JOINT, name);
    if (j < 0) throw new Error(`MuJoCo model has no joint '${name}'`);
    if (jtype[j] !== MJ_JNT_HINGE && jtype[j] !== MJ_JNT_SLIDE)
      throw new Error(`joint '${name}': only hinge/slide joints besides the free joint`);
    qposIndex[iq++] = jq[j];
    dofIndex[iv++] = jd[j];
  }
  if (iq !== nq || iv !== nv)
    throw new Error(`joint order covers nq=${iq} nv=${iv}, MuJoCo has nq=${nq} nv=${nv}`);

  const Mbuf = new mj.DoubleBuffer(nv * nv);

  /** Rotation base -> world from a project q (unit-normalised), row-major. */
  const baseRot = (q: ArrayLike<number>): Mat3 => quatToMat([q[6], q[3], q[4], q[5]]);

  const writeState = (q: ArrayLike<number>, v?: ArrayLike<number>): Mat3 | null => {
    if (q.length !== nq) throw new Error(`q has length ${q.length}, expected ${nq}`);
    if (v && v.length !== nv) throw new Error(`v has length ${v.length}, expected ${nv}`);
    const qpos = data.qpos;
    const qvel = data.qvel;
    for (let i = 0; i < nq; i++) qpos[qposIndex[i]] = q[i];
    let R: Mat3 | null = null;
    if (floating) {
      R = baseRot(q);
      // MuJoCo normalises the quaternion itself; keep exactly what we were given.
    }
    if (!v) {
      qvel.fill(0);
    } else {
      for (let i = 0; i < nv; i++) qvel[dofIndex[i]] = v[i];
      if (R) {
        const lin = matVec(R, [v[0], v[1], v[2]]);
        for (let k = 0; k < 3; k++) qvel[dofIndex[k]] = lin[k];
      }
    }
    return R;
  };

  const readState = (): PeerState => {
    const qpos = data.qpos;
    const qvel = data.qvel;
    const q = new Float64Array(nq);
    const v = new Float64Array(nv);
    for (let i = 0; i < nq; i++) q[i] = qpos[qposIndex[i]];
    for (let i = 0; i < nv; i++) v[i] = qvel[dofIndex[i]];
    if (floating) {
      const lin = matTVec(baseRot(q), [v[0], v[1], v[2]]);
      v.set(lin, 0);
    }
    return { q, v };
  };

  /** Dense MuJoCo M (MuJoCo dof order) after mj_forward. */
  const fullM = (): Float64Array => {
    mj.mj_fullM(model, Mbuf, data.qM);
    return Float64Array.from(Mbuf.GetView());
  };

  /** Tdot v in MuJoCo dof order: [R (w x v_lin), 0...]. */
  const tdotV = (R: Mat3 | null, v: ArrayLike<number>): Float64Array => {
    const out = new Float64Array(nv);
    if (R) {
      const wxv = cross([v[3], v[4], v[5]], [v[0], v[1], v[2]]);
      const r = matVec(R, wxv);
      for (let k = 0; k < 3; k++) out[dofIndex[k]] = r[k];
    }
    return out;
  };

  /** T^T f: MuJoCo generalized force -> project order/coordinates. */
  const forceToPin = (R: Mat3 | null, f: ArrayLike<number>): Float64Array => {
    const out = new Float64Array(nv);
    for (let i = 0; i < nv; i++) out[i] = f[dofIndex[i]];
    if (R) out.set(matTVec(R, [out[0], out[1], out[2]]), 0);
    return out;
  };

  /** T^-T tau: project generalized force -> MuJoCo (written into dst, MuJoCo order). */
  const forceToMj = (R: Mat3 | null, tau: ArrayLike<number>, dst: Float64Array): void => {
    if (tau.length !== nv) throw new Error(`tau has length ${tau.length}, expected ${nv}`);
    for (let i = 0; i < nv; i++) dst[dofIndex[i]] = tau[i];
    if (R) {
      const f = matVec(R, [tau[0], tau[1], tau[2]]);
      for (let k = 0; k < 3; k++) dst[dofIndex[k]] = f[k];
    }
  };

  const nle = (q: ArrayLike<number>, v: ArrayLike<number>): Float64Array => {
    const R = writeState(q, v);
    data.qfrc_applied.fill(0);
    mj.mj_forward(model, data);
    const bias = Float64Array.from(data.qfrc_bias);
    if (R) {
      const M = fullM();
      const td = tdotV(R, v);
      for (let i = 0; i < nv; i++) {
        let s = 0;
        for (let j = 0; j < nv; j++) s += M[i * nv + j] * td[j];
        bias[i] += s;
      }
    }
    return forceToPin(R, bias);
  };

  const peer: PeerModel = {
    mj,
    model,
    data,
    floating,
    nq,
    nv,
    jointNames: [...jointOrder],
    qposIndex,
    dofIndex,
    setState(q, v) {
      writeState(q, v);
    },
    getState: readState,
    massMatrix(q) {
      const R = writeState(q);
      mj.mj_forward(model, data);
      const Mmj = fullM();
      // P^T M_mj P, then T^T (.) T on the base linear block.
      const M = new Float64Array(nv * nv);
      for (let i = 0; i < nv; i++)
        for (let j = 0; j < nv; j++) M[i * nv + j] = Mmj[dofIndex[i] * nv + dofIndex[j]];
      if (R) {
        // rows 0..2 <- R^T rows, columns 0..2 <- (.) R
        for (let j = 0; j < nv; j++) {
          const r = matTVec(R, [M[j], M[nv + j], M[2 * nv + j]]);
          M[j] = r[0];
          M[nv + j] = r[1];
          M[2 * nv + j] = r[2];
        }
        for (let i = 0; i < nv; i++) {
          const r = matTVec(R, [M[i * nv], M[i * nv + 1], M[i * nv + 2]]);
          M[i * nv] = r[0];
          M[i * nv + 1] = r[1];
          M[i * nv + 2] = r[2];
        }
      }
      return M;
    },
    nonLinearEffects: nle,
    generalizedGravity(q) {
      return nle(q, new Float64Array(nv));
    },
    forwardDynamics(q, v, tau) {
      const R = writeState(q, v);
      forceToMj(R, tau, data.qfrc_applied);
      mj.mj_forward(model, data);
      const qacc = data.qacc;
      const td = tdotV(R, v);
      const a = new Float64Array(nv);
      for (let i = 0; i < nv; i++) a[i] = qacc[dofIndex[i]] - td[dofIndex[i]];
      if (R) a.set(matTVec(R, [a[0], a[1], a[2]]), 0);
      data.qfrc_applied.fill(0);
      return a;
    },
    inverseDynamics(q, v, a) {
      const R = writeState(q, v);
      data.qfrc_applied.fill(0);
      if (a.length !== nv) throw new Error(`a has length ${a.length}, expected ${nv}`);
      const qacc = data.qacc;
      for (let i = 0; i < nv; i++) qacc[dofIndex[i]] = a[i];
      if (R) {
        const lin = matVec(R, [a[0], a[1], a[2]]);
        for (let k = 0; k < 3; k++) qacc[dofIndex[k]] = lin[k];
      }
      const td = tdotV(R, v);
      for (let i = 0; i < nv; i++) qacc[i] += td[i];
      mj.mj_inverse(model, data);
      return forceToPin(R, data.qfrc_inverse);
    },
    step(q, v, tau, n = 1) {
      const R = writeState(q, v);
      forceToMj(R, tau, data.qfrc_applied);
      for (let k = 0; k < n; k++) mj.mj_step(model, data);
      data.qfrc_applied.fill(0);
      return { ...readState(), ncon: data.ncon };
    },
    advance(tau, n = 1) {
      const R = floating ? baseRot(readState().q) : null;
      forceToMj(R, tau, data.qfrc_applied);
      for (let k = 0; k < n; k++) mj.mj_step(model, data);
      data.qfrc_applied.fill(0);
      return { ...readState(), ncon: data.ncon };
    },
    dispose() {
      Mbuf.delete();
      data.delete();
      model.delete();
    },
  };
  return peer;
}
