/**
 * What plan requests can claim of the server (issue 14): the queue, the wall clock, the work
 * of one solve and the linearization threads of all running solves together.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/api/server.ts';
import { MAX_PLAN_WORK, type PlanState } from '../../shared/protocol.ts';
import { json, post, startTestServer, tempDir, TestClient, isFinal } from './helpers.ts';
import type { FinalMessage } from '../../shared/protocol.ts';

const tmp = tempDir();
let server: RunningServer | null = null;
afterEach(async () => { await server?.close(); server = null; });

describe('plan claims', () => {
  it('a full queue answers 429 with Retry-After and a message', async () => {
    server = await startTestServer(tmp.dir, { concurrency: 1, queueLimit: 2 });
    const body = { task: 'cube-lift', solvers: ['rddp'], solverParams: { iterations: 200, timeLimit: 5 } };
    const codes: number[] = [];
    let refused: Response | null = null;
    for (let i = 0; i < 5; i++) {
      const r = await post(`${server.url}/api/plans`, body);
      codes.push(r.status);
      if (r.status === 429) refused ??= r;
    }
    // one running, two queued, the rest refused
    expect(codes.filter((c) => c === 202).length).toBeLessThanOrEqual(3);
    expect(refused).not.toBeNull();
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await json(refused!)).error).toMatch(/queue: .*limit 2/);
    for (const p of (await json(await fetch(`${server.url}/api/plans`))).plans as PlanState[]) await fetch(`${server.url}/api/plans/${p.id}`, { method: 'DELETE' });
  });

  it('a solve past its time limit stops like a cancel and says so', async () => {
    server = await startTestServer(tmp.dir, { planTimeoutS: 0.3 });
    const c = await TestClient.connect(server.url);
    c.send({ type: 'subscribe', plans: 'all' });
    // the request cannot raise the server's limit (0.3 s), only lower it
    const { id } = await json(await post(`${server.url}/api/plans`, { task: 'lift-leg', params: { horizon: 0.3 }, solvers: ['rddp'], solverParams: { iterations: 1000, timeLimit: 60 } }));
    const fin = await c.waitFor<FinalMessage>(isFinal(id, 'rddp'), 30_000, 'final');
    expect(fin.result.status).toBe('time limit');
    expect(fin.result.cancelled).toBe(true);
    expect(fin.result.iterations).toBeLessThan(1000);
    await server.plans.idle();
    const st: PlanState = await json(await fetch(`${server.url}/api/plans/${id}`));
    expect(st.solves[0].status).toBe('cancelled');
    expect(st.solves[0].error).toMatch(/time limit/);
    await c.close();
  });

  it('a request claiming more than the work limit (knots × samples × iterations) is refused', async () => {
    server = await startTestServer(tmp.dir);
    // 2500 knots × 128 samples × 1000 iterations
    const res = await post(`${server.url}/api/plans`, { task: 'cube-lift', params: { horizon: 5, dt: 0.002 }, solverParams: { samples: 128, iterations: 1000 } });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.field).toBe('solverParams.iterations');
    expect(body.error).toContain(String(MAX_PLAN_WORK));
    // a replan cannot raise it either
    const { id } = await json(await post(`${server.url}/api/plans`, { task: 'cube-lift', solvers: ['rddp'], solverParams: { samples: 128, iterations: 500, timeLimit: 1 } }));
    expect(id).toBeTruthy();
    const rp = await post(`${server.url}/api/plans/${id}/replan`, { params: { horizon: 5, dt: 0.002 } });
    expect(rp.status).toBe(400);
    await fetch(`${server.url}/api/plans/${id}`, { method: 'DELETE' });
  });

  it('plans asking for 64 workers share the server\'s --max-workers threads', async () => {
    server = await startTestServer(tmp.dir, { concurrency: 4, maxWorkers: 2 });
    const srv = server;
    const c = await TestClient.connect(srv.url);
    c.send({ type: 'subscribe', plans: 'all' });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push((await json(await post(`${srv.url}/api/plans`, { task: 'cube-lift', params: { horizon: 0.3, height: 0.2 + 0.02 * i }, solvers: ['rddp'], backend: 'workers', solverParams: { workers: 64, iterations: 5, seed: i } }))).id);
    }
    let peak = 0;
    const watch = setInterval(() => { peak = Math.max(peak, srv.plans.workersInUse); }, 5);
    const finals = await Promise.all(ids.map((id) => c.waitFor<FinalMessage>(isFinal(id, 'rddp'), 30_000, 'final')));
    clearInterval(watch);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(2);
    for (const f of finals) {
      const w = (f.result as unknown as { compute: { workers: { asked: number; granted: number }; description: string } }).compute;
      expect(w.workers.asked).toBe(64);
      expect(w.workers.granted).toBeGreaterThanOrEqual(1);
      expect(w.workers.granted).toBeLessThanOrEqual(2);
      expect(w.description).toMatch(new RegExp(`workers \\(${w.workers.granted} thread`));
    }
    await c.close();
  });
});
