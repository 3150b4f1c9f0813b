import { type Model } from '../model/model.ts';
import { motionAct } from '../model/spatial.ts';
import { compiledKernelsEnabled } from './compiled/emit.ts';
import { jacobianKernel } from './compiled/kinematics-kernel.ts';
import { motionSubspaceColumn } from './crba.ts';
import type { Data } from './data.ts';
import { forwardKinematics, type ReferenceFrame, shiftToPointWorld, updateFramePlacement } from './kinematics.ts';

/**
 * Joint Jacobian columns in the world frame (at the world origin, Pinocchio's WORLD), written
 * to data.J (6 x nv row-major), after running forward kinematics at q.
 */
export function computeJointJacobians(model: Model, data: Data, q: ArrayLike<number>): Float64Array {
  forwardKinematics(model, data, q);
  return jointJacobiansFromPlacements(model, data);
}

/**
 * Joint Jacobian columns (as computeJointJacobians) from the placements already in data.oMi;
 * with from/to, only the columns of those joints (the others depend on other placements).
 * Runs the model's generated kernel (compiled/kinematics-kernel.ts, equal to
 * jointJacobiansFromPlacementsGeneric's results) when there is one and kernels are enabled.
 */
export function jointJacobiansFromPlacements(model: Model, data: Data, from = 1, to = model.njoints - 1): Float64Array {
  if (from >= 1 && to < model.njoints && compiledKernelsEnabled()) {
    const k = jacobianKernel(model);
    if (k !== null) { k(data.oMi, data.J, from, to); return data.J; }
  }
  return jointJacobiansFromPlacementsGeneric(model, data, from, to);
}

/** Joint Jacobian columns by the generic loop over the joints (the reference; see jointJacobiansFromPlacements). */
export function jointJacobiansFromPlacementsGeneric(model: Model, data: Data, from = 1, to = model.njoints - 1): Float64Array {
  const nv = model.nv;
  const J = data.J;
  const col = data.tmp36;
  for (let j = from; j <= to; j++) {
    const iv = model.idxV[j];
    for (let k = 0; k < model.nvs[j]; k++) {
      motionSubspaceColumn(model, j, k, col);
      motionAct(data.oMi, 12 * j, col, 0, col, 6);
      for (let r = 0; r < 6; r++) J[r * nv + iv + k] = col[6 + r];
    }
  }
  return J;
}

/**
 * Jacobian of a frame (6 x nv row-major, into out) from data.J and data.oMi (call
 * computeJointJacobians first): 'world' at the world origin, 'local_world_aligned' at the
 * frame origin with world axes, 'local' in the frame. Columns of non-ancestor joints are zero.
 */
export function frameJacobian(model: Model, data: Data, frameId: number, ref: ReferenceFrame, out: Float64Array): Float64Array {
  const nv = model.nv;
  out.fill(0, 0, 6 * nv);
  const oMf = updateFramePlacement(model, data, frameId);
  const col = data.tmp6;
  for (let j = model.frames[frameId].parentJoint; j > 0; j = model.parents[j]) {
    const iv = model.idxV[j];
    for (let k = 0; k < model.nvs[j]; k++) {
      const c = iv + k;
      for (let r = 0; r < 6; r++) col[r] = data.J[r * nv + c];
      if (ref !== 'world') shiftToPointWorld(oMf, 0, col, 0);
      if (ref === 'local') {
        // rotate into the frame: R^T
        for (let r = 0; r < 3; r++) {
          out[r * nv + c] = oMf[r] * col[0] + oMf[3 + r] * col[1] + oMf[6 + r] * col[2];
          out[(r + 3) * nv + c] = oMf[r] * col[3] + oMf[3 + r] * col[4] + oMf[6 + r] * col[5];
        }
      } else {
        for (let r = 0; r < 6; r++) out[r * nv + c] = col[r];
      }
    }
  }
  return out;
}
