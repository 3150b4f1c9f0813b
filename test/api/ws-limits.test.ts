/**
 * WebSocket amplification and abuse, against the real server: a 34-byte `subscribe: "all"` no
 * longer returns every plan's trajectories, a subscribe names a bounded number of plans, a
 * flood of messages closes the connection, and the number of connections is bounded.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/api/server.ts';
import { MAX_ALL_SNAPSHOTS, MAX_MESSAGES_PER_S, MAX_SUBSCRIBE_IDS, MAX_WS_CONNECTIONS, SLOW_CLIENT_BYTES } from '../../server/api/ws.ts';
import { json, post, startTestServer, tempDir, TestClient } from './helpers.ts';

const tmp = tempDir('rsddp-wslim-');
let server: RunningServer;
const ids: string[] = [];
const PLANS = MAX_ALL_SNAPSHOTS + 4;

beforeAll(async () => {
  server = await startTestServer(tmp.dir);
  for (let i = 0; i < PLANS; i++) {
    const r = await post(`${server.url}/api/plans`, { task: 'cube-lift', solvers: ['ddp'], params: { horizon: 0.3 }, solverParams: { iterations: 2 } });
    ids.push((await json(r)).id);
  }
  await server.plans.idle();
}, 120_000);
afterAll(async () => { await server?.close(); tmp.remove(); });

describe('WebSocket limits', () => {
  it('subscribe "all" brings every status but the trajectories of the newest plans only', async () => {
    const c = await TestClient.connect(server.url);
    await c.waitFor((m) => m.type === 'hello');
    c.send({ type: 'subscribe', plans: 'all' });
    await c.waitFor((m) => m.type === 'final' && m.plan === ids[ids.length - 1]);
    await new Promise((r) => setTimeout(r, 200));
    const statuses = new Set(c.messages.filter((m) => m.type === 'status').map((m) => (m as { plan: { id: string } }).plan.id));
    const finals = new Set(c.messages.filter((m) => m.type === 'final').map((m) => (m as { plan: string }).plan));
    expect(statuses.size).toBe(PLANS);
    expect(finals.size).toBe(MAX_ALL_SNAPSHOTS);
    expect([...finals].sort()).toEqual(ids.slice(-MAX_ALL_SNAPSHOTS).sort());
    // an older plan's full state comes with a subscribe by id
    c.send({ type: 'subscribe', plans: [ids[0]] });
    await c.waitFor((m) => m.type === 'final' && m.plan === ids[0]);
    c.ws.close();
  });

  it(`refuses a subscribe naming more than ${MAX_SUBSCRIBE_IDS} plans`, async () => {
    const c = await TestClient.connect(server.url);
    c.send({ type: 'subscribe', plans: Array.from({ length: MAX_SUBSCRIBE_IDS + 1 }, (_, i) => ids[i % ids.length] + (i >= ids.length ? 'x' : '')) });
    const e = await c.waitFor((m) => m.type === 'error');
    expect(e).toMatchObject({ field: 'plans' });
    expect((e as { message: string }).message).toMatch(/at most \d+ plans per subscribe/);
    c.ws.close();
  });

  it('closes a connection that floods messages (1008 naming the limit), and keeps serving', async () => {
    const c = await TestClient.connect(server.url);
    const closed = new Promise<{ code: number; reason: string }>((resolve) => c.ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
    for (let i = 0; i < MAX_MESSAGES_PER_S * 3; i++) c.send({ type: 'unsubscribe', plans: 'all' });
    const { code, reason } = await closed;
    expect(code).toBe(1008);
    expect(reason).toMatch(/too many messages/);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it(`closes a client that stops reading once more than ${SLOW_CLIENT_BYTES} bytes wait for it`, async () => {
    // one plan with full trajectories, its snapshot asked for again and again by a client whose
    // socket is paused: kernel buffers fill first, then the server's; past the hard limit the
    // server closes the connection (before: it kept buffering, 2 GB in the probe)
    const r = await post(`${server.url}/api/plans`, { task: 'cube-lift', solvers: ['ddp', 'rddp'], solverParams: { iterations: 8 } });
    const { id } = await json(r);
    await server.plans.idle();
    const ws = new WebSocket(server.url.replace(/^http/, 'ws') + '/ws');
    await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('error', () => undefined);
    const socket = (ws as unknown as { _socket: import('node:net').Socket })._socket;
    socket.pause();
    let isClosed = false;
    void closed.then(() => { isClosed = true; });
    const msg = JSON.stringify({ type: 'subscribe', plans: Array.from({ length: MAX_SUBSCRIBE_IDS }, () => id) });
    // paced under the message rate limit; stops once the server has cut the client off
    // (a send then fails: the socket is gone) or after 60 s
    let sent = 0;
    const t0 = Date.now();
    while (Date.now() - t0 < 60_000 && ws.readyState === WebSocket.OPEN && !socket.destroyed) {
      for (let i = 0; i < MAX_MESSAGES_PER_S / 2; i++) ws.send(msg);
      sent += MAX_MESSAGES_PER_S / 2;
      await new Promise((r2) => setTimeout(r2, 600));
      // read nothing, but let the server's close/reset be noticed now and then
      if (sent % (MAX_MESSAGES_PER_S * 5) === 0) { socket.resume(); await new Promise((r2) => setTimeout(r2, 5)); socket.pause(); }
      if (isClosed) break;
    }
    socket.resume();
    const code = await Promise.race([closed, new Promise<number>((r2) => setTimeout(() => r2(-1), 20_000))]);
    expect(code, `sent ${sent} subscribes`).not.toBe(-1);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  }, 120_000);

  it(`accepts at most ${MAX_WS_CONNECTIONS} connections; the next upgrade gets 503`, async () => {
    const open: WebSocket[] = [];
    for (let i = 0; i < MAX_WS_CONNECTIONS; i++) {
      const ws = new WebSocket(server.url.replace(/^http/, 'ws') + '/ws');
      await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
      open.push(ws);
    }
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(server.url.replace(/^http/, 'ws') + '/ws');
      ws.once('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => { ws.close(); resolve(101); });
      ws.once('error', () => resolve(-1));
    });
    expect(status).toBe(503);
    for (const ws of open) ws.close();
  });
});
