/**
 * The Plan tab's wiring: the operator panel's actions (plan, replan, cancel, pick a plan, choose
 * a task and robot) as API calls and view changes, the panel's status from the store, and the
 * page's one error line (shown in the panel). The form itself is panel.ts.
 */
import { api } from './api-client.ts';
import type { AppState } from './app-state.ts';
import { plansNewestFirst } from './connection.ts';
import { $ } from './dom.ts';
import { Panel } from './panel.ts';
import { taskView, type TaskView } from './task-view.ts';
import { robotFrames, type Viewports } from './viewports.ts';

export interface PlanTabDeps {
  viewports: Viewports;
  /** Leaves playback (recordings-tab.ts). */
  goLive(): void;
}

export class PlanTab {
  readonly panel: Panel;

  constructor(private readonly app: AppState, private readonly deps: PlanTabDeps) {
    const { plans: state, timeline } = app;
    const showError = (m: string) => this.showError(m);
    this.panel = new Panel($('panel'), {
      async plan(body) {
        try {
          const { id } = await api<{ id: string }>('POST', '/api/plans', body);
          const task = app.tasks.find((t) => t.name === body.task);
          const budget = Number(body.solverParams?.iterations ?? task?.solverDefaults.iterations);
          if (budget > 0) state.budgets.set(id, budget);
          state.current = id;
          app.preview = null;
          deps.goLive();
          timeline.seek(0);
          timeline.play();
          app.dirty = true;
        } catch (e) { showError((e as Error).message); }
      },
      async replan(params) {
        if (!state.current) return;
        try {
          await api('POST', `/api/plans/${encodeURIComponent(state.current)}/replan`, { params });
          deps.goLive();
          timeline.play();
        } catch (e) { showError((e as Error).message); }
      },
      async cancel() {
        if (!state.current) return;
        try { await api('DELETE', `/api/plans/${encodeURIComponent(state.current)}`); } catch (e) { showError((e as Error).message); }
      },
      select(id) {
        state.current = id;
        app.preview = null;
        deps.goLive();
        app.dirty = true;
      },
      choose(task, robot) {
        // the view follows the choice at once: the chosen robot in both viewports, the task's plot
        // titles, no plan (the plans stay in the plan picker)
        app.preview = { task, robot };
        deps.goLive();
        void deps.viewports.ensureRobot(0, robot);
        void deps.viewports.ensureRobot(1, robot);
        app.dirty = true;
      },
    });
  }

  /** The page's error line (null clears it). */
  showError(message: string | null): void {
    this.panel.showError(message);
  }

  /** The task view of the panel's choice (for the plots' titles before a plan), when its robot is loaded. */
  chosenView(): TaskView | null {
    const t = this.panel.task, sampler = this.deps.viewports.samplers.get(this.panel.robot);
    if (!t || !sampler) return null;
    return taskView(t.name, { ...t.defaults }, robotFrames(sampler));
  }

  /** The panel's plan status, the plan picker and the line about the plan on screen. */
  render(): void {
    const { plans: state, preview, mode } = this.app;
    const plan = state.current ? state.plans.get(state.current) : undefined;
    this.panel.setPlanStatus(plan?.state.status ?? null, plan?.lost ?? false);
    this.panel.setPlans(plansNewestFirst(state).map((p) => ({ id: p.state.id, label: `${p.state.task} · ${p.state.status}${p.lost ? ' (lost)' : ''} · ${p.state.id}` })), state.current);
    $('plan-info').textContent = preview && mode === 'live'
      ? `${preview.task} on ${preview.robot}: press Plan`
      : plan
      ? `plan ${plan.state.id}: ${plan.state.task} on ${plan.state.robot}, ${plan.lost ? 'no longer known to the server (it restarted)' : plan.state.status}`
      : 'no plan yet: choose a task and press Plan';
  }
}
