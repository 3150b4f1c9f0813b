/**
 * The compact telemetry table: one summary row per viewport (iteration / budget, and the
 * latest iteration's cost, step length, regularization, sigma and time), and below it the
 * per-iteration rows of the viewport picked (newest first). Row formatting is pure
 * (`telemetryCells`), the rest renders into a given element.
 */
import type { IterationRecordMsg } from '../shared/protocol.ts';
import { SLOT_COLORS } from './plots.ts';
import { fmt, type SlotView } from './view-model.ts';

export const COLUMNS = ['it', 'cost', 'step', 'reg', 'σ', 'ms'] as const;
const TITLES: Record<(typeof COLUMNS)[number], string> = {
  it: 'iteration', cost: 'cost after the iteration', step: 'line-search step length (0: rejected)',
  reg: 'Levenberg-Marquardt regularization', σ: 'smoothing noise σ (R-DDP; 0 = exact derivatives)', ms: 'time of the iteration (ms)',
};
/** Rows of the per-iteration list kept in the DOM. */
export const MAX_ROWS = 200;

/** Milliseconds: whole above 100, else 3 significant digits. */
export function ms(x: number): string { return Number.isFinite(x) && Math.abs(x) >= 100 ? x.toFixed(0) : fmt(x, 3); }

/** The cells of one iteration's row: it, cost, step, reg, sigma, ms (rejected steps show step 0). */
export function telemetryCells(r: IterationRecordMsg | null): string[] {
  if (!r) return COLUMNS.map(() => '–');
  return [String(r.iteration), fmt(r.cost), r.accepted ? fmt(r.stepLength, 3) : '0 ✗', fmt(r.regularization, 2), fmt(r.sigma, 3), ms(r.times.total)];
}

function cell(tag: 'td' | 'th', text: string, title?: string): HTMLElement {
  const el = document.createElement(tag);
  el.textContent = text;
  if (title) el.title = title;
  return el;
}

export class TelemetryTable {
  readonly summary: HTMLTableElement;
  readonly rows: HTMLTableElement;
  readonly caption: HTMLElement;
  /** Viewport whose iterations are listed. */
  selected: 0 | 1 = 1;
  #lastKey = '';

  constructor(readonly root: HTMLElement) {
    root.replaceChildren();
    this.summary = document.createElement('table');
    this.summary.className = 'tele summary';
    const head = document.createElement('tr');
    head.append(cell('th', ''), ...COLUMNS.map((c) => cell('th', c, TITLES[c])));
    this.summary.createTHead().append(head);
    this.summary.createTBody();
    this.caption = document.createElement('div');
    this.caption.className = 'tele-caption muted';
    const wrap = document.createElement('div');
    wrap.className = 'tele-scroll';
    this.rows = document.createElement('table');
    this.rows.className = 'tele rows';
    const h2 = document.createElement('tr');
    h2.append(...COLUMNS.map((c) => cell('th', c, TITLES[c])));
    this.rows.createTHead().append(h2);
    this.rows.createTBody();
    wrap.append(this.rows);
    root.append(this.summary, this.caption, wrap);
  }

  update(slots: readonly (SlotView | null)[]): void {
    const body = this.summary.tBodies[0];
    if (!slots[this.selected] && slots[1 - this.selected]) this.selected = (1 - this.selected) as 0 | 1;
    body.replaceChildren(...slots.map((s, i) => {
      const tr = document.createElement('tr');
      tr.dataset.slot = String(i);
      if (i === this.selected) tr.className = 'selected';
      const name = cell('th', s ? s.title : '–');
      name.style.color = SLOT_COLORS[i];
      const it = s ? (s.budget ? `${s.iteration}/${s.budget}` : String(s.iteration)) : '–';
      const cells = telemetryCells(s?.latest ?? null);
      cells[0] = it;
      name.title = s ? `${s.status}${s.subtitle ? ` · ${s.subtitle}` : ''}` : '';
      tr.append(name, ...cells.map((c) => cell('td', c)));
      tr.title = 'show this viewport\'s iterations below';
      tr.addEventListener('click', () => { this.selected = i as 0 | 1; this.#lastKey = ''; this.update(slots); });
      return tr;
    }));
    const s = slots[this.selected];
    const hist = s?.history ?? [];
    const key = `${this.selected}|${s?.key ?? ''}|${hist.length}|${hist.at(-1)?.iteration ?? ''}|${hist.at(-1)?.cost ?? ''}`;
    if (key === this.#lastKey) return;
    this.#lastKey = key;
    this.caption.textContent = s ? `${s.title} iterations (${hist.length}), newest first` : 'no iterations';
    const rows = hist.slice(-MAX_ROWS).reverse().map((r) => {
      const tr = document.createElement('tr');
      if (!r.accepted) tr.className = 'rejected';
      tr.append(...telemetryCells(r).map((c) => cell('td', c)));
      return tr;
    });
    this.rows.tBodies[0].replaceChildren(...rows);
  }
}
