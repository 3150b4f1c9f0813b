/**
 * The Live tab's wiring (model-predictive control): start a session (POST /api/live) and follow
 * it on the WebSocket, pause / resume / reset / stop, pushes and parameter changes, and its
 * status lines. The session's data is live.ts (LiveModel); the render loop draws its robots.
 */
import { api } from './api-client.ts';
import type { AppState } from './app-state.ts';
import { $, option } from './dom.ts';
import type { TaskInfo } from './panel.ts';
import type { Viewports } from './viewports.ts';
import type { LiveState } from '../shared/protocol.ts';

export interface LiveTabDeps {
  viewports: Viewports;
  showError(message: string | null): void;
  /** Follows a session on the WebSocket (its states, plans and statuses). */
  subscribe(liveId: string): void;
  /** A stopped session was recorded: reload the recordings list soon. */
  recordingsChanged(): void;
}

export class LiveTab {
  constructor(private readonly app: AppState, private readonly deps: LiveTabDeps) {}

  #task(): TaskInfo | undefined {
    return this.app.tasks.find((t) => t.name === $<HTMLSelectElement>('live-task').value);
  }

  /** The task picker's options (after GET /api/tasks), then the chosen task's options. */
  setTasks(tasks: readonly TaskInfo[]): void {
    $<HTMLSelectElement>('live-task').replaceChildren(...tasks.map((x) => option(x.name, `${x.title} (${x.name})`)));
    this.fillOptions();
  }

  /** The Live tab's options for the chosen task: its numeric parameters and the robot's bodies. */
  fillOptions(): void {
    const t = this.#task();
    if (!t) return;
    const sel = $<HTMLSelectElement>('live-param');
    const names = t.params.filter((p) => p.type !== 'enum' && p.name !== 'horizon' && p.name !== 'dt').map((p) => p.name);
    const prev = sel.value;
    sel.replaceChildren(...names.map((n) => option(n, n)));
    sel.value = names.includes(prev) ? prev : names.includes('height') ? 'height' : names[0] ?? '';
    this.#syncValue();
    void this.deps.viewports.summary(t.robot).then((r) => {
      const bodies = [...new Set(r.frames.filter((f) => f.kind === 'body').map((f) => f.name))];
      $<HTMLSelectElement>('live-body').replaceChildren(...bodies.map((n) => option(n, n)));
    }).catch(() => { /* keeps the default body */ });
  }

  #syncValue(): void {
    const name = $<HTMLSelectElement>('live-param').value;
    const v = this.app.liveModel.state?.params[name] ?? this.#task()?.defaults[name];
    if (v !== undefined) $<HTMLInputElement>('live-value').value = String(v);
  }

  /** Buttons enabled by the session's state, its status line and the per-world statistics. */
  render(): void {
    const liveModel = this.app.liveModel;
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

  /** POST /api/live/:id/<path> on the session followed (pause, resume, reset, push, params). */
  async call(path: string, body: unknown = {}): Promise<void> {
    const liveModel = this.app.liveModel;
    if (!liveModel.id) return;
    try {
      const r = await api<{ live: LiveState }>('POST', `/api/live/${encodeURIComponent(liveModel.id)}/${path}`, body);
      liveModel.state = r.live;
      this.render();
    } catch (e) { this.deps.showError((e as Error).message); }
  }

  /** A push on a body (drag-push.ts), for the duration set in the tab. */
  push(body: string, force: readonly number[]): void {
    void this.call('push', { body, force, duration: Number($<HTMLInputElement>('live-duration').value) });
  }

  async #start(): Promise<void> {
    const { app, deps } = this;
    const t = this.#task();
    if (!t) return;
    try {
      deps.showError(null);
      const r = await api<{ id: string; live: LiveState }>('POST', '/api/live', {
        task: t.name, horizon: Number($<HTMLInputElement>('live-horizon').value), realTimeFactor: Number($<HTMLInputElement>('live-rtf').value),
        solverParams: {
          iterations: Number($<HTMLInputElement>('live-iterations').value),
          polish: Math.min(Number($<HTMLInputElement>('live-polish').value), Number($<HTMLInputElement>('live-iterations').value)),
          warmup: Number($<HTMLInputElement>('live-warmup').value),
        },
      });
      app.liveModel.follow(r.id, r.live);
      deps.subscribe(r.id);
      app.mode = 'mpc';
      void deps.viewports.ensureRobot(0, r.live.robot);
      void deps.viewports.ensureRobot(1, r.live.robot);
      app.dirty = true;
      this.render();
      this.#syncValue();
    } catch (e) { deps.showError((e as Error).message); }
  }

  async #stop(): Promise<void> {
    const liveModel = this.app.liveModel;
    if (!liveModel.id) return;
    try {
      liveModel.state = await api<LiveState>('DELETE', `/api/live/${encodeURIComponent(liveModel.id)}`);
      this.render();
      this.deps.recordingsChanged();
    } catch (e) { this.deps.showError((e as Error).message); }
  }

  /** The tab's controls. */
  bind(): void {
    const liveModel = this.app.liveModel;
    $('live-task').addEventListener('change', () => this.fillOptions());
    $('live-param').addEventListener('change', () => this.#syncValue());
    $('live-start').addEventListener('click', () => void this.#start());
    $('live-pause').addEventListener('click', () => void this.call(liveModel.state?.status === 'paused' ? 'resume' : 'pause'));
    $('live-reset').addEventListener('click', () => void this.call('reset'));
    $('live-stop').addEventListener('click', () => void this.#stop());
    for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>('.live-push'))) {
      b.addEventListener('click', () => {
        const f = Number($<HTMLInputElement>('live-force').value);
        const dir = (b.dataset.dir ?? '1,0,0').split(',').map(Number);
        this.push($<HTMLSelectElement>('live-body').value, dir.map((d) => d * f));
      });
    }
    $('live-apply').addEventListener('click', () => {
      const name = $<HTMLSelectElement>('live-param').value;
      void this.call('params', { params: { [name]: Number($<HTMLInputElement>('live-value').value) } });
    });
  }
}
