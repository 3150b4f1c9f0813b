import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { post, tempDir } from './helpers.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = tempDir();
afterAll(() => tmp.remove());

describe('npm start (server/cli/start.ts)', () => {
  it('serves the API, prints the URL, and on SIGTERM cancels solves and finishes their recordings', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/start.ts', '--data', tmp.dir, '--robots', '../shared/robots/example-robot-data'], {
      cwd: root, env: { ...process.env, PORT: '0', LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 20_000);
      child.stdout.on('data', () => { const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out); if (m) { clearTimeout(t); resolve(m[1]); } });
    });
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    // the built client when a build exists in this checkout, else the placeholder page
    expect(await page.text()).toMatch(/not built yet|<div id="app"|<script type="module"/);
    const robots = await (await fetch(`${url}/api/robots`)).json();
    expect(robots.robots.map((r: { id: string }) => r.id)).toContain('solo12');
    expect(robots.robots.length).toBeGreaterThan(4); // the example-robot-data URDFs as well
    const solo = await (await fetch(`${url}/api/robots/solo12`)).json();
    expect(solo).toMatchObject({ nq: 19, nv: 18, nu: 12 });
    expect(solo.urdf).toContain('<robot');
    const tasks = await (await fetch(`${url}/api/tasks`)).json();
    expect(tasks.tasks.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(['cube-lift', 'lift-leg']));
    const { id } = await (await post(`${url}/api/plans`, { task: 'lift-leg', params: { horizon: 0.3 }, solvers: ['rddp'] })).json();
    while ((await (await fetch(`${url}/api/plans/${id}`)).json()).solves[0].iteration < 1) await new Promise((r) => setTimeout(r, 20));
    const code = await new Promise<number | null>((resolve) => { child.on('exit', (c) => resolve(c)); child.kill('SIGTERM'); });
    expect(code).toBe(0);
    expect(readdirSync(tmp.dir).filter((f) => f.endsWith('.mcap'))).toEqual([`${id}-rddp-r0.mcap`]);
  });
});
