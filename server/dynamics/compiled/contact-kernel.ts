/**
 * Generated contact-stage kernels of the simulator (step.ts), bit for bit its generic loops:
 *  - per chain layout (a touching body's dof chain, its own branch at a run-time offset, so the
 *    legs of a quadruped share one function): the three contact Jacobian rows in the contact
 *    frame and W = D^-1/2 L^-T Jc^T along the chain, in locals; Jc v; W^T lambda;
 *  - per shared chain length: one 3x3 block of the Delassus matrix G = W^T W.
 */
import type { SymOps } from '../../model/joints/types.ts';
import {
  contactImpulseSym, contactRowsSym, contactVelocitySym, contactWSym, delassusBlockSym, type ContactRowsIo,
} from '../symbolic/contact-rows.ts';
import { compileKernel } from './emit.ts';
import { atom, FOLD_OPS, mul, src, type Src, type Val } from './kinematics-kernel.ts';

/**
 * Writes contact c's compact rows (Jc and W at 3 c nv + r nv + t, t along the chain) from the
 * contact buffer (pos, normal, dist, frame), the world joint Jacobian J (6 x nv), the LTDL
 * factor L (nv x nv) and D^-1/2 (sd). o: the chain offset (see ChainLayout).
 */
export type ContactRowsKernel = (
  c: number, o: number, pos: Float64Array, normal: Float64Array, dist: Float64Array, frame: Float64Array,
  J: Float64Array, L: Float64Array, sd: Float64Array, Jc: Float64Array, W: Float64Array,
) => void;

/**
 * A body's dof chain (deepest dof first, then its ancestors) as the kernels see it: the first
 * `branch` entries are the body's own branch of the tree (below the nearest ancestor with
 * several children: a leg of a quadruped) and are written relative to the offset
 * o = chain[branch - 1], passed at run time; the others (shared ancestors: the base) are
 * literals. Bodies whose branches have the same shape (the four legs) then get the same
 * source, hence the same compiled function (compileKernel shares it): one copy of the code,
 * which stays in the instruction cache, instead of four. (Straight-line kernels are large:
 * V8 emits about 10 KB of machine code for one leg's rows.)
 */
export interface ChainLayout {
  chain: ArrayLike<number>;
  branch: number;
}

/** The run-time offset of a layout's branch (0 when it has none). */
export function chainOffset(layout: ChainLayout): number {
  return layout.branch > 0 ? layout.chain[layout.branch - 1] : 0;
}

/** Index expression of dof chain[t] + add (add: a row offset such as 2 nv): `o + r` in the branch, a literal outside. */
function dofIndex(layout: ChainLayout, t: number, add = 0): string {
  return t < layout.branch ? `o + ${layout.chain[t] - chainOffset(layout) + add}` : `${layout.chain[t] + add}`;
}

/**
 * Rows kernel for a body's chain layout. `translational(k)`: dof k's Jacobian column has an
 * exactly zero angular part (a free-flyer's or a prismatic joint's translation), so its w x p
 * terms, all zeros, are left out.
 */
export function contactRowsKernel(layout: ChainLayout, nv: number, translational: (k: number) => boolean = () => false): ContactRowsKernel | null {
  const { chain, branch } = layout;
  const len = chain.length, o = chainOffset(layout);
  const s: string[] = [
    'const d = dist[c], i3 = 3 * c, fo = 9 * c;',
    'const nx = normal[i3], ny = normal[i3 + 1], nz = normal[i3 + 2];',
    'const px = pos[i3] + d * nx, py = pos[i3 + 1] + d * ny, pz = pos[i3 + 2] + d * nz;',
    `const r0 = 3 * c * ${nv}, r1 = r0 + ${nv}, r2 = r1 + ${nv}, on = o * ${nv}, oo = on + o;`,
    'let wx = 0, wy = 0, wz = 0, vx = 0, vy = 0, vz = 0, l = 0;',
    `let ${Array.from({ length: len }, (_, t) => `a${t} = 0, b${t} = 0, e${t} = 0`).join(', ')};`,
  ];
  // contactRowsSym and contactWSym (dynamics/symbolic/contact-rows.ts) printed as JavaScript: the
  // rows in locals a<t>, b<t>, e<t>; runtime temporaries (the lets above) assigned in statements
  const line: string[] = [];
  const flush = () => { if (line.length > 0) s.push(line.join(' ')); line.length = 0; };
  const temp = (name: string, v: Val): Src => { line.push(`${name} = ${src(v)};`); return atom(name); };
  const rowOps: SymOps<Src> = { ...FOLD_OPS, def: temp };
  const rowsIo: ContactRowsIo<Src> = {
    J: (t, k) => atom(`J[${dofIndex(layout, t, k * nv)}]`),
    translational: (t) => translational(chain[t]),
    rows: (t, [a, b, e]) => { flush(); s.push(`a${t} = ${src(a)}; b${t} = ${src(b)}; e${t} = ${src(e)};`); },
  };
  const p = [atom('px'), atom('py'), atom('pz')];
  // a normal of exactly +z (flat ground, the top of an axis-aligned box): the frame is the
  // identity and the rows are the world rows (step.ts's generic loop branches the same way)
  s.push('if (nx === 0 && ny === 0 && nz === 1) {');
  contactRowsSym(rowOps, len, p, [1, 0, 0, 0, 1, 0, 0, 0, 1], rowsIo);
  s.push('} else {',
    'const f0 = frame[fo], f1 = frame[fo + 1], f2 = frame[fo + 2], f3 = frame[fo + 3], f4 = frame[fo + 4], f5 = frame[fo + 5], f6 = frame[fo + 6], f7 = frame[fo + 7], f8 = frame[fo + 8];');
  contactRowsSym(rowOps, len, p, Array.from({ length: 9 }, (_, k) => atom(`f${k}`)), rowsIo);
  s.push('}');
  for (let t = 0; t < len; t++) s.push(`Jc[r0 + ${t}] = a${t}; Jc[r1 + ${t}] = b${t}; Jc[r2 + ${t}] = e${t};`);
  // W = L^-T rows, leaves to root along the chain, then the D^-1/2 scaling. L[k nv + j] with
  // k = o + rk in the branch: (o + rk) nv + (o + rj) = oo + rk nv + rj, or on + rk nv + j for
  // an ancestor j outside it
  const lIndex = (t: number, u: number) => {
    if (t >= branch) return `${chain[t] * nv + chain[u]}`;
    const rk = chain[t] - o;
    return u < branch ? `oo + ${rk * nv + chain[u] - o}` : `on + ${rk * nv + chain[u]}`;
  };
  const row = (t: number, r: number) => `${'abe'[r]}${t}`;
  // one line per temporary l and the statements that use it
  contactWSym({ ...FOLD_OPS, def: (name, v) => { flush(); return temp(name, v); } }, len, {
    L: (t, u) => atom(`L[${lIndex(t, u)}]`),
    sd: (t) => atom(`sd[${dofIndex(layout, t)}]`),
    get: (t, r) => atom(row(t, r)),
    subFrom: (t, r, y) => { line.push(`${row(t, r)} -= ${src(y)};`); },
    W: (t, r, x) => { line.push(`W[r${r} + ${t}] = ${src(x)};`); },
  });
  flush();
  return compileKernel<ContactRowsKernel>('contactRowsCompiled',
    ['c', 'o', 'pos', 'normal', 'dist', 'frame', 'J', 'L', 'sd', 'Jc', 'W'], s.join('\n'));
}

/**
 * The 3x3 block (a, b) of G and its transpose: sums over the lc shared chain dofs of W rows
 * starting at a0 and b0 (compact, rows nv apart); G is n x n, blocks at ra and rb.
 */
export type DelassusBlockKernel = (W: Float64Array, a0: number, b0: number, G: Float64Array, ra: number, rb: number, n: number) => void;

/** Block kernel for lc shared dofs (rows of W are nv apart). */
export function delassusBlockKernel(lc: number, nv: number): DelassusBlockKernel | null {
  const s: string[] = ['let g00 = 0, g01 = 0, g02 = 0, g10 = 0, g11 = 0, g12 = 0, g20 = 0, g21 = 0, g22 = 0, x0 = 0, x1 = 0, x2 = 0, y0 = 0, y1 = 0, y2 = 0;'];
  delassusSource(s, lc, nv, false);
  s.push('G[ra] = g00; G[ra + 1] = g01; G[ra + 2] = g02;',
    'G[ra + n] = g10; G[ra + n + 1] = g11; G[ra + n + 2] = g12;',
    'G[ra + 2 * n] = g20; G[ra + 2 * n + 1] = g21; G[ra + 2 * n + 2] = g22;',
    'G[rb] = g00; G[rb + 1] = g10; G[rb + 2] = g20;',
    'G[rb + n] = g01; G[rb + n + 1] = g11; G[rb + n + 2] = g21;',
    'G[rb + 2 * n] = g02; G[rb + 2 * n + 1] = g12; G[rb + 2 * n + 2] = g22;');
  return compileKernel<DelassusBlockKernel>('delassusBlockCompiled', ['W', 'a0', 'b0', 'G', 'ra', 'rb', 'n'], s.join('\n'));
}

/** g[3c..3c+3] = contact c's rows of Jc times v (compact rows along the chain, as contactStage); o as for the rows. */
export type ContactVelocityKernel = (c: number, o: number, Jc: Float64Array, v: Float64Array, g: Float64Array) => void;

/**
 * rv += W_c^T lambda_c along contact c's chain (as applyImpulses); o as for the rows. Terms of
 * a zero impulse component are added too: they are zeros, which leave each sum unchanged.
 */
export type ContactImpulseKernel = (c: number, o: number, W: Float64Array, lam: Float64Array, rv: Float64Array) => void;

export function contactVelocityKernel(layout: ChainLayout, nv: number): ContactVelocityKernel | null {
  const s = [`const o0 = 3 * c * ${nv}; let x = 0, s0 = 0, s1 = 0, s2 = 0;`];
  // contactVelocitySym printed as JavaScript: a line per chain dof (its load, then the three sums)
  const line: string[] = [];
  contactVelocitySym({ ...FOLD_OPS, def: (name, v) => { if (line.length > 0) s.push(line.join(' ')); line.length = 0; line.push(`${name} = ${src(v)};`); return atom(name); } },
    layout.chain.length, {
      Jc: (t, r) => atom(`Jc[o0 + ${r * nv + t}]`),
      v: (t) => atom(`v[${dofIndex(layout, t)}]`),
      acc: (r, x, y) => { line.push(`s${r} += ${src(mul(x, y))};`); },
    });
  if (line.length > 0) s.push(line.join(' '));
  s.push('g[3 * c] = s0; g[3 * c + 1] = s1; g[3 * c + 2] = s2;');
  return compileKernel<ContactVelocityKernel>('contactVelocityCompiled', ['c', 'o', 'Jc', 'v', 'g'], s.join('\n'));
}

export function contactImpulseKernel(layout: ChainLayout, nv: number): ContactImpulseKernel | null {
  const s = [`const o0 = 3 * c * ${nv}, l0 = lam[3 * c], l1 = lam[3 * c + 1], l2 = lam[3 * c + 2];`];
  // contactImpulseSym printed as JavaScript: one statement per chain dof
  contactImpulseSym(FOLD_OPS, layout.chain.length, {
    W: (t, r) => atom(`W[o0 + ${r * nv + t}]`),
    lambda: (r) => atom(`l${r}`),
    get: (t) => atom(`rv[${dofIndex(layout, t)}]`),
    set: (t, x) => { s.push(`rv[${dofIndex(layout, t)}] = ${src(x)};`); },
  });
  return compileKernel<ContactImpulseKernel>('contactImpulseCompiled', ['c', 'o', 'W', 'lam', 'rv'], s.join('\n'));
}

/**
 * A diagonal block (a = b, a0 = b0): symmetric, six sums instead of nine (x1 y0 and x0 y1 are
 * the same products in the same order, so the mirrored entries are equal anyway).
 */
export function delassusDiagonalKernel(lc: number, nv: number): DelassusBlockKernel | null {
  const s: string[] = ['let g00 = 0, g01 = 0, g02 = 0, g11 = 0, g12 = 0, g22 = 0, x0 = 0, x1 = 0, x2 = 0;'];
  delassusSource(s, lc, nv, true);
  s.push('G[ra] = g00; G[ra + 1] = g01; G[ra + 2] = g02;',
    'G[ra + n] = g01; G[ra + n + 1] = g11; G[ra + n + 2] = g12;',
    'G[ra + 2 * n] = g02; G[ra + 2 * n + 1] = g12; G[ra + 2 * n + 2] = g22;');
  return compileKernel<DelassusBlockKernel>('delassusDiagonalCompiled', ['W', 'a0', 'b0', 'G', 'ra', 'rb', 'n'], s.join('\n'));
}

/**
 * delassusBlockSym (dynamics/symbolic/contact-rows.ts) printed as JavaScript into s: per shared
 * dof a line loading the W entries into the temporaries x, y, and a line of accumulations.
 */
function delassusSource(s: string[], lc: number, nv: number, diagonal: boolean): void {
  const line: string[] = [];
  let loads = true;
  const flush = () => { if (line.length > 0) s.push(line.join(' ')); line.length = 0; };
  delassusBlockSym({ ...FOLD_OPS, def: (name, v) => {
    if (!loads) { flush(); loads = true; }
    line.push(`${name} = ${src(v)};`);
    return atom(name);
  } }, lc, {
    a: (t, r) => atom(`W[a0 + ${r * nv + t}]`),
    b: (t, r) => atom(`W[b0 + ${r * nv + t}]`),
    acc: (r, c, x, y) => {
      if (loads) { flush(); loads = false; }
      line.push(`g${r}${c} += ${src(mul(x, y))};`);
    },
  }, diagonal);
  flush();
}
