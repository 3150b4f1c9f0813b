/** The server's serving of the built client: `/` and `/assets/*` from RSDDP_CLIENT_DIR, the placeholder page without a build. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer, tempDir } from '../api/helpers.ts';

const tmp = tempDir('rsddp-static-');
afterAll(() => tmp.remove());

describe('built client serving', () => {
  it('serves index.html and hashed assets from the build folder, nothing outside it', async () => {
    const dir = path.join(tmp.dir, 'client');
    mkdirSync(path.join(dir, 'assets'), { recursive: true });
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>built client</title>');
    writeFileSync(path.join(dir, 'assets', 'index-AbC_1.js'), 'console.log(1)');
    writeFileSync(path.join(tmp.dir, 'secret.txt'), 'no');
    process.env.RSDDP_CLIENT_DIR = dir;
    const server = await startTestServer(path.join(tmp.dir, 'data'));
    try {
      const index = await fetch(`${server.url}/`);
      expect(index.status).toBe(200);
      expect(index.headers.get('content-type')).toMatch(/text\/html/);
      expect(await index.text()).toContain('built client');
      const js = await fetch(`${server.url}/assets/index-AbC_1.js`);
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toMatch(/javascript/);
      expect(await js.text()).toBe('console.log(1)');
      expect((await fetch(`${server.url}/assets/missing.js`)).status).toBe(404);
      expect((await fetch(`${server.url}/assets/..%2Fsecret.txt`)).status).toBe(404);
      expect((await fetch(`${server.url}/assets/%2E%2E/secret.txt`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('falls back to the placeholder page when there is no build', async () => {
    process.env.RSDDP_CLIENT_DIR = path.join(tmp.dir, 'nothing-here');
    const server = await startTestServer(path.join(tmp.dir, 'data2'));
    try {
      const page = await fetch(`${server.url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('not built yet');
    } finally {
      await server.close();
      delete process.env.RSDDP_CLIENT_DIR;
    }
  });
});
