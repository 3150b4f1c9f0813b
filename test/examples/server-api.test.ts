/**
 * examples/server-api.ts then examples/read-recording.ts: a plan through the server's HTTP and
 * WebSocket API, then one of the recordings it wrote, read back with @mcap/core alone.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../api/helpers.ts';
import { grab, runExample } from './run.ts';

const tmp = tempDir('rsddp-examples-');
afterAll(() => tmp.remove());
const ITERATIONS = 8;

describe('examples/server-api.ts and examples/read-recording.ts', () => {
  let finals: Map<string, { status: string; iterations: number; cost: string; recording: string }>;

  it('plans over HTTP, follows the solves over the WebSocket to their finals and lists the recordings', async () => {
    const run = await runExample('server-api', ['--iterations', String(ITERATIONS), '--data', tmp.dir]);
    expect(run.code, run.stderr).toBe(0);
    const out = run.stdout;
    expect(out).toMatch(/^server listening on http:\/\/127\.0\.0\.1:\d+ /);
    expect(out).toMatch(/-> 202, plan p\w+$/m);
    expect(out.trim().split('\n').at(-1)).toBe('server stopped');
    finals = new Map();
    for (const solver of ['ddp', 'rddp']) {
      // at least one live iterate per solve, with a finite cost
      const it = [...out.matchAll(new RegExp(`^iterate ${solver}\\s+it\\s+(\\d+)\\s+cost (\\S+)`, 'gm'))];
      expect(it.length, solver).toBeGreaterThan(0);
      expect(it.every((m) => Number.isFinite(Number(m[2])))).toBe(true);
      const [, status, iterations, cost] = new RegExp(`^final\\s+${solver}\\s+(\\w+), (\\d+) iterations, cost (\\S+), success (?:true|false)$`, 'm').exec(out)!;
      expect(Number(iterations)).toBeGreaterThanOrEqual(1);
      expect(Number(iterations)).toBeLessThanOrEqual(ITERATIONS);
      expect(Number(cost)).toBeGreaterThanOrEqual(0);
      const recording = grab(out, new RegExp(`^\\s+recording (\\S+-${solver}-r0)$`, 'm'));
      const file = grab(out, new RegExp(`^GET /api/recordings: ${recording} -> (\\S+) \\(\\d+ bytes\\)$`, 'm'));
      expect(path.dirname(file)).toBe(tmp.dir);
      expect(existsSync(file)).toBe(true);
      finals.set(solver, { status, iterations: Number(iterations), cost, recording: file });
    }
    // the side-by-side lines: the final cost matches the final message's
    for (const [solver, f] of finals) expect(out).toMatch(new RegExp(`^  ${solver}\\s+cost \\S+ -> ${f.cost.replace(/[.+]/g, '\\$&')} in ${f.iterations} iterations`, 'm'));
  });

  it('reads the R-DDP recording back: metadata, topics and telemetry agree with what the server sent', async () => {
    const f = finals.get('rddp')!;
    const run = await runExample('read-recording', [f.recording, '--rows', '3']);
    expect(run.code, run.stderr).toBe(0);
    const out = run.stdout;
    const meta = (key: string) => JSON.parse(grab(out, new RegExp(`^  rsddp\\.${key} = (.*)$`, 'm')));
    expect(meta('task')).toBe('cube-lift');
    expect(meta('robot')).toBe('cube_rail');
    expect(meta('solver')).toBe('rddp');
    expect(meta('status')).toBe(f.status);
    expect(meta('iterations')).toBe(f.iterations);
    expect(meta('cost')).toBe(Number(f.cost));
    expect(meta('solverParams').iterations).toBe(ITERATIONS);
    const topics = new Map([...out.matchAll(/^  (\/\w+)\s+(\d+) messages\s+(\S+) \(json\)$/gm)].map((m) => [m[1], { count: Number(m[2]), schema: m[3] }]));
    expect(topics.get('/telemetry')).toEqual({ count: f.iterations, schema: 'rsddp.IterationRecord' });
    expect(topics.get('/trajectory')).toEqual({ count: 1, schema: 'rsddp.Trajectory' });
    // one transform per body (the cube) per knot: 1 s of 0.02 s steps is 51 knots
    expect(topics.get('/tf')).toEqual({ count: 51, schema: 'foxglove.FrameTransform' });
    const rows = [...out.matchAll(/^\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(smooth|polish|exact)\s+(\S+)$/gm)];
    expect(rows.map((r) => Number(r[1]))).toEqual([0, 1, 2]);
    for (const r of rows) {
      for (const i of [2, 3, 4, 5, 7]) expect(Number.isFinite(Number(r[i])), r[0]).toBe(true);
    }
    // iteration 0's cost is the plan's initial cost, never below the final one
    expect(Number(rows[0][2])).toBeGreaterThanOrEqual(Number(f.cost));
  });

  it('says so and exits 0 when the folder holds no recording', async () => {
    const empty = path.join(tmp.dir, 'empty');
    await import('node:fs/promises').then((fs) => fs.mkdir(empty));
    const run = await runExample('read-recording', [empty]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^no recordings in .*empty: run examples\/server-api\.ts/);
  });
});
