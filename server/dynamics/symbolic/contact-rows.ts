/**
 * A contact's rows written once in the symbolic form (server/model/joints/types.ts SymOps) and
 * run by both printers: the generated JavaScript (compiled/contact-kernel.ts, f64, === the
 * simulator's generic loop) and the WGSL step (compute/webgpu/step/contact-rows.ts, f32).
 *
 * Along the contact body's dof chain (deepest dof first, then its ancestors; position t):
 * contactRowsSym forms the Jacobian rows in the contact frame, Jc = R^T (J_lin + J_ang x p);
 * contactWSym then W = D^-1/2 L^-T Jc^T (the L^T solve along the chain, leaves to root).
 * The printer keeps the rows (locals, or values) and reads and writes them through the I/O.
 */
import type { SymOps } from '../../model/joints/types.ts';
import { dotSym } from '../../model/spatial-sym.ts';

type S<T> = T | number;

export interface ContactRowsIo<T> {
  /** Entry k (0..5: linear, angular) of the world Jacobian column of chain dof t. */
  J(t: number, k: number): S<T>;
  /** Chain dof t's column has an exactly zero angular part (its w x p terms are left out). */
  translational(t: number): boolean;
  /** The rows of chain dof t in the frame: [t1, t2, n] . v. */
  rows(t: number, x: S<T>[]): void;
}

/** p: the contact point (3); R: the contact frame (9, row-major, columns t1 t2 n; constants fold). */
export function contactRowsSym<T>(ops: SymOps<T>, len: number, p: readonly S<T>[], R: readonly S<T>[], io: ContactRowsIo<T>): void {
  const [px, py, pz] = p;
  for (let t = 0; t < len; t++) {
    let v: S<T>[];
    if (io.translational(t)) {
      v = [ops.def('vx', io.J(t, 0)), ops.def('vy', io.J(t, 1)), ops.def('vz', io.J(t, 2))];
    } else {
      const wx = ops.def('wx', io.J(t, 3)), wy = ops.def('wy', io.J(t, 4)), wz = ops.def('wz', io.J(t, 5));
      v = [
        ops.def('vx', ops.sub(ops.fma(io.J(t, 0), wy, pz), ops.mul(wz, py))),
        ops.def('vy', ops.sub(ops.fma(io.J(t, 1), wz, px), ops.mul(wx, pz))),
        ops.def('vz', ops.sub(ops.fma(io.J(t, 2), wx, py), ops.mul(wy, px))),
      ];
    }
    io.rows(t, [dotSym(ops, [R[0], R[3], R[6]], v), dotSym(ops, [R[1], R[4], R[7]], v), dotSym(ops, [R[2], R[5], R[8]], v)]);
  }
}

export interface ContactWIo<T> {
  /** The factor's entry L[chain[t], chain[u]] (u > t: an ancestor). */
  L(t: number, u: number): S<T>;
  /** D^-1/2 of chain dof t. */
  sd(t: number): S<T>;
  /** Row r (0..2) of the working rows at chain position t, as it stands. */
  get(t: number, r: number): S<T>;
  /** Row r at t -= y. */
  subFrom(t: number, r: number, y: S<T>): void;
  /** W's row r at chain position t. */
  W(t: number, r: number, x: S<T>): void;
}

/** W = D^-1/2 L^-T Jc^T along a chain of len dofs, from the rows of contactRowsSym. */
export function contactWSym<T>(ops: SymOps<T>, len: number, io: ContactWIo<T>): void {
  for (let t = 0; t < len; t++) {
    for (let u = t + 1; u < len; u++) {
      const l = ops.def('l', io.L(t, u));
      for (let r = 0; r < 3; r++) io.subFrom(u, r, ops.mul(l, io.get(t, r)));
    }
    const l = ops.def('l', io.sd(t));
    for (let r = 0; r < 3; r++) io.W(t, r, ops.mul(io.get(t, r), l));
  }
}

export interface DelassusIo<T> {
  /** Row r (0..2) of contact a's W at position t of the chain the two contacts share; b's. */
  a(t: number, r: number): S<T>;
  b(t: number, r: number): S<T>;
  /** G's block entry (r, s) += x y. */
  acc(r: number, s: number, x: S<T>, y: S<T>): void;
}

/**
 * The 3x3 block (a, b) of G = W^T W: sums over the lc dofs the two chains share, in chain
 * order. diagonal (a = b): the entries r <= s only (the block is symmetric).
 */
export function delassusBlockSym<T>(ops: SymOps<T>, lc: number, io: DelassusIo<T>, diagonal: boolean): void {
  for (let t = 0; t < lc; t++) {
    const x = [0, 1, 2].map((r) => ops.def(`x${r}`, io.a(t, r)));
    const y = diagonal ? x : [0, 1, 2].map((r) => ops.def(`y${r}`, io.b(t, r)));
    for (let r = 0; r < 3; r++) for (let s = diagonal ? r : 0; s < 3; s++) io.acc(r, s, x[r], y[s]);
  }
}

export interface ContactVelocityIo<T> {
  /** Row r (0..2) of the contact's Jc at chain position t. */
  Jc(t: number, r: number): S<T>;
  /** The velocity of chain dof t. */
  v(t: number): S<T>;
  /** (Jc v)_r += x y. */
  acc(r: number, x: S<T>, y: S<T>): void;
}

/** Jc v along a chain of len dofs (contactStage's g = Jc v, chain order). */
export function contactVelocitySym<T>(ops: SymOps<T>, len: number, io: ContactVelocityIo<T>): void {
  for (let t = 0; t < len; t++) {
    const x = ops.def('x', io.v(t));
    for (let r = 0; r < 3; r++) io.acc(r, io.Jc(t, r), x);
  }
}

export interface ContactImpulseIo<T> {
  /** Row r (0..2) of the contact's W at chain position t. */
  W(t: number, r: number): S<T>;
  /** The impulse's component r. */
  lambda(r: number): S<T>;
  /** rv at chain dof t, as it stands. */
  get(t: number): S<T>;
  set(t: number, x: S<T>): void;
}

/** rv += W^T lambda along a chain of len dofs (applyImpulses: each entry row by row). */
export function contactImpulseSym<T>(ops: SymOps<T>, len: number, io: ContactImpulseIo<T>): void {
  for (let t = 0; t < len; t++) {
    let x = io.get(t);
    for (let r = 0; r < 3; r++) x = ops.fma(x, io.W(t, r), io.lambda(r));
    io.set(t, x);
  }
}
