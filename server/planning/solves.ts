/**
 * Where a server's solves run, behind one contract: `plan(req)` resolves to the planner's
 * PlanResult, with `onIterate` called for every iteration while it runs and `signal` cancelling
 * it within one iteration. ThreadSolves (this process's worker threads) and RemoteSolves
 * (server/cluster/: BullMQ jobs on `npm run worker` processes) implement it; PlanManager only
 * chooses one at construction.
 */
import type { PlanRequest, PlanResult } from './planner.ts';
import type { SolveJobOrigin, SolveJobRequest, SolveWhere } from '../../shared/protocol.ts';

export interface SolveJob extends PlanRequest {
  /** Called when a worker starts the solve (again, with a higher attempt, if one died mid-job). */
  onStart?: (where: SolveWhere) => void;
  /** Remote: the job's id (unique; default a random one) and which plan of which server it serves. */
  jobId?: string;
  origin?: SolveJobOrigin;
}

/** What a remote solve is following: the callbacks and signal of a SolveJob. */
export type SolveFollow = Pick<SolveJob, 'signal' | 'onIterate' | 'onStart'>;

/** A job a previous server submitted (Solves.adoptable). */
export interface AdoptableSolve {
  job: string;
  origin: SolveJobOrigin;
  request: SolveJobRequest;
  /** Its state in the queue ('waiting', 'active', 'completed', 'failed', ...). */
  state: string;
  /** Set once a server saw it to the end: its recording's id ('' when none). */
  settled: string | null;
}

export interface Solves {
  /** True when solves wait in a queue outside this process (they report 'queued' until onStart). */
  readonly remote: boolean;
  plan(req: SolveJob): Promise<PlanResult>;
  /**
   * Closes: local solves are cancelled by their signals beforehand; remote jobs are left to the
   * workers (a server started again picks them up, `adoptable`).
   */
  close(): Promise<void>;
  /** Remote: the jobs submitted under this instance name that are unsettled, with the settled ones of the same plans. */
  adoptable?(instance: string): Promise<AdoptableSolve[]>;
  /** Remote: follows a job already submitted (as plan() follows the one it submits); resolves at once when it has finished. */
  resume?(job: string, follow: SolveFollow): Promise<PlanResult>;
  /** Remote: resolves once every solve being submitted is in the queue (a stopping server hands them over). */
  drain?(): Promise<void>;
  /** Remote: the server has seen the job to the end (recorded as `recording`, '' when not). */
  settle?(job: string, recording: string): Promise<void>;
}

/** plan() rejects with this when the signal cancelled the solve before any worker started it. */
export class NotStartedError extends Error {
  constructor() { super('cancelled before a worker started it'); }
}
