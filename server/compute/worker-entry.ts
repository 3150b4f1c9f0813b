/**
 * The thread side of a worker pool (worker-thread.ts): a job kind's entry module calls
 * `serve(handle)` once. Every call is answered under its id with what `handle` returns (or
 * resolves to), or with its error in control/errors.ts's wire form (a typed planner error keeps
 * its class and field on the other side). `call.emit` sends events for the call before its
 * answer (iterations); `call.signal` aborts when the caller cancels. Calls are handled as they
 * arrive: a job kind that must serialize them chains its own work.
 */
import { parentPort, type TransferListItem } from 'node:worker_threads';
import { errorToWire } from '../control/errors.ts';
import type { ThreadAnswer, ThreadCall } from './worker-thread.ts';

export interface CallContext {
  readonly id: number;
  /** Aborted when the caller cancels this call. */
  readonly signal: AbortSignal;
  emit(value: unknown, transfer?: readonly TransferListItem[]): void;
}

export function serve<In>(handle: (msg: In, call: CallContext) => unknown): void {
  if (!parentPort) throw new Error(`${process.argv[1] ?? 'a worker entry'}: must run in a worker thread`);
  const port = parentPort;
  const running = new Map<number, AbortController>();
  const answer = (m: ThreadAnswer) => { running.delete(m.id); port.postMessage(m); };
  port.on('message', (m: ThreadCall<In>) => {
    if ('cancel' in m) { running.get(m.id)?.abort(); return; }
    const id = m.id;
    const ac = new AbortController();
    running.set(id, ac);
    const ctx: CallContext = {
      id, signal: ac.signal,
      emit: (value, transfer) => port.postMessage({ id, kind: 'event', value } satisfies ThreadAnswer, transfer),
    };
    let out: unknown;
    try {
      out = handle(m.msg, ctx);
    } catch (e) {
      answer({ id, kind: 'error', error: errorToWire(e) });
      return;
    }
    if (out instanceof Promise) {
      out.then((value: unknown) => answer({ id, kind: 'done', value }), (e: unknown) => answer({ id, kind: 'error', error: errorToWire(e) }));
    } else {
      answer({ id, kind: 'done', value: out });
    }
  });
  port.postMessage({ id: 0, kind: 'booted' } satisfies ThreadAnswer);
}
