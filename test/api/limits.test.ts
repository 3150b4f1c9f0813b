/**
 * Limits on what a plan request can claim (issue 14): parameter values and names, every solver
 * parameter at its schema bounds, the queue, the wall-clock limit and the worker threads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/api/server.ts';
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
