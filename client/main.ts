/**
 * The web client's composition root: creates the state (app-state.ts), the modules that each do
 * one job, wires them to each other, and starts the page. See README ("The web client") and
 * docs/architecture.md ("Web client").
 *
 * Two modes share the viewports: `live` shows the plan on screen (DDP left, R-DDP right),
 * animating each solve's latest iterate, then looping the final plans; `playback` shows the
 * recordings opened from the browser (any recording in either viewport); `mpc` the Live tab's
 * session. What a viewport shows is a SlotView (view-model.ts); everything renders SlotViews.
 */
import { api } from './api-client.ts';
import { createAppState, type Tab } from './app-state.ts';
import { bindControls } from './controls.ts';
import { exposeDebugHooks } from './debug-hooks.ts';
import { $ } from './dom.ts';
import { DragPush } from './drag-push.ts';
import { connect } from './link.ts';
import { LiveTab } from './live-tab.ts';
import { Overlays } from './overlays.ts';
import type { TaskInfo } from './panel.ts';
import { PerceptionTab } from './perception-tab.ts';
import { PerceptionView } from './perception-view.ts';
import { PlanTab } from './plan-tab.ts';
import { Plots } from './plots.ts';
import { RecordingsTab } from './recordings-tab.ts';
import { RenderLoop } from './render-loop.ts';
import { SplitView } from './scene.ts';
import { selectTab } from './tabs.ts';
import { TelemetryTable } from './telemetry.ts';
import { SLOTS, Viewports } from './viewports.ts';

const app = createAppState();
// the modules call each other through these closures (each is built before any is called)
const showError = (m: string | null): void => plan.showError(m);
const goLive = (): void => recordings.goLive();
const toTab = (t: Tab): void => selectTab(app, {
  loadRecordings: () => void recordings.load(), loadFitRecordings: () => void perception.loadRecordings(), renderLive: () => live.render(), goLive,
}, t);

const viewports = new Viewports(app, showError);
const recordings = new RecordingsTab(app, showError);
const plan = new PlanTab(app, { viewports, goLive });
const perception = new PerceptionTab(app, { showError, selectTab: toTab, goLive });
const live: LiveTab = new LiveTab(app, { viewports, showError, subscribe: (id) => conn.send({ type: 'subscribe', live: [id], v: 1 }), recordingsChanged: () => recordings.loadSoon() });
const conn = connect(app, { showError, renderLive: () => live.render(), recordingsChanged: () => recordings.loadSoon(), fitRecordingsChanged: () => perception.loadRecordingsSoon() });
const loop = new RenderLoop(app, { viewports, showError, renderPanel: () => plan.render(), chosenView: () => plan.chosenView() });
exposeDebugHooks(app, viewports, conn);

/** The components that need the page (WebGL may be missing), the robots and tasks, then the socket and the frame loop. */
async function start(): Promise<void> {
  bindControls(app, { viewports, goLive, selectTab: toTab });
  live.bind();
  try {
    const view = app.view = new SplitView($('view'), ['left', 'right']);
    SLOTS.forEach((i) => {
      const o = viewports.vps[i].overlays = new Overlays(view.viewports[i].scene);
      o.setVisible(app.toggles);
    });
    // the Live tab: press on a body, drag, release to push it (both worlds)
    app.dragPush = new DragPush(view, {
      robot: (i) => (app.mode === 'mpc' ? viewports.vps[i]?.robot?.robot ?? null : null),
      enabled: () => app.mode === 'mpc' && app.liveModel.running,
      push: (body, force) => live.push(body, force),
    });
  } catch (e) {
    const m = $('view-message');
    m.hidden = false;
    m.classList.add('bad');
    m.textContent = `3D view unavailable (WebGL): ${(e as Error).message}`;
  }
  app.plots = new Plots($('plot-cost'), $('plot-sigma'), $('plot-trace'));
  try { app.perception = new PerceptionView(app.fits, perception.handlers); } catch (e) { showError(`perception tab: ${(e as Error).message}`); }
  app.table = new TelemetryTable($('telemetry'));
  try {
    const [r, t] = await Promise.all([api<{ robots: { id: string }[] }>('GET', '/api/robots'), api<{ tasks: TaskInfo[] }>('GET', '/api/tasks')]);
    app.tasks = t.tasks;
    plan.panel.setOptions(r.robots, t.tasks);
    live.setTasks(t.tasks);
    const first = t.tasks.find((x) => x.name === plan.panel.taskSelect.value);
    if (first && !app.plans.current) { void viewports.ensureRobot(0, plan.panel.robot || first.robot); void viewports.ensureRobot(1, plan.panel.robot || first.robot); }
  } catch (e) {
    showError(`cannot load robots and tasks: ${(e as Error).message}`);
  }
  conn.start();
  loop.start();
}

void start();
