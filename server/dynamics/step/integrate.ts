/**
 * The integration stage: semi-implicit Euler on the configuration manifold. Joints q + dt v;
 * the free-flyer translates on a straight line and turns by exp(dt w) (quaternion kept unit),
 * with the -w x v_lin term of the body-frame velocity handled exactly (velocity.ts: no energy
 * gain for spinning bodies).
 */
import type { Model } from '../../model/model.ts';
import { integrate, turnQuaternion } from '../lie.ts';
import type { SimOptions } from './options.ts';

export class Integrator {
  /** Floating model whose other joints are all one-dof, in order: q[7 + i] pairs with v[6 + i]. */
  private readonly oneDofTail: boolean;
  /** The base's rotation vector dt w at [3..6]. */
  private readonly turnTmp = new Float64Array(6);

  constructor(private readonly model: Model, private readonly options: SimOptions) {
    let tail = model.floating;
    for (let j = 2; j < model.njoints; j++) tail &&= model.nqs[j] === 1 && model.nvs[j] === 1 && model.idxQ[j] === model.idxV[j] + 1;
    this.oneDofTail = tail;
  }

  /**
   * Integration stage: from q and the end-of-step velocity vt (base linear part in the old base
   * frame, as contactStage leaves it), the next configuration and velocity. Free-flyer: the base
   * moves on a straight line p' = p + dt R vt_lin and turns R' = R exp(dt w); its stored
   * linear velocity is re-expressed in the new frame, v_lin' = exp(-dt w) vt_lin. Other joints:
   * q' = q + dt v. qOut may alias q and vOut may alias vt.
   */
  advance(q: ArrayLike<number>, vt: ArrayLike<number>, qOut: Float64Array, vOut: Float64Array): void {
    const model = this.model, dt = this.options.dt;
    if (!model.floating) {
      for (let i = 0; i < model.nv; i++) vOut[i] = vt[i];
      integrate(model, q, vOut, qOut, dt);
      return;
    }
    // base: straight-line translation, then rotation (integrate on a zero-linear twist)
    const qx = q[3], qy = q[4], qz = q[5], qw = q[6];
    const lx = vt[0], ly = vt[1], lz = vt[2], wx = vt[3], wy = vt[4], wz = vt[5];
    // R vt_lin via the quaternion
    const cx = 2 * (qy * lz - qz * ly), cy = 2 * (qz * lx - qx * lz), cz = 2 * (qx * ly - qy * lx);
    const px = q[0] + dt * (lx + qw * cx + (qy * cz - qz * cy));
    const py = q[1] + dt * (ly + qw * cy + (qz * cx - qx * cz));
    const pz = q[2] + dt * (lz + qw * cz + (qx * cy - qy * cx));
    // exp(-dt w) vt_lin (Rodrigues)
    const th = dt * Math.sqrt(wx * wx + wy * wy + wz * wz);
    let nlx = lx, nly = ly, nlz = lz;
    if (th > 0) {
      const ax = -dt * wx / th, ay = -dt * wy / th, az = -dt * wz / th;
      const c = Math.cos(th), sn = Math.sin(th), d = (ax * lx + ay * ly + az * lz) * (1 - c);
      nlx = lx * c + (ay * lz - az * ly) * sn + ax * d;
      nly = ly * c + (az * lx - ax * lz) * sn + ay * d;
      nlz = lz * c + (ax * ly - ay * lx) * sn + az * d;
    }
    // R' = R exp(dt w), as lie.ts integrate turns a free-flyer; other joints q + dt v (the
    // free-flyer is joint 1, q[0..7])
    const tw = this.turnTmp;
    tw[3] = dt * wx; tw[4] = dt * wy; tw[5] = dt * wz;
    turnQuaternion(q, 3, tw, qOut, 3);
    if (this.oneDofTail) {
      for (let i = 7; i < model.nq; i++) qOut[i] = q[i] + dt * vt[i - 1];
    } else {
      for (let j = 2; j < model.njoints; j++) qOut[model.idxQ[j]] = q[model.idxQ[j]] + dt * vt[model.idxV[j]];
    }
    qOut[0] = px; qOut[1] = py; qOut[2] = pz;
    for (let i = 3; i < model.nv; i++) vOut[i] = vt[i];
    vOut[0] = nlx; vOut[1] = nly; vOut[2] = nlz;
  }
}
