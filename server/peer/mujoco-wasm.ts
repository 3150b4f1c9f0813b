/**
 * The MuJoCo WebAssembly module (mujoco-js, the official build): a typed view of the parts of
 * its emscripten/embind API the peer uses, loading the module once, and loading a model from
 * text (MuJoCo reports load errors on stderr, not by throwing).
 *
 * Arrays of MjModel/MjData are typed-array views into the wasm heap: a fresh view on every
 * property access; writing into it writes MuJoCo's memory. Views of a previous access are
 * detached (length 0) after the wasm memory grows, so never keep them across allocations.
 */
import loadMujocoWasm from 'mujoco-js';

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
