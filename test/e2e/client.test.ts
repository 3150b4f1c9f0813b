/**
 * End to end: the built web client in headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core) against the real server (`npm start`'s entry point in a child process, so
 * that its solves never hold up this process's event loop and the browser driving) on a free
 * loopback port with a temp data folder.
 * One page goes through what an operator does, step by step (the tests run in order and share
 * the page):
 *
 * 1. load: no console errors, the default task's robot in both viewports;
 * 2. plan Solo-12 lift-leg (0.6 s) with DDP and R-DDP: iterates arrive (iteration counter,
 *    progress, plot points, telemetry rows, the robot's joints), the overlays draw contacts,
 *    force arrows, trails and the target (placed by the client's forward kinematics where the
 *    server puts it); cancel; the time plots (lifted foot, other feet, base height, knee angle)
 *    with data and the time cursor, in the window at 1280x720;
 * 3. replan (warm start), drop the WebSocket while it runs and see the view catch up;
 * 4. restart the server: the plan on screen is marked as no longer known, the link recovers;
 * 5. the recordings browser: open a DDP | R-DDP pair, scrub, step with the keyboard, download
 *    the MCAP file, delete a recording;
 * 6. screenshots of the side-by-side view at 1280x720, 1920x1080 and 800 wide into
 *    test/e2e/artifacts/ (git-ignored), each checked for layout overflow;
 * 7. the Perception tab: a small pose fit of the cube with the three methods (renders,
 *    silhouettes over the target, plots), a screenshot, "use this pose" (a cube-lift plan from
 *    the estimate), and a fit recording opened.
 * 8. a robot nobody here wrote: the server runs with --robots on the upstream example-robot-data
 *    Solo folder; the picker offers lift-leg only the robots it can run on, shows the chosen
 *    upstream Solo-12 with its meshes at once, and DDP and R-DDP plan lift-leg on it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient, PROJECT_DIR } from '../../client/build.ts';
import type { PlanState } from '../../shared/protocol.ts';

const CHROMIUM = '/usr/bin/chromium';
/** The upstream Solo folder (Solo-12 and Solo-8 URDFs, their SRDF and meshes), relative to the project. */
const UPSTREAM_SOLO = '../shared/robots/example-robot-data/robots/solo_description';
const UPSTREAM_SOLO12 = 'solo_description-solo12';
export const ARTIFACTS = path.join(PROJECT_DIR, 'test/e2e/artifacts');
const tmp = mkdtempSync(path.join(tmpdir(), 'rsddp-e2e-'));
let server: ServerProcess;
let clientDir = '';
let browser: Browser;
let page: Page;
let planId = '';
const consoleErrors: string[] = [];
/** Browser messages expected at that point (failed connections while the server restarts, a 400 answer). */
let expected: RegExp | null = null;

interface ServerProcess { url: string; port: number; child: ChildProcess; stop(): Promise<void> }

/** server/cli/start.ts in a child process on `port` (0: a free one), serving the client built into clientDir. */
async function startServerProcess(port: number): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/start.ts', '--port', String(port), '--host', '127.0.0.1', '--data', path.join(tmp, 'data'), '--concurrency', '2', '--robots', UPSTREAM_SOLO], {
    cwd: PROJECT_DIR, env: { ...process.env, RSDDP_CLIENT_DIR: clientDir, LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`the server printed no URL: ${out}`)), 30_000);
    child.on('exit', (code) => reject(new Error(`the server exited (${code}): ${out}`)));
    child.stdout!.on('data', () => { const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out); if (m) { clearTimeout(t); resolve(m[1]); } });
  });
  return {
    url, port: Number(new URL(url).port), child,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) { resolve(); return; }
      child.on('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

const planState = async (id: string): Promise<PlanState> => (await fetch(`${server.url}/api/plans/${id}`)).json() as Promise<PlanState>;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the end-to-end test needs Debian's chromium (apt-get install -y --no-install-recommends chromium; .ci/run installs it)`);
  }
  clientDir = path.join(tmp, 'client');
  await buildClient(clientDir); // always a fresh build of the current sources, outside the project's dist/
  server = await startServerProcess(0);
  browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--enable-unsafe-swiftshader'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (expected?.test(m.text())) return;
    consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => void d.accept()); // "Delete recording ...?"
  mkdirSync(ARTIFACTS, { recursive: true });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/* eslint-disable @typescript-eslint/no-explicit-any */
const rs = <T>(fn: string) => page.evaluate(`window.__rsddp.${fn}`) as Promise<T>;
const iteration = (slot: 0 | 1) => page.$eval(slot === 0 ? '#iter-ddp' : '#iter-rddp', (el) => Number((el as HTMLElement).dataset.iteration ?? 0));
const text = (sel: string) => page.$eval(sel, (el) => el.textContent ?? '');
/** Waits until sel's text matches re; on a timeout the error says what the text was. */
const waitText = async (sel: string, re: RegExp, timeout = 15_000) => {
  try {
    await page.waitForFunction(([s, src]) => new RegExp(src).test(document.querySelector(s)?.textContent ?? ''), [sel, re.source] as const, { timeout });
  } catch (e) {
    throw new Error(`${sel} never matched ${re} in ${timeout} ms; it reads "${await text(sel).catch(() => '?')}" (${(e as Error).message.split('\n')[0]})`);
  }
};

interface TimePlotSeen { id: string; title: string; points: number; cursor: number; beside: number; rect: { top: number; bottom: number; left: number; right: number; height: number } }
/**
 * The time plots on the page (the task's key quantity, then its extras): title, plotted points,
 * where the element lies, and whether the time cursor is drawn at the timeline's time: the share
 * of the plot area's rows that are dark (the cursor is #111827; the data lines are blue and red,
 * the target a dashed green) in the canvas columns at the cursor's x, and 30 px beside it.
 */
const timePlots = () => page.evaluate(() => {
  const r = (window as any).__rsddp;
  const t: number = r.timeline.time;
  return (r.timePlots() as { id: string; el: HTMLElement; u: any }[]).map(({ id, el, u }) => {
    const top = Math.ceil(u.bbox.top), h = Math.floor(u.bbox.height), left = u.bbox.left, right = u.bbox.left + u.bbox.width;
    const darkRows = (x: number) => {
      const img = u.ctx.getImageData(Math.round(x) - 1, top, 3, h).data as Uint8ClampedArray;
      let n = 0;
      for (let row = 0; row < h; row++) {
        let dark = 0;
        for (let c = 0; c < 3; c++) {
          const o = 4 * (row * 3 + c), a = img[o + 3] / 255; // over the page's white
          dark = Math.max(dark, 255 - (Math.max(img[o], img[o + 1], img[o + 2]) * a + 255 * (1 - a)));
        }
        if (dark > 80) n++;
      }
      return n / h;
    };
    const x = u.valToPos(t, 'x', true);
    const off = 30 * devicePixelRatio;
    const b = el.getBoundingClientRect();
    return {
      id, title: el.querySelector('.u-title')?.textContent ?? '', points: Number(el.dataset.points ?? 0),
      cursor: darkRows(x), beside: darkRows(x + off < right ? x + off : Math.max(left + 2, x - off)),
      rect: { top: b.top, bottom: b.bottom, left: b.left, right: b.right, height: b.height },
    };
  });
}) as Promise<TimePlotSeen[]>;

/** lift-leg's time plots: the lifted foot, then the other feet, the base height and the knee, each with data and the cursor. */
function expectLiftLegPlots(seen: TimePlotSeen[], foot: string, knots = 61): void {
  expect(seen.map((p) => p.id)).toEqual(['trace', 'other-feet', 'base-height', 'knee']);
  expect(seen.map((p) => p.title)).toEqual([`${foot} foot height (m) vs time`, 'other feet, max (m) vs time', 'base height (m) vs time', `${foot}_KFE knee (rad) vs time`]);
  for (const p of seen) {
    expect(p.points, p.id).toBeGreaterThanOrEqual(knots); // at least one viewport's knots
    expect(p.cursor, `${p.id}: the cursor's column`).toBeGreaterThan(0.8);
    expect(p.beside, `${p.id}: beside the cursor`).toBeLessThan(0.2);
  }
}

/** Saves a screenshot and checks that nothing sticks out of the window horizontally. */
async function screenshot(name: string, size: { width: number; height: number }, fullPage = false): Promise<void> {
  await page.setViewportSize(size);
  await page.waitForTimeout(400); // layout, plot resize, a few frames
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, `horizontal overflow at ${size.width}x${size.height}`).toBeLessThanOrEqual(0);
  // Text widths depend on the fonts a machine has (a fresh Chromium overflowed by 3 px once):
  // the layout must hold with markedly wider text too, not just with this machine's fonts.
  for (const css of ['* { letter-spacing: 2px !important; }', '* { font-size: 17px !important; }']) {
    const wide = await page.addStyleTag({ content: css });
    await page.waitForTimeout(150);
    const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await wide.evaluate((el) => el.parentNode?.removeChild(el));
    expect(over, `horizontal overflow at ${size.width}x${size.height} with wider text (${css})`).toBeLessThanOrEqual(0);
  }
  await page.waitForTimeout(150);
  const canvas = await page.$eval('#view canvas', (c) => [(c as HTMLCanvasElement).clientWidth, (c as HTMLCanvasElement).clientHeight]);
  expect(canvas[0]).toBeGreaterThan(size.width * 0.5);
  expect(canvas[1]).toBeGreaterThanOrEqual(220);
  await page.screenshot({ path: path.join(ARTIFACTS, name), fullPage });
}

describe('web client (headless Chromium)', () => {
  it('loads without console errors, with the default task and its robot in both viewports', async () => {
    await page.goto(server.url);
    await page.waitForSelector('#conn.open', { timeout: 15_000 });
    await page.waitForFunction(() => document.querySelectorAll('#task option').length > 0);
    expect(await page.$eval('#task', (el) => (el as HTMLSelectElement).value)).toBe('cube-lift');
    await page.waitForFunction(() => (window as any).__rsddp.loadedRobot() === 'cube_rail', null, { timeout: 15_000 });
    expect(await page.locator('canvas').count()).toBeGreaterThan(0);
    // before any plan the plot is titled for the task on screen (no "foot height" on the cube)
    await page.waitForFunction(() => /^cube height/.test((window as any).__rsddp.timePlots()[0]?.el.querySelector('.u-title')?.textContent ?? ''), null, { timeout: 5_000 });
    expect(await page.$$eval('#robot option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(['cube_rail']);
    expect(await text('#view-message')).toMatch(/no plan yet/);
    expect(await page.isDisabled('#replan')).toBe(true);
    expect(consoleErrors).toEqual([]);
  }, 30_000);

  it('plans DDP and R-DDP side by side: iterates, progress, plots, table and overlays update live; cancel stops both', async () => {
    await page.selectOption('#task', 'lift-leg');
    expect(await page.$eval('#robot', (el) => (el as HTMLSelectElement).value)).toBe('solo12');
    // a bad parameter: the server's message, as it words it
    await page.fill('#param-height', '0.5');
    expected = /Failed to load resource: .* 400/; // the browser logs the 400 answer itself
    await page.click('#plan');
    await waitText('#error', /^params\.height: .*<= 0\.15/);
    expected = null;
    await page.fill('#param-height', '0.05');
    await page.fill('#param-horizon', '0.6');
    await page.fill('#solver-iterations', '500');
    await page.fill('#solver-samples', '64'); // ~100 ms per R-DDP iteration: it runs long enough to be watched, cancelled, replanned
    // the form starts from the server's defaults (GET /api/tasks solverDefaults): lift-leg's own
    expect(await page.$eval('#solver-sigma0', (el) => (el as HTMLInputElement).value)).toBe('0.5');
    expect(await page.$eval('#backend', (el) => (el as HTMLSelectElement).value)).toBe('auto');
    // in the solve thread: a warm replan with new parameters would otherwise wait ~1 s for a new
    // worker pool (pools are keyed by the task's parameters), and the socket-drop check below
    // needs the server to iterate during its 1 s away
    await page.selectOption('#backend', 'cpu');
    // every noise schedule the protocol offers is in the form; this plan runs the sensitivity rule
    expect(await page.$$eval('#solver-rule option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(['continuation', 'sensitivity', 'decay']);
    await page.selectOption('#solver-rule', 'sensitivity');
    const sent = page.waitForRequest((r) => r.url().endsWith('/api/plans') && r.method() === 'POST');
    await page.click('#plan');
    expect((await sent).postDataJSON().solverParams).toMatchObject({ rule: 'sensitivity', samples: 64, iterations: 500 });
    expect(await page.isHidden('#error')).toBe(true); // cleared by the next request
    await page.waitForFunction(() => (window as any).__rsddp.loadedRobot() === 'solo12', null, { timeout: 15_000 });
    await page.waitForFunction(() => Number((document.querySelector('#iter-rddp') as HTMLElement).dataset.iteration) >= 2, null, { timeout: 20_000 });
    planId = (await rs<string>('state.current'))!;
    // sample in the page for 1.2 s: the iteration counter, the plot's point count, the R-DDP robot's joints, table rows
    const seen = await page.evaluate(() => new Promise<{ its: number[]; points: number[]; rows: number[]; poses: number }>((resolve) => {
      const its: number[] = [], points: number[] = [], rows: number[] = [], poses = new Set<string>();
      const t0 = performance.now();
      const tick = () => {
        its.push(Number((document.querySelector('#iter-rddp') as HTMLElement).dataset.iteration));
        points.push(Number((document.querySelector('#plot-cost') as HTMLElement).dataset.points));
        rows.push(document.querySelectorAll('#telemetry table.rows tbody tr').length);
        poses.add(JSON.stringify((window as any).__rsddp.jointValues().rddp));
        if (performance.now() - t0 < 1200) requestAnimationFrame(tick); else resolve({ its, points, rows, poses: poses.size });
      };
      tick();
    }));
    expect(seen.its.at(-1)!).toBeGreaterThan(seen.its[0]);
    expect(seen.points.at(-1)!).toBeGreaterThan(seen.points[0]);
    expect(seen.rows.at(-1)!).toBeGreaterThan(seen.rows[0]);
    expect(seen.poses).toBeGreaterThanOrEqual(3); // the R-DDP robot's joints move as its latest iterate plays
    expect(await text('#iter-rddp')).toMatch(/^running · it \d+\/500 · cost [\d.e+-]+ · σ /);
    expect(await page.$eval('#bar-1', (el) => parseFloat((el as HTMLElement).style.width))).toBeGreaterThan(0);
    expect(await page.isEnabled('#cancel')).toBe(true);
    expect(await text('#telemetry table.summary tbody')).toMatch(/R-DDP\s*\d+\/500/);

    await page.click('#cancel');
    await waitText('#iter-rddp', /cancelled/);
    await page.waitForFunction(() => !/running|queued/.test(document.querySelector('#plan-info')?.textContent ?? ''), null, { timeout: 15_000 });
    expect(await page.isEnabled('#cancel')).toBe(false);
    const cancelledAt = await iteration(1);
    await page.waitForTimeout(300);
    expect(await iteration(1)).toBe(cancelledAt);
    expect(await page.isEnabled('#replan')).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'live-cancelled-1280x720.png') });

    // overlays (of the cancelled plans): feet in contact carrying force, four trails, the target
    // where the server puts it. DDP (slot 0) never breaks contact: its feet stay loaded. R-DDP's
    // iterate at the moment of the cancel may be lifting its leg (how far it got depends on the
    // machine's speed): at most that foot is unloaded.
    const ov = await rs<{ contacts: number; arrows: number; trails: number; target: boolean }[]>('overlays()');
    for (const o of ov) expect(o).toMatchObject({ trails: 4, target: true });
    expect(ov[0].contacts).toBeGreaterThanOrEqual(3);
    expect(ov[0].arrows).toBeGreaterThanOrEqual(3);
    expect(ov[1].contacts).toBeGreaterThanOrEqual(3);
    expect(ov[1].arrows).toBeGreaterThanOrEqual(2);
    for (const o of ov) expect(o.arrows).toBeLessThanOrEqual(o.contacts);
    // lift-leg places the feet on the ground (foot frame = sphere radius 0.016 m above it) and the target 0.05 m higher
    const target = (await rs<number[][]>('target()'))[1];
    expect(target[2]).toBeCloseTo(0.016 + 0.05, 4);
    expect(target[0]).toBeGreaterThan(0); // FL: front left
    expect(target[1]).toBeGreaterThan(0);
    const trace = (await rs<number[][]>('trace()'))[1];
    expect(trace.length).toBe(61);
    expect(trace[0]).toBeCloseTo(0, 9);
    expect(Number(await page.$eval('#plot-trace', (el) => (el as HTMLElement).dataset.points))).toBeGreaterThanOrEqual(31);
    // overlay toggles (checkbox and key)
    await page.click('#ov-forces');
    expect((await rs<{ arrows: number }[]>('overlays()'))[1].arrows).toBe(0);
    await page.click('#view');
    await page.keyboard.press('f');
    expect(await page.isChecked('#ov-forces')).toBe(true);


    // keyboard: space pauses the shared timeline, arrows step it
    await page.click('#view');
    const playing = () => rs<boolean>('timeline.playing');
    if (await playing()) await page.keyboard.press(' ');
    expect(await playing()).toBe(false);
    await page.keyboard.press('Home');
    expect(await rs<number>('timeline.index')).toBe(0);
    await page.keyboard.press('ArrowRight');
    expect(await rs<number>('timeline.index')).toBe(1);
    await page.keyboard.press('Shift+ArrowRight');
    expect(await rs<number>('timeline.index')).toBe(11);

    // beside the foot height: the other feet, the base height and the FL knee over time, with the
    // cursor, all in the window at 1280x720 without scrolling
    await page.waitForTimeout(100);
    const plotsSeen = await timePlots();
    expectLiftLegPlots(plotsSeen, 'FL');
    for (const p of plotsSeen) {
      expect(p.rect.height).toBeGreaterThan(100);
      expect(p.rect.bottom).toBeLessThanOrEqual(720);
      expect(p.rect.right).toBeLessThanOrEqual(1280);
    }
    expect(await page.$eval('#bottom', (el) => el.scrollHeight - el.clientHeight)).toBeLessThanOrEqual(0);
    // their values are the page's own trajectory: base height = q[2], knee = q[FL_KFE] = q[7 + 2]
    const vals = await page.evaluate((id) => {
      const r = (window as any).__rsddp;
      return { q: r.state.plans.get(id).solves.rddp.trajectory.q as number[][], ex: r.extras()[1] as Record<string, number[]> };
    }, planId);
    expect(vals.ex['base-height']).toEqual(vals.q.map((x) => x[2]));
    expect(vals.ex.knee).toEqual(vals.q.map((x) => x[9]));
    expect(vals.ex.knee[0]).toBeCloseTo(-1.6, 9); // the standing posture's FL_KFE (robots/solo12.json)
    expect(vals.ex['other-feet'][0]).toBeCloseTo(0, 9);
    expect(vals.ex['other-feet'].length).toBe(61);
    expect(await page.isHidden('#error')).toBe(true);
    expect(consoleErrors).toEqual([]);
  }, 60_000);

  it('replans from the latest controls, and catches up after the WebSocket drops', async () => {
    await page.fill('#param-height', '0.08');
    await page.click('#replan');
    await waitText('#iter-rddp', /running · it \d+\/500 .*run 1 \(warm\)/, 20_000);
    // the target follows the new height
    await page.waitForFunction(() => Math.abs((window as any).__rsddp.target()[1]?.[2] - 0.096) < 1e-4, null, { timeout: 10_000 });

    // drop the socket for 2 s, observed in the page: the link shows it is down, nothing arrives
    // meanwhile, the server goes on (asked over HTTP), and on reconnection the snapshot brings
    // the view to where the server is.
    const hellos = await rs<number>('state.hellos');
    const seen = await page.evaluate(async (id) => {
      const r = (window as any).__rsddp;
      const conn = document.querySelector('#conn')!;
      const it = () => Number((document.querySelector('#iter-rddp') as HTMLElement).dataset.iteration);
      const until = (f: () => boolean) => new Promise<void>((resolve) => { const tick = () => (f() ? resolve() : setTimeout(tick, 20)); tick(); });
      r.reconnect(5000);
      await until(() => conn.classList.contains('closed'));
      const linkText = conn.textContent ?? '';
      const away = it();
      // the server goes on meanwhile: asked over HTTP until it is past where the view stopped
      // (an iteration takes 0.1 s on a quiet machine, seconds on a loaded one)
      const rddp = async () => (await (await fetch(`/api/plans/${id}`)).json()).solves.find((s: { solver: string }) => s.solver === 'rddp');
      let server = await rddp();
      for (const t0 = Date.now(); server.status === 'running' && server.iteration <= away && Date.now() - t0 < 4000;) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        server = await rddp();
      }
      const stillAway = it();
      const closedMeanwhile = !conn.classList.contains('open');
      await until(() => conn.classList.contains('open'));
      await until(() => it() >= server.iteration);
      return { linkText, away, stillAway, closedMeanwhile, serverIt: server.iteration as number, serverStatus: server.status as string, after: it() };
    }, planId);
    expect(seen.linkText).toMatch(/disconnected: retrying in/);
    expect(seen.closedMeanwhile).toBe(true);
    expect(seen.stillAway).toBe(seen.away); // nothing arrives while disconnected...
    expect(seen.serverStatus).toBe('running');
    expect(seen.serverIt).toBeGreaterThan(seen.away); // ...while the server goes on...
    expect(seen.after).toBeGreaterThanOrEqual(seen.serverIt); // ...and the view caught up
    expect(await rs<number>('state.hellos')).toBe(hellos + 1);
    // The warm run stops by itself once it converges (50-75 iterations, a few seconds on this
    // machine), possibly before the cancel below reaches the server: then the view must show it
    // done. Either way the final state has to come through the new connection.
    const stillRunning = await page.evaluate(async (id) => (await (await fetch(`/api/plans/${id}`)).json())
      .solves.find((s: { solver: string }) => s.solver === 'rddp').status === 'running', planId);
    if (stillRunning) {
      // no waiting for the button to be enabled: the run may end (and disable it) right now
      await page.click('#cancel', { force: true });
      await waitText('#iter-rddp', /^(cancelled|done) · .*run 1 \(warm\)/);
    } else {
      await waitText('#iter-rddp', /^done · .*run 1 \(warm\)/);
    }
    await page.waitForFunction(() => !/running|queued/.test(document.querySelector('#plan-info')?.textContent ?? ''), null, { timeout: 15_000 });
    expect(await page.isEnabled('#cancel')).toBe(false);
    expect(consoleErrors).toEqual([]);
  }, 60_000);

  it('after a server restart the plan on screen is marked unknown and the link recovers', async () => {
    expected = /WebSocket|ERR_CONNECTION_REFUSED|Failed to load resource/;
    const port = server.port;
    await server.stop();
    await page.waitForSelector('#conn.closed', { timeout: 5_000 });
    server = await startServerProcess(port);
    await page.waitForSelector('#conn.open', { timeout: 15_000 });
    await waitText('#iter-rddp', /restarted/);
    await waitText('#plan-info', /no longer known/);
    expect(await page.isDisabled('#replan')).toBe(true);
    expected = null;
  }, 40_000);

  it('opens recordings side by side, scrubs and steps them, downloads the MCAP file, deletes one', async () => {
    await page.click('#tab-rec-btn');
    await page.waitForSelector('.rec-group');
    // runs 0 and 1 of the plan, both solvers each (cancelled runs are recorded too)
    const groups = await page.$$eval('.rec-group', (els) => els.map((e) => `${(e as HTMLElement).dataset.plan}/${(e as HTMLElement).dataset.run}`));
    expect(groups).toEqual([`${planId}/1`, `${planId}/0`]);
    expect(await text('#rec-count')).toMatch(/^4 recordings/);
    await page.fill('#rec-filter', 'r-ddp height=0.08');
    expect(await page.locator('.rec-group').count()).toBe(1);
    await page.fill('#rec-filter', '');

    await page.click(`.rec-group[data-run="0"] li.rec[data-id="${planId}-rddp-r0"] .rec-open`);
    await page.waitForFunction(() => (window as any).__rsddp.slots().every((s: any) => s?.source === 'recording' && s.knots > 0), null, { timeout: 10_000 });
    const slots = await rs<{ key: string }[]>('slots()');
    expect(slots.map((s) => s.key)).toEqual([`rec:${planId}-ddp-r0`, `rec:${planId}-rddp-r0`]);
    expect(await page.isVisible('#playback-banner')).toBe(true);
    expect(await text('#vtitle-0')).toBe('DDP');
    expect(await text('#vtitle-1')).toBe('R-DDP');
    expect(await text('#iter-rddp')).toMatch(/^(cancelled|converged) · it \d+\/500/);
    expect(Number(await page.$eval('#plot-cost', (el) => (el as HTMLElement).dataset.points))).toBeGreaterThan(2);
    // recorded contacts are drawn too
    await page.waitForFunction(() => (window as any).__rsddp.overlays()[1].contacts >= 3, null, { timeout: 5_000 });

    // scrub to the middle: the timeline pauses there, the robot moves
    await page.click('#view');
    await page.keyboard.press('Home');
    const atStart = JSON.stringify((await rs<Record<string, unknown>>('jointValues()')).rddp);
    await page.$eval('#tl-scrub', (el) => { (el as HTMLInputElement).value = '500'; el.dispatchEvent(new Event('input', { bubbles: true })); });
    expect(await rs<boolean>('timeline.playing')).toBe(false);
    expect(await rs<number>('timeline.time')).toBeCloseTo(0.3, 6);
    await page.waitForTimeout(100);
    expect(JSON.stringify((await rs<Record<string, unknown>>('jointValues()')).rddp)).not.toBe(atStart);
    expect(await text('#tl-time')).toBe('0.30 / 0.60 s');
    expectLiftLegPlots(await timePlots(), 'FL'); // the recordings show the same plots, cursor at 0.3 s
    await page.click('#view');
    await page.keyboard.press('ArrowLeft');
    expect(await rs<number>('timeline.index')).toBe(29);
    await page.keyboard.press('End');
    expect(await rs<number>('timeline.index')).toBe(60);
    await page.keyboard.press(' ');
    expect(await rs<boolean>('timeline.playing')).toBe(true);
    await page.keyboard.press('+');
    expect(await rs<number>('timeline.speed')).toBe(2);
    await page.keyboard.press('-');
    await page.keyboard.press('-');
    expect(await rs<number>('timeline.speed')).toBe(0.5);
    await page.keyboard.press('Home');
    await page.selectOption('#tl-speed', '1');

    // download: the link serves the MCAP file
    const href = await page.$eval(`li.rec[data-id="${planId}-rddp-r0"] a.rec-download`, (a) => (a as HTMLAnchorElement).getAttribute('href'));
    expect(href).toBe(`/api/recordings/${planId}-rddp-r0/file`);
    const magic = await page.evaluate(async (u) => Array.from(new Uint8Array(await (await fetch(u!)).arrayBuffer()).slice(0, 5)), href);
    expect(String.fromCharCode(...magic.slice(1))).toBe('MCAP');

    // put run 1's R-DDP in the left viewport: two R-DDP runs compared
    await page.click(`li.rec[data-id="${planId}-rddp-r1"] .rec-left`);
    await page.waitForFunction((id) => (window as any).__rsddp.slots()[0]?.key === `rec:${id}-rddp-r1`, planId, { timeout: 10_000 });
    expect(await text('#vtitle-0')).toBe('R-DDP');
    await page.click(`li.rec[data-id="${planId}-ddp-r0"] .rec-left`);
    await page.waitForFunction((id) => (window as any).__rsddp.slots()[0]?.key === `rec:${id}-ddp-r0`, planId, { timeout: 10_000 });

    // delete: the list shrinks, the server forgets it
    await page.click(`li.rec[data-id="${planId}-ddp-r1"] .rec-delete`);
    await page.waitForFunction(() => document.querySelectorAll('li.rec').length === 3, null, { timeout: 5_000 });
    expect((await fetch(`${server.url}/api/recordings/${planId}-ddp-r1`)).status).toBe(404);
    expect(await page.isHidden('#error')).toBe(true);
    expect(consoleErrors).toEqual([]);
  }, 60_000);

  it('fits common window sizes (screenshots of the side-by-side view in test/e2e/artifacts/)', async () => {
    // a moment into the R-DDP plan, paused, with every overlay on
    await page.click('#view');
    await page.evaluate(() => { const t = (window as any).__rsddp.timeline; t.pause(); t.seek(t.duration * 0.95); });
    await screenshot('side-by-side-1280x720.png', { width: 1280, height: 720 });
    await screenshot('side-by-side-1920x1080.png', { width: 1920, height: 1080 });
    await screenshot('side-by-side-800x900.png', { width: 800, height: 900 }, true);
    // narrow: the panel moves below the view and stays usable
    const panelTop = await page.$eval('#panel', (el) => el.getBoundingClientRect().top);
    const viewBottom = await page.$eval('#view', (el) => el.getBoundingClientRect().bottom);
    expect(panelTop).toBeGreaterThanOrEqual(viewBottom);
    expect(await page.isVisible('#tab-rec-btn')).toBe(true);
    expect(await page.isHidden('#tab-plan')).toBe(true); // one tab at a time
    await page.setViewportSize({ width: 1280, height: 720 });

    // back to live: a quick cube-lift plan that finishes, then both viewports loop the final plans
    await page.click('#back-live');
    await page.click('#tab-plan-btn');
    await page.selectOption('#task', 'cube-lift');
    await page.fill('#solver-iterations', '12');
    await page.click('#plan');
    await waitText('#iter-rddp', /^(done|cancelled) · it \d+\/12/, 30_000);
    await waitText('#iter-ddp', /^done/, 30_000);
    await page.waitForFunction(() => (window as any).__rsddp.loadedRobot() === 'cube_rail', null, { timeout: 10_000 });
    expect(await rs<string>('mode()')).toBe('live');
    expect(await rs<boolean>('timeline.playing')).toBe(true);
    expect(await rs<boolean>('timeline.loop')).toBe(true);
    expect((await rs<number[][]>('target()'))[1]?.[2]).toBeCloseTo(0.3, 9); // the cube's target height
    // cube-lift declares no extras: its one time plot, the cube height, with data
    await page.waitForFunction(() => (window as any).__rsddp.timePlots().length === 1, null, { timeout: 5_000 });
    const cube = await timePlots();
    expect(cube.map((p) => [p.id, p.title])).toEqual([['trace', 'cube height (m) vs time']]);
    expect(cube[0].points).toBeGreaterThan(0);
    expect(await page.locator('.plot-extra').count()).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'live-cube-lift-1280x720.png') });
    expect(await page.isHidden('#error')).toBe(true);
    expect(consoleErrors).toEqual([]);
  }, 60_000);

  it('Perception tab: fits the cube with the three methods side by side, uses the pose for cube-lift, opens a fit recording', async () => {
    if (!page.url().startsWith(server.url)) { await page.goto(server.url); await page.waitForSelector('#conn.open', { timeout: 15_000 }); }
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.click('#tab-perc-btn');
    expect(await page.isVisible('#perception')).toBe(true);
    expect(await page.isHidden('#center')).toBe(true);
    await page.fill('#pc-size', '32');
    await page.fill('#pc-iterations', '40');
    await page.fill('#pc-seed', '2');
    await page.fill('#pc-error', '20');
    await page.click('#pc-start');
    await page.waitForFunction(() => document.getElementById('perception')?.dataset.status === 'done', null, { timeout: 30_000 });
    // every method's render and its silhouette over the target
    await page.waitForFunction(() => document.querySelectorAll('.pc-fig[data-iou]').length === 3, null, { timeout: 10_000 });
    const figs = await page.$$eval('.pc-fig[data-method]', (els) => els.map((e) => ({ method: (e as HTMLElement).dataset.method, iou: Number((e as HTMLElement).dataset.iou), line: e.querySelector('.pc-line')?.textContent ?? '' })));
    expect(figs.map((f) => f.method)).toEqual(['hard', 'softras', 'perturbed']);
    for (const f of figs) {
      expect(f.iou).toBeGreaterThan(0.3); // a 20 degree error still overlaps the target's silhouette
      expect(f.iou).toBeLessThanOrEqual(1);
      expect(f.line).toMatch(/^done · it 40\/40 · loss .* · σ .* · \d+\.\d°/);
    }
    expect(Number(await page.$eval('#pc-plots', (el) => (el as HTMLElement).dataset.points))).toBe(120);
    const drawn = await page.$$eval('.pc-overlay', (cs) => cs.map((c) => (c as HTMLCanvasElement).width));
    expect(drawn).toEqual([32, 32, 32]);
    // the 3D view: the target and each method's estimate at the poses of the fit
    const poses = await rs<Record<string, number[]>>('fits().poses3d');
    const cur = await rs<string>('fits().current');
    const fit = await (await fetch(`${server.url}/api/fits/${cur}`)).json();
    const q = (r: number[]) => { const t = Math.hypot(r[0], r[1], r[2]), k = Math.sin(t / 2) / t; return [r[0] * k, r[1] * k, r[2] * k, Math.cos(t / 2)]; };
    q(fit.targetPose.rotation).forEach((x: number, i: number) => expect(poses.target[i]).toBeCloseTo(x, 6));
    expect(Object.keys(poses).sort()).toEqual(['hard', 'perturbed', 'softras', 'target']);
    expect(await page.$eval('#pc-scene canvas', (c) => (c as HTMLCanvasElement).width)).toBeGreaterThan(100);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'perception-1280x720.png') });
    // the renders at an earlier iteration (the slider), then back to the estimates
    const slide = (v: string) => page.$eval('#pc-iter', (el, val) => { (el as HTMLInputElement).value = val; el.dispatchEvent(new Event('input')); }, v);
    await slide('0');
    await page.waitForFunction(() => Array.from(document.querySelectorAll('.pc-fig[data-method]')).every((e) => (e as HTMLElement).dataset.shows === '0'), null, { timeout: 5_000 });
    expect(await text('#pc-iter-label')).toBe('it 0');
    await slide('40');
    await page.waitForFunction(() => Array.from(document.querySelectorAll('.pc-fig[data-method]')).every((e) => (e as HTMLElement).dataset.shows === '40'), null, { timeout: 5_000 });
    // use this pose: cube-lift planned from the best estimate (the cube on the floor: the height of the rest pose)
    expect(await page.isEnabled('#pc-use')).toBe(true);
    await page.click('#pc-use');
    await page.waitForFunction(() => !document.getElementById('tab-plan')!.hidden, null, { timeout: 5_000 });
    const planned = await rs<string>('state.current');
    const st = await planState(planned);
    expect(st.task).toBe('cube-lift');
    expect(st.params.initialHeight).toBe(0.05);
    await waitText('#iter-rddp', /^(running|done)/, 30_000);
    // the fit recordings, one per method, and one opened in the tab
    await page.click('#tab-perc-btn');
    await page.waitForFunction(() => document.querySelectorAll('#pc-recs button').length >= 3, null, { timeout: 10_000 });
    await page.click('#pc-recs button');
    await page.waitForFunction(() => String((window as any).__rsddp.fits().current).startsWith('rec:'), null, { timeout: 10_000 });
    await page.waitForFunction(() => document.querySelectorAll('.pc-fig[data-method]:not([hidden])').length === 1, null, { timeout: 10_000 });
    await page.click('#tab-plan-btn');
    expect(await page.isVisible('#view')).toBe(true);
    expect(consoleErrors).toEqual([]);
  }, 90_000);

  it('offers lift-leg the robots it can run on, shows the upstream Solo-12 with its meshes when chosen, and plans on it', async () => {
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.selectOption('#task', 'lift-leg');
    expect(await page.$$eval('#robot option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(['solo12', 'solo', UPSTREAM_SOLO12]);
    expect(await page.$eval('#robot', (el) => (el as HTMLSelectElement).value)).toBe('solo12');
    await page.selectOption('#robot', UPSTREAM_SOLO12);
    // shown at once, before any plan, in both viewports, meshes loaded
    await page.waitForFunction((id) => (window as any).__rsddp.loadedRobots().every((r: string) => r === id), UPSTREAM_SOLO12, { timeout: 15_000 });
    await page.waitForFunction(() => (window as any).__rsddp.meshStats().every((m: any) => m && m.urls > 0 && m.loaded + m.failed >= m.urls), null, { timeout: 30_000 });
    const meshes = await rs<{ loaded: number; failed: number; urls: number; triangles: number }[]>('meshStats()');
    for (const m of meshes) {
      expect(m.failed).toBe(0);
      expect(m.loaded).toBeGreaterThan(0);
      expect(m.triangles).toBeGreaterThan(1000);
    }
    await waitText('#plan-info', new RegExp(`lift-leg on ${UPSTREAM_SOLO12}: press Plan`));
    await page.waitForFunction(() => /^FL foot height/.test((window as any).__rsddp.timePlots()[0]?.el.querySelector('.u-title')?.textContent ?? ''), null, { timeout: 5_000 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(ARTIFACTS, 'upstream-solo12-chosen-1280x720.png') });

    await page.fill('#param-horizon', '0.3');
    await page.fill('#solver-iterations', '8');
    await page.fill('#solver-samples', '8');
    await page.selectOption('#backend', 'cpu');
    const sent = page.waitForRequest((r) => r.url().endsWith('/api/plans') && r.method() === 'POST');
    await page.click('#plan');
    expect((await sent).postDataJSON()).toMatchObject({ robot: UPSTREAM_SOLO12, task: 'lift-leg' });
    await waitText('#iter-ddp', /^(done|cancelled) · it \d+\/8/, 60_000);
    await waitText('#iter-rddp', /^(done|cancelled) · it \d+\/8/, 60_000);
    await waitText('#plan-info', new RegExp(`lift-leg on ${UPSTREAM_SOLO12}, done`));
    expect((await rs<({ knots: number } | null)[]>('slots()')).map((x) => x?.knots)).toEqual([31, 31]);
    // the feet's trails and the target on this robot's lifted foot (contact sphere 0.02 m, target 0.05 m higher)
    await page.evaluate(() => { const t = (window as any).__rsddp.timeline; t.pause(); t.seek(t.duration * 0.5); });
    await page.waitForTimeout(200);
    for (const o of await rs<{ trails: number; target: boolean }[]>('overlays()')) expect(o).toMatchObject({ trails: 4, target: true });
    const target = (await rs<number[][]>('target()'))[1];
    expect(target[2]).toBeCloseTo(0.02 + 0.05, 3);
    expect(target[0]).toBeGreaterThan(0);
    expect(target[1]).toBeGreaterThan(0);
    expectLiftLegPlots(await timePlots(), 'FL', 31);
    await page.screenshot({ path: path.join(ARTIFACTS, 'upstream-solo12-lift-leg-1280x720.png') });
    expect(await page.isHidden('#error')).toBe(true);
    expect(consoleErrors).toEqual([]);
  }, 120_000);
});
