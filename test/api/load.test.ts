import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/api/server.ts';
import { ServerMessageSchema, type FinalMessage } from '../../shared/protocol.ts';
import { json, post, startTestServer, tempDir, TestClient } from './helpers.ts';

let server: RunningServer;
const tmp = tempDir();
beforeAll(async () => { server = await startTestServer(tmp.dir); });
afterAll(async () => { await server.close(); tmp.remove(); });

describe('load', () => {
  it('20 WebSocket clients watching 4 concurrent cube-lift plans all receive every final', async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => TestClient.connect(server.url)));
    // half watch everything, half subscribe to the plans by id once they exist
    for (const c of clients.slice(0, 10)) c.send({ type: 'subscribe', plans: 'all' });
    const heapBefore = process.memoryUsage().heapUsed;
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await post(`${server.url}/api/plans`, { robot: 'cube_rail', task: 'cube-lift', params: { height: 0.2 + 0.05 * i, horizon: 0.6 } });
      expect(res.status).toBe(202);
      ids.push((await json(res)).id);
    }
    for (const c of clients.slice(10)) c.send({ type: 'subscribe', plans: ids });
    await Promise.all(clients.flatMap((c) => ids.flatMap((id) => ['ddp', 'rddp'].map((solver) =>
      c.waitFor<FinalMessage>((m) => m.type === 'final' && m.plan === id && m.solver === solver, 40_000, `final ${id} ${solver}`)))));
    for (const c of clients) {
      for (const id of ids) {
        const fin = c.messages.find((m): m is FinalMessage => m.type === 'final' && m.plan === id && m.solver === 'rddp')!;
        expect(fin.result.trajectory.u.length).toBe(30);
      }
    }
    // every message the server sent matches the shared schema
    for (const m of clients[0].messages) expect(ServerMessageSchema.safeParse(m).success, m.type).toBe(true);
    await server.plans.idle();
    // memory stays bounded: the server keeps the latest state per solve, not every message sent
    const grown = process.memoryUsage().heapUsed - heapBefore;
    expect(grown).toBeLessThan(200 * 1024 * 1024);
    const list = await json(await fetch(`${server.url}/api/recordings`));
    expect(list.recordings.filter((r: { plan: string }) => ids.includes(r.plan)).length).toBe(8);
    await Promise.all(clients.map((c) => c.close()));
  });
});
