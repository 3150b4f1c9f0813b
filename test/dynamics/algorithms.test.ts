import { describe, expect, it } from 'vitest';
import { createData } from '../../server/dynamics/data.ts';
import { rnea, nonLinearEffects } from '../../server/dynamics/rnea.ts';
import { crba } from '../../server/dynamics/crba.ts';
import { aba } from '../../server/dynamics/aba.ts';
import { choleskyInPlace } from '../../server/math/linalg.ts';
import { randomModel, randomConfiguration, randomVector, mulberry32, maxAbsDiff, maxAbs } from '../helpers/random-model.ts';

const cases = [
  { name: 'fixed base, 7 bodies', seed: 1, n: 7, floating: false },
  { name: 'floating base, 12 bodies', seed: 2, n: 12, floating: true },
  { name: 'floating base, 20 bodies', seed: 3, n: 20, floating: true },
];

describe.each(cases)('rigid-body identities on a random tree ($name)', ({ seed, n, floating }) => {
  const model = randomModel(seed, n, floating);
  const data = createData(model);
  const rng = mulberry32(100 + seed);

  it('ABA(q, v, RNEA(q, v, a)) = a', () => {
    for (let trial = 0; trial < 20; trial++) {
      const q = randomConfiguration(model, rng);
      const v = randomVector(model.nv, rng);
      const a = randomVector(model.nv, rng);
      const tau = new Float64Array(rnea(model, data, q, v, a));
      const ddq = aba(model, data, q, v, tau);
      expect(maxAbsDiff(ddq, a)).toBeLessThan(1e-9 * Math.max(1, maxAbs(a)));
    }
  });

  it('CRBA is symmetric positive definite and its columns are RNEA(q, 0, e_i) - g(q)', () => {
    for (let trial = 0; trial < 10; trial++) {
      const q = randomConfiguration(model, rng);
      const M = new Float64Array(crba(model, data, q));
      const nv = model.nv;
      for (let i = 0; i < nv; i++) for (let j = 0; j < nv; j++) expect(M[i * nv + j]).toBe(M[j * nv + i]);
      expect(choleskyInPlace(new Float64Array(M), nv)).toBe(true);
      const zero = new Float64Array(nv);
      const g = new Float64Array(rnea(model, data, q, zero, null));
      const e = new Float64Array(nv);
      for (let i = 0; i < nv; i++) {
        e.fill(0); e[i] = 1;
        const col = rnea(model, data, q, zero, e);
        for (let r = 0; r < nv; r++) expect(Math.abs(col[r] - g[r] - M[r * nv + i])).toBeLessThan(1e-10);
      }
    }
  });

  it('M ddq + nle = tau with ddq from ABA', () => {
    for (let trial = 0; trial < 10; trial++) {
      const q = randomConfiguration(model, rng);
      const v = randomVector(model.nv, rng);
      const tau = randomVector(model.nv, rng);
      const ddq = new Float64Array(aba(model, data, q, v, tau));
      const nle = new Float64Array(nonLinearEffects(model, data, q, v));
      const M = crba(model, data, q);
      const nv = model.nv;
      for (let r = 0; r < nv; r++) {
        let s = nle[r];
        for (let c = 0; c < nv; c++) s += M[r * nv + c] * ddq[c];
        expect(Math.abs(s - tau[r])).toBeLessThan(1e-9);
      }
    }
  });
});
