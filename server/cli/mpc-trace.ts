/**
 * npx tsx server/cli/mpc-trace.ts [solver=rddp] [seed=1] [steps=120] [every=2] [iterations=4]
 *     [polish=2] [warmup=30] [horizon=0.2] [gains=plan|none] [push=N] [pushStep=S] [noiseOnPush=1] [delay=D] [params=JSON]
 *
 * One closed-loop lift-leg run (world and receding-horizon planner in one thread, as
 * server/live/closed-loop.ts), traced per replan: the world's base height, the x of its orientation quaternion (about half the roll) and the lifted
 * foot height, the adopted plan's true cost, σ and iterations, its predicted foot and base
 * height at the horizon's end and its prediction of the foot two steps ahead (the state the
 * next replan starts from, a check of the plan/world indexing), and |x̄_0 − x| (the plan's start
 * state against the world's). gains=none applies the feed-forward only; noiseOnPush=1 restarts R-DDP's σ at σ0 when the push starts; delay=D adopts each plan
 * (after the first) D steps after the state it starts from, as a live session whose replans take
 * D steps of its clock (the world indexes the plan by step − plan.step). The investigation of
 * docs/live-mpc.md ran on it.
 */
import { createData } from '../dynamics/data.ts';
import { forwardKinematics, updateFramePlacements } from '../dynamics/kinematics.ts';
import { frameIndex } from '../model/model.ts';
import { getTask, resolveParams } from '../control/tasks/index.ts';
import { RecedingHorizonPlanner } from '../planning/mpc.ts';
import { LiveWorld } from '../live/world.ts';

const a: Record<string, string> = Object.fromEntries(process.argv.slice(2).map((s) => s.split('=') as [string, string]));
const num = (k: string, d: number) => {
  const v = Number(a[k] ?? d);
  if (!Number.isFinite(v)) { process.stderr.write(`mpc-trace: ${k} must be a number\n`); process.exit(1); }
  return v;
};
const solver = (a.solver ?? 'rddp') as 'ddp' | 'rddp';
if (solver !== 'ddp' && solver !== 'rddp') { process.stderr.write('mpc-trace: solver must be ddp or rddp\n'); process.exit(1); }
const steps = num('steps', 120), every = num('every', 2), pushF = num('push', 0), pushStep = num('pushStep', 60), delay = num('delay', 0);
// plans computed and not yet adopted (delay > 0: a plan from the state of step s is adopted at s + delay)
const pending: { at: number; plan: Awaited<ReturnType<RecedingHorizonPlanner['replan']>> }[] = [];
const def = getTask('lift-leg');
const params = resolveParams(def, { ...def.liveDefaults, ...(a.params ? JSON.parse(a.params) as Record<string, unknown> : {}), horizon: num('horizon', 0.2) });
const planner = new RecedingHorizonPlanner({
  task: 'lift-leg', params, solver,
  solverParams: { iterations: num('iterations', 4), polish: num('polish', 2), warmup: num('warmup', 30), samples: 16, sigma0: def.solverDefaults?.sigma0 ?? 0.5, estimator: 'zero', seed: num('seed', 1) },
});
const world = new LiveWorld(solver, 'lift-leg', planner.params);
const model = world.model, data = createData(model);
const foot = frameIndex(model, `${params.foot}_FOOT`);
const radius = world.built.target?.()?.radius ?? 0;
const footHeight = (x: ArrayLike<number>) => {
  forwardKinematics(model, data, Float64Array.from(x).subarray(0, model.nq));
  updateFramePlacements(model, data);
  return data.oMf[12 * foot + 11] - radius;
};
const f3 = (v: number) => v.toFixed(3);
process.stdout.write(`lift-leg ${solver}, ${JSON.stringify(planner.solverParams)}, holdWeight ${params.holdWeight}, baseWeight ${params.baseWeight}\n`);
for (let step = 0; step < steps; step++) {
  if (pushF && step === pushStep) {
    world.push(world.frameOf('base_link'), [0, pushF, 0], step + 10);
    if (a.noiseOnPush === '1') planner.restartNoise();
  }
  if (step % every === 0) {
    const plan = await planner.replan(world.x, step);
    if (a.gains === 'none') plan.K.fill(0);
    if (delay > 0 && step > 0) pending.push({ at: step + delay, plan });
    else world.plan = plan;
    const nx = plan.nx, T = plan.T;
    let start = 0;
    for (let i = 0; i < nx; i++) start = Math.max(start, Math.abs(plan.xs[i] - world.x[i]));
    const xT = plan.xs.subarray(T * nx, (T + 1) * nx);
    process.stdout.write(`t=${step} base ${f3(world.x[2])} qx ${f3(world.x[3])} foot ${f3(footHeight(world.x))} | plan cost ${plan.cost.toFixed(3)} σ ${plan.sigma.toFixed(3)} it ${plan.iterations}`
      + ` foot(T) ${f3(footHeight(xT))} base(T) ${f3(xT[2])} foot(+${every}) ${f3(footHeight(plan.xs.subarray(every * nx, (every + 1) * nx)))} |x̄0−x| ${start.toExponential(1)}\n`);
  }
  while (pending.length && pending[0].at <= step) world.plan = pending.shift()!.plan;
  world.step(step);
  if (!world.x.every((v) => Math.abs(v) < 1e3)) { process.stdout.write(`diverged at step ${step + 1}\n`); break; }
}
process.stdout.write(`end base ${f3(world.x[2])} foot ${f3(footHeight(world.x))}\n`);
