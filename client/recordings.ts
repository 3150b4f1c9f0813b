/**
 * The recordings browser's model (pure, no DOM): the list from GET /api/recordings grouped by
 * plan run (a plan's DDP and R-DDP solves of one run side by side), a text filter, which
 * recording each viewport plays, and what opening or deleting one does to that choice.
 */
import type { Solver } from '../shared/protocol.ts';
import type { RecordingInfo, RecordingList } from './view-model.ts';

/** The recordings of one run of one plan (normally its DDP and R-DDP solves). */
export interface RecordingGroup {
  key: string;
  plan: string;
  run: number;
  task: string;
  robot: string;
  params: Record<string, number | string>;
  /** Latest finish time of the members (ISO). */
  finishedAt: string;
  warmStart: boolean;
  members: RecordingInfo[];
}

const SOLVER_ORDER: Record<Solver, number> = { ddp: 0, rddp: 1 };

/** Groups by (plan, run), newest group first; members in solver order (DDP, R-DDP). */
export function groupRecordings(list: readonly RecordingInfo[]): RecordingGroup[] {
  const groups = new Map<string, RecordingGroup>();
  for (const r of list) {
    const key = `${r.plan}/r${r.run}`;
    let g = groups.get(key);
    if (!g) {
      g = { key, plan: r.plan, run: r.run, task: r.task, robot: r.robot, params: r.params, finishedAt: r.finishedAt, warmStart: r.warmStart, members: [] };
      groups.set(key, g);
    }
    g.members.push(r);
    if (r.finishedAt > g.finishedAt) g.finishedAt = r.finishedAt;
  }
  const out = [...groups.values()];
  for (const g of out) g.members.sort((a, b) => SOLVER_ORDER[a.solver] - SOLVER_ORDER[b.solver] || a.id.localeCompare(b.id));
  out.sort((a, b) => (a.finishedAt < b.finishedAt ? 1 : a.finishedAt > b.finishedAt ? -1 : a.key.localeCompare(b.key)));
  return out;
}

/** "foot=FL height=0.05" */
export function formatParams(params: Record<string, number | string>): string {
  return Object.entries(params).map(([k, v]) => `${k}=${v}`).join(' ');
}

export function formatBytes(n: number): string {
  if (!(n >= 0)) return '–';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** Local "HH:MM:SS" (and the date when not today). */
export function formatTime(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (x: number) => String(x).padStart(2, '0');
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return d.toDateString() === now.toDateString() ? time : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

/**
 * Keeps the groups with a member matching every whitespace-separated term of the query
 * (case-insensitive, against task, robot, solver, status, plan, recording id and "name=value"
 * parameters); a matching group keeps all its members, so a pair stays a pair.
 */
export function filterGroups(groups: readonly RecordingGroup[], query: string): RecordingGroup[] {
  const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return groups.slice();
  return groups.filter((g) => g.members.some((r) => {
    const hay = [r.task, r.robot, r.solver, r.solver === 'rddp' ? 'r-ddp' : '', r.status, r.plan, r.id, formatParams(r.params)].join(' ').toLowerCase();
    return terms.every((t) => hay.includes(t));
  }));
}

export type Slot = 0 | 1;

/** The recordings browser's state: the list, read errors, and the recording in each viewport. */
export class RecordingsModel {
  list: RecordingInfo[] = [];
  errors: RecordingList['errors'] = [];
  /** Recording id per viewport (left, right). */
  slots: [string | null, string | null] = [null, null];
  loaded = false;

  setList(res: RecordingList): void {
    this.list = res.recordings;
    this.errors = res.errors;
    this.loaded = true;
  }

  get groups(): RecordingGroup[] { return groupRecordings(this.list); }

  find(id: string): RecordingInfo | undefined { return this.list.find((r) => r.id === id); }

  /** The other solver's recording of the same plan run, if any. */
  partner(id: string): RecordingInfo | undefined {
    const r = this.find(id);
    if (!r) return undefined;
    return this.list.find((x) => x.plan === r.plan && x.run === r.run && x.solver !== r.solver);
  }

  /**
   * Opens a recording with its partner side by side: DDP left, R-DDP right (the solvers' usual
   * sides); without a partner it goes to its solver's side and the other viewport is emptied.
   */
  open(id: string): [string | null, string | null] {
    const r = this.find(id);
    if (!r) return this.slots;
    const p = this.partner(id);
    const bySolver: Partial<Record<Solver, string>> = { [r.solver]: r.id };
    if (p) bySolver[p.solver] = p.id;
    this.slots = [bySolver.ddp ?? null, bySolver.rddp ?? null];
    return this.slots;
  }

  /** Puts a recording into one viewport (to compare any two: two R-DDP seeds, two runs ...). */
  place(slot: Slot, id: string | null): [string | null, string | null] {
    const next: [string | null, string | null] = [...this.slots];
    next[slot] = id;
    this.slots = next;
    return this.slots;
  }

  /** Forgets a deleted recording (and empties the viewports that showed it). */
  remove(id: string): void {
    this.list = this.list.filter((r) => r.id !== id);
    this.slots = this.slots.map((s) => (s === id ? null : s)) as [string | null, string | null];
  }

  /** Whether any viewport plays a recording. */
  get showing(): boolean { return this.slots.some((s) => s !== null); }
}
