/** Stage: the tree-sparse LTDL factor of H and its solve (dynamics/factor-m.ts). */
import { dofParents } from '../../../model/model.ts';
import type { B, StepTrace, V } from './common.ts';

export interface Factor {
  /** H = L^T D L in place: D on the diagonal, L below it along the dof tree. */
  L: V[];
  /** The dof tree (model.ts dofParents). */
  lambda: Int32Array;
  /** A pivot was not positive: the step is the CPU's business. */
  notPd: B;
  /** H^-1 b. */
  solve(b: readonly V[]): V[];
}

export function traceFactor(s: StepTrace, H: readonly V[]): Factor {
  const { t, model } = s;
  const nv = model.nv;
  const L = H.slice();
  const lambda = dofParents(model);
  let notPd: B = false;
  for (let k = nv - 1; k >= 0; k--) {
    const dk = L[k * nv + k];
    notPd = t.or(notPd, t.not(t.cmp('>', dk, 0)));
    for (let i = lambda[k]; i !== -1; i = lambda[i]) {
      const a = t.div(L[k * nv + i], dk);
      for (let jj = i; jj !== -1; jj = lambda[jj]) L[i * nv + jj] = t.sub(L[i * nv + jj], t.mul(a, L[k * nv + jj]));
      L[k * nv + i] = a;
    }
  }
  const solve = (b: readonly V[]): V[] => {
    const x = b.slice();
    for (let k = nv - 1; k >= 0; k--) {
      if (x[k] === 0) continue;
      for (let i = lambda[k]; i !== -1; i = lambda[i]) x[i] = t.sub(x[i], t.mul(L[k * nv + i], x[k]));
    }
    for (let k = 0; k < nv; k++) x[k] = t.div(x[k], L[k * nv + k]);
    for (let k = 0; k < nv; k++) {
      let sum = x[k];
      for (let i = lambda[k]; i !== -1; i = lambda[i]) sum = t.sub(sum, t.mul(L[k * nv + i], x[i]));
      x[k] = sum;
    }
    return x;
  };
  return { L, lambda, notPd, solve };
}
