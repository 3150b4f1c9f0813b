/**
 * ClusterWorker: takes solve jobs and pose-fit jobs off their BullMQ queues and runs each on
 * this process's threads (planning/thread-solves.ts, perception/fit-threads.ts), so that the
 * event loop stays free to renew the job's lock, publish iterates and hear cancels while the
 * numerics run. Per job: the envelope's
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
import type { z } from 'zod';
import { ThreadSolves } from '../planning/thread-solves.ts';
import { FitThreads } from '../perception/fit-threads.ts';
import { fitJobFromWire, type FitJobIterate } from '../perception/fit-job.ts';
import { errorToWire } from '../control/errors.ts';
import { FitJobRequestSchema, JobEnvelopeSchema, PROTOCOL_VERSION, SolveJobRequestSchema, parseWith } from '../../shared/protocol.ts';
import { CANCEL_PATTERN, FIT_QUEUE, PREFIX, QUEUE, cancelKeyOf, channelOf, connect, type LiveMessage, type LockOptions, type SolveIterate } from './jobs.ts';
import { codeVersion } from './version.ts';
import { encode } from './codec.ts';

export interface ClusterWorkerOptions extends LockOptions {
  url: string;
  /** Jobs run at once per queue (solves, fits), each on its own thread (default 1). */
  concurrency?: number;
  /** Shown in GET /api/plans as where a solve ran (default host:pid). */
  id?: string;
  log?: (line: string) => void;
  /**
   * Least interval between two iterates published for a solve (default 50 ms, the server's own
   * WebSocket rate): the latest is always published, and before the result. A fit publishes
   * every iterate (the server records them all, as it does for its own fits).
   */
  iterateIntervalMs?: number;
}

/** How a worker runs one kind of job: its queue, its request's schema, and the run itself. */
interface JobKind<Req, I> {
  queue: string;
  /** "solve", "fit": named in errors. */
  what: string;
  schema: z.ZodType<Req>;
  /** Least interval between two published iterates (ms; 0: every one). */
  interval: number;
  describe(req: Req): string;
  run(req: Req, signal: AbortSignal, iterate: (it: I) => void): Promise<unknown>;
}

export class ClusterWorker {
  readonly id: string;
  readonly host = os.hostname();
  #workers: Worker[];
  #cmd: Redis;
  #sub: Redis;
  #queueConns: Redis[] = [];
  #solveThreads = new ThreadSolves();
  #fitThreads = new FitThreads();
  #running = new Map<string, AbortController>();
  #log: (line: string) => void;

  constructor(opts: ClusterWorkerOptions) {
    this.id = opts.id ?? `${this.host}:${process.pid}`;
    this.#log = opts.log ?? (() => undefined);
    this.#cmd = connect(opts.url, `rsddp-worker-${this.id}`);
    this.#sub = connect(opts.url, `rsddp-worker-${this.id}-cancel`);
    this.#sub.on('pmessage', (_p: string, channel: string) => {
      this.#running.get(channel.slice(cancelKeyOf('').length))?.abort();
    });
    void this.#sub.psubscribe(CANCEL_PATTERN);
    const solves: JobKind<z.infer<typeof SolveJobRequestSchema>, SolveIterate> = {
      queue: QUEUE, what: 'solve', schema: SolveJobRequestSchema, interval: opts.iterateIntervalMs ?? 50,
      describe: (req) => `${req.solver} on ${req.task}`,
      run: (req, signal, iterate) => this.#solveThreads.plan({ ...req, signal, onIterate: (record, traj) => iterate({ record, trajectory: traj() }) }),
    };
    const fits: JobKind<z.infer<typeof FitJobRequestSchema>, FitJobIterate> = {
      queue: FIT_QUEUE, what: 'fit', schema: FitJobRequestSchema, interval: 0,
      describe: (req) => `${req.method} fit of ${req.object} at ${req.size} px`,
      run: (req, signal, iterate) => this.#fitThreads.run(fitJobFromWire(req), iterate, signal),
    };
    this.#workers = [this.#serve(solves, opts), this.#serve(fits, opts)];
  }

  #serve<Req, I>(kind: JobKind<Req, I>, opts: ClusterWorkerOptions): Worker {
    const conn = connect(opts.url, `rsddp-worker-${this.id}-${kind.queue}`);
    this.#queueConns.push(conn);
    const w = new Worker(kind.queue, (job) => this.#run(kind, job), {
      connection: conn, prefix: PREFIX,
      concurrency: Math.max(1, opts.concurrency ?? 1),
      lockDuration: opts.lockMs ?? 30_000, stalledInterval: opts.stalledIntervalMs ?? 30_000, maxStalledCount: 3,
    });
    w.on('error', (e) => this.#log(`worker ${this.id}: ${e.message}`));
    return w;
  }

  /** Resolves once connected to Redis and taking jobs. */
  async ready(): Promise<void> {
    // a refused password fails the ping at once (BullMQ's own wait would retry forever)
    await this.#cmd.ping();
    await Promise.all(this.#workers.map((w) => w.waitUntilReady()));
  }

  async #run<Req, I>(kind: JobKind<Req, I>, job: Job): Promise<string> {
    const env = parseWith(JobEnvelopeSchema, job.data);
    if (!env.ok) throw new UnrecoverableError(wire(`job ${job.id}: not a ${kind.what} job (${env.message})`));
    const { protocol, code } = env.value;
    if (protocol !== PROTOCOL_VERSION || code !== codeVersion()) {
      const msg = `worker ${this.id} refused job ${job.id}: it was submitted by protocol ${protocol}, code ${code}; this worker runs protocol ${PROTOCOL_VERSION}, code ${codeVersion()} (run the same version of the project on the server and its workers)`;
      this.#log(msg);
      throw new UnrecoverableError(wire(msg));
    }
    const parsed = parseWith(kind.schema, env.value.request);
    if (!parsed.ok) throw new UnrecoverableError(wire(`job ${job.id}: invalid request: ${parsed.message}`));
    const id = job.id!;
    const attempt = Math.max(1, job.attemptsStarted);
    const channel = channelOf(id);
    const ac = new AbortController();
    this.#running.set(id, ac);
    // published in order; the last is out before the job completes (the server drops iterates after the result)
    let sent: Promise<unknown> = Promise.resolve();
    const publish = (m: LiveMessage<I>) => { sent = sent.then(() => this.#cmd.publish(channel, encode(m))).catch(() => undefined); return sent; };
    try {
      if (await this.#cmd.exists(cancelKeyOf(id))) ac.abort();
      await publish({ kind: 'start', worker: this.id, host: this.host, attempt });
      // also kept with the job: a server started again while it runs learns where from it
      await job.updateProgress({ worker: this.id, host: this.host, attempt }).catch(() => undefined);
      this.#log(`job ${id}: ${kind.describe(parsed.value)} (attempt ${attempt})`);
      // throttled as the server throttles its WebSocket: a fast solve's iterations are ~1 ms
      let last = 0;
      let held: LiveMessage<I> | null = null;
      const result = await kind.run(parsed.value, ac.signal, (payload) => {
        held = { kind: 'iterate', attempt, payload };
        const now = performance.now();
        if (now - last >= kind.interval) { last = now; void publish(held); held = null; }
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
    await Promise.all(this.#workers.map((w) => w.close()));
    await Promise.all([this.#solveThreads.close(), this.#fitThreads.close()]);
    for (const c of [this.#cmd, this.#sub, ...this.#queueConns]) c.disconnect();
  }
}

const wire = (message: string) => JSON.stringify({ kind: 'Error', message });
