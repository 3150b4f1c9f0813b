/**
 * MuJoCo, the benchmarks' peer, in a thread of its own.
 *
 * Why a thread: MuJoCo's WebAssembly memory grows while models are built, and growing a
 * WebAssembly memory detaches its old ArrayBuffer. The first detached ArrayBuffer in a V8
 * isolate invalidates a process-wide assumption of the optimizing compiler (the
 * "array buffer detaching" protector), after which every typed-array access in optimized
 * code carries a detach check: measured, a Solo-12 `step` went from 5.3 to 7.0 µs for the
 * rest of the process (bench/RESULTS.md). In its own isolate MuJoCo cannot slow ours down,
 * and our numbers are those of a thread that never detaches a buffer, as the server's
 * simulating threads never do.
 */
import { Worker } from 'node:worker_threads';
import type { RemoteTimed } from './harness.ts';

export type PeerFunction = 'step' | 'forward' | 'restore';
type Reply = { kind: 'ready'; ncon: number } | { kind: 'value'; value: number } | { kind: 'error'; message: string };

export class MujocoPeer {
  private constructor(private readonly worker: Worker, readonly ncon: number) {}

  /** A thread holding mujocoSolo12ForBench(opts) (bench/mujoco-scene.ts). */
  static async start(opts: { contacts: boolean; timestep?: number }): Promise<MujocoPeer> {
    const worker = new Worker(new URL('../server/compute/worker-boot.mjs', import.meta.url), {
      workerData: { entry: new URL('./peer-thread.ts', import.meta.url).href, opts },
    });
    const reply = await next(worker).catch((e: Error) => ({ kind: 'error' as const, message: e.message }));
    if (reply.kind !== 'ready') {
      await worker.terminate(); // a thread left running would keep the process alive
      throw new Error(`MuJoCo peer thread: ${reply.kind === 'error' ? reply.message : 'unexpected reply'}`);
    }
    return new MujocoPeer(worker, reply.ncon);
  }

  /** The function fn of the peer, timed in its thread. */
  timed(fn: PeerFunction): RemoteTimed {
    return {
      warm: (warmupMs) => this.ask({ kind: 'warm', fn, warmupMs }),
      batch: (n) => this.ask({ kind: 'batch', fn, n }),
    };
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private async ask(msg: unknown): Promise<number> {
    const reply = next(this.worker);
    this.worker.postMessage(msg);
    const r = await reply;
    if (r.kind === 'error') throw new Error(`MuJoCo peer thread: ${r.message}`);
    if (r.kind !== 'value') throw new Error('MuJoCo peer thread: unexpected reply');
    return r.value;
  }
}

function next(worker: Worker): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Reply) => { cleanup(); resolve(m); };
    const onError = (e: Error) => { cleanup(); reject(e); };
    const onExit = (code: number) => { cleanup(); reject(new Error(`MuJoCo peer thread exited with code ${code}`)); };
    const cleanup = () => { worker.off('message', onMessage); worker.off('error', onError); worker.off('exit', onExit); };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}
