/**
 * Thread side of FitThreads (fit-threads.ts): runs one method of a pose fit per call
 * (fit-job.ts), emitting every iteration; the answer is the result. A cancel is a flag in
 * shared memory, read before each render, so it is honoured within one iteration without the
 * thread taking messages.
 */
import { runFitJob, type FitJob } from '../fit-job.ts';
import { serve } from '../../compute/worker-entry.ts';

export type FitThreadIn = { job: FitJob; cancel: SharedArrayBuffer };

serve<FitThreadIn>((m, call) => {
  const flag = new Int32Array(m.cancel);
  return runFitJob(m.job, (it) => call.emit(it), () => Atomics.load(flag, 0) !== 0);
});
