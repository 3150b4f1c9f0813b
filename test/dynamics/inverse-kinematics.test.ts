/**
 * Point-target inverse kinematics (server/dynamics/inverse-kinematics.ts) on Solo-12 with a
 * free-flyer: the targets are met (checked by forward kinematics, independently of the
 * solver's residuals), and the result is a stationary point of the stated objective (central
 * finite differences of the objective along every tangent direction).
 */
import { describe, expect, it } from 'vitest';
import { createData } from '../../server/dynamics/data.ts';
import { solvePointIk } from '../../server/dynamics/inverse-kinematics.ts';
import { forwardKinematics, updateFramePlacements } from '../../server/dynamics/kinematics.ts';
import { difference, integrate } from '../../server/dynamics/lie.ts';
import { frameIndex } from '../../server/model/model.ts';
import { loadRobot, posture } from '../../server/model/robots.ts';

describe('solvePointIk', () => {
  const { model, meta } = loadRobot('solo12');
  const q0 = posture(meta, model, 'standing');
  const data = createData(model);
  const feet = ['FL', 'FR', 'HL', 'HR'].map((f) => frameIndex(model, `${f}_FOOT`));
  const positions = (q: Float64Array) => {
    forwardKinematics(model, data, q);
    updateFramePlacements(model, data);
    return feet.map((id) => Array.from(data.oMf.subarray(12 * id + 9, 12 * id + 12)));
  };
  const p0 = positions(q0);

  it.each([['FL', 0, 0.05], ['HR', 3, 0.08]])('lifts %s by %f m with the other feet where they stand', (_name, k, dz) => {
    const targets = feet.map((frame, i) => ({ frame, position: i === k ? [p0[i][0], p0[i][1], p0[i][2] + dz] : p0[i] }));
    const lambda = 1e-6;
    const res = solvePointIk(model, q0, targets, { lambda });
    expect(res.converged).toBe(true);
    const p = positions(res.q);
    for (let i = 0; i < 4; i++) for (let c = 0; c < 3; c++) expect(Math.abs(p[i][c] - targets[i].position[c])).toBeLessThan(1e-5);
    expect(res.maxError).toBeLessThan(1e-5);
    // the lifted leg's knee moved, the others barely
    const kfe = (leg: number) => model.idxQ[model.jointNames.indexOf(`${['FL', 'FR', 'HL', 'HR'][leg]}_KFE`)];
    expect(Math.abs(res.q[kfe(k)] - q0[kfe(k)])).toBeGreaterThan(0.1);
    // stationary point of f(q) = sum |p - target|^2 + lambda |q (-) q0|^2
    const f = (q: Float64Array) => {
      const pp = positions(q);
      let s = 0;
      for (let i = 0; i < 4; i++) for (let c = 0; c < 3; c++) s += (pp[i][c] - targets[i].position[c]) ** 2;
      const r = difference(model, q0, q, new Float64Array(model.nv));
      for (const x of r) s += lambda * x * x;
      return s;
    };
    const h = 1e-6, qp = new Float64Array(model.nq), qm = new Float64Array(model.nq), dv = new Float64Array(model.nv);
    let maxGrad = 0;
    for (let a = 0; a < model.nv; a++) {
      dv.fill(0); dv[a] = h; integrate(model, res.q, dv, qp);
      dv[a] = -h; integrate(model, res.q, dv, qm);
      maxGrad = Math.max(maxGrad, Math.abs((f(qp) - f(qm)) / (2 * h)));
    }
    // the regularization's gradient scale is lambda |q - q0| ~ 1e-6; a non-stationary point would show ~1e-4 or more
    expect(maxGrad).toBeLessThan(1e-8);
  });
});
