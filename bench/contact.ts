/**
 * Contact simulation benchmarks on Solo-12 standing on four foot contacts (dt = 0.01 s):
 * `step` (one time step) with MuJoCo's mj_step on an equivalent model (same masses, foot
 * spheres of 0.016 m, ground plane) as the peer, and `linearize` (A, B of one knot).
 */
import { Linearizer } from '../server/dynamics/step-derivatives.ts';
import { staticEquilibrium } from '../server/dynamics/statics.ts';
import { Simulator } from '../server/dynamics/step.ts';
import { loadRobot, posture } from '../server/model/robots.ts';
import { MujocoPeer } from './peer.ts';
import { type BenchResult, quantile, timeInterleavedUs, timeMedianUs } from './harness.ts';

export const BENCH_DT = 0.01;

/** Solo-12 settled on its four feet under static-equilibrium torques and a PD hold. */
export function standingSolo(dt = BENCH_DT) {
  const { model, meta } = loadRobot('solo12');
  const sim = new Simulator(model, undefined, { dt });
  const q = posture(meta, model, 'standing');
  const qref = q.slice(7);
  const eq = staticEquilibrium(model, q, meta.contactFrames);
  const v = new Float64Array(model.nv);
  const u = new Float64Array(model.nu);
  for (let k = 0; k < Math.round(1 / dt); k++) {
    for (let i = 0; i < model.nu; i++) u[i] = eq.tau[i] + 2 * (qref[i] - q[7 + i]) - 0.05 * v[6 + i];
    sim.stepInto(q, v, u, q, v);
  }
  if (sim.info.contacts !== 4) throw new Error(`bench: Solo-12 did not settle on 4 contacts (${sim.info.contacts})`);
  return { model, meta, sim, q, v, u };
}

export async function contactBench(): Promise<BenchResult[]> {
  const { model, sim, q, v, u } = standingSolo();
  const q1 = new Float64Array(model.nq), v1 = new Float64Array(model.nv);
  // MuJoCo in a thread of its own (bench/peer.ts: its memory growth must not touch our isolate);
  // interleaved rounds (ours, MuJoCo's restore + mj_step, the restore alone): the speed-up is
  // the median of per-round ratios, each taken within a few milliseconds on the same machine state
  const mj = await MujocoPeer.start({ contacts: true, timestep: BENCH_DT });
  try {
    const t = await timeInterleavedUs([() => sim.stepInto(q, v, u, q1, v1), mj.timed('step'), mj.timed('restore')]);
    const stepTimes = t.rounds.map((r) => r[0]);
    const step = { median: t.medians[0], iqr: quantile(stepTimes, 0.75) - quantile(stepTimes, 0.25) };
    const peerStep = Math.max(0, t.medians[1] - t.medians[2]);
    const speedup = quantile(t.rounds.map((r) => Math.max(0, r[1] - r[2]) / r[0]), 0.5);

    const lin = new Linearizer(sim);
    const nx = 2 * model.nv;
    const A = new Float64Array(nx * nx), B = new Float64Array(nx * model.nu);
    const lt = timeMedianUs(() => lin.linearize(q, v, u, q1, v1, A, B), { batches: 41 });
    return [
      {
        name: 'step', median_us: step.median, iqr_us: step.iqr, target_us: 10,
        peer: `MuJoCo 3.3.8 mj_step (wasm), Solo-12 on 4 foot contacts (${mj.ncon} active), dt ${BENCH_DT}, state restore subtracted`,
        peer_median_us: peerStep, speedup_vs_peer: speedup, contacts: sim.info.contacts,
      },
      {
        name: 'linearize', median_us: lt.median, iqr_us: lt.iqr, target_us: 300,
        note: `A ${nx}x${nx}, B ${nx}x${model.nu} by forward differences (${2 * model.nv + model.nu + 1} step evaluations with reuse)`,
        peer: 'MuJoCo mj_step x (2nv + nu + 1) finite-difference evaluations (estimate)', peer_median_us: peerStep * (nx + model.nu + 1),
      },
    ];
  } finally {
    await mj.close();
  }
}
