/**
 * Cross-check against MuJoCo (official WebAssembly build), an engine nobody here wrote: on the
 * upstream URDFs (real input), our CRBA mass matrix, RNEA nonlinear effects and ABA forward
 * dynamics agree with MuJoCo's to 1e-9 relative on random states.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { aba } from '../../server/dynamics/aba.ts';
import { crba } from '../../server/dynamics/crba.ts';
import { createData } from '../../server/dynamics/data.ts';
import { nonLinearEffects } from '../../server/dynamics/rnea.ts';
import { parseUrdf } from '../../server/model/urdf.ts';
import { mujocoFromUrdf, type PeerModel } from '../../server/peer/mujoco.ts';
import { DOUBLE_PENDULUM_URDF, SOLO12_URDF } from '../../bench/mujoco-scene.ts';
import { maxAbs, maxAbsDiff, mulberry32, randomConfiguration, randomVector } from '../helpers/random-model.ts';

const cases = [
  { name: 'Solo-12 with a free-flyer', file: SOLO12_URDF, floating: true },
  { name: 'Solo-12 with a fixed base', file: SOLO12_URDF, floating: false },
  { name: 'double pendulum', file: DOUBLE_PENDULUM_URDF, floating: false },
];

describe.each(cases)('agreement with MuJoCo on $name', ({ file, floating }) => {
  const xml = readFileSync(file(), 'utf8');
  const { model } = parseUrdf(xml, { source: file(), floating });
  const data = createData(model);
  let peer: PeerModel;
  beforeAll(async () => {
    peer = await mujocoFromUrdf(xml, { floating, jointOrder: model.jointNames.slice(floating ? 2 : 1) });
  });

  it('mass matrix, nonlinear effects and forward dynamics agree to 1e-9 relative', () => {
    const rng = mulberry32(42);
    for (let t = 0; t < 25; t++) {
      const q = randomConfiguration(model, rng);
      const v = randomVector(model.nv, rng, 2);
      const tau = randomVector(model.nv, rng, 0.5);
      const M = crba(model, data, q);
      const Mref = peer.massMatrix(q);
      expect(maxAbsDiff(M, Mref) / maxAbs(Mref)).toBeLessThan(1e-9);
      const nle = nonLinearEffects(model, data, q, v);
      const nref = peer.nonLinearEffects(q, v);
      expect(maxAbsDiff(nle, nref) / maxAbs(nref)).toBeLessThan(1e-9);
      const ddq = aba(model, data, q, v, tau);
      const aref = peer.forwardDynamics(q, v, tau);
      expect(maxAbsDiff(ddq, aref) / Math.max(1, maxAbs(aref))).toBeLessThan(1e-9);
    }
  });
});
