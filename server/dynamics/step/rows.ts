/**
 * The contact rows of the position stage: contact Jacobians Jc in each contact's frame
 * [t1 t2 n], W = D^-1/2 L^-T Jc^T (H = L^T D L, the factor of the mass matrix with damping),
 * the Delassus matrix G = W^T W, and the joint-limit rows (1-D, after the contact rows). Every
 * row is stored compactly along its body's dof chain (ContactLayout): a foot of Solo touches 9
 * of the 18 dofs, and two contacts couple only through the dofs their chains share.
 */
import { computeContactBias, type ContactBiasParams } from '../contact-solver.ts';
import type { ContactBuffer } from '../collision.ts';
import type { Data } from '../data.ts';
import type { LimitRows } from '../joint-limits.ts';
import type { ContactLayout } from './layout.ts';

/** The rows' workspace, sized for maxContacts contacts and nlMax limit rows. */
export class ContactRows {
  /** Contact Jacobian rows (3 per contact, contact frame), compact: row r of contact c holds the
   * entry of dof chains[c nv + t] at r nv + t, t < chainLength[c]. */
  readonly Jc: Float64Array;
  /** D^-1/2 L^-T Jc^T rows (H = L^T D L), compact like Jc: G = W^T W. */
  readonly W: Float64Array;
  /**
   * Per contact: its dof chain (deepest dof of the body, then its ancestors). Written only for
   * contacts of shapes without generated kernels (which have their chain built in).
   */
  readonly chains: Int32Array;
  readonly chainLength: Int32Array;
  /** D^-1/2 of the H factor (position stage), for W and the impulses. */
  readonly sqrtDinv: Float64Array;
  /** Limit rows' D^-1/2 L^-T e_dof s along the dof's chain (nv per row, compact like W). */
  readonly WL: Float64Array;
  /** G (n x n, n = 3 nc + nl, stride n): contact rows first, then limit rows. */
  readonly G: Float64Array;
  /** The rows' free velocity (contact stage): Jc v_free, then s v_free[dof] per limit row. */
  readonly g: Float64Array;
  /** Friction coefficient per contact. */
  readonly mu: Float64Array;
  /** Normal bias per contact, then one per limit row (at nc + l). */
  readonly bias: Float64Array;

  constructor(nv: number, maxContacts: number, nlMax: number) {
    const nc = maxContacts, nMax = 3 * nc + nlMax;
    this.Jc = new Float64Array(3 * nc * nv);
    this.W = new Float64Array(3 * nc * nv);
    this.chains = new Int32Array(nc * nv).fill(-1);
    this.chainLength = new Int32Array(nc);
    this.sqrtDinv = new Float64Array(nv);
    this.WL = new Float64Array(nlMax * nv);
    this.G = new Float64Array(nMax * nMax);
    this.g = new Float64Array(nMax);
    this.mu = new Float64Array(nc);
    this.bias = new Float64Array(nc + nlMax);
  }
}

/** sqrtDinv = D^-1/2 of the factor H = L^T D L in data.Mfactor (D on its diagonal). */
export function factorScale(rows: ContactRows, data: Data, nv: number): void {
  const L = data.Mfactor, sd = rows.sqrtDinv;
  for (let k = 0; k < nv; k++) sd[k] = 1 / Math.sqrt(L[k * nv + k]);
}

/**
 * Jc and W rows of the nc contacts of buf (joint Jacobians data.J and the factor done,
 * factorScale too), and each contact's friction from the environment object it touches.
 */
export function contactRows(rows: ContactRows, layout: ContactLayout, buf: ContactBuffer, data: Data, envFriction: Float64Array, nv: number, nc: number): void {
  // Compact storage along each contact's dof chain: row r of contact c keeps its entry for dof
  // chains[c nv + t] at r nv + t (t < len), so nothing is scattered or zeroed at nv width.
  const J = data.J, Jc = rows.Jc, W = rows.W, L = data.Mfactor;
  const chains = rows.chains, chainLength = rows.chainLength, sd = rows.sqrtDinv;
  for (let c = 0; c < nc; c++) {
    const geom = buf.geom[c];
    rows.mu[c] = envFriction[buf.env[c]];
    const len = layout.shapeChainLength[geom];
    chainLength[c] = len;
    // a shape with kernels never needs its chain spelled out (its kernels have it built in)
    const kern = layout.rowsKernel[geom];
    if (kern !== null) { kern(c, layout.shapeOffset[geom], buf.pos, buf.normal, buf.dist, buf.frame, J, L, sd, Jc, W); continue; }
    // dof chain of the touching body: its last dof, then every ancestor dof (descending)
    const sc = layout.shapeChain, so = geom * nv, co = c * nv;
    for (let t = 0; t < len; t++) chains[co + t] = sc[so + t];
    // robot witness point p = pos + dist n; a world motion (v0, w) moves it at v0 + w x p
    const d = buf.dist[c];
    const px = buf.pos[3 * c] + d * buf.normal[3 * c];
    const py = buf.pos[3 * c + 1] + d * buf.normal[3 * c + 1];
    const pz = buf.pos[3 * c + 2] + d * buf.normal[3 * c + 2];
    const F = buf.frame, fo = 9 * c;
    const r0 = 3 * c * nv, r1 = r0 + nv, r2 = r1 + nv;
    // a normal of exactly +z (flat ground): the frame is the identity, the rows are world rows
    const flat = buf.normal[3 * c] === 0 && buf.normal[3 * c + 1] === 0 && buf.normal[3 * c + 2] === 1;
    for (let t = 0; t < len; t++) {
      const k = chains[co + t];
      const wx = J[3 * nv + k], wy = J[4 * nv + k], wz = J[5 * nv + k];
      const vx = J[k] + wy * pz - wz * py;
      const vy = J[nv + k] + wz * px - wx * pz;
      const vz = J[2 * nv + k] + wx * py - wy * px;
      // rows in the contact frame: R^T v with R's columns [t1 t2 n]
      const a = flat ? vx : F[fo] * vx + F[fo + 3] * vy + F[fo + 6] * vz;
      const b = flat ? vy : F[fo + 1] * vx + F[fo + 4] * vy + F[fo + 7] * vz;
      const e = flat ? vz : F[fo + 2] * vx + F[fo + 5] * vy + F[fo + 8] * vz;
      Jc[r0 + t] = a; Jc[r1 + t] = b; Jc[r2 + t] = e;
      W[r0 + t] = a; W[r1 + t] = b; W[r2 + t] = e;
    }
    // W rows = L^-T Jc rows, leaves to root: the ancestors of chain dof t are the chain
    // dofs after it, so the solve stays on the chain (three rows at once)
    for (let t = 0; t < len; t++) {
      const k = chains[co + t], lk = k * nv;
      const w0 = W[r0 + t], w1 = W[r1 + t], w2 = W[r2 + t];
      for (let s2 = t + 1; s2 < len; s2++) {
        const l = L[lk + chains[co + s2]];
        W[r0 + s2] -= l * w0; W[r1 + s2] -= l * w1; W[r2 + s2] -= l * w2;
      }
      const sk = sd[k];
      W[r0 + t] = w0 * sk; W[r1 + t] = w1 * sk; W[r2 + t] = w2 * sk;
    }
  }
}

/**
 * G = W^T W between the nc contacts (symmetric), row stride n = 3 nc + nl: the limit rows
 * follow the contact rows. Contacts ca, cb share the common root-side part of their chains (a
 * suffix of both, the same dofs in the same order): entry (a, b) sums over it only.
 */
export function delassus(rows: ContactRows, layout: ContactLayout, buf: ContactBuffer, nv: number, ns: number, nc: number, nl: number): void {
  const n = 3 * nc + nl;
  const G = rows.G, W = rows.W, chainLength = rows.chainLength;
  const shared = layout.sharedChain;
  for (let ca = 0; ca < nc; ca++) {
    const la = chainLength[ca], sa = buf.geom[ca] * ns;
    for (let cb = ca; cb < nc; cb++) {
      const lb = chainLength[cb];
      const lc = shared[sa + buf.geom[cb]];
      const a0 = 3 * ca * nv + la - lc, b0 = 3 * cb * nv + lb - lc;
      const ra = 3 * ca * n + 3 * cb, rb = 3 * cb * n + 3 * ca;
      const block = ca === cb ? layout.diagonalKernel[lc] : layout.blockKernel[lc];
      if (block !== null) { block(W, a0, b0, G, ra, rb, n); continue; }
      // the 3x3 block in one pass over the shared dofs
      let g00 = 0, g01 = 0, g02 = 0, g10 = 0, g11 = 0, g12 = 0, g20 = 0, g21 = 0, g22 = 0;
      for (let t = 0; t < lc; t++) {
        const x0 = W[a0 + t], x1 = W[a0 + nv + t], x2 = W[a0 + 2 * nv + t];
        const y0 = W[b0 + t], y1 = W[b0 + nv + t], y2 = W[b0 + 2 * nv + t];
        g00 += x0 * y0; g01 += x0 * y1; g02 += x0 * y2;
        g10 += x1 * y0; g11 += x1 * y1; g12 += x1 * y2;
        g20 += x2 * y0; g21 += x2 * y1; g22 += x2 * y2;
      }
      G[ra] = g00; G[ra + 1] = g01; G[ra + 2] = g02;
      G[ra + n] = g10; G[ra + n + 1] = g11; G[ra + n + 2] = g12;
      G[ra + 2 * n] = g20; G[ra + 2 * n + 1] = g21; G[ra + 2 * n + 2] = g22;
      G[rb] = g00; G[rb + 1] = g10; G[rb + 2] = g20;
      G[rb + n] = g01; G[rb + n + 1] = g11; G[rb + n + 2] = g21;
      G[rb + 2 * n] = g02; G[rb + 2 * n + 1] = g12; G[rb + 2 * n + 2] = g22;
    }
  }
}

/**
 * The nl limit rows (after the contacts' W and sqrtDinv): WL = D^-1/2 L^-T (s e_dof) along the
 * dof's chain, their Delassus entries with the contacts and with each other (sums over the
 * shared root-side part of the chains, as between contacts), and their bias (the contacts'
 * rule on the distance to the stop).
 */
export function limitRows(
  rows: ContactRows, layout: ContactLayout, limits: LimitRows, geom: Int32Array, data: Data, biasParams: ContactBiasParams,
  nv: number, nlim: number, nc: number, nl: number,
): void {
  const L = data.Mfactor, sd = rows.sqrtDinv, WL = rows.WL, W = rows.W, G = rows.G;
  const chain = layout.limChain, clen = layout.limChainLength;
  const n = 3 * nc + nl, shared = layout.shapeLimShared, limShared = layout.limShared;
  for (let l = 0; l < nl; l++) {
    const co = limits.limit[l] * nv, len = clen[limits.limit[l]], o = l * nv;
    WL[o] = limits.side[l];
    for (let t = 1; t < len; t++) WL[o + t] = 0;
    // L^T w = s e_dof, leaves to root along the chain (as the contacts' W rows)
    for (let t = 0; t < len; t++) {
      const k = chain[co + t], w = WL[o + t];
      if (w !== 0) {
        const lk = k * nv;
        for (let s2 = t + 1; s2 < len; s2++) WL[o + s2] -= L[lk + chain[co + s2]] * w;
      }
      WL[o + t] = w * sd[k];
    }
  }
  for (let l = 0; l < nl; l++) {
    const li = limits.limit[l], len = clen[li], lr = 3 * nc + l, o = l * nv;
    for (let c = 0; c < nc; c++) {
      const lc = shared[geom[c] * nlim + li];
      const a0 = 3 * c * nv + rows.chainLength[c] - lc, b0 = o + len - lc;
      let s0 = 0, s1 = 0, s2 = 0;
      for (let t = 0; t < lc; t++) {
        const y = WL[b0 + t];
        s0 += W[a0 + t] * y; s1 += W[a0 + nv + t] * y; s2 += W[a0 + 2 * nv + t] * y;
      }
      const rc = 3 * c;
      G[rc * n + lr] = s0; G[(rc + 1) * n + lr] = s1; G[(rc + 2) * n + lr] = s2;
      G[lr * n + rc] = s0; G[lr * n + rc + 1] = s1; G[lr * n + rc + 2] = s2;
    }
    for (let m = l; m < nl; m++) {
      const lm = limits.limit[m], lc = limShared[li * nlim + lm];
      const a0 = o + len - lc, b0 = m * nv + clen[lm] - lc;
      let x = 0;
      for (let t = 0; t < lc; t++) x += WL[a0 + t] * WL[b0 + t];
      G[lr * n + 3 * nc + m] = x; G[(3 * nc + m) * n + lr] = x;
    }
  }
  computeContactBias(nl, limits.dist, biasParams, rows.bias, nc);
}
