/**
 * Thread side of ThreadSolves (thread-solves.ts): runs whole plans (planner.ts `plan`) off the
 * server's event loop. A call is one plan: its iterations are emitted as events
 * ({ record, trajectory }), its answer is the PlanResult; the caller's cancel aborts it
 * between two iterations.
 */
import { plan, type PlanRequest } from '../planner.ts';
import { serve } from '../../compute/worker-entry.ts';

export type SolveRequest = Omit<PlanRequest, 'onIterate' | 'signal'>;

serve<SolveRequest>((request, call) => plan({
  ...request,
  signal: call.signal,
  onIterate: async (record, traj) => {
    call.emit({ record, trajectory: traj() });
    // let a cancel message in between iterations
    await new Promise<void>((resolve) => setImmediate(resolve));
  },
}));
