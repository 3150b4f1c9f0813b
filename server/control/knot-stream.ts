/**
 * Waiting for a streaming provider's knot (problem.ts LinearizationProvider.streaming): the
 * first backward pass of an iteration runs from the last knot while the provider's threads
 * still linearize the earlier ones. Instead of waiting, this thread linearizes knots itself
 * when the provider offers them (assist). Rejects with the provider's error if it fails, and
 * if it ends without writing the knot.
 */
import type { LinearizationProvider } from './problem.ts';

/** Atomics.waitAsync (Node >= 16; typed in TypeScript's ES2024 lib only). */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, index: number, value: number): { async: boolean; value: Promise<string> | string };
}).waitAsync;

/** Resolves once ready[t] is set (Atomics), linearizing offered knots meanwhile. */
export async function knotReady(ready: Int32Array, t: number, linearized: Promise<void>, provider: LinearizationProvider): Promise<void> {
  while (Atomics.load(ready, t) === 0) {
    if (provider.assist?.()) continue;
    const w = waitAsync(ready, t, 0);
    // the provider's end (or failure, which rethrows here) also ends the wait
    if (w.async) await Promise.race([w.value, linearized]);
    if (Atomics.load(ready, t) === 0) throw new Error(`streaming linearization ended without writing knot ${t}`);
  }
}
