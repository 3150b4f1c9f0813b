import { type Model } from '../model/model.ts';
import { inertiaMulMotion } from '../model/spatial.ts';
import type { Data } from './data.ts';
import { forwardKinematics } from './kinematics.ts';

/** Centre of mass of the moving bodies in the world, written to data.com (and returned). */
export function centerOfMass(model: Model, data: Data, q: ArrayLike<number>): Float64Array {
  forwardKinematics(model, data, q);
  return comFromPlacements(model, data);
}

/** Centre of mass from data.oMi (after forward kinematics). */
export function comFromPlacements(model: Model, data: Data): Float64Array {
  const com = data.com;
  com[0] = 0; com[1] = 0; com[2] = 0;
  let mass = 0;
  const I = model.inertias, O = data.oMi;
  for (let j = 1; j < model.njoints; j++) {
    const m = I[10 * j];
    if (m === 0) continue;
    const cx = I[10 * j + 1], cy = I[10 * j + 2], cz = I[10 * j + 3];
    const o = 12 * j;
    com[0] += m * (O[o] * cx + O[o + 1] * cy + O[o + 2] * cz + O[o + 9]);
    com[1] += m * (O[o + 3] * cx + O[o + 4] * cy + O[o + 5] * cz + O[o + 10]);
    com[2] += m * (O[o + 6] * cx + O[o + 7] * cy + O[o + 8] * cz + O[o + 11]);
    mass += m;
  }
  data.mass = mass;
  if (mass > 0) { com[0] /= mass; com[1] /= mass; com[2] /= mass; }
  return com;
}

/** Kinetic energy 1/2 v^T M v, as the sum over bodies of 1/2 v_i . (Y_i v_i). */
export function kineticEnergy(model: Model, data: Data, q: ArrayLike<number>, v: ArrayLike<number>): number {
  forwardKinematics(model, data, q, v);
  let e = 0;
  const h = data.tmp6, V = data.v;
  for (let j = 1; j < model.njoints; j++) {
    inertiaMulMotion(data.Ybody, 10 * j, V, 6 * j, h, 0);
    const o = 6 * j;
    e += V[o] * h[0] + V[o + 1] * h[1] + V[o + 2] * h[2] + V[o + 3] * h[3] + V[o + 4] * h[4] + V[o + 5] * h[5];
  }
  return 0.5 * e;
}

/** Potential energy -m g . com (zero at the world origin). */
export function potentialEnergy(model: Model, data: Data, q: ArrayLike<number>): number {
  const com = centerOfMass(model, data, q);
  const g = model.gravity;
  return -data.mass * (g[0] * com[0] + g[1] * com[1] + g[2] * com[2]);
}
