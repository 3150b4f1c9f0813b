/**
 * ClusterWorker: takes solve jobs off the BullMQ queue and runs each on this process's solve
 * threads (planning/thread-solves.ts), so that the event loop stays free to renew the job's
 * lock, publish iterates and hear cancels while the numerics run. Per job: the envelope's
 * protocol and code version must equal this worker's (else the job fails with a message naming
 * both, and is not retried), the request must pass the API's schema (shared/protocol.ts), then
 * 'start' and every iterate go out on the job's live channel and the result is the job's return
 * value. A cancel (flag + message) aborts the solve's signal: it stops within one iteration.
 *
 * A worker killed mid-job holds the job's lock until it expires (lockMs); another worker's
 * stall check then puts the job back on the queue and it runs again from the start, with the
 * same seed: the same result.
 */
import os from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { ThreadSolves } from '../planning/thread-solves.ts';
import { errorToWire } from '../control/errors.ts';
import { PROTOCOL_VERSION, SolveJobEnvelopeSchema, SolveJobRequestSchema, parseWith } from '../../shared/protocol.ts';
import { CANCEL_PATTERN, PREFIX, QUEUE, cancelKeyOf, channelOf, connect, type LiveMessage, type LockOptions } from './jobs.ts';
import { codeVersion } from './version.ts';
import { encode } from './codec.ts';

export interface ClusterWorkerOptions extends LockOptions {
  url: string;
  /** Jobs run at once, each on its own solve thread (default 1). */
  concurrency?: number;
  /** Shown in GET /api/plans as where a solve ran (default host:pid). */
  id?: string;
  log?: (line: string) => void;
  /**
   * Least interval between two iterates published for a job (default 50 ms, the server's own
   * WebSocket rate): the latest is always published, and before the result.
   */
  iterateIntervalMs?: number;
}

export class ClusterWorker {
  readonly id: string;
  readonly host = os.hostname();
  #worker: Worker;
  #cmd: Redis;
  #sub: Redis;
  #queueConn: Redis;
  #threads = new ThreadSolves();
  #running = new Map<string, AbortController>();
  #log: (line: string) => void;
  #interval: number;

  constructor(opts: ClusterWorkerOptions) {
    this.#interval = opts.iterateIntervalMs ?? 50;
    this.id = opts.id ?? `${this.host}:${process.pid}`;
    this.#log = opts.log ?? (() => undefined);
    this.#cmd = connect(opts.url, `rsddp-worker-${this.id}`);
    this.#sub = connect(opts.url, `rsddp-worker-${this.id}-cancel`);
    this.#sub.on('pmessage', (_p: string, channel: string) => {
      this.#running.get(channel.slice(cancelKeyOf('').length))?.abort();
    });
    void this.#sub.psubscribe(CANCEL_PATTERN);
    this.#queueConn = connect(opts.url, `rsddp-worker-${this.id}-queue`);
    this.#worker = new Worker(QUEUE, (job) => this.#run(job), {
      connection: this.#queueConn, prefix: PREFIX,
      concurrency: Math.max(1, opts.concurrency ?? 1),
      lockDuration: opts.lockMs ?? 30_000, stalledInterval: opts.stalledIntervalMs ?? 30_000, maxStalledCount: 3,
    });
    this.#worker.on('error', (e) => this.#log(`worker ${this.id}: ${e.message}`));
  }

  /** Resolves once connected to Redis and taking jobs. */
  async ready(): Promise<void> {
    // a refused password fails the ping at once (BullMQ's own wait would retry forever)
    await this.#cmd.ping();
    await this.#worker.waitUntilReady();
  }

  async #run(job: Job): Promise<string> {
    const env = parseWith(SolveJobEnvelopeSchema, job.data);
    if (!env.ok) throw new UnrecoverableError(wire(`job ${job.id}: not a solve job (${env.message})`));
    const { protocol, code } = env.value;
    if (protocol !== PROTOCOL_VERSION || code !== codeVersion()) {
      const msg = `worker ${this.id} refused job ${job.id}: it was submitted by protocol ${protocol}, code ${code}; this worker runs protocol ${PROTOCOL_VERSION}, code ${codeVersion()} (run the same version of the project on the server and its workers)`;
      this.#log(msg);
      throw new UnrecoverableError(wire(msg));
    }
    const parsed = parseWith(SolveJobRequestSchema, env.value.request);
    if (!parsed.ok) throw new UnrecoverableError(wire(`job ${job.id}: invalid request: ${parsed.message}`));
    const id = job.id!;
    const attempt = Math.max(1, job.attemptsStarted);
    const channel = channelOf(id);
    const ac = new AbortController();
    this.#running.set(id, ac);
    // published in order; the last is out before the job completes (the server drops iterates after the result)
    let sent: Promise<unknown> = Promise.resolve();
    const publish = (m: LiveMessage) => { sent = sent.then(() => this.#cmd.publish(channel, encode(m))).catch(() => undefined); return sent; };
    try {
      if (await this.#cmd.exists(cancelKeyOf(id))) ac.abort();
      await publish({ kind: 'start', worker: this.id, host: this.host, attempt });
      // also kept with the job: a server started again while it runs learns where from it
      await job.updateProgress({ worker: this.id, host: this.host, attempt }).catch(() => undefined);
      this.#log(`job ${id}: ${parsed.value.solver} on ${parsed.value.task} (attempt ${attempt})`);
      // throttled as the server throttles its WebSocket: a fast solve's iterations are ~1 ms
      let last = 0;
      let held: LiveMessage | null = null;
      const result = await this.#threads.plan({
        ...parsed.value, signal: ac.signal,
        onIterate: (record, traj) => {
          held = { kind: 'iterate', attempt, record, trajectory: traj() };
          const now = performance.now();
          if (now - last >= this.#interval) { last = now; void publish(held); held = null; }
        },
      });
      if (held) void publish(held);
      await sent;
      return encode(result);
    } catch (e) {
      throw new UnrecoverableError(JSON.stringify(errorToWire(e)));
    } finally {
      this.#running.delete(id);
    }
  }

  /** Stops taking jobs, lets the running ones finish, and disconnects. */
  async close(): Promise<void> {
    await this.#worker.close();
    await this.#threads.close();
    for (const c of [this.#cmd, this.#sub, this.#queueConn]) c.disconnect();
  }
}

const wire = (message: string) => JSON.stringify({ kind: 'Error', message });
