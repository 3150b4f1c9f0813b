/**
 * Faults against a real redis-server and real worker processes: a worker killed with SIGKILL
 * mid-job (its job is retried on another worker and ends with the in-process result), and Redis
 * killed and restarted while jobs run and wait (server side and workers reconnect; every job
 * accepted before the crash finishes, with the in-process numbers). Workers run with a 2 s job
 * lock so that a dead worker's job is retried within seconds (BullMQ's default is 30 s).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plan, type PlanRequest } from '../../server/planning/planner.ts';
import { RemoteSolves } from '../../server/cluster/remote-solves.ts';
import { startRedis, type RedisProcess } from '../../server/cluster/redis-process.ts';
import { spawnWorker, type WorkerProcess } from '../../server/cluster/worker-process.ts';
import type { SolveWhere } from '../../shared/protocol.ts';
import { until, withoutTimes } from './helpers.ts';

const LOCK = ['--lock-ms', '2000', '--stalled-interval-ms', '500'];
let redis: RedisProcess;
let solves: RemoteSolves;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
  solves = new RemoteSolves(redis.url, { pollMs: 500 });
  await solves.ready();
  workers.push(...(await Promise.all([spawnWorker(redis.url, 'fault-a', LOCK), spawnWorker(redis.url, 'fault-b', LOCK)])));
}, 60_000);

afterAll(async () => {
  await solves?.close();
  for (const w of workers) await w.kill('SIGKILL');
  await redis?.stop();
});

describe('faults', () => {
  it('a worker killed with SIGKILL mid-job: the job is retried on the other worker and ends with the same result', async () => {
    const req: PlanRequest = { task: 'lift-leg', params: { horizon: 0.3 }, solver: 'rddp', solverParams: { backend: 'cpu', seed: 4, iterations: 10, samples: 4 } };
    const local = await plan(req);
    const starts: SolveWhere[] = [];
    let iterates = 0;
    const pending = solves.plan({ ...req, onStart: (w) => starts.push(w), onIterate: () => { iterates++; } });
    await until(() => iterates >= 2, 30_000, 'two iterates from the first worker');
    const victim = workers.find((w) => w.id === starts[0].worker)!;
    await victim.kill('SIGKILL');
    const remote = await pending;
    expect(starts.map((s) => [s.worker, s.attempt])).toEqual([[victim.id, 1], [victim.id === 'fault-a' ? 'fault-b' : 'fault-a', 2]]);
    expect(withoutTimes(remote)).toEqual(withoutTimes(local));
    workers.splice(workers.indexOf(victim), 1, await spawnWorker(redis.url, victim.id, LOCK));
  }, 60_000);

  it('Redis killed and restarted mid-run: server side and workers reconnect, no accepted job is lost', async () => {
    const reqs: PlanRequest[] = [1, 2, 3, 4, 5, 6].map((seed) => ({ task: 'lift-leg', params: { horizon: 0.2 }, solver: 'rddp', solverParams: { backend: 'cpu', seed, iterations: 6, samples: 4 } }));
    let started = 0;
    const pending = reqs.map((r) => solves.plan({ ...r, onStart: () => { started++; } }));
    // two run (one per worker), four wait in Redis
    await until(() => started >= 2, 30_000, 'two jobs started');
    await until(async () => (await solves.queue.getWaitingCount()) >= 1, 5000, 'jobs waiting');
    await redis.kill();
    await new Promise((r) => setTimeout(r, 1000));
    await redis.restart();
    const results = await Promise.all(pending);
    for (let i = 0; i < reqs.length; i++) expect(withoutTimes(results[i])).toEqual(withoutTimes(await plan(reqs[i])));
    // both workers still take jobs
    const after: SolveWhere[] = [];
    await Promise.all([1, 2].map(() => solves.plan({ ...reqs[0], solverParams: { ...reqs[0].solverParams, iterations: 2 }, onStart: (w) => after.push(w) })));
    expect(after.map((w) => w.worker.startsWith('fault-'))).toEqual([true, true]);
  }, 60_000);
});
