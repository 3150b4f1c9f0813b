/**
 * The contact stage's pieces around the NCP solve (contact-solver.ts) and the polish
 * (polish.ts): the rows' free velocity g, the warm start across steps, and the end-of-step
 * velocity v_next = v_free + H^-1 Jc^T lambda.
 */
import type { ContactBuffer } from '../collision.ts';
import type { Data } from '../data.ts';
import { ltdlSolveL } from '../factor-m.ts';
import type { LimitRows } from '../joint-limits.ts';
import type { ContactLayout } from './layout.ts';
import type { ContactRows } from './rows.ts';

/** g = Jc v_free (the three rows of a contact in one pass over its chain), then s v_free[dof] per limit row. */
export function rowVelocities(rows: ContactRows, layout: ContactLayout, buf: ContactBuffer, limits: LimitRows, vf: Float64Array, nv: number, nc: number, nl: number): void {
  const Jc = rows.Jc, g = rows.g, n = 3 * nc, chains = rows.chains;
  for (let c = 0; c < nc; c++) {
    const kern = layout.velocityKernel[buf.geom[c]];
    if (kern !== null) { kern(c, layout.shapeOffset[buf.geom[c]], Jc, vf, g); continue; }
    const co = c * nv, len = rows.chainLength[c], o0 = 3 * c * nv, o1 = o0 + nv, o2 = o1 + nv;
    let s0 = 0, s1 = 0, s2 = 0;
    for (let t = 0; t < len; t++) {
      const x = vf[chains[co + t]];
      s0 += Jc[o0 + t] * x; s1 += Jc[o1 + t] * x; s2 += Jc[o2 + t] * x;
    }
    g[3 * c] = s0; g[3 * c + 1] = s1; g[3 * c + 2] = s2;
  }
  for (let l = 0; l < nl; l++) g[n + l] = limits.side[l] * vf[limits.dof[l]];
}

/**
 * The impulses of the last step as the next one's first guess: the contacts' when the contact
 * set (geometry, object pairs) is the same, each joint stop's its own last impulse.
 */
export class WarmStart {
  private readonly prevGeom: Int32Array;
  private readonly prevEnv: Int32Array;
  private prevCount = 0;
  private readonly prevLambda: Float64Array;
  /** Per (limited joint, side): 2 l + (upper ? 1 : 0). */
  private readonly prevLimLambda: Float64Array;
  private readonly prevLimKeys: Int32Array;
  private prevLimCount = 0;

  constructor(maxContacts: number, nlMax: number) {
    this.prevLambda = new Float64Array(3 * maxContacts);
    this.prevLimLambda = new Float64Array(nlMax);
    this.prevLimKeys = new Int32Array(nlMax);
    this.prevGeom = new Int32Array(maxContacts);
    this.prevEnv = new Int32Array(maxContacts);
  }

  /** Writes the first guess into lam (3 nc contact entries, then nl limit rows); returns whether the contact set is the same. */
  load(buf: ContactBuffer, limits: LimitRows, lam: Float64Array, nc: number, nl: number): boolean {
    const n = 3 * nc;
    let same = nc === this.prevCount;
    for (let c = 0; same && c < nc; c++) same = buf.geom[c] === this.prevGeom[c] && buf.env[c] === this.prevEnv[c];
    for (let r = 0; r < n; r++) lam[r] = same ? this.prevLambda[r] : 0;
    for (let l = 0; l < nl; l++) lam[n + l] = this.prevLimLambda[2 * limits.limit[l] + (limits.side[l] > 0 ? 0 : 1)];
    return same;
  }

  /** Remembers the contact set and impulses of this step. */
  commit(buf: ContactBuffer, limits: LimitRows, lambda: Float64Array): void {
    const nc = buf.count;
    this.prevCount = nc;
    for (let c = 0; c < nc; c++) { this.prevGeom[c] = buf.geom[c]; this.prevEnv[c] = buf.env[c]; }
    for (let r = 0; r < 3 * nc; r++) this.prevLambda[r] = lambda[r];
    // limit rows: forget the previous rows' impulses, keep this step's (keyed per stop)
    const pl = this.prevLimLambda, keys = this.prevLimKeys;
    for (let l = 0; l < this.prevLimCount; l++) pl[keys[l]] = 0;
    for (let l = 0; l < limits.count; l++) {
      const key = 2 * limits.limit[l] + (limits.side[l] > 0 ? 0 : 1);
      pl[key] = lambda[3 * nc + l];
      keys[l] = key;
    }
    this.prevLimCount = limits.count;
  }

  reset(): void {
    this.prevCount = 0;
    this.prevLimLambda.fill(0);
    this.prevLimCount = 0;
  }
}

/**
 * vOut = v_free + H^-1 Jc^T lambda. H^-1 = L^-1 D^-1 L^-T and the position stage already
 * holds W = D^-1/2 L^-T Jc^T, so H^-1 Jc^T lambda = L^-1 D^-1/2 (W lambda): one sweep instead
 * of a full solve. rv: nv scratch.
 */
export function applyImpulses(
  rows: ContactRows, layout: ContactLayout, buf: ContactBuffer, limits: LimitRows, lam: Float64Array, data: Data,
  vf: Float64Array, rv: Float64Array, nv: number, vOut: Float64Array, vo: number,
): void {
  const nc = buf.count, W = rows.W, chains = rows.chains;
  const sd = rows.sqrtDinv, geom = buf.geom;
  for (let i = 0; i < nv; i++) rv[i] = 0;
  // W^T lambda, the three rows of a contact in one pass over its chain (each entry still
  // accumulates row by row, in the same order as row-wise passes)
  for (let c = 0; c < nc; c++) {
    const l0 = lam[3 * c], l1 = lam[3 * c + 1], l2 = lam[3 * c + 2];
    if (l0 === 0 && l1 === 0 && l2 === 0) continue;
    const kern = layout.impulseKernel[geom[c]];
    if (kern !== null) { kern(c, layout.shapeOffset[geom[c]], W, lam, rv); continue; }
    const co = c * nv, len = rows.chainLength[c], o0 = 3 * c * nv, o1 = o0 + nv, o2 = o1 + nv;
    for (let t = 0; t < len; t++) {
      const k = chains[co + t];
      let x = rv[k];
      if (l0 !== 0) x += W[o0 + t] * l0;
      if (l1 !== 0) x += W[o1 + t] * l1;
      if (l2 !== 0) x += W[o2 + t] * l2;
      rv[k] = x;
    }
  }
  // limit rows: WL^T lambda along each joint's chain
  const nl = limits.count, WL = rows.WL, lchain = layout.limChain, llen = layout.limChainLength;
  for (let l = 0; l < nl; l++) {
    const x = lam[3 * nc + l];
    if (x === 0) continue;
    const li = limits.limit[l], co = li * nv, o = l * nv, len = llen[li];
    for (let t = 0; t < len; t++) rv[lchain[co + t]] += WL[o + t] * x;
  }
  for (let i = 0; i < nv; i++) rv[i] *= sd[i];
  ltdlSolveL(data.dofParent, data.Mfactor, nv, rv, 0);
  for (let i = 0; i < nv; i++) vOut[vo + i] = vf[i] + rv[i];
}
