/**
 * Tasks on a robot nobody here wrote, through the real server started with --robots on the
 * upstream example-robot-data Solo folder: GET /api/tasks says which robots each task can run
 * on, a mismatched robot is a 4xx naming what is missing, and lift-leg plans on the upstream
 * Solo-12 (found by its SRDF, mesh feet as contact spheres) with DDP and R-DDP end to end on the
 * solve threads and worker pools (which must resolve the robot id themselves).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/api/server.ts';
import type { FinalMessage, TaskInfo } from '../../shared/protocol.ts';
import { repoRoot } from '../model/helpers.ts';
import { json, post, startTestServer, tempDir, TestClient } from './helpers.ts';

const SOLO_DIR = path.join(repoRoot, '../shared/robots/example-robot-data/robots/solo_description');
const tmp = tempDir();
let server: RunningServer;

beforeAll(async () => {
  server = await startTestServer(tmp.dir, { robotsDirs: [SOLO_DIR], concurrency: 2 });
}, 30_000);
afterAll(async () => {
  await server?.close();
  tmp.remove();
});

describe('robots a task can run on', () => {
  it('lists the upstream robots under ids and says which tasks take them', async () => {
    const robots = (await json(await fetch(`${server.url}/api/robots`))).robots.map((r: { id: string }) => r.id);
    expect(robots).toEqual(['cube', 'cube_rail', 'double_pendulum', 'solo12', 'solo', 'solo_description-solo12']);
    const tasks: TaskInfo[] = (await json(await fetch(`${server.url}/api/tasks`))).tasks;
    const on = Object.fromEntries(tasks.map((t) => [t.name, t.robots]));
    expect(on).toEqual({
      'lift-leg': ['solo12', 'solo', 'solo_description-solo12'],
      'cube-lift': ['cube_rail'],
      'swing-up': ['double_pendulum'],
      reach: ['cube_rail', 'double_pendulum'],
    });
    expect(tasks.find((t) => t.name === 'lift-leg')!.needs).toMatch(/2, 4 or 6 feet/);
    const summary = await json(await fetch(`${server.url}/api/robots/solo_description-solo12`));
    expect(summary.srdf).toBe('solo.srdf');
    expect(summary.why.contactFrames).toMatch(/solo\.srdf/);
    expect(summary.legs.FL).toEqual({ frame: 'FL_FOOT', knee: 'FL_KFE' });
    expect(summary.meshes.length).toBeGreaterThan(0);
    expect(summary.meshes.every((m: { url: string | null }) => m.url !== null)).toBe(true);
  });

  it('answers 4xx naming the missing piece', async () => {
    const cases: [unknown, number, string, RegExp][] = [
      [{ task: 'lift-leg', robot: 'double_pendulum' }, 400, 'robot', /robot 'double_pendulum' has a fixed base: lift-leg needs a legged robot/],
      [{ task: 'lift-leg', robot: 'cube' }, 400, 'robot', /robot 'cube' has no contact frames: lift-leg needs ≥2 feet/],
      [{ task: 'cube-lift', robot: 'solo' }, 400, 'robot', /cube-lift runs on cube_rail only/],
      [{ task: 'swing-up', robot: 'solo' }, 400, 'robot', /robot 'solo' has a floating base: swing-up needs a fixed-base arm/],
      [{ task: 'reach', robot: 'solo12' }, 400, 'robot', /reach needs a fixed-base arm/],
      [{ task: 'lift-leg', robot: 'nobody' }, 404, 'robot', /unknown robot 'nobody'/],
      [{ task: 'lift-leg', params: { robot: 'solo' } }, 400, 'params.robot', /the request's 'robot' field/],
    ];
    for (const [body, status, field, re] of cases) {
      const res = await post(`${server.url}/api/plans`, body);
      const out = await json(res);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(out.field, JSON.stringify(body)).toBe(field);
      expect(out.error, JSON.stringify(body)).toMatch(re);
    }
  });

  it('plans lift-leg on the upstream Solo-12 with DDP and R-DDP (few iterations), on its own foot spheres', async () => {
    const c = await TestClient.connect(server.url);
    c.send({ type: 'subscribe', plans: 'all' });
    await c.waitFor((m) => m.type === 'hello');
    const res = await post(`${server.url}/api/plans`, {
      robot: 'solo_description-solo12', task: 'lift-leg', params: { horizon: 0.2, dt: 0.02 },
      solverParams: { iterations: 3, samples: 8, workers: 1 }, backend: 'workers',
    });
    expect(res.status).toBe(202);
    const { id, plan } = await json(res);
    expect(plan.robot).toBe('solo_description-solo12');
    expect(plan.params.robot).toBe('solo_description-solo12');
    const finals = await Promise.all((['ddp', 'rddp'] as const).map((solver) =>
      c.waitFor<FinalMessage>((m) => m.type === 'final' && m.plan === id && m.solver === solver, 60_000, `${solver} final`)));
    for (const f of finals) {
      expect(f.result.robot).toBe('solo_description-solo12');
      expect(f.result.iterations).toBeGreaterThan(0);
      expect(f.result.compute.backend).toBe('workers');
      expect(f.result.trajectory.q[0]).toHaveLength(19);
      // the standing start: every foot sphere (default radius) on the ground
      expect(Math.abs(f.result.metrics.otherFeetMaxHeight as number)).toBeLessThan(0.01);
      expect(Number.isFinite(f.result.cost)).toBe(true);
    }
    const [ddp, rddp] = finals;
    expect(ddp.result.cost).toBeLessThanOrEqual(ddp.result.initialCost! * (1 + 1e-9));
    expect(rddp.result.telemetry.some((t) => t.phase === 'smooth')).toBe(true);
    // contacts traced for display on the same robot: four foot contacts at the start
    expect(finals[0].result.trajectory.contacts?.[0]?.length).toBe(4);
    // replanning cannot switch robots
    const rp = await post(`${server.url}/api/plans/${id}/replan`, { params: { robot: 'solo' } });
    expect(rp.status).toBe(400);
    expect((await json(rp)).field).toBe('params.robot');
    await c.close();
  }, 90_000);
});
