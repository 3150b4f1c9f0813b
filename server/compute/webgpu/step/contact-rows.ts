/**
 * Stage: contact rows (dynamics/step.ts position stage, contact-kernel.ts): Jacobians in the
 * contact frames [t1 t2 n], W = D^-1/2 L^-T Jc^T along each contact's dof chain by the symbolic
 * rows that the JavaScript kernels also run (dynamics/symbolic/contact-rows.ts), G = W^T W,
 * and the normal bias (contact-solver.ts computeContactBias).
 */
import { contactRowsSym, contactWSym, delassusBlockSym } from '../../../dynamics/symbolic/contact-rows.ts';
import { motionActSym } from '../../../model/spatial-sym.ts';
import { sCol, wgslOps, type StepTrace, type V } from './common.ts';
import type { Candidate } from './collision.ts';
import type { Factor } from './factor.ts';
import type { Kinematics } from './kinematics.ts';

export interface ContactRows {
  /** Each candidate's dofs (its body's chain, leaf to root). */
  chains: number[][];
  /** Jc[c][r]: dense nv rows with structural zeros off the chain. */
  Jc: V[][][];
  /** W[c][r] = (D^-1/2 L^-T Jc^T)[c][r]: dense nv rows, zeros off the chain. */
  W: V[][][];
  /** D^-1/2 of the factor. */
  sd: V[];
  /** The Delassus matrix (3 NC square, both triangles). */
  G: V[];
  /** The normal bias per candidate. */
  bias: V[];
}

export function traceContactRows(s: StepTrace, kin: Kinematics, cands: readonly Candidate[], fac: Factor): ContactRows {
  const { t, model, dt } = s;
  const ops = wgslOps(t);
  const o = s.pm.options;
  const nv = model.nv, NC = cands.length;
  const { oR, op } = kin;
  const { L, lambda } = fac;
  const chainOf = (body: number): number[] => {
    const out: number[] = [];
    for (let k = model.idxV[body] + model.nvs[body] - 1; k !== -1; k = lambda[k]) out.push(k);
    return out;
  };
  // world joint Jacobian columns (jacobian.ts: motionAct of S by oMi), as the JS kernel forms them
  const Jw: V[][] = [];
  if (NC > 0) {
    for (let j = 1; j < model.njoints; j++) {
      for (let k = 0; k < model.nvs[j]; k++) Jw[model.idxV[j] + k] = motionActSym(ops, [...oR[j], ...op[j]], sCol(model, j, k));
    }
  }
  // D^-1/2 of the factor (rows.ts sqrtDinv)
  const sd: V[] = [];
  if (NC > 0) for (let k = 0; k < nv; k++) sd[k] = t.div(1, t.sqrt(L[k * nv + k]));
  const chains = cands.map((c) => chainOf(c.body));
  const Jc: V[][][] = [], Wr: V[][][] = [];
  cands.forEach((c, ci) => {
    const chain = chains[ci], len = chain.length;
    const p = t.v3add(c.pos, t.v3scale(c.n, c.dist));
    // the one symbolic form of a contact's rows (dynamics/symbolic/contact-rows.ts), printed as WGSL
    const rows: V[][] = [[], [], []].map(() => new Array(nv).fill(0));
    const w: V[][] = [[], [], []];
    contactRowsSym(ops, len, p, c.R, {
      J: (tt, k) => Jw[chain[tt]][k],
      translational: () => false, // a zero angular part is constant here: its w x p terms fold away
      rows: (tt, x) => { for (let r = 0; r < 3; r++) { rows[r][chain[tt]] = x[r]; w[r][tt] = x[r]; } },
    });
    Jc.push(rows);
    const W: V[][] = [[], [], []].map(() => new Array(nv).fill(0));
    contactWSym(ops, len, {
      L: (tt, u) => L[chain[tt] * nv + chain[u]],
      sd: (tt) => sd[chain[tt]],
      get: (tt, r) => w[r][tt],
      subFrom: (tt, r, y) => { w[r][tt] = t.sub(w[r][tt], y); },
      W: (tt, r, x) => { W[r][chain[tt]] = x; },
    });
    Wr.push(W);
  });
  // G = W^T W block by block, along the dofs two chains share (delassusBlockSym, as the JS kernels)
  const n3 = 3 * NC;
  const G: V[] = new Array(n3 * n3).fill(0);
  for (let ca = 0; ca < NC; ca++) {
    for (let cb = ca; cb < NC; cb++) {
      const onB = new Set(chains[cb]);
      const shared = chains[ca].filter((k) => onB.has(k));
      const g: V[][] = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
      delassusBlockSym(ops, shared.length, {
        a: (tt, r) => Wr[ca][r][shared[tt]],
        b: (tt, r) => Wr[cb][r][shared[tt]],
        acc: (r, c, x, y) => { g[r][c] = t.fma(g[r][c], x, y); },
      }, ca === cb);
      for (let r = 0; r < 3; r++) {
        for (let c = 0; c < 3; c++) {
          const x = ca === cb && c < r ? g[c][r] : g[r][c];
          G[(3 * ca + r) * n3 + 3 * cb + c] = x;
          G[(3 * cb + c) * n3 + 3 * ca + r] = x;
        }
      }
    }
  }
  const bias: V[] = cands.map((c) => {
    const d = c.dist;
    const corr = t.neg(t.min(t.div(t.mul(o.beta, t.sub(t.neg(d), o.slop)), dt), o.maxCorrectionVelocity));
    return t.sel(t.cmp('>=', d, 0), t.div(d, dt), t.sel(t.cmp('>=', d, -o.slop), 0, corr));
  });
  return { chains, Jc, W: Wr, sd, G, bias };
}

