/**
 * Where a server's pose-fit runs go, behind one contract (as planning/solves.ts for solves):
 * FitThreads (this process's worker threads) and RemoteFits (server/cluster/: BullMQ jobs on
 * `npm run worker` processes). The FitManager (api/fits.ts) chooses one at construction.
 */
import type { SolveWhere } from '../../shared/protocol.ts';
import type { FitJob, FitJobIterate, FitJobResult } from './fit-job.ts';

export interface FitRunner {
  /** True when runs wait in a queue outside this process (they stay 'queued' until onStart). */
  readonly remote: boolean;
  /**
   * Runs one method of a fit; `signal` cancels it (the result then says cancelled; a remote run
   * no worker had started rejects with NotStartedError). `onStart` says where it runs (remote).
   */
  run(job: FitJob, onIterate: (it: FitJobIterate) => void, signal?: AbortSignal, onStart?: (where: SolveWhere) => void): Promise<FitJobResult>;
  close(): Promise<void>;
}
