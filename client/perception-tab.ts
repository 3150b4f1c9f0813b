/**
 * The Perception tab's wiring: the pose fits' API calls (start, cancel, open a fit recording),
 * "use this pose" (a cube-lift plan from the estimate, shown in the Plan tab) and the list of
 * fit recordings. The tab's DOM is perception-view.ts, its data perception-model.ts.
 */
import { api } from './api-client.ts';
import type { AppState, Tab } from './app-state.ts';
import { fitViewFromRecording, type FitRecordingContent, type FitRecordingInfo } from './perception-model.ts';
import type { PerceptionHandlers } from './perception-view.ts';

export interface PerceptionTabDeps {
  showError(message: string | null): void;
  selectTab(tab: Tab): void;
  goLive(): void;
}

export class PerceptionTab {
  #listTimer: ReturnType<typeof setTimeout> | null = null;
  /** What perception-view.ts calls. */
  readonly handlers: PerceptionHandlers;

  constructor(private readonly app: AppState, private readonly deps: PerceptionTabDeps) {
    const { fits, plans: state, timeline } = app;
    const { showError } = deps;
    this.handlers = {
      async start(body) {
        try {
          showError(null);
          const { id } = await api<{ id: string }>('POST', '/api/fits', body);
          fits.current = id;
          app.perceptionDirty = true;
        } catch (e) { showError((e as Error).message); }
      },
      async cancel(id) {
        try { await api('DELETE', `/api/fits/${encodeURIComponent(id)}`); } catch (e) { showError((e as Error).message); }
      },
      async usePose(params, why) {
        try {
          const { id } = await api<{ id: string }>('POST', '/api/plans', { task: 'cube-lift', params });
          app.perception?.showInfo(`${why}; planned as ${id}`);
          const task = app.tasks.find((t) => t.name === 'cube-lift');
          const budget = Number(task?.solverDefaults.iterations);
          if (budget > 0) state.budgets.set(id, budget);
          state.current = id;
          deps.selectTab('plan');
          deps.goLive();
          timeline.seek(0);
          timeline.play();
          app.dirty = true;
        } catch (e) { showError((e as Error).message); }
      },
      select(id) { fits.current = id; app.perceptionDirty = true; },
      refreshRecordings: () => void this.loadRecordings(),
      async openRecording(id) {
        try {
          const c = await api<FitRecordingContent>('GET', `/api/recordings/${encodeURIComponent(id)}`);
          const v = fitViewFromRecording(c);
          fits.fits.set(v.state.id, v);
          fits.current = v.state.id;
          app.perceptionDirty = true;
        } catch (e) { showError((e as Error).message); }
      },
    };
  }

  /** The fit recordings (the `fits` part of GET /api/recordings). */
  async loadRecordings(): Promise<void> {
    try {
      const list = await api<{ fits?: FitRecordingInfo[] }>('GET', '/api/recordings');
      this.app.perception?.setRecordings(list.fits ?? []);
    } catch (e) { this.deps.showError(`fit recordings: ${(e as Error).message}`); }
  }

  /** Reloads the fit recordings soon (debounced): a fit finished and was recorded. */
  loadRecordingsSoon(): void {
    if (this.#listTimer) return;
    this.#listTimer = setTimeout(() => { this.#listTimer = null; void this.loadRecordings(); }, 300);
  }
}
