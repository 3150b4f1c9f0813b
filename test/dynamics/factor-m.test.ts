import { describe, expect, it } from 'vitest';
import { crba } from '../../server/dynamics/crba.ts';
import { createData } from '../../server/dynamics/data.ts';
import {
  factorMassMatrix, ltdlFactor, ltdlFactorGeneric, ltdlSolve, ltdlSolveGeneric, ltdlSolveL, ltdlSolveLGeneric, solveMassMatrix,
  solveMassMatrixMany,
} from '../../server/dynamics/factor-m.ts';
import { ltdlKernels } from '../../server/dynamics/compiled/ltdl-kernel.ts';
import { loadRobot } from '../../server/model/robots.ts';
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

describe('compiled LTDL kernels', () => {
  // the generated kernels must run exactly the generic loops' operations: equal entry for entry
  const cases = [
    ['solo12', () => loadRobot('solo12').model],
    ['random floating tree (seed 31, 14 bodies)', () => randomModel(31, 14, true)],
    ['random fixed tree (seed 32, 9 bodies)', () => randomModel(32, 9, false)],
  ] as const;
  it.each(cases)('%s: factor, solve and L-solve equal the generic loops', (_name, make) => {
    const model = make();
    const data = createData(model);
    const nv = model.nv, lambda = data.dofParent;
    expect(ltdlKernels(lambda)).not.toBeNull();
    const rng = mulberry32(nv);
    for (let t = 0; t < 5; t++) {
      const M = crba(model, data, randomConfiguration(model, rng));
      const H1 = new Float64Array(M), H2 = new Float64Array(M);
      const e = new Float64Array(nv);
      for (let i = 0; i < nv; i++) { const d = 0.01 * rng(); e[i] = d; H1[i * nv + i] += d; H2[i * nv + i] += d; }
      // straight from M (with the same diagonal): equal on the factor's entries
      const H3 = new Float64Array(nv * nv);
      expect(ltdlKernels(lambda)!.factorFrom(M, H3, e)).toBe(true);
      expect(ltdlFactor(lambda, H1, nv)).toBe(true);
      for (let r = 0; r < nv; r++) {
        expect(H3[r * nv + r] === H1[r * nv + r]).toBe(true);
        for (let i = lambda[r]; i !== -1; i = lambda[i]) expect(H3[r * nv + i] === H1[r * nv + i]).toBe(true);
      }
      expect(ltdlFactorGeneric(lambda, H2, nv)).toBe(true);
      for (let i = 0; i < nv * nv; i++) expect(H1[i] === H2[i]).toBe(true);
      // a right-hand side with zeros (the back sweep skips them) at an offset
      const b = randomVector(nv + 3, rng);
      b[4] = 0;
      const x1 = b.slice(), x2 = b.slice(), y1 = b.slice(), y2 = b.slice();
      ltdlSolve(lambda, H1, nv, x1, 2); ltdlSolveGeneric(lambda, H2, nv, x2, 2);
      ltdlSolveL(lambda, H1, nv, y1, 3); ltdlSolveLGeneric(lambda, H2, nv, y2, 3);
      for (let i = 0; i < nv + 3; i++) { expect(x1[i] === x2[i]).toBe(true); expect(y1[i] === y2[i]).toBe(true); }
    }
  });

  it('a pivot that is not positive is reported, as by the generic loop', () => {
    const model = randomModel(33, 5, true);
    const data = createData(model);
    const H = new Float64Array(crba(model, data, randomConfiguration(model, mulberry32(3))));
    H[(model.nv - 1) * model.nv + model.nv - 1] = -1;
    expect(ltdlFactor(data.dofParent, H.slice(), model.nv)).toBe(false);
    expect(ltdlFactorGeneric(data.dofParent, H.slice(), model.nv)).toBe(false);
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

describe('multi-column LTDL solve', () => {
  it.each([[31, 8, false], [32, 12, true]] as const)('equals column-by-column solves (seed %i)', (seed, n, floating) => {
    const model = randomModel(seed, n, floating);
    const data = createData(model);
    const rng = mulberry32(seed);
    const nv = model.nv, ncols = 2 * nv + 3;
    crba(model, data, randomConfiguration(model, rng));
    factorMassMatrix(model, data);
    const X = randomVector(nv * ncols, rng);
    const ref = new Float64Array(nv * ncols);
    const col = new Float64Array(nv);
    for (let c = 0; c < ncols; c++) {
      for (let r = 0; r < nv; r++) col[r] = X[r * ncols + c];
      solveMassMatrix(model, data, col);
      for (let r = 0; r < nv; r++) ref[r * ncols + c] = col[r];
    }
    solveMassMatrixMany(model, data, X, ncols);
    expect(maxAbsDiff(X, ref) / maxAbs(ref)).toBeLessThan(1e-13);
  });
});
