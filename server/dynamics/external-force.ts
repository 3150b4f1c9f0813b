/**
 * A force applied at a point of the robot, as the generalized force the step takes
 * (Simulator.externalForce): tau = J(q)ᵀ f, J the linear rows of the frame's Jacobian at its
 * origin with world axes ('local_world_aligned'), f in the world frame (N). Used for an
 * operator's push in live sessions (server/live/). The power it delivers, tauᵀ v, is f · (the
 * point's velocity), which the test checks against frameVelocity.
 */
import type { Model } from '../model/model.ts';
import { createData, type Data } from './data.ts';
import { computeJointJacobians, frameJacobian } from './jacobian.ts';

export class PointForce {
  readonly data: Data;
  private readonly J: Float64Array;
  constructor(readonly model: Model) {
    this.data = createData(model);
    this.J = new Float64Array(6 * model.nv);
  }

  /** out (nv) = J_frame(q)ᵀ f for the world force f (3 numbers) at the frame's origin. */
  generalized(q: ArrayLike<number>, frameId: number, f: ArrayLike<number>, out: Float64Array): Float64Array {
    const model = this.model, nv = model.nv, J = this.J;
    computeJointJacobians(model, this.data, q);
    frameJacobian(model, this.data, frameId, 'local_world_aligned', J);
    for (let c = 0; c < nv; c++) out[c] = J[c] * f[0] + J[nv + c] * f[1] + J[2 * nv + c] * f[2];
    return out;
  }
}
