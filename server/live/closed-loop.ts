/**
 * Closed-loop MPC without a clock: a world and its receding-horizon planner in one thread,
 * replanning every `replanEvery` steps from the world's state and adopting each plan at once
 * (no computation delay: the behaviour of the controller itself, apart from the machine that
 * runs it). Pushes are applied at given steps. Used by the push-recovery study
 * (server/cli/mpc-study.ts) and reproducible bit for bit given the seed.
 */
import { RecedingHorizonPlanner, type MpcSolverParams } from '../planning/mpc.ts';
import type { SolverKind } from '../planning/planner.ts';
import { LiveWorld } from './world.ts';

export interface ClosedLoopPush { step: number; body: string; force: [number, number, number]; steps: number }

export interface ClosedLoopOptions {
  task: string;
  params: Record<string, unknown>;
  solver: SolverKind;
  solverParams: MpcSolverParams;
  steps: number;
  replanEvery: number;
  pushes: ClosedLoopPush[];
}

export interface ClosedLoopRun {
  /** States after each step (steps + 1 with the initial one), as [q; v]. */
  xs: Float64Array[];
  /** σ and solve time of each replan. */
  sigmas: number[];
  solveMs: number[];
  /** Set when the world diverged or the planner failed: the run stops there. */
  error: string | null;
}

export async function runClosedLoop(o: ClosedLoopOptions): Promise<ClosedLoopRun> {
  const planner = new RecedingHorizonPlanner({ task: o.task, params: o.params, solver: o.solver, solverParams: o.solverParams });
  const world = new LiveWorld(o.solver, o.task, planner.params);
  const xs = [Float64Array.from(world.x)];
  const sigmas: number[] = [], solveMs: number[] = [];
  let error: string | null = null;
  for (let step = 0; step < o.steps; step++) {
    try {
      if (step % o.replanEvery === 0) {
        const plan = await planner.replan(world.x, step);
        world.plan = plan;
        sigmas.push(plan.sigma);
        solveMs.push(plan.solveMs);
      }
      for (const p of o.pushes) {
        if (p.step !== step) continue;
        const frame = world.frameOf(p.body);
        if (frame < 0) throw new Error(`no body or frame '${p.body}'`);
        world.push(frame, p.force, step + p.steps);
      }
      world.step(step);
      if (!world.x.every((x) => Math.abs(x) < 1e3)) throw new Error(`the state diverged at step ${step + 1}`);
    } catch (e) {
      error = (e as Error).message;
      break;
    }
    xs.push(Float64Array.from(world.x));
  }
  return { xs, sigmas, solveMs, error };
}
