import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/api/server.ts';
import { MAX_MESSAGES_PER_S } from '../../server/api/ws.ts';
import type { ErrorMessage } from '../../shared/protocol.ts';
import { json, post, startTestServer, tempDir, TestClient } from './helpers.ts';

let server: RunningServer;
const tmp = tempDir();
beforeAll(async () => { server = await startTestServer(tmp.dir); });
afterAll(async () => { await server.close(); tmp.remove(); });

/** A tiny deterministic PRNG (mulberry32). */
function rng(seed: number) {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('bad input', () => {
  it('answers 400 naming the field for malformed bodies', async () => {
    const cases: [unknown, string][] = [
      ['{"task": ', 'body'],
      ['', 'body'],
      [[1, 2], ''],
      [{}, 'task'],
      [{ task: 42 }, 'task'],
      [{ task: 'cube-lift', params: { height: 'high' } }, 'params.height'],
      [{ task: 'cube-lift', params: { height: 99 } }, 'params.height'],
      [{ task: 'cube-lift', params: { bogus: 1 } }, 'params.bogus'],
      [{ task: 'cube-lift', solvers: ['ilqr'] }, 'solvers.0'],
      [{ task: 'cube-lift', solvers: [] }, 'solvers'],
      [{ task: 'cube-lift', solverParams: { iterations: -3 } }, 'solverParams.iterations'],
      [{ task: 'cube-lift', extra: true }, 'extra'],
      [{ task: 'cube-lift', robot: 'solo12' }, 'robot'],
      [{ task: 'cube-lift', backend: 'gpu' }, 'backend'],
    ];
    for (const [body, field] of cases) {
      const res = await post(`${server.url}/api/plans`, body);
      const out = await json(res);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(typeof out.error).toBe('string');
      if (field) {
        expect(out.field, JSON.stringify(body)).toBe(field);
        expect(out.error).toContain(field.split('.').at(-1));
      }
    }
    const { id } = await json(await post(`${server.url}/api/plans`, { task: 'cube-lift', solvers: ['ddp'], params: { horizon: 0.2 } }));
    const bad = await post(`${server.url}/api/plans/${id}/replan`, { params: { dt: 'x' } });
    expect(bad.status).toBe(400);
    expect((await json(bad)).field).toBe('params.dt');
    const bad2 = await post(`${server.url}/api/plans/${id}/replan`, { height: 1 });
    expect(bad2.status).toBe(400);
    // the task's schema refuses it on replan as on create: the field names the parameter
    for (const [params, field] of [[{ bogus: 1 }, 'params.bogus'], [{ height: 99 }, 'params.height']] as const) {
      const res = await post(`${server.url}/api/plans/${id}/replan`, { params });
      const out = await json(res);
      expect(res.status, JSON.stringify(params)).toBe(400);
      expect(out.field).toBe(field);
      expect(out.error).toMatch(new RegExp(`^${field.replace('.', '\\.')}: task cube-lift: `));
    }
  });

  it('answers 404 for unknown robots, tasks, plans, recordings and endpoints; 405 for wrong methods', async () => {
    expect((await fetch(`${server.url}/api/robots/nobody`)).status).toBe(404);
    const t = await post(`${server.url}/api/plans`, { task: 'juggle' });
    expect(t.status).toBe(404);
    expect((await json(t)).field).toBe('task');
    const r = await post(`${server.url}/api/plans`, { task: 'cube-lift', robot: 'nobody' });
    expect(r.status).toBe(404);
    expect((await json(r)).field).toBe('robot');
    expect((await fetch(`${server.url}/api/plans/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/api/plans/nope`, { method: 'DELETE' })).status).toBe(404);
    expect((await post(`${server.url}/api/plans/nope/replan`, { params: {} })).status).toBe(404);
    expect((await fetch(`${server.url}/api/recordings/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/api/nothing`)).status).toBe(404);
    const m = await fetch(`${server.url}/api/robots`, { method: 'POST', body: '{}' });
    expect(m.status).toBe(405);
    expect(m.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect((await fetch(`${server.url}/api/plans`, { method: 'PUT', body: '{}' })).status).toBe(405);
    expect((await fetch(`${server.url}/api/tasks`, { method: 'DELETE' })).status).toBe(405);
  });

  it('answers 413 for bodies over 1 MiB (declared or streamed)', async () => {
    const big = JSON.stringify({ task: 'cube-lift', pad: 'x'.repeat(1024 * 1024 + 10) });
    expect((await post(`${server.url}/api/plans`, big)).status).toBe(413);
    // chunked, no content-length
    const status = await new Promise<number>((resolve, reject) => {
      const u = new URL(`${server.url}/api/plans`);
      const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'transfer-encoding': 'chunked', 'content-type': 'application/json' } }, (res) => { res.resume(); resolve(res.statusCode!); });
      req.on('error', reject);
      const chunk = 'x'.repeat(64 * 1024);
      for (let i = 0; i < 20; i++) req.write(chunk);
      req.end();
    });
    expect(status).toBe(413);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('answers malformed socket messages with an error naming the field, and keeps the socket open', async () => {
    const c = await TestClient.connect(server.url);
    await c.waitFor((m) => m.type === 'hello');
    const cases: [string, string | undefined][] = [
      ['not json', undefined],
      ['[]', 'type'],
      ['{"type":"dance"}', 'type'],
      ['{"type":"subscribe"}', 'plans'],
      ['{"type":"subscribe","plans":"some"}', 'plans'],
      ['{"type":"cancel","plan":7}', 'plan'],
      ['{"type":"replan","plan":"x"}', 'params'],
      ['{"type":"replan","plan":"nope","params":{}}', 'plan'],
      ['{"type":"cancel","plan":"nope"}', 'plan'],
      ['{"type":"subscribe","plans":["nope"]}', 'plans'],
      ['{"type":"cancel","plan":"x","v":2}', 'v'],
    ];
    for (const [raw, field] of cases) {
      const next = c.next<ErrorMessage>((m) => m.type === 'error', 2000, raw);
      c.send(raw);
      const err = await next;
      expect(err.field, raw).toBe(field);
    }
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await c.next((m) => m.type === 'error', 2000);
    await c.close();
  });

  it('survives ~2000 random and malformed socket messages and HTTP bodies', async () => {
    const rand = rng(42);
    const pick = <T>(a: T[]) => a[Math.floor(rand() * a.length)];
    const atoms: unknown[] = [null, true, 0, -1, 1e308, 'all', '', 'x'.repeat(300), [], {}, [1, 'a'], { a: { b: [] } }, 'cube-lift', 'lift-leg', 'rddp', NaN];
    const randomValue = (d = 0): unknown => {
      const r = rand();
      if (d > 2 || r < 0.5) return pick(atoms);
      if (r < 0.75) return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(d + 1));
      const o: Record<string, unknown> = {};
      for (let i = 0; i < Math.floor(rand() * 4); i++) o[pick(['type', 'plans', 'plan', 'params', 'height', 'task', 'solvers', 'v', '__proto__', 'constructor'])] = randomValue(d + 1);
      return o;
    };
    const randomMessage = (): string => {
      const r = rand();
      if (r < 0.15) return Array.from({ length: Math.floor(rand() * 40) }, () => String.fromCharCode(Math.floor(rand() * 128))).join('');
      const msg: Record<string, unknown> = { type: pick(['subscribe', 'unsubscribe', 'replan', 'cancel', 'hello', 7]) };
      if (rand() < 0.7) msg.plans = randomValue();
      if (rand() < 0.7) msg.plan = pick([randomValue(), 'nope']);
      if (rand() < 0.7) msg.params = rand() < 0.5 ? { height: randomValue() } : randomValue();
      const text = JSON.stringify(msg) ?? 'null';
      return rand() < 0.1 ? text.slice(0, Math.floor(rand() * text.length)) : text;
    };
    // a real plan running meanwhile must be unaffected
    const watcher = await TestClient.connect(server.url);
    watcher.send({ type: 'subscribe', plans: 'all' });
    const { id } = await json(await post(`${server.url}/api/plans`, { task: 'cube-lift', solvers: ['rddp'] }));

    // 34 sockets, each below the per-connection rate limit (MAX_MESSAGES_PER_S, tested in
    // ws-limits.test.ts): the point here is malformed content, not flooding
    const clients = await Promise.all(Array.from({ length: 34 }, () => TestClient.connect(server.url)));
    let sent = 0;
    const perClient = MAX_MESSAGES_PER_S - 4;
    for (const c of clients) for (let i = 0; i < perClient; i++) { c.send(randomMessage()); sent++; }
    const paths = ['/api/plans', `/api/plans/${id}/replan`, '/api/plans/nope/replan', '/api/robots', '/api/recordings/x', '/api/tasks'];
    const methods = ['POST', 'GET', 'DELETE', 'PUT', 'PATCH'];
    const statuses = new Set<number>();
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(Array.from({ length: 50 }, async () => {
        const method = pick(methods);
        const body = method === 'GET' ? undefined : rand() < 0.2 ? randomMessage() : JSON.stringify(randomValue()) ?? '';
        const p = pick(paths);
        // keep the real plan's parameters valid: replans on it are random only in shape
        const res = await fetch(`${server.url}${p === `/api/plans/${id}/replan` ? '/api/plans/nope/replan' : p}`, { method, body });
        statuses.add(res.status);
        await res.arrayBuffer();
        sent++;
      }));
    }
    expect(sent).toBeGreaterThanOrEqual(2000);
    expect([...statuses].every((s) => s < 500)).toBe(true);
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    for (const c of clients) expect(c.ws.readyState).toBe(c.ws.OPEN);
    const errors = clients.flatMap((c) => c.messages.filter((m) => m.type === 'error'));
    expect(errors.length).toBeGreaterThan(500);
    expect(errors.every((e) => e.type === 'error' && !e.message.startsWith('internal error'))).toBe(true);
    const fin = await watcher.waitFor((m) => m.type === 'final' && m.plan === id, 30_000);
    expect(fin.type === 'final' && fin.result.success).toBe(true);
    await Promise.all([...clients, watcher].map((c) => c.close()));
    await server.plans.idle();
  });
});
