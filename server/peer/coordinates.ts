/**
 * State mapping between the project's coordinates (Pinocchio's) and MuJoCo's:
 *   q = [x y z, qx qy qz qw, joints...], v = [base linear velocity in the BASE frame,
 *   base angular velocity in the base frame, joints...], joints in the project's order.
 * MuJoCo's free joint instead uses qpos = [x y z, qw qx qy qz] and
 * qvel = [linear velocity of the body origin in the WORLD frame, angular velocity in the body
 * frame]. With R the base rotation (body -> world) and T = blockdiag(R, I3, I):
 *   qvel_mj = T v,   qacc_mj = T a + Tdot v,   Tdot v = [R (w x v_lin); 0; 0],
 *   tau_mj = T^-T tau (virtual work), so with M_mj qacc_mj + b_mj = tau_mj:
 *   M = T^T M_mj T,   nle = T^T (b_mj + M_mj Tdot v),   a = T^-1 (qacc_mj - Tdot v).
 * (For the joints T is the identity up to the permutation MuJoCo-dof <-> project-dof.)
 */
import { MJ_JNT_FREE, MJ_JNT_HINGE, MJ_JNT_SLIDE, MJ_OBJ_JOINT, type MjDataT, type MjModelT, type MujocoModule } from './mujoco-wasm.ts';
import { cross, matTVec, matVec, quatToMat, type Mat3 } from './rotations.ts';

export interface PeerState {
  q: Float64Array;
  v: Float64Array;
}

/** The index maps of one model and the conversions that use them (writing into / reading from its data). */
export class PeerCoordinates {
  /** Project sizes: nq = MuJoCo nq (same count), nv = MuJoCo nv. */
  readonly nq: number;
  readonly nv: number;
  /** MuJoCo qpos index of project q index i (free joint: the quaternion reorders). */
  readonly qposIndex: Int32Array;
  /** MuJoCo dof index of project v index i. */
  readonly dofIndex: Int32Array;

  /** jointOrder: the moving joints in the project's order (the free joint 'root_joint' excluded). */
  constructor(mj: MujocoModule, model: MjModelT, private readonly data: MjDataT, readonly floating: boolean, jointOrder: readonly string[]) {
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
    this.nq = nq;
    this.nv = nv;
    this.qposIndex = qposIndex;
    this.dofIndex = dofIndex;
  }

  /** Rotation base -> world from a project q (unit-normalised), row-major. */
  baseRot(q: ArrayLike<number>): Mat3 {
    return quatToMat([q[6], q[3], q[4], q[5]]);
  }

  /** Writes a project-coordinates state into qpos/qvel (qvel zero when v omitted); returns R (null: fixed base). */
  writeState(q: ArrayLike<number>, v?: ArrayLike<number>): Mat3 | null {
    const { nq, nv, qposIndex, dofIndex, data } = this;
    if (q.length !== nq) throw new Error(`q has length ${q.length}, expected ${nq}`);
    if (v && v.length !== nv) throw new Error(`v has length ${v.length}, expected ${nv}`);
    const qpos = data.qpos;
    const qvel = data.qvel;
    for (let i = 0; i < nq; i++) qpos[qposIndex[i]] = q[i];
    let R: Mat3 | null = null;
    if (this.floating) {
      R = this.baseRot(q);
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
  }

  /** MuJoCo's current qpos/qvel in project coordinates. */
  readState(): PeerState {
    const { nq, nv, qposIndex, dofIndex, data } = this;
    const qpos = data.qpos;
    const qvel = data.qvel;
    const q = new Float64Array(nq);
    const v = new Float64Array(nv);
    for (let i = 0; i < nq; i++) q[i] = qpos[qposIndex[i]];
    for (let i = 0; i < nv; i++) v[i] = qvel[dofIndex[i]];
    if (this.floating) {
      const lin = matTVec(this.baseRot(q), [v[0], v[1], v[2]]);
      v.set(lin, 0);
    }
    return { q, v };
  }

  /** Tdot v in MuJoCo dof order: [R (w x v_lin), 0...]. */
  tdotV(R: Mat3 | null, v: ArrayLike<number>): Float64Array {
    const out = new Float64Array(this.nv);
    if (R) {
      const wxv = cross([v[3], v[4], v[5]], [v[0], v[1], v[2]]);
      const r = matVec(R, wxv);
      for (let k = 0; k < 3; k++) out[this.dofIndex[k]] = r[k];
    }
    return out;
  }

  /** T^T f: MuJoCo generalized force -> project order/coordinates. */
  forceToPin(R: Mat3 | null, f: ArrayLike<number>): Float64Array {
    const nv = this.nv, dofIndex = this.dofIndex;
    const out = new Float64Array(nv);
    for (let i = 0; i < nv; i++) out[i] = f[dofIndex[i]];
    if (R) out.set(matTVec(R, [out[0], out[1], out[2]]), 0);
    return out;
  }

  /** T^-T tau: project generalized force -> MuJoCo (written into dst, MuJoCo order). */
  forceToMj(R: Mat3 | null, tau: ArrayLike<number>, dst: Float64Array): void {
    const nv = this.nv, dofIndex = this.dofIndex;
    if (tau.length !== nv) throw new Error(`tau has length ${tau.length}, expected ${nv}`);
    for (let i = 0; i < nv; i++) dst[dofIndex[i]] = tau[i];
    if (R) {
      const f = matVec(R, [tau[0], tau[1], tau[2]]);
      for (let k = 0; k < 3; k++) dst[dofIndex[k]] = f[k];
    }
  }
}
