/**
 * RemoteSolves: the Solves contract (planning/solves.ts) on BullMQ. Each plan(req) is one job on
 * the `solves` queue, run by whichever `npm run worker` process takes it, followed through a
 * JobClient (job-client.ts: live channel, result, cancel, completions missed while Redis was
 * away).
 *
 * A server that stops leaves its jobs to the workers. Each job carries its origin (the server's
 * instance name, plan, run, solvers); a server started again under the same name lists them
 * (`adoptable`), follows the unfinished ones (`resume`) and marks each job it has seen to the
 * end (`settle`, a key with the recording's id), so that nothing is recorded twice.
 */
import { randomUUID } from 'node:crypto';
import { Job } from 'bullmq';
import type { PlanResult } from '../planning/planner.ts';
import type { AdoptableSolve, SolveFollow, SolveJob, Solves } from '../planning/solves.ts';
import { PROTOCOL_VERSION, SolveJobEnvelopeSchema, SolveJobRequestSchema, SolveWhereSchema, parseWith, type SolveJobRequest } from '../../shared/protocol.ts';
import { MAX_ADOPT_SCAN, QUEUE, SETTLED_TTL_S, settledKeyOf, type SolveIterate } from './jobs.ts';
import { JobClient, type JobFollow } from './job-client.ts';
import { codeVersion } from './version.ts';

/** The planner's callbacks as a job's follow. */
function followOf(req: SolveFollow): JobFollow<SolveIterate> {
  const onIterate = req.onIterate;
  return {
    signal: req.signal, onStart: req.onStart,
    ...(onIterate ? { onIterate: (it: SolveIterate) => onIterate(it.record, () => it.trajectory) } : {}),
  };
}

export class RemoteSolves implements Solves {
  readonly remote = true;
  #jobs: JobClient<SolveIterate, PlanResult>;

  constructor(url: string, opts: { pollMs?: number } = {}) {
    this.#jobs = new JobClient(url, QUEUE, 'rsddp-server', opts);
  }

  get queue() { return this.#jobs.queue; }

  /** Resolves once Redis answers (the server refuses to start without it). */
  ready(timeoutMs = 10_000): Promise<void> { return this.#jobs.ready(timeoutMs); }

  /** Solves submitted and not yet started by a worker. */
  get waiting(): number { return this.#jobs.waiting; }

  async plan(req: SolveJob): Promise<PlanResult> {
    if (this.#jobs.closed) throw new Error('remote solves are closed');
    const id = req.jobId ?? randomUUID();
    const request: SolveJobRequest = {
      task: req.task, params: (req.params ?? {}) as SolveJobRequest['params'], solver: req.solver,
      solverParams: (req.solverParams ?? {}) as SolveJobRequest['solverParams'],
      ...(req.warmStart ? { warmStart: req.warmStart } : {}), ...(req.feedbackGains ? { feedbackGains: true } : {}),
    };
    return this.#jobs.follow(id, followOf(req), async () => {
      await this.queue.add('solve', { protocol: PROTOCOL_VERSION, code: codeVersion(), request, ...(req.origin ? { origin: req.origin } : {}) }, {
        jobId: id, attempts: 1, removeOnComplete: { age: 3600 }, removeOnFail: { age: 24 * 3600 },
      });
    });
  }

  async resume(job: string, follow: SolveFollow): Promise<PlanResult> {
    if (this.#jobs.closed) throw new Error('remote solves are closed');
    return this.#jobs.follow(job, followOf(follow), async () => {
      const j = await Job.fromId(this.queue, job);
      if (!j) throw new Error(`job ${job} is no longer in Redis`);
      // a running job's start went out before we listened: its worker left it in the job's progress
      const where = parseWith(SolveWhereSchema, j.progress);
      if (where.ok && (await j.getState()) === 'active') this.#jobs.started(job, where.value);
      await this.#jobs.checkOne(job);
    });
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
      mine.push({ job: j.id, origin: env.value.origin, request: req.value, state: await j.getState(), settled: await this.#jobs.cmd.get(settledKeyOf(j.id)) });
    }
    // the plans with something left to do, whole
    const open = new Set(mine.filter((m) => m.settled === null).map((m) => m.origin.plan));
    return mine.filter((m) => open.has(m.origin.plan));
  }

  async settle(job: string, recording: string): Promise<void> {
    await this.#jobs.cmd.set(settledKeyOf(job), recording, 'EX', SETTLED_TTL_S);
  }

  /** Resolves once every job being submitted is in Redis (or failed to get there). */
  drain(): Promise<void> { return this.#jobs.drain(); }

  close(): Promise<void> { return this.#jobs.close(); }
}
