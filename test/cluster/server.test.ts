/**
 * `npm start -- --redis URL` against a real redis-server and real worker processes: with no
 * worker the solves wait and the API says queued (a cancel takes them off the queue), a worker
 * then runs them with iterates reaching the WebSocket clients, GET /api/plans/:id says where
 * each ran, the recordings are written by the server, and the numbers are the in-process ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import type { RunningServer } from '../../server/api/server.ts';
import { plan } from '../../server/planning/planner.ts';
import { startRedis, type RedisProcess } from '../../server/cluster/redis-process.ts';
import { spawnWorker, type WorkerProcess } from '../../server/cluster/worker-process.ts';
import { PREFIX, QUEUE, connect } from '../../server/cluster/jobs.ts';
import type { FinalMessage, IterateMessage, PlanState } from '../../shared/protocol.ts';
import { isFinal, json, post, startTestServer, tempDir, TestClient } from '../api/helpers.ts';
import { until } from './helpers.ts';

let redis: RedisProcess;
let server: RunningServer;
let queue: Queue;
const workers: WorkerProcess[] = [];
const tmp = tempDir();

beforeAll(async () => {
  redis = await startRedis();
  server = await startTestServer(tmp.dir, { redisUrl: redis.url });
  queue = new Queue(QUEUE, { connection: connect(redis.url, 'test'), prefix: PREFIX });
}, 30_000);

afterAll(async () => {
  await server?.close();
  await queue?.close();
  for (const w of workers) await w.kill();
  await redis?.stop();
  tmp.remove();
});

const getPlan = async (id: string): Promise<PlanState> => json(await fetch(`${server.url}/api/plans/${id}`));

describe('the planning server on a cluster', () => {
  it('queues without a worker, runs on one, streams iterates, records, and matches in-process', async () => {
    const c = await TestClient.connect(server.url);
    c.send({ type: 'subscribe', plans: 'all' });
    const body = { task: 'cube-lift', params: { height: 0.3 }, solverParams: { seed: 2, iterations: 20 }, backend: 'cpu' };
    const { id } = await json(await post(`${server.url}/api/plans`, body));
    await until(async () => (await queue.getWaitingCount()) === 2, 5000, 'two jobs waiting in Redis');
    await new Promise((r) => setTimeout(r, 1000));
    let st = await getPlan(id);
    expect(st.status).toBe('queued');
    expect(st.solves.map((s) => [s.status, s.where])).toEqual([['queued', null], ['queued', null]]);

    // a plan cancelled while its jobs wait: they leave the queue and the solves say cancelled
    const other = (await json(await post(`${server.url}/api/plans`, body))).id as string;
    await until(async () => (await queue.getWaitingCount()) === 4, 5000, 'four jobs waiting');
    expect((await fetch(`${server.url}/api/plans/${other}`, { method: 'DELETE' })).status).toBe(202);
    await until(async () => (await getPlan(other)).status === 'cancelled', 5000, 'the other plan cancelled');
    expect((await getPlan(other)).solves.map((s) => s.status)).toEqual(['cancelled', 'cancelled']);
    expect(await queue.getWaitingCount()).toBe(2);

    workers.push(await spawnWorker(redis.url, 'api-w1', ['--concurrency', '2']));
    const [fd, fr] = await Promise.all([c.waitFor<FinalMessage>(isFinal(id, 'ddp'), 30_000), c.waitFor<FinalMessage>(isFinal(id, 'rddp'), 30_000)]);
    await until(async () => (await getPlan(id)).solves.every((s) => s.recording !== null), 10_000, 'both recordings');
    st = await getPlan(id);
    expect(st.status).toBe('done');
    for (const s of st.solves) expect(s.where).toEqual({ worker: 'api-w1', host: expect.any(String), attempt: 1 });
    const its = c.messages.filter((m): m is IterateMessage => m.type === 'iterate' && m.plan === id && m.solver === 'rddp');
    expect(its.length).toBeGreaterThan(0);
    expect(its.at(-1)!.record.iteration).toBe(fr.result.telemetry.at(-1)!.iteration);
    expect(its.at(-1)!.trajectory.contacts?.length).toBe(its.at(-1)!.trajectory.q.length);
    // the recordings are the server's (its data folder), one per solve
    const recs = await json(await fetch(`${server.url}/api/recordings`));
    const listed = JSON.stringify(recs);
    for (const s of st.solves) expect(listed).toContain(s.recording!);
    // the numbers are the in-process planner's
    for (const fin of [fd, fr]) {
      const local = await plan({ task: 'cube-lift', params: { height: 0.3 }, solver: fin.solver, solverParams: { seed: 2, iterations: 20, backend: 'cpu' } });
      expect(fin.result.cost).toBe(local.cost);
      expect(fin.result.trajectory.u).toEqual(local.trajectory.u);
      expect(fin.result.telemetry.map((t) => [t.cost, t.sigma, t.accepted])).toEqual(local.telemetry.map((t) => [t.cost, t.sigma, t.accepted]));
    }
    // nothing of Redis reaches the API
    expect(JSON.stringify(await json(await fetch(`${server.url}/api/plans`)))).not.toContain(redis.url);
    c.ws.close();
  }, 60_000);

  it('a replan reaches the worker within one iteration and restarts warm', async () => {
    const c = await TestClient.connect(server.url);
    c.send({ type: 'subscribe', plans: 'all' });
    const { id } = await json(await post(`${server.url}/api/plans`, { task: 'lift-leg', params: { horizon: 0.3 }, solvers: ['rddp'], solverParams: { iterations: 30, samples: 4 }, backend: 'cpu' }));
    const first = await c.waitFor<IterateMessage>((m) => m.type === 'iterate' && m.plan === id, 30_000, 'a first iterate');
    expect(first.run).toBe(0);
    await post(`${server.url}/api/plans/${id}/replan`, { params: { height: 0.06 } });
    const fin = await c.waitFor<FinalMessage>((m) => isFinal(id, 'rddp')(m) && (m as FinalMessage).run === 1, 40_000, 'the replanned final');
    expect(fin.result.params.height).toBe(0.06);
    const st = await getPlan(id);
    expect(st.solves[0]).toMatchObject({ run: 1, warmStart: true, status: 'done', where: { worker: 'api-w1' } });
    // run 0 stopped within an iteration of the replan: its last iterate is at most one past the replan's
    const run0 = c.messages.filter((m): m is IterateMessage => m.type === 'iterate' && m.plan === id && m.run === 0);
    expect(run0.at(-1)!.record.iteration).toBeLessThanOrEqual(first.record.iteration + 2);
    c.ws.close();
  }, 60_000);
});
