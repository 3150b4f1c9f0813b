/**
 * The end-of-step velocity's derivatives on an active set of equality rows, by the null-space
 * method (step-derivatives-analytic.ts, sticking contacts and pushing stops):
 *
 *     H δv_t = r + J_Sᵀ δλ,    J_S δv_t = −C δq,
 *
 * for every column of X at once (X: nv x ncols row-major, its first nv columns the δq ones,
 * whose constraint offset is −C; the other columns have none). With J_Sᵀ Π = Q R (Householder
 * QR with column pivoting, numerical rank ρ), Q = [Q₁ Q₂] and Q₂ a basis of J_S's null space:
 *
 *     δv_t = v_p + Q₂ z,   J_S v_p = −C δq (v_p = Q₁ y, R₁₁ᵀ y = −(Πᵀ C)₁..ρ),
 *     (Q₂ᵀ H Q₂) z = Q₂ᵀ (r − H v_p).
 *
 * No solve with H is needed, and the null gradient of a resting contact comes out exactly:
 * when the active rows lock every dof (ρ = nv, e.g. the cube on its rail resting on its
 * corners) Q₂ is empty and the v, τ columns are exactly zero, as the step's own solution is
 * exactly independent of them; otherwise J_S δv_t = J_S Q₂ z is zero to rounding.
 * Dependent rows (a box on four corners) are dropped by the pivoting: their offsets are the
 * independent rows' (the physics is consistent), so the solution does not depend on them.
 * Allocation-free after construction.
 */
import { choleskyInPlace, gemmNN, gemmTN } from '../math/linalg.ts';

export class ActiveSetNullSpace {
  /** Numerical rank of the last active rows. */
  rank = 0;
  private readonly nv: number;
  /** J_Sᵀ's columns (= J_S's rows, pivoted), reduced in place to R and the Householder vectors. */
  private readonly Z: Float64Array;
  private readonly tau: Float64Array;
  private readonly perm: Int32Array;
  private readonly norms: Float64Array;
  /** Q₂ (nv x k), H Q₂ (nv x k), S = Q₂ᵀ H Q₂ (k x k), y / v_p (nv x nv), Zm = Q₂ᵀ (r − H v_p) (k x ncols). */
  private readonly Q2: Float64Array;
  private readonly HQ2: Float64Array;
  private readonly S: Float64Array;
  private readonly Vp: Float64Array;
  private readonly Zm: Float64Array;
  private readonly T: Float64Array;
  /** Q (nv x nv), Q₁ (nv x ρ), y (ρ x nv). */
  private readonly Q: Float64Array;
  private readonly Q1: Float64Array;
  private readonly Yp: Float64Array;
  private readonly sv: Float64Array;

  constructor(nv: number, mMax: number, ncolsMax: number) {
    this.nv = nv;
    this.Z = new Float64Array(mMax * nv);
    this.tau = new Float64Array(mMax);
    this.perm = new Int32Array(mMax);
    this.norms = new Float64Array(mMax);
    this.Q2 = new Float64Array(nv * nv);
    this.HQ2 = new Float64Array(nv * nv);
    this.S = new Float64Array(nv * nv);
    this.Vp = new Float64Array(nv * nv);
    this.Zm = new Float64Array(nv * ncolsMax);
    this.T = new Float64Array(nv * nv);
    this.Q = new Float64Array(nv * nv);
    this.Q1 = new Float64Array(nv * nv);
    this.Yp = new Float64Array(nv * nv);
    this.sv = new Float64Array(nv);
  }

  /**
   * X (r in, δv_t out; nv x ncols) for the m active rows JS (m x nv) with q-column offsets C
   * (m x nv); H = M + diag(hdiag) (M symmetric, both triangles). Returns false if Q₂ᵀ H Q₂ is
   * not positive definite (H not positive definite).
   */
  solve(X: Float64Array, ncols: number, JS: Float64Array, C: Float64Array, m: number, M: Float64Array, hdiag: ArrayLike<number>): boolean {
    const nv = this.nv, { Z, tau, perm, norms, Q, Q1, Q2, Yp, HQ2, S, Vp, Zm, T } = this;
    // --- QR of J_Sᵀ with column pivoting: column a of J_Sᵀ is JS's row a (contiguous)
    for (let a = 0; a < m * nv; a++) Z[a] = JS[a];
    let maxNorm = 0;
    for (let a = 0; a < m; a++) {
      perm[a] = a;
      let s = 0;
      for (let i = 0, o = a * nv; i < nv; i++) s += Z[o + i] * Z[o + i];
      norms[a] = s;
      if (s > maxNorm) maxNorm = s;
    }
    // rank tolerance on squared norms: 1e-9 relative in norm
    const tol = 1e-18 * maxNorm;
    let rank = 0;
    const kmax = m < nv ? m : nv;
    for (let k = 0; k < kmax; k++) {
      // pivot: the remaining column with the largest remaining norm (recomputed: m, nv small)
      let p = -1, best = tol;
      for (let a = k; a < m; a++) {
        let s = 0;
        for (let i = k, o = a * nv; i < nv; i++) s += Z[o + i] * Z[o + i];
        norms[a] = s;
        if (s > best) { best = s; p = a; }
      }
      if (p < 0) break;
      if (p !== k) {
        for (let i = 0, o = k * nv, op = p * nv; i < nv; i++) { const x = Z[o + i]; Z[o + i] = Z[op + i]; Z[op + i] = x; }
        const t = perm[k]; perm[k] = perm[p]; perm[p] = t;
      }
      // Householder: (I − τ u uᵀ) x = α e_k, u_k = 1 (stored below the diagonal: Z[k][k+1..])
      const o = k * nv, xk = Z[o + k], nrm = Math.sqrt(best);
      const alpha = xk > 0 ? -nrm : nrm;
      const u0 = xk - alpha;
      for (let i = k + 1; i < nv; i++) Z[o + i] /= u0;
      tau[k] = -u0 / alpha;
      Z[o + k] = alpha;
      const tk = tau[k];
      for (let a = k + 1; a < m; a++) {
        const oa = a * nv;
        let s = Z[oa + k];
        for (let i = k + 1; i < nv; i++) s += Z[o + i] * Z[oa + i];
        s *= tk;
        Z[oa + k] -= s;
        for (let i = k + 1; i < nv; i++) Z[oa + i] -= s * Z[o + i];
      }
      rank = k + 1;
    }
    this.rank = rank;
    const kd = nv - rank;
    // --- Q = H₀ … H_{ρ−1} explicitly (nv x nv), accumulated backwards: reflector k acts on
    // rows and columns k.. only (the product of the later ones is the identity above k)
    Q.fill(0, 0, nv * nv);
    for (let i = 0; i < nv; i++) Q[i * nv + i] = 1;
    for (let k = rank - 1; k >= 0; k--) this.reflect(k, Q, k, nv - k, nv);
    // Q₂: its last kd columns
    for (let r = 0; r < nv; r++) for (let j = 0; j < kd; j++) Q2[r * kd + j] = Q[r * nv + rank + j];
    // --- particular solution of the q columns: y (ρ x nv) from R₁₁ᵀ y = −(Πᵀ C)₁..ρ, v_p = Q₁ y
    for (let i = 0; i < rank; i++) {
      const ci = perm[i] * nv, yi = i * nv, rii = Z[i * nv + i];
      for (let l = 0; l < nv; l++) {
        let s = -C[ci + l];
        for (let k = 0; k < i; k++) s -= Z[i * nv + k] * Yp[k * nv + l]; // R[k][i] = column i's entry k
        Yp[yi + l] = s / rii;
      }
    }
    for (let r = 0; r < nv; r++) for (let j = 0; j < rank; j++) Q1[r * rank + j] = Q[r * nv + j];
    Vp.fill(0, 0, nv * nv);
    gemmNN(Q1, 0, Yp, 0, Vp, 0, nv, rank, nv);
    if (kd === 0) {
      // every dof locked: δv_t = v_p on the q columns and exactly 0 elsewhere
      for (let r = 0; r < nv; r++) {
        const xo = r * ncols, vo = r * nv;
        for (let c = 0; c < nv; c++) X[xo + c] = Vp[vo + c];
        for (let c = nv; c < ncols; c++) X[xo + c] = 0;
      }
      return true;
    }
    // --- H Q₂ and S = Q₂ᵀ H Q₂ (H = M + diag hdiag)
    HQ2.fill(0, 0, nv * kd);
    gemmNN(M, 0, Q2, 0, HQ2, 0, nv, nv, kd);
    for (let r = 0; r < nv; r++) { const h = hdiag[r]; if (h !== 0) for (let j = 0; j < kd; j++) HQ2[r * kd + j] += h * Q2[r * kd + j]; }
    S.fill(0, 0, kd * kd);
    gemmTN(Q2, 0, HQ2, 0, S, 0, kd, nv, kd);
    if (!choleskyInPlace(S, kd, 0)) return false;
    // --- Zm = Q₂ᵀ r − (H Q₂)ᵀ v_p (the latter on the q columns): register-tiled products
    Zm.fill(0, 0, kd * ncols);
    gemmTN(Q2, 0, X, 0, Zm, 0, kd, nv, ncols);
    T.fill(0, 0, kd * nv);
    gemmTN(HQ2, 0, Vp, 0, T, 0, kd, nv, nv);
    for (let a = 0; a < kd; a++) for (let c = 0, zo = a * ncols, to = a * nv; c < nv; c++) Zm[zo + c] -= T[to + c];
    // --- z = S⁻¹ Zm, rows at a time (L Lᵀ, L in S's lower triangle)
    for (let a = 0; a < kd; a++) {
      const zo = a * ncols;
      for (let b = 0; b < a; b++) {
        const l = S[a * kd + b], zb = b * ncols;
        for (let c = 0; c < ncols; c++) Zm[zo + c] -= l * Zm[zb + c];
      }
      const inv = 1 / S[a * kd + a];
      for (let c = 0; c < ncols; c++) Zm[zo + c] *= inv;
    }
    for (let a = kd - 1; a >= 0; a--) {
      const zo = a * ncols;
      for (let b = a + 1; b < kd; b++) {
        const l = S[b * kd + a], zb = b * ncols;
        for (let c = 0; c < ncols; c++) Zm[zo + c] -= l * Zm[zb + c];
      }
      const inv = 1 / S[a * kd + a];
      for (let c = 0; c < ncols; c++) Zm[zo + c] *= inv;
    }
    // --- X = [v_p | 0] + Q₂ z
    for (let r = 0; r < nv; r++) {
      const xo = r * ncols, vo = r * nv;
      for (let c = 0; c < nv; c++) X[xo + c] = Vp[vo + c];
      for (let c = nv; c < ncols; c++) X[xo + c] = 0;
    }
    gemmNN(Q2, 0, Zm, 0, X, 0, nv, kd, ncols);
    return true;
  }

  /**
   * Applies reflector k (I − τ_k u uᵀ, u = [0..; 1; Z[k][k+1..]]) from the left to the columns
   * j0 .. j0 + w of the nv-column row-major matrix T, a row at a time: s = uᵀ T, T −= τ u s.
   */
  private reflect(k: number, T: Float64Array, j0: number, w: number, ts: number): void {
    const nv = this.nv, Z = this.Z, o = k * nv, tk = this.tau[k], sv = this.sv;
    for (let j = 0, ko = k * ts + j0; j < w; j++) sv[j] = T[ko + j];
    for (let i = k + 1; i < nv; i++) {
      const u = Z[o + i];
      if (u === 0) continue;
      for (let j = 0, io = i * ts + j0; j < w; j++) sv[j] += u * T[io + j];
    }
    for (let j = 0; j < w; j++) sv[j] *= tk;
    for (let j = 0, ko = k * ts + j0; j < w; j++) T[ko + j] -= sv[j];
    for (let i = k + 1; i < nv; i++) {
      const u = Z[o + i];
      if (u === 0) continue;
      for (let j = 0, io = i * ts + j0; j < w; j++) T[io + j] -= u * sv[j];
    }
  }
}
