/**
 * Worker side of SolveThreads: runs whole plans (planner.ts `plan`) off the server's event
 * loop, one at a time. Receives { kind: 'solve', id, request } and { kind: 'cancel', id };
 * posts { kind: 'iterate', id, record, trajectory } after every iteration, then
 * { kind: 'result', id, result } or { kind: 'error', id, error } (control/errors.ts's wire form, so
 * a typed planner error keeps its class and field on the other side).
 */
import { parentPort } from 'node:worker_threads';
import { plan, type PlanRequest } from './planner.ts';
import { errorToWire } from '../control/errors.ts';

export type SolveRequest = Omit<PlanRequest, 'onIterate' | 'signal'>;
export type SolveWorkerIn = { kind: 'solve'; id: number; request: SolveRequest } | { kind: 'cancel'; id: number };

if (!parentPort) throw new Error('solve-worker must run in a worker thread');
const port = parentPort;
const running = new Map<number, AbortController>();

port.on('message', (msg: SolveWorkerIn) => {
  if (msg.kind === 'cancel') { running.get(msg.id)?.abort(); return; }
  const ac = new AbortController();
  running.set(msg.id, ac);
  const id = msg.id;
  plan({
    ...msg.request,
    signal: ac.signal,
    onIterate: async (record, traj) => {
      port.postMessage({ kind: 'iterate', id, record, trajectory: traj() });
      // let a cancel message in between iterations
      await new Promise<void>((resolve) => setImmediate(resolve));
    },
  }).then(
    (result) => port.postMessage({ kind: 'result', id, result }),
    (e: unknown) => port.postMessage({ kind: 'error', id, error: errorToWire(e) }),
  ).finally(() => running.delete(id));
});
