/**
 * A small tracing emitter of straight-line WGSL: algorithms written in TypeScript over `V`
 * values (a compile-time number, or the name of a WGSL f32 value) emit one `let` per
 * operation, with constant folding (x + 0, x * 1, x * 0, constant ⊕ constant), so that the
 * model's structure (tree, joint axes, inertias, collision shapes) unrolls into code where
 * every index is static and every model number is a literal.
 *
 * Why: Mesa's software Vulkan driver (lavapipe) compiles every memory access at a run-time
 * address into a bounds-checked per-lane loop, and dynamically indexed private arrays into
 * if-ladders; a kernel with a few hundred such accesses took minutes to compile (measured:
 * 100 divergent storage loads+stores ~9 s, 400 ~75 s). Straight-line code over registers
 * compiles in seconds, and on a GPU it is the register-resident form one wants anyway.
 */
export type V = number | string;
/** A boolean: a compile-time value or the name of a WGSL bool. */
export type B = boolean | string;

export function lit(x: number): string {
  if (Number.isNaN(x)) throw new Error('trace: NaN constant');
  if (!Number.isFinite(x)) return x > 0 ? '3.0e38' : '-3.0e38';
  const f = Math.fround(x);
  if (f === 0) return '0.0';
  let s = f.toPrecision(9);
  if (!s.includes('.') && !s.includes('e')) s += '.0';
  if (s.includes('e') && !s.includes('.')) s = s.replace('e', '.0e');
  return f < 0 ? `(${s})` : s;
}

const isNum = (a: V): a is number => typeof a === 'number';

export class Tracer {
  readonly lines: string[] = [];
  private k = 0;
  private indent = '  ';
  constructor(private readonly prefix = 't') {}

  private fresh(): string { return `${this.prefix}${this.k++}`; }
  s(a: V): string { return isNum(a) ? lit(a) : a; }
  emit(line: string): void { this.lines.push(this.indent + line); }
  let(expr: string): string { const n = this.fresh(); this.emit(`let ${n} = ${expr};`); return n; }
  letB(expr: string): string { const n = this.fresh(); this.emit(`let ${n} = ${expr};`); return n; }

  /** A mutable f32 variable initialised to v. */
  var(v: V, name?: string): string { const n = name ?? this.fresh(); this.emit(`var ${n}: f32 = ${this.s(v)};`); return n; }
  assign(name: string, v: V): void { this.emit(`${name} = ${this.s(v)};`); }
  /** Opens a block (`if (...) {`, `loop {`); close with end(). */
  open(head: string): void { this.emit(`${head} {`); this.indent += '  '; }
  end(): void { this.indent = this.indent.slice(2); this.emit('}'); }

  add(a: V, b: V): V {
    if (isNum(a) && isNum(b)) return a + b;
    if (a === 0) return b;
    if (b === 0) return a;
    return this.let(`${this.s(a)} + ${this.s(b)}`);
  }
  sub(a: V, b: V): V {
    if (isNum(a) && isNum(b)) return a - b;
    if (b === 0) return a;
    if (a === 0) return this.neg(b);
    return this.let(`${this.s(a)} - ${this.s(b)}`);
  }
  mul(a: V, b: V): V {
    if (isNum(a) && isNum(b)) return a * b;
    if (a === 0 || b === 0) return 0;
    if (a === 1) return b;
    if (b === 1) return a;
    if (a === -1) return this.neg(b);
    if (b === -1) return this.neg(a);
    return this.let(`${this.s(a)} * ${this.s(b)}`);
  }
  /**
   * a / b. A division by a compile-time zero folds to 0: in the traced algorithms it only
   * occurs in a branch that a select discards (the CPU code guards the same divisions), and
   * folding it to Infinity would poison other constants (Infinity × 0 = NaN).
   */
  div(a: V, b: V): V {
    if (b === 0) return 0;
    if (isNum(a) && isNum(b)) return a / b;
    if (a === 0) return 0;
    if (b === 1) return a;
    return this.let(`${this.s(a)} / ${this.s(b)}`);
  }
  neg(a: V): V { return isNum(a) ? -a : this.let(`-${a}`); }
  /** a + b c (fused in the emitted code as one expression). */
  fma(a: V, b: V, c: V): V {
    const p = isNum(b) && isNum(c) ? b * c : b === 0 || c === 0 ? 0 : null;
    if (p !== null) return this.add(a, p);
    if (a === 0) return this.mul(b, c);
    if (b === 1) return this.add(a, c);
    if (c === 1) return this.add(a, b);
    return this.let(`${this.s(a)} + ${this.s(b)} * ${this.s(c)}`);
  }
  /** Σ a_i b_i with folding. */
  dot(a: readonly V[], b: readonly V[]): V {
    let acc: V = 0;
    for (let i = 0; i < a.length; i++) acc = this.fma(acc, a[i], b[i]);
    return acc;
  }
  fn1(f: string, a: V, fold: (x: number) => number): V { return isNum(a) ? fold(a) : this.let(`${f}(${a})`); }
  sqrt(a: V): V { return this.fn1('sqrt', a, Math.sqrt); }
  cos(a: V): V { return this.fn1('cos', a, Math.cos); }
  sin(a: V): V { return this.fn1('sin', a, Math.sin); }
  abs(a: V): V { return this.fn1('abs', a, Math.abs); }
  max(a: V, b: V): V { return isNum(a) && isNum(b) ? Math.max(a, b) : this.let(`max(${this.s(a)}, ${this.s(b)})`); }
  min(a: V, b: V): V { return isNum(a) && isNum(b) ? Math.min(a, b) : this.let(`min(${this.s(a)}, ${this.s(b)})`); }
  atan2(a: V, b: V): V { return isNum(a) && isNum(b) ? Math.atan2(a, b) : this.let(`atan2(${this.s(a)}, ${this.s(b)})`); }

  cmp(op: '<' | '<=' | '>' | '>=' | '==' | '!=', a: V, b: V): B {
    if (isNum(a) && isNum(b)) {
      switch (op) {
        case '<': return a < b; case '<=': return a <= b; case '>': return a > b;
        case '>=': return a >= b; case '==': return a === b; default: return a !== b;
      }
    }
    return this.letB(`${this.s(a)} ${op} ${this.s(b)}`);
  }
  and(a: B, b: B): B {
    if (a === false || b === false) return false;
    if (a === true) return b;
    if (b === true) return a;
    return this.letB(`${a} && ${b}`);
  }
  or(a: B, b: B): B {
    if (a === true || b === true) return true;
    if (a === false) return b;
    if (b === false) return a;
    return this.letB(`${a} || ${b}`);
  }
  not(a: B): B { return typeof a === 'boolean' ? !a : this.letB(`!${a}`); }
  /** c ? a : b */
  sel(c: B, a: V, b: V): V {
    if (c === true) return a;
    if (c === false) return b;
    if (isNum(a) && isNum(b) && a === b) return a;
    return this.let(`select(${this.s(b)}, ${this.s(a)}, ${c})`);
  }
  bstr(b: B): string { return typeof b === 'boolean' ? String(b) : b; }

  // ---- 3-vectors and 3x3 matrices (row-major V[9]) ----
  v3add(a: readonly V[], b: readonly V[]): V[] { return [0, 1, 2].map((i) => this.add(a[i], b[i])); }
  v3sub(a: readonly V[], b: readonly V[]): V[] { return [0, 1, 2].map((i) => this.sub(a[i], b[i])); }
  v3scale(a: readonly V[], s: V): V[] { return [0, 1, 2].map((i) => this.mul(a[i], s)); }
  cross(a: readonly V[], b: readonly V[]): V[] {
    return [
      this.sub(this.mul(a[1], b[2]), this.mul(a[2], b[1])),
      this.sub(this.mul(a[2], b[0]), this.mul(a[0], b[2])),
      this.sub(this.mul(a[0], b[1]), this.mul(a[1], b[0])),
    ];
  }
  norm(a: readonly V[]): V { return this.sqrt(this.dot(a, a)); }
  /** R v */
  mv(R: readonly V[], v: readonly V[]): V[] { return [0, 1, 2].map((i) => this.dot([R[3 * i], R[3 * i + 1], R[3 * i + 2]], v)); }
  /** R^T v */
  mtv(R: readonly V[], v: readonly V[]): V[] { return [0, 1, 2].map((i) => this.dot([R[i], R[3 + i], R[6 + i]], v)); }
  /** A B */
  mm(A: readonly V[], B: readonly V[]): V[] {
    const out: V[] = [];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) out.push(this.dot([A[3 * i], A[3 * i + 1], A[3 * i + 2]], [B[j], B[3 + j], B[6 + j]]));
    return out;
  }
  transpose(A: readonly V[]): V[] { return [A[0], A[3], A[6], A[1], A[4], A[7], A[2], A[5], A[8]]; }
}
