/**
 * Randomized-smoothing estimators (seed paper eq. 1-4; notes/randomized-smoothing.md) of the
 * value and Jacobian of a vector function f: R^n -> R^m at a point x, for the smoothed model
 *
 *     f_sigma(x) = E_w[ f(x + sigma ∘ w) ],  w ~ N(0, I_n),  sigma_j >= 0 per coordinate,
 *
 * from M evaluations at perturbed points that *someone else* computed. The estimators never call
 * f: the caller fills a `SampleBatch` (noise W, outputs F, baseline f0) with whichever backend it
 * has (in-process loop, worker threads over SharedArrayBuffers, GPU), then asks for estimates.
 * The same code therefore serves every backend, and two backends that produce the same F give
 * bit-identical Jacobians.
 *
 * Layout (all row-major Float64Array):
 *   sigma  n           per-coordinate noise scale; sigma_j = 0: coordinate j is not perturbed
 *   W      M × n       W[i*n + j] = w_ij ~ N(0, 1) (0 on unperturbed coordinates)
 *   X      M × n       X[i*n + j] = x_j + sigma_j w_ij   (`perturbedInputs`; vector spaces only)
 *   F      M × m       F[i*m + r] = f_r(x + sigma ∘ w_i)
 *   f0     m           f(x), the control variate ("baseline")
 *   J      m × n       J[r*n + j] = d f_r / d x_j (the smoothed model's Jacobian)
 *   Js     M × m × n   Js[(i*m + r)*n + j]: exact Jacobian at sample i (first-order estimator)
 * Arrays are sized for `capacity` samples; `batch.M <= capacity` rows are in use, so the sample
 * count can change between iterations (the sensitivity schedule doubles it) without
 * reallocation, and the first rows of a stream are the same whatever M is.
 * Every call reads the set of perturbed coordinates from `sigma` (sigma_j > 0): change sigma
 * (e.g. `setSigma` with the schedule's value) before `samplePerturbations`, not between
 * sampling and estimating, or W's zero pattern and the estimators' disagree.
 *
 * Antithetic sampling: rows (2p, 2p+1) hold (w, -w). The estimators are the same formulas; only
 * the standard errors change, computed over the M/2 independent pairs instead of M samples
 * (the two halves of a pair are correlated). For the zero-order Jacobian a pair contributes
 * (f(x+σw) - f(x-σw)) w / (2σ): central differences along w, so even-order terms of f cancel
 * (variance reduction on smooth f) and the baseline cancels too.
 *
 * Common random numbers (same W across iterations, so that iterate-to-iterate changes are not
 * noise): the caller's choice, by keeping W or drawing it from `streamFor(seed, t, 0)` each time.
 *
 * Standard errors: every estimator can report a Monte-Carlo standard error per entry (sample
 * standard deviation of the per-sample terms / sqrt(#independent units)), so tests and the
 * GPU/CPU comparison can assert agreement "within k standard errors".
 *
 * Hot path: the estimators, `samplePerturbations` and `perturbedInputs` allocate nothing; the
 * scratch they need lives in the batch, created once by `createSampleBatch`.
 */
import type { Rng } from './rng.ts';
import { choleskyInPlace, choleskySolveInPlace } from '../math/linalg.ts';

/** Samples, outputs and scratch for one smoothing point (one knot of R-DDP). See file header. */
export interface SampleBatch {
  /** Input dimension. */
  readonly n: number;
  /** Output dimension. */
  readonly m: number;
  /** Rows allocated in W and F. */
  readonly capacity: number;
  /** Rows in use, 1 <= M <= capacity (even when antithetic). */
  M: number;
  /** Rows (2p, 2p+1) are (w, -w); standard errors are computed over pairs. */
  antithetic: boolean;
  /** Noise scale per input coordinate (n); 0 = unperturbed. */
  readonly sigma: Float64Array;
  /** Standard-normal noise, capacity × n (row-major). */
  readonly W: Float64Array;
  /** Outputs f(x + sigma ∘ w_i), capacity × m (row-major). */
  readonly F: Float64Array;
  /** f(x), m. */
  readonly f0: Float64Array;
  /** Scratch: indices of perturbed coordinates (first `k` entries used). */
  readonly idx: Int32Array;
  /** Scratch: 1 / sigma_j on perturbed coordinates. */
  readonly invSigma: Float64Array;
  /** Scratch for the least-squares estimator: n × n normal matrix, n × m right-hand sides, 2 vectors. */
  readonly lsG: Float64Array;
  readonly lsR: Float64Array;
  readonly lsA: Float64Array;
  readonly lsE: Float64Array;
}

/** Options for `createSampleBatch`. */
export interface SampleBatchOptions {
  /** Initial sigma: a scalar (isotropic) or one value per coordinate. Default 1 on every coordinate. */
  sigma?: number | ArrayLike<number>;
  /** Antithetic pairs (default false). */
  antithetic?: boolean;
  /** Initial M (default capacity). */
  M?: number;
  /**
   * Caller-provided storage, e.g. views into SharedArrayBuffers that worker threads or a GPU
   * read-back fill: W (capacity × n), F (capacity × m), f0 (m). Missing ones are allocated.
   */
  W?: Float64Array;
  F?: Float64Array;
  f0?: Float64Array;
}

/** Allocates a batch for f: R^n -> R^m with room for `capacity` samples. Not for hot loops. */
export function createSampleBatch(n: number, m: number, capacity: number, opts: SampleBatchOptions = {}): SampleBatch {
  for (const [v, what] of [[n, 'n'], [m, 'm'], [capacity, 'capacity']] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`createSampleBatch: ${what} must be a positive integer, got ${v}`);
  }
  const W = opts.W ?? new Float64Array(capacity * n);
  const F = opts.F ?? new Float64Array(capacity * m);
  const f0 = opts.f0 ?? new Float64Array(m);
  if (W.length < capacity * n) throw new RangeError(`createSampleBatch: W has ${W.length} < ${capacity}×${n} entries`);
  if (F.length < capacity * m) throw new RangeError(`createSampleBatch: F has ${F.length} < ${capacity}×${m} entries`);
  if (f0.length < m) throw new RangeError(`createSampleBatch: f0 has ${f0.length} < ${m} entries`);
  const batch: SampleBatch = {
    n,
    m,
    capacity,
    M: opts.M ?? capacity,
    antithetic: opts.antithetic ?? false,
    sigma: new Float64Array(n),
    W,
    F,
    f0,
    idx: new Int32Array(n),
    invSigma: new Float64Array(n),
    lsG: new Float64Array(n * n),
    lsR: new Float64Array(n * m),
    lsA: new Float64Array(n),
    lsE: new Float64Array(m),
  };
  if (typeof opts.sigma === 'number') setSigma(batch, opts.sigma);
  else setSigma(batch, 1, opts.sigma);
  checkM(batch, 'createSampleBatch');
  return batch;
}

/**
 * sigma_j = scale × pattern_j (pattern default all ones). This is how a schedule's scalar sigma
 * is applied to a fixed pattern, e.g. pattern = [0…0 (state), 1…1 (controls)] for noise on the
 * controls only, or separate relative scales for state and controls.
 */
export function setSigma(batch: SampleBatch, scale: number, pattern?: ArrayLike<number>): void {
  const { n, sigma } = batch;
  if (!(scale >= 0) || !Number.isFinite(scale)) throw new RangeError(`setSigma: scale must be finite and >= 0, got ${scale}`);
  if (pattern !== undefined && pattern.length !== n) {
    throw new RangeError(`setSigma: pattern has length ${pattern.length}, expected ${n}`);
  }
  for (let j = 0; j < n; j++) {
    const p = pattern === undefined ? 1 : pattern[j];
    if (!(p >= 0) || !Number.isFinite(p)) throw new RangeError(`setSigma: pattern[${j}] must be finite and >= 0, got ${p}`);
    sigma[j] = scale * p;
  }
}

function checkM(batch: SampleBatch, where: string): void {
  const { M, capacity } = batch;
  if (!Number.isInteger(M) || M < 1 || M > capacity) {
    throw new RangeError(`${where}: batch.M = ${M} outside [1, ${capacity}]`);
  }
  if (batch.antithetic && M % 2 !== 0) throw new RangeError(`${where}: antithetic batches need an even M, got ${M}`);
}

/** Fills batch.idx / batch.invSigma for the perturbed coordinates; returns their count k. */
function perturbedCoordinates(batch: SampleBatch): number {
  const { n, sigma, idx, invSigma } = batch;
  let k = 0;
  for (let j = 0; j < n; j++) {
    const s = sigma[j];
    if (s > 0) {
      idx[k++] = j;
      invSigma[j] = 1 / s;
    } else {
      invSigma[j] = 0;
    }
  }
  return k;
}

/** Columns of unperturbed coordinates: the fallback's column, or 0; their standard error is 0. */
function fillUnperturbedColumns(
  batch: SampleBatch, J: Float64Array, fallback: Float64Array | undefined, stdErr: Float64Array | undefined,
): void {
  const { n, m, sigma } = batch;
  for (let j = 0; j < n; j++) {
    if (sigma[j] > 0) continue;
    for (let r = 0; r < m; r++) {
      J[r * n + j] = fallback === undefined ? 0 : fallback[r * n + j];
      if (stdErr !== undefined) stdErr[r * n + j] = 0;
    }
  }
}

/** Length check; the message is only built on failure (no string allocation per call). */
function checkOut(arr: Float64Array | undefined, len: number, where: string, what: string): void {
  if (arr !== undefined && arr.length < len) throw new RangeError(`${where}: ${what} has ${arr.length} < ${len} entries`);
}

/**
 * Draws the noise of `M` samples (default batch.M; sets batch.M) into batch.W from `rng`:
 * row by row, coordinate by coordinate, one `nextGaussian` per perturbed coordinate (sigma_j > 0),
 * 0 on the others. Antithetic batches draw the even rows and negate them into the odd rows.
 * The draw order is part of the reproducibility contract: a backend that regenerates W from
 * `streamFor(seed, t, k)` must follow it (or simply receive W).
 */
export function samplePerturbations(batch: SampleBatch, rng: Rng, M = batch.M): void {
  batch.M = M;
  checkM(batch, 'samplePerturbations');
  const { n, W, idx } = batch;
  const k = perturbedCoordinates(batch);
  const pairs = batch.antithetic;
  const rows = pairs ? M / 2 : M; // rows that receive fresh noise
  // One fill of rows × k values, compact at the front of W (exactly the sequence of one
  // nextGaussian per perturbed coordinate, row by row), then spread in place from the back:
  // compact entry (p, q) sits at p k + q <= its target, and every entry not yet read lies
  // below every position written, so nothing unread is overwritten.
  rng.fillGaussian(W, 0, rows * k);
  if (!pairs && k === n) return;
  for (let p = rows - 1; p >= 0; p--) {
    const row = (pairs ? 2 * p : p) * n;
    let q = k - 1;
    for (let j = n - 1; j >= 0; j--) {
      if (q >= 0 && idx[q] === j) {
        W[row + j] = W[p * k + q];
        q--;
      } else {
        W[row + j] = 0;
      }
    }
    if (pairs) {
      const next = row + n;
      for (let j = 0; j < n; j++) W[next + j] = -W[row + j];
    }
  }
}

/**
 * X[i*n + j] = x[j] + sigma_j W[i*n + j] for the batch.M samples (X: at least M × n). For
 * vector-space inputs (controls, joint positions); a state with a free-flyer quaternion must be
 * perturbed in the tangent space by the caller (integrate(x, sigma ∘ w_i)).
 */
export function perturbedInputs(batch: SampleBatch, x: Float64Array, X: Float64Array): void {
  checkM(batch, 'perturbedInputs');
  const { n, M, sigma, W } = batch;
  checkOut(X, M * n, 'perturbedInputs', 'X');
  for (let i = 0; i < M; i++) {
    const row = i * n;
    for (let j = 0; j < n; j++) X[row + j] = x[j] + sigma[j] * W[row + j];
  }
}

/** Options of `zeroOrderJacobian`. */
export interface ZeroOrderOptions {
  /**
   * Subtract f(x) from every output (control variate; default true). Unbiasedness does not
   * depend on it (E[w] = 0), but without it the variance carries a |f(x)|^2 / (M sigma^2)
   * term: a large constant part of f (a position far from the origin) swamps the estimate.
   */
  baseline?: boolean;
  /**
   * m × n Jacobian whose columns are used for unperturbed coordinates (sigma_j = 0); without it
   * those columns are 0. R-DDP puts noise on the controls only (or with separate scales) and
   * takes the state columns from the exact (or finite-difference) linearization.
   */
  fallback?: Float64Array;
  /** Out, m × n: Monte-Carlo standard error of each entry (0 on unperturbed columns). */
  stdErr?: Float64Array;
}

/**
 * Zero-order (score-function) estimator with the baseline, seed eq. (3) for Gaussian noise:
 *
 *     J[r, j] = (1/M) Σ_i (F_ir - f0_r) w_ij / sigma_j,
 *
 * unbiased for the Jacobian of f_sigma (Stein's lemma: d/dx E f(x+σw) = E[f(x+σw) w]/σ), needs
 * only evaluations of f (sound for discontinuous f, sound in f32 for noise well above f32
 * resolution), variance ~ 1/(M sigma^2) where f varies by O(1) over the noise. It is the
 * least-squares fit below with the empirical second moment (1/M) Σ w w^T replaced by its
 * expectation I. Writes J (m × n).
 */
export function zeroOrderJacobian(batch: SampleBatch, J: Float64Array, opts: ZeroOrderOptions = {}): void {
  checkM(batch, 'zeroOrderJacobian');
  const { n, m, M, W, F, f0, idx, invSigma } = batch;
  const stdErr = opts.stdErr;
  checkOut(J, m * n, 'zeroOrderJacobian', 'J');
  checkOut(stdErr, m * n, 'zeroOrderJacobian', 'stdErr');
  checkOut(opts.fallback, m * n, 'zeroOrderJacobian', 'fallback');
  const k = perturbedCoordinates(batch);
  const baseline = opts.baseline ?? true;
  J.fill(0, 0, m * n);
  // Independent units: samples, or antithetic pairs whose term is (F+ - F-) w / (2σ).
  const pairs = batch.antithetic;
  const U = pairs ? M / 2 : M;
  if (stdErr !== undefined && U < 2) throw new RangeError('zeroOrderJacobian: standard errors need at least 2 independent samples');
  // J += d_ur w_u^T over units u: an outer-product accumulation, O(U m k). When the perturbed
  // coordinates form one block [j0, j0 + k) (all of them, or the controls of x = (state,
  // controls)) the loop is direct and unrolled by 4: V8 does not vectorize, and this measured
  // 2x faster than the indexed loop at Solo-12 sizes (n = 48, m = 36, M = 128).
  const j0 = k > 0 ? idx[0] : 0;
  const block = k > 0 && idx[k - 1] - j0 === k - 1;
  const j1 = j0 + k;
  for (let u = 0; u < U; u++) {
    const i = pairs ? 2 * u : u;
    const wrow = i * n;
    const frow = i * m;
    for (let r = 0; r < m; r++) {
      const d = pairs ? 0.5 * (F[frow + r] - F[frow + m + r]) : baseline ? F[frow + r] - f0[r] : F[frow + r];
      if (d === 0) continue;
      const jrow = r * n;
      if (block) {
        let j = j0;
        for (; j + 3 < j1; j += 4) {
          J[jrow + j] += d * W[wrow + j];
          J[jrow + j + 1] += d * W[wrow + j + 1];
          J[jrow + j + 2] += d * W[wrow + j + 2];
          J[jrow + j + 3] += d * W[wrow + j + 3];
        }
        for (; j < j1; j++) J[jrow + j] += d * W[wrow + j];
      } else {
        for (let q = 0; q < k; q++) {
          const j = idx[q];
          J[jrow + j] += d * W[wrow + j];
        }
      }
    }
  }
  const invU = 1 / U;
  for (let r = 0; r < m; r++) {
    for (let q = 0; q < k; q++) {
      const j = idx[q];
      J[r * n + j] *= invU * invSigma[j];
    }
  }
  if (stdErr !== undefined) {
    // Second pass: sum of squared deviations of the per-unit terms from the mean (two-pass is
    // accurate where sum-of-squares minus square-of-sum would cancel).
    stdErr.fill(0, 0, m * n);
    for (let u = 0; u < U; u++) {
      const i = pairs ? 2 * u : u;
      const wrow = i * n;
      for (let r = 0; r < m; r++) {
        const d = unitDelta(F, f0, i, r, m, pairs, baseline);
        const jrow = r * n;
        for (let q = 0; q < k; q++) {
          const j = idx[q];
          const e = d * W[wrow + j] * invSigma[j] - J[jrow + j];
          stdErr[jrow + j] += e * e;
        }
      }
    }
    const norm = 1 / (U * (U - 1));
    for (let r = 0; r < m; r++) {
      for (let q = 0; q < k; q++) {
        const j = idx[q];
        stdErr[r * n + j] = Math.sqrt(stdErr[r * n + j] * norm);
      }
    }
  }
  fillUnperturbedColumns(batch, J, opts.fallback, stdErr);
}

/** Output difference of one unit: F_i - f0 (plain), or (F_i - F_{i+1}) / 2 (antithetic pair). */
function unitDelta(
  F: Float64Array, f0: Float64Array, i: number, r: number, m: number, pairs: boolean, baseline: boolean,
): number {
  if (pairs) return 0.5 * (F[i * m + r] - F[(i + 1) * m + r]);
  return baseline ? F[i * m + r] - f0[r] : F[i * m + r];
}

/** Options of `leastSquaresJacobian`. */
export interface LeastSquaresOptions {
  /**
   * Ridge weight relative to the sample count, in units of the standardized noise w: the
   * normal matrix is Σ w_i w_i^T + ridge M I (whose expectation is (1 + ridge) M I). Default
   * 1e-8: enough to keep the Cholesky factorization defined, a relative bias of about 1e-8.
   * With ridge = 0, M must be at least the number of perturbed coordinates.
   */
  ridge?: number;
  /** As in `zeroOrderJacobian`: columns for unperturbed coordinates. */
  fallback?: Float64Array;
  /**
   * Out, m × n: heteroscedasticity-robust (HC0 sandwich, clustered by antithetic pair) standard
   * error of each entry, 0 on unperturbed columns.
   */
  stdErr?: Float64Array;
}

/**
 * Least-squares Jacobian: the B minimizing Σ_i |(F_i - f0) - B (sigma ∘ w_i)|^2 (+ ridge), i.e.
 * the linear model through f(x) that best explains the sampled differences (the notes'
 * "equivalent alternative"). Solved in the standardized variables w (columns divided by
 * sigma_j afterwards) by ridge-regularized normal equations and a Cholesky factorization of
 * the k × k normal matrix (k perturbed coordinates). Exact for affine f as soon as M >= k;
 * for nonlinear f it estimates the same smoothed Jacobian as the zero-order estimator
 * (E[w w^T] = I), with lower variance when f is nearly linear over the noise.
 * Returns false (J untouched) when the normal matrix is not positive definite.
 */
export function leastSquaresJacobian(batch: SampleBatch, J: Float64Array, opts: LeastSquaresOptions = {}): boolean {
  checkM(batch, 'leastSquaresJacobian');
  const { n, m, M, W, F, f0, idx, invSigma, lsG: G, lsR: R, lsA: a, lsE: e } = batch;
  const stdErr = opts.stdErr;
  checkOut(J, m * n, 'leastSquaresJacobian', 'J');
  checkOut(stdErr, m * n, 'leastSquaresJacobian', 'stdErr');
  checkOut(opts.fallback, m * n, 'leastSquaresJacobian', 'fallback');
  const ridge = opts.ridge ?? 1e-8;
  if (!(ridge >= 0)) throw new RangeError(`leastSquaresJacobian: ridge must be >= 0, got ${ridge}`);
  const k = perturbedCoordinates(batch);
  if (k > 0) {
    // G = Σ z z^T + ridge M I (k × k, z = perturbed part of w), R = Σ z (F - f0)^T (k × m).
    G.fill(0, 0, k * k);
    R.fill(0, 0, k * m);
    for (let i = 0; i < M; i++) {
      const wrow = i * n;
      for (let p = 0; p < k; p++) {
        const zp = W[wrow + idx[p]];
        if (zp === 0) continue;
        const grow = p * k;
        for (let q = 0; q <= p; q++) G[grow + q] += zp * W[wrow + idx[q]];
        const rrow = p * m;
        for (let r = 0; r < m; r++) R[rrow + r] += zp * (F[i * m + r] - f0[r]);
      }
    }
    for (let p = 0; p < k; p++) G[p * k + p] += ridge * M;
    if (!choleskyInPlace(G, k)) return false;
    // Solve G B = R column by column (B overwrites R; column r of R is strided by m).
    for (let r = 0; r < m; r++) {
      for (let p = 0; p < k; p++) a[p] = R[p * m + r];
      choleskySolveInPlace(G, k, a);
      for (let p = 0; p < k; p++) R[p * m + r] = a[p];
    }
    for (let r = 0; r < m; r++) {
      for (let p = 0; p < k; p++) {
        const j = idx[p];
        J[r * n + j] = R[p * m + r] * invSigma[j];
      }
    }
    if (stdErr !== undefined) {
      // Sandwich: Var(B[:, r]) = G^-1 (Σ_c s_c s_c^T) G^-1 with score s_c = Σ_{i in c} e_ir z_i per
      // cluster c (a sample, or an antithetic pair). Diagonal only: Σ_c (e_cr)^2 (G^-1 z_c)_p^2
      // where for a pair z_{2p+1} = -z_{2p}, so e_c = e_+ - e_-, z_c = z_+.
      const pairs = batch.antithetic;
      const U = pairs ? M / 2 : M;
      if (U < 2) throw new RangeError('leastSquaresJacobian: standard errors need at least 2 independent samples');
      stdErr.fill(0, 0, m * n);
      for (let u = 0; u < U; u++) {
        const i = pairs ? 2 * u : u;
        const wrow = i * n;
        for (let r = 0; r < m; r++) {
          e[r] = residual(batch, k, i, r);
          if (pairs) e[r] -= residual(batch, k, i + 1, r);
        }
        for (let p = 0; p < k; p++) a[p] = W[wrow + idx[p]];
        choleskySolveInPlace(G, k, a);
        for (let r = 0; r < m; r++) {
          const er = e[r];
          for (let p = 0; p < k; p++) stdErr[r * n + idx[p]] += er * er * a[p] * a[p];
        }
      }
      // Small-sample correction U / (U - k) (HC1) when it is defined.
      const corr = U > k ? U / (U - k) : 1;
      for (let r = 0; r < m; r++) {
        for (let p = 0; p < k; p++) {
          const j = idx[p];
          stdErr[r * n + j] = Math.sqrt(stdErr[r * n + j] * corr) * invSigma[j];
        }
      }
    }
  }
  fillUnperturbedColumns(batch, J, opts.fallback, stdErr);
  return true;
}

/** Residual (F_ir - f0_r) - Σ_p B[p, r] z_ip of sample i, output r (B in batch.lsR). */
function residual(batch: SampleBatch, k: number, i: number, r: number): number {
  const { n, m, W, F, f0, idx, lsR: B } = batch;
  let s = F[i * m + r] - f0[r];
  for (let p = 0; p < k; p++) s -= B[p * m + r] * W[i * n + idx[p]];
  return s;
}

/** Options of `firstOrderJacobian` and `smoothedValue`. */
export interface MeanOptions {
  /** Out, same shape as the estimate: Monte-Carlo standard error of each entry. */
  stdErr?: Float64Array;
}

/**
 * First-order estimator, seed eq. (4): the mean of the exact Jacobians at the samples,
 * J = (1/M) Σ_i Js_i with Js (M × m × n) supplied by the caller. Low variance where f is smooth
 * between contacts, but blind to jumps: where f is piecewise constant the exact Jacobians are
 * all zero and so is their average ("an average of zeros is zero"), while the smoothed model
 * has a nonzero slope. Unperturbed coordinates need no fallback (their exact columns are in Js).
 */
export function firstOrderJacobian(batch: SampleBatch, Js: Float64Array, J: Float64Array, opts: MeanOptions = {}): void {
  const len = batch.m * batch.n;
  checkOut(Js, batch.M * len, 'firstOrderJacobian', 'Js');
  meanOfRows(batch, Js, len, J, opts.stdErr, 'firstOrderJacobian');
}

/** Smoothed value f_sigma(x) ~ (1/M) Σ_i F_i (seed eq. 2), into out (m). */
export function smoothedValue(batch: SampleBatch, out: Float64Array, opts: MeanOptions = {}): void {
  meanOfRows(batch, batch.F, batch.m, out, opts.stdErr, 'smoothedValue');
}

/** Mean of the first M rows (length len) of A, and standard errors over samples or pairs. */
function meanOfRows(
  batch: SampleBatch, A: Float64Array, len: number, out: Float64Array, stdErr: Float64Array | undefined, where: string,
): void {
  checkM(batch, where);
  checkOut(out, len, where, 'out');
  checkOut(stdErr, len, where, 'stdErr');
  const M = batch.M;
  out.fill(0, 0, len);
  for (let i = 0; i < M; i++) {
    const row = i * len;
    let c = 0;
    for (; c + 3 < len; c += 4) {
      out[c] += A[row + c];
      out[c + 1] += A[row + c + 1];
      out[c + 2] += A[row + c + 2];
      out[c + 3] += A[row + c + 3];
    }
    for (; c < len; c++) out[c] += A[row + c];
  }
  const invM = 1 / M;
  for (let c = 0; c < len; c++) out[c] *= invM;
  if (stdErr === undefined) return;
  const pairs = batch.antithetic;
  const U = pairs ? M / 2 : M;
  if (U < 2) throw new RangeError(`${where}: standard errors need at least 2 independent samples`);
  stdErr.fill(0, 0, len);
  for (let u = 0; u < U; u++) {
    const row = (pairs ? 2 * u : u) * len;
    for (let c = 0; c < len; c++) {
      const v = pairs ? 0.5 * (A[row + c] + A[row + len + c]) : A[row + c];
      const d = v - out[c];
      stdErr[c] += d * d;
    }
  }
  const norm = 1 / (U * (U - 1));
  for (let c = 0; c < len; c++) stdErr[c] = Math.sqrt(stdErr[c] * norm);
}

/** Options of `sigmaDerivative`. */
export interface SigmaDerivativeOptions {
  /** Subtract f(x) (default true; unbiased either way since E[|w|^2 - k] = 0). */
  baseline?: boolean;
  /** Out, m: Monte-Carlo standard error of each output's estimate. */
  stdErr?: Float64Array;
}

/**
 * Derivative of the smoothed value with respect to the noise level, by the zero-order
 * (score-function) estimator. For isotropic noise in n dimensions,
 *
 *     f_σ(x) = E f(x + σ w),   d f_σ / dσ = E[ f(x + σ w) (|w|^2 - n) ] / σ,
 *
 * (differentiate the density σ^-n φ((y - x)/σ) in σ: σ^-n-1 φ(z) (|z|^2 - n)). With per-
 * coordinate scales sigma_j = s c_j, the same formula gives d/ds with |w|^2 - n replaced by
 * Σ_{perturbed j} w_j^2 - k (k perturbed coordinates), and `scale` = s: pass the schedule's
 * scalar σ. (The notes' "(|w|^2 - 1)" is the one-dimensional case.) Check: f = |x|^2 gives
 * E|x + σw|^2 = |x|^2 + n σ^2, derivative 2 n σ. Writes out[r] for each output r (m).
 */
export function sigmaDerivative(batch: SampleBatch, scale: number, out: Float64Array, opts: SigmaDerivativeOptions = {}): void {
  checkM(batch, 'sigmaDerivative');
  if (!(scale > 0)) throw new RangeError(`sigmaDerivative: scale must be > 0, got ${scale}`);
  const { n, m, M, W, F, f0, idx } = batch;
  checkOut(out, m, 'sigmaDerivative', 'out');
  checkOut(opts.stdErr, m, 'sigmaDerivative', 'stdErr');
  const stdErr = opts.stdErr;
  const k = perturbedCoordinates(batch);
  const baseline = opts.baseline ?? true;
  const pairs = batch.antithetic;
  const U = pairs ? M / 2 : M;
  if (stdErr !== undefined && U < 2) throw new RangeError('sigmaDerivative: standard errors need at least 2 independent samples');
  const invS = 1 / scale;
  // Pass 0: the mean of the per-unit terms; pass 1 (standard errors only): squared deviations.
  out.fill(0, 0, m);
  if (stdErr !== undefined) stdErr.fill(0, 0, m);
  const passes = stdErr === undefined ? 1 : 2;
  for (let pass = 0; pass < passes; pass++) {
    for (let u = 0; u < U; u++) {
      const i = pairs ? 2 * u : u;
      let w2 = 0;
      for (let q = 0; q < k; q++) {
        const w = W[i * n + idx[q]];
        w2 += w * w;
      }
      const score = (w2 - k) * invS;
      for (let r = 0; r < m; r++) {
        const b = baseline ? f0[r] : 0;
        // The two halves of an antithetic pair share |w|^2: the unit term uses their mean output.
        const d = pairs ? 0.5 * (F[i * m + r] + F[(i + 1) * m + r]) - b : F[i * m + r] - b;
        if (pass === 0) {
          out[r] += d * score;
        } else {
          const e = d * score - out[r];
          stdErr![r] += e * e;
        }
      }
    }
    if (pass === 0) for (let r = 0; r < m; r++) out[r] /= U;
  }
  if (stdErr !== undefined) {
    const norm = 1 / (U * (U - 1));
    for (let r = 0; r < m; r++) stdErr[r] = Math.sqrt(stdErr[r] * norm);
  }
}
