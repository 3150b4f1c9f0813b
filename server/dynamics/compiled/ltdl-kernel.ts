/**
 * Generated LTDL kernels (factor, full solve, L-solve) for one dof tree: the loops of
 * factor-m.ts unrolled over the tree's ancestor chains, bit for bit the same operations.
 */
import { compileKernel } from './emit.ts';

export interface LtdlKernels {
  /** Factorizes H in place (as ltdlFactor); false if a pivot is not positive. */
  factor: (H: Float64Array) => boolean;
  /**
   * Factorizes M + diag(e) into H without copying M first: each entry is read from M (plus e
   * on the diagonal) until the factorization has written it in H. Equal to H.set(M), adding e
   * to the diagonal and factor(H), on the entries the factor holds (diagonal and ancestor
   * entries; H's others are not touched).
   */
  factorFrom: (M: Float64Array, H: Float64Array, e: Float64Array) => boolean;
  /** Solves L^T D L x = b in place at b[bo..] (as ltdlSolve). */
  solve: (H: Float64Array, b: Float64Array, bo: number) => void;
  /** Solves L x = z in place at b[bo..] (as ltdlSolveL). */
  solveL: (H: Float64Array, b: Float64Array, bo: number) => void;
}

const cache = new WeakMap<Int32Array, LtdlKernels | null>();

/** The kernels for dof-parent array `lambda` (cached per array), or null for a tree too large to compile. */
export function ltdlKernels(lambda: Int32Array): LtdlKernels | null {
  const hit = cache.get(lambda);
  if (hit !== undefined) return hit;
  const k = buildLtdlKernels(lambda);
  cache.set(lambda, k);
  return k;
}

function buildLtdlKernels(lambda: Int32Array): LtdlKernels | null {
  const nv = lambda.length;
  const anc: number[][] = [];
  for (let k = 0; k < nv; k++) {
    const l: number[] = [];
    for (let i = lambda[k]; i !== -1; i = lambda[i]) l.push(i);
    anc.push(l);
  }
  // factor: dofs leaves to root; for each ancestor i of k, H_ij -= L_ki H_kj on i's chain
  const f: string[] = [];
  for (let k = nv - 1; k >= 0; k--) {
    const l = anc[k], rk = k * nv;
    f.push(`d = H[${rk + k}]; if (!(d > 0)) return false;`);
    for (let p = 0; p < l.length; p++) {
      const i = l[p], ri = i * nv;
      let s = `h = H[${rk + i}]; a = h / d; H[${ri + i}] -= a * h;`;
      for (let q = p + 1; q < l.length; q++) s += ` H[${ri + l[q]}] -= a * H[${rk + l[q]}];`;
      f.push(`${s} H[${rk + i}] = a;`);
    }
  }
  f.push('return true;');
  // the same, reading M until an entry has been written
  const written = new Set<number>();
  const rd = (idx: number): string => {
    if (written.has(idx)) return `H[${idx}]`;
    const r = Math.floor(idx / nv);
    return idx === r * nv + r ? `(M[${idx}] + e[${r}])` : `M[${idx}]`;
  };
  const ff: string[] = [];
  for (let k = nv - 1; k >= 0; k--) {
    const l = anc[k], rk = k * nv, kk = rk + k;
    const first = !written.has(kk);
    ff.push(`d = ${rd(kk)}; if (!(d > 0)) return false;${first ? ` H[${kk}] = d;` : ''}`);
    written.add(kk);
    for (let p = 0; p < l.length; p++) {
      const i = l[p], ri = i * nv;
      let st = `h = ${rd(rk + i)}; a = h / d; H[${ri + i}] = ${rd(ri + i)} - a * h;`;
      written.add(ri + i);
      for (let q = p + 1; q < l.length; q++) {
        st += ` H[${ri + l[q]}] = ${rd(ri + l[q])} - a * ${rd(rk + l[q])};`;
        written.add(ri + l[q]);
      }
      ff.push(`${st} H[${rk + i}] = a;`);
      written.add(rk + i);
    }
  }
  ff.push('return true;');
  // solve: L^T y = b (leaves to root, skipping zero entries as the loop does), D, then L x = z
  const back: string[] = [];
  for (let k = nv - 1; k >= 0; k--) {
    const l = anc[k];
    if (l.length === 0) continue;
    back.push(`x = b[bo + ${k}]; if (x !== 0) {${l.map((i) => ` b[bo + ${i}] -= H[${k * nv + i}] * x;`).join('')} }`);
  }
  const diag: string[] = [];
  for (let k = 0; k < nv; k++) diag.push(`b[bo + ${k}] /= H[${k * nv + k}];`);
  const fwd: string[] = [];
  for (let k = 0; k < nv; k++) {
    const l = anc[k];
    if (l.length === 0) continue;
    fwd.push(`b[bo + ${k}] = b[bo + ${k}]${l.map((i) => ` - H[${k * nv + i}] * b[bo + ${i}]`).join('')};`);
  }
  const factor = compileKernel<LtdlKernels['factor']>('ltdlFactorCompiled', ['H'], `let d = 0, h = 0, a = 0;\n${f.join('\n')}`);
  const factorFrom = compileKernel<LtdlKernels['factorFrom']>('ltdlFactorFromCompiled', ['M', 'H', 'e'], `let d = 0, h = 0, a = 0;\n${ff.join('\n')}`);
  const solve = compileKernel<LtdlKernels['solve']>('ltdlSolveCompiled', ['H', 'b', 'bo'], `let x = 0;\n${[...back, ...diag, ...fwd].join('\n')}`);
  const solveL = compileKernel<LtdlKernels['solveL']>('ltdlSolveLCompiled', ['H', 'b', 'bo'], fwd.join('\n'));
  return factor && factorFrom && solve && solveL ? { factor, factorFrom, solve, solveL } : null;
}
