/**
 * The contact data the client draws (contact points and force arrows): server/planning/contact-trace.ts
 * replays a trajectory through the task's Simulator; the planning server attaches the contacts
 * per knot to the iterates and finals it sends and to the recorded trajectory.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ContactTracer } from '../../server/planning/contact-trace.ts';
import { getTask } from '../../server/control/tasks/index.ts';
import { resolveParams } from '../../server/control/tasks/types.ts';
import { totalMass } from '../../server/model/model.ts';
import { ServerMessageSchema, type FinalMessage, type IterateMessage } from '../../shared/protocol.ts';
import { json, post, startTestServer, tempDir, TestClient } from '../api/helpers.ts';

const tmp = tempDir('rsddp-contacts-');
afterAll(() => tmp.remove());

/** A trajectory that holds the initial state and the task's initial controls (no rollout). */
function standStill(task: string, params: Record<string, number | string> = {}) {
  const def = getTask(task);
  const built = def.build(resolveParams(def, params));
  const nq = built.model.nq;
  const x0 = Array.from(built.x0);
  return {
    built,
    traj: { dt: built.dt, q: Array.from({ length: 4 }, () => x0.slice(0, nq)), v: Array.from({ length: 4 }, () => x0.slice(nq)), u: built.uInit.slice(0, 3).map((u) => Array.from(u)) },
  };
}

describe('contact trace', () => {
  it('Solo-12 standing on its static-equilibrium torques: four feet on the ground carrying its weight', () => {
    const { built, traj } = standStill('lift-leg');
    const tracer = new ContactTracer('lift-leg', built.params);
    const contacts = tracer.trace(traj)!;
    expect(contacts).toHaveLength(traj.q.length); // one entry per knot, the last one included
    const weight = totalMass(built.model) * 9.81;
    for (const knot of contacts) {
      expect(knot).toHaveLength(4);
      for (const c of knot) {
        expect(c.p[2]).toBeCloseTo(0, 4); // on the ground's surface
        expect(c.f[2]).toBeGreaterThan(0); // pushing up
      }
      const fz = knot.reduce((s, c) => s + c.f[2], 0);
      expect(Math.abs(fz - weight) / weight).toBeLessThan(0.05);
      // feet at (+-x, +-y): one per quadrant
      expect(new Set(knot.map((c) => `${Math.sign(c.p[0])}${Math.sign(c.p[1])}`)).size).toBe(4);
    }
  });

  it('the resting cube carries its weight on its bottom face; a trajectory of another model has no trace', () => {
    const { built, traj } = standStill('cube-lift');
    const tracer = new ContactTracer('cube-lift', built.params);
    const contacts = tracer.trace(traj)!;
    const fz = contacts[0].reduce((s, c) => s + c.f[2], 0);
    expect(fz).toBeCloseTo(totalMass(built.model) * 9.81, 1);
    expect(contacts[0].every((c) => Math.abs(c.p[2]) < 1e-4)).toBe(true);
    expect(tracer.trace({ q: [[0, 0, 0]], v: [[0, 0]], u: [] })).toBeNull();
    const attached = tracer.attach(traj);
    expect(attached.contacts).toEqual(contacts);
    expect((traj as { contacts?: unknown }).contacts).toBeUndefined();
  });

  it('iterates, finals and recordings carry the contacts per knot, valid under the protocol schema', async () => {
    const server = await startTestServer(tmp.dir);
    try {
      const client = await TestClient.connect(server.url);
      client.send({ type: 'subscribe', plans: 'all' });
      const { id } = await json(await post(`${server.url}/api/plans`, { task: 'cube-lift', params: { horizon: 0.4 }, solverParams: { iterations: 8 } }));
      const fin = await client.waitFor<FinalMessage>((m) => m.type === 'final' && m.plan === id && m.solver === 'rddp', 30_000, 'rddp final');
      const it = client.messages.find((m): m is IterateMessage => m.type === 'iterate' && m.plan === id)!;
      for (const m of [it, fin]) expect(ServerMessageSchema.safeParse(JSON.parse(JSON.stringify(m))).success).toBe(true);
      expect(it.trajectory.contacts).toHaveLength(it.trajectory.q.length);
      const traj = fin.result.trajectory;
      expect(traj.contacts).toHaveLength(traj.q.length);
      expect(traj.contacts![0].length).toBeGreaterThan(0);
      await server.plans.idle();
      const state = await json(await fetch(`${server.url}/api/plans/${id}`));
      const rec = state.solves.find((s: { solver: string }) => s.solver === 'rddp').recording as string;
      const detail = await json(await fetch(`${server.url}/api/recordings/${rec}`));
      expect(detail.trajectory.contacts).toEqual(traj.contacts);
      client.ws.close();
    } finally {
      await server.close();
    }
  });
});
