/**
 * Generated LTDL kernels (factor, full solve, L-solve) for one dof tree: the loops of
 * factor-m.ts unrolled over the tree's ancestor chains, bit for bit the same operations; the
 * symbolic LTDL (dynamics/symbolic/ltdl.ts) printed as JavaScript that works in memory.
 */
import type { SymOps } from '../../model/joints/types.ts';
import { ltdlFactorSym, ltdlSolveSym } from '../symbolic/ltdl.ts';
import { compileKernel } from './emit.ts';
import { atom, FOLD_OPS, src, sub, type Src } from './kinematics-kernel.ts';

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
  const f = factorLines(lambda, false), ff = factorLines(lambda, true);
  const back = solveLines(lambda, true), fwd = solveLines(lambda, false);
  const factor = compileKernel<LtdlKernels['factor']>('ltdlFactorCompiled', ['H'], `let d = 0, h = 0, a = 0;\n${f.join('\n')}`);
  const factorFrom = compileKernel<LtdlKernels['factorFrom']>('ltdlFactorFromCompiled', ['M', 'H', 'e'], `let d = 0, h = 0, a = 0;\n${ff.join('\n')}`);
  const solve = compileKernel<LtdlKernels['solve']>('ltdlSolveCompiled', ['H', 'b', 'bo'], `let x = 0;\n${back.join('\n')}`);
  const solveL = compileKernel<LtdlKernels['solveL']>('ltdlSolveLCompiled', ['H', 'b', 'bo'], fwd.join('\n'));
  return factor && factorFrom && solve && solveL ? { factor, factorFrom, solve, solveL } : null;
}

/**
 * The folding operations with `def` assigning a runtime temporary (the kernels' `let d, h, a`
 * or `let x`) as a statement of the line under construction.
 */
function tempOps(line: string[]): SymOps<Src> {
  return { ...FOLD_OPS, def: (name, v) => { line.push(`${name} = ${src(v)};`); return atom(name); } };
}

/**
 * ltdlFactorSym (dynamics/symbolic/ltdl.ts) printed as JavaScript, one line per pivot and per
 * (dof, ancestor) row update. from: the factorFrom variant, which reads each entry from M (plus
 * e on the diagonal) until the factorization has written it in H.
 */
function factorLines(lambda: Int32Array, from: boolean): string[] {
  const nv = lambda.length;
  const lines: string[] = [];
  const line: string[] = [];
  const written = new Set<number>();
  const rd = (idx: number): string => {
    if (!from || written.has(idx)) return `H[${idx}]`;
    const r = Math.floor(idx / nv);
    return idx === r * nv + r ? `(M[${idx}] + e[${r}])` : `M[${idx}]`;
  };
  ltdlFactorSym(tempOps(line), lambda, {
    get: (idx) => atom(rd(idx)),
    subFrom: (idx, y) => {
      line.push(from ? `H[${idx}] = ${src(sub(atom(rd(idx)), y))};` : `H[${idx}] -= ${src(y)};`);
      written.add(idx);
    },
    set: (idx, x) => { // ends a row update
      line.push(`H[${idx}] = ${src(x)};`);
      written.add(idx);
      lines.push(line.join(' '));
      line.length = 0;
    },
    pivot: (_k, idx) => {
      const first = from && !written.has(idx);
      lines.push(`d = ${rd(idx)}; if (!(d > 0)) return false;${first ? ` H[${idx}] = d;` : ''}`);
      written.add(idx);
      return atom('d');
    },
  });
  lines.push('return true;');
  return lines;
}

/** ltdlSolveSym printed as JavaScript on b[bo..]: withBack the full solve, else the L-solve only. */
function solveLines(lambda: Int32Array, withBack: boolean): string[] {
  const lines: string[] = [];
  const line: string[] = [];
  const b = (k: number) => `b[bo + ${k}]`;
  ltdlSolveSym(tempOps(line), lambda, {
    L: (idx) => atom(`H[${idx}]`),
    get: (k) => atom(b(k)),
    set: (k, x) => { lines.push(`${b(k)} = ${src(x)};`); },
    subFrom: (k, y) => { line.push(`${b(k)} -= ${src(y)};`); },
    divBy: (k, y) => { lines.push(`${b(k)} /= ${src(y)};`); },
    nonZero: (x, body) => {
      line.push(`if (${src(x)} !== 0) {`);
      body();
      line.push('}');
      lines.push(line.join(' '));
      line.length = 0;
    },
  }, withBack);
  return lines;
}
