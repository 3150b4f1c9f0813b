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
 *
 * A server that stops leaves its jobs to the workers. Each job carries its origin (the server's
 * instance name, plan, run, solvers); a server started again under the same name lists them
 * (`adoptable`), follows the unfinished ones (`resume`) and marks each job it has seen to the
 * end (`settle`, a key with the recording's id), so that nothing is recorded twice.
 */
import { randomUUID } from 'node:crypto';
import { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { PlanResult } from '../planning/planner.ts';
import { NotStartedError, type AdoptableSolve, type SolveFollow, type SolveJob, type Solves } from '../planning/solves.ts';
import { errorFromWire, type WireError } from '../control/errors.ts';
import { PROTOCOL_VERSION, SolveJobEnvelopeSchema, SolveJobRequestSchema, SolveWhereSchema, parseWith, type SolveJobRequest } from '../../shared/protocol.ts';
import { CANCEL_TTL_S, MAX_ADOPT_SCAN, PREFIX, QUEUE, SETTLED_TTL_S, cancelKeyOf, channelOf, connect, settledKeyOf, type LiveMessage } from './jobs.ts';
import { codeVersion } from './version.ts';
import { decode, encode } from './codec.ts';

interface Pending {
  req: SolveFollow;
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
  #lastError: string | null = null;
  #submitting = new Set<Promise<void>>();

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
    // the last connection error, named when Redis does not answer (a refused certificate, say)
    this.#cmd.on('error', (e: Error) => { this.#lastError = e.message; });
    this.#poll = setInterval(() => void this.#check(), opts.pollMs ?? 1000);
    this.#poll.unref();
  }

  /** Resolves once Redis answers (the server refuses to start without it). */
  async ready(timeoutMs = 10_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs / 1000} s${this.#lastError ? ` (last error: ${this.#lastError})` : ''}`)), timeoutMs); });
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
    const id = req.jobId ?? randomUUID();
    const request: SolveJobRequest = {
      task: req.task, params: (req.params ?? {}) as SolveJobRequest['params'], solver: req.solver,
      solverParams: (req.solverParams ?? {}) as SolveJobRequest['solverParams'],
      ...(req.warmStart ? { warmStart: req.warmStart } : {}), ...(req.feedbackGains ? { feedbackGains: true } : {}),
    };
    return this.#follow(id, req, async () => {
      await this.queue.add('solve', { protocol: PROTOCOL_VERSION, code: codeVersion(), request, ...(req.origin ? { origin: req.origin } : {}) }, {
        jobId: id, attempts: 1, removeOnComplete: { age: 3600 }, removeOnFail: { age: 24 * 3600 },
      });
    });
  }

  async resume(job: string, follow: SolveFollow): Promise<PlanResult> {
    if (this.#closed) throw new Error('remote solves are closed');
    return this.#follow(job, follow, async () => {
      const j = await Job.fromId(this.queue, job);
      if (!j) throw new Error(`job ${job} is no longer in Redis`);
      // a running job's start went out before we listened: its worker left it in the job's progress
      const where = parseWith(SolveWhereSchema, j.progress);
      const p = this.#pending.get(job);
      if (where.ok && p && !p.started && (await j.getState()) === 'active') {
        p.attempt = where.value.attempt;
        p.started = true;
        p.req.onStart?.(where.value);
      }
      await this.#checkOne(job);
    });
  }

  /** Subscribes to the job's channel, then `submit`s (adds or looks it up), then waits for its outcome. */
  async #follow(id: string, req: SolveFollow, submit: () => Promise<void>): Promise<PlanResult> {
    const done = new Promise<PlanResult>((resolve, reject) => {
      this.#pending.set(id, { req, resolve, reject, chain: Promise.resolve(), attempt: 0, started: false, settled: false, live: true });
    });
    // settled possibly before it is awaited below (a cancel or close while the job is added)
    done.catch(() => undefined);
    const signal = req.signal;
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

  async adoptable(instance: string): Promise<AdoptableSolve[]> {
    const jobs = await this.queue.getJobs(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'], 0, MAX_ADOPT_SCAN - 1);
    const mine: AdoptableSolve[] = [];
    for (const j of jobs) {
      if (!j?.id) continue;
      const env = parseWith(SolveJobEnvelopeSchema, j.data);
      if (!env.ok || env.value.origin?.instance !== instance) continue;
      const req = parseWith(SolveJobRequestSchema, env.value.request);
      if (!req.ok) continue;
      mine.push({ job: j.id, origin: env.value.origin, request: req.value, state: await j.getState(), settled: await this.#cmd.get(settledKeyOf(j.id)) });
    }
    // the plans with something left to do, whole
    const open = new Set(mine.filter((m) => m.settled === null).map((m) => m.origin.plan));
    return mine.filter((m) => open.has(m.origin.plan));
  }

  async settle(job: string, recording: string): Promise<void> {
    await this.#cmd.set(settledKeyOf(job), recording, 'EX', SETTLED_TTL_S);
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
    for (const id of [...this.#pending.keys()]) await this.#checkOne(id);
  }

  async #checkOne(id: string): Promise<void> {
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
    for (const c of [this.#cmd, this.#sub, this.#queueConn, this.#eventsConn]) c.disconnect();
  }
}
