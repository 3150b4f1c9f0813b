/**
 * JobClient: the server's side of one BullMQ queue, for any kind of job (solves, pose fits).
 * `follow(id, follow, submit)` subscribes to the job's live channel (Redis pub/sub) before the
 * job is added, so its start and every iterate come back in order, then resolves with the job's
 * result (codec.ts: exact doubles) once it completes. A cancel sets the job's cancel flag and
 * publishes it: a running job stops within one iteration and returns its cancelled result; a job
 * no worker has taken yet is removed (the follow rejects with NotStartedError).
 *
 * Completion is heard two ways: BullMQ's queue events, and a poll of the job's state every
 * `pollMs` (default 1 s), so a completion during a Redis restart is never missed. Connections
 * reconnect on their own (ioredis); a job accepted by Redis is kept across its restart.
 */
import { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { NotStartedError } from '../planning/solves.ts';
import { errorFromWire, type WireError } from '../control/errors.ts';
import type { SolveWhere } from '../../shared/protocol.ts';
import { CANCEL_TTL_S, PREFIX, cancelKeyOf, channelOf, connect, type LiveMessage } from './jobs.ts';
import { decode } from './codec.ts';

/** What the server follows of a job: where it started, its iterates, and a cancel. */
export interface JobFollow<I> {
  signal?: AbortSignal;
  /** Called when a worker starts the job (again, with a higher attempt, if one died mid-job). */
  onStart?: (where: SolveWhere) => void;
  /** Called in order, one at a time; the result waits for the last. */
  onIterate?: (it: I) => void | Promise<void>;
}

interface Pending<I, R> {
  follow: JobFollow<I>;
  resolve: (r: R) => void;
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

export class JobClient<I, R> {
  readonly queue: Queue;
  /** Commands (settle keys, cancels): the queue's own connections are BullMQ's. */
  readonly cmd: Redis;
  #events: QueueEvents;
  #sub: Redis;
  #queueConn: Redis;
  #eventsConn: Redis;
  #pending = new Map<string, Pending<I, R>>();
  #poll: NodeJS.Timeout;
  #closed = false;
  #lastError: string | null = null;
  #submitting = new Set<Promise<void>>();

  /** `name` names the connections in Redis's CLIENT LIST (e.g. rsddp-server, rsddp-server-fits). */
  constructor(url: string, queue: string, name: string, opts: { pollMs?: number } = {}) {
    this.cmd = connect(url, name);
    this.#sub = connect(url, `${name}-live`);
    // connections made here are closed here (BullMQ leaves a connection it was given open)
    this.#queueConn = connect(url, `${name}-queue`);
    this.#eventsConn = connect(url, `${name}-events`);
    this.queue = new Queue(queue, { connection: this.#queueConn, prefix: PREFIX });
    this.queue.on('error', () => undefined);
    this.#events = new QueueEvents(queue, { connection: this.#eventsConn, prefix: PREFIX });
    this.#events.on('error', () => undefined);
    this.#events.on('completed', ({ jobId, returnvalue }) => this.#complete(jobId, returnvalue as unknown));
    this.#events.on('failed', ({ jobId, failedReason }) => this.#fail(jobId, failureOf(failedReason)));
    this.#sub.on('message', (channel: string, text: string) => this.#live(channel, text));
    // the last connection error, named when Redis does not answer (a refused certificate, say)
    this.cmd.on('error', (e: Error) => { this.#lastError = e.message; });
    this.#poll = setInterval(() => void this.#check(), opts.pollMs ?? 1000);
    this.#poll.unref();
  }

  get closed(): boolean { return this.#closed; }

  /** Resolves once Redis answers (the server refuses to start without it). */
  async ready(timeoutMs = 10_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs / 1000} s${this.#lastError ? ` (last error: ${this.#lastError})` : ''}`)), timeoutMs); });
    try {
      await Promise.race([Promise.all([this.cmd.ping(), this.queue.waitUntilReady(), this.#events.waitUntilReady()]), timeout]);
    } finally { clearTimeout(timer); }
  }

  /** Jobs submitted and not yet started by a worker. */
  get waiting(): number {
    let n = 0;
    for (const p of this.#pending.values()) if (!p.started) n++;
    return n;
  }

  /** Marks a pending job started (a job followed again learns where it runs from its progress). */
  started(id: string, where: SolveWhere): void {
    const p = this.#pending.get(id);
    if (!p || p.started) return;
    p.attempt = where.attempt;
    p.started = true;
    p.follow.onStart?.(where);
  }

  /** Subscribes to the job's channel, then `submit`s (adds or looks it up), then waits for its outcome. */
  async follow(id: string, follow: JobFollow<I>, submit: () => Promise<void>): Promise<R> {
    if (this.#closed) throw new Error('remote jobs are closed');
    const done = new Promise<R>((resolve, reject) => {
      this.#pending.set(id, { follow, resolve, reject, chain: Promise.resolve(), attempt: 0, started: false, settled: false, live: true });
    });
    // settled possibly before it is awaited below (a cancel or close while the job is added)
    done.catch(() => undefined);
    const signal = follow.signal;
    const onAbort = () => void this.#cancel(id);
    signal?.addEventListener('abort', onAbort, { once: true });
    // tracked until the job is in Redis: a server that stops now still hands it to the workers (drain)
    const submitted = (async () => { await this.#sub.subscribe(channelOf(id)); await submit(); })();
    this.#submitting.add(submitted);
    try {
      try { await submitted; } finally { this.#submitting.delete(submitted); }
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
    await this.cmd.multi().set(key, '1', 'EX', CANCEL_TTL_S).publish(key, '1').exec();
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
    const m = decode<LiveMessage<I>>(text);
    if (m.kind === 'start') {
      if (m.attempt < p.attempt) return;
      p.attempt = m.attempt;
      p.started = true;
      p.follow.onStart?.({ worker: m.worker, host: m.host, attempt: m.attempt });
      return;
    }
    // a dead worker's last iterates never overtake its successor's
    if (m.attempt !== p.attempt) return;
    const cb = p.follow.onIterate;
    if (cb) p.chain = p.chain.then(() => cb(m.payload)).catch(() => undefined);
  }

  #complete(id: string, value: unknown): void {
    const p = this.#pending.get(id);
    if (!p || p.settled) return;
    p.settled = true;
    let result: R;
    try {
      result = decode<R>(value as string);
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
    for (const id of [...this.#pending.keys()]) await this.checkOne(id);
  }

  /** Settles a followed job that has finished (a completion missed, or a job followed again). */
  async checkOne(id: string): Promise<void> {
    try {
      // the state first (a few set lookups); the job's hash only once it has finished
      const state = await this.queue.getJobState(id);
      if (state !== 'completed' && state !== 'failed') return;
      const job = await Job.fromId(this.queue, id);
      if (!job) return;
      if (job.finishedOn && job.returnvalue !== null && job.returnvalue !== undefined && !job.failedReason) this.#complete(id, job.returnvalue);
      else if (job.finishedOn && job.failedReason) this.#fail(id, failureOf(job.failedReason));
    } catch { /* Redis away: the next poll */ }
  }

  /** Resolves once every job being submitted is in Redis (or failed to get there). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.#submitting]);
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
    for (const c of [this.cmd, this.#sub, this.#queueConn, this.#eventsConn]) c.disconnect();
  }
}
