/**
 * Worker side of MpcThread: one RecedingHorizonPlanner (mpc.ts) per worker thread, so that a
 * live world's replans never hold the server's event loop. Messages are handled in order (a
 * parameter change or a reset waits for the replan in progress), except `cancel`, which stops
 * the replan in progress between two iterations.
 */
import { parentPort } from 'node:worker_threads';
import { RecedingHorizonPlanner, type MpcSetup } from './mpc.ts';
import { errorToWire } from '../control/errors.ts';

export type MpcWorkerIn =
  | { kind: 'init'; id: number; setup: MpcSetup }
  | { kind: 'replan'; id: number; x: Float64Array; step: number }
  | { kind: 'cancel'; id: number }
  | { kind: 'params'; id: number; params: Record<string, unknown> }
  | { kind: 'reset'; id: number };

if (!parentPort) throw new Error('mpc-worker must run in a worker thread');
const port = parentPort;
let planner: RecedingHorizonPlanner | null = null;
let chain: Promise<void> = Promise.resolve();
let current: { id: number; ac: AbortController } | null = null;
const yieldMacrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

function handle(msg: Exclude<MpcWorkerIn, { kind: 'cancel' }>): Promise<void> | void {
  try {
    if (msg.kind === 'init') {
      planner = null;
      planner = new RecedingHorizonPlanner(msg.setup);
      port.postMessage({ kind: 'ready', id: msg.id, T: planner.built.T, dt: planner.built.dt });
      return;
    }
    if (!planner) throw new Error('mpc-worker: not initialized');
    if (msg.kind === 'params') { planner.setParams(msg.params); port.postMessage({ kind: 'done', id: msg.id }); return; }
    if (msg.kind === 'reset') { planner.reset(); port.postMessage({ kind: 'done', id: msg.id }); return; }
    const ac = new AbortController();
    current = { id: msg.id, ac };
    const p = planner;
    return p.replan(msg.x, msg.step, ac.signal, yieldMacrotask).then(
      (plan) => port.postMessage({ kind: 'plan', id: msg.id, plan }),
      (e: unknown) => port.postMessage({ kind: 'error', id: msg.id, error: errorToWire(e) }),
    ).finally(() => { current = null; });
  } catch (e) {
    port.postMessage({ kind: 'error', id: msg.id, error: errorToWire(e) });
  }
}

port.on('message', (msg: MpcWorkerIn) => {
  if (msg.kind === 'cancel') { if (current?.id === msg.id) current.ac.abort(); return; }
  chain = chain.then(() => handle(msg)).catch(() => undefined);
});
