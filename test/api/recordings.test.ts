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
    expect([...topics.values()].sort()).toEqual(['/telemetry', '/tf', '/trajectory']);
    const schemas = [...reader.schemasById.values()].map((s) => s.name);
    expect(schemas).toContain('foxglove.FrameTransform');
    const counts: Record<string, number> = {};
    let tf: { parent_frame_id: string; child_frame_id: string; translation: { z: number } } | null = null;
    for await (const m of reader.readMessages()) {
      const t = topics.get(m.channelId)!;
      counts[t] = (counts[t] ?? 0) + 1;
      if (t === '/tf') tf = JSON.parse(new TextDecoder().decode(m.data));
    }
    expect(counts['/telemetry']).toBe(rddp.iterations);
    expect(counts['/trajectory']).toBe(1);
    expect(counts['/tf']).toBe(26); // one body (the cube on its rail) per knot
    expect(tf).toMatchObject({ parent_frame_id: 'world' });
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
