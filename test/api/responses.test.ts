/**
 * The GET responses the client reads are defined once, in shared/protocol.ts: the real
 * server's answers parse with those schemas, strictly (no field the schema does not know).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/api/server.ts';
import { PlanResultSchema, RobotSummarySchema, TaskListSchema } from '../../shared/protocol.ts';
import { json, post, startTestServer, tempDir, TestClient } from './helpers.ts';

const tmp = tempDir('rsddp-responses-');
let server: RunningServer;
beforeAll(async () => { server = await startTestServer(tmp.dir); });
afterAll(async () => { await server?.close(); tmp.remove(); });

describe('GET responses match the shared schemas', () => {
  it('/api/tasks', async () => {
    const body = await (await fetch(`${server.url}/api/tasks`)).json();
    const parsed = TaskListSchema.strict().parse(body);
    expect(parsed.tasks.map((t) => t.name)).toEqual(expect.arrayContaining(['lift-leg', 'cube-lift', 'swing-up']));
    for (const t of parsed.tasks) for (const p of t.params) expect(Object.keys(p).every((k) => k in TaskListSchema.shape.tasks.element.shape.params.element.shape)).toBe(true);
  });

  it('/api/robots/:id for every robot of the project', async () => {
    const { robots } = await (await fetch(`${server.url}/api/robots`)).json() as { robots: { id: string }[] };
    expect(robots.length).toBeGreaterThan(0);
    for (const { id } of robots) {
      const body = await (await fetch(`${server.url}/api/robots/${id}`)).json();
      const parsed = RobotSummarySchema.strict().parse(body);
      expect(parsed.id).toBe(id);
      expect(parsed.joints.length).toBe(parsed.floating ? parsed.nv - 5 : parsed.nv);
    }
  });
});

describe('a final result matches the shared schema, compute included', () => {
  it('POST a plan, read its final over the WebSocket, parse it strictly', async () => {
    const c = await TestClient.connect(server.url);
    c.send({ type: 'subscribe', plans: 'all' });
    const { id } = await json(await post(`${server.url}/api/plans`, { task: 'cube-lift', solvers: ['rddp'], params: { horizon: 0.2 }, solverParams: { iterations: 3 } }));
    const fin = await c.waitFor((m) => m.type === 'final' && m.plan === id, 30_000);
    if (fin.type !== 'final') throw new Error('not a final');
    const parsed = PlanResultSchema.strict().parse(fin.result);
    expect(parsed.compute.description.length).toBeGreaterThan(0);
    expect(['cpu', 'workers', 'webgpu']).toContain(parsed.compute.backend);
    await c.close();
  });
});
