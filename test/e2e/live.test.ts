/**
 * End to end, the Live tab: the built web client in headless Chromium against the real server
 * (a child process). Start a live lift-leg session with DDP and R-DDP, see both robots move
 * and their plans arrive, push Solo with a button and see both planners answer, scrub back
 * through what just happened, change the foot's
 * target height while it runs, drag on the robot to push it (an arrow while dragging), take a screenshot (test/e2e/artifacts/live.png), stop the session
 * and open its recording in the recordings browser. A short horizon, one iteration per replan
 * and real-time factor 0.05 keep the replans ahead of the simulation on two busy cores (a fresh
 * planner thread's first replans run unoptimized code).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient, PROJECT_DIR } from '../../client/build.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(PROJECT_DIR, 'test/e2e/artifacts');
const tmp = mkdtempSync(path.join(tmpdir(), 'rsddp-e2e-live-'));
let child: ChildProcess;
let url = '';
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: the end-to-end test needs Debian's chromium (.ci/run installs it)`);
  const clientDir = path.join(tmp, 'client');
  await buildClient(clientDir);
  child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/start.ts', '--port', '0', '--host', '127.0.0.1', '--data', path.join(tmp, 'data')], {
    cwd: PROJECT_DIR, env: { ...process.env, RSDDP_CLIENT_DIR: clientDir, LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`the server printed no URL: ${out}`)), 30_000);
    child.on('exit', (code) => reject(new Error(`the server exited (${code}): ${out}`)));
    child.stdout!.on('data', () => { const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out); if (m) { clearTimeout(t); resolve(m[1]); } });
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--enable-unsafe-swiftshader'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  mkdirSync(ARTIFACTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (child && child.exitCode === null) await new Promise<void>((resolve) => { child.on('exit', () => resolve()); child.kill('SIGTERM'); });
  rmSync(tmp, { recursive: true, force: true });
});

/* eslint-disable @typescript-eslint/no-explicit-any */
const live = () => page.evaluate(() => (window as any).__rsddp.live()) as Promise<any>;
const waitLive = async (what: string, pred: string, timeout = 60_000) => {
  try {
    await page.waitForFunction(`(() => { const l = window.__rsddp.live(); return ${pred}; })()`, undefined, { timeout, polling: 100 });
  } catch (e) {
    throw new Error(`${what}: not seen in ${timeout} ms; live = ${JSON.stringify(await live().catch(() => null))?.slice(0, 1500)}`);
  }
};

describe('the Live tab', () => {
  it('starts a session, pushes Solo, changes the target, stops and opens the recording', async () => {
    await page.goto(url);
    await page.waitForSelector('#live-task option', { state: 'attached' });
    await page.click('#tab-live-btn');
    await page.selectOption('#live-task', 'lift-leg');
    await page.fill('#live-horizon', '0.1');
    await page.fill('#live-rtf', '0.05');
    await page.fill('#live-iterations', '1');
    await page.fill('#live-warmup', '3');
    await page.click('#live-start');
    await waitLive('running with plans and states from both worlds',
      "l.state && l.state.status === 'running' && l.plans.ddp && l.plans.rddp && l.states.ddp && l.states.rddp");
    expect(await page.evaluate(() => (window as any).__rsddp.mode())).toBe('mpc');
    // the robots move with the states: the pose on screen is the last state's
    const before = (await live()).states.ddp.step;
    await waitLive('states advancing', `l.states.ddp.step > ${before + 5}`);
    const joints = await page.evaluate(() => (window as any).__rsddp.jointValues());
    expect(Object.keys(joints.ddp ?? {}).length).toBeGreaterThan(0);

    // push with a button: both planners answer with a plan from after the push
    await page.fill('#live-force', '3');
    await page.fill('#live-duration', '0.05');
    await page.click('#live-push-x\\+');
    await waitLive('both push latencies measured', "l.state.stats.every((s) => s.pushLatencyMs.length === 1 && s.pushLatencyMs[0] !== null)", 120_000);
    const stats = (await live()).state.stats;
    console.log(`e2e live: push latency ${JSON.stringify(stats.map((s: any) => [s.solver, s.pushLatencyMs[0]]))}, replan rate ${JSON.stringify(stats.map((s: any) => [s.solver, s.replanRateHz]))}`);
    await page.waitForFunction(() => /push → plan \d+ ms/.test(document.querySelector('#live-stats-ddp')?.textContent ?? ''), undefined, { timeout: 10_000 });

    // the timeline scrubs back through what just happened: paused, the view stays put while the
    // worlds go on; play follows them again
    await page.click('#tl-play');
    await page.click('#tl-back');
    // the step back is drawn on the next animation frame: read the view after it
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const held = JSON.stringify(await page.evaluate(() => (window as any).__rsddp.jointValues()));
    const knot = await page.evaluate(() => (window as any).__rsddp.timeline.index);
    const at = (await live()).states.ddp.step;
    await waitLive('the worlds moving on', `l.states.ddp.step > ${at + 3}`);
    expect(JSON.stringify(await page.evaluate(() => (window as any).__rsddp.jointValues()))).toBe(held);
    expect(await page.evaluate(() => (window as any).__rsddp.timeline.knots - 1)).toBeGreaterThan(knot);
    await page.click('#tl-play');
    await page.waitForFunction((h) => JSON.stringify((window as any).__rsddp.jointValues()) !== h, held, { timeout: 20_000 });

    // the target while it runs
    await page.selectOption('#live-param', 'height');
    await page.fill('#live-value', '0.08');
    await page.click('#live-apply');
    await waitLive('the new height', 'l.state.params.height === 0.08');

    // drag on the robot to push it: an arrow shows the force while dragging, release sends it
    const p = await page.evaluate(() => (window as any).__rsddp.linkOnPage(0, 'base_link')) as { x: number; y: number } | null;
    expect(p).not.toBeNull();
    await page.mouse.move(p!.x, p!.y);
    await page.mouse.down();
    await page.mouse.move(p!.x + 60, p!.y, { steps: 5 });
    const drag = await page.evaluate(() => (window as any).__rsddp.dragPush()) as { body: string; force: number[] } | null;
    expect(typeof drag?.body).toBe('string');
    expect(Math.hypot(...drag!.force)).toBeGreaterThan(0.5);
    await page.screenshot({ path: path.join(ARTIFACTS, 'live-drag.png') });
    await page.mouse.up();
    expect(await page.evaluate(() => (window as any).__rsddp.dragPush())).toBeNull();
    await waitLive('the dragged push answered', 'l.state.stats.every((s) => s.pushLatencyMs.length === 2)', 120_000);
    await page.screenshot({ path: path.join(ARTIFACTS, 'live.png') });

    // stop: recorded, and the recording opens in the browser
    await page.click('#live-stop');
    await waitLive('stopped and recorded', "l.state.status === 'stopped' && l.state.recordings.length === 2");
    const { id, recordings } = (await live()).state;
    await page.click('#tab-rec-btn');
    await page.waitForSelector(`li.rec[data-id="${recordings[1]}"] .rec-open`, { timeout: 15_000 });
    await page.click(`li.rec[data-id="${recordings[1]}"] .rec-open`);
    await page.waitForFunction((rid) => (window as any).__rsddp.slots().some((s: any) => s && s.key.includes(rid) && s.knots > 10), recordings[1], { timeout: 15_000 });
    expect(await page.evaluate(() => (window as any).__rsddp.mode())).toBe('playback');
    expect(id).toMatch(/^live-/);
    expect(consoleErrors).toEqual([]);
  }, 400_000);
});
