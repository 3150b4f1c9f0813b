/**
 * Stage: the contact solve (dynamics/contact-solver.ts solvePgs from a cold start, then the
 * active-set polish of step.ts polishSticking in a static form) and the impulses
 * v = v_free + H^-1 Jc^T lambda, applied as the CPU does (L^-1 D^-1/2 W^T lambda). PGS on the De Saxcé NCP: sticking candidate by the 3x3 block
 * inverse, else normal then tangential split step; residual = max of primal, dual and
 * complementarity; exact re-evaluation of sigma before declaring convergence; over the active
 * candidates in order.
 */
import { contactImpulseSym, contactVelocitySym } from '../../../dynamics/symbolic/contact-rows.ts';
import { wgslOps, type B, type StepTrace, type V } from './common.ts';
import type { Candidate } from './collision.ts';
import type { ContactRows } from './contact-rows.ts';
import type { Factor } from './factor.ts';

export interface ContactSolve {
  /** The velocity after the impulses. */
  v: V[];
  /** Name of the WGSL bool set when PGS stopped above tolerance (null without candidates). */
  notConverged: string | null;
}

export interface GpuSolverOptions {
  /** PGS sweeps (the CPU allows up to 500). */
  maxIterations: number;
  /** Absolute residual (velocity / impulse units, contact-solver.ts) at which PGS stops. */
  tolerance: number;
}

export const DEFAULT_GPU_SOLVER: GpuSolverOptions = { maxIterations: 200, tolerance: 2e-6 };

export function tracePgs(s: StepTrace, solver: GpuSolverOptions, cands: readonly Candidate[], rows: ContactRows, fac: Factor, vfree: readonly V[]): ContactSolve {
  const { t, model } = s;
  const ops = wgslOps(t);
  const nv = model.nv, NC = cands.length, n3 = 3 * NC;
  const { Jc, W, sd, G, bias, chains } = rows;
  if (NC === 0) return { v: vfree.slice(), notConverged: null };
  let notConverged: string | null = null;
  let vout: V[];
  {
    const gv: V[] = [];
    // g = Jc v_free along each chain (contactVelocitySym, as the JS kernel)
    cands.forEach((_, c) => {
      const g: V[] = [0, 0, 0];
      contactVelocitySym(ops, chains[c].length, {
        Jc: (k, r) => Jc[c][r][chains[c][k]],
        v: (k) => vfree[chains[c][k]],
        acc: (r, x, y) => { g[r] = t.fma(g[r], x, y); },
      });
      gv.push(...g);
    });
    // per-contact constants of the sweep
    const invNN: V[] = [], stepT: V[] = [], binv: V[][] = [], binvOk: B[] = [];
    for (let i = 0; i < NC; i++) {
      const oo = 3 * i, r0 = oo * n3 + oo, r1 = r0 + n3, r2 = r1 + n3;
      const a00 = G[r0], a01 = G[r0 + 1], a02 = G[r0 + 2], a11 = G[r1 + 1], a12 = G[r1 + 2], a22 = G[r2 + 2];
      const scale = t.max(a00, t.max(a11, a22));
      const tiny = t.mul(1e-7, scale);
      invNN.push(t.sel(t.cmp('>', a22, tiny), t.div(1, a22), 0));
      const h = t.mul(0.5, t.sub(a00, a11));
      const lt = t.add(t.mul(0.5, t.add(a00, a11)), t.sqrt(t.add(t.mul(h, h), t.mul(a01, a01))));
      stepT.push(t.sel(t.cmp('>', lt, tiny), t.div(1, lt), 0));
      const c00 = t.sub(t.mul(a11, a22), t.mul(a12, a12));
      const c01 = t.sub(t.mul(a02, a12), t.mul(a01, a22));
      const c02 = t.sub(t.mul(a01, a12), t.mul(a02, a11));
      const det = t.add(t.add(t.mul(a00, c00), t.mul(a01, c01)), t.mul(a02, c02));
      binvOk.push(t.and(t.cmp('>', scale, 0), t.cmp('>', det, t.mul(1e-6, t.mul(scale, t.mul(scale, scale))))));
      const id = t.div(1, det);
      const c11 = t.sub(t.mul(a00, a22), t.mul(a02, a02));
      const c12 = t.sub(t.mul(a01, a02), t.mul(a00, a12));
      const c22 = t.sub(t.mul(a00, a11), t.mul(a01, a01));
      binv.push([c00, c01, c02, c01, c11, c12, c02, c12, c22].map((x) => t.mul(x, id)));
    }
    const lam = Array.from({ length: n3 }, (_, r) => t.var(0, `lam${r}`));
    const sig = Array.from({ length: n3 }, (_, r) => t.var(r % 3 === 2 ? t.add(gv[r], bias[(r / 3) | 0]) : gv[r], `sig${r}`));
    const resid = t.var(0, 'resid');
    const coneMetrics = () => {
      let res: V = 0;
      for (let i = 0; i < NC; i++) {
        const m = cands[i].mu;
        const l = [lam[3 * i], lam[3 * i + 1], lam[3 * i + 2]], s = [sig[3 * i], sig[3 * i + 1], sig[3 * i + 2]];
        const stn = t.sqrt(t.add(t.mul(s[0], s[0]), t.mul(s[1], s[1])));
        const sn = t.add(s[2], t.mul(m, stn));
        const ltn = t.sqrt(t.add(t.mul(l[0], l[0]), t.mul(l[1], l[1])));
        const k = Math.sqrt(1 + m * m);
        const pIn = t.sqrt(t.add(t.mul(ltn, ltn), t.mul(l[2], l[2])));
        const pOn = t.div(t.sub(ltn, t.mul(m, l[2])), k);
        const p = t.sel(t.cmp('>', ltn, t.mul(m, l[2])), t.sel(t.cmp('<=', t.mul(m, ltn), t.neg(l[2])), pIn, pOn), 0);
        const dIn = t.sqrt(t.add(t.mul(stn, stn), t.mul(sn, sn)));
        const dOn = t.div(t.sub(t.mul(m, stn), sn), k);
        const d = t.sel(t.cmp('>', t.mul(m, stn), sn), t.sel(t.cmp('<=', stn, t.neg(t.mul(m, sn))), dIn, dOn), 0);
        const cc = t.abs(t.add(t.add(t.mul(l[0], s[0]), t.mul(l[1], s[1])), t.mul(l[2], sn)));
        res = t.max(res, t.sel(cands[i].active, t.max(p, t.max(d, cc)), 0));
      }
      t.assign(resid, res);
    };
    const exactSigma = () => {
      for (let r = 0; r < n3; r++) {
        let s: V = gv[r];
        for (let c = 0; c < n3; c++) s = t.fma(s, G[r * n3 + c], lam[c]);
        if (r % 3 === 2) s = t.add(s, bias[(r / 3) | 0]);
        t.assign(sig[r], s);
      }
    };
    coneMetrics();
    t.emit('var exact = true;');
    t.emit('var it = 0;');
    t.open('loop');
    t.emit(`if (!(resid > ${t.s(solver.tolerance)}) || it >= ${solver.maxIterations}) { break; }`);
    t.emit('it = it + 1;');
    for (let i = 0; i < NC; i++) {
      const act = cands[i].active;
      if (act === false) continue;
      if (act !== true) t.open(`if (${act})`);
      const oo = 3 * i, m = cands[i].mu;
      const s = [sig[oo], sig[oo + 1], sig[oo + 2]];
      const l = [lam[oo], lam[oo + 1], lam[oo + 2]];
      const B3 = binv[i];
      const kk = [0, 1, 2].map((r) => t.sub(l[r], t.dot([B3[3 * r], B3[3 * r + 1], B3[3 * r + 2]], s)));
      const stick = t.and(t.and(binvOk[i], t.cmp('>=', kk[2], 0)), t.cmp('<=', t.sqrt(t.add(t.mul(kk[0], kk[0]), t.mul(kk[1], kk[1]))), t.mul(m, kk[2])));
      const r0 = oo * n3 + oo;
      const n2 = t.max(0, t.sub(l[2], t.mul(s[2], invNN[i])));
      const dn = t.sub(n2, l[2]);
      const s0 = t.add(s[0], t.mul(G[r0 + 2], dn));
      const s1 = t.add(s[1], t.mul(G[r0 + n3 + 2], dn));
      let n0 = t.sub(l[0], t.mul(s0, stepT[i]));
      let n1 = t.sub(l[1], t.mul(s1, stepT[i]));
      const tn = t.sqrt(t.add(t.mul(n0, n0), t.mul(n1, n1)));
      const rad = t.mul(m, n2);
      const over = t.cmp('>', tn, rad);
      const fct = t.sel(over, t.sel(t.cmp('>', tn, 0), t.div(rad, t.sel(t.cmp('>', tn, 0), tn, 1)), 0), 1);
      n0 = t.mul(n0, fct); n1 = t.mul(n1, fct);
      const nl = [t.sel(stick, kk[0], n0), t.sel(stick, kk[1], n1), t.sel(stick, kk[2], n2)];
      const dl = [0, 1, 2].map((r) => t.sub(nl[r], l[r]));
      for (let r = 0; r < 3; r++) t.assign(l[r], nl[r]);
      for (let c = 0; c < n3; c++) {
        const upd = t.add(t.add(t.mul(G[oo * n3 + c], dl[0]), t.mul(G[(oo + 1) * n3 + c], dl[1])), t.mul(G[(oo + 2) * n3 + c], dl[2]));
        if (upd !== 0) t.assign(sig[c], t.add(sig[c], upd));
      }
      const moved = t.or(t.or(t.cmp('!=', dl[0], 0), t.cmp('!=', dl[1], 0)), t.cmp('!=', dl[2], 0));
      t.emit(`exact = exact && !(${t.bstr(moved)});`);
      if (act !== true) t.end();
    }
    coneMetrics();
    // converged on the incremental sigma, or out of sweeps: confirm on the exact sigma
    t.open(`if ((!(resid > ${t.s(solver.tolerance)}) || it >= ${solver.maxIterations}) && !exact)`);
    exactSigma();
    coneMetrics();
    t.emit('exact = true;');
    t.end();
    t.end(); // loop
    notConverged = t.letB(`resid > ${t.s(solver.tolerance)}`);
    // active-set polish (step.ts polishSticking), static form: the sticking contacts S (impulse
    // strictly inside its cone) get the exact solution of G_SS lambda_S = -(g + b e_N)_S -
    // G_SF lambda_F; the other rows become identity rows with a zero right-hand side. Ridge
    // 1e-6 trace(G_SS)/|S| (f32; the CPU uses 1e-14). Kept only if every sticking impulse
    // stays in its cone and the factorization succeeded.
    const stickC: B[] = cands.map((c, i) => {
      const l = [lam[3 * i], lam[3 * i + 1], lam[3 * i + 2]];
      const lt = t.mul(c.mu * (1 - 1e-6), l[2]);
      return t.and(c.active, t.and(t.cmp('>', l[2], 0), t.cmp('<', t.add(t.mul(l[0], l[0]), t.mul(l[1], l[1])), t.mul(lt, lt))));
    });
    const mS: V[] = stickC.map((b) => t.sel(b, 1, 0));
    const ma = (a: number) => mS[(a / 3) | 0];
    let tr: V = 0, cnt: V = 0;
    for (let a = 0; a < n3; a++) { tr = t.fma(tr, ma(a), G[a * n3 + a]); cnt = t.add(cnt, ma(a)); }
    const ridge = t.div(t.mul(1e-6, tr), t.max(cnt, 1));
    const rhs: V[] = [];
    for (let a = 0; a < n3; a++) {
      let x: V = t.neg(gv[a]);
      if (a % 3 === 2) x = t.sub(x, bias[(a / 3) | 0]);
      for (let c = 0; c < NC; c++) {
        const free = t.sub(1, mS[c]);
        const coupling = t.add(t.add(t.mul(G[a * n3 + 3 * c], lam[3 * c]), t.mul(G[a * n3 + 3 * c + 1], lam[3 * c + 1])), t.mul(G[a * n3 + 3 * c + 2], lam[3 * c + 2]));
        x = t.sub(x, t.mul(free, coupling));
      }
      rhs.push(t.mul(ma(a), x));
    }
    const Lc: V[] = new Array(n3 * n3).fill(0);
    let pivOk: B = true;
    for (let j = 0; j < n3; j++) {
      let d: V = t.add(t.mul(t.mul(ma(j), ma(j)), G[j * n3 + j]), t.add(t.sub(1, ma(j)), t.mul(ma(j), ridge)));
      for (let k = 0; k < j; k++) d = t.sub(d, t.mul(Lc[j * n3 + k], Lc[j * n3 + k]));
      pivOk = t.and(pivOk, t.cmp('>', d, 0));
      const ljj = t.sqrt(t.max(d, 1e-30));
      Lc[j * n3 + j] = ljj;
      const inv = t.div(1, ljj);
      for (let i = j + 1; i < n3; i++) {
        let s: V = t.mul(t.mul(ma(i), ma(j)), G[i * n3 + j]);
        for (let k = 0; k < j; k++) s = t.sub(s, t.mul(Lc[i * n3 + k], Lc[j * n3 + k]));
        Lc[i * n3 + j] = t.mul(s, inv);
      }
    }
    const y: V[] = rhs.slice();
    for (let i = 0; i < n3; i++) {
      let s = y[i];
      for (let k = 0; k < i; k++) s = t.sub(s, t.mul(Lc[i * n3 + k], y[k]));
      y[i] = t.div(s, Lc[i * n3 + i]);
    }
    for (let i = n3 - 1; i >= 0; i--) {
      let s = y[i];
      for (let k = i + 1; k < n3; k++) s = t.sub(s, t.mul(Lc[k * n3 + i], y[k]));
      y[i] = t.div(s, Lc[i * n3 + i]);
    }
    let accept: B = pivOk;
    cands.forEach((c, i) => {
      const x = [y[3 * i], y[3 * i + 1], y[3 * i + 2]];
      const lim = t.mul(c.mu, x[2]);
      const inCone = t.and(t.cmp('>', x[2], 0), t.cmp('<=', t.add(t.mul(x[0], x[0]), t.mul(x[1], x[1])), t.mul(lim, lim)));
      accept = t.and(accept, t.or(t.not(stickC[i]), inCone));
    });
    const polished: V[] = lam.map((l, r) => t.sel(t.and(accept, stickC[(r / 3) | 0]), y[r], l));
    // impulses as the CPU applies them (contact.ts applyImpulses): v = v_free + L^-1 D^-1/2 W^T lambda
    // (= H^-1 Jc^T lambda), W^T lambda by contactImpulseSym as the JS kernel
    const rv: V[] = new Array(nv).fill(0);
    cands.forEach((_, c) => {
      const chain = chains[c];
      contactImpulseSym(ops, chain.length, {
        W: (k, r) => W[c][r][chain[k]],
        lambda: (r) => polished[3 * c + r],
        get: (k) => rv[chain[k]],
        set: (k, x) => { rv[chain[k]] = x; },
      });
    });
    const dv = fac.solveL(rv.map((x, i) => t.mul(x, sd[i])));
    vout = vfree.map((x, i) => t.add(x, dv[i]));
  }
  return { v: vout, notConverged };
}
