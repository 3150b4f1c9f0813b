/**
 * Stage: contact rows (dynamics/step.ts position stage, contact-kernel.ts): Jacobians in the
 * contact frames [t1 t2 n], W = L^-T Jc^T and G = W^T D^-1 W along each contact's dof chain,
 * and the normal bias (contact-solver.ts computeContactBias).
 */
import { sCol, type StepTrace, type V, type V3 } from './common.ts';
import type { Candidate } from './collision.ts';
import type { Factor } from './factor.ts';
import type { Kinematics } from './kinematics.ts';

export interface ContactRows {
  /** Each candidate's dofs (its body's chain, leaf to root). */
  chains: number[][];
  /** Jc[c][r]: dense nv rows with structural zeros off the chain. */
  Jc: V[][][];
  /** The Delassus matrix (3 NC square, both triangles). */
  G: V[];
  /** The normal bias per candidate. */
  bias: V[];
}

export function traceContactRows(s: StepTrace, kin: Kinematics, cands: readonly Candidate[], fac: Factor): ContactRows {
  const { t, model, dt } = s;
  const o = s.pm.options;
  const nv = model.nv, NC = cands.length;
  const { oR, op } = kin;
  const { L, lambda } = fac;
  const chainOf = (body: number): number[] => {
    const out: number[] = [];
    for (let k = model.idxV[body] + model.nvs[body] - 1; k !== -1; k = lambda[k]) out.push(k);
    return out;
  };
  const Jl: V3[] = [], Ja: V3[] = [];
  if (NC > 0) {
    for (let j = 1; j < model.njoints; j++) {
      for (let k = 0; k < model.nvs[j]; k++) {
        const c = sCol(model, j, k);
        const W = t.mv(oR[j], c.a);
        Jl[model.idxV[j] + k] = t.v3add(t.mv(oR[j], c.l), t.cross(op[j], W));
        Ja[model.idxV[j] + k] = W;
      }
    }
  }
  const chains = cands.map((c) => chainOf(c.body));
  const Jc: V[][][] = [], Wr: V[][][] = [];
  cands.forEach((c, ci) => {
    const p = t.v3add(c.pos, t.v3scale(c.n, c.dist));
    const rows: V[][] = [[], [], []].map(() => new Array(nv).fill(0));
    for (const k of chains[ci]) {
      const vel = t.v3add(Jl[k], t.cross(Ja[k], p));
      const loc = t.mtv(c.R, vel);
      rows[0][k] = loc[0]; rows[1][k] = loc[1]; rows[2][k] = loc[2];
    }
    Jc.push(rows);
    Wr.push(rows.map((row) => {
      const w = row.slice();
      for (const k of chains[ci]) {
        if (w[k] === 0) continue;
        for (let i = lambda[k]; i !== -1; i = lambda[i]) w[i] = t.sub(w[i], t.mul(L[k * nv + i], w[k]));
      }
      return w;
    }));
  });
  const Dinv: V[] = [];
  if (NC > 0) for (let k = 0; k < nv; k++) Dinv[k] = t.div(1, L[k * nv + k]);
  const n3 = 3 * NC;
  const G: V[] = new Array(n3 * n3).fill(0);
  for (let a = 0; a < n3; a++) {
    const ca = (a / 3) | 0;
    const wa = Wr[ca][a % 3];
    for (let b = a; b < n3; b++) {
      const cb = (b / 3) | 0;
      const wb = Wr[cb][b % 3];
      let x: V = 0;
      for (const k of chains[ca]) {
        if (wa[k] === 0 || wb[k] === 0) continue;
        x = t.fma(x, t.mul(wa[k], wb[k]), Dinv[k]);
      }
      G[a * n3 + b] = x;
      G[b * n3 + a] = x;
    }
  }
  const bias: V[] = cands.map((c) => {
    const d = c.dist;
    const corr = t.neg(t.min(t.div(t.mul(o.beta, t.sub(t.neg(d), o.slop)), dt), o.maxCorrectionVelocity));
    return t.sel(t.cmp('>=', d, 0), t.div(d, dt), t.sel(t.cmp('>=', d, -o.slop), 0, corr));
  });
  return { chains, Jc, G, bias };
}
