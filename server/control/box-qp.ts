/**
 * Box-constrained QP by projected Newton (Tassa, Mansard, Todorov 2014, "Control-limited
 * differential dynamic programming", Algorithm 1; the boxQP of their code):
 *
 *     min_x ½ xᵀ H x + gᵀ x   subject to   lb ≤ x ≤ ub        (H symmetric, n × n, row-major)
 *
 * In DDP: x = du, H = Quu, g = Qu, lb = uLower − ū, ub = uUpper − ū. Each iteration splits the
 * variables into the clamped set (at a bound with the gradient pushing outward) and the free
 * set, takes the Newton step on the free set (clamped ones fixed), and backtracks along the
 * projected path with an Armijo test. On return `L` holds the Cholesky factor of H restricted
 * to the final free set (nFree × nFree, row-major, stride nFree), so the DDP feedback gain is
 * K_f = −H_ff⁻¹ Qux_f on the free rows and 0 on the clamped ones (`solveFree`).
 *
 * Cholesky from server/math/linalg.ts; allocation-free after construction.
 */
import { choleskyInPlace, choleskySolveInPlace } from '../math/linalg.ts';

export interface BoxQPOptions {
  /** Maximum projected-Newton iterations (default 100). */
  maxIterations: number;
  /** Stop when the 2-norm of the gradient on the free set is below this (default 1e-10). */
  gradientTolerance: number;
  /** Stop when an iteration improves the objective by less than this times |f| (default 1e-12). */
  relativeImprovementTolerance: number;
  /** Backtracking factor of the projected line search (default 0.6). */
  stepDecrease: number;
  /** Smallest step before giving up the line search (default 1e-22). */
  minStep: number;
  /** Armijo sufficient-decrease constant (default 0.1). */
  armijo: number;
}

export function defaultBoxQPOptions(overrides: Partial<BoxQPOptions> = {}): BoxQPOptions {
  return {
    maxIterations: 100,
    gradientTolerance: 1e-10,
    relativeImprovementTolerance: 1e-12,
    stepDecrease: 0.6,
    minStep: 1e-22,
    armijo: 0.1,
    ...overrides,
  };
}

export type BoxQPStatus =
  /** gradient on the free set below tolerance */
  | 'converged'
  /** every variable is clamped */
  | 'allClamped'
  /** improvement below relativeImprovementTolerance */
  | 'smallImprovement'
  /** line search could not decrease the objective (step < minStep or no descent direction) */
  | 'lineSearchFailed'
  | 'maxIterations'
  /** H restricted to the free set is not positive definite: x and L are not meaningful */
  | 'notPD';

/**
 * Cholesky L Lᵀ of the n × n row-major matrix A (stride n) into L (lower triangle, stride n;
 * the strict upper triangle is zeroed). False when not PD. Solve with choleskySolveInPlace.
 */
export function cholesky(A: Float64Array, n: number, L: Float64Array): boolean {
  for (let i = 0; i < n * n; i++) L[i] = A[i];
  if (!choleskyInPlace(L, n)) return false;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) L[i * n + j] = 0;
  return true;
}

export class BoxQP {
  readonly n: number;
  readonly options: BoxQPOptions;
  /** Solution (n). */
  readonly x: Float64Array;
  /** 1 on the free set, 0 on the clamped set of the solution. */
  readonly free: Uint8Array;
  /** Indices of the free variables (first nFree entries). */
  readonly freeIdx: Int32Array;
  nFree = 0;
  /** Cholesky factor of H_ff (nFree × nFree, row-major, stride nFree). */
  readonly L: Float64Array;
  status: BoxQPStatus = 'converged';
  iterations = 0;
  /** Objective at the solution. */
  value = 0;
  /** Gradient g + H x at the solution (n). */
  readonly grad: Float64Array;

  private readonly Hff: Float64Array;
  private readonly dir: Float64Array;
  private readonly xc: Float64Array;
  private readonly rhs: Float64Array;
  private readonly prevFree: Uint8Array;

  constructor(n: number, options: Partial<BoxQPOptions> = {}) {
    this.n = n;
    this.options = defaultBoxQPOptions(options);
    this.x = new Float64Array(n);
    this.free = new Uint8Array(n);
    this.prevFree = new Uint8Array(n);
    this.freeIdx = new Int32Array(n);
    this.L = new Float64Array(n * n);
    this.grad = new Float64Array(n);
    this.Hff = new Float64Array(n * n);
    this.dir = new Float64Array(n);
    this.xc = new Float64Array(n);
    this.rhs = new Float64Array(n);
  }

  private objective(H: Float64Array, g: Float64Array, x: Float64Array): number {
    const n = this.n;
    let v = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      const ro = i * n;
      for (let j = 0; j < n; j++) s += H[ro + j] * x[j];
      v += x[i] * (g[i] + 0.5 * s);
    }
    return v;
  }

  private gradient(H: Float64Array, g: Float64Array, x: Float64Array): void {
    const n = this.n;
    for (let i = 0; i < n; i++) {
      let s = g[i];
      const ro = i * n;
      for (let j = 0; j < n; j++) s += H[ro + j] * x[j];
      this.grad[i] = s;
    }
  }

  /** Clamped/free split at x with the gradient in this.grad; returns nFree. */
  private split(lb: Float64Array, ub: Float64Array): number {
    const x = this.x, gr = this.grad;
    let nf = 0;
    for (let i = 0; i < this.n; i++) {
      const clamped = (x[i] <= lb[i] && gr[i] > 0) || (x[i] >= ub[i] && gr[i] < 0);
      this.free[i] = clamped ? 0 : 1;
      if (!clamped) this.freeIdx[nf++] = i;
    }
    this.nFree = nf;
    return nf;
  }

  /** Factorizes H on the current free set into L. */
  private factor(H: Float64Array): boolean {
    const nf = this.nFree, n = this.n, Hff = this.Hff, idx = this.freeIdx;
    for (let a = 0; a < nf; a++) {
      const ro = idx[a] * n;
      for (let b = 0; b < nf; b++) Hff[a * nf + b] = H[ro + idx[b]];
    }
    return cholesky(Hff, nf, this.L);
  }

  /**
   * Gradient and free set at the current x; refactors H_ff unless the free set is unchanged
   * and the factor is still valid. False when H_ff is not positive definite.
   */
  private refresh(H: Float64Array, g: Float64Array, lb: Float64Array, ub: Float64Array, haveFactor: boolean): boolean {
    this.gradient(H, g, this.x);
    this.prevFree.set(this.free);
    const nf = this.split(lb, ub);
    let changed = !haveFactor;
    for (let i = 0; !changed && i < this.n; i++) changed = this.free[i] !== this.prevFree[i];
    return !changed || nf === 0 || this.factor(H);
  }

  private fail(value: number): BoxQPStatus {
    this.status = 'notPD';
    this.value = value;
    return 'notPD';
  }

  /**
   * Solves H_ff y = b_f for the free rows of b (read at b[bo + i*bs] for each free i), writing y
   * over those entries and 0 over the clamped ones. Uses the factor of the last solve.
   */
  solveFree(b: Float64Array, bo = 0, bs = 1): void {
    const nf = this.nFree, rhs = this.rhs, idx = this.freeIdx;
    for (let a = 0; a < nf; a++) rhs[a] = b[bo + idx[a] * bs];
    if (nf > 0) choleskySolveInPlace(this.L, nf, rhs);
    for (let i = 0; i < this.n; i++) b[bo + i * bs] = 0;
    for (let a = 0; a < nf; a++) b[bo + idx[a] * bs] = rhs[a];
  }

  /**
   * Solves the QP. H (n × n), g, lb, ub (n); x0: warm start (projected onto the box), default 0
   * projected. Returns the status; the solution is in this.x (and free, freeIdx, nFree, L).
   */
  solve(H: Float64Array, g: Float64Array, lb: Float64Array, ub: Float64Array, x0: Float64Array | null = null): BoxQPStatus {
    const n = this.n, o = this.options, x = this.x, dir = this.dir, xc = this.xc, gr = this.grad;
    for (let i = 0; i < n; i++) {
      if (!(lb[i] <= ub[i])) throw new Error(`BoxQP: empty box on variable ${i}: [${lb[i]}, ${ub[i]}]`);
      const v = x0 ? x0[i] : 0;
      x[i] = v < lb[i] ? lb[i] : v > ub[i] ? ub[i] : v;
    }
    let value = this.objective(H, g, x);
    let oldValue = 0;
    let status: BoxQPStatus = 'maxIterations';
    let haveFactor = false; // L is the factor of H on the set in this.free
    let setCurrent = false; // this.free (and this.grad) were computed at the current x
    this.iterations = 0;
    for (let it = 0; it < o.maxIterations; it++) {
      this.iterations = it + 1;
      if (it > 0 && oldValue - value < o.relativeImprovementTolerance * Math.abs(oldValue)) {
        status = 'smallImprovement';
        break;
      }
      oldValue = value;
      if (!this.refresh(H, g, lb, ub, haveFactor)) return this.fail(value);
      haveFactor = true;
      setCurrent = true;
      const nf = this.nFree;
      if (nf === 0) {
        status = 'allClamped';
        break;
      }
      let gn = 0;
      for (let a = 0; a < nf; a++) { const gi = gr[this.freeIdx[a]]; gn += gi * gi; }
      if (Math.sqrt(gn) < o.gradientTolerance) {
        status = 'converged';
        break;
      }
      // Newton direction on the free set with the clamped variables fixed:
      // x_f* = −H_ff⁻¹ (g_f + H_fc x_c), dir_f = x_f* − x_f, dir_c = 0
      for (let i = 0; i < n; i++) {
        if (!this.free[i]) { dir[i] = 0; continue; }
        let s = g[i];
        const ro = i * n;
        for (let j = 0; j < n; j++) if (!this.free[j]) s += H[ro + j] * x[j];
        dir[i] = s;
      }
      this.solveFree(dir);
      let sdotg = 0;
      for (let i = 0; i < n; i++) {
        if (this.free[i]) dir[i] = -dir[i] - x[i];
        sdotg += dir[i] * gr[i];
      }
      if (!(sdotg < 0)) {
        status = 'lineSearchFailed';
        break;
      }
      // projected backtracking
      let step = 1;
      let vc = 0;
      let ok = false;
      while (step >= o.minStep) {
        for (let i = 0; i < n; i++) {
          const v = x[i] + step * dir[i];
          xc[i] = v < lb[i] ? lb[i] : v > ub[i] ? ub[i] : v;
        }
        vc = this.objective(H, g, xc);
        if ((vc - value) / (step * sdotg) >= o.armijo) { ok = true; break; }
        step *= o.stepDecrease;
      }
      if (!ok) {
        status = 'lineSearchFailed';
        break;
      }
      x.set(xc);
      value = vc;
      setCurrent = false;
    }
    // free set, gradient and factor consistent with the returned x
    if (!setCurrent && !this.refresh(H, g, lb, ub, haveFactor)) return this.fail(value);
    this.status = status;
    this.value = value;
    return status;
  }
}
