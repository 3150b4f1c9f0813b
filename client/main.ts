/**
 * The web client: wires the connection (live plan state), the recordings browser, the
 * side-by-side view (two viewports, one shared camera and timeline), the overlays, the plots,
 * the telemetry table and the operator panel. See README ("The web client").
 *
 * Two modes share the viewports: `live` shows the plan on screen (DDP left, R-DDP right),
 * animating each solve's latest iterate, then looping the final plans; `playback` shows the
 * recordings opened from the browser (any recording in either viewport). What a viewport shows
 * is a SlotView (view-model.ts); everything below renders SlotViews.
 */
import * as THREE from 'three';
import { applyMessage, Connection, createState, plansNewestFirst, type LinkStatus } from './connection.ts';
import { FrameSampler } from './kinematics.ts';
import { OVERLAY_NAMES, Overlays, type OverlayToggles } from './overlays.ts';
import { Panel, type TaskInfo } from './panel.ts';
import { Plots } from './plots.ts';
import { RecordingsModel, type Slot } from './recordings.ts';
import { RecordingsView } from './recordings-view.ts';
import { fetchRobot, RobotView, type RobotSummary } from './robot-view.ts';
import { SplitView } from './scene.ts';
import { TelemetryTable } from './telemetry.ts';
import { extraPlots, targetPoint, taskView, trackedFrames, traceValues, type FrameTrack, type RobotFrames, type TaskView, type V3 } from './task-view.ts';
import { interpolateQ, SPEEDS, Timeline } from './timeline.ts';
import { LiveModel } from './live.ts';
import { DragPush } from './drag-push.ts';
import {
  liveSlots, progress, RecordingContentSchema, RecordingListSchema, recordingSlot, statusLine, timelineLength,
  type RecordingContent, type SlotView,
} from './view-model.ts';
import type { LiveState, PlanCreate, TrajectoryMsg } from '../shared/protocol.ts';
import { applyFitMessage, createFitsState, fitViewFromRecording, type FitRecordingContent, type FitRecordingInfo } from './perception-model.ts';
import { PerceptionView } from './perception-view.ts';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const SLOTS: Slot[] = [0, 1];

const state = createState();
const timeline = new Timeline();
const recModel = new RecordingsModel();
const recordings = new Map<string, RecordingContent>();
const toggles: OverlayToggles = { contacts: true, forces: true, target: true, trails: true };
/** 'live': the plans; 'playback': recordings; 'mpc': the Live tab's session (robots drawn from its states). */
let mode: 'live' | 'playback' | 'mpc' = 'live';
let dragPush: DragPush | null = null;
const liveModel = new LiveModel();
let view: SplitView | null = null;
let plots: Plots | null = null;
let table: TelemetryTable | null = null;
let dirty = true;
let slots: [SlotView | null, SlotView | null] = [null, null];
let slotKeys = '';
let tasks: TaskInfo[] = [];
const fits = createFitsState();
let perception: PerceptionView | null = null;
let perceptionDirty = true;
let tab: 'plan' | 'recordings' | 'live' | 'perception' = 'plan';
/** Where the page's time goes (ms totals), for diagnostics: __rsddp.perf in the console. */
const perf = { messages: 0, messageMs: 0, refreshes: 0, refreshMs: 0, frames: 0, renderMs: 0 };
/** Bumped by anything that changes the picture outside the timeline (data, toggles, meshes). */
let renders = 0;
let lastSig = '';

// ------------------------------------------------------------------ HTTP

async function api<T>(method: string, url: string, body?: unknown): Promise<T> {
  const res = await fetch(url, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  let data: unknown = null;
  try { data = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (!res.ok) throw new Error((data as { error?: string } | null)?.error ?? `${method} ${url}: HTTP ${res.status}`);
  return data as T;
}

// ------------------------------------------------------------------ errors

const shownErrors = new Set<string>();
function showError(message: string | null): void {
  panel.showError(message);
}

// ------------------------------------------------------------------ panel (plan, replan, cancel, plan picker)

const panel = new Panel($('panel'), {
  async plan(body: PlanCreate) {
    try {
      const { id } = await api<{ id: string }>('POST', '/api/plans', body);
      const task = tasks.find((t) => t.name === body.task);
      const budget = Number(body.solverParams?.iterations ?? task?.solverDefaults.iterations);
      if (budget > 0) state.budgets.set(id, budget);
      state.current = id;
      preview = null;
      goLive();
      timeline.seek(0);
      timeline.play();
      dirty = true;
    } catch (e) { showError((e as Error).message); }
  },
  async replan(params) {
    if (!state.current) return;
    try {
      await api('POST', `/api/plans/${encodeURIComponent(state.current)}/replan`, { params });
      goLive();
      timeline.play();
    } catch (e) { showError((e as Error).message); }
  },
  async cancel() {
    if (!state.current) return;
    try { await api('DELETE', `/api/plans/${encodeURIComponent(state.current)}`); } catch (e) { showError((e as Error).message); }
  },
  select(id) {
    state.current = id;
    preview = null;
    goLive();
    dirty = true;
  },
  choose(task, robot) {
    // the view follows the choice at once: the chosen robot in both viewports, the task's plot
    // titles, no plan (the plans stay in the plan picker)
    preview = { task, robot };
    goLive();
    void ensureRobot(0, robot);
    void ensureRobot(1, robot);
    dirty = true;
  },
});

/** What task-view.ts reads of a robot. */
function robotFrames(sampler: FrameSampler): RobotFrames {
  const s = sampler.summary;
  return { links: sampler.links, contactFrames: s.contactFrames ?? [], joints: s.joints, legs: s.legs ?? null, endEffector: s.endEffector ?? null };
}

/** A task and robot chosen in the panel and not planned yet: the live view shows them instead of a plan. */
let preview: { task: string; robot: string } | null = null;

/** The task view of the panel's choice (for the plots' titles before a plan), when its robot is loaded. */
function chosenView(): TaskView | null {
  const t = panel.task, sampler = samplers.get(panel.robot);
  if (!t || !sampler) return null;
  return taskView(t.name, { ...t.defaults }, robotFrames(sampler));
}

// ------------------------------------------------------------------ connection

function showLink(s: LinkStatus): void {
  const el = $('conn');
  el.className = `conn ${s.state}`;
  el.textContent = s.state === 'open' ? 'connected' : s.state === 'connecting' ? 'connecting…'
    : `disconnected: retrying in ${(s.retryInMs / 1000).toFixed(1)} s${s.attempt > 0 ? ` (attempt ${s.attempt + 1})` : ''}`;
  el.title = s.state === 'open' ? `server ${state.server ?? ''}` : 'the view keeps the last state; it catches up on reconnection';
}

let listTimer: ReturnType<typeof setTimeout> | null = null;
/** Reloads the recordings list soon (debounced): a solve finished and was recorded. */
function refreshRecordingsSoon(): void {
  if (listTimer) return;
  listTimer = setTimeout(() => { listTimer = null; void loadRecordings(); }, 300);
}

const conn = new Connection(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`, {
  onStatus(s) {
    showLink(s);
    // (re)subscribe to the live session followed
    if (s.state === 'open' && liveModel.id) conn.send({ type: 'subscribe', live: [liveModel.id], v: 1 });
  },
  onMessage(msg) {
    perf.messages++;
    const t0 = performance.now();
    if (msg.type.startsWith('live.')) {
      // a live world's state only moves its robot (drawn in animate); plans and statuses refresh
      if (liveModel.apply(msg)) { dirty = true; renderLivePanel(); }
      perf.messageMs += performance.now() - t0;
      return;
    }
    if (applyFitMessage(fits, msg)) {
      perceptionDirty = true;
      if (msg.type === 'fit-status' && msg.fit.methods.some((m) => m.recording) && tab === 'perception') refreshFitRecordingsSoon();
      perf.messageMs += performance.now() - t0;
      return;
    }
    applyMessage(state, msg);
    perf.messageMs += performance.now() - t0;
    if (msg.type === 'error') showError(`server: ${msg.message}`);
    if (msg.type === 'hello') { showLink({ state: 'open' }); conn.send({ type: 'subscribe-fits', fits: 'all', v: 1 }); }
    if (msg.type === 'status' && msg.plan.solves.some((s) => s.recording && !recModel.find(s.recording))) refreshRecordingsSoon();
    dirty = true;
  },
  onInvalid(reason) { console.warn(`rsddp: ignored a server message that does not fit the protocol: ${reason}`); },
});

// ------------------------------------------------------------------ robots per viewport

interface Viewport { robotId: string | null; loading: string | null; robot: RobotView | null; overlays: Overlays | null; framed: string | null }
const vps: Viewport[] = SLOTS.map(() => ({ robotId: null, loading: null, robot: null, overlays: null, framed: null }));
const summaries = new Map<string, Promise<RobotSummary>>();
const samplers = new Map<string, FrameSampler>();

function summary(id: string): Promise<RobotSummary> {
  let p = summaries.get(id);
  if (!p) {
    p = fetchRobot(id);
    summaries.set(id, p);
    p.catch(() => summaries.delete(id));
  }
  return p;
}

async function ensureRobot(i: Slot, id: string): Promise<void> {
  const vp = vps[i];
  if (!view || vp.robotId === id || vp.loading === id) return;
  vp.loading = id;
  try {
    const s = await summary(id);
    if (vp.loading !== id) return; // superseded
    if (!samplers.has(id)) samplers.set(id, new FrameSampler(s));
    vp.robot?.dispose();
    const r = new RobotView(s, () => { dirty = true; });
    const posture = s.postures ? Object.values(s.postures)[0] : undefined;
    if (posture) r.setQ(posture);
    view.viewports[i].scene.add(r.robot);
    vp.robot = r;
    vp.robotId = id;
    derived[i] = null;
    if (vps.every((v) => v.framed !== id)) {
      const box = new THREE.Box3().setFromObject(r.robot);
      if (!box.isEmpty()) view.frame(box.getCenter(new THREE.Vector3()), box.getSize(new THREE.Vector3()).length());
    }
    vp.framed = id;
    dirty = true;
  } catch (e) {
    showError(`robot ${id}: ${(e as Error).message}`);
  } finally {
    if (vp.loading === id) vp.loading = null;
  }
}

// ------------------------------------------------------------------ per-viewport derived data (FK, target, trace)

interface Derived { traj: TrajectoryMsg; key: string; tv: TaskView; track: FrameTrack | null; target: V3 | null; trace: number[]; extras: number[][] }
const derived: (Derived | null)[] = [null, null];

function derive(i: Slot, s: SlotView | null): Derived | null {
  const t = s?.trajectory;
  if (!s || !t) return (derived[i] = null);
  const sampler = samplers.get(s.robot);
  if (!sampler || vps[i].robotId !== s.robot) return (derived[i] = null);
  const key = `${s.task}|${JSON.stringify(s.params)}`;
  const c = derived[i];
  if (c && c.traj === t && c.key === key) return c;
  const tv = taskView(s.task, s.params, robotFrames(sampler));
  const track = t.q.length && t.q[0].length === sampler.summary.nq ? sampler.track(t.q, trackedFrames(tv)) : null;
  const target = targetPoint(tv.target, track, (q, f) => sampler.at(q, f));
  const trace = traceValues(tv.trace, track, t.q);
  const extras = tv.extras.map((e) => traceValues(e, track, t.q));
  return (derived[i] = { traj: t, key, tv, track, target, trace, extras });
}

// ------------------------------------------------------------------ modes

function goLive(): void {
  if (mode === 'live') return;
  mode = 'live';
  recModel.slots = [null, null];
  recView.render();
  dirty = true;
}

async function loadRecordings(): Promise<void> {
  try {
    const res = RecordingListSchema.safeParse(await api('GET', '/api/recordings'));
    if (!res.success) throw new Error(`unexpected answer: ${res.error.issues[0]?.message}`);
    recModel.setList(res.data);
  } catch (e) {
    showError(`recordings: ${(e as Error).message}`);
  }
  recView.render();
}

async function loadRecording(id: string): Promise<void> {
  if (recordings.has(id)) return;
  const res = RecordingContentSchema.safeParse(await api('GET', `/api/recordings/${encodeURIComponent(id)}`));
  if (!res.success) throw new Error(`recording ${id}: unexpected content: ${res.error.issues[0]?.message}`);
  recordings.set(id, res.data);
}

async function showRecordings(ids: [string | null, string | null]): Promise<void> {
  mode = 'playback';
  showError(null);
  recView.render();
  dirty = true;
  try {
    await Promise.all(ids.filter((x): x is string => !!x).map(loadRecording));
  } catch (e) {
    showError((e as Error).message);
  }
  timeline.seek(0);
  timeline.play();
  dirty = true;
}

const recView = new RecordingsView($('tab-recordings'), recModel, {
  refresh: () => void loadRecordings(),
  open: (id) => void showRecordings(recModel.open(id)),
  place: (slot, id) => void showRecordings(recModel.place(slot, id)),
  async remove(id) {
    try {
      await api('DELETE', `/api/recordings/${encodeURIComponent(id)}`);
      recModel.remove(id);
      recordings.delete(id);
      if (mode === 'playback' && !recModel.showing) goLive();
      recView.render();
      dirty = true;
    } catch (e) { showError((e as Error).message); }
  },
});

function selectTab(next: 'plan' | 'recordings' | 'live' | 'perception'): void {
  tab = next;
  for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>('.tabs button'))) {
    const on = b.dataset.tab === next;
    b.classList.toggle('active', on);
    b.setAttribute('aria-selected', String(on));
  }
  $('tab-plan').hidden = next !== 'plan';
  $('tab-recordings').hidden = next !== 'recordings';
  $('tab-live').hidden = next !== 'live';
  $('tab-perception').hidden = next !== 'perception';
  // the Perception tab has its own centre (images and plots) in place of the 3D view
  $('center').hidden = next === 'perception';
  $('perception').hidden = next !== 'perception';
  if (next === 'recordings') void loadRecordings();
  if (next === 'perception') { perceptionDirty = true; void loadFitRecordings(); }
  else window.dispatchEvent(new Event('resize'));
  if (next === 'live') { renderLivePanel(); if (liveModel.id) { mode = 'mpc'; dirty = true; } }
  else if (mode === 'mpc') goLive();
}

// ------------------------------------------------------------------ the Live tab (model-predictive control)

function liveTask(): TaskInfo | undefined {
  return tasks.find((t) => t.name === $<HTMLSelectElement>('live-task').value);
}

/** The Live tab's options for the chosen task: its numeric parameters and the robot's bodies. */
function fillLiveOptions(): void {
  const t = liveTask();
  if (!t) return;
  const sel = $<HTMLSelectElement>('live-param');
  const names = t.params.filter((p) => p.type !== 'enum' && p.name !== 'horizon' && p.name !== 'dt').map((p) => p.name);
  const prev = sel.value;
  sel.replaceChildren(...names.map((n) => Object.assign(document.createElement('option'), { value: n, textContent: n })));
  sel.value = names.includes(prev) ? prev : names.includes('height') ? 'height' : names[0] ?? '';
  syncLiveValue();
  void summary(t.robot).then((r) => {
    const bodies = [...new Set(r.frames.filter((f) => f.kind === 'body').map((f) => f.name))];
    const b = $<HTMLSelectElement>('live-body');
    b.replaceChildren(...bodies.map((n) => Object.assign(document.createElement('option'), { value: n, textContent: n })));
  }).catch(() => { /* keeps the default body */ });
}

function syncLiveValue(): void {
  const name = $<HTMLSelectElement>('live-param').value;
  const v = liveModel.state?.params[name] ?? liveTask()?.defaults[name];
  if (v !== undefined) $<HTMLInputElement>('live-value').value = String(v);
}

function renderLivePanel(): void {
  const st = liveModel.state, on = liveModel.running;
  $<HTMLButtonElement>('live-start').disabled = on;
  for (const id of ['live-pause', 'live-reset', 'live-stop', 'live-apply']) $<HTMLButtonElement>(id).disabled = !on;
  for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>('.live-push'))) b.disabled = !on;
  $('live-pause').textContent = st?.status === 'paused' ? 'Resume' : 'Pause';
  $('live-status').textContent = st
    ? `${st.id}: ${st.task}, ${st.status}, t = ${st.t.toFixed(2)} s${st.recordings.length ? ` · recorded as ${st.recordings.join(', ')}` : ''}`
    : 'no live session';
  $('live-status').dataset.status = st?.status ?? '';
  $('live-stats-ddp').textContent = liveModel.statsLine('ddp');
  $('live-stats-rddp').textContent = liveModel.statsLine('rddp');
}

async function liveCall(path: string, body: unknown = {}): Promise<void> {
  if (!liveModel.id) return;
  try {
    const r = await api<{ live: LiveState }>('POST', `/api/live/${encodeURIComponent(liveModel.id)}/${path}`, body);
    liveModel.state = r.live;
    renderLivePanel();
  } catch (e) { showError((e as Error).message); }
}

function bindLive(): void {
  $('live-task').addEventListener('change', fillLiveOptions);
  $('live-param').addEventListener('change', syncLiveValue);
  $('live-start').addEventListener('click', async () => {
    const t = liveTask();
    if (!t) return;
    try {
      showError(null);
      const r = await api<{ id: string; live: LiveState }>('POST', '/api/live', {
        task: t.name, horizon: Number($<HTMLInputElement>('live-horizon').value), realTimeFactor: Number($<HTMLInputElement>('live-rtf').value),
        solverParams: {
          iterations: Number($<HTMLInputElement>('live-iterations').value),
          polish: Math.min(Number($<HTMLInputElement>('live-polish').value), Number($<HTMLInputElement>('live-iterations').value)),
          warmup: Number($<HTMLInputElement>('live-warmup').value),
        },
      });
      liveModel.follow(r.id, r.live);
      conn.send({ type: 'subscribe', live: [r.id], v: 1 });
      mode = 'mpc';
      void ensureRobot(0, r.live.robot);
      void ensureRobot(1, r.live.robot);
      dirty = true;
      renderLivePanel();
      syncLiveValue();
    } catch (e) { showError((e as Error).message); }
  });
  $('live-pause').addEventListener('click', () => void liveCall(liveModel.state?.status === 'paused' ? 'resume' : 'pause'));
  $('live-reset').addEventListener('click', () => void liveCall('reset'));
  $('live-stop').addEventListener('click', async () => {
    if (!liveModel.id) return;
    try {
      liveModel.state = await api<LiveState>('DELETE', `/api/live/${encodeURIComponent(liveModel.id)}`);
      renderLivePanel();
      refreshRecordingsSoon();
    } catch (e) { showError((e as Error).message); }
  });
  for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>('.live-push'))) {
    b.addEventListener('click', () => {
      const f = Number($<HTMLInputElement>('live-force').value);
      const dir = (b.dataset.dir ?? '1,0,0').split(',').map(Number);
      void liveCall('push', { body: $<HTMLSelectElement>('live-body').value, force: dir.map((d) => d * f), duration: Number($<HTMLInputElement>('live-duration').value) });
    });
  }
  $('live-apply').addEventListener('click', () => {
    const name = $<HTMLSelectElement>('live-param').value;
    void liveCall('params', { params: { [name]: Number($<HTMLInputElement>('live-value').value) } });
  });
}

// ------------------------------------------------------------------ perception (pose fits)

async function loadFitRecordings(): Promise<void> {
  try {
    const list = await api<{ fits?: FitRecordingInfo[] }>('GET', '/api/recordings');
    perception?.setRecordings(list.fits ?? []);
  } catch (e) { showError(`fit recordings: ${(e as Error).message}`); }
}

let fitListTimer: ReturnType<typeof setTimeout> | null = null;
function refreshFitRecordingsSoon(): void {
  if (fitListTimer) return;
  fitListTimer = setTimeout(() => { fitListTimer = null; void loadFitRecordings(); }, 300);
}

const perceptionHandlers = {
  async start(body: import('../shared/protocol.ts').FitCreate) {
    try {
      showError(null);
      const { id } = await api<{ id: string }>('POST', '/api/fits', body);
      fits.current = id;
      perceptionDirty = true;
    } catch (e) { showError((e as Error).message); }
  },
  async cancel(id: string) {
    try { await api('DELETE', `/api/fits/${encodeURIComponent(id)}`); } catch (e) { showError((e as Error).message); }
  },
  async usePose(params: { initialHeight: number }, why: string) {
    try {
      const { id } = await api<{ id: string }>('POST', '/api/plans', { task: 'cube-lift', params });
      perception?.showInfo(`${why}; planned as ${id}`);
      const task = tasks.find((t) => t.name === 'cube-lift');
      const budget = Number(task?.solverDefaults.iterations);
      if (budget > 0) state.budgets.set(id, budget);
      state.current = id;
      selectTab('plan');
      goLive();
      timeline.seek(0);
      timeline.play();
      dirty = true;
    } catch (e) { showError((e as Error).message); }
  },
  select(id: string) { fits.current = id; perceptionDirty = true; },
  refreshRecordings: () => void loadFitRecordings(),
  async openRecording(id: string) {
    try {
      const c = await api<FitRecordingContent>('GET', `/api/recordings/${encodeURIComponent(id)}`);
      const v = fitViewFromRecording(c);
      fits.fits.set(v.state.id, v);
      fits.current = v.state.id;
      perceptionDirty = true;
    } catch (e) { showError((e as Error).message); }
  },
};

// ------------------------------------------------------------------ rendering

function computeSlots(): [SlotView | null, SlotView | null] {
  if (mode === 'live') return preview ? [null, null] : liveSlots(state);
  if (mode === 'mpc') return liveModel.slots();
  return recModel.slots.map((id) => {
    const c = id ? recordings.get(id) : undefined;
    return c ? recordingSlot(c) : null;
  }) as [SlotView | null, SlotView | null];
}

function refresh(): void {
  slots = computeSlots();
  const plan = state.current ? state.plans.get(state.current) : undefined;
  const keys = slots.map((s) => s?.key ?? '').join('|');
  if (keys !== slotKeys) {
    // new content on screen: start the timeline over
    timeline.seek(0);
    timeline.play();
    slotKeys = keys;
  }

  // panel
  panel.setPlanStatus(plan?.state.status ?? null, plan?.lost ?? false);
  panel.setPlans(plansNewestFirst(state).map((p) => ({ id: p.state.id, label: `${p.state.task} · ${p.state.status}${p.lost ? ' (lost)' : ''} · ${p.state.id}` })), state.current);
  $('plan-info').textContent = preview && mode === 'live'
    ? `${preview.task} on ${preview.robot}: press Plan`
    : plan
    ? `plan ${plan.state.id}: ${plan.state.task} on ${plan.state.robot}, ${plan.lost ? 'no longer known to the server (it restarted)' : plan.state.status}`
    : 'no plan yet: choose a task and press Plan';

  // viewport labels and progress
  SLOTS.forEach((i) => {
    const s = slots[i];
    const line = $(i === 0 ? 'iter-ddp' : 'iter-rddp');
    line.textContent = statusLine(s);
    line.title = line.textContent;
    line.dataset.iteration = String(s?.iteration ?? 0);
    line.dataset.status = s?.status ?? '';
    $(`vtitle-${i}`).textContent = s ? s.title : i === 0 ? 'DDP' : 'R-DDP';
    const p = s ? progress(s) : null;
    $(`bar-${i}`).style.width = `${Math.round((p ?? 0) * 100)}%`;
    if (s?.error) {
      const k = `${s.key}:${s.error}`;
      if (!shownErrors.has(k)) { shownErrors.add(k); showError(`${s.title} failed: ${s.error}`); }
    }
    if (s) void ensureRobot(i, s.robot);
  });
  const banner = $('playback-banner');
  banner.hidden = mode !== 'playback';
  $('playback-text').textContent = `playback: ${recModel.slots.map((id, i) => `${i === 0 ? 'left' : 'right'} ${id ?? '–'}`).join(' · ')}`;
  const msg = $('view-message');
  const empty = !slots[0] && !slots[1];
  if (view) {
    msg.hidden = !empty;
    msg.textContent = mode === 'playback' ? 'loading the recording…' : 'no plan yet: choose a task and press Plan, or open a recording';
  }

  // plots, trace, table, overlays' static parts
  const ds = SLOTS.map((i) => derive(i, slots[i]));
  const spec = ds.find((d) => d?.tv.trace)?.tv.trace ?? (slots[0] || slots[1] ? null : chosenView()?.trace ?? null);
  const same = slots[0]?.title === slots[1]?.title;
  const name = (i: Slot) => { const s = slots[i]; return s ? `${s.title}${same ? (i === 0 ? ' (left)' : ' (right)') : ''}` : i === 0 ? 'left' : 'right'; };
  plots?.setLabels([name(0), name(1)], spec ?? { label: 'task quantity', unit: '' });
  plots?.update(slots[0]?.history ?? [], slots[1]?.history ?? []);
  plots?.updateTrace({
    label: spec?.label ?? 'task quantity', unit: spec?.unit ?? '', target: spec?.target ?? null,
    series: ds.map((d) => (d && d.tv.trace ? { dt: d.traj.dt, values: d.trace } : null)),
  });
  plots?.updateExtras(extraPlots(ds.map((d) => (d ? { dt: d.traj.dt, extras: d.tv.extras, values: d.extras } : null)))
    .map(({ spec, series }) => ({ id: spec.id, label: spec.label, unit: spec.unit, target: spec.target, series })));
  table?.update(slots);
  SLOTS.forEach((i) => {
    const o = vps[i].overlays;
    if (!o) return;
    const d = ds[i];
    o.setTarget(d?.target ?? null);
    o.setTrails(d?.track ? filterTrack(d.track, d.tv.trails) : null, d ?? null);
  });
  frameOnce(ds);
}

/**
 * Points the camera at the robot, its trails and its target, once per robot and task (the first
 * time a trajectory of it is shown): a pendulum swinging up leaves the box of its hanging pose.
 */
const framed = new Set<string>();
function frameOnce(ds: (Derived | null)[]): void {
  const i = SLOTS.find((k) => ds[k]?.track && vps[k].robot);
  if (i === undefined || !view) return;
  const s = slots[i]!, d = ds[i]!;
  const key = `${s.robot}|${s.task}`;
  if (framed.has(key)) return;
  framed.add(key);
  const box = new THREE.Box3().setFromObject(vps[i].robot!.robot);
  const v = new THREE.Vector3();
  for (const p of d.track!.pos.values()) for (let k = 0; k < p.length; k += 3) box.expandByPoint(v.set(p[k], p[k + 1], p[k + 2]));
  if (d.target) box.expandByPoint(v.set(...d.target));
  if (!box.isEmpty()) view.frame(box.getCenter(new THREE.Vector3()), box.getSize(new THREE.Vector3()).length());
}

function filterTrack(t: FrameTrack, frames: string[]): FrameTrack {
  return { knots: t.knots, pos: new Map([...t.pos].filter(([f]) => frames.includes(f))) };
}

function syncTimelineUi(): void {
  $('tl-play').textContent = timeline.playing ? 'pause' : 'play';
  const scrub = $<HTMLInputElement>('tl-scrub');
  if (document.activeElement !== scrub) scrub.value = String(Math.round(timeline.fraction * 1000));
  $('tl-time').textContent = `${timeline.time.toFixed(2)} / ${timeline.duration.toFixed(2)} s`;
  $('tl-time').dataset.knot = String(timeline.index);
  $<HTMLSelectElement>('tl-speed').value = String(timeline.speed);
  $<HTMLInputElement>('tl-loop').checked = timeline.loop;
}

const noJoint = (): boolean => false;

function animate(now: number, last: number): void {
  try {
    if (dirty) { const t0 = performance.now(); dirty = false; refresh(); renders++; perf.refreshes++; perf.refreshMs += performance.now() - t0; }
    if (perceptionDirty && tab === 'perception' && perception) { perceptionDirty = false; perception.render(); }
    if (tab === 'perception') perception?.frame();
    if (mode === 'mpc') {
      // the timeline spans the states received: playing follows the latest, paused or
      // scrubbed shows what happened then
      const { knots, dt } = liveModel.recorded();
      // paused, the spacing stays as it was: the knot shown is round(time / dt), and the states'
      // mean spacing drifts as states arrive (every step or every other, with the clock's speed)
      timeline.setLength(knots, timeline.playing ? dt : 0);
      if (timeline.playing) timeline.seek(timeline.duration);
    } else {
      const { knots, dt } = timelineLength(slots, timeline.dt);
      timeline.setLength(knots, dt);
      timeline.advance(Math.min(0.1, (now - last) / 1000));
    }
    SLOTS.forEach((i) => {
      const s = slots[i], vp = vps[i], t = s?.trajectory;
      if (vp.robot) vp.robot.robot.visible = !s || vp.robotId === s.robot;
      if (mode === 'mpc') {
        // the world's latest state, as it comes (the trails show the adopted plan's horizon)
        const ws = s ? (timeline.playing ? liveModel.states.get(s.solver) : liveModel.stateAt(s.solver, timeline.index, timeline.knots)) : undefined;
        vp.overlays?.setLimits(null, noJoint);
        if (!s || !ws || !vp.robot || vp.robotId !== s.robot) { vp.overlays?.setContacts(null); return; }
        vp.robot.setQ(ws.q);
        vp.overlays?.setContacts(ws.contacts);
        return;
      }
      if (!s || !t || !vp.robot || vp.robotId !== s.robot) { vp.overlays?.setContacts(null); vp.overlays?.setLimits(null, noJoint); return; }
      vp.robot.setQ(interpolateQ(t.q, t.dt, timeline.time, vp.robot.layout.base !== null));
      const k = Math.min(Math.max(Math.round(timeline.time / t.dt), 0), t.q.length - 1);
      vp.overlays?.setContacts(t.contacts?.[Math.min(k, t.contacts.length - 1)] ?? null);
      const robot = vp.robot;
      vp.overlays?.setLimits(t.limits?.[Math.min(k, t.limits.length - 1)] ?? null, (joint, out) => robot.jointWorldPosition(joint, out));
    });
    plots?.setTime(mode !== 'mpc' && slots.some((s) => s?.trajectory) ? timeline.time : null);
    syncTimelineUi();
    const t1 = performance.now();
    // redraw only when something moved: the timeline, new data, the camera, a toggle, the size
    const sig = `${timeline.time}|${slotKeys}|${renders}|${mode === 'mpc' ? liveModel.frames : 0}`;
    if (view && view.render(sig !== lastSig)) {
      perf.frames++;
      perf.renderMs += performance.now() - t1;
    }
    lastSig = sig;
  } catch (e) {
    console.error(e);
  }
  requestAnimationFrame((t) => animate(t, now));
}

// ------------------------------------------------------------------ controls

function setToggle(name: keyof OverlayToggles, on: boolean): void {
  toggles[name] = on;
  $<HTMLInputElement>(`ov-${name}`).checked = on;
  for (const vp of vps) vp.overlays?.setVisible(toggles);
  renders++;
}

function stepSpeed(dir: 1 | -1): void {
  const i = SPEEDS.findIndex((s) => s >= timeline.speed);
  const next = SPEEDS[Math.min(SPEEDS.length - 1, Math.max(0, (i < 0 ? SPEEDS.length - 1 : i) + dir))];
  timeline.setSpeed(next);
}

function bindControls(): void {
  $('tl-play').addEventListener('click', () => timeline.toggle());
  $('tl-back').addEventListener('click', () => timeline.step(-1));
  $('tl-fwd').addEventListener('click', () => timeline.step(1));
  $('tl-start').addEventListener('click', () => { timeline.pause(); timeline.seek(0); });
  $<HTMLInputElement>('tl-scrub').addEventListener('input', (e) => { timeline.pause(); timeline.scrub(Number((e.target as HTMLInputElement).value) / 1000); });
  $<HTMLSelectElement>('tl-speed').addEventListener('change', (e) => timeline.setSpeed(Number((e.target as HTMLSelectElement).value)));
  $<HTMLInputElement>('tl-loop').addEventListener('change', (e) => { timeline.loop = (e.target as HTMLInputElement).checked; });
  for (const n of OVERLAY_NAMES) $<HTMLInputElement>(`ov-${n}`).addEventListener('change', (e) => setToggle(n, (e.target as HTMLInputElement).checked));
  $('back-live').addEventListener('click', () => goLive());
  for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>('.tabs button'))) b.addEventListener('click', () => selectTab(b.dataset.tab as 'plan' | 'recordings' | 'live' | 'perception'));
  bindLive();
  const keys: Record<string, (e: KeyboardEvent) => void> = {
    ' ': () => timeline.toggle(),
    ArrowLeft: (e) => timeline.step(e.shiftKey ? -10 : -1),
    ArrowRight: (e) => timeline.step(e.shiftKey ? 10 : 1),
    Home: () => { timeline.pause(); timeline.seek(0); },
    End: () => { timeline.pause(); timeline.seek(timeline.duration); },
    '+': () => stepSpeed(1), '=': () => stepSpeed(1), '-': () => stepSpeed(-1),
    l: () => { timeline.loop = !timeline.loop; },
    c: () => setToggle('contacts', !toggles.contacts), f: () => setToggle('forces', !toggles.forces),
    t: () => setToggle('target', !toggles.target), r: () => setToggle('trails', !toggles.trails),
  };
  window.addEventListener('keydown', (e) => {
    const el = e.target as HTMLElement | null;
    const tag = el?.tagName;
    if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA' || el?.isContentEditable) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const f = keys[e.key];
    if (!f) return;
    e.preventDefault(); // also keeps space from pressing the focused button
    if (tag === 'BUTTON' || tag === 'A') el!.blur();
    f(e);
  });
}

async function main(): Promise<void> {
  bindControls();
  try {
    view = new SplitView($('view'), ['left', 'right']);
    SLOTS.forEach((i) => {
      vps[i].overlays = new Overlays(view!.viewports[i].scene);
      vps[i].overlays!.setVisible(toggles);
    });
    // the Live tab: press on a body, drag, release to push it (both worlds)
    dragPush = new DragPush(view, {
      robot: (i) => (mode === 'mpc' ? vps[i]?.robot?.robot ?? null : null),
      enabled: () => mode === 'mpc' && liveModel.running,
      push: (body, force) => void liveCall('push', { body, force, duration: Number($<HTMLInputElement>('live-duration').value) }),
    });
  } catch (e) {
    const m = $('view-message');
    m.hidden = false;
    m.classList.add('bad');
    m.textContent = `3D view unavailable (WebGL): ${(e as Error).message}`;
  }
  plots = new Plots($('plot-cost'), $('plot-sigma'), $('plot-trace'));
  try { perception = new PerceptionView(fits, perceptionHandlers); } catch (e) { showError(`perception tab: ${(e as Error).message}`); }
  table = new TelemetryTable($('telemetry'));
  try {
    const [r, t] = await Promise.all([api<{ robots: { id: string }[] }>('GET', '/api/robots'), api<{ tasks: TaskInfo[] }>('GET', '/api/tasks')]);
    tasks = t.tasks;
    panel.setOptions(r.robots, t.tasks);
    $<HTMLSelectElement>('live-task').replaceChildren(...t.tasks.map((x) => Object.assign(document.createElement('option'), { value: x.name, textContent: `${x.title} (${x.name})` })));
    fillLiveOptions();
    const first = t.tasks.find((x) => x.name === panel.taskSelect.value);
    if (first && !state.current) { void ensureRobot(0, panel.robot || first.robot); void ensureRobot(1, panel.robot || first.robot); }
  } catch (e) {
    showError(`cannot load robots and tasks: ${(e as Error).message}`);
  }
  conn.start();
  requestAnimationFrame((t) => animate(t, t));
}

/** For the end-to-end test and the console: read-only views of what is on screen. */
(window as unknown as { __rsddp: unknown }).__rsddp = {
  state, timeline, recordings: recModel, perf: () => ({ ...perf, parseMs: conn.parseMs }),
  mode: () => mode,
  live: () => ({ id: liveModel.id, state: liveModel.state, frames: liveModel.frames, plans: Object.fromEntries([...liveModel.plans].map(([k, p]) => [k, { replan: p.replan, step: p.step, knots: p.q.length }])), states: Object.fromEntries([...liveModel.states].map(([k, x]) => [k, { step: x.step, t: x.t, q: x.q }])) }),
  slots: () => slots.map((s) => (s ? { key: s.key, solver: s.solver, status: s.status, iteration: s.iteration, knots: s.trajectory?.q.length ?? 0, source: s.source } : null)),
  jointValues: () => ({ ddp: vps[0].robot?.jointValues() ?? null, rddp: vps[1].robot?.jointValues() ?? null }),
  loadedRobot: () => vps[0].robotId,
  loadedRobots: () => vps.map((v) => v.robotId),
  /** The robot's mesh objects in each viewport (loaded meshes, their triangles). */
  meshStats: () => vps.map((v) => v.robot?.meshStats() ?? null),
  preview: () => preview,
  overlays: () => vps.map((v) => v.overlays?.stats() ?? null),
  trace: () => derived.map((d) => d?.trace ?? null),
  /** The extra series per viewport: id -> values per knot. */
  extras: () => derived.map((d) => (d ? Object.fromEntries(d.tv.extras.map((e, j) => [e.id, d.extras[j]])) : null)),
  target: () => derived.map((d) => d?.target ?? null),
  reconnect: (holdMs = 0) => conn.drop(holdMs),
  timePlots: () => plots?.timePlots() ?? [],
  view: () => view,
  /** The drag-to-push in progress (body and force), null when none. */
  dragPush: () => dragPush?.current ?? null,
  /** Where a link of viewport i's robot is on the page (client pixels), for the end-to-end test. */
  linkOnPage: (i: number, link: string) => {
    const r = vps[i]?.robot?.robot, v = view;
    const o = r ? (r as unknown as { links: Record<string, THREE.Object3D> }).links[link] : undefined;
    if (!o || !v) return null;
    const p = o.getWorldPosition(new THREE.Vector3()).project(v.camera);
    const rect = v.renderer.domElement.getBoundingClientRect(), vw = rect.width / v.viewports.length;
    return { x: rect.left + i * vw + ((p.x + 1) / 2) * vw, y: rect.top + ((1 - p.y) / 2) * rect.height };
  },
  /** The Perception tab: fits known, the one on screen, silhouette IoU per method. */
  fits: () => ({ current: fits.current, ids: [...fits.fits.keys()], iou: perception ? { ...perception.iou } : {}, poses3d: perception?.scene3d?.poses() ?? null }),
};

void main();
