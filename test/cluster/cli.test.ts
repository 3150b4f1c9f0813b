/**
 * The command lines: `npm run worker` and `npm start --redis` refuse bad arguments with the
 * reason, and a password-protected Redis works end to end (the password in the URL); a wrong
 * password stops the server side and a worker at once, with Redis's answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { startRedis, type RedisProcess } from '../../server/cluster/redis-process.ts';
import { spawnWorker, type WorkerProcess } from '../../server/cluster/worker-process.ts';
import { RemoteSolves } from '../../server/cluster/remote-solves.ts';
import { plan } from '../../server/planning/planner.ts';
import { withoutTimes } from './helpers.ts';

function run(file: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['--import', 'tsx', file, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RSDDP_REDIS_URL: '', ...env } });
    let out = '';
    c.stdout.on('data', (d) => { out += d; });
    c.stderr.on('data', (d) => { out += d; });
    // generous: a loaded 2-core machine takes seconds to load tsx and the worker's modules
    const t = setTimeout(() => c.kill('SIGKILL'), 45_000);
    c.on('exit', (code) => { clearTimeout(t); resolve({ code, out }); });
  });
}

let redis: RedisProcess;
let worker: WorkerProcess | null = null;
beforeAll(async () => { redis = await startRedis({ password: 's3cret/pw' }); });
afterAll(async () => { await worker?.kill(); await redis?.stop(); });

describe('cluster command lines', () => {
  it('refuse what they cannot use, naming why', async () => {
    const cases: Array<[string, string[], RegExp]> = [
      ['server/cli/worker.ts', [], /--redis URL \(or RSDDP_REDIS_URL\) is required/],
      ['server/cli/worker.ts', ['--redis', 'http://x:1'], /expected redis:\/\/ or rediss:\/\//],
      ['server/cli/worker.ts', ['--redis', 'redis://:pw@x:1', '--concurrency', '0'], /--concurrency must be an integer >= 1, got '0'/],
      ['server/cli/start.ts', ['--redis', 'http://:pw@x:1'], /--redis: expected redis:\/\/ or rediss:\/\/, got 'http:\/\/:\*\*\*@x:1'/],
    ];
    const got = await Promise.all(cases.map(([f, a]) => run(f, a)));
    got.forEach((g, i) => {
      expect(g.code).toBe(2);
      expect(g.out).toMatch(cases[i][2]);
      expect(g.out).not.toContain(':pw@');
    });
  }, 120_000);

  it('a Redis with a password: the URL carries it, and results are the in-process ones', async () => {
    worker = await spawnWorker(redis.url, 'pw-w1');
    const solves = new RemoteSolves(redis.url);
    try {
      await solves.ready();
      const req = { task: 'cube-lift', solver: 'rddp' as const, solverParams: { backend: 'cpu' as const, seed: 5, iterations: 10 } };
      expect(withoutTimes(await solves.plan(req))).toEqual(withoutTimes(await plan(req)));
    } finally {
      await solves.close();
    }
    // a wrong password: the server side and a worker stop at once, saying so
    const wrongUrl = redis.url.replace('s3cret', 'wrong');
    const wrong = new RemoteSolves(wrongUrl);
    await expect(wrong.ready(5000)).rejects.toThrow(/WRONGPASS/);
    await wrong.close();
    const w = await run('server/cli/worker.ts', ['--redis', wrongUrl]);
    expect(w.code).toBe(1);
    expect(w.out).toMatch(/worker: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: WRONGPASS/);
  }, 120_000);
});
