/**
 * Inertias in MuJoCo: a body's full tensor from MuJoCo's principal moments + quaternion, and
 * their refinement to machine precision after compiling (see mujoco.ts' header: MuJoCo's eig3
 * is only good to ~1e-10..5e-9 relative).
 */
import { MJ_OBJ_BODY, type MjDataT, type MjModelT, type MujocoModule } from './mujoco-wasm.ts';
import { det3, matToQuat, quatToMat, rotateDiag, symEig3, type Mat3 } from './rotations.ts';

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

/**
 * MuJoCo keeps a body inertia as principal moments + a quaternion, and its compiler's eig3
 * is only good to ~1e-10..5e-9 relative when the tensor has products of inertia (the Solo-12
 * tensors, with at most one product, come out exact; the double pendulum's and a general
 * tensor's do not). Overwrite body_inertia / body_iquat with an eigen-decomposition accurate
 * to machine precision of the given tensors (about the centre of mass, body frame, by body
 * name), and recompute the model constants.
 */
export function refineInertias(mj: MujocoModule, model: MjModelT, data: MjDataT, tensors: Map<string, Mat3>): void {
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
