/**
 * The MuJoCo scenes the benchmarks (bench/peer-thread.ts) and the peer's own tests use: paths of
 * the upstream example-robot-data robots beside the project, and Solo-12 standing on four foot
 * spheres under MuJoCo's default contact model. The adapter itself is server/peer/mujoco.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mujocoFromUrdf, type PeerModel } from '../server/peer/mujoco.ts';
import type { MjDataT, MjModelT, MujocoModule } from '../server/peer/mujoco-wasm.ts';

/** Repository root (this file is bench/mujoco-scene.ts). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** example-robot-data's robots/ folder (env EXAMPLE_ROBOT_DATA overrides). */
export function exampleRobotDataDir(): string {
  return (
    process.env.EXAMPLE_ROBOT_DATA ??
    path.resolve(REPO_ROOT, '../shared/robots/example-robot-data/robots')
  );
}

export const SOLO12_URDF = (): string =>
  path.join(exampleRobotDataDir(), 'solo_description/robots/solo12.urdf');
export const DOUBLE_PENDULUM_URDF = (): string =>
  path.join(exampleRobotDataDir(), 'double_pendulum_description/urdf/double_pendulum.urdf');


/** Solo-12 standing posture (project coordinates); foot-sphere bottoms ~3 mm above z = 0. */
export const SOLO12_STANDING_Q = [
  0, 0, 0.235, 0, 0, 0, 1, 0.1, 0.8, -1.6, -0.1, 0.8, -1.6, 0.1, -0.8, 1.6, -0.1, -0.8, 1.6,
];
export const SOLO12_FEET = ['FL_FOOT', 'FR_FOOT', 'HL_FOOT', 'HR_FOOT'];
export const SOLO12_FOOT_RADIUS = 0.016;

export interface MujocoBenchScene {
  peer: PeerModel;
  mj: MujocoModule;
  model: MjModelT;
  data: MjDataT;
  /** Restore the MuJoCo state captured after settling (qpos, qvel, warm start, time, ctrl). */
  restore(): void;
  /** Active contacts after settling (0 without contacts). */
  ncon: number;
  /** Steps of settling done. */
  settleSteps: number;
}

/**
 * Solo-12 with a free joint, for benchmarks. Without contacts: the reference import (no
 * constraints), state = standing posture with a non-zero velocity. With contacts: fixed links
 * fused (exactly), four foot spheres (r = 0.016) at the FOOT frames and a ground plane,
 * MuJoCo's default contact model (pyramidal cone, Newton solver, soft constraints), started in
 * the standing posture and stepped with a joint PD hold (kp 5, kd 0.05 about the posture)
 * until the four feet touch and a few steps more.
 */
export async function mujocoSolo12ForBench(opts: {
  contacts: boolean;
  timestep?: number;
  fuseStatic?: boolean;
}): Promise<MujocoBenchScene> {
  const urdf = readFileSync(SOLO12_URDF(), 'utf8');
  const timestep = opts.timestep ?? 0.001;
  const peer = await mujocoFromUrdf(urdf, {
    floating: true,
    timestep,
    fuseStatic: opts.fuseStatic ?? opts.contacts,
    contact: opts.contacts
      ? { geoms: SOLO12_FEET.map((link) => ({ link, type: 'sphere' as const, radius: SOLO12_FOOT_RADIUS })) }
      : undefined,
  });
  const { mj, model, data } = peer;
  const q0 = SOLO12_STANDING_Q;
  let settleSteps = 0;
  if (opts.contacts) {
    peer.setState(q0);
    const tau = new Float64Array(peer.nv);
    let touchedAt = -1;
    for (; settleSteps < 2000; settleSteps++) {
      const { q, v } = peer.getState();
      for (let i = 6; i < peer.nv; i++) tau[i] = 5 * (q0[i + 1] - q[i + 1]) - 0.05 * v[i];
      peer.step(q, v, tau, 1);
      if (touchedAt < 0 && data.ncon >= 4) touchedAt = settleSteps;
      if (touchedAt >= 0 && settleSteps >= touchedAt + 20) break;
    }
    if (data.ncon < 4) throw new Error(`Solo-12 did not settle on four contacts (ncon=${data.ncon})`);
  } else {
    const v = new Float64Array(peer.nv).map((_, i) => 0.1 * Math.sin(i + 1));
    peer.setState(q0, v);
  }
  mj.mj_forward(model, data);
  const saved = {
    qpos: Float64Array.from(data.qpos),
    qvel: Float64Array.from(data.qvel),
    warm: Float64Array.from(data.qacc_warmstart),
    time: data.time,
  };
  const ncon = data.ncon;
  return {
    peer,
    mj,
    model,
    data,
    ncon,
    settleSteps,
    restore() {
      data.qpos.set(saved.qpos);
      data.qvel.set(saved.qvel);
      data.qacc_warmstart.set(saved.warm);
      data.qfrc_applied.fill(0);
      data.time = saved.time;
    },
  };
}
