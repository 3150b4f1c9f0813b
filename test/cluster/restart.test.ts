/**
 * The server restarted while its jobs wait, run or finish on the workers (issue: "the server
 * restarted → jobs in flight are still reported when it returns"): a server stopped with jobs
 * in flight leaves them to the workers; started again under the same instance name on the same
 * Redis, it lists those plans under their old ids, follows the running job (where it runs
 * included), records every result once, and marks each job settled so that the next start
 * takes nothing back twice. Another instance name takes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RunningServer } from '../../server/api/server.ts';
import { plan } from '../../server/planning/planner.ts';
import { startRedis, type RedisProcess } from '../../server/cluster/redis-process.ts';
import { spawnWorker, type WorkerProcess } from '../../server/cluster/worker-process.ts';
import { PREFIX, QUEUE, connect, settledKeyOf } from '../../server/cluster/jobs.ts';
import type { PlanResult } from '../../server/planning/planner.ts';
import type { PlanState } from '../../shared/protocol.ts';
import { json, post, startTestServer, tempDir } from '../api/helpers.ts';
import { until } from './helpers.ts';

let redis: RedisProcess;
let queue: Queue;
let cmd: Redis;
const servers: RunningServer[] = [];
const workers: WorkerProcess[] = [];
const tmp = tempDir();

beforeAll(async () => {
  redis = await startRedis();
  cmd = connect(redis.url, 'test-cmd');
  queue = new Queue(QUEUE, { connection: connect(redis.url, 'test'), prefix: PREFIX });
}, 30_000);

afterAll(async () => {
  for (const s of servers) await s.close();
  await queue?.close();
  cmd?.disconnect();
  for (const w of workers) await w.kill();
  await redis?.stop();
  tmp.remove();
});

const start = async (instance: string) => {
  const s = await startTestServer(tmp.dir, { redisUrl: redis.url, instance });
  servers.push(s);
  return s;
};
const getPlan = async (s: RunningServer, id: string): Promise<PlanState> => json(await fetch(`${s.url}/api/plans/${id}`));

describe('a planning server restarted on a cluster', () => {
  it('takes back its plans: the running job with where it runs, the waiting one, each recorded once', async () => {
    const a = await start('lab-1');
    // lift-leg R-DDP runs for seconds on the worker; DDP stops early (null gradient)
    const body = { task: 'lift-leg', params: { horizon: 0.5 }, solverParams: { seed: 4, iterations: 60, samples: 8 }, backend: 'cpu' };
    const { id } = await json(await post(`${a.url}/api/plans`, body));
    await until(async () => (await queue.getWaitingCount()) === 2, 5000, 'two jobs waiting');
    await a.close();
    // the stopped server cancelled nothing
    expect(await queue.getWaitingCount()).toBe(2);
    workers.push(await spawnWorker(redis.url, 'rw1', ['--concurrency', '1']));
    // the worker takes the R-DDP job (submitted second: BullMQ is FIFO, so DDP first) — wait until one job is active after the first finished
    await until(async () => (await queue.getCompletedCount()) >= 1 && (await queue.getActiveCount()) === 1, 30_000, 'one job done, one running, no server');

    // a server under another name takes nothing
    const other = await start('lab-2');
    expect((await fetch(`${other.url}/api/plans/${id}`)).status).toBe(404);
    await other.close();

    const b = await start('lab-1');
    const st = await getPlan(b, id);
    expect(st.task).toBe('lift-leg');
    expect(st.params.horizon).toBe(0.5);
    expect(st.solves.map((s) => s.solver)).toEqual(['ddp', 'rddp']);
    // the running one says where it runs (from the job, its start message went out before b listened)
    await until(async () => (await getPlan(b, id)).solves.some((s) => s.status === 'running'), 10_000, 'the running job followed');
    const running = (await getPlan(b, id)).solves.find((s) => s.status === 'running');
    expect(running?.solver).toBe('rddp');
    expect(running?.where).toMatchObject({ worker: 'rw1', attempt: 1 });
    await until(async () => (await getPlan(b, id)).solves.every((s) => s.recording !== null), 60_000, 'both solves recorded by the new server');
    const done = await getPlan(b, id);
    expect(done.status).toBe('done');
    // the numbers are the in-process planner's
    for (const s of done.solves) {
      const rec = await fetch(`${b.url}/api/recordings/${s.recording}`);
      expect(rec.status).toBe(200);
      const local: PlanResult = await plan({ task: 'lift-leg', params: { horizon: 0.5 }, solver: s.solver, solverParams: { seed: 4, iterations: 60, samples: 8, backend: 'cpu' } });
      expect(s.cost).toBe(local.cost);
    }
    // each job is marked settled with its recording
    const jobs = await queue.getJobs(['completed']);
    const ours = jobs.filter((j) => (j.data as { origin?: { plan: string } }).origin?.plan === id);
    expect(ours).toHaveLength(2);
    for (const j of ours) expect(done.solves.map((s) => s.recording)).toContain(await cmd.get(settledKeyOf(j.id!)));
    await b.close();

    // started once more: nothing left to take back
    const c = await start('lab-1');
    expect((await fetch(`${c.url}/api/plans/${id}`)).status).toBe(404);
    await c.close();
  }, 120_000);

  it('a plan whose jobs finished while no server was up is reported and recorded when it returns', async () => {
    const a = await start('lab-3');
    const { id } = await json(await post(`${a.url}/api/plans`, { task: 'cube-lift', params: { height: 0.3 }, solverParams: { seed: 2, iterations: 20 }, backend: 'cpu' }));
    // stopped right after accepting the plan: its solves still reach Redis before the server goes
    await a.close();
    const ofPlan = async () => (await queue.getJobs(['waiting', 'active', 'completed'])).filter((j) => (j.data as { origin?: { plan: string } }).origin?.plan === id);
    expect(await ofPlan()).toHaveLength(2);
    await until(async () => {
      const jobs = await queue.getJobs(['completed']);
      return jobs.filter((j) => (j.data as { origin?: { plan: string } }).origin?.plan === id).length === 2;
    }, 30_000, 'both jobs done with no server up');
    const b = await start('lab-3');
    await until(async () => (await getPlan(b, id)).solves.every((s) => s.recording !== null), 10_000, 'both recorded');
    const st = await getPlan(b, id);
    expect(st.status).toBe('done');
    const local = await plan({ task: 'cube-lift', params: { height: 0.3 }, solver: 'rddp', solverParams: { seed: 2, iterations: 20, backend: 'cpu' } });
    expect(st.solves.find((s) => s.solver === 'rddp')!.cost).toBe(local.cost);
    expect(st.solves.find((s) => s.solver === 'rddp')!.success).toBe(local.success);
  }, 60_000);
});
