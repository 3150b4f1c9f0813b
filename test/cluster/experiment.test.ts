/**
 * `npm run experiment -- ... --redis URL` fans the runs out to two worker processes and writes
 * the summary a local run writes: identical numbers (every field of summary.json but the
 * wall-clock timings; summary.md but its time column).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startRedis, type RedisProcess } from '../../server/cluster/redis-process.ts';
import { spawnWorker, type WorkerProcess } from '../../server/cluster/worker-process.ts';
import { tempDir } from '../api/helpers.ts';

let redis: RedisProcess;
const workers: WorkerProcess[] = [];
const tmp = tempDir('rsddp-exp-');

beforeAll(async () => {
  redis = await startRedis();
  workers.push(...(await Promise.all([spawnWorker(redis.url, 'exp-a'), spawnWorker(redis.url, 'exp-b')])));
}, 60_000);

afterAll(async () => {
  for (const w of workers) await w.kill();
  await redis?.stop();
  tmp.remove();
});

function cli(script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['--import', 'tsx', `server/cli/${script}.ts`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d) => { err += d; });
    c.on('exit', (code) => (code === 0 ? resolve(err) : reject(new Error(`${script} exited ${code}: ${err}`))));
  });
}
const experiment = (args: string[]) => cli('experiment', args);

/** summary.json without wall-clock fields. */
function numbers(dir: string): unknown {
  const j = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8'));
  for (const r of j.runs) delete r.timings;
  return j;
}

/** summary.md with the time column (the last of the first table) and per-run timings masked. */
function table(dir: string): string {
  return readFileSync(path.join(dir, 'summary.md'), 'utf8').split('\n')
    .map((l) => (/^\| (DDP|R-DDP) \|/.test(l) ? l.replace(/\| [^|]* \|$/, '| (time) |') : l)).join('\n');
}

describe('experiment sweeps on the cluster', () => {
  it('cube-lift over 4 seeds: the same summary on two workers as in-process', async () => {
    const common = ['cube-lift', '--seeds', '4', '--iterations', '15', '--backend', 'cpu'];
    const local = path.join(tmp.dir, 'local'), remote = path.join(tmp.dir, 'remote');
    await experiment([...common, '--out', local]);
    const log = await experiment([...common, '--out', remote, '--redis', redis.url]);
    // the runs went to both workers
    expect(log).toMatch(/started on exp-a/);
    expect(log).toMatch(/started on exp-b/);
    expect(numbers(remote)).toEqual(numbers(local));
    expect(table(remote)).toBe(table(local));
    expect(readFileSync(path.join(remote, 'summary.md'), 'utf8')).toMatch(/\| R-DDP \| \d\/4 \|/);
  }, 90_000);

  it('npm run study over the cluster: the same runs and verdicts as a local study', async () => {
    const common = ['--grid', 'smoke', '--seeds', '2', '--iterations', '3'];
    const local = path.join(tmp.dir, 'study-local'), remote = path.join(tmp.dir, 'study-remote');
    await cli('study', [...common, '--out', local]);
    await cli('study', [...common, '--out', remote, '--redis', redis.url]);
    const runs = (dir: string) => {
      const j = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8'));
      for (const c of j.cells) for (const r of [c.ddp, ...c.rddp]) delete r.time_s;
      return j;
    };
    expect(runs(remote)).toEqual(runs(local));
    const md = (dir: string) => readFileSync(path.join(dir, 'summary.md'), 'utf8').split('\n').filter((l) => !l.startsWith('Solve time')).join('\n');
    expect(md(remote)).toBe(md(local));
  }, 90_000);
});
