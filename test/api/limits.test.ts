/**
 * Limits on what a plan request can claim (issue 14): parameter values and names, every solver
 * parameter at its schema bounds, the queue, the wall-clock limit and the worker threads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/api/server.ts';
import { MAX_ITERATIONS, MAX_SAMPLES, MAX_TIME_LIMIT_S, MAX_WORKERS, MIN_SAMPLES, MIN_TIME_LIMIT_S, type PlanState } from '../../shared/protocol.ts';
import { json, post, startTestServer, tempDir, TestClient } from './helpers.ts';

let server: RunningServer;
const tmp = tempDir();
beforeAll(async () => { server = await startTestServer(tmp.dir); });
afterAll(async () => { await server.close(); tmp.remove(); });

describe('task parameters', () => {
  it.each([
    ['null', '{"height":null}', 'got null'],
    ['an object', '{"height":{"a":1}}', 'got an object'],
    ['a boolean', '{"height":true}', 'got a boolean'],
    ['1e309 (Infinity)', '{"height":1e309}', 'got Infinity'],
  ])('%s is refused with what was expected', async (_what, params, got) => {
    const res = await post(`${server.url}/api/plans`, `{"task":"cube-lift","params":${params}}`);
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.field).toBe('params.height');
    expect(body.error).toContain('params.height: expected a finite number');
    expect(body.error).toContain(got);
  });

  it.each(['__proto__', 'constructor', 'notAParam'])('the unknown name %s is refused, named', async (key) => {
    const res = await post(`${server.url}/api/plans`, `{"task":"cube-lift","params":{"${key}":1}}`);
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.field).toBe(`params.${key}`);
    expect(body.error).toContain(key);
  });

  it('__proto__ in solverParams and in a replan (HTTP and WebSocket) is refused too', async () => {
    const sp = await post(`${server.url}/api/plans`, '{"task":"cube-lift","solverParams":{"__proto__":{"iterations":1}}}');
    expect(sp.status).toBe(400);
    expect((await json(sp)).error).toContain('__proto__');
    const { id } = await json(await post(`${server.url}/api/plans`, { task: 'cube-lift', solvers: ['ddp'], solverParams: { iterations: 1 } }));
    const rp = await post(`${server.url}/api/plans/${id}/replan`, '{"params":{"__proto__":{"height":0.5}}}');
    expect(rp.status).toBe(400);
    expect((await json(rp)).field).toBe('params.__proto__');
    const c = await TestClient.connect(server.url);
    c.send(`{"type":"replan","plan":"${id}","params":{"height":null}}`);
    const err = await c.waitFor((m) => m.type === 'error');
    expect(err).toMatchObject({ field: 'params.height' });
    expect(err.type === 'error' && err.message).toContain('got null');
    c.send(`{"type":"replan","plan":"${id}","params":{"__proto__":{"height":0.5}}}`);
    const err2 = await c.waitFor((m) => m.type === 'error' && m.field === 'params.__proto__');
    expect(err2.type).toBe('error');
    await c.close();
    await server.plans.idle();
  });
});

describe('solver parameters at the schema bounds', () => {
  // every bound the schema states runs end to end (cube-lift, short horizon, a few iterations)
  const cases: Array<[string, Record<string, unknown>]> = [
    ['iterations min', { iterations: 1 }],
    ['iterations max', { iterations: MAX_ITERATIONS, sigma0: 1e-3 }],
    ['samples min', { samples: MIN_SAMPLES, iterations: 2 }],
    ['samples max', { samples: MAX_SAMPLES, iterations: 2 }],
    ['sigma0 tiny', { sigma0: 1e-9, iterations: 2 }],
    ['sigma0 max', { sigma0: 1e6, iterations: 2 }],
    ['stateNoiseRatio max', { stateNoiseRatio: 100, iterations: 2 }],
    ['seed min', { seed: 0, iterations: 2 }],
    ['seed max', { seed: 2 ** 31, iterations: 2 }],
    ['estimator first', { estimator: 'first', samples: MAX_SAMPLES, iterations: 2 }],
    ['workers min', { workers: 1, iterations: 2 }],
        ['timeLimit min', { timeLimit: MIN_TIME_LIMIT_S, iterations: 2 }],
    ['timeLimit max', { timeLimit: MAX_TIME_LIMIT_S, iterations: 2 }],
  ];
  it('every solver parameter at its min and max runs', async () => {
    const ids = new Map<string, string>();
    for (const [name, solverParams] of cases) {
      const res = await post(`${server.url}/api/plans`, { task: 'cube-lift', params: { horizon: 0.2 }, backend: 'workers', solverParams });
      expect(res.status, `${name}: ${JSON.stringify(await res.clone().json())}`).toBe(202);
      ids.set(name, (await json(res)).id);
    }
    await server.plans.idle();
    for (const [name, id] of ids) {
      const st: PlanState = await json(await fetch(`${server.url}/api/plans/${id}`));
      expect(st.solves.map((s) => `${name} ${s.solver}: ${s.status} ${s.error ?? ''}`)).toEqual(st.solves.map((s) => `${name} ${s.solver}: done `));
    }
  }, 120_000);

  it.each([
    ['samples', { samples: MAX_SAMPLES + 1 }], ['samples', { samples: MIN_SAMPLES - 1 }],
    ['iterations', { iterations: MAX_ITERATIONS + 1 }], ['workers', { workers: MAX_WORKERS + 1 }],
    ['timeLimit', { timeLimit: MAX_TIME_LIMIT_S + 1 }],
  ])('beyond a bound, %s is refused with 400 naming it', async (field, solverParams) => {
    const res = await post(`${server.url}/api/plans`, { task: 'cube-lift', solverParams });
    expect(res.status).toBe(400);
    expect((await json(res)).field).toBe(`solverParams.${field}`);
  });
});
