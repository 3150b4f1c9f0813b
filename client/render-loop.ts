/**
 * The page's frame loop: when the state is dirty, the SlotViews on screen are recomputed and
 * everything that reads them refreshed (panel status, viewport labels and progress, plots, trace,
 * telemetry table, overlays' static parts); every frame the timeline advances, the robots are set
 * from the trajectories (or the Live tab's world states) at its time, and the 3D view is redrawn
 * when something moved.
 */
import type { AppState } from './app-state.ts';
import { $ } from './dom.ts';
import type { Slot } from './recordings.ts';
import { extraPlots, type TaskView } from './task-view.ts';
import { interpolateQ } from './timeline.ts';
import { filterTrack, SLOTS, type Viewports } from './viewports.ts';
import { liveSlots, progress, recordingSlot, statusLine, timelineLength, type SlotView } from './view-model.ts';

export interface RenderDeps {
  viewports: Viewports;
  showError(message: string): void;
  /** The Plan tab's panel from the state (plan-tab.ts). */
  renderPanel(): void;
  /** The panel's choice as a task view (plot titles before a plan). */
  chosenView(): TaskView | null;
}

const noJoint = (): boolean => false;

export class RenderLoop {
  /** Errors of solves shown already (each once). */
  readonly #shownErrors = new Set<string>();
  #lastSig = '';

  constructor(private readonly app: AppState, private readonly deps: RenderDeps) {}

  start(): void {
    requestAnimationFrame((t) => this.#animate(t, t));
  }

  #computeSlots(): [SlotView | null, SlotView | null] {
    const app = this.app;
    if (app.mode === 'live') return app.preview ? [null, null] : liveSlots(app.plans);
    if (app.mode === 'mpc') return app.liveModel.slots();
    return app.recModel.slots.map((id) => {
      const c = id ? app.recordings.get(id) : undefined;
      return c ? recordingSlot(c) : null;
    }) as [SlotView | null, SlotView | null];
  }

  /** Everything that reads the SlotViews, after a change. */
  refresh(): void {
    const { app, deps } = this;
    const { timeline, recModel, plots, table, view } = app;
    const vps = deps.viewports.vps;
    const slots = app.slots = this.#computeSlots();
    const keys = slots.map((s) => s?.key ?? '').join('|');
    if (keys !== app.slotKeys) {
      // new content on screen: start the timeline over
      timeline.seek(0);
      timeline.play();
      app.slotKeys = keys;
    }

    deps.renderPanel();

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
        if (!this.#shownErrors.has(k)) { this.#shownErrors.add(k); deps.showError(`${s.title} failed: ${s.error}`); }
      }
      if (s) void deps.viewports.ensureRobot(i, s.robot);
    });
    const banner = $('playback-banner');
    banner.hidden = app.mode !== 'playback';
    $('playback-text').textContent = `playback: ${recModel.slots.map((id, i) => `${i === 0 ? 'left' : 'right'} ${id ?? '–'}`).join(' · ')}`;
    const msg = $('view-message');
    const empty = !slots[0] && !slots[1];
    if (view) {
      msg.hidden = !empty;
      msg.textContent = app.mode === 'playback' ? 'loading the recording…' : 'no plan yet: choose a task and press Plan, or open a recording';
    }

    // plots, trace, table, overlays' static parts
    const ds = SLOTS.map((i) => deps.viewports.derive(i, slots[i]));
    const spec = ds.find((d) => d?.tv.trace)?.tv.trace ?? (slots[0] || slots[1] ? null : deps.chosenView()?.trace ?? null);
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
    deps.viewports.frameOnce(ds);
  }

  #syncTimelineUi(): void {
    const timeline = this.app.timeline;
    $('tl-play').textContent = timeline.playing ? 'pause' : 'play';
    const scrub = $<HTMLInputElement>('tl-scrub');
    if (document.activeElement !== scrub) scrub.value = String(Math.round(timeline.fraction * 1000));
    $('tl-time').textContent = `${timeline.time.toFixed(2)} / ${timeline.duration.toFixed(2)} s`;
    $('tl-time').dataset.knot = String(timeline.index);
    $<HTMLSelectElement>('tl-speed').value = String(timeline.speed);
    $<HTMLInputElement>('tl-loop').checked = timeline.loop;
  }

  #animate(now: number, last: number): void {
    const app = this.app;
    const { timeline, liveModel, perf } = app;
    try {
      if (app.dirty) { const t0 = performance.now(); app.dirty = false; this.refresh(); app.renders++; perf.refreshes++; perf.refreshMs += performance.now() - t0; }
      if (app.perceptionDirty && app.tab === 'perception' && app.perception) { app.perceptionDirty = false; app.perception.render(); }
      if (app.tab === 'perception') app.perception?.frame();
      const slots = app.slots;
      if (app.mode === 'mpc') {
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
        const s = slots[i], vp = this.deps.viewports.vps[i], t = s?.trajectory;
        if (vp.robot) vp.robot.robot.visible = !s || vp.robotId === s.robot;
        if (app.mode === 'mpc') {
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
      app.plots?.setTime(app.mode !== 'mpc' && slots.some((s) => s?.trajectory) ? timeline.time : null);
      this.#syncTimelineUi();
      const t1 = performance.now();
      // redraw only when something moved: the timeline, new data, the camera, a toggle, the size
      const sig = `${timeline.time}|${app.slotKeys}|${app.renders}|${app.mode === 'mpc' ? liveModel.frames : 0}`;
      if (app.view && app.view.render(sig !== this.#lastSig)) {
        perf.frames++;
        perf.renderMs += performance.now() - t1;
      }
      this.#lastSig = sig;
    } catch (e) {
      console.error(e);
    }
    requestAnimationFrame((t) => this.#animate(t, now));
  }
}
