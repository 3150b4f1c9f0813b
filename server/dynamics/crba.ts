import type { Model } from '../model/model.ts';
import { motionSubspaceColumn, projectColumn } from '../model/joints/subspace.ts';
import { forceAct, inertiaActAdd, inertiaMulMotion } from '../model/spatial.ts';
import { compiledCrba } from './compiled/crba-kernel.ts';
import { compiledKernelsEnabled } from './compiled/emit.ts';
import type { Data } from './data.ts';
import { jointTransform } from './kinematics.ts';

/**
 * Composite Rigid Body Algorithm: the joint-space mass matrix M(q), written to data.M
 * (nv x nv row-major, both triangles) and returned.
 */
export function crba(model: Model, data: Data, q: ArrayLike<number>): Float64Array {
  for (let j = 1; j < model.njoints; j++) jointTransform(model, data, j, q);
  return crbaFromPlacements(model, data);
}

/**
 * CRBA from the joint placements already in data.liMi (after forward kinematics at q).
 *
 * Precondition: data.liMi as written by jointTransform / forwardKinematics (kinematics.ts; the
 * generated forward kinematics writes the same values). The compiled kernels take what
 * jointTransform writes for the revolute joints on its fast path (data.jointPath 0/1/2) as
 * known: of such a placement they read one cos and one sin entry only, and take the rotation's
 * 0 and 1 entries as constants, the other cos entry as the same value, the -sin entry as the
 * negation of the sin one and the translation as the joint placement's; see
 * compiled/crba-kernel.ts, placementLayout. A liMi written any other way gives a wrong M
 * without warning (crbaFromPlacementsGeneric reads every entry).
 *
 * affected (optional, per joint): data.M and data.Ycrb hold the result of a previous call, and
 * since then only placements of joints whose subtrees are marked, together with all their
 * ancestors, changed. Unmarked joints keep their composite inertia and their rows of M; the
 * marked ones are redone with the same operations in the same order, so the result equals a
 * full pass bit for bit. (A linearization's joint columns perturb one leg: the other legs'
 * work is skipped.)
 *
 * Runs the model's compiled kernels (compiled/crba-kernel.ts), which perform the operations of
 * crbaFromPlacementsGeneric in the same order with the model's structure unrolled (the same
 * results for finite inputs, see there), or the generic loops when the model is too large to
 * compile (or setCompiledKernels(false) turned them off).
 */
export function crbaFromPlacements(model: Model, data: Data, affected?: Uint8Array): Float64Array {
  const kernels = compiledKernelsEnabled() ? compiledCrba(model) : null;
  if (kernels === null) return crbaFromPlacementsGeneric(model, data, affected);
  if (affected) kernels.partial(data.liMi, data.Ybody, data.Ycrb, data.M, affected);
  else kernels.full(data.liMi, data.Ybody, data.Ycrb, data.M);
  return data.M;
}

/**
 * crbaFromPlacements with generic loops over the joints: the reference of the compiled kernel
 * and its fallback. Same arguments, results and partial pass; uses data.tmp6 and data.tmp36.
 */
export function crbaFromPlacementsGeneric(model: Model, data: Data, affected?: Uint8Array): Float64Array {
  const nj = model.njoints;
  const nv = model.nv;
  const parents = model.parents;
  const L = data.liMi, Yc = data.Ycrb, M = data.M;
  const Fs = data.tmp36; // force columns Yc S of the current joint, 6 per dof
  if (affected) {
    for (let j = 1; j < nj; j++) if (affected[j]) for (let k = 0; k < 10; k++) Yc[10 * j + k] = data.Ybody[10 * j + k];
  } else {
    Yc.set(data.Ybody);
  }
  for (let j = nj - 1; j >= 1; j--) {
    if (affected && !affected[j]) {
      // composite and rows unchanged; its parent, if redone, still collects it
      const p = parents[j];
      if (p > 0 && affected[p]) inertiaActAdd(L, 12 * j, Yc, 10 * j, Yc, 10 * p);
      continue;
    }
    const ivj = model.idxV[j];
    const nvj = model.nvs[j];
    // F = Yc_j S_j, column by column
    for (let k = 0; k < nvj; k++) {
      motionSubspaceColumn(model, j, k, data.tmp6);
      inertiaMulMotion(Yc, 10 * j, data.tmp6, 0, Fs, 6 * k);
    }
    // walk up: block (i, j) = S_i^T F expressed in frame i
    let i = j;
    for (;;) {
      const ivi = model.idxV[i];
      for (let k = 0; k < nvj; k++) {
        for (let r = 0; r < model.nvs[i]; r++) {
          const x = projectColumn(model, i, r, Fs, 6 * k);
          M[(ivi + r) * nv + ivj + k] = x;
          M[(ivj + k) * nv + ivi + r] = x;
        }
      }
      const p = parents[i];
      if (p === 0) break;
      for (let k = 0; k < nvj; k++) forceAct(L, 12 * i, Fs, 6 * k, Fs, 6 * k);
      i = p;
    }
    const p = parents[j];
    if (p > 0) inertiaActAdd(L, 12 * j, Yc, 10 * j, Yc, 10 * p);
  }
  return M;
}

// S columns and Sᵀ rows of a joint, by its motion-subspace class (server/model/joints/subspace.ts)
export { motionSubspaceColumn, projectColumn };
