/**
 * The Live tab's model: one live session (POST /api/live) followed over the WebSocket. It keeps
 * per world the latest state (drawn as is, not through the timeline) and the latest adopted
 * plan, whose predicted configurations become the viewport's trajectory (so the feet trails
 * show where the plan means to go over its horizon), plus the session's state (stats, status).
 * Pure: main.ts does the HTTP and the drawing.
 */
import type { IterationRecordMsg } from '../shared/protocol.ts';
import type { SlotView } from './view-model.ts';
import type { LiveEvent, LivePlanMessage, LiveState, LiveStateMessage, ServerMessage, Solver } from '../shared/protocol.ts';

/** States kept per world for scrubbing back (50 per simulated second at real-time factor 1: a minute). */
export const BUFFER = 3000;

export class LiveModel {
  id: string | null = null;
  state: LiveState | null = null;
  readonly states = new Map<Solver, LiveStateMessage>();
  readonly plans = new Map<Solver, LivePlanMessage>();
  /** Per world: one record per adopted plan (cost, σ, solve time), for the plots. */
  readonly history = new Map<Solver, IterationRecordMsg[]>();
  readonly events: LiveEvent[] = [];
  /** Per world: the states received, the last BUFFER of them (the timeline scrubs back through them). */
  readonly buffers = new Map<Solver, LiveStateMessage[]>();
  /** Bumped by every state message (the view redraws). */
  frames = 0;

  /** Starts following a new session (forgets the previous one). */
  follow(id: string, state: LiveState | null): void {
    this.id = id;
    this.state = state;
    this.states.clear();
    this.plans.clear();
    this.history.clear();
    this.buffers.clear();
    this.events.length = 0;
  }

  /** Applies a server message; true when it concerned the session followed (and changes more than the robots' poses). */
  apply(msg: ServerMessage): boolean {
    if (!this.id) return false;
    switch (msg.type) {
      case 'live.status':
        if (msg.live.id !== this.id) return false;
        this.state = msg.live;
        return true;
      case 'live.state':
        if (msg.live !== this.id) return false;
        this.states.set(msg.solver, msg);
        {
          const b = this.buffers.get(msg.solver) ?? [];
          b.push(msg);
          if (b.length > BUFFER * 1.25) b.splice(0, b.length - BUFFER);
          this.buffers.set(msg.solver, b);
        }
        this.frames++;
        return false;
      case 'live.plan': {
        if (msg.live !== this.id) return false;
        this.plans.set(msg.solver, msg);
        const h = this.history.get(msg.solver) ?? [];
        h.push({
          iteration: msg.replan, cost: msg.cost, costBefore: msg.cost, expectedImprovement: null, actualImprovement: null, stepLength: 0,
          regularization: 0, gradientNorm: 0, accepted: !msg.cancelled, sigma: msg.sigma, samples: 0, phase: msg.sigma > 0 ? 'smooth' : msg.solver === 'ddp' ? 'exact' : 'polish',
          times: { linearize: 0, backward: 0, forward: 0, total: msg.solveMs },
        });
        if (h.length > 300) h.splice(0, h.length - 300);
        this.history.set(msg.solver, h);
        return true;
      }
      case 'live.event':
        if (msg.live !== this.id) return false;
        this.events.push(msg.event);
        return true;
      default:
        return false;
    }
  }

  /** States every world has in its buffer (the timeline's length), and their spacing (s). */
  recorded(): { knots: number; dt: number } {
    const bs = [...this.buffers.values()];
    if (!bs.length) return { knots: 1, dt: this.state?.dt ?? 0.01 };
    const n = Math.min(...bs.map((b) => b.length));
    const b = bs[0];
    const dt = b.length >= 2 ? (b[b.length - 1].t - b[b.length - n].t) / Math.max(1, n - 1) : this.state?.dt ?? 0.01;
    return { knots: Math.max(1, n), dt: dt > 0 ? dt : this.state?.dt ?? 0.01 };
  }

  /**
   * A world's state at the timeline's knot `index` of `knots` (the last `knots` states of the
   * shortest buffer): the state of the same simulated step, so that worlds whose buffers differ
   * by a message in flight show the same moment, and a paused timeline holds still while states
   * keep arriving.
   */
  stateAt(solver: Solver, index: number, knots: number): LiveStateMessage | undefined {
    const b = this.buffers.get(solver);
    if (!b || !b.length) return undefined;
    let ref = b;
    for (const x of this.buffers.values()) if (x.length && x.length < ref.length) ref = x;
    const step = ref[Math.min(ref.length - 1, Math.max(0, ref.length - knots + index))].step;
    // the last state of this world at or before that step (binary search: steps increase)
    let lo = 0, hi = b.length - 1;
    if (b[0].step > step) return b[0];
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (b[mid].step <= step) lo = mid; else hi = mid - 1;
    }
    return b[lo];
  }

  get running(): boolean { return !!this.state && this.state.status !== 'stopped' && this.state.status !== 'failed'; }

  /** One line per world: replan rate, solve time, σ, tracking error, the last push's latency. */
  statsLine(solver: Solver): string {
    const s = this.state?.stats.find((x) => x.solver === solver);
    if (!s) return '–';
    const last = s.pushLatencyMs.at(-1);
    return [
      `${s.replanRateHz.toFixed(1)} replans/s`,
      s.solveMs !== null ? `solve ${s.solveMs.toFixed(0)} ms` : null,
      solver === 'rddp' && s.sigma !== null ? `σ ${s.sigma.toPrecision(2)}` : null,
      `tracking ${s.trackingError < 0 ? '∞' : s.trackingError.toFixed(3)}`,
      last !== undefined ? `push → plan ${last === null ? '…' : `${last.toFixed(0)} ms`}` : null,
      s.error ? `failed: ${s.error}` : null,
    ].filter(Boolean).join(' · ');
  }

  /** What the viewports show: per solver, the latest plan's predicted trajectory. */
  slots(): [SlotView | null, SlotView | null] {
    const st = this.state;
    if (!st) return [null, null];
    return (['ddp', 'rddp'] as const).map((solver) => {
      if (!st.solvers.includes(solver)) return null;
      const plan = this.plans.get(solver);
      const stats = st.stats.find((x) => x.solver === solver);
      const h = this.history.get(solver) ?? [];
      return {
        source: 'live', key: `${st.id}|${solver}`, title: solver === 'ddp' ? 'DDP-MPC' : 'R-DDP-MPC', subtitle: st.id, solver,
        robot: st.robot, task: st.task, params: st.params, status: st.status, run: 0, warmStart: false,
        iteration: stats?.replans ?? 0, budget: null, cost: plan?.cost ?? null, latest: h.at(-1) ?? null, history: h,
        trajectory: plan ? { dt: plan.dt, q: plan.q, v: [], u: [] } : null,
        error: stats?.error ?? null, success: null,
      } satisfies SlotView;
    }) as [SlotView | null, SlotView | null];
  }
}
