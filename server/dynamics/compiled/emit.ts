/**
 * Model-specialized kernels: straight-line JavaScript generated once per model (tree
 * structure, dof indices and joint axes baked in as literals) and compiled with `new Function`,
 * the approach of code-generated dynamics (RobCoGen, Pinocchio's CasADi code generation).
 *
 * Why: on a 12-30 dof robot the generic loops run a few flops per iteration, and their cost is
 * loop control, index loads and mispredicted exits of variable-length inner loops rather than
 * arithmetic. Unrolled code for a fixed structure runs the same floating-point operations in
 * the same order without them: every kernel here is bit-for-bit equal to its generic twin
 * (tests assert exact equality), which stays the reference and the fallback.
 *
 * Safety: generated source holds only numbers and indices produced here, never text from a
 * URDF (names), so nothing a user supplies becomes code.
 */

/**
 * V8 optimizes functions up to about 60 KB of bytecode; past that a kernel would run in the
 * interpreter, slower than the generic loop. Larger sources are refused (callers fall back).
 */
export const MAX_KERNEL_SOURCE = 48_000;

/** A double as a JavaScript literal that reads back bit for bit (signed zero kept). */
export function lit(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`kernel generation: non-finite constant ${x}`);
  if (Object.is(x, -0)) return '(-0)';
  const s = String(x);
  return x < 0 ? `(${s})` : s;
}

/**
 * Compiles `body` as a function of `params` (strict mode), or returns null when the source is
 * too large to be optimized (the caller keeps its generic loop).
 */
export function compileKernel<F extends (...args: never[]) => unknown>(name: string, params: string[], body: string): F | null {
  if (body.length > MAX_KERNEL_SOURCE) return null;
  // the name only labels profiles; it is one of ours, checked to be an identifier
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`kernel generation: bad kernel name ${name}`);
  const source = `"use strict"; return function ${name}(${params.join(', ')}) {\n${body}\n};`;
  let fn = compiled.get(source);
  if (fn === undefined) {
    fn = (new Function(source))() as (...args: never[]) => unknown;
    compiled.set(source, fn);
  }
  return fn as F;
}

/**
 * One function per distinct source: V8 keeps type feedback and optimized code per function
 * object, so every Simulator, Linearizer or reloaded Model with the same structure shares
 * kernels that are already warm instead of tiering up fresh copies (hundreds of ms each).
 */
const compiled = new Map<string, (...args: never[]) => unknown>();

let enabled = true;

/**
 * Turns the generated kernels on or off process-wide (default on). Off, every dispatcher runs
 * its generic loop: tests compare whole simulations both ways, bit for bit.
 */
export function setCompiledKernels(on: boolean): void {
  enabled = on;
}

/** Whether dispatchers use the generated kernels. */
export function compiledKernelsEnabled(): boolean {
  return enabled;
}
