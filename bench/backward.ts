/**
 * DDP's backward pass alone, one thread: the Riccati recursion (server/control/riccati.ts) over
 * Solo lift-leg's 100 knots (ndx 36, nu 12, box-bounded torques), on A, B and cost derivatives
 * from the true linearization of the standing start (analytic step Jacobians), μ = 1e-6.
 * Also the solver's memory per knot: the array buffers of a DdpSolver at 400 knots less one at
 * 50, over 350.
 */
import { DdpSolver } from '../server/control/ddp.ts';
import { BoxQP } from '../server/control/box-qp.ts';
import { createCostDerivatives } from '../server/control/cost.ts';
import { ExactLinearization } from '../server/control/derivative-providers.ts';
import { RiccatiPass, type RiccatiKnot } from '../server/control/riccati.ts';
import { getTask, resolveParams } from '../server/control/tasks/index.ts';
import { type BenchResult, timeMedianUs } from './harness.ts';

function liftLeg(horizon: number, dt = 0.01) {
  const def = getTask('lift-leg');
  return def.build(resolveParams(def, { horizon, dt }));
}

export async function backwardBench(): Promise<BenchResult[]> {
  const built = liftLeg(1);
  const { dynamics, T } = built;
  const ndx = 2 * dynamics.nv, nu = dynamics.nu;
  const running = Array.isArray(built.running) ? built.running : new Array(T).fill(built.running);
  // the nominal: the initial guess rolled out
  const xs = Array.from({ length: T + 1 }, () => new Float64Array(dynamics.nq + dynamics.nv));
  const us = built.uInit.map((u) => Float64Array.from(u));
  xs[0].set(built.x0);
  for (let t = 0; t < T; t++) dynamics.step(xs[t], us[t], xs[t + 1]);
  const As = new Float64Array(T * ndx * ndx), Bs = new Float64Array(T * ndx * nu);
  new ExactLinearization(built.sim, 'analytic').linearize(xs, us, As, Bs);
  const derivs = Array.from({ length: T }, (_, t) => { const d = createCostDerivatives(ndx, nu); running[t].calcDiff(xs[t], us[t], d); return d; });
  const term = createCostDerivatives(ndx, nu);
  built.terminal.calcDiff(xs[T], null, term);
  const pass = new RiccatiPass(ndx, nu, new BoxQP(nu), 'control');
  const k = new Float64Array(T * nu), K = new Float64Array(T * nu * ndx), lb = new Float64Array(nu), ub = new Float64Array(nu);
  const lo = built.uLower, hi = built.uUpper;
  const knot: RiccatiKnot = { A: As, ao: 0, B: Bs, bo: 0, l: derivs[0], k, ko: 0, K, Ko: 0, lb, ub };
  const backward = () => {
    pass.reset(term.lx, term.lxx);
    for (let t = T - 1; t >= 0; t--) {
      knot.ao = t * ndx * ndx; knot.bo = t * ndx * nu; knot.l = derivs[t]; knot.ko = t * nu; knot.Ko = t * nu * ndx;
      for (let a = 0; a < nu; a++) { lb[a] = (lo ? lo[a] : -Infinity) - us[t][a]; ub[a] = (hi ? hi[a] : Infinity) - us[t][a]; }
      if (!pass.knot(knot, 1e-6)) throw new Error(`bench: Quu not positive definite at knot ${t}`);
    }
  };
  const bw = timeMedianUs(backward, { batches: 31, warmupMs: 1000 });

  const bytes = (h: number, dt: number) => {
    const b = liftLeg(h, dt);
    const before = process.memoryUsage().arrayBuffers;
    const s = new DdpSolver({ dynamics: b.dynamics, running: b.running, terminal: b.terminal, x0: b.x0, T: b.T, uLower: b.uLower, uUpper: b.uUpper });
    const after = process.memoryUsage().arrayBuffers;
    return { bytes: after - before, T: s.T };
  };
  const m50 = bytes(0.5, 0.01), m400 = bytes(2, 0.005); // lift-leg's horizon is at most 3 s
  const perKnot = (m400.bytes - m50.bytes) / (m400.T - m50.T);
  return [
    {
      name: 'backward_pass', median_us: bw.median, iqr_us: bw.iqr, target_us: 3000, per_knot_us: bw.median / T,
      note: `Solo lift-leg, ${T} knots (ndx ${ndx}, nu ${nu}, box-bounded), one thread: the Riccati recursion alone (riccati.ts)`,
    },
    {
      name: 'ddp_memory_per_knot', median_us: 0, bytes_per_knot: Math.round(perKnot),
      note: `DdpSolver array buffers per knot (${m50.T} vs ${m400.T} knots): A, B, gains, Quu, Qu, cost derivatives, states and controls`,
    },
  ];
}
