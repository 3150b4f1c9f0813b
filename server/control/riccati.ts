/**
 * One knot of DDP's backward pass (the Riccati recursion on the Q-function, Gauss-Newton):
 *
 *     Qx = lx + Aᵀ V'x            Qu = lu + Bᵀ V'x
 *     Qxx = lxx + Aᵀ V'xx A       Quu = luu + Bᵀ V'xx B      Qux = lux + Bᵀ V'xx A
 *
 * with the regularization μ ('control': Quu + μ I; 'state': Quu + μ BᵀB, Qux + μ BᵀA), the
 * gains (box QP or Newton step k, feedback K = −Quu⁻¹ Qux on the free rows) and the value
 * update with the unregularized Q (Tassa et al. 2012):
 *     Vx = Qx + Kᵀ (Quu k + Qu) + Quxᵀ k,   Vxx = Qxx + Kᵀ (Quu K + Qux) + Quxᵀ K.
 *
 * Register-tiled products (linalg.ts), symmetric ones as upper triangles; Qxx is formed in
 * V'xx's buffer; the gain solves run on whole rows of K (contiguous) instead of strided
 * columns, bit for bit the column solves. Per knot (ndx 36, nu 12) ≈ 130 k multiply-adds,
 * two thirds of them V'xx A and Aᵀ (V'xx A). Allocation-free; the per-knot arrays (A, B, k,
 * K, Quu, Qu, cost derivatives) are the solver's.
 */
import { BoxQP, cholesky } from './box-qp.ts';
import type { CostDerivatives } from './cost.ts';
import { gemmNN, gemmTN, gemmTNUpper, mirrorUpper } from '../math/linalg.ts';

export interface RiccatiKnot {
  /** A_t, B_t at offsets ao, bo (ndx x ndx, ndx x nu, row-major). */
  A: Float64Array; ao: number;
  B: Float64Array; bo: number;
  l: CostDerivatives;
  /** Gains out: k at k[ko..], K at K[Ko..] (nu x ndx); k holds the previous gains on entry (the box QP's warm start). */
  k: Float64Array; ko: number;
  K: Float64Array; Ko: number;
  /** Control bounds relative to the nominal (box QP), or null when unbounded. */
  lb: Float64Array | null; ub: Float64Array | null;
}

export class RiccatiPass {
  readonly ndx: number;
  readonly nu: number;
  /** Value function of the knot after the one being processed (in), of this knot (out). */
  readonly Vx: Float64Array;
  readonly Vxx: Float64Array;
  /** Regularized Quu and Qu of the last knot (the solver stores them per knot). */
  readonly QuuR: Float64Array;
  readonly Qu: Float64Array;
  /** Σ kᵀ Qu, Σ kᵀ Quu k, max projected |Qu| over the knots since reset. */
  d1 = 0;
  d2 = 0;
  gradNorm = 0;
  private readonly qp: BoxQP;
  private readonly stateReg: boolean;
  private readonly VA: Float64Array;
  private readonly VB: Float64Array;
  private readonly Qx: Float64Array;
  private readonly Qux: Float64Array;
  private readonly QuxR: Float64Array;
  private readonly QuuU: Float64Array;
  private readonly L: Float64Array;
  private readonly tmpU: Float64Array;
  private readonly tmpUX: Float64Array;
  private readonly kPrev: Float64Array;

  constructor(ndx: number, nu: number, qp: BoxQP, regularization: 'control' | 'state') {
    this.ndx = ndx; this.nu = nu; this.qp = qp;
    this.stateReg = regularization === 'state';
    this.Vx = new Float64Array(ndx);
    this.Vxx = new Float64Array(ndx * ndx);
    this.QuuR = new Float64Array(nu * nu);
    this.Qu = new Float64Array(nu);
    this.VA = new Float64Array(ndx * ndx);
    this.VB = new Float64Array(ndx * nu);
    this.Qx = new Float64Array(ndx);
    this.Qux = new Float64Array(nu * ndx);
    this.QuxR = new Float64Array(nu * ndx);
    this.QuuU = new Float64Array(nu * nu);
    this.L = new Float64Array(nu * nu);
    this.tmpU = new Float64Array(nu);
    this.tmpUX = new Float64Array(nu * ndx);
    this.kPrev = new Float64Array(nu);
  }

  /** Starts a pass from the terminal cost's derivatives. */
  reset(lx: Float64Array, lxx: Float64Array): void {
    this.Vx.set(lx);
    this.Vxx.set(lxx);
    this.d1 = 0; this.d2 = 0; this.gradNorm = 0;
  }

  /** One knot at regularization mu. False when the regularized Quu is not positive definite. */
  knot(p: RiccatiKnot, mu: number): boolean {
    const nx = this.ndx, nu = this.nu;
    const { Vx, Vxx, Qx, Qux, QuxR, QuuU, VA, VB, L, tmpU, tmpUX } = this;
    const Quu = this.QuuR, Qu = this.Qu;
    const { A, ao, B, bo, l, k, ko, K, Ko } = p;
    // Qx = lx + Aᵀ Vx, Qu = lu + Bᵀ Vx
    for (let j = 0; j < nx; j++) Qx[j] = l.lx[j];
    for (let a = 0; a < nu; a++) Qu[a] = l.lu[a];
    for (let i = 0; i < nx; i++) {
      const vi = Vx[i];
      if (vi === 0) continue;
      const ar = ao + i * nx, br = bo + i * nu;
      for (let j = 0; j < nx; j++) Qx[j] += A[ar + j] * vi;
      for (let a = 0; a < nu; a++) Qu[a] += B[br + a] * vi;
    }
    // VA = Vxx A, VB = Vxx B; Qxx = lxx + Aᵀ VA (upper triangle, mirrored: exact symmetry),
    // Quu = luu + Bᵀ VB, Qux = lux + Bᵀ VA (register-tiled products, linalg.ts)
    VA.fill(0);
    VB.fill(0);
    gemmNN(Vxx, 0, A, ao, VA, 0, nx, nx, nx);
    gemmNN(Vxx, 0, B, bo, VB, 0, nx, nx, nu);
    // Vxx's buffer is free until the value update: Qxx lives there
    const Qxx = Vxx;
    Qxx.set(l.lxx);
    QuuU.set(l.luu);
    Qux.set(l.lux);
    gemmTNUpper(A, ao, VA, 0, Qxx, 0, nx, nx);
    mirrorUpper(Qxx, 0, nx);
    gemmTN(B, bo, VA, 0, Qux, 0, nu, nx, nx);
    gemmTN(B, bo, VB, 0, QuuU, 0, nu, nx, nu);
    for (let a = 0; a < nu; a++) for (let b = a + 1; b < nu; b++) { const x = 0.5 * (QuuU[a * nu + b] + QuuU[b * nu + a]); QuuU[a * nu + b] = x; QuuU[b * nu + a] = x; }
    // regularization
    Quu.set(QuuU);
    QuxR.set(Qux);
    if (mu > 0) {
      if (this.stateReg) {
        for (let a = 0; a < nu; a++) {
          for (let b = 0; b < nu; b++) {
            let s = 0;
            for (let m = 0; m < nx; m++) s += B[bo + m * nu + a] * B[bo + m * nu + b];
            Quu[a * nu + b] += mu * s;
          }
          for (let j = 0; j < nx; j++) {
            let s = 0;
            for (let m = 0; m < nx; m++) s += B[bo + m * nu + a] * A[ao + m * nx + j];
            QuxR[a * nx + j] += mu * s;
          }
        }
      } else {
        for (let a = 0; a < nu; a++) Quu[a * nu + a] += mu;
      }
    }
    if (!cholesky(Quu, nu, L)) return false;
    let d1 = this.d1, d2 = this.d2, gnorm = this.gradNorm;
    if (p.lb !== null && p.ub !== null) {
      const qp = this.qp, kPrev = this.kPrev;
      for (let a = 0; a < nu; a++) kPrev[a] = k[ko + a];
      const st = qp.solve(Quu, Qu, p.lb, p.ub, kPrev);
      if (st === 'notPD') return false;
      for (let a = 0; a < nu; a++) {
        k[ko + a] = qp.x[a];
        // projected gradient at the nominal (du = 0): a control on a bound with Qu pushing
        // outward is stationary
        const q = Qu[a];
        if ((p.lb[a] >= 0 && q > 0) || (p.ub[a] <= 0 && q < 0)) continue;
        const g = Math.abs(q);
        if (g > gnorm) gnorm = g;
      }
      for (let i = 0; i < nu * nx; i++) K[Ko + i] = -QuxR[i];
      for (let j = 0; j < nx; j++) qp.solveFree(K, Ko + j, nx);
    } else {
      for (let a = 0; a < nu; a++) {
        k[ko + a] = -Qu[a];
        const g = Math.abs(Qu[a]);
        if (g > gnorm) gnorm = g;
      }
      cholSolveRows(L, nu, k, ko, 1);
      for (let i = 0; i < nu * nx; i++) K[Ko + i] = -QuxR[i];
      cholSolveRows(L, nu, K, Ko, nx);
    }
    // expected improvement terms and the value update with the unregularized Q:
    // tmpU = Quu k, tmpUX = Quu K + Qux
    for (let a = 0; a < nu; a++) {
      let s = 0;
      for (let b = 0; b < nu; b++) s += QuuU[a * nu + b] * k[ko + b];
      tmpU[a] = s;
      d1 += k[ko + a] * Qu[a];
      d2 += k[ko + a] * s;
    }
    tmpUX.set(Qux);
    gemmNN(QuuU, 0, K, Ko, tmpUX, 0, nu, nu, nx);
    // Vx = Qx + Kᵀ (Quu k + Qu) + Quxᵀ k
    for (let j = 0; j < nx; j++) Vx[j] = Qx[j];
    for (let a = 0; a < nu; a++) {
      const ka = k[ko + a], w = tmpU[a] + Qu[a], ro = Ko + a * nx, qo = a * nx;
      for (let j = 0; j < nx; j++) Vx[j] += K[ro + j] * w + Qux[qo + j] * ka;
    }
    // Vxx = Qxx + Kᵀ (Quu K + Qux) + Quxᵀ K, symmetric as a whole: upper triangles, mirrored
    gemmTNUpper(K, Ko, tmpUX, 0, Vxx, 0, nx, nu);
    gemmTNUpper(Qux, 0, K, Ko, Vxx, 0, nx, nu);
    mirrorUpper(Vxx, 0, nx);
    this.d1 = d1; this.d2 = d2; this.gradNorm = gnorm;
    return true;
  }
}

/**
 * Solves L Lᵀ X = X in place for the n x w row-major block X at X[xo..] (row stride w), with the
 * Cholesky factor of box-qp.ts cholesky (lower, stride n): the substitutions subtract whole
 * rows, so the inner loops run over contiguous entries. Per entry the same operations in the
 * same order as a column-by-column solve.
 */
function cholSolveRows(L: Float64Array, n: number, X: Float64Array, xo: number, w: number): void {
  for (let i = 0; i < n; i++) {
    const ri = xo + i * w, li = i * n;
    for (let k = 0; k < i; k++) {
      const l = L[li + k], rk = xo + k * w;
      for (let c = 0; c < w; c++) X[ri + c] -= l * X[rk + c];
    }
    const d = L[li + i];
    for (let c = 0; c < w; c++) X[ri + c] /= d;
  }
  for (let i = n - 1; i >= 0; i--) {
    const ri = xo + i * w;
    for (let k = i + 1; k < n; k++) {
      const l = L[k * n + i], rk = xo + k * w;
      for (let c = 0; c < w; c++) X[ri + c] -= l * X[rk + c];
    }
    const d = L[i * n + i];
    for (let c = 0; c < w; c++) X[ri + c] /= d;
  }
}
