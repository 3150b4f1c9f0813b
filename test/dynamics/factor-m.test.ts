import { describe, expect, it } from 'vitest';
import { crba } from '../../server/dynamics/crba.ts';
import { createData } from '../../server/dynamics/data.ts';
import { factorMassMatrix, solveMassMatrix } from '../../server/dynamics/factor-m.ts';
import { aba } from '../../server/dynamics/aba.ts';
import { nonLinearEffects } from '../../server/dynamics/rnea.ts';
import { maxAbs, maxAbsDiff, mulberry32, randomConfiguration, randomModel, randomVector } from '../helpers/random-model.ts';

describe('sparse LTDL factorization of M', () => {
  it.each([[21, 9, false], [22, 14, true]] as const)('solves M x = b exactly like ABA (seed %i)', (seed, n, floating) => {
    const model = randomModel(seed, n, floating);
    const data = createData(model);
    const rng = mulberry32(seed);
    for (let t = 0; t < 10; t++) {
      const q = randomConfiguration(model, rng);
      const v = randomVector(model.nv, rng);
      const tau = randomVector(model.nv, rng);
      const ddq = new Float64Array(aba(model, data, q, v, tau));
      crba(model, data, q);
      factorMassMatrix(model, data);
      const b = new Float64Array(tau);
      const nle = nonLinearEffects(model, data, q, v);
      for (let i = 0; i < model.nv; i++) b[i] -= nle[i];
      solveMassMatrix(model, data, b);
      expect(maxAbsDiff(b, ddq) / Math.max(1, maxAbs(ddq))).toBeLessThan(1e-10);
    }
  });

  it('adds a diagonal (implicit damping) before factorizing', () => {
    const model = randomModel(23, 6, true);
    const data = createData(model);
    const rng = mulberry32(1);
    const q = randomConfiguration(model, rng);
    const M = new Float64Array(crba(model, data, q));
    const d = randomVector(model.nv, rng).map(Math.abs);
    factorMassMatrix(model, data, d);
    const x = randomVector(model.nv, rng);
    const b = new Float64Array(model.nv);
    for (let r = 0; r < model.nv; r++) { let s = d[r] * x[r]; for (let c = 0; c < model.nv; c++) s += M[r * model.nv + c] * x[c]; b[r] = s; }
    solveMassMatrix(model, data, b);
    expect(maxAbsDiff(b, x)).toBeLessThan(1e-10);
  });
});

describe('register-tiled products', () => {
  it('gemmNN and gemmTN add the same as the textbook triple loops', async () => {
    const { gemmNN, gemmTN } = await import('../../server/math/linalg.ts');
    const rng = mulberry32(8);
    for (const [n, k, m] of [[5, 7, 9], [36, 36, 36], [12, 36, 12], [3, 2, 1]]) {
      const A = randomVector(n * k, rng), B = randomVector(k * m, rng), At = randomVector(k * n, rng);
      const C0 = randomVector(n * m, rng);
      const C = C0.slice(), D = C0.slice();
      gemmNN(A, 0, B, 0, C, 0, n, k, m);
      gemmTN(At, 0, B, 0, D, 0, n, k, m);
      for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) {
        let s = 0, t = 0;
        for (let p = 0; p < k; p++) { s += A[i * k + p] * B[p * m + j]; t += At[p * n + i] * B[p * m + j]; }
        expect(C[i * m + j]).toBeCloseTo(C0[i * m + j] + s, 10);
        expect(D[i * m + j]).toBeCloseTo(C0[i * m + j] + t, 10);
      }
    }
  });
});
