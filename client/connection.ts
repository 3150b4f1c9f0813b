/**
 * The client's link to the server: a WebSocket that validates every server message with the
 * shared zod schemas (shared/protocol.ts), reconnects with exponential backoff, and on every
 * (re)connection subscribes to all plans; the server answers with `hello` (a snapshot of every
 * plan) and each plan's current state, from which the store catches up.
 *
 * The store logic (`applyMessage`) is pure and DOM-free, so it is unit-tested in node.
 */
import { ServerMessageSchema, type ClientMessage, type IterationRecordMsg, type PlanState, type ServerMessage, type Solver, type TrajectoryMsg } from '../shared/protocol.ts';


/** What the client knows about one solve (one solver of a plan). */
export interface SolveView {
  solver: Solver;
  status: PlanState['solves'][number]['status'];
  run: number;
  iteration: number;
  cost: number | null;
  latest: IterationRecordMsg | null;
  /** Telemetry per iteration of the current run, by iteration (iterates are throttled: the final fills the gaps). */
  history: IterationRecordMsg[];
  /** The latest iterate's trajectory, then the final plan's. */
  trajectory: TrajectoryMsg | null;
  final: boolean;
  success: boolean | null;
  error: string | null;
}

export interface PlanView {
  state: PlanState;
  solves: Partial<Record<Solver, SolveView>>;
  /** The server no longer knows this plan (it restarted): kept on screen, cannot be replanned. */
  lost: boolean;
}

export interface ClientState {
  server: string | null;
  plans: Map<string, PlanView>;
  /** The plan on screen: the one this client created, else the newest. */
  current: string | null;
  /** The last `error` message from the server. */
  lastError: string | null;
  /** Iteration budget per plan (from the server's plan state; older servers: the plans this client created, a final's solverParams). */
  budgets: Map<string, number>;
  /** Number of `hello`s seen (1 + reconnections). */
  hellos: number;
}

export function createState(): ClientState {
  return { server: null, plans: new Map(), current: null, lastError: null, budgets: new Map(), hellos: 0 };
}

function emptySolve(s: PlanState['solves'][number]): SolveView {
  return {
    solver: s.solver, status: s.status, run: s.run, iteration: s.iteration, cost: s.cost, latest: s.latest,
    history: s.latest ? [s.latest] : [], trajectory: null, final: false, success: s.success, error: s.error,
  };
}

/** Merges a plan state from the server; a solve whose run advanced starts a fresh history. */
function upsertPlan(state: ClientState, plan: PlanState): PlanView {
  let view = state.plans.get(plan.id);
  if (!view) { view = { state: plan, solves: {}, lost: false }; state.plans.set(plan.id, view); }
  view.state = plan;
  view.lost = false;
  if (plan.iterations) state.budgets.set(plan.id, plan.iterations);
  for (const s of plan.solves) {
    const old = view.solves[s.solver];
    if (!old || s.run > old.run) {
      const fresh = emptySolve(s);
      if (old) fresh.trajectory = old.trajectory; // keep showing the previous plan until the new run's first iterate
      view.solves[s.solver] = fresh;
      continue;
    }
    if (s.run < old.run) continue;
    old.status = s.status;
    old.success = s.success;
    old.error = s.error;
    if (s.iteration >= old.iteration) { old.iteration = s.iteration; old.cost = s.cost; old.latest = s.latest ?? old.latest; }
    if (s.latest) addPoint(old, s.latest);
  }
  return view;
}

function addPoint(v: SolveView, p: IterationRecordMsg): void {
  const i = v.history.findIndex((h) => h.iteration >= p.iteration);
  if (i < 0) v.history.push(p);
  else if (v.history[i].iteration === p.iteration) v.history[i] = p;
  else v.history.splice(i, 0, p);
}

function newestPlan(state: ClientState): string | null {
  let best: PlanView | null = null;
  for (const v of state.plans.values()) if (!best || v.state.createdAt >= best.state.createdAt) best = v;
  return best?.state.id ?? null;
}

/** Applies one validated server message to the store (mutates it) and returns it. */
export function applyMessage(state: ClientState, msg: ServerMessage): ClientState {
  switch (msg.type) {
    case 'hello': {
      state.server = msg.server;
      state.hellos++;
      // plans the server does not list any more (it restarted): forget them, except the one on
      // screen, which stays (marked lost) until the operator moves on
      const known = new Set(msg.plans.map((p) => p.id));
      for (const [id, v] of state.plans) {
        if (known.has(id)) continue;
        if (id === state.current) markLost(v);
        else state.plans.delete(id);
      }
      for (const p of msg.plans) upsertPlan(state, p);
      if (!state.current || !state.plans.has(state.current)) state.current = newestPlan(state);
      break;
    }
    case 'status': {
      upsertPlan(state, msg.plan);
      const cur = state.current ? state.plans.get(state.current) : undefined;
      if (!cur || cur.lost) state.current = msg.plan.id;
      break;
    }
    case 'iterate': {
      const v = state.plans.get(msg.plan)?.solves[msg.solver];
      if (!v || msg.run < v.run) break;
      if (msg.run > v.run) { v.run = msg.run; v.history = []; v.final = false; }
      if (v.final) break; // a late iterate never replaces the final plan
      if (v.status === 'queued') v.status = 'running';
      v.iteration = Math.max(v.iteration, msg.record.iteration);
      v.cost = msg.record.cost;
      v.latest = msg.record;
      addPoint(v, msg.record);
      v.trajectory = msg.trajectory;
      break;
    }
    case 'final': {
      const v = state.plans.get(msg.plan)?.solves[msg.solver];
      if (!v || msg.run < v.run) break;
      const r = msg.result;
      v.run = msg.run;
      v.final = true;
      v.trajectory = r.trajectory;
      v.history = r.telemetry.slice();
      v.iteration = r.iterations;
      const budget = Number(r.solverParams.iterations);
      if (Number.isFinite(budget) && budget > 0) state.budgets.set(msg.plan, budget);
      v.cost = r.cost;
      v.success = r.success;
      if (r.telemetry.length) v.latest = r.telemetry[r.telemetry.length - 1];
      v.status = r.cancelled ? 'cancelled' : v.status === 'failed' ? 'failed' : 'done';
      break;
    }
    case 'error':
      state.lastError = msg.message;
      break;
  }
  return state;
}

/** A plan the server forgot: its unfinished solves can never finish. */
function markLost(v: PlanView): void {
  v.lost = true;
  for (const s of Object.values(v.solves)) if (s && (s.status === 'running' || s.status === 'queued')) s.status = 'cancelled';
}

/** The plans known, newest first (for a plan picker). */
export function plansNewestFirst(state: ClientState): PlanView[] {
  return [...state.plans.values()].sort((a, b) => (a.state.createdAt < b.state.createdAt ? 1 : a.state.createdAt > b.state.createdAt ? -1 : 0));
}

/** Parses and validates a text frame; null (with the reason) when it does not fit the protocol. */
export function parseServerMessage(text: string): { ok: true; msg: ServerMessage } | { ok: false; reason: string } {
  let value: unknown;
  try { value = JSON.parse(text); } catch (e) { return { ok: false, reason: `malformed JSON: ${(e as Error).message}` }; }
  const r = ServerMessageSchema.safeParse(value);
  if (!r.success) return { ok: false, reason: r.error.issues[0]?.message ?? 'invalid message' };
  return { ok: true, msg: r.data };
}

/** Delay before reconnection attempt n (0-based): base * 2^n, capped; jitter in [0, 1) scales up to +25 %. */
export function backoffDelay(attempt: number, baseMs = 500, maxMs = 10_000, jitter = 0): number {
  const d = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
  return Math.round(d * (1 + 0.25 * jitter));
}

export type LinkStatus = { state: 'connecting' } | { state: 'open' } | { state: 'closed'; retryInMs: number; attempt: number };

export interface ConnectionHandlers {
  onMessage(msg: ServerMessage): void;
  onStatus(s: LinkStatus): void;
  onInvalid?(reason: string): void;
}

/** A WebSocket to /ws that reconnects with exponential backoff and re-subscribes on each open. */
export class Connection {
  #ws: WebSocket | null = null;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;
  #hold = 0;

  constructor(readonly url: string, readonly handlers: ConnectionHandlers) {}

  start(): void {
    this.#closed = false;
    this.#open();
  }

  #open(): void {
    this.handlers.onStatus({ state: 'connecting' });
    const ws = new WebSocket(this.url);
    this.#ws = ws;
    ws.onopen = () => {
      this.#attempt = 0;
      this.handlers.onStatus({ state: 'open' });
      this.send({ type: 'subscribe', plans: 'all', v: 1 });
    };
    ws.onmessage = (ev) => {
      const t0 = performance.now();
      const r = parseServerMessage(String(ev.data));
      this.parseMs += performance.now() - t0;
      if (r.ok) this.handlers.onMessage(r.msg);
      else this.handlers.onInvalid?.(r.reason);
    };
    ws.onclose = () => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      if (this.#closed) return;
      const delay = Math.max(backoffDelay(this.#attempt, 500, 10_000, Math.random()), this.#hold);
      this.#hold = 0;
      this.handlers.onStatus({ state: 'closed', retryInMs: delay, attempt: this.#attempt });
      this.#attempt++;
      this.#timer = setTimeout(() => this.#open(), delay);
    };
    ws.onerror = () => { /* onclose follows and schedules the retry */ };
  }

  /** Time spent parsing and validating messages (ms, total; diagnostics). */
  parseMs = 0;

  get open(): boolean { return this.#ws?.readyState === WebSocket.OPEN; }

  send(msg: ClientMessage): boolean {
    if (!this.#ws || this.#ws.readyState !== WebSocket.OPEN) return false;
    this.#ws.send(JSON.stringify(msg));
    return true;
  }

  /**
   * Drops the socket; a reconnect follows after the backoff, and at least `holdMs` after the
   * socket has closed (tests use it to stay away while the server moves on).
   */
  drop(holdMs = 0): void {
    this.#hold = holdMs;
    this.#ws?.close();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#ws?.close();
  }
}
