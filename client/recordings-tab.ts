/**
 * The Recordings tab's wiring: the list (GET /api/recordings, reloaded when a solve was
 * recorded), opening recordings into the viewports (playback mode), deleting them, and the way
 * back to the live plans. The list's model is recordings.ts, its DOM recordings-view.ts.
 */
import { api } from './api-client.ts';
import type { AppState } from './app-state.ts';
import { $ } from './dom.ts';
import { RecordingsView } from './recordings-view.ts';
import { RecordingContentSchema, RecordingListSchema } from './view-model.ts';

export class RecordingsTab {
  readonly view: RecordingsView;
  #listTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly app: AppState, private readonly showError: (message: string | null) => void) {
    const model = app.recModel;
    this.view = new RecordingsView($('tab-recordings'), model, {
      refresh: () => void this.load(),
      open: (id) => void this.show(model.open(id)),
      place: (slot, id) => void this.show(model.place(slot, id)),
      remove: async (id) => {
        try {
          await api('DELETE', `/api/recordings/${encodeURIComponent(id)}`);
          model.remove(id);
          app.recordings.delete(id);
          if (app.mode === 'playback' && !model.showing) this.goLive();
          this.view.render();
          app.dirty = true;
        } catch (e) { showError((e as Error).message); }
      },
    });
  }

  /** Back to the live plans (leaves playback: no recording in the viewports). */
  goLive(): void {
    const app = this.app;
    if (app.mode === 'live') return;
    app.mode = 'live';
    app.recModel.slots = [null, null];
    this.view.render();
    app.dirty = true;
  }

  /** Reloads the list. */
  async load(): Promise<void> {
    try {
      const res = RecordingListSchema.safeParse(await api('GET', '/api/recordings'));
      if (!res.success) throw new Error(`unexpected answer: ${res.error.issues[0]?.message}`);
      this.app.recModel.setList(res.data);
    } catch (e) {
      this.showError(`recordings: ${(e as Error).message}`);
    }
    this.view.render();
  }

  /** Reloads the list soon (debounced): a solve finished and was recorded. */
  loadSoon(): void {
    if (this.#listTimer) return;
    this.#listTimer = setTimeout(() => { this.#listTimer = null; void this.load(); }, 300);
  }

  async #loadRecording(id: string): Promise<void> {
    const recordings = this.app.recordings;
    if (recordings.has(id)) return;
    const res = RecordingContentSchema.safeParse(await api('GET', `/api/recordings/${encodeURIComponent(id)}`));
    if (!res.success) throw new Error(`recording ${id}: unexpected content: ${res.error.issues[0]?.message}`);
    recordings.set(id, res.data);
  }

  /** Playback of the recordings placed in the viewports (loaded first), from the start. */
  async show(ids: [string | null, string | null]): Promise<void> {
    const app = this.app;
    app.mode = 'playback';
    this.showError(null);
    this.view.render();
    app.dirty = true;
    try {
      await Promise.all(ids.filter((x): x is string => !!x).map((id) => this.#loadRecording(id)));
    } catch (e) {
      this.showError((e as Error).message);
    }
    app.timeline.seek(0);
    app.timeline.play();
    app.dirty = true;
  }
}
