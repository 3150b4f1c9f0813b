/**
 * The GET responses the client reads are defined once, in shared/protocol.ts: the real
 * server's answers parse with those schemas, strictly (no field the schema does not know).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/api/server.ts';
import { RobotSummarySchema, TaskListSchema } from '../../shared/protocol.ts';
import { startTestServer, tempDir } from './helpers.ts';

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
