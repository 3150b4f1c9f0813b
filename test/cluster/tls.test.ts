/**
 * Redis over TLS (`rediss://`): a redis-server speaking only TLS with a self-signed certificate
 * (made here with openssl). Without the certificate trusted the server refuses to start and says
 * why; with it trusted (RSDDP_REDIS_CA, as `--redis-ca` sets it; the worker inherits it) a plan
 * runs on a worker and its numbers are the in-process ones.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plan } from '../../server/planning/planner.ts';
import { startRedis, type RedisProcess } from '../../server/cluster/redis-process.ts';
import { spawnWorker, type WorkerProcess } from '../../server/cluster/worker-process.ts';
import type { RunningServer } from '../../server/api/server.ts';
import type { FinalMessage } from '../../shared/protocol.ts';
import { isFinal, json, post, startTestServer, tempDir, TestClient } from '../api/helpers.ts';

let redis: RedisProcess;
let server: RunningServer | null = null;
let worker: WorkerProcess | null = null;
const tmp = tempDir();
const cert = path.join(tmp.dir, 'redis.crt'), key = path.join(tmp.dir, 'redis.key');
const savedCa = process.env.RSDDP_REDIS_CA;

beforeAll(async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  redis = await startRedis({ tls: { cert, key } });
}, 30_000);

afterAll(async () => {
  await server?.close();
  await worker?.kill();
  await redis?.stop();
  if (savedCa === undefined) delete process.env.RSDDP_REDIS_CA; else process.env.RSDDP_REDIS_CA = savedCa;
  tmp.remove();
});

describe('Redis over TLS', () => {
  it('an untrusted certificate: the server does not start, and says why', async () => {
    expect(redis.url).toMatch(/^rediss:\/\/127\.0\.0\.1:\d+$/);
    delete process.env.RSDDP_REDIS_CA;
    await expect(startTestServer(path.join(tmp.dir, 'a'), { redisUrl: redis.url })).rejects.toThrow(/--redis: Redis did not answer .*(self-signed|certificate)/);
    process.env.RSDDP_REDIS_CA = path.join(tmp.dir, 'missing.pem');
    await expect(startTestServer(path.join(tmp.dir, 'a'), { redisUrl: redis.url })).rejects.toThrow(/RSDDP_REDIS_CA: cannot read '.*missing\.pem' \(ENOENT\)/);
  }, 30_000);

  it('trusted: a plan runs on a worker over TLS with the in-process numbers', async () => {
    process.env.RSDDP_REDIS_CA = cert;
    server = await startTestServer(path.join(tmp.dir, 'b'), { redisUrl: redis.url, instance: 'tls-test' });
    worker = await spawnWorker(redis.url, 'tls-w1');
    const c = await TestClient.connect(server.url);
    c.send({ type: 'subscribe', plans: 'all' });
    const { id } = await json(await post(`${server.url}/api/plans`, { task: 'cube-lift', params: { height: 0.3 }, solvers: ['rddp'], solverParams: { seed: 5, iterations: 20 }, backend: 'cpu' }));
    const fin = await c.waitFor<FinalMessage>(isFinal(id, 'rddp'), 30_000);
    const local = await plan({ task: 'cube-lift', params: { height: 0.3 }, solver: 'rddp', solverParams: { seed: 5, iterations: 20, backend: 'cpu' } });
    expect(fin.result.cost).toBe(local.cost);
    expect(fin.result.trajectory.u).toEqual(local.trajectory.u);
    const st = await json(await fetch(`${server.url}/api/plans/${id}`));
    expect(st.solves[0].where.worker).toBe('tls-w1');
    c.ws.close();
  }, 60_000);
});
