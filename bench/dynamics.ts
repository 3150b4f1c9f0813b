/**
 * Rigid-body algorithm benchmarks on Solo-12 with a free-flyer (18 dof), with MuJoCo's forward
 * dynamics (mj_forward, no contacts, official WebAssembly build) on the same robot as the peer.
 */
import { aba } from '../server/dynamics/aba.ts';
import { crba } from '../server/dynamics/crba.ts';
import { createData } from '../server/dynamics/data.ts';
import { rnea } from '../server/dynamics/rnea.ts';
import { loadRobot, posture } from '../server/model/robots.ts';
import { MujocoPeer } from './peer.ts';
import { type BenchResult, timeInterleavedUs, timeMedianUs } from './harness.ts';

export async function dynamicsBench(): Promise<BenchResult[]> {
  const { model, meta } = loadRobot('solo12');
  const data = createData(model);
  const q = posture(meta, model, 'standing');
  const v = new Float64Array(model.nv).map((_, i) => 0.3 * Math.sin(1.7 * i));
  const a = new Float64Array(model.nv).map((_, i) => Math.cos(0.9 * i));
  const tau = new Float64Array(model.nv).map((_, i) => 0.5 * Math.sin(2.3 * i));

  const rows: Array<[string, () => void, number]> = [
    ['aba', () => aba(model, data, q, v, tau), 4],
    ['rnea', () => rnea(model, data, q, v, a), 2],
    ['crba', () => crba(model, data, q), 4],
  ];
  const ours = rows.map(([, fn]) => timeMedianUs(fn));

  // MuJoCo timed afterwards, in its own thread (bench/peer.ts)
  const mj = await MujocoPeer.start({ contacts: false });
  const peer = await timeInterleavedUs([mj.timed('forward')]).then((t) => t.medians[0]).finally(() => mj.close());
  const peerName = 'MuJoCo 3.3.8 mj_forward (wasm), Solo-12 free-flyer, no contacts';
  return rows.map(([name, , target], i) => (
    { name, median_us: ours[i].median, iqr_us: ours[i].iqr, target_us: target, peer: peerName, peer_median_us: peer }
  ));
}
