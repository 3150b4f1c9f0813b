/**
 * A fit thread (fit-threads.ts): runs one method of a pose fit at a time (fit-job.ts), posting
 * every iteration and the result. A cancel is a flag in shared memory, read before each
 * render, so it is honoured within one iteration without the thread taking messages.
 */
import { parentPort } from 'node:worker_threads';
import { runFitJob, type FitJob } from './fit-job.ts';

export type FitWorkerIn = { kind: 'run'; id: number; job: FitJob; cancel: SharedArrayBuffer };

parentPort!.on('message', (m: FitWorkerIn) => {
  const flag = new Int32Array(m.cancel);
  runFitJob(m.job, (it) => parentPort!.postMessage({ kind: 'iterate', id: m.id, it }), () => Atomics.load(flag, 0) !== 0)
    .then((result) => parentPort!.postMessage({ kind: 'result', id: m.id, result }))
    .catch((e: unknown) => parentPort!.postMessage({ kind: 'error', id: m.id, message: (e as Error)?.message ?? String(e) }));
});
