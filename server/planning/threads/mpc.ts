/**
 * Thread side of MpcThread (mpc-thread.ts): one RecedingHorizonPlanner (mpc.ts) per thread, so
 * that a live world's replans never hold the server's event loop. Calls are handled in order (a
 * parameter change or a reset waits for the replan in progress); the caller's cancel stops the
 * replan in progress between two iterations.
 */
import { RecedingHorizonPlanner, type MpcSetup } from '../mpc.ts';
import { serve } from '../../compute/worker-entry.ts';

export type MpcThreadIn =
  | { kind: 'init'; setup: MpcSetup }
  | { kind: 'replan'; x: Float64Array; step: number }
  | { kind: 'params'; params: Record<string, unknown> }
  | { kind: 'reset' };

let planner: RecedingHorizonPlanner | null = null;
let chain: Promise<unknown> = Promise.resolve();
const yieldMacrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

function handle(msg: MpcThreadIn, signal: AbortSignal): unknown {
  if (msg.kind === 'init') {
    planner = null;
    planner = new RecedingHorizonPlanner(msg.setup);
    return { T: planner.built.T, dt: planner.built.dt };
  }
  if (!planner) throw new Error('live planner thread: not initialized');
  if (msg.kind === 'params') { planner.setParams(msg.params); return undefined; }
  if (msg.kind === 'reset') { planner.reset(); return undefined; }
  return planner.replan(msg.x, msg.step, signal, yieldMacrotask);
}

serve<MpcThreadIn>((msg, call) => {
  const run = chain.then(() => handle(msg, call.signal));
  chain = run.catch(() => undefined);
  return run;
});
