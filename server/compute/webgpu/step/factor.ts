/**
 * Stage: the tree-sparse LTDL factor of H and its solve (dynamics/factor-m.ts): the symbolic
 * LTDL that the JavaScript kernels also run (dynamics/symbolic/ltdl.ts), printed as WGSL.
 */
import { ltdlFactorSym, ltdlSolveSym } from '../../../dynamics/symbolic/ltdl.ts';
import { dofParents } from '../../../model/model.ts';
import { wgslOps, type B, type StepTrace, type V } from './common.ts';

export interface Factor {
  /** H = L^T D L in place: D on the diagonal, L below it along the dof tree. */
  L: V[];
  /** The dof tree (model.ts dofParents). */
  lambda: Int32Array;
  /** A pivot was not positive: the step is the CPU's business. */
  notPd: B;
  /** H^-1 b. */
  solve(b: readonly V[]): V[];
  /** L^-1 b (the L-solve only, factor-m.ts ltdlSolveL). */
  solveL(b: readonly V[]): V[];
}

export function traceFactor(s: StepTrace, H: readonly V[]): Factor {
  const { t, model } = s;
  const ops = wgslOps(t);
  const L = H.slice();
  const lambda = dofParents(model);
  let notPd: B = false;
  // the one symbolic LTDL (dynamics/symbolic/ltdl.ts), printed as WGSL over values
  ltdlFactorSym(ops, lambda, {
    get: (idx) => L[idx],
    set: (idx, x) => { L[idx] = x; },
    subFrom: (idx, y) => { L[idx] = t.sub(L[idx], y); },
    pivot: (_k, idx) => { notPd = t.or(notPd, t.not(t.cmp('>', L[idx], 0))); return L[idx]; },
  });
  const solveWith = (b: readonly V[], withBack: boolean): V[] => {
    const x = b.slice();
    ltdlSolveSym(ops, lambda, {
      L: (idx) => L[idx],
      get: (k) => x[k],
      set: (k, v) => { x[k] = v; },
      subFrom: (k, y) => { x[k] = t.sub(x[k], y); },
      divBy: (k, y) => { x[k] = t.div(x[k], y); },
      nonZero: (v, body) => { if (v !== 0) body(); },
    }, withBack);
    return x;
  };
  return { L, lambda, notPd, solve: (b) => solveWith(b, true), solveL: (b) => solveWith(b, false) };
}
