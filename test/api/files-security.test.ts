/**
 * Files the server may serve, probed as an attacker would (issue: safe to put on a network):
 * mesh paths of a URDF that leave the robot's folder (absolute, file://, ../.., a symlink
 * pointing out), traversal in every path parameter, symbolic links and damaged files in the
 * recordings folder. Nothing outside what the server was given is ever served; bad files are
 * 4xx/422 with a message, never 500.
 */
import { copyFileSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/api/server.ts';
import { binaryStl } from '../helpers/mesh-fixtures.ts';
import { json, post, startTestServer, tempDir } from './helpers.ts';

const SECRET = 'TOP-SECRET-0xC0FFEE';
const inertial = '<inertial><mass value="1"/><inertia ixx="0.01" iyy="0.01" izz="0.01" ixy="0" ixz="0" iyz="0"/></inertial>';
const urdfWithMesh = (name: string, filename: string) => `<?xml version="1.0"?>
<robot name="${name}"><link name="base">${inertial}<visual><geometry><mesh filename="${filename}"/></geometry></visual></link></robot>`;

/** GET with the path sent as written (fetch would normalize '..' away). */
function rawGet(url: string, rawPath: string): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: rawPath, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const tmp = tempDir('rsddp-files-');
const outside = path.join(tmp.dir, 'outside');
const robotsDir = path.join(tmp.dir, 'robots');
const dataDir = path.join(tmp.dir, 'data');
let server: RunningServer;
let goodRecording = '';

beforeAll(async () => {
  mkdirSync(outside);
  mkdirSync(path.join(robotsDir, 'meshes'), { recursive: true });
  mkdirSync(path.join(robotsDir, 'deep', 'er'), { recursive: true });
  writeFileSync(path.join(outside, 'secret.stl'), SECRET);
  // a real mesh inside the folder, served
  writeFileSync(path.join(robotsDir, 'meshes', 'ok.stl'), binaryStl([[[0, 0, 0], [1, 0, 0], [0, 1, 0]]]));
  writeFileSync(path.join(robotsDir, 'good.urdf'), urdfWithMesh('good', 'meshes/ok.stl'));
  // hostile mesh paths
  writeFileSync(path.join(robotsDir, 'abs.urdf'), urdfWithMesh('abs', path.join(outside, 'secret.stl')));
  writeFileSync(path.join(robotsDir, 'fileuri.urdf'), urdfWithMesh('fileuri', `file://${path.join(outside, 'secret.stl')}`));
  const up = path.relative(path.join(robotsDir, 'deep', 'er'), path.join(outside, 'secret.stl'));
  writeFileSync(path.join(robotsDir, 'deep', 'er', 'dotdot.urdf'), urdfWithMesh('dotdot', up));
  writeFileSync(path.join(robotsDir, 'etc.urdf'), urdfWithMesh('etc', '../../../../../../../../etc/passwd'));
  symlinkSync(path.join(outside, 'secret.stl'), path.join(robotsDir, 'meshes', 'link.stl'));
  writeFileSync(path.join(robotsDir, 'symlink.urdf'), urdfWithMesh('symlink', 'meshes/link.stl'));
  server = await startTestServer(dataDir, { robotsDirs: [robotsDir] });
  // one real recording, to damage and to link to
  const { id } = await json(await post(`${server.url}/api/plans`, { task: 'cube-lift', solvers: ['ddp'], params: { horizon: 0.3 }, solverParams: { iterations: 2 } }));
  await server.plans.idle();
  goodRecording = (await json(await fetch(`${server.url}/api/plans/${id}`))).solves[0].recording;
}, 60_000);

afterAll(async () => {
  await server?.close();
  tmp.remove();
});

describe('mesh paths stay inside the robot folder', () => {
  it('serves a mesh that lies inside the folder', async () => {
    const summary = await json(await fetch(`${server.url}/api/robots/good`));
    expect(summary.warnings).toEqual([]);
    expect(summary.meshes[0].url).toMatch(/^\/api\/robots\/good\/meshes\/0\.stl$/);
    const res = await fetch(server.url + summary.meshes[0].url);
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBe(readFileSync(path.join(robotsDir, 'meshes', 'ok.stl')).length);
  });

  it.each(['abs', 'fileuri', 'dotdot', 'etc', 'symlink'])('%s: the mesh is refused with a warning naming the link and the path, and never served', async (id) => {
    const summary = await json(await fetch(`${server.url}/api/robots/${id}`));
    expect(summary.meshes.every((m: { url: string | null }) => m.url === null)).toBe(true);
    if (id !== 'etc' || readdirSync('/etc').includes('passwd')) {
      expect(summary.warnings.join('\n')).toMatch(/link 'base': mesh '.*' resolves to '.*', outside the robot's folder .*: not served/);
    }
    for (const n of ['0', '0.stl', '1']) {
      const res = await fetch(`${server.url}/api/robots/${id}/meshes/${n}`);
      expect(res.status).toBe(404);
      const body = await res.text();
      expect(body).not.toContain(SECRET);
      expect(body).not.toMatch(/root:/);
    }
  });
});

describe('path parameters cannot climb out', () => {
  const probes = [
    '/api/robots/..%2f..%2f..%2fetc%2fpasswd', '/api/robots/%2e%2e%2f%2e%2e%2fpackage.json', '/api/robots/..', '/api/robots/%2fetc%2fpasswd',
    '/api/robots/good/meshes/..%2f..%2f..%2fetc%2fpasswd', '/api/robots/good%00/meshes/0', '/api/robots/good/meshes/0%00.stl',
    '/api/recordings/..%2f..%2fpackage.json', '/api/recordings/%2e%2e%2fpackage/file', '/api/recordings/%2fetc%2fpasswd/file', '/api/recordings/a%00b/file',
    '/assets/..%2f..%2fpackage.json', '/assets/%2e%2e/%2e%2e/package.json', '/assets/../../package.json', '/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd',
  ];
  it.each(probes)('GET %s is a 4xx and serves no file', async (p) => {
    const { status, body } = await rawGet(server.url, p);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
    expect(body).not.toMatch(/root:|"devDependencies"|TOP-SECRET/);
  });
});

describe('recordings folder', () => {
  it('a symbolic link is listed under errors and answers 422, its target never served', async () => {
    const target = path.join(outside, 'copy.mcap');
    copyFileSync(path.join(dataDir, `${goodRecording}.mcap`), target);
    const linkId = `${goodRecording.replace(/-r\d+$/, '')}-ddp-r9`;
    symlinkSync(target, path.join(dataDir, `${linkId}.mcap`));
    const list = await json(await fetch(`${server.url}/api/recordings`));
    expect(list.recordings.map((r: { id: string }) => r.id)).not.toContain(linkId);
    expect(list.errors.find((e: { file: string }) => e.file === `${linkId}.mcap`)?.message).toMatch(/symbolic link/);
    for (const suffix of ['', '/file']) {
      const res = await fetch(`${server.url}/api/recordings/${linkId}${suffix}`);
      expect(res.status).toBe(422);
      expect((await res.json()).error).toMatch(/symbolic link/);
    }
  });

  it('a recording damaged in the middle is listed under errors and answers 422, not 500', async () => {
    const file = path.join(dataDir, `${goodRecording}.mcap`);
    const bytes = readFileSync(file);
    const damaged = Buffer.from(bytes);
    for (let i = Math.floor(bytes.length * 0.4); i < Math.floor(bytes.length * 0.4) + 64; i++) damaged[i] ^= 0xff;
    const badId = goodRecording.replace(/-r(\d+)$/, '-r7');
    writeFileSync(path.join(dataDir, `${badId}.mcap`), damaged);
    const list = await json(await fetch(`${server.url}/api/recordings`));
    expect(list.recordings.map((r: { id: string }) => r.id)).toContain(goodRecording);
    expect(list.recordings.map((r: { id: string }) => r.id)).not.toContain(badId);
    expect(list.errors.find((e: { file: string }) => e.file === `${badId}.mcap`)?.message).toMatch(/damaged/);
    for (const suffix of ['', '/file']) {
      const res = await fetch(`${server.url}/api/recordings/${badId}${suffix}`);
      expect(res.status).toBe(422);
      expect((await res.json()).error).toMatch(/damaged/);
    }
    // the intact one is still served
    expect((await fetch(`${server.url}/api/recordings/${goodRecording}`)).status).toBe(200);
  });
});
