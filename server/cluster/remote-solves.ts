/**
 * RemoteSolves: the Solves contract (planning/solves.ts) on BullMQ. Each plan(req) is one job on
 * the `solves` queue, run by whichever `npm run worker` process takes it; the job's live channel
 * (Redis pub/sub, subscribed before the job is added) brings its start and every iterate back,
 * and the job's completion brings the result (codec.ts: exact doubles). A cancel sets the job's
 * cancel flag and publishes it: a running job stops within one iteration and returns its
 * cancelled plan; a job no worker has taken yet is removed (plan() rejects with NotStartedError).
 *
 * Completion is heard two ways: BullMQ's queue events, and a poll of the job's state every
 * `pollMs` (default 1 s), so a completion during a Redis restart is never missed. Connections
 * reconnect on their own (ioredis); a job accepted by Redis is kept across its restart.
 */
import { randomUUID } from 'node:crypto';
import { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { PlanResult } from '../planning/planner.ts';
import { NotStartedError, type SolveJob, type Solves } from '../planning/solves.ts';
import { errorFromWire, type WireError } from '../control/errors.ts';
import { PROTOCOL_VERSION, type SolveJobRequest } from '../../shared/protocol.ts';
import { CANCEL_TTL_S, PREFIX, QUEUE, cancelKeyOf, channelOf, connect, type LiveMessage } from './jobs.ts';
import { codeVersion } from './version.ts';
import { decode, encode } from './codec.ts';

interface Pending {
  req: SolveJob;
  resolve: (r: PlanResult) => void;
  reject: (e: Error) => void;
  /** Iterate callbacks run in order, one at a time; the result waits for them. */
  chain: Promise<void>;
  attempt: number;
  started: boolean;
  /** The outcome is known (resolve / reject may still wait for the iterates before it). */
  settled: boolean;
  /** Iterates still delivered. */
  live: boolean;
}

/** The job's failure as the planner's error (a typed request error keeps its class). */
export function failureOf(reason: string | undefined): Error {
  if (!reason) return new Error('the job failed without a reason');
  try {
    const w = JSON.parse(reason) as WireError;
    if (w && typeof w.kind === 'string' && typeof w.message === 'string') return errorFromWire(w);
  } catch { /* a plain message: BullMQ's own, e.g. a job that stalled too often */ }
  return new Error(reason);
}

export class RemoteSolves implements Solves {
  readonly remote = true;
  readonly queue: Queue;
  #events: QueueEvents;
  #cmd: Redis;
  #sub: Redis;
  #queueConn: Redis;
  #eventsConn: Redis;
  #pending = new Map<string, Pending>();
  #poll: NodeJS.Timeout;
  #closed = false;

  constructor(url: string, opts: { pollMs?: number } = {}) {
    this.#cmd = connect(url, 'rsddp-server');
    this.#sub = connect(url, 'rsddp-server-live');
    // connections made here are closed here (BullMQ leaves a connection it was given open)
    this.#queueConn = connect(url, 'rsddp-server-queue');
    this.#eventsConn = connect(url, 'rsddp-server-events');
    this.queue = new Queue(QUEUE, { connection: this.#queueConn, prefix: PREFIX });
    this.queue.on('error', () => undefined);
    this.#events = new QueueEvents(QUEUE, { connection: this.#eventsConn, prefix: PREFIX });
    this.#events.on('error', () => undefined);
    this.#events.on('completed', ({ jobId, returnvalue }) => this.#complete(jobId, returnvalue as unknown));
    this.#events.on('failed', ({ jobId, failedReason }) => this.#fail(jobId, failureOf(failedReason)));
    this.#sub.on('message', (channel: string, text: string) => this.#live(channel, text));
    this.#poll = setInterval(() => void this.#check(), opts.pollMs ?? 1000);
    this.#poll.unref();
  }

  /** Resolves once Redis answers (the server refuses to start without it). */
  async ready(timeoutMs = 10_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs / 1000} s`)), timeoutMs); });
    try {
      await Promise.race([Promise.all([this.#cmd.ping(), this.queue.waitUntilReady(), this.#events.waitUntilReady()]), timeout]);
    } finally { clearTimeout(timer); }
  }

  /** Solves submitted and not yet started by a worker. */
  get waiting(): number {
    let n = 0;
    for (const p of this.#pending.values()) if (!p.started) n++;
    return n;
  }

  async plan(req: SolveJob): Promise<PlanResult> {
    if (this.#closed) throw new Error('remote solves are closed');
    const id = randomUUID();
    const request: SolveJobRequest = {
      task: req.task, params: (req.params ?? {}) as SolveJobRequest['params'], solver: req.solver,
      solverParams: (req.solverParams ?? {}) as SolveJobRequest['solverParams'],
      ...(req.warmStart ? { warmStart: req.warmStart } : {}), ...(req.feedbackGains ? { feedbackGains: true } : {}),
    };
    const done = new Promise<PlanResult>((resolve, reject) => {
      this.#pending.set(id, { req, resolve, reject, chain: Promise.resolve(), attempt: 0, started: false, settled: false, live: true });
    });
    // settled possibly before it is awaited below (a cancel or close while the job is added)
    done.catch(() => undefined);
    await this.#sub.subscribe(channelOf(id));
    const signal = req.signal;
    const onAbort = () => void this.#cancel(id);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await this.queue.add('solve', { protocol: PROTOCOL_VERSION, code: codeVersion(), request }, {
        jobId: id, attempts: 1, removeOnComplete: { age: 3600 }, removeOnFail: { age: 24 * 3600 },
      });
      if (signal?.aborted) void this.#cancel(id);
      return await done;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.#pending.delete(id);
      void this.#sub.unsubscribe(channelOf(id)).catch(() => undefined);
    }
  }

  async #cancel(id: string): Promise<void> {
    const key = cancelKeyOf(id);
    await this.#cmd.multi().set(key, '1', 'EX', CANCEL_TTL_S).publish(key, '1').exec();
    // a job still waiting is taken off the queue; an active one is locked and stays
    const job = await Job.fromId(this.queue, id);
    if (!job) return;
    try {
      await job.remove();
    } catch {
      return;
    }
    this.#fail(id, new NotStartedError());
  }

  #live(channel: string, text: string): void {
    const id = channel.slice(channelOf('').length);
    const p = this.#pending.get(id);
    if (!p || !p.live) return;
    const m = decode<LiveMessage>(text);
    if (m.kind === 'start') {
      if (m.attempt < p.attempt) return;
      p.attempt = m.attempt;
      p.started = true;
      p.req.onStart?.({ worker: m.worker, host: m.host, attempt: m.attempt });
      return;
    }
    // a dead worker's last iterates never overtake its successor's
    if (m.attempt !== p.attempt) return;
    const cb = p.req.onIterate;
    if (cb) p.chain = p.chain.then(() => cb(m.record, () => m.trajectory)).catch(() => undefined);
  }

  #complete(id: string, value: unknown): void {
    const p = this.#pending.get(id);
    if (!p || p.settled) return;
    p.settled = true;
    let result: PlanResult;
    try {
      result = decode<PlanResult>(value as string);
    } catch (e) {
      p.live = false;
      void p.chain.then(() => p.reject(new Error(`the job's result could not be read: ${(e as Error).message}`)));
      return;
    }
    // after this turn of the event loop: the job's last iterates were published before it
    // completed (at least one round trip earlier), but on another connection, whose data may be
    // read later in the same turn
    setImmediate(() => { p.live = false; void p.chain.then(() => p.resolve(result)); });
  }

  #fail(id: string, e: Error): void {
    const p = this.#pending.get(id);
    if (!p || p.settled) return;
    p.settled = true;
    p.live = false;
    void p.chain.then(() => p.reject(e));
  }

  /** Reads the state of every pending job: completions missed while Redis was away. */
  async #check(): Promise<void> {
    for (const id of [...this.#pending.keys()]) {
      try {
        // the state first (a few set lookups); the job's hash only once it has finished
        const state = await this.queue.getJobState(id);
        if (state !== 'completed' && state !== 'failed') continue;
        const job = await Job.fromId(this.queue, id);
        if (!job) continue;
        if (job.finishedOn && job.returnvalue !== null && job.returnvalue !== undefined && !job.failedReason) this.#complete(id, job.returnvalue);
        else if (job.finishedOn && job.failedReason) this.#fail(id, failureOf(job.failedReason));
      } catch { /* Redis away: the next poll */ }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#poll);
    for (const [id] of this.#pending) this.#fail(id, new Error('the server is shutting down'));
    // BullMQ's close waits for its connections to be ready: bounded, for a Redis that never was
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([this.#events.close(), this.queue.close()]),
      new Promise((resolve) => { timer = setTimeout(resolve, 2000); }),
    ]);
    clearTimeout(timer);
    for (const c of [this.#cmd, this.#sub, this.#queueConn, this.#eventsConn]) c.disconnect();
  }
}
