import { describe, expect, it } from 'vitest';
import { integrate } from '../../server/dynamics/lie.ts';
import { Simulator } from '../../server/dynamics/step.ts';
import { loadRobot } from '../../server/model/robots.ts';
import { mulberry32, randomConfiguration, randomVector } from '../helpers/random-model.ts';

describe('Simulator.advance', () => {
  it('turns the base and moves the joints exactly as lie.ts integrate on [0; dt w; dt v_joints], and moves the base on a straight line', () => {
    const { model } = loadRobot('solo12');
    const sim = new Simulator(model, undefined, { dt: 0.01 });
    const rng = mulberry32(4);
    for (let t = 0; t < 50; t++) {
      const q = randomConfiguration(model, rng);
      const vt = randomVector(model.nv, rng, t % 10 === 0 ? 1e-7 : 3); // tiny turns take the series branch
      const qOut = new Float64Array(model.nq), vOut = new Float64Array(model.nv);
      sim.advance(q, vt, qOut, vOut);
      const tw = vt.slice(); tw[0] = 0; tw[1] = 0; tw[2] = 0;
      const ref = integrate(model, q, tw, new Float64Array(model.nq), 0.01);
      for (let i = 3; i < model.nq; i++) expect(qOut[i]).toBe(ref[i]);
      // p' = p + dt R v_lin, and |v_lin| is kept (re-expressed in the turned frame)
      const [x, y, z, w] = [q[3], q[4], q[5], q[6]];
      const R = [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y), 2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x), 2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)];
      for (let r = 0; r < 3; r++) expect(qOut[r]).toBeCloseTo(q[r] + 0.01 * (R[3 * r] * vt[0] + R[3 * r + 1] * vt[1] + R[3 * r + 2] * vt[2]), 14);
      expect(Math.hypot(vOut[0], vOut[1], vOut[2])).toBeCloseTo(Math.hypot(vt[0], vt[1], vt[2]), 12);
      for (let i = 3; i < model.nv; i++) expect(vOut[i]).toBe(vt[i]);
    }
  });
});
