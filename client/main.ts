/**
 * The web client: wires the connection (live plan state), the side-by-side DDP | R-DDP view,
 * the shared timeline, the plots and the operator panel. See README ("The web client").
 */
import * as THREE from 'three';
import { applyMessage, Connection, createState, type LinkStatus, type SolveView } from './connection.ts';
import { Panel, type TaskInfo } from './panel.ts';
import { Plots } from './plots.ts';
import { fetchRobot, RobotView } from './robot-view.ts';
import { SplitView } from './scene.ts';
import { interpolateQ, Timeline } from './timeline.ts';
import type { PlanCreate, Solver } from '../shared/protocol.ts';

const SOLVER_LIST: Solver[] = ['ddp', 'rddp'];
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const state = createState();
const timeline = new Timeline();
let view: SplitView | null = null;
let robots: Partial<Record<Solver, RobotView>> = {};
let loadedRobot: string | null = null;
let loadingRobot: string | null = null;
let dirty = true;

async function api<T>(method: string, url: string, body?: unknown): Promise<T> {
  const res = await fetch(url, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  let data: unknown = null;
  try { data = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (!res.ok) throw new Error((data as { error?: string } | null)?.error ?? `${method} ${url}: HTTP ${res.status}`);
  return data as T;
}

const panel = new Panel($('panel'), {
  async plan(body: PlanCreate) {
    try {
      const { id } = await api<{ id: string }>('POST', '/api/plans', body);
      state.current = id;
      timeline.seek(0);
      timeline.play();
      dirty = true;
    } catch (e) { panel.showError((e as Error).message); }
  },
  async replan(params) {
    if (!state.current) return;
    try { await api('POST', `/api/plans/${encodeURIComponent(state.current)}/replan`, { params }); timeline.play(); } catch (e) { panel.showError((e as Error).message); }
  },
  async cancel() {
    if (!state.current) return;
    try { await api('DELETE', `/api/plans/${encodeURIComponent(state.current)}`); } catch (e) { panel.showError((e as Error).message); }
  },
});

function showLink(s: LinkStatus): void {
  const el = $('conn');
  el.className = `conn ${s.state}`;
  el.textContent = s.state === 'open' ? 'connected' : s.state === 'connecting' ? 'connecting…' : `disconnected: retrying in ${(s.retryInMs / 1000).toFixed(1)} s`;
}

const conn = new Connection(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`, {
  onStatus: showLink,
  onMessage(msg) {
    applyMessage(state, msg);
    if (msg.type === 'error') panel.showError(msg.message);
    dirty = true;
  },
  onInvalid(reason) { console.warn(`rsddp: ignored a server message that does not fit the protocol: ${reason}`); },
});

async function ensureRobot(id: string): Promise<void> {
  if (!view || loadedRobot === id || loadingRobot === id) return;
  loadingRobot = id;
  try {
    const summary = await fetchRobot(id);
    for (const r of Object.values(robots)) r?.dispose();
    robots = {};
    SOLVER_LIST.forEach((s, i) => {
      const r = new RobotView(summary, () => { dirty = true; });
      const posture = summary.postures ? Object.values(summary.postures)[0] : undefined;
      if (posture) r.setQ(posture);
      view!.viewports[i].scene.add(r.robot);
      robots[s] = r;
    });
    const box = new THREE.Box3().setFromObject(robots.ddp!.robot);
    if (!box.isEmpty()) view.frame(box.getCenter(new THREE.Vector3()), box.getSize(new THREE.Vector3()).length());
    loadedRobot = id;
    $('view-message').hidden = true;
  } catch (e) {
    panel.showError(`robot ${id}: ${(e as Error).message}`);
  } finally {
    loadingRobot = null;
  }
}

function fmt(x: number | null | undefined): string {
  return x === null || x === undefined ? '–' : x === 0 ? '0' : Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-2 && x !== 0) ? x.toExponential(2) : x.toPrecision(4);
}

function solveLine(v: SolveView | undefined): string {
  if (!v) return '–';
  const sigma = v.solver === 'rddp' && v.latest ? ` · σ ${fmt(v.latest.sigma)}` : '';
  return `${v.status} · it ${v.iteration} · cost ${fmt(v.cost)}${sigma}${v.run ? ` · run ${v.run}` : ''}`;
}

let plots: Plots | null = null;

function refresh(): void {
  const plan = state.current ? state.plans.get(state.current) : undefined;
  panel.setPlanStatus(plan?.state.status ?? null);
  for (const s of SOLVER_LIST) {
    const el = $(`iter-${s}`);
    const v = plan?.solves[s];
    el.textContent = solveLine(v);
    el.dataset.iteration = String(v?.iteration ?? 0);
  }
  $('plan-info').textContent = plan ? `plan ${plan.state.id}: ${plan.state.task} on ${plan.state.robot}, ${plan.state.status}` : 'no plan yet: choose a task and press Plan';
  plots?.update(plan?.solves.ddp?.history ?? [], plan?.solves.rddp?.history ?? []);
  if (plan) void ensureRobot(plan.state.robot);
}

function syncTimelineUi(): void {
  $('tl-play').textContent = timeline.playing ? 'pause' : 'play';
  const scrub = $<HTMLInputElement>('tl-scrub');
  if (document.activeElement !== scrub) scrub.value = String(Math.round(timeline.fraction * 1000));
  $('tl-time').textContent = `${timeline.time.toFixed(2)} / ${timeline.duration.toFixed(2)} s`;
}

function animate(now: number, last: number): void {
  if (dirty) { dirty = false; refresh(); }
  const plan = state.current ? state.plans.get(state.current) : undefined;
  let knots = 1, dt = timeline.dt;
  for (const s of SOLVER_LIST) {
    const t = plan?.solves[s]?.trajectory;
    if (t && t.q.length > knots) { knots = t.q.length; dt = t.dt; }
  }
  timeline.setLength(knots, dt);
  timeline.advance(Math.min(0.1, (now - last) / 1000));
  for (const s of SOLVER_LIST) {
    const t = plan?.solves[s]?.trajectory, r = robots[s];
    if (t && r && plan!.state.robot === loadedRobot) r.setQ(interpolateQ(t.q, t.dt, timeline.time, r.layout.base !== null));
  }
  syncTimelineUi();
  view?.render();
  requestAnimationFrame((t) => animate(t, now));
}

function bindTimeline(): void {
  $('tl-play').addEventListener('click', () => timeline.toggle());
  $('tl-back').addEventListener('click', () => timeline.step(-1));
  $('tl-fwd').addEventListener('click', () => timeline.step(1));
  $<HTMLInputElement>('tl-scrub').addEventListener('input', (e) => { timeline.pause(); timeline.scrub(Number((e.target as HTMLInputElement).value) / 1000); });
  $<HTMLSelectElement>('tl-speed').addEventListener('change', (e) => timeline.setSpeed(Number((e.target as HTMLSelectElement).value)));
  $<HTMLInputElement>('tl-loop').addEventListener('change', (e) => { timeline.loop = (e.target as HTMLInputElement).checked; });
  window.addEventListener('keydown', (e) => {
    const tag = (e.target as HTMLElement | null)?.tagName;
    if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA' || tag === 'BUTTON') return;
    if (e.key === ' ') { e.preventDefault(); timeline.toggle(); }
    else if (e.key === 'ArrowLeft') { e.preventDefault(); timeline.step(-1); }
    else if (e.key === 'ArrowRight') { e.preventDefault(); timeline.step(1); }
  });
}

async function main(): Promise<void> {
  bindTimeline();
  try {
    view = new SplitView($('view'), ['DDP', 'R-DDP']);
  } catch (e) {
    const m = $('view-message');
    m.hidden = false;
    m.textContent = `3D view unavailable (WebGL): ${(e as Error).message}`;
  }
  plots = new Plots($('plot-cost'), $('plot-sigma'));
  try {
    const [r, t] = await Promise.all([api<{ robots: { id: string }[] }>('GET', '/api/robots'), api<{ tasks: TaskInfo[] }>('GET', '/api/tasks')]);
    panel.setOptions(r.robots, t.tasks);
    const first = t.tasks.find((x) => x.name === panel.taskSelect.value);
    if (first && !state.current) void ensureRobot(first.robot);
  } catch (e) {
    panel.showError(`cannot load robots and tasks: ${(e as Error).message}`);
  }
  conn.start();
  requestAnimationFrame((t) => animate(t, t));
}

/** For the end-to-end test and the console: read-only views of what is on screen. */
(window as unknown as { __rsddp: unknown }).__rsddp = {
  state, timeline,
  jointValues: () => Object.fromEntries(SOLVER_LIST.map((s) => [s, robots[s]?.jointValues() ?? null])),
  loadedRobot: () => loadedRobot,
  reconnect: () => conn.drop(),
};

void main();
