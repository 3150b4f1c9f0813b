/**
 * The live Foxglove endpoint (`--foxglove`), with the protocol's own client (FoxgloveClient from
 * @foxglove/ws-protocol over `ws`): a running plan's channels are advertised, carry valid
 * messages (checked against @foxglove/schemas and the advertised JSON schemas) that match the
 * plan, and are withdrawn when it ends; the origin policy, the connection limit, the message
 * rate limit and the slow-client rules hold on this port too.
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import foxglove, { type Channel, type MessageData } from '@foxglove/ws-protocol';
import * as fox from '@foxglove/schemas/jsonschema.js';
import { json, post, startTestServer, tempDir } from '../api/helpers.ts';
import type { RunningServer } from '../../server/api/server.ts';
import { GuardedSocket, MAX_FOXGLOVE_CONNECTIONS } from '../../server/api/foxglove-ws.ts';
import { MAX_MESSAGES_PER_S, SLOW_CLIENT_BYTES, SLOW_CLIENT_SOFT_BYTES } from '../../server/api/ws.ts';
import { PLAN_TOPICS } from '../../server/foxglove/plan-channels.ts';
import { validate } from '../helpers/json-schema.ts';
import { loadRobot } from '../../server/model/robots.ts';
import { createData } from '../../server/dynamics/data.ts';
import { forwardKinematics } from '../../server/dynamics/kinematics.ts';

const { FoxgloveClient } = foxglove;
const tmp = tempDir('rsddp-foxlive-');
let server: RunningServer;
beforeAll(async () => { server = await startTestServer(tmp.dir, { foxglovePort: 0, allowedOrigins: ['https://app.foxglove.dev'] }); });
afterAll(async () => { await server?.close(); tmp.remove(); });

const dec = new TextDecoder();

function connect(headers: Record<string, string> = {}, protocols: string[] = [FoxgloveClient.SUPPORTED_SUBPROTOCOL]): WebSocket {
  return new WebSocket(server.foxglove!.url, protocols, { headers });
}

/** The HTTP status an upgrade is refused with (or 101 when accepted). */
function upgradeStatus(headers: Record<string, string>, protocols?: string[]): Promise<number> {
  return new Promise((resolve) => {
    const ws = connect(headers, protocols);
    ws.once('open', () => { ws.close(); resolve(101); });
    ws.once('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); ws.terminate(); });
    ws.once('error', () => undefined);
  });
}

describe('Foxglove live endpoint', () => {
  it("advertises a running plan's channels, streams valid messages that match the plan, withdraws them at the end", async () => {
    const client = new FoxgloveClient({ ws: connect() as never });
    const channels = new Map<number, Channel>();
    const subs = new Map<number, Channel>();
    const got = new Map<string, unknown[]>();
    const withdrawn: number[] = [];
    let serverName = '';
    client.on('serverInfo', (info) => { serverName = info.name; });
    let planId = '';
    client.on('advertise', (list) => {
      for (const c of list) {
        channels.set(c.id, c);
        if (planId && c.topic.startsWith(`/plans/${planId}/`)) subs.set(client.subscribe(c.id), c);
      }
    });
    client.on('unadvertise', (ids) => withdrawn.push(...ids));
    client.on('message', (m: MessageData) => {
      const c = subs.get(m.subscriptionId)!;
      const name = c.topic.split('/').pop()!;
      const body = JSON.parse(dec.decode(m.data));
      // every message valid: Foxglove's schema for foxglove.*, the advertised one for ours
      const schema = c.schemaName.startsWith('foxglove.') ? (fox as Record<string, object>)[c.schemaName.slice(9)] : JSON.parse(c.schema);
      const errors = validate(schema as Record<string, unknown>, body);
      if (errors.length) throw new Error(`${c.topic}: ${errors.slice(0, 3).join('; ')}`);
      (got.get(name) ?? got.set(name, []).get(name)!).push(body);
    });
    await new Promise<void>((resolve) => client.on('open', () => resolve()));
    const res = await post(`${server.url}/api/plans`, { task: 'lift-leg', solvers: ['rddp'], params: { horizon: 0.3 }, solverParams: { iterations: 12, samples: 8 }, backend: 'cpu' });
    planId = (await json(res)).id;
    // channels advertised before the id was known: subscribe now
    for (const c of channels.values()) if (c.topic.startsWith(`/plans/${planId}/`) && ![...subs.values()].includes(c)) subs.set(client.subscribe(c.id), c);
    await server.plans.idle();
    await new Promise((r) => setTimeout(r, 300));
    expect(serverName).toMatch(/^rsddp /);
    const mine = [...channels.values()].filter((c) => c.topic.startsWith(`/plans/${planId}/rddp/`));
    expect(mine.map((c) => c.topic.split('/').pop()).sort()).toEqual(Object.keys(PLAN_TOPICS).sort());
    for (const c of mine) {
      expect(c.encoding).toBe('json');
      expect(c.schemaEncoding).toBe('jsonschema');
      if (c.schemaName.startsWith('foxglove.')) expect(JSON.parse(c.schema)).toEqual((fox as Record<string, object>)[c.schemaName.slice(9)]);
    }
    // withdrawn when the solve ended
    expect(withdrawn.sort()).toEqual(mine.map((c) => c.id).sort());
    for (const t of ['iteration', 'tf', 'robot', 'scene', 'path', 'series']) expect(got.get(t)?.length ?? 0, t).toBeGreaterThan(0);
    // the robot: 13 frames under the plan's prefix, the geometry locked to them
    const prefix = `${planId}/rddp/`;
    const robot = got.get('robot')![0] as { entities: { frame_id: string; frame_locked: boolean }[] };
    expect(robot.entities.every((e) => e.frame_id.startsWith(prefix) && e.frame_locked)).toBe(true);
    // the last tf is the final plan's last knot: the recorded trajectory through our kinematics
    const state = await json(await fetch(`${server.url}/api/plans/${planId}`));
    const recorded = await server.recordings.read(state.solves[0].recording);
    const traj = recorded.trajectory!;
    const last = traj.q[traj.q.length - 1];
    const tfs = (got.get('tf')!.at(-1) as { transforms: { parent_frame_id: string; child_frame_id: string; translation: { x: number; y: number; z: number } }[] }).transforms;
    expect(tfs).toHaveLength(13);
    const { model } = loadRobot('solo12');
    const d = createData(model);
    forwardKinematics(model, d, Float64Array.from(last));
    for (let j = 1; j < model.njoints; j++) {
      const t = tfs.find((x) => x.child_frame_id === `${prefix}${model.bodyNames[j]}`)!;
      expect(t.parent_frame_id).toBe(model.parents[j] === 0 ? 'world' : `${prefix}${model.bodyNames[model.parents[j]]}`);
      expect([t.translation.x, t.translation.y, t.translation.z]).toEqual(Array.from(d.liMi.subarray(12 * j + 9, 12 * j + 12)));
    }
    // numbers: the iterations streamed are the solve's (a subset: iterates are throttled), the last series is the final plan's
    const iters = got.get('iteration') as { iteration: number; cost: number }[];
    for (const it of iters) expect(it.cost).toBe(recorded.telemetry.find((r) => r.iteration === it.iteration)!.cost);
    const series = got.get('series')!.at(-1) as { series: { name: string; values: number[] }[]; time: number[] };
    expect(series.time).toHaveLength(traj.q.length);
    expect(series.series[0].name).toMatch(/foot height/);
    const base = series.series.find((s) => s.name === 'base height');
    if (base) expect(base.values).toEqual(traj.q.map((q) => q[2]));
    client.close();
  }, 120_000);

  it('applies the origin policy to the upgrade and requires the Foxglove subprotocol', async () => {
    expect(await upgradeStatus({})).toBe(101);
    expect(await upgradeStatus({ origin: 'https://app.foxglove.dev' })).toBe(101);
    expect(await upgradeStatus({ origin: 'http://evil.example' })).toBe(403);
    expect(await upgradeStatus({ host: 'evil.example' })).toBe(403);
    // the API's own port is not this one's: its origin is foreign here
    expect(await upgradeStatus({ origin: server.url })).toBe(403);
    expect(await upgradeStatus({}, ['other.protocol'])).toBe(400);
    const plain = await fetch(server.foxglove!.url.replace(/^ws/, 'http'));
    expect(plain.status).toBe(426);
  });

  it(`accepts ${MAX_FOXGLOVE_CONNECTIONS} connections and refuses the next with 503`, async () => {
    const open: WebSocket[] = [];
    try {
      for (let i = 0; i < MAX_FOXGLOVE_CONNECTIONS; i++) {
        const ws = connect();
        await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
        open.push(ws);
      }
      expect(server.foxglove!.clients()).toBe(MAX_FOXGLOVE_CONNECTIONS);
      expect(await upgradeStatus({})).toBe(503);
    } finally {
      await Promise.all(open.map((ws) => new Promise<void>((resolve) => { ws.once('close', () => resolve()); ws.close(); })));
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(await upgradeStatus({})).toBe(101);
  });

  it('closes a connection that floods messages (1008)', async () => {
    const ws = connect();
    await new Promise<void>((resolve) => ws.once('open', () => resolve()));
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
    for (let i = 0; i < MAX_MESSAGES_PER_S * 3; i++) ws.send(JSON.stringify({ op: 'unsubscribe', subscriptionIds: [] }));
    const { code, reason } = await closed;
    expect(code).toBe(1008);
    expect(reason).toMatch(/too many messages/);
  });
});

describe('slow Foxglove clients', () => {
  /** A stand-in for a `ws` socket whose unsent bytes the test sets. */
  class FakeWs extends EventEmitter {
    readyState = WebSocket.OPEN; bufferedAmount = 0; protocol = 'foxglove.websocket.v1'; binaryType = 'nodebuffer';
    sent: unknown[] = []; closedWith: [number, string] | null = null;
    send(d: unknown) { this.sent.push(d); }
    close(code: number, reason: string) { this.closedWith = [code, reason]; }
    terminate() {}
  }
  const log = { info() {}, warn() {}, error() {} };

  it('drops message data over the soft limit, keeps control messages, closes over the hard limit', () => {
    const ws = new FakeWs();
    const g = new GuardedSocket(ws as never, log);
    g.send(new Uint8Array([1, 2]));
    g.send('{"op":"advertise"}');
    expect(ws.sent).toHaveLength(2);
    ws.bufferedAmount = SLOW_CLIENT_SOFT_BYTES + 1;
    g.send(new Uint8Array([1, 2]));
    g.send('{"op":"unadvertise"}');
    expect(ws.sent).toHaveLength(3);
    expect(ws.sent[2]).toBe('{"op":"unadvertise"}');
    expect(g.dropped).toBe(1);
    ws.bufferedAmount = SLOW_CLIENT_BYTES + 1;
    g.send('{"op":"status"}');
    expect(ws.sent).toHaveLength(3);
    expect(ws.closedWith?.[0]).toBe(1008);
    expect(ws.closedWith?.[1]).toMatch(/too slow/);
  });
});
