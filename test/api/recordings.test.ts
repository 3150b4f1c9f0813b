import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { McapIndexedReader, type IReadable } from '@mcap/core';
import { json, post, startTestServer, tempDir } from './helpers.ts';
import type { RecordingInfo } from '../../server/store/recordings.ts';

const tmp = tempDir();
afterAll(() => tmp.remove());

function bytesReadable(buf: Uint8Array): IReadable {
  return {
    size: async () => BigInt(buf.byteLength),
    read: async (offset, size) => buf.subarray(Number(offset), Number(offset + size)),
  };
}

describe('recordings', () => {
  it('records every solve as MCAP, downloadable, readable, listed after a restart, deletable', async () => {
    let server = await startTestServer(tmp.dir);
    const { id } = await json(await post(`${server.url}/api/plans`, { task: 'cube-lift', params: { horizon: 0.5 } }));
    await server.plans.idle();
    const state = await json(await fetch(`${server.url}/api/plans/${id}`));
    const recIds: string[] = state.solves.map((s: { recording: string }) => s.recording);
    expect(recIds.every((r) => typeof r === 'string')).toBe(true);

    const list = await json(await fetch(`${server.url}/api/recordings`));
    expect(list.errors).toEqual([]);
    const mine = list.recordings.filter((r: RecordingInfo) => r.plan === id);
    expect(mine.map((r: RecordingInfo) => r.solver).sort()).toEqual(['ddp', 'rddp']);
    for (const r of mine) {
      expect(r).toMatchObject({ robot: 'cube_rail', task: 'cube-lift', params: { horizon: 0.5 }, seed: 1, projectVersion: '0.1.0' });
      expect(r.timings.total_s).toBeGreaterThan(0);
    }

    const rddp = mine.find((r: RecordingInfo) => r.solver === 'rddp')!;
    const detail = await json(await fetch(`${server.url}/api/recordings/${rddp.id}`));
    expect(detail.metadata.solver).toBe('rddp');
    expect(detail.telemetry.length).toBe(rddp.iterations);
    expect(detail.trajectory.u.length).toBe(25);

    const file = await fetch(`${server.url}/api/recordings/${rddp.id}/file`);
    expect(file.status).toBe(200);
    const buf = new Uint8Array(await file.arrayBuffer());
    expect(Buffer.from(buf.subarray(0, 8)).equals(Buffer.from('\x89MCAP0\r\n', 'latin1'))).toBe(true);
    const reader = await McapIndexedReader.Initialize({ readable: bytesReadable(buf) });
    const topics = new Map([...reader.channelsById.values()].map((c) => [c.id, c.topic]));
    // the robot, scene, target and plot topics are checked in test/foxglove/recording.test.ts
    expect([...topics.values()].sort()).toEqual(['/contacts', '/iterations', '/knots', '/robot', '/scene', '/target', '/telemetry', '/tf', '/trajectory']);
    const schemas = [...reader.schemasById.values()].map((s) => s.name);
    expect(schemas).toContain('foxglove.FrameTransform');
    expect(schemas).toContain('foxglove.SceneUpdate');
    const counts: Record<string, number> = {};
    let tf: { parent_frame_id: string; child_frame_id: string; translation: { z: number } } | null = null;
    type Arrow = { pose: { position: { x: number; y: number; z: number }; orientation: { x: number; y: number; z: number; w: number } }; shaft_length: number; head_length: number };
    const scenes: Array<{ entities: Array<{ id: string; frame_id: string; arrows: Arrow[]; spheres: unknown[] }> }> = [];
    let traj: { contacts: Array<Array<{ p: number[]; f: number[] }>> } | null = null;
    for await (const m of reader.readMessages()) {
      const t = topics.get(m.channelId)!;
      counts[t] = (counts[t] ?? 0) + 1;
      const body = JSON.parse(new TextDecoder().decode(m.data));
      if (t === '/tf') tf = body;
      if (t === '/contacts') scenes.push(body);
      if (t === '/trajectory') traj = body;
    }
    expect(counts['/telemetry']).toBe(rddp.iterations);
    expect(counts['/trajectory']).toBe(1);
    expect(counts['/tf']).toBe(26); // one body (the cube on its rail) per knot
    expect(tf).toMatchObject({ parent_frame_id: 'world' });
    // contacts in Foxglove: one scene per knot; each arrow starts at its contact point and
    // points along the recorded world force (x axis rotated by the pose), 1 cm per newton
    expect(scenes.length).toBe(26);
    const contacts = traj!.contacts;
    const k0 = contacts.findIndex((c) => c.length > 0);
    expect(k0).toBeGreaterThanOrEqual(0);
    const e = scenes[k0].entities[0];
    expect(e).toMatchObject({ id: 'contacts', frame_id: 'world' });
    expect(e.spheres.length).toBe(contacts[k0].length);
    expect(e.arrows.length).toBeGreaterThan(0);
    for (let i = 0; i < e.arrows.length; i++) {
      const a = e.arrows[i], c = contacts[k0].find((cc) => Math.hypot(cc.p[0] - a.pose.position.x, cc.p[1] - a.pose.position.y, cc.p[2] - a.pose.position.z) < 1e-12)!;
      const { x, y, z, w } = a.pose.orientation;
      const dir = [1 - 2 * (y * y + z * z), 2 * (x * y + w * z), 2 * (x * z - w * y)]; // R(q) e_x
      const n = Math.hypot(...c.f);
      for (let r = 0; r < 3; r++) expect(dir[r]).toBeCloseTo(c.f[r] / n, 9);
      expect(a.shaft_length + a.head_length).toBeCloseTo(n * 0.01, 9);
    }
    const meta = [];
    for await (const m of reader.readMetadata({ name: 'rsddp' })) meta.push(m);
    expect(JSON.parse(meta[0].metadata.get('solver')!)).toBe('rddp');

    // an unreadable file is reported and skipped; a leftover temp file is ignored
    await writeFile(path.join(tmp.dir, 'broken.mcap'), 'not an mcap file');
    await writeFile(path.join(tmp.dir, '.half.mcap.tmp'), '\x89MCAP0\r\n');
    await server.close();

    server = await startTestServer(tmp.dir);
    const after = await json(await fetch(`${server.url}/api/recordings`));
    expect(after.recordings.map((r: RecordingInfo) => r.id).sort()).toEqual(list.recordings.map((r: RecordingInfo) => r.id).sort());
    expect(after.errors.map((e: { file: string }) => e.file)).toEqual(['broken.mcap']);
    expect((await fetch(`${server.url}/api/recordings/${rddp.id}/file`)).status).toBe(200);

    expect((await fetch(`${server.url}/api/recordings/${rddp.id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await fetch(`${server.url}/api/recordings/${rddp.id}`)).status).toBe(404);
    expect((await fetch(`${server.url}/api/recordings/${rddp.id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${server.url}/api/recordings/nope/file`)).status).toBe(404);
    expect((await fetch(`${server.url}/api/recordings/..%2Fpackage.json/file`)).status).toBe(404);
    await server.close();
  });

  it('finishes writing the recordings of running solves on close', async () => {
    const dir = tempDir();
    const server = await startTestServer(dir.dir);
    const { id } = await json(await post(`${server.url}/api/plans`, { task: 'lift-leg', params: { horizon: 0.3 }, solvers: ['rddp'] }));
    while ((await json(await fetch(`${server.url}/api/plans/${id}`))).solves[0].iteration < 1) await new Promise((r) => setTimeout(r, 20));
    await server.close();
    const again = await startTestServer(dir.dir);
    const list = await json(await fetch(`${again.url}/api/recordings`));
    expect(list.recordings.length).toBe(1);
    expect(list.recordings[0]).toMatchObject({ plan: id, solver: 'rddp', cancelled: true, status: 'cancelled' });
    await again.close();
    dir.remove();
  });
});
