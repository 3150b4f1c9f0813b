/**
 * The page's controls outside the panels: the timeline bar (play, step, scrub, speed, loop), the
 * overlay toggles, "back to live", the tab buttons; and the keyboard shortcuts (keys.ts).
 */
import type { AppState, Tab } from './app-state.ts';
import { $ } from './dom.ts';
import { OVERLAY_NAMES, type OverlayToggles } from './overlays.ts';
import { bindKeys } from './keys.ts';
import type { Viewports } from './viewports.ts';

export interface ControlsDeps {
  viewports: Viewports;
  goLive(): void;
  selectTab(tab: Tab): void;
}

export function setToggle(app: AppState, viewports: Viewports, name: keyof OverlayToggles, on: boolean): void {
  app.toggles[name] = on;
  $<HTMLInputElement>(`ov-${name}`).checked = on;
  for (const vp of viewports.vps) vp.overlays?.setVisible(app.toggles);
  app.renders++;
}

export function bindControls(app: AppState, deps: ControlsDeps): void {
  const { timeline } = app;
  const toggle = (name: keyof OverlayToggles, on: boolean) => setToggle(app, deps.viewports, name, on);
  $('tl-play').addEventListener('click', () => timeline.toggle());
  $('tl-back').addEventListener('click', () => timeline.step(-1));
  $('tl-fwd').addEventListener('click', () => timeline.step(1));
  $('tl-start').addEventListener('click', () => { timeline.pause(); timeline.seek(0); });
  $<HTMLInputElement>('tl-scrub').addEventListener('input', (e) => { timeline.pause(); timeline.scrub(Number((e.target as HTMLInputElement).value) / 1000); });
  $<HTMLSelectElement>('tl-speed').addEventListener('change', (e) => timeline.setSpeed(Number((e.target as HTMLSelectElement).value)));
  $<HTMLInputElement>('tl-loop').addEventListener('change', (e) => { timeline.loop = (e.target as HTMLInputElement).checked; });
  for (const n of OVERLAY_NAMES) $<HTMLInputElement>(`ov-${n}`).addEventListener('change', (e) => toggle(n, (e.target as HTMLInputElement).checked));
  $('back-live').addEventListener('click', () => deps.goLive());
  for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>('.tabs button'))) b.addEventListener('click', () => deps.selectTab(b.dataset.tab as Tab));
  bindKeys(app, toggle);
}
