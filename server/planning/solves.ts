/**
 * Where a server's solves run, behind one contract: `plan(req)` resolves to the planner's
 * PlanResult, with `onIterate` called for every iteration while it runs and `signal` cancelling
 * it within one iteration. SolveThreads (this process's worker threads) and RemoteSolves
 * (server/cluster/: BullMQ jobs on `npm run worker` processes) implement it; PlanManager only
 * chooses one at construction.
 */
import type { PlanRequest, PlanResult } from './planner.ts';
import type { SolveWhere } from '../../shared/protocol.ts';

export interface SolveJob extends PlanRequest {
  /** Called when a worker starts the solve (again, with a higher attempt, if one died mid-job). */
  onStart?: (where: SolveWhere) => void;
}

export interface Solves {
  /** True when solves wait in a queue outside this process (they report 'queued' until onStart). */
  readonly remote: boolean;
  plan(req: SolveJob): Promise<PlanResult>;
  close(): Promise<void>;
}

/** plan() rejects with this when the signal cancelled the solve before any worker started it. */
export class NotStartedError extends Error {
  constructor() { super('cancelled before a worker started it'); }
}
