/**
 * The solver's flags, shared by the command lines that plan (plan.ts, experiment.ts): one table
 * for their parsing and help (args.ts), and the step from parsed flags to PlanRequest.solverParams.
 */
import { BACKEND_CHOICES, DERIVATIVES, ESTIMATORS } from '../../shared/protocol.ts';

export const SOLVER_FLAGS = {
  iterations: { type: 'number', integer: true, min: 1, help: 'iteration budget (default 60)' },
  samples: { type: 'number', integer: true, min: 1, help: 'R-DDP samples per knot (default 16)' },
  sigma0: { type: 'number', min: 0, help: "R-DDP initial noise on the controls (default: the task's)" },
  stateNoiseRatio: { type: 'number', min: 0, help: 'R-DDP noise on the state, relative to the controls' },
  estimator: { type: 'string', choices: ESTIMATORS, help: 'R-DDP estimator (default zero; server/control/estimators.ts)' },
  rule: { type: 'string', choices: ['continuation', 'sensitivity', 'decay'], help: 'R-DDP noise schedule (default continuation)' },
  backend: { type: 'string', choices: BACKEND_CHOICES, help: 'where derivatives are computed (default auto): cpu = this thread, workers = worker-thread pool, webgpu = R-DDP samples on the GPU (exact derivatives on the pool), auto = webgpu when a hardware adapter exists, else workers; the summary says which ran' },
  derivatives: { type: 'string', choices: DERIVATIVES, help: 'exact step Jacobians: analytic (default; finite differences for the steps the analytic path does not cover) or finite differences (the reference)' },
  workers: { type: 'number', integer: true, min: 0, help: 'worker threads for workers / webgpu (default: CPU cores - 1; the solver thread linearizes knots too)' },
} as const;

/** The solver flags given, as PlanRequest.solverParams (those left out take the planner's defaults). */
export function solverParamsOf(args: { [K in keyof typeof SOLVER_FLAGS]?: string | number }): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const k of Object.keys(SOLVER_FLAGS) as (keyof typeof SOLVER_FLAGS)[]) if (args[k] !== undefined) out[k] = args[k];
  return out;
}
