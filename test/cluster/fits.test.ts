/**
 * Pose fits as BullMQ jobs (`npm start -- --redis URL`) against a real redis-server and a real
 * `npm run worker` process: with no worker a fit's runs wait and the API says queued (a cancel
 * takes them off the queue), a worker then runs them with iterates reaching the WebSocket
 * clients, the state says where each ran, the server records them, and the numbers are the
 * in-process ones bit for bit. A worker refuses another version's fit jobs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, QueueEvents } from 'bullmq';
import type { RunningServer } from '../../server/api/server.ts';
import { renderTarget, runFitJob, fitJobFromWire, fitJobToWire, type FitJob } from '../../server/perception/fit-job.ts';
import { startRedis, type RedisProcess } from '../../server/cluster/redis-process.ts';
import { spawnWorker, type WorkerProcess } from '../../server/cluster/worker-process.ts';
import { FIT_QUEUE, PREFIX, connect } from '../../server/cluster/jobs.ts';
import { codeVersion } from '../../server/cluster/version.ts';
import { FitJobRequestSchema, FitStateSchema, PROTOCOL_VERSION, type FitFinalMessage, type FitIterateMessage, type FitState, type ServerMessage } from '../../shared/protocol.ts';
import { json, post, startTestServer, tempDir, TestClient } from '../api/helpers.ts';
import { until } from './helpers.ts';

let redis: RedisProcess;
let server: RunningServer;
let queue: Queue;
const workers: WorkerProcess[] = [];
const tmp = tempDir();

beforeAll(async () => {
  redis = await startRedis();
  server = await startTestServer(tmp.dir, { redisUrl: redis.url, iterateIntervalMs: 20 });
  queue = new Queue(FIT_QUEUE, { connection: connect(redis.url, 'test'), prefix: PREFIX });
}, 30_000);

afterAll(async () => {
  await server?.close();
  await queue?.close();
  for (const w of workers) await w.kill();
  await redis?.stop();
  tmp.remove();
});

const getFit = async (id: string): Promise<FitState> => FitStateSchema.parse(await json(await fetch(`${server.url}/api/fits/${id}`)));
const isFitFinal = (fit: string, method: string) => (m: ServerMessage) => m.type === 'fit-final' && m.fit === fit && m.method === method;

describe('a fit job on the wire', () => {
  it('carries the target image exactly (the bytes of its doubles) and names a target of the wrong size', () => {
    const target = renderTarget('cube', 16, { rotation: [0.3, -0.2, 0.1], translation: [0, 0, 0] });
    target[5] = 0.1 + 0.2; // a double JSON would not round-trip through a decimal of 17 digits less
    const job: FitJob = {
      object: 'cube', size: 16, method: 'perturbed', iterations: 5, seed: 1, samples: 4, noise: 'gaussian', translation: false,
      target, truth: null, init: { rotation: [0, 0, 0], translation: [0, 0, 0] }, imageEvery: 1,
    };
    const wire = FitJobRequestSchema.parse(JSON.parse(JSON.stringify(fitJobToWire(job))));
    const back = fitJobFromWire(wire);
    expect(Array.from(back.target)).toEqual(Array.from(target));
    expect(() => fitJobFromWire({ ...wire, size: 17 })).toThrow(/target: 6144 bytes, expected 6936/);
  });
});

describe('pose fits on a cluster', () => {
  it('waits queued with no worker (a cancel takes a run off the queue), then runs on a worker: iterates, where, recordings, in-process numbers', async () => {
    const c = await TestClient.connect(server.url);
    c.send({ type: 'subscribe-fits', fits: 'all' });
    const body = { object: 'cube', size: 24, iterations: 25, initErrorDeg: 20, seed: 4, methods: ['softras', 'perturbed'] };
    const { id } = await json(await post(`${server.url}/api/fits`, body));
    // no worker yet: both runs are jobs in Redis, reported queued
    await until(async () => (await queue.getWaitingCount()) >= 2, 5000, 'fit jobs waiting');
    await new Promise((r) => setTimeout(r, 300));
    expect((await getFit(id)).methods.map((m) => [m.method, m.status])).toEqual([['softras', 'queued'], ['perturbed', 'queued']]);
    // a second fit cancelled before any worker: its job leaves the queue, its run says cancelled
    const other = (await json(await post(`${server.url}/api/fits`, { ...body, methods: ['hard'] }))).id as string;
    await until(async () => (await queue.getWaitingCount()) >= 3, 5000, 'third job waiting');
    expect((await fetch(`${server.url}/api/fits/${other}`, { method: 'DELETE' })).status).toBe(202);
    await until(async () => (await getFit(other)).methods[0].status === 'cancelled', 5000, 'cancelled before a worker');
    expect(await queue.getWaitingCount()).toBe(2);

    workers.push(await spawnWorker(redis.url, 'fits-w1', ['--concurrency', '2']));
    const finals = await Promise.all(['softras', 'perturbed'].map((m) => c.waitFor<FitFinalMessage>(isFitFinal(id, m), 90_000, `${m} final`)));
    await server.fits.idle();
    const state = await getFit(id);
    expect(state.status).toBe('done');
    for (const m of state.methods) {
      expect(m.where).toEqual({ worker: 'fits-w1', host: expect.any(String), attempt: 1 });
      expect(m.recording).toBe(`${id}-${m.method}`);
      expect(m.iteration).toBe(25);
    }
    // iterates of each method arrived over the WebSocket, in order, with renders
    for (const method of ['softras', 'perturbed']) {
      const its = c.messages.filter((m): m is FitIterateMessage => m.type === 'fit-iterate' && m.fit === id && m.method === method);
      expect(its.length).toBeGreaterThan(0);
      expect(its.map((m) => m.record.iteration)).toEqual([...its.map((m) => m.record.iteration)].sort((a, b) => a - b));
      expect(its.at(-1)!.record.iteration).toBe(24);
      expect(its.some((m) => m.image)).toBe(true);
    }
    // the in-process run of the same job: the same numbers (timings aside)
    const targetPose = state.targetPose!;
    for (const fin of finals) {
      const job: FitJob = {
        object: 'cube', size: 24, method: fin.method, iterations: 25, seed: 4, samples: 8, noise: 'gaussian', translation: false,
        target: renderTarget('cube', 24, targetPose), truth: targetPose, init: state.initialPose, imageEvery: 1,
      };
      const local = await runFitJob(job, () => undefined);
      const r = fin.result;
      expect([r.rotation, r.translation, r.errorDeg, r.bestLoss, r.iterations, r.image]).toEqual([local.rotation, local.translation, local.errorDeg, local.bestLoss, local.iterations, local.image]);
      expect(r.telemetry.map((t) => [t.loss, t.sigma, t.errorDeg, t.samples])).toEqual(local.telemetry.map((t) => [t.loss, t.sigma, t.errorDeg, t.samples]));
    }
    // recorded by the server with every iteration
    const rec = await json(await fetch(`${server.url}/api/recordings/${id}-perturbed`));
    expect(rec.telemetry).toHaveLength(25);
    await c.close();
  }, 150_000);

  it('a worker refuses a fit job of another code version, naming both versions', async () => {
    const events = new QueueEvents(FIT_QUEUE, { connection: connect(redis.url, 'test-events'), prefix: PREFIX });
    await events.waitUntilReady();
    const target = renderTarget('cube', 8, { rotation: [0.1, 0, 0], translation: [0, 0, 0] });
    const request = fitJobToWire({
      object: 'cube', size: 8, method: 'hard', iterations: 2, seed: 1, samples: 1, noise: 'gaussian', translation: false,
      target, truth: null, init: { rotation: [0, 0, 0], translation: [0, 0, 0] }, imageEvery: 1,
    });
    for (const [data, want] of [
      [{ protocol: PROTOCOL_VERSION, code: '0123456789abcdef', request }, new RegExp(`refused job .*code 0123456789abcdef; this worker runs protocol ${PROTOCOL_VERSION}, code ${codeVersion()}`)],
      [{ protocol: PROTOCOL_VERSION, code: codeVersion(), request: { ...request, samples: 0 } }, /invalid request: samples/],
    ] as const) {
      const job = await queue.add('fit', data, { attempts: 1 });
      await expect(job.waitUntilFinished(events, 30_000)).rejects.toThrow(want);
    }
    await events.close();
  }, 60_000);
});
