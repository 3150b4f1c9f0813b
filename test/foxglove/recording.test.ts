/**
 * Recordings as Foxglove reads them: the MCAP file read back with @mcap/core, every message of
 * every topic validated against its schema (Foxglove's own from @foxglove/schemas for the
 * foxglove.* topics, the file's JSON schema for ours) with a strict structural validator
 * (test/helpers/json-schema.ts), and what the messages draw checked against our kinematics:
 * the robot's geometry sits where forward kinematics puts the bodies, the target where the
 * task says, the per-knot series equal the task's own.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McapIndexedReader, type IReadable } from '@mcap/core';
import * as fox from '@foxglove/schemas/jsonschema.js';
import { startTestServer, tempDir, post, json } from '../api/helpers.ts';
import type { RunningServer } from '../../server/api/server.ts';
import { validate } from '../helpers/json-schema.ts';
import { binaryStl, cubeObj, cubeTriangles } from '../helpers/mesh-fixtures.ts';
import { loadRobot } from '../../server/model/robots.ts';
import { createData } from '../../server/dynamics/data.ts';
import { forwardKinematics, updateFramePlacements } from '../../server/dynamics/kinematics.ts';
import { frameIndex } from '../../server/model/model.ts';
import { getTask } from '../../server/control/tasks/index.ts';
import { robotGeometry, robotSceneUpdate } from '../../server/foxglove/robot-scene.ts';

const tmp = tempDir('rsddp-fox-');
afterAll(() => tmp.remove());

const dec = new TextDecoder();
type Msg = { topic: string; schema: string; logTime: bigint; body: any };

async function readAll(file: string): Promise<{ messages: Msg[]; schemas: Map<string, { encoding: string; data: string }> }> {
  const buf = readFileSync(file);
  const readable: IReadable = { size: async () => BigInt(buf.byteLength), read: async (o, s) => buf.subarray(Number(o), Number(o + s)) };
  const reader = await McapIndexedReader.Initialize({ readable });
  const schemas = new Map([...reader.schemasById.values()].map((s) => [s.name, { encoding: s.encoding, data: dec.decode(s.data) }]));
  const chans = new Map([...reader.channelsById.values()].map((c) => [c.id, { topic: c.topic, schema: reader.schemasById.get(c.schemaId)!.name, enc: c.messageEncoding }]));
  const messages: Msg[] = [];
  for await (const m of reader.readMessages()) {
    const c = chans.get(m.channelId)!;
    expect(c.enc).toBe('json');
    messages.push({ topic: c.topic, schema: c.schema, logTime: m.logTime, body: JSON.parse(dec.decode(m.data)) });
  }
  return { messages, schemas };
}

/** Validates every message: foxglove.* against @foxglove/schemas (and the file must carry that very schema), ours against the file's schema. */
function validateAll(messages: Msg[], schemas: Map<string, { encoding: string; data: string }>): void {
  for (const [name, s] of schemas) {
    expect(s.encoding).toBe('jsonschema');
    if (name.startsWith('foxglove.')) expect(JSON.parse(s.data)).toEqual((fox as Record<string, unknown>)[name.slice('foxglove.'.length)]);
  }
  for (const m of messages) {
    const schema = m.schema.startsWith('foxglove.') ? (fox as Record<string, object>)[m.schema.slice('foxglove.'.length)] : JSON.parse(schemas.get(m.schema)!.data);
    const errors = validate(schema as Record<string, unknown>, m.body);
    if (errors.length) throw new Error(`${m.topic} (${m.schema}): ${errors.slice(0, 5).join('; ')}`);
  }
}

/** World placement of a pose given in a frame whose world pose is (R, p): returns the world position. */
function apply(R: number[][], p: number[], v: { x: number; y: number; z: number }): number[] {
  return [0, 1, 2].map((i) => R[i][0] * v.x + R[i][1] * v.y + R[i][2] * v.z + p[i]);
}
function rotOf(q: { x: number; y: number; z: number; w: number }): number[][] {
  const { x, y, z, w } = q;
  return [[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]];
}
function mul(A: number[][], B: number[][]): number[][] { return A.map((r) => [0, 1, 2].map((j) => r[0] * B[0][j] + r[1] * B[1][j] + r[2] * B[2][j])); }

/** World poses of every frame from one knot's FrameTransforms (composing parent → child). */
function worldFrames(tfs: any[]): Map<string, { R: number[][]; p: number[] }> {
  const out = new Map<string, { R: number[][]; p: number[] }>([['world', { R: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], p: [0, 0, 0] }]]);
  let left = [...tfs];
  while (left.length) {
    const next = left.filter((t) => !out.has(t.parent_frame_id));
    expect(next.length).toBeLessThan(left.length); // every parent is known eventually
    for (const t of left) {
      const P = out.get(t.parent_frame_id);
      if (!P) continue;
      out.set(t.child_frame_id, { R: mul(P.R, rotOf(t.rotation)), p: apply(P.R, P.p, t.translation) });
    }
    left = next;
  }
  return out;
}

describe('the JSON-schema validator', () => {
  it('accepts a valid message and names each kind of error', () => {
    const ok = { timestamp: { sec: 1, nsec: 2 }, parent_frame_id: 'a', child_frame_id: 'b', translation: { x: 0, y: 0, z: 0 }, rotation: { x: 0, y: 0, z: 0, w: 1 } };
    expect(validate(fox.FrameTransform as never, ok)).toEqual([]);
    expect(validate(fox.FrameTransform as never, { ...ok, translation: { x: 0, y: 0 } }).join()).toMatch(/translation: missing required 'z'/);
    expect(validate(fox.FrameTransform as never, { ...ok, child_frame: 'b' }).join()).toMatch(/'child_frame' is not in the schema/);
    expect(validate(fox.FrameTransform as never, { ...ok, timestamp: { sec: 1, nsec: 1e9 } }).join()).toMatch(/maximum/);
    expect(validate(fox.FrameTransform as never, { ...ok, timestamp: { sec: 1.5, nsec: 0 } }).join()).toMatch(/expected integer/);
    const line = { type: 3, pose: { position: { x: 0, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } }, thickness: 1, scale_invariant: true, points: [], color: { r: 0, g: 0, b: 0, a: 1 }, colors: [], indices: [] };
    expect(validate(fox.LinePrimitive as never, line).join()).toMatch(/oneOf/);
    expect(validate(fox.LinePrimitive as never, { ...line, type: 0 })).toEqual([]);
    const model = { pose: line.pose, scale: { x: 1, y: 1, z: 1 }, color: line.color, override_color: false, url: '', media_type: 'model/stl', data: 'not base64!' };
    expect(validate(fox.ModelPrimitive as never, model).join()).toMatch(/not base64/);
  });
});

describe('robot geometry', () => {
  it('embeds meshes inside the robot folder only, within the byte budget; capsules become a cylinder and two spheres', () => {
    const dir = path.join(tmp.dir, 'meshbot'), outside = path.join(tmp.dir, 'outside');
    mkdirSync(path.join(dir, 'meshes'), { recursive: true });
    mkdirSync(outside, { recursive: true });
    const stl = binaryStl(cubeTriangles());
    writeFileSync(path.join(dir, 'meshes', 'cube.stl'), stl);
    writeFileSync(path.join(dir, 'meshes', 'cube.obj'), cubeObj());
    writeFileSync(path.join(outside, 'secret.stl'), stl);
    symlinkSync(path.join(outside, 'secret.stl'), path.join(dir, 'meshes', 'link.stl'));
    const urdf = `<robot name="meshbot">
  <link name="base"><visual><geometry><mesh filename="meshes/cube.stl" scale="0.1 0.2 0.3"/></geometry></visual>
    <visual><geometry><mesh filename="meshes/cube.obj"/></geometry></visual>
    <visual><geometry><mesh filename="meshes/link.stl"/></geometry></visual>
    <visual><geometry><mesh filename="../outside/secret.stl"/></geometry></visual>
    <inertial><mass value="1"/><inertia ixx="0.01" iyy="0.01" izz="0.01" ixy="0" ixz="0" iyz="0"/></inertial></link>
  <joint name="j" type="revolute"><parent link="base"/><child link="arm"/><origin xyz="0 0 0.5"/><axis xyz="0 1 0"/><limit effort="1" velocity="1" lower="-1" upper="1"/></joint>
  <link name="arm"><visual><origin xyz="0 0 0.2" rpy="1.5707963267948966 0 0"/><geometry><capsule radius="0.05" length="0.4"/></geometry></visual>
    <inertial><mass value="1"/><inertia ixx="0.01" iyy="0.01" izz="0.01" ixy="0" ixz="0" iyz="0"/></inertial></link>
</robot>`;
    const file = path.join(dir, 'meshbot.urdf');
    writeFileSync(file, urdf);
    const { model } = loadRobot(file);
    const g = robotGeometry(model, file);
    const base = g.bodies.find((b) => b.frame !== 'arm')!;
    expect(base.models.map((m) => m.media_type)).toEqual(['model/stl', 'model/obj']);
    expect(Buffer.from(base.models[0].data, 'base64').equals(stl)).toBe(true);
    expect(Buffer.from(base.models[1].data, 'base64').toString()).toBe(cubeObj());
    expect(base.models[0].scale).toEqual({ x: 0.1, y: 0.2, z: 0.3 });
    expect(g.meshBytes).toBe(stl.length + Buffer.byteLength(cubeObj()));
    expect(g.skipped.map((s) => s.uri)).toEqual(['meshes/link.stl', '../outside/secret.stl']);
    expect(g.skipped.every((s) => /outside the robot's folder/.test(s.reason))).toBe(true);
    // the capsule: a cylinder along its axis and spheres at its two ends (the visual's origin
    // turns z onto -y: the ends are at (0, ±0.2, 0.2) in the arm frame)
    const arm = g.bodies.find((b) => b.frame === 'arm')!;
    expect(arm.cylinders).toHaveLength(1);
    expect(arm.cylinders[0].size).toEqual({ x: 0.1, y: 0.1, z: 0.4 });
    const ends = arm.spheres.map((s) => [s.pose.position.x, s.pose.position.y, s.pose.position.z]);
    expect(ends).toHaveLength(2);
    for (const [e, y] of [[ends[0], 0.2], [ends[1], -0.2]] as const) {
      expect(e[0]).toBeCloseTo(0, 12); expect(e[1]).toBeCloseTo(y, 12); expect(e[2]).toBeCloseTo(0.2, 12);
    }
    // a budget smaller than the STL: that mesh is skipped, the OBJ still fits
    const small = robotGeometry(model, file, { maxMeshBytes: stl.length - 1 });
    expect(small.bodies.find((b) => b.frame !== 'arm')!.models.map((m) => m.media_type)).toEqual(['model/obj']);
    expect(small.skipped[0]).toMatchObject({ uri: 'meshes/cube.stl' });
    expect(small.skipped[0].reason).toMatch(/exceed the budget/);
    // the scene update is valid Foxglove
    expect(validate(fox.SceneUpdate as never, robotSceneUpdate(g, 5n))).toEqual([]);
  });
});

describe('a Solo-12 lift-leg recording in Foxglove', () => {
  let server: RunningServer;
  let rec: { file: string; size: number; iterations: number; params: Record<string, number | string> };
  let read: Awaited<ReturnType<typeof readAll>>;
  beforeAll(async () => {
    server = await startTestServer(tmp.dir);
    const { id } = await json(await post(`${server.url}/api/plans`, { task: 'lift-leg', solvers: ['ddp'], params: { horizon: 0.3 }, solverParams: { iterations: 3 }, backend: 'cpu' }));
    await server.plans.idle();
    const list = await json(await fetch(`${server.url}/api/recordings`));
    rec = list.recordings.find((r: { plan: string }) => r.plan === id);
    read = await readAll(path.join(tmp.dir, rec.file));
  }, 120_000);
  afterAll(async () => { await server?.close(); });

  it('carries every topic, each message valid against its schema', () => {
    const topics = [...new Set(read.messages.map((m) => m.topic))].sort();
    // /target once lift-leg implements BuiltTask.target (cube-lift's is checked below)
    const hasTarget = getTask('lift-leg').build(rec.params).target !== undefined;
    expect(topics).toEqual(['/contacts', '/iterations', '/knots', '/robot', '/scene', ...(hasTarget ? ['/target'] : []), '/telemetry', '/tf', '/trajectory']);
    validateAll(read.messages, read.schemas);
    const count = (t: string) => read.messages.filter((m) => m.topic === t).length;
    const knots = 31;
    expect(count('/iterations')).toBe(rec.iterations);
    expect(count('/knots')).toBe(knots);
    expect(count('/tf')).toBe(knots * 13); // free-flyer base + 12 leg bodies
    expect(count('/robot')).toBe(1);
    // the size the Foxglove topics add (reported by the session): the file against /telemetry + /trajectory + /tf + /contacts alone
    const extra = read.messages.filter((m) => ['/robot', '/scene', '/target', '/knots', '/iterations'].includes(m.topic)).reduce((s, m) => s + JSON.stringify(m.body).length, 0);
    console.log(`lift-leg recording (${knots} knots, ${rec.iterations} iterations): ${rec.size} bytes; robot/scene/target/knots/iterations messages ${extra} bytes (${(extra / knots).toFixed(0)} per knot)`);
  });

  it("puts the robot's geometry where forward kinematics puts the bodies, at every knot", () => {
    const robot = read.messages.find((m) => m.topic === '/robot')!.body;
    const { model } = loadRobot('solo12');
    const d = createData(model);
    const foot = frameIndex(model, 'FL_FOOT');
    const traj = read.messages.find((m) => m.topic === '/trajectory')!.body as { q: number[][]; dt: number };
    const tfs = read.messages.filter((m) => m.topic === '/tf');
    // one entity per body with visuals, locked to the body's frame; 17 visuals in all
    expect(robot.entities.every((e: { frame_locked: boolean }) => e.frame_locked)).toBe(true);
    const prims = robot.entities.reduce((s: number, e: { cubes: unknown[]; spheres: unknown[]; cylinders: unknown[] }) => s + e.cubes.length + e.spheres.length + e.cylinders.length, 0);
    expect(prims).toBe(model.visuals.length);
    // the FL foot sphere (the visual sphere on FL_LOWER_LEG nearest the foot frame) lands on FL_FOOT at each knot
    const lower = robot.entities.find((e: { frame_id: string }) => e.frame_id === 'FL_LOWER_LEG');
    for (const k of [0, 15, traj.q.length - 1]) {
      const frames = worldFrames(tfs.slice(13 * k, 13 * k + 13).map((m) => m.body));
      forwardKinematics(model, d, Float64Array.from(traj.q[k]));
      updateFramePlacements(model, d);
      const W = frames.get('FL_LOWER_LEG')!;
      const footW = d.oMf.subarray(12 * foot + 9, 12 * foot + 12);
      const dists = lower.spheres.map((s: { pose: { position: { x: number; y: number; z: number } } }) => {
        const p = apply(W.R, W.p, s.pose.position);
        return Math.hypot(p[0] - footW[0], p[1] - footW[1], p[2] - footW[2]);
      });
      expect(Math.min(...dists)).toBeLessThan(1e-9);
    }
  });

  it("shows the ground, the task's target and the task's series per knot", () => {
    const built = getTask('lift-leg').build(rec.params);
    const scene = read.messages.find((m) => m.topic === '/scene')!.body;
    const ground = scene.entities[0].cubes[0];
    expect(ground.pose.position.z + ground.size.z / 2).toBeCloseTo(0, 12); // its top is the ground plane
    if (built.target) {
      const target = read.messages.find((m) => m.topic === '/target')!.body.entities[0];
      const t = built.target()!;
      expect([target.spheres[0].pose.position.x, target.spheres[0].pose.position.y, target.spheres[0].pose.position.z]).toEqual(t.position);
    }
    const traj = read.messages.find((m) => m.topic === '/trajectory')!.body as { q: number[][]; v: number[][]; contacts: never };
    const xs = traj.q.map((q, k) => Float64Array.from([...q, ...traj.v[k]]));
    const series = built.series!(xs, traj.contacts);
    const knots = read.messages.filter((m) => m.topic === '/knots').map((m) => m.body);
    expect(knots[0].series.map((s: { name: string }) => s.name)).toEqual(series.map((s) => s.label));
    knots.forEach((kn, k) => series.forEach((s, i) => expect(kn.series[i].value).toBe(s.values[k])));
    const iters = read.messages.filter((m) => m.topic === '/iterations').map((m) => m.body);
    const tel = read.messages.filter((m) => m.topic === '/telemetry').map((m) => m.body);
    iters.forEach((it, i) => expect([it.iteration, it.cost, it.sigma]).toEqual([tel[i].iteration, tel[i].cost, tel[i].sigma]));
  });

  it('docs/foxglove-layout.json: every panel is placed, every topic and message path it names exists in the recording', () => {
    const layout = JSON.parse(readFileSync(path.join(__dirname, '../../docs/foxglove-layout.json'), 'utf8'));
    const placed: string[] = [];
    const walk = (n: unknown): void => { if (typeof n === 'string') placed.push(n); else { const o = n as { first: unknown; second: unknown }; walk(o.first); walk(o.second); } };
    walk(layout.layout);
    expect(placed.sort()).toEqual(Object.keys(layout.configById).sort());
    const hasTarget = getTask('lift-leg').build(rec.params).target !== undefined;
    const topics = new Set(read.messages.map((m) => m.topic));
    /** The values a Foxglove message path (/topic.a[0].b) takes over the recording's messages. */
    const values = (p: string): unknown[] => {
      const m = /^(\/[^.]+)((?:\.[A-Za-z_]+|\[\d+\])*)$/.exec(p)!;
      expect(m, p).not.toBeNull();
      const steps = [...m[2].matchAll(/\.([A-Za-z_]+)|\[(\d+)\]/g)].map((x) => x[1] ?? Number(x[2]));
      return read.messages.filter((x) => x.topic === m[1]).map((x) => steps.reduce((o: any, k) => (o == null ? undefined : o[k]), x.body));
    };
    for (const [id, cfg] of Object.entries(layout.configById) as [string, any][]) {
      if (id.startsWith('Plot!')) {
        for (const pth of [...cfg.paths.map((x: { value: string }) => x.value), ...(cfg.xAxisPath ? [cfg.xAxisPath.value] : [])]) {
          // series[0].target: the task's trace target; every path plots numbers in this recording
          expect(values(pth).some((v) => typeof v === 'number'), `${id}: ${pth}`).toBe(true);
        }
      } else if (id.startsWith('3D!')) {
        for (const t of Object.keys(cfg.topics)) if (t !== '/target' || hasTarget) expect(topics.has(t), `${id}: ${t}`).toBe(true);
      } else expect(topics.has(cfg.topicPath), `${id}: ${cfg.topicPath}`).toBe(true);
    }
  });
});

describe('a cube-lift recording in Foxglove', () => {
  it('shows the target where the cube centre must end, and the rail fixed to the world', async () => {
    const server = await startTestServer(tmp.dir);
    try {
      const { id } = await json(await post(`${server.url}/api/plans`, { task: 'cube-lift', solvers: ['rddp'], params: { horizon: 0.4, height: 0.25 }, solverParams: { iterations: 2 }, backend: 'cpu' }));
      await server.plans.idle();
      const rec = (await json(await fetch(`${server.url}/api/recordings`))).recordings.find((r: { plan: string }) => r.plan === id);
      const { messages, schemas } = await readAll(path.join(tmp.dir, rec.file));
      validateAll(messages, schemas);
      const target = messages.find((m) => m.topic === '/target')!.body.entities[0];
      const p = target.spheres[0].pose.position;
      // the rail's prismatic joint carries the cube centre: (0, 0, height) in the world
      expect([p.x, p.y]).toEqual([0, 0]);
      expect(p.z).toBeCloseTo(0.25, 12);
      expect(target.texts[0].text).toMatch(/0\.25/);
      const robot = messages.find((m) => m.topic === '/robot')!.body;
      expect(robot.entities.map((e: { frame_id: string }) => e.frame_id).sort()).toEqual(['cube', 'world']);
      const knots = messages.filter((m) => m.topic === '/knots');
      const traj = messages.find((m) => m.topic === '/trajectory')!.body as { q: number[][] };
      knots.forEach((k, i) => expect(k.body.series).toEqual([{ name: 'cube height', unit: 'm', value: traj.q[i][0], target: 0.25 }]));
    } finally { await server.close(); }
  }, 60_000);
});
