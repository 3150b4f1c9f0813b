/**
 * A MuJoCo model wrapped so that every quantity is in the project's coordinates
 * (coordinates.ts): dynamics queries (M, nle, forward and inverse dynamics) and stepping
 * (mj_step from a given state, or on from MuJoCo's current one with its warm start).
 */
import { PeerCoordinates, type PeerState } from './coordinates.ts';
import type { MjDataT, MjModelT, MujocoModule } from './mujoco-wasm.ts';
import { matTVec, matVec } from './rotations.ts';

export type { PeerState } from './coordinates.ts';

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

/** jointOrder: the moving joints in the project's order (the free joint excluded). */
export function makePeer(
  mj: MujocoModule,
  model: MjModelT,
  data: MjDataT,
  floating: boolean,
  jointOrder: readonly string[],
): PeerModel {
  const coords = new PeerCoordinates(mj, model, data, floating, jointOrder);
  const nq = coords.nq;
  const nv = coords.nv;
  const dofIndex = coords.dofIndex;
  const Mbuf = new mj.DoubleBuffer(nv * nv);

  /** Dense MuJoCo M (MuJoCo dof order) after mj_forward. */
  const fullM = (): Float64Array => {
    mj.mj_fullM(model, Mbuf, data.qM);
    return Float64Array.from(Mbuf.GetView());
  };

  const nle = (q: ArrayLike<number>, v: ArrayLike<number>): Float64Array => {
    const R = coords.writeState(q, v);
    data.qfrc_applied.fill(0);
    mj.mj_forward(model, data);
    const bias = Float64Array.from(data.qfrc_bias);
    if (R) {
      const M = fullM();
      const td = coords.tdotV(R, v);
      for (let i = 0; i < nv; i++) {
        let s = 0;
        for (let j = 0; j < nv; j++) s += M[i * nv + j] * td[j];
        bias[i] += s;
      }
    }
    return coords.forceToPin(R, bias);
  };

  const peer: PeerModel = {
    mj,
    model,
    data,
    floating,
    nq,
    nv,
    jointNames: [...jointOrder],
    qposIndex: coords.qposIndex,
    dofIndex: coords.dofIndex,
    setState(q, v) {
      coords.writeState(q, v);
    },
    getState: () => coords.readState(),
    massMatrix(q) {
      const R = coords.writeState(q);
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
      const R = coords.writeState(q, v);
      coords.forceToMj(R, tau, data.qfrc_applied);
      mj.mj_forward(model, data);
      const qacc = data.qacc;
      const td = coords.tdotV(R, v);
      const a = new Float64Array(nv);
      for (let i = 0; i < nv; i++) a[i] = qacc[dofIndex[i]] - td[dofIndex[i]];
      if (R) a.set(matTVec(R, [a[0], a[1], a[2]]), 0);
      data.qfrc_applied.fill(0);
      return a;
    },
    inverseDynamics(q, v, a) {
      const R = coords.writeState(q, v);
      data.qfrc_applied.fill(0);
      if (a.length !== nv) throw new Error(`a has length ${a.length}, expected ${nv}`);
      const qacc = data.qacc;
      for (let i = 0; i < nv; i++) qacc[dofIndex[i]] = a[i];
      if (R) {
        const lin = matVec(R, [a[0], a[1], a[2]]);
        for (let k = 0; k < 3; k++) qacc[dofIndex[k]] = lin[k];
      }
      const td = coords.tdotV(R, v);
      for (let i = 0; i < nv; i++) qacc[i] += td[i];
      mj.mj_inverse(model, data);
      return coords.forceToPin(R, data.qfrc_inverse);
    },
    step(q, v, tau, n = 1) {
      const R = coords.writeState(q, v);
      coords.forceToMj(R, tau, data.qfrc_applied);
      for (let k = 0; k < n; k++) mj.mj_step(model, data);
      data.qfrc_applied.fill(0);
      return { ...coords.readState(), ncon: data.ncon };
    },
    advance(tau, n = 1) {
      const R = floating ? coords.baseRot(coords.readState().q) : null;
      coords.forceToMj(R, tau, data.qfrc_applied);
      for (let k = 0; k < n; k++) mj.mj_step(model, data);
      data.qfrc_applied.fill(0);
      return { ...coords.readState(), ncon: data.ncon };
    },
    dispose() {
      Mbuf.delete();
      data.delete();
      model.delete();
    },
  };
  return peer;
}
