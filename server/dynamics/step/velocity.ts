/**
 * The velocity stage: nonlinear effects (RNEA from the placements the position stage left),
 * torques tau = clamp(u) on the actuated dofs and the free velocity
 * v_free = v + H^-1 dt (tau - nle - D v) (+ dt H^-1 f_ext while an external force is set).
 */
import type { Model } from '../../model/model.ts';
import type { Data } from '../data.ts';
import { solveMassMatrix } from '../factor-m.ts';
import { rneaFromPlacements } from '../rnea.ts';
import type { SimOptions } from './options.ts';

/**
 * Writes tau and vfree. controlOfDof: per dof its index in u, or -1. affected: redo the RNEA
 * only on these joints (a partial position stage, v unchanged), or undefined for a full pass.
 */
export function computeFreeVelocity(
  model: Model, data: Data, o: SimOptions, controlOfDof: Int32Array, externalForce: Float64Array | null,
  v: ArrayLike<number>, u: ArrayLike<number>, affected: Uint8Array | undefined, tau: Float64Array, vf: Float64Array,
): void {
  const nv = model.nv, dt = o.dt;
  const nle = rneaFromPlacements(model, data, v, null, affected);
  // tau (clamped u on the actuated dofs, 0 elsewhere) and the right-hand side in one pass
  const ctl = controlOfDof;
  const clamp = o.clampEffort, lim = model.effortLimit, damping = model.damping;
  for (let i = 0; i < nv; i++) {
    const k = ctl[i];
    let x = 0;
    if (k >= 0) {
      x = u[k];
      if (clamp) {
        const l = lim[i];
        if (x > l) x = l; else if (x < -l) x = -l;
      }
    }
    tau[i] = x;
    vf[i] = dt * (x - nle[i] - damping[i] * v[i]);
  }
  const fe = externalForce;
  if (fe !== null) for (let i = 0; i < nv; i++) vf[i] += dt * fe[i];
  solveMassMatrix(model, data, vf, 0);
  for (let i = 0; i < nv; i++) vf[i] += v[i];
  if (model.floating) {
    // The base's body-frame equation carries -w x v_lin (the frame turns under the
    // velocity). Integrated explicitly it lengthens v_lin every step (energy gain of a
    // spinning body). Undo it here: v_free's linear part is then the new world velocity
    // expressed in the OLD base frame, which is also what the contact Jacobians at q expect;
    // `advance` turns it into the new frame. Exact for free rigid-body motion.
    const wx = v[3], wy = v[4], wz = v[5], lx = v[0], ly = v[1], lz = v[2];
    vf[0] += dt * (wy * lz - wz * ly);
    vf[1] += dt * (wz * lx - wx * lz);
    vf[2] += dt * (wx * ly - wy * lx);
  }
}
