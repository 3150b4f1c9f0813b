/**
 * The side panel's tabs (Plan, Recordings, Live, Perception): which panel and centre are shown,
 * what each tab loads when opened, and the mode the viewports follow (the Live tab shows its
 * session, leaving it returns to the plans).
 */
import type { AppState, Tab } from './app-state.ts';
import { $ } from './dom.ts';

export interface TabsDeps {
  loadRecordings(): void;
  loadFitRecordings(): void;
  renderLive(): void;
  goLive(): void;
}

export function selectTab(app: AppState, deps: TabsDeps, next: Tab): void {
  app.tab = next;
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
  if (next === 'recordings') deps.loadRecordings();
  if (next === 'perception') { app.perceptionDirty = true; deps.loadFitRecordings(); }
  else window.dispatchEvent(new Event('resize'));
  if (next === 'live') { deps.renderLive(); if (app.liveModel.id) { app.mode = 'mpc'; app.dirty = true; } }
  else if (app.mode === 'mpc') deps.goLive();
}
