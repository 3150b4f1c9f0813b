/**
 * Solves as BullMQ jobs against a real redis-server and a real `npm run worker` process:
 * results equal the in-process planner's bit for bit (CPU backend), live iterates arrive in
 * order while the job runs, a cancel stops it within an iteration, and a worker refuses
 * another version's jobs and requests the API's schema refuses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { plan, type IterationRecord, type PlanResult } from '../../server/planning/planner.ts';
import { RemoteSolves } from '../../server/cluster/remote-solves.ts';
import { startRedis, type RedisProcess } from '../../server/cluster/redis-process.ts';
import { spawnWorker, type WorkerProcess } from '../../server/cluster/worker-process.ts';
import { PREFIX, QUEUE, connect } from '../../server/cluster/jobs.ts';
import { codeVersion } from '../../server/cluster/version.ts';
import { decode, encode } from '../../server/cluster/codec.ts';
import { PROTOCOL_VERSION, type SolveWhere } from '../../shared/protocol.ts';
import { withoutTimes } from './helpers.ts';

let redis: RedisProcess;
let worker: WorkerProcess;
let solves: RemoteSolves;

beforeAll(async () => {
  redis = await startRedis();
  // every iterate published (no throttle), to check each one arrives and where a cancel lands
  worker = await spawnWorker(redis.url, 'jobs-w1', ['--concurrency', '2', '--iterate-interval-ms', '0']);
  solves = new RemoteSolves(redis.url);
  await solves.ready();
}, 60_000);

afterAll(async () => {
  await solves?.close();
  await worker?.kill();
  await redis?.stop();
});

describe('the result codec', () => {
  it('carries every double exactly, NaN, ±Infinity and -0 included', () => {
    const v = { a: [0.1 + 0.2, -0, NaN, Infinity, -Infinity, 5e-324, 1.7976931348623157e308], b: { c: -0 } };
    const back = decode<typeof v>(encode(v));
    expect(back.a.map((x) => Object.is(x, -0) ? '-0' : x)).toEqual([0.30000000000000004, '-0', NaN, Infinity, -Infinity, 5e-324, 1.7976931348623157e308]);
    expect(JSON.parse(JSON.stringify(v)).a[1]).not.toBe(-0); // what plain JSON would lose
    expect(Object.is(back.b.c, -0)).toBe(true);
  });
});

describe('solves as jobs on a worker process', () => {
  it('R-DDP and DDP on cube-lift: the in-process result bit for bit, with live iterates in order', async () => {
    for (const solver of ['rddp', 'ddp'] as const) {
      const req = { task: 'cube-lift', params: { height: 0.3 }, solver, solverParams: { backend: 'cpu' as const, seed: 3, iterations: 25 } };
      const local = await plan(req);
      const its: IterationRecord[] = [];
      const starts: SolveWhere[] = [];
      let knots = 0;
      const remote = await solves.plan({ ...req, onStart: (w) => starts.push(w), onIterate: (rec, traj) => { its.push(rec); knots = traj().q.length; } });
      expect(withoutTimes(remote)).toEqual(withoutTimes(local));
      expect(starts).toEqual([{ worker: 'jobs-w1', host: expect.any(String), attempt: 1 }]);
      // every iteration arrived while the job ran, in order, before the result
      expect(its.map((r) => r.iteration)).toEqual(local.telemetry.map((r) => r.iteration));
      expect(its.map((r) => r.cost)).toEqual(local.telemetry.map((r) => r.cost));
      expect(knots).toBe(local.trajectory.q.length);
    }
  }, 60_000);

  it('a cancel reaches the worker within one iteration; the job returns its cancelled plan', async () => {
    const ac = new AbortController();
    let seen = 0, atAbort = -1;
    const r: PlanResult = await solves.plan({
      task: 'lift-leg', solver: 'rddp', solverParams: { backend: 'cpu', seed: 1, iterations: 40, samples: 4 }, signal: ac.signal,
      onIterate: () => { seen++; if (seen === 2) { atAbort = seen; ac.abort(); } },
    });
    expect(r.cancelled).toBe(true);
    expect(atAbort).toBe(2);
    // the iteration running when the cancel arrived is the last one
    expect(r.iterations).toBeGreaterThanOrEqual(2);
    expect(r.iterations).toBeLessThanOrEqual(atAbort + 1);
  }, 60_000);

  it('a worker refuses a job of another code or protocol version, and a request the schema refuses, with a clear error', async () => {
    const queue = new Queue(QUEUE, { connection: connect(redis.url, 'test'), prefix: PREFIX });
    try {
      const request = { task: 'cube-lift', params: {}, solver: 'rddp', solverParams: { backend: 'cpu', iterations: 2 } };
      const cases = [
        { data: { protocol: PROTOCOL_VERSION, code: '0123456789abcdef', request }, want: new RegExp(`refused job .*protocol ${PROTOCOL_VERSION}, code 0123456789abcdef; this worker runs protocol ${PROTOCOL_VERSION}, code ${codeVersion()}`) },
        { data: { protocol: PROTOCOL_VERSION + 1, code: codeVersion(), request }, want: new RegExp(`submitted by protocol ${PROTOCOL_VERSION + 1}`) },
        { data: { protocol: PROTOCOL_VERSION, code: codeVersion(), request: { ...request, solverParams: { samples: 0 } } }, want: /invalid request: solverParams\.samples/ },
      ];
      for (const c of cases) {
        const job = await queue.add('solve', c.data);
        let reason: string | undefined;
        for (let i = 0; i < 400 && !reason; i++) {
          await new Promise((res) => setTimeout(res, 25));
          reason = (await queue.getJob(job.id!))?.failedReason;
        }
        expect(JSON.parse(reason!).message).toMatch(c.want);
      }
    } finally {
      await queue.close();
    }
  }, 30_000);
});
