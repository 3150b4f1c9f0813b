/**
 * The recordings browser (DOM): the list of GET /api/recordings grouped by plan run, a filter,
 * and per recording: open (with its partner side by side), put in the left or right viewport,
 * download the MCAP file, delete. The logic lives in recordings.ts (RecordingsModel).
 */
import { filterGroups, formatBytes, formatParams, formatTime, RecordingsModel, type Slot } from './recordings.ts';
import { fmt, SOLVER_TITLES, type RecordingInfo } from './view-model.ts';

export interface RecordingsHandlers {
  refresh(): void;
  open(id: string): void;
  place(slot: Slot, id: string): void;
  remove(id: string): void;
}

function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

export class RecordingsView {
  readonly list: HTMLElement;
  readonly filter: HTMLInputElement;
  readonly errors: HTMLElement;
  readonly count: HTMLElement;

  constructor(readonly root: HTMLElement, readonly model: RecordingsModel, readonly handlers: RecordingsHandlers) {
    this.filter = root.querySelector<HTMLInputElement>('#rec-filter')!;
    this.list = root.querySelector<HTMLElement>('#rec-list')!;
    this.errors = root.querySelector<HTMLElement>('#rec-errors')!;
    this.count = root.querySelector<HTMLElement>('#rec-count')!;
    root.querySelector('#rec-refresh')!.addEventListener('click', () => handlers.refresh());
    this.filter.addEventListener('input', () => this.render());
  }

  #row(r: RecordingInfo): HTMLElement {
    const li = h('li', { class: 'rec', 'data-id': r.id });
    if (this.model.slots.includes(r.id)) li.classList.add('showing');
    const title = h('button', { type: 'button', class: 'rec-open link', title: `open ${r.id} (with its partner side by side)` });
    title.append(h('b', {}, SOLVER_TITLES[r.solver]), ` ${r.status}`);
    title.addEventListener('click', () => this.handlers.open(r.id));
    const details = h('div', { class: 'rec-details muted' }, `${r.iterations} it · cost ${fmt(r.cost)}${r.success ? ' · target reached' : ''} · ${formatBytes(r.size)}`);
    const actions = h('span', { class: 'rec-actions' });
    const left = h('button', { type: 'button', class: 'rec-left', title: 'play in the left viewport' }, 'L');
    left.addEventListener('click', () => this.handlers.place(0, r.id));
    const right = h('button', { type: 'button', class: 'rec-right', title: 'play in the right viewport' }, 'R');
    right.addEventListener('click', () => this.handlers.place(1, r.id));
    const dl = h('a', { class: 'rec-download', href: `/api/recordings/${encodeURIComponent(r.id)}/file`, download: `${r.id}.mcap`, title: `download the MCAP file (${formatBytes(r.size)}; opens in Foxglove)` }, '⤓');
    const del = h('button', { type: 'button', class: 'rec-delete', title: 'delete this recording' }, '✕');
    del.addEventListener('click', () => { if (confirm(`Delete recording ${r.id}?`)) this.handlers.remove(r.id); });
    actions.append(left, right, dl, del);
    const line = h('div', { class: 'rec-line' });
    line.append(title, actions);
    li.append(line, details);
    return li;
  }

  render(): void {
    const groups = filterGroups(this.model.groups, this.filter.value);
    const total = this.model.list.length;
    this.count.textContent = !this.model.loaded ? 'loading…' : total === 0 ? 'no recordings yet: every finished or cancelled solve is recorded' : `${total} recording${total > 1 ? 's' : ''}${groups.length < this.model.groups.length ? `, ${groups.reduce((a, g) => a + g.members.length, 0)} shown` : ''}`;
    this.list.replaceChildren(...groups.map((g) => {
      const box = h('div', { class: 'rec-group', 'data-plan': g.plan, 'data-run': String(g.run) });
      const head = h('div', { class: 'rec-head' });
      head.append(h('b', {}, g.task), ` ${formatTime(g.finishedAt)} · ${g.plan}${g.run ? ` run ${g.run}${g.warmStart ? ' (warm)' : ''}` : ''}`);
      const params = h('div', { class: 'muted rec-params' }, formatParams(g.params));
      const ul = h('ul');
      ul.append(...g.members.map((r) => this.#row(r)));
      box.append(head, params, ul);
      return box;
    }));
    this.errors.hidden = this.model.errors.length === 0;
    this.errors.textContent = this.model.errors.map((e) => `${e.file}: ${e.message}`).join('\n');
  }
}
