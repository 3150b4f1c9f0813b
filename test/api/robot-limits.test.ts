/**
 * Robots from a --robots folder under hostile sizes (issue: safe to put on a network): a 100 MB
 * URDF is refused from its size, a 3,000-link chain by the link limit (and loads when the
 * operator raises it), and a large legal URDF is parsed on the loader thread while the server
 * keeps answering. The loader's heap and time are bounded; a failed loader thread is replaced.
 */
import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RobotLoader } from '../../server/api/robot-loader.ts';
import { RobotRegistry } from '../../server/api/robots.ts';
import type { RunningServer } from '../../server/api/server.ts';
import { DEFAULT_MAX_URDF_BYTES, DEFAULT_MAX_URDF_LINKS } from '../../shared/limits.ts';
import { json, startTestServer, tempDir } from './helpers.ts';

const inertial = '<inertial><mass value="1"/><inertia ixx="0.01" iyy="0.01" izz="0.01" ixy="0" ixz="0" iyz="0"/></inertial>';
const box = '<visual><origin xyz="0 0 0" rpy="0 0 0"/><geometry><box size="0.1 0.1 0.1"/></geometry></visual>';
function chain(name: string, n: number, visuals = 0): string {
  let x = `<robot name="${name}">`;
  for (let i = 0; i <= n; i++) x += `<link name="l${i}">${inertial}${box.repeat(visuals)}</link>`;
  for (let i = 0; i < n; i++) x += `<joint name="j${i}" type="revolute"><parent link="l${i}"/><child link="l${i + 1}"/><axis xyz="0 0 1"/><limit lower="-1" upper="1" effort="1" velocity="1"/></joint>`;
  return `${x}</robot>`;
}

const tmp = tempDir('rsddp-robot-limits-');
const dir = path.join(tmp.dir, 'robots');
let server: RunningServer;
let raised: RunningServer;

beforeAll(async () => {
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'huge.urdf'), '');
  truncateSync(path.join(dir, 'huge.urdf'), 100 * 1024 * 1024); // sparse: costs no disk
  writeFileSync(path.join(dir, 'long.urdf'), chain('long', 3000));
  writeFileSync(path.join(dir, 'heavy.urdf'), chain('heavy', 1400, 45)); // ~6.5 MB: seconds to parse
  writeFileSync(path.join(dir, 'small.urdf'), chain('small', 2));
  writeFileSync(path.join(dir, 'deep.urdf'), `<robot name="deep">${'<a>'.repeat(50_000)}${'</a>'.repeat(50_000)}<link name="x"/></robot>`);
  server = await startTestServer(path.join(tmp.dir, 'data'), { robotsDirs: [dir] });
  raised = await startTestServer(path.join(tmp.dir, 'data2'), { robotsDirs: [dir], maxUrdfLinks: 4000 });
});
afterAll(async () => {
  await server?.close();
  await raised?.close();
  tmp.remove();
});

describe('robot files over the limits', () => {
  it('a 100 MB URDF: 422 naming the file and the limit, from its size alone', async () => {
    const res = await fetch(`${server.url}/api/robots/huge`);
    expect(res.status).toBe(422);
    const body = await json(res);
    expect(body.error).toBe(`robot 'huge' cannot be loaded: ${path.join(dir, 'huge.urdf')}: file: ${100 * 1024 * 1024} bytes, over the limit of ${DEFAULT_MAX_URDF_BYTES} bytes`);
    expect(body.field).toBe('robot');
  });

  it('a 3,000-link chain: 422 by the link limit; with --max-urdf-links 4000 it loads', async () => {
    const res = await fetch(`${server.url}/api/robots/long`);
    expect(res.status).toBe(422);
    expect((await json(res)).error).toContain(`3001 <link> elements, over the limit of ${DEFAULT_MAX_URDF_LINKS}`);
    const ok = await fetch(`${raised.url}/api/robots/long`);
    expect(ok.status).toBe(200);
    const summary = await json(ok);
    expect(summary.nv).toBe(3000);
    expect(summary.joints).toHaveLength(3000);
  });

  it('XML nested 50,000 deep: 422 malformed XML, the server keeps running', async () => {
    const res = await fetch(`${server.url}/api/robots/deep`);
    expect(res.status).toBe(422);
    expect((await json(res)).error).toMatch(/deep\.urdf: document: malformed XML: Maximum nested tags exceeded/);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('parses a large URDF off the event loop: /healthz answers while it loads', async () => {
    const order: string[] = [];
    const heavy = fetch(`${server.url}/api/robots/heavy`).then(async (r) => { order.push(`heavy ${r.status}`); return json(r); });
    await new Promise((r) => setTimeout(r, 50));
    const health = await fetch(`${server.url}/healthz`);
    order.push(`healthz ${health.status}`);
    const summary = await heavy;
    expect(order).toEqual(['healthz 200', 'heavy 200']);
    expect(summary.nv).toBe(1400);
    expect(summary.urdf.length).toBeGreaterThan(6_000_000);
  });

  it('the loader thread is bounded in heap and time, and replaced after it fails', async () => {
    const oom = new RobotRegistry([dir], { loader: new RobotLoader({ maxHeapMb: 48 }) });
    await expect(oom.summary('heavy')).rejects.toThrow(/ran out of memory \(the loader's heap is bounded at 48 MB\)/);
    expect((await oom.summary('small')).nv).toBe(2);
    await oom.close();
    const slow = new RobotRegistry([dir], { loader: new RobotLoader({ timeoutMs: 200 }) });
    await expect(slow.summary('heavy')).rejects.toThrow('loading took longer than 0.2 s');
    expect((await slow.summary('small')).nv).toBe(2);
    await slow.close();
  });
});
