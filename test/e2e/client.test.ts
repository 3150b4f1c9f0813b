/**
 * End to end: the built web client in headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core) against the real server on a free loopback port with a temp data folder.
 * Loads the page (no console errors), plans Solo-12 lift-leg (horizon 0.3 s) with DDP and R-DDP, watches iterates
 * arrive (iteration counter, plot points, the robot's joint values), cancels, and saves a
 * screenshot of the side-by-side view to results/e2e/ (git-ignored).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient, PROJECT_DIR } from '../../client/build.ts';
import type { RunningServer } from '../../server/api/server.ts';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT_DIR = path.join(PROJECT_DIR, 'results/e2e');
const tmp = mkdtempSync(path.join(tmpdir(), 'rsddp-e2e-'));
let server: RunningServer;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the end-to-end test needs Debian's chromium (apt-get install -y --no-install-recommends chromium; .ci/run installs it)`);
  }
  const out = path.join(tmp, 'client');
  await buildClient(out); // always a fresh build of the current sources, outside the project's dist/
  process.env.RSDDP_CLIENT_DIR = out;
  const { startServer } = await import('../../server/api/server.ts');
  server = await startServer({ port: 0, host: '127.0.0.1', dataDir: path.join(tmp, 'data'), logLevel: 'silent', concurrency: 2 });
  browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--enable-unsafe-swiftshader'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const iteration = (solver: string) => page.$eval(`#iter-${solver}`, (el) => Number((el as HTMLElement).dataset.iteration ?? 0));
const plotPoints = () => page.$eval('#plot-cost', (el) => Number((el as HTMLElement).dataset.points ?? 0));

describe('web client (headless Chromium)', () => {
  it('loads, plans DDP and R-DDP side by side with live iterates, cancels, and renders the robots', async () => {
    await page.goto(server.url);
    await page.waitForSelector('#conn.open', { timeout: 15_000 });
    await page.waitForFunction(() => document.querySelectorAll('#task option').length > 0);
    expect(await page.$eval('#task', (el) => (el as HTMLSelectElement).value)).toBe('cube-lift');
    await page.waitForFunction(() => (window as any).__rsddp.loadedRobot() === 'cube_rail', null, { timeout: 15_000 });
    expect(await page.locator('canvas').count()).toBeGreaterThan(0);

    // Solo-12 lift-leg over 0.3 s, with enough iterations to be still running when we cancel
    await page.selectOption('#task', 'lift-leg');
    expect(await page.$eval('#robot', (el) => (el as HTMLSelectElement).value)).toBe('solo12');
    await page.fill('#param-horizon', '0.3');
    await page.fill('#solver-iterations', '500');
    await page.fill('#solver-samples', '64');
    await page.click('#plan');
    await page.waitForFunction(() => (window as any).__rsddp.loadedRobot() === 'solo12', null, { timeout: 15_000 });
    await page.waitForFunction(() => Number((document.querySelector('#iter-rddp') as HTMLElement).dataset.iteration) >= 2, null, { timeout: 20_000 });
    // sample in the page for 1.2 s: the iteration counter, the plot's point count, the R-DDP robot's joints
    const seen = await page.evaluate(() => new Promise<{ its: number[]; points: number[]; poses: number }>((resolve) => {
      const its: number[] = [], points: number[] = [], poses = new Set<string>();
      const t0 = performance.now();
      const tick = () => {
        its.push(Number((document.querySelector('#iter-rddp') as HTMLElement).dataset.iteration));
        points.push(Number((document.querySelector('#plot-cost') as HTMLElement).dataset.points));
        poses.add(JSON.stringify((window as any).__rsddp.jointValues().rddp));
        if (performance.now() - t0 < 1200) requestAnimationFrame(tick); else resolve({ its, points, poses: poses.size });
      };
      tick();
    }));
    expect(seen.its.at(-1)!).toBeGreaterThan(seen.its[0]);
    expect(seen.points.at(-1)!).toBeGreaterThan(seen.points[0]);
    expect(seen.poses).toBeGreaterThanOrEqual(3); // the R-DDP robot's joints move as its latest iterate plays
    expect(await page.isEnabled('#cancel')).toBe(true);
    expect(await page.textContent('#iter-ddp')).toMatch(/it \d+/);


    // cancel at once (the solve would finish in a few seconds)
    await page.click('#cancel');
    await page.waitForFunction(() => /cancelled/.test(document.querySelector('#iter-rddp')?.textContent ?? ''), null, { timeout: 15_000 });
    await page.waitForFunction(() => !/running|queued/.test(document.querySelector('#plan-info')?.textContent ?? ''), null, { timeout: 15_000 });
    expect(await page.isEnabled('#cancel')).toBe(false);
    const cancelledAt = await iteration('rddp');
    await page.waitForTimeout(300);
    expect(await iteration('rddp')).toBe(cancelledAt);
    expect(await page.isEnabled('#replan')).toBe(true);
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'client-side-by-side.png') });

    // keyboard: space pauses the shared timeline, arrows step it
    await page.click('#view');
    const playing = () => page.evaluate(() => (window as any).__rsddp.timeline.playing as boolean);
    if (await playing()) await page.keyboard.press(' ');
    expect(await playing()).toBe(false);
    const k0 = await page.evaluate(() => (window as any).__rsddp.timeline.index as number);
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => (window as any).__rsddp.timeline.index as number)).toBe(k0 + 1);

    expect(await page.isHidden('#error')).toBe(true);
    expect(consoleErrors).toEqual([]);
  }, 60_000);
});
