/**
 * RemoteFits: the FitRunner contract (perception/fit-runner.ts) on BullMQ. Each method run of a
 * fit is one job on the `fits` queue, run by whichever `npm run worker` process takes it and
 * followed through a JobClient (job-client.ts): its start, every iterate (each one: the server
 * records them all), the result, a cancel within one iteration. A worker killed mid-run leaves
 * the job to another after its lock expires; the same seed gives the same result.
 */
import { randomUUID } from 'node:crypto';
import type { SolveWhere } from '../../shared/protocol.ts';
import { PROTOCOL_VERSION } from '../../shared/protocol.ts';
import { fitJobToWire, type FitJob, type FitJobIterate, type FitJobResult } from '../perception/fit-job.ts';
import type { FitRunner } from '../perception/fit-runner.ts';
import { JobClient } from './job-client.ts';
import { FIT_QUEUE } from './jobs.ts';
import { codeVersion } from './version.ts';

export class RemoteFits implements FitRunner {
  readonly remote = true;
  #jobs: JobClient<FitJobIterate, FitJobResult>;

  constructor(url: string, opts: { pollMs?: number } = {}) {
    this.#jobs = new JobClient(url, FIT_QUEUE, 'rsddp-server-fits', opts);
  }

  get queue() { return this.#jobs.queue; }

  ready(timeoutMs = 10_000): Promise<void> { return this.#jobs.ready(timeoutMs); }

  run(job: FitJob, onIterate: (it: FitJobIterate) => void, signal?: AbortSignal, onStart?: (where: SolveWhere) => void): Promise<FitJobResult> {
    const id = `fit-${randomUUID()}`;
    const request = fitJobToWire(job);
    return this.#jobs.follow(id, { signal, onStart, onIterate }, async () => {
      await this.queue.add('fit', { protocol: PROTOCOL_VERSION, code: codeVersion(), request }, {
        jobId: id, attempts: 1, removeOnComplete: { age: 3600 }, removeOnFail: { age: 24 * 3600 },
      });
    });
  }

  close(): Promise<void> { return this.#jobs.close(); }
}
