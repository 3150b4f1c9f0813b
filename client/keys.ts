/**
 * The keyboard shortcuts (outside form fields, without modifiers; README, "The web client"):
 * space play / pause, arrows step (shift: 10 knots), Home / End, + / - speed, l loop, c f t r
 * the overlays.
 */
import type { AppState } from './app-state.ts';
import type { OverlayToggles } from './overlays.ts';
import { SPEEDS } from './timeline.ts';

/** The next playback speed up (1) or down (-1) the SPEEDS ladder. */
function stepSpeed(app: AppState, dir: 1 | -1): void {
  const timeline = app.timeline;
  const i = SPEEDS.findIndex((s) => s >= timeline.speed);
  const next = SPEEDS[Math.min(SPEEDS.length - 1, Math.max(0, (i < 0 ? SPEEDS.length - 1 : i) + dir))];
  timeline.setSpeed(next);
}

export function bindKeys(app: AppState, toggle: (name: keyof OverlayToggles, on: boolean) => void): void {
  const { timeline, toggles } = app;
  const keys: Record<string, (e: KeyboardEvent) => void> = {
    ' ': () => timeline.toggle(),
    ArrowLeft: (e) => timeline.step(e.shiftKey ? -10 : -1),
    ArrowRight: (e) => timeline.step(e.shiftKey ? 10 : 1),
    Home: () => { timeline.pause(); timeline.seek(0); },
    End: () => { timeline.pause(); timeline.seek(timeline.duration); },
    '+': () => stepSpeed(app, 1), '=': () => stepSpeed(app, 1), '-': () => stepSpeed(app, -1),
    l: () => { timeline.loop = !timeline.loop; },
    c: () => toggle('contacts', !toggles.contacts), f: () => toggle('forces', !toggles.forces),
    t: () => toggle('target', !toggles.target), r: () => toggle('trails', !toggles.trails),
  };
  window.addEventListener('keydown', (e) => {
    const el = e.target as HTMLElement | null;
    const tag = el?.tagName;
    // typing in a form field is not a shortcut, nor is a chord with a modifier
    if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA' || el?.isContentEditable) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const f = keys[e.key];
    if (!f) return;
    e.preventDefault(); // also keeps space from pressing the focused button
    if (tag === 'BUTTON' || tag === 'A') el!.blur();
    f(e);
  });
}
