/** Worker entry of bench/peer.ts: a MuJoCo Solo-12 scene whose functions it times on request. */
import { parentPort, workerData } from 'node:worker_threads';
import { mujocoSolo12ForBench } from './mujoco-scene.ts';
import { runner, warmUp, type Runner } from './harness.ts';

const port = parentPort!;
try {
  const scene = await mujocoSolo12ForBench(workerData.opts as { contacts: boolean; timestep?: number });
  const runs: Record<string, Runner> = {
    step: runner(() => { scene.restore(); scene.mj.mj_step(scene.model, scene.data); }),
    forward: runner(() => scene.mj.mj_forward(scene.model, scene.data)),
    restore: runner(() => scene.restore()),
  };
  port.on('message', (m: { kind: 'warm'; fn: string; warmupMs: number } | { kind: 'batch'; fn: string; n: number }) => {
    try {
      const run = runs[m.fn];
      if (!run) throw new Error(`unknown peer function ${m.fn}`);
      port.postMessage({ kind: 'value', value: m.kind === 'warm' ? warmUp(run, m.warmupMs) : run.batch(m.n) });
    } catch (e) {
      port.postMessage({ kind: 'error', message: (e as Error).message });
    }
  });
  port.postMessage({ kind: 'ready', ncon: scene.ncon });
} catch (e) {
  port.postMessage({ kind: 'error', message: (e as Error).stack ?? String(e) });
}
