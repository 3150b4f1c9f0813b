/**
 * One worker thread of the project's pools (linearization-pool.ts, batch-workers.ts): loads a
 * TypeScript entry through worker-boot.mjs, answers one request at a time ('ready' / 'done' /
 * 'error' replies), keeps the process alive only while it has work, and can be restarted with
 * its init message (plus any messages to replay) after it died.
 */
import { Worker } from 'node:worker_threads';

type Reply = { kind: 'ready' } | { kind: 'done' } | { kind: 'error'; message: string };

export class ThreadWorker<Msg> {
  worker!: Worker;
  private pending: { resolve: () => void; reject: (e: Error) => void } | null = null;
  /** Messages re-sent after the init message when the thread is restarted. */
  replay: Msg[] = [];

  /** entry: the module URL (relative to server/compute/); name: for error messages. */
  constructor(private readonly entry: URL, private readonly name: string, private readonly init: Msg) {
    this.spawn();
  }

  private spawn(): void {
    this.worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), { workerData: { entry: this.entry.href } });
    this.worker.unref();
    this.worker.on('message', (m: Reply) => {
      const p = this.pending;
      this.pending = null;
      if (!p) return;
      if (m.kind === 'error') p.reject(new Error(m.message));
      else p.resolve();
    });
    // events of a thread already replaced (restart) concern nobody
    const w = this.worker;
    const fail = (e: Error) => { if (this.worker !== w) return; const p = this.pending; this.pending = null; p?.reject(e); };
    this.alive = true;
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => {
      if (this.worker !== w) return;
      this.alive = false;
      fail(new Error(`${this.name} exited with code ${code}`));
    });
  }

  /** False once the thread has exited (a request then fails at once, and restart() replaces it). */
  alive = false;

  /** Sends one message and waits for its reply; the thread is ref'd meanwhile. */
  request(msg: Msg): Promise<void> {
    if (!this.alive) return Promise.reject(new Error(`${this.name} is not running`));
    this.worker.ref();
    return new Promise<void>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(msg);
    }).finally(() => this.worker.unref());
  }

  /** A fresh thread in place of this one, initialized as the first was. */
  async restart(): Promise<void> {
    await this.worker.terminate().catch(() => undefined);
    this.spawn();
    await this.request(this.init);
    for (const m of this.replay) await this.request(m);
  }
}
