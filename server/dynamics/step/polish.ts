/**
 * The contact stage's active-set polish (the state it keeps between calls: the factor of the
 * last sticking set, reused across the many velocity/control perturbations of a linearization).
 */
import { choleskyInvDiagInPlace, choleskyInvDiagSolveInPlace } from '../../math/linalg.ts';
import type { ContactLayout } from './layout.ts';
import type { ContactRows } from './rows.ts';

export class Polish {
  /** The sticking contacts, and a mask of them. */
  private readonly stickIdx: Int32Array;
  private readonly stickMask: Uint8Array;
  /** The limit rows with a positive impulse. */
  private readonly limActive: Int32Array;
  /** G_SS and its factor, the right-hand side and solution. */
  private readonly polishK: Float64Array;
  private readonly polishR: Float64Array;
  private readonly polishRidge = new Float64Array(1);
  /** The position stage (version), sticking set and active limit rows the factor in polishK belongs to. */
  private polishVersion = -1;
  private polishCount = 0;
  private polishLimCount = 0;
  private readonly polishSet: Int32Array;
  private readonly polishLimSet: Int32Array;

  constructor(maxContacts: number, nlMax: number) {
    const nMax = 3 * maxContacts + nlMax;
    this.stickIdx = new Int32Array(maxContacts);
    this.polishSet = new Int32Array(maxContacts);
    this.stickMask = new Uint8Array(maxContacts);
    this.limActive = new Int32Array(nlMax);
    this.polishLimSet = new Int32Array(nlMax);
    this.polishK = new Float64Array(nMax * nMax);
    this.polishR = new Float64Array(nMax);
  }

  /**
   * Active-set polish of the iterative solution: the sticking contacts (impulse strictly inside
   * its cone) and the active limit rows (positive impulse) must have zero velocity, a LINEAR
   * condition: solve G_SS lambda_S = -(g + b)_S - G_SF lambda_F exactly (Cholesky with a ridge
   * of 1e-14 trace(G_SS)/|S|, so a rank-deficient box resting on four corners still solves),
   * sliding and separated contacts and inactive limit rows held fixed. The result is kept only
   * if it stays in the cones (and the limit impulses positive). Why: a converged-to-tolerance
   * iterate leaves velocity residuals of ~1e-12 that finite differences divide by their step;
   * with the polish, the null gradients of sticking contacts are null to machine precision.
   *
   * lam: the impulses (3 nc contact entries, then nl limit rows), polished in place;
   * positionVersion: the position stage G belongs to (the factor is reused within one).
   * Returns true when the polished impulses solve the whole NCP exactly: every contact sticks
   * and every inactive limit row has a non-negative velocity (sigma = 0 on the rest).
   */
  run(rows: ContactRows, layout: ContactLayout, lam: Float64Array, positionVersion: number, nc: number, nl: number): boolean {
    const mu = rows.mu, S = this.stickIdx, inS = this.stickMask, A = this.limActive;
    let ns = 0;
    for (let c = 0; c < nc; c++) {
      const o = 3 * c;
      const ln = lam[o + 2], lt = mu[c] * ln * (1 - 1e-9);
      const stick = ln > 0 && lam[o] * lam[o] + lam[o + 1] * lam[o + 1] < lt * lt;
      inS[c] = stick ? 1 : 0;
      if (stick) S[ns++] = c;
    }
    const nc3 = 3 * nc;
    let na = 0;
    for (let l = 0; l < nl; l++) if (lam[nc3 + l] > 0) A[na++] = l;
    if (ns + na === 0) return false;
    const n = nc3 + nl, ms = 3 * ns, m = ms + na, G = rows.G, K = this.polishK, r = this.polishR;
    // the factor of G_SS depends only on the position stage and the active set: reuse it
    // across the many velocity/control perturbations of a linearization
    let reuse = this.polishVersion === positionVersion && this.polishCount === ns && this.polishLimCount === na;
    for (let t = 0; reuse && t < ns; t++) reuse = this.polishSet[t] === S[t];
    for (let t = 0; reuse && t < na; t++) reuse = this.polishLimSet[t] === A[t];
    const g = rows.g, bias = rows.bias;
    // rhs: -(g + b) minus the coupling to every contact outside S (inactive limit rows carry
    // no impulse)
    for (let t = 0, a = 0; t < ns; t++) {
      const c0 = S[t];
      for (let k = 0; k < 3; k++, a++) {
        const ra = 3 * c0 + k, row = ra * n;
        let x = -g[ra] - (k === 2 ? bias[c0] : 0);
        if (ns < nc) {
          for (let c = 0; c < nc; c++) {
            if (inS[c]) continue;
            const o = 3 * c;
            x -= G[row + o] * lam[o] + G[row + o + 1] * lam[o + 1] + G[row + o + 2] * lam[o + 2];
          }
        }
        r[a] = x;
      }
    }
    for (let t = 0; t < na; t++) {
      const l = A[t], ra = nc3 + l, row = ra * n;
      let x = -g[ra] - bias[nc + l];
      if (ns < nc) {
        for (let c = 0; c < nc; c++) {
          if (inS[c]) continue;
          const o = 3 * c;
          x -= G[row + o] * lam[o] + G[row + o + 1] * lam[o + 1] + G[row + o + 2] * lam[o + 2];
        }
      }
      r[ms + t] = x;
    }
    // generated Cholesky kernels exist per number of sticking contacts (sizes 3k)
    const kern = na === 0 ? layout.polishKernel[ns] : null;
    if (!reuse) {
      this.polishVersion = -1;
      let tr = 0;
      if (ns === nc && nl === 0 && kern !== null) {
        // every contact sticks and there is no limit row: G_SS is G, factored straight from it
        for (let a = 0; a < m; a++) tr += G[a * m + a];
        this.polishRidge[0] = 1e-14 * tr / m;
        if (!kern.factor(G, K, this.polishRidge)) return false;
      } else {
        for (let a = 0; a < m; a++) {
          const row = (a < ms ? 3 * S[(a / 3) | 0] + (a % 3) : nc3 + A[a - ms]) * n;
          for (let t = 0; t < ns; t++) {
            const go = row + 3 * S[t], ko = a * m + 3 * t;
            K[ko] = G[go]; K[ko + 1] = G[go + 1]; K[ko + 2] = G[go + 2];
          }
          for (let t = 0; t < na; t++) K[a * m + ms + t] = G[row + nc3 + A[t]];
          tr += K[a * m + a];
        }
        const ridge = 1e-14 * tr / m;
        if (kern !== null) {
          this.polishRidge[0] = ridge;
          if (!kern.factor(K, K, this.polishRidge)) return false;
        } else {
          for (let a = 0; a < m; a++) K[a * m + a] += ridge;
          if (!choleskyInvDiagInPlace(K, m)) return false;
        }
      }
      this.polishVersion = positionVersion;
      this.polishCount = ns;
      this.polishLimCount = na;
      for (let t = 0; t < ns; t++) this.polishSet[t] = S[t];
      for (let t = 0; t < na; t++) this.polishLimSet[t] = A[t];
    }
    if (kern !== null) kern.solve(K, r); else choleskyInvDiagSolveInPlace(K, m, r);
    for (let t = 0; t < ns; t++) {
      const o = 3 * t, lim = mu[S[t]] * r[o + 2];
      if (!(r[o + 2] > 0) || r[o] * r[o] + r[o + 1] * r[o + 1] > lim * lim) return false;
    }
    for (let t = 0; t < na; t++) if (!(r[ms + t] > 0)) return false;
    for (let t = 0; t < ns; t++) for (let k = 0; k < 3; k++) lam[3 * S[t] + k] = r[3 * t + k];
    for (let t = 0; t < na; t++) lam[nc3 + A[t]] = r[ms + t];
    if (ns < nc) return false;
    // inactive limit rows: their velocity with the new impulses must not be negative
    for (let l = 0; na < nl && l < nl; l++) {
      const ra = nc3 + l;
      if (lam[ra] > 0) continue;
      const row = ra * n;
      let x = g[ra] + bias[nc + l];
      for (let c = 0; c < n; c++) x += G[row + c] * lam[c];
      if (!(x >= 0)) return false;
    }
    return true;
  }
}
