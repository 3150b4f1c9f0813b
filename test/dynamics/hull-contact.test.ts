/**
 * Collision meshes collided as convex hulls computed without Rapier (model/convex-hull.ts →
 * geometry `hull` → dynamics/mesh-collision.ts hullCollisionShape), as lift-leg's
 * meshCollision 'hulls' does on every thread. Rapier is never initialized in this file.
 * References:
 * - a box mesh's hull against the analytic box (collision.ts box-plane): same resting height
 *   (half its height), same 4 contacts, and the same motion when dropped tilted;
 * - the upstream Solo-12 held with its legs stretched out sideways and dropped: its base
 *   comes to rest on the ground at the height given by the lowest vertex of its base STL (read
 *   from the file, not from the hull); with meshCollision 'off' the base sinks through it;
 * - lift-leg on the upstream Solo-12: 'hulls' collides base, shoulders and upper legs (not the
 *   lower legs and feet, whose contact is the foot sphere), and leaves the standing start and
 *   its first rollout exactly as 'off' (nothing but the feet within the contact margin).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { meshCollisionReady } from '../../server/dynamics/mesh-collision.ts';
import { Simulator } from '../../server/dynamics/step.ts';
import { createData } from '../../server/dynamics/data.ts';
import { computeGeneralizedGravity } from '../../server/dynamics/rnea.ts';
import { meshHullVertices } from '../../server/model/convex-hull.ts';
import { loadMesh } from '../../server/model/mesh.ts';
import type { Model } from '../../server/model/model.ts';
import { parseUrdf } from '../../server/model/urdf.ts';
import { loadRobot } from '../../server/model/robots.ts';
import { setRobotDirs } from '../../server/model/robot-catalog.ts';
import { footContactModel, liftLeg } from '../../server/control/tasks/lift-leg.ts';
import { resolveParams, TaskParamError } from '../../server/control/tasks/types.ts';
import { cubeObj } from '../helpers/mesh-fixtures.ts';
import { upstreamRobots } from '../model/helpers.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hull-contact-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(path.join(dir, 'cube.obj'), cubeObj());

/** A floating 1 kg body with one collision geometry. */
function body(geometry: string): Model {
  const xml = `<?xml version="1.0"?><robot name="b"><link name="body">
    <inertial><mass value="1"/><inertia ixx="0.0025" iyy="0.0035" izz="0.0026" ixy="0" ixz="0" iyz="0"/></inertial>
    <collision><origin xyz="0 0 0" rpy="0 0 0"/><geometry>${geometry}</geometry></collision></link></robot>`;
  return parseUrdf(xml, { floating: true, baseDir: dir, needCollisionMeshes: true }).model;
}

/** The model with each mesh geometry given its hull (what lift-leg's 'hulls' does). */
function withHulls(model: Model): Model {
  return { ...model, collisions: model.collisions.map((g) => (g.shape.type === 'mesh' ? { ...g, shape: { ...g.shape, hull: meshHullVertices(g.shape) } } : g)) };
}

function drop(model: Model, q0: number[], steps: number) {
  const sim = new Simulator(model, undefined, { dt: 0.005 });
  const q = Float64Array.from(q0), v = new Float64Array(6), u = new Float64Array(0);
  const path: Float64Array[] = [];
  for (let k = 0; k < steps; k++) { sim.stepInto(q, v, u, q, v); path.push(q.slice()); }
  return { q, v, path, contacts: sim.info.contacts };
}

describe('mesh hulls without Rapier', () => {
  it('a box mesh (0.2 x 0.14 x 0.1 m) rests and tumbles like the analytic box', () => {
    expect(meshCollisionReady()).toBe(false);
    const mesh = withHulls(body('<mesh filename="cube.obj" scale="0.2 0.14 0.1"/>'));
    const box = body('<box size="0.2 0.14 0.1"/>');
    // flat, from 1 cm up: rests at half its height on 4 contacts
    const m = drop(mesh, [0, 0, 0.06, 0, 0, 0, 1], 100), b = drop(box, [0, 0, 0.06, 0, 0, 0, 1], 100);
    expect(Math.abs(b.q[2] - 0.05)).toBeLessThan(1e-6);
    expect(Math.abs(m.q[2] - b.q[2])).toBeLessThan(1e-6);
    expect(m.contacts).toBe(4);
    expect(b.contacts).toBe(4);
    // tilted about x and y, dropped from 5 cm: lands on a corner, tips over, settles
    const s = Math.sin(0.15), c = Math.cos(0.15);
    const tilt = [0, 0, 0.15, s * Math.cos(0.4), s * Math.sin(0.4), 0, c];
    const mt = drop(mesh, tilt, 200), bt = drop(box, tilt, 200);
    let worst = 0;
    mt.path.forEach((q, k) => { for (let i = 0; i < 7; i++) worst = Math.max(worst, Math.abs(q[i] - bt.path[k][i])); });
    // seen: 1.4e-5 over the 1 s tumble (float32 vertices, the iterative contact solver visiting
    // the same contacts in another order); the box turns by 0.3 rad and falls 10 cm meanwhile
    expect(worst).toBeLessThan(1e-4);
    expect(Math.abs(bt.q[2] - 0.05)).toBeLessThan(1e-6);
    expect(Math.abs(mt.q[2] - 0.05)).toBeLessThan(1e-6);
  });
});

describe('upstream Solo-12: meshCollision hulls', () => {
  setRobotDirs([path.join(upstreamRobots, 'solo_description')]);
  const robot = loadRobot('solo_description-solo12');
  const hulls = footContactModel(robot, 'hulls');
  const off = footContactModel(robot, 'off');

  it('hulls the bodies that carry no foot: base, shoulders, upper legs', () => {
    expect(hulls.hulls).toEqual(['base_link', ...['FL', 'FR', 'HL', 'HR'].flatMap((l) => [`${l}_SHOULDER`, `${l}_UPPER_LEG`])]);
    expect(hulls.model.collisions.filter((g) => g.shape.type === 'mesh').length).toBe(9);
    expect(off.model.collisions.some((g) => g.shape.type === 'mesh')).toBe(false);
  });

  it('dropped with its legs held out: the base rests on the ground at its STL\'s lowest vertex; without hulls it sinks through', () => {
    const base = robot.model.collisions.find((g) => g.link === 'base_link')!;
    if (base.shape.type !== 'mesh' || !base.shape.path) throw new Error('expected the base mesh');
    const V = loadMesh(base.shape.path, base.shape.scale).vertices;
    let zmin = Infinity;
    for (let i = 2; i < V.length; i += 3) zmin = Math.min(zmin, V[i]);
    const restZ = -zmin; // base frame = mesh frame, identity placement
    expect(Array.from(base.placement)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]);
    const qJ = [0, 1.5, 0, 0, 1.5, 0, 0, -1.5, 0, 0, -1.5, 0];
    const run = (model: Model) => {
      const sim = new Simulator(model, undefined, { dt: 0.002, maxContacts: 64 });
      const d = createData(model);
      const q = Float64Array.from([0, 0, restZ + 0.02, 0, 0, 0, 1, ...qJ]), v = new Float64Array(model.nv), u = new Float64Array(model.nu);
      for (let k = 0; k < 500; k++) {
        // gravity compensation + a soft PD (explicit: kd dt / I stays small)
        const g = computeGeneralizedGravity(model, d, q);
        for (let i = 0; i < 12; i++) u[i] = g[6 + i] + (qJ[i] - q[7 + i]) - 0.01 * v[6 + i];
        sim.stepInto(q, v, u, q, v);
      }
      return { q, v, links: new Set(Array.from(sim.contacts.geom.subarray(0, sim.info.contacts), (g) => model.collisions[g].link)) };
    };
    const h = run(hulls.model);
    expect(Math.abs(h.q[2] - restZ)).toBeLessThan(1e-6); // seen: 4e-16 against the float32 vertex
    expect(Math.hypot(...h.v)).toBeLessThan(1e-6);
    expect(h.links.has('base_link')).toBe(true);
    const o = run(off.model);
    expect(o.q[2]).toBeLessThan(0); // nothing but the feet collides: the base went through the ground
  });

  it("a collision mesh that cannot be hulled is a TaskParamError on params.meshCollision naming the link", () => {
    const broken = { ...robot, model: { ...robot.model, collisions: robot.model.collisions.map((g) => (g.link === 'base_link' && g.shape.type === 'mesh' ? { ...g, shape: { ...g.shape, path: null } } : g)) } };
    let err: unknown = null;
    try { footContactModel(broken, 'hulls'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(TaskParamError);
    expect((err as TaskParamError).field).toBe('params.meshCollision');
    expect((err as Error).message).toMatch(/link base_link: collision mesh '.*solo_12_base\.stl' was not resolved to a file/);
    expect(() => footContactModel(broken, 'off')).not.toThrow();
  });

  it('lift-leg: the standing start and the first rollout are the same with and without hulls', () => {
    const b = (mc: string) => liftLeg.build(resolveParams(liftLeg, { robot: 'solo_description-solo12', meshCollision: mc }));
    const bo = b('off'), bh = b('hulls');
    expect(Array.from(bh.x0)).toEqual(Array.from(bo.x0));
    const xo = bo.x0.slice(), xh = bh.x0.slice();
    const nq = bo.model.nq;
    for (let t = 0; t < bo.T; t++) {
      bo.sim.stepInto(xo.subarray(0, nq), xo.subarray(nq), bo.uInit[t], xo.subarray(0, nq), xo.subarray(nq));
      bh.sim.stepInto(xh.subarray(0, nq), xh.subarray(nq), bh.uInit[t], xh.subarray(0, nq), xh.subarray(nq));
    }
    expect(Array.from(xh)).toEqual(Array.from(xo));
  });
});
