/**
 * A live session: model-predictive control of one task with DDP and/or R-DDP side by side.
 *
 * Each solver has a world (world.ts: its own Simulator, state and adopted plan) and a planner
 * thread (planning/mpc-thread.ts). One clock drives every world: a timer on the event loop
 * steps them all to the simulated time the wall clock asks for (× the real-time factor), so an
 * operator event, applied between two ticks, reaches every world at the same step. After each
 * tick a world whose planner is idle (and whose state moved since its last plan) replans from
 * its current state; a plan is adopted the moment it arrives, and the world applies its
 * feedback law from the plan's start step on (the steps that passed while it was computed
 * included). A push cancels the replans in flight (between two iterations), so the next plan
 * starts from the disturbed state at once.
 *
 * The session emits LiveMessages (shared/protocol.ts): `live.state` per world at
 * LIVE_STATE_RATE_HZ, `live.plan` for every adopted plan, `live.event` for every operator
 * event, `live.status` on changes and once a second. It keeps what its recording needs
 * (recording.ts): the executed states of the last MAX_LIVE_RECORDED_S, every plan's summary,
 * the predicted trajectory of some, the events.
 */
import { EventEmitter } from 'node:events';
import {
  LIVE_STATE_RATE_HZ, MAX_LIVE_RECORDED_S,
  type ContactSampleMsg, type LiveEvent, type LiveMessage, type LiveSolverStats, type LiveState, type Solver,
} from '../../shared/protocol.ts';
import { getTask, resolveParams, type TaskParams } from '../control/tasks/index.ts';
import { MpcThread } from '../planning/mpc-thread.ts';
import type { MpcPlan, MpcSolverParams } from '../planning/mpc.ts';
import { LiveWorld } from './world.ts';

/** A request the session refuses: a 4xx naming the field. */
export class LiveInputError extends Error {
  constructor(readonly status: number, message: string, readonly field?: string) { super(message); }
}

export interface LiveSetup {
  id: string;
  task: string;
  params: TaskParams;
  solvers: Solver[];
  solverParams: MpcSolverParams;
  horizon: number;
  realTimeFactor: number;
}

/** Wall-clock interval of the clock's ticks (ms). */
const TICK_MS = 10;
/** Steps one tick may run at most: a session that falls behind slows down instead of catching up in a burst. */
const MAX_STEPS_PER_TICK = 20;
/**
 * A world with a coordinate beyond this (m, rad, m/s, rad/s) has diverged (the contact step
 * does not recover from velocities far outside a robot's range): it stops with an error.
 */
const DIVERGED = 1e3;
/** Recorded predicted trajectories per world per second (every plan's summary is recorded). */
const RECORDED_PLANS_PER_S = 5;

const r6 = (x: number) => Math.round(x * 1e6) / 1e6;
const r3 = (x: number) => Math.round(x * 1e3) / 1e3;

export interface RecordedStep { step: number; q: number[]; v: number[]; u: number[]; contacts: ContactSampleMsg[] }
export interface RecordedPlan {
  replan: number; step: number; adoptedStep: number; adoptedAt: number; solveMs: number; iterations: number; sigma: number; cost: number;
  shift: number; cancelled: boolean; q?: number[][]; u?: number[][];
}

interface Side {
  solver: Solver;
  world: LiveWorld;
  thread: MpcThread | null;
  busy: boolean;
  /** Step of the last replan started (-1: none). */
  lastStart: number;
  replans: number;
  /** Wall times (ms) of the recent adoptions, for the rate. */
  adoptedAt: number[];
  last: MpcPlan | null;
  /** A plan was adopted since the session (re)started: the clock waits for every world's. */
  ready: boolean;
  pushLatencyMs: (number | null)[];
  error: string | null;
  /** Recording. */
  states: RecordedStep[];
  plans: RecordedPlan[];
  lastRecordedPlanAt: number;
}

interface PendingPush { index: number; step: number; arrivedAt: number }

export class LiveSession extends EventEmitter {
  readonly id: string;
  readonly setup: LiveSetup;
  readonly createdAt = new Date();
  readonly dt: number;
  readonly robot: string;
  params: TaskParams;
  status: LiveState['status'] = 'starting';
  error: string | null = null;
  recordings: string[] = [];
  /** The next step to simulate (the clock). */
  step = 0;
  readonly events: LiveEvent[] = [];
  readonly #sides: Side[];
  #timer: NodeJS.Timeout | null = null;
  #statusTimer: NodeJS.Timeout | null = null;
  /** Wall clock (ms) and step at the last (re)anchoring of the clock. */
  #anchorWall = 0;
  #anchorStep = 0;
  /**
   * A state message every this many steps: LIVE_STATE_RATE_HZ (or every step, when slower)
   * in real time, and as many per simulated second when the session runs behind (a tick then
   * runs several steps and sends the states in between).
   */
  readonly #stateEvery: number;
  /** Incremented by a reset: plans computed before it are dropped. */
  #epoch = 0;
  #pushes: PendingPush[] = [];
  #pushCount = 0;

  private constructor(setup: LiveSetup, sides: Side[]) {
    super();
    this.id = setup.id;
    this.setup = setup;
    this.params = setup.params;
    this.#sides = sides;
    this.dt = sides[0].world.dt;
    this.#stateEvery = Math.max(1, Math.floor(setup.realTimeFactor / (LIVE_STATE_RATE_HZ * this.dt)));
    this.robot = sides[0].world.built.robot;
  }

  /** Builds the worlds and starts the planner threads (rejects with the task's error), then the clock. */
  static async start(setup: LiveSetup): Promise<LiveSession> {
    const sides: Side[] = setup.solvers.map((solver) => ({
      solver, world: new LiveWorld(solver, setup.task, setup.params), thread: null, busy: false, lastStart: -1, replans: 0,
      adoptedAt: [], last: null, ready: false, pushLatencyMs: [], error: null, states: [], plans: [], lastRecordedPlanAt: -Infinity,
    }));
    try {
      await Promise.all(sides.map(async (s) => {
        const { thread } = await MpcThread.start({ task: setup.task, params: setup.params, solver: s.solver, solverParams: setup.solverParams });
        s.thread = thread;
      }));
    } catch (e) {
      await Promise.all(sides.map((s) => s.thread?.close()));
      throw e;
    }
    const session = new LiveSession(setup, sides);
    // the clock starts once every world has its first plan (#adopt)
    session.#statusTimer = setInterval(() => session.#emit({ type: 'live.status', live: session.state() }), 1000);
    session.#replanIdle();
    return session;
  }

  get t(): number { return this.step * this.dt; }
  get solvers(): Solver[] { return this.#sides.map((s) => s.solver); }

  #startClock(): void {
    this.#anchorWall = performance.now();
    this.#anchorStep = this.step;
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
    this.#replanIdle();
  }

  #stopClock(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #emit(msg: LiveMessage): void { this.emit('message', msg); }

  #tick(): void {
    if (this.status !== 'running') return;
    const now = performance.now();
    const target = this.#anchorStep + Math.floor(((now - this.#anchorWall) / 1000) * this.setup.realTimeFactor / this.dt);
    let n = target - this.step;
    if (n > MAX_STEPS_PER_TICK) {
      // behind: run at most this many and re-anchor (the session runs slower than asked)
      n = MAX_STEPS_PER_TICK;
      this.#anchorWall = now;
      this.#anchorStep = this.step + n;
    }
    for (let i = 0; i < n; i++) {
      this.#stepWorlds();
      if (this.step % this.#stateEvery === 0) for (const s of this.#sides) this.#emitState(s);
    }
    this.#replanIdle();
  }

  #stepWorlds(): void {
    const step = this.step;
    const keep = Math.round(MAX_LIVE_RECORDED_S / this.dt);
    for (const s of this.#sides) {
      if (s.error) continue;
      try {
        s.world.step(step);
        if (!s.world.x.every((x) => Math.abs(x) < DIVERGED)) throw new Error(`the state diverged (a coordinate beyond ${DIVERGED})`);
      } catch (e) {
        // a world whose state broke down (e.g. a huge push) stops; the other goes on
        s.error = `the simulation failed at t = ${r6(this.t)} s: ${(e as Error).message}`;
        this.#emit({ type: 'live.status', live: this.state() });
        continue;
      }
      const { model } = s.world, x = s.world.x;
      s.states.push({
        step: step + 1, q: Array.from(x.subarray(0, model.nq), r6), v: Array.from(x.subarray(model.nq), r6),
        u: Array.from(s.world.u, r6), contacts: s.world.contacts().map((c) => ({ p: c.p.map(r6) as [number, number, number], f: c.f.map(r3) as [number, number, number] })),
      });
      if (s.states.length > keep * 1.25) s.states.splice(0, s.states.length - keep);
    }
    this.step = step + 1;
  }

  #emitState(s: Side): void {
    const { model } = s.world, x = s.world.x;
    this.#emit({
      type: 'live.state', live: this.id, solver: s.solver, step: this.step, t: r6(this.t),
      q: Array.from(x.subarray(0, model.nq), r6), v: Array.from(x.subarray(model.nq), r6),
      contacts: s.states.at(-1)?.contacts ?? [], pushing: s.world.pushing, trackingError: r6(s.world.trackingError),
    });
  }

  /** Starts a replan on every idle world whose state moved since its last one. */
  #replanIdle(): void {
    if (this.status !== 'running' && this.status !== 'starting') return;
    for (const s of this.#sides) if (!s.busy && s.thread && !s.error && this.step > s.lastStart) this.#replan(s);
  }

  #replan(s: Side): void {
    const thread = s.thread!;
    s.busy = true;
    s.lastStart = this.step;
    const epoch = this.#epoch;
    thread.replan(Float64Array.from(s.world.x), this.step).then(
      (plan) => {
        s.busy = false;
        if (epoch === this.#epoch) this.#adopt(s, plan);
        if (this.status === 'starting' && this.#sides.every((x) => x.ready || x.error)) {
          this.status = 'running';
          this.#startClock();
          this.#emit({ type: 'live.status', live: this.state() });
        }
        this.#replanIdle();
      },
      (e: unknown) => {
        s.busy = false;
        if (this.status === 'stopped') return;
        s.error = (e as Error).message;
        this.#emit({ type: 'live.status', live: this.state() });
      },
    );
  }

  #adopt(s: Side, plan: MpcPlan): void {
    if (this.status === 'stopped') return;
    // a replan cancelled before its first iteration brings nothing new
    if (plan.cancelled && plan.iterations === 0) return;
    const now = performance.now();
    s.world.plan = plan;
    s.last = plan;
    s.ready = true;
    s.replans++;
    s.adoptedAt.push(now);
    while (s.adoptedAt.length && s.adoptedAt[0] < now - 2000) s.adoptedAt.shift();
    // push latency: the first plan starting after the push's step answers it
    for (const p of this.#pushes) {
      if (s.pushLatencyMs[p.index] === null && plan.step > p.step) s.pushLatencyMs[p.index] = now - p.arrivedAt;
    }
    const rate = this.#rate(s, now);
    const { nq } = s.world.model, nx = plan.nx, nu = plan.nu;
    const q = Array.from({ length: plan.T + 1 }, (_, k) => Array.from(plan.xs.subarray(k * nx, k * nx + nq), r6));
    const rec: RecordedPlan = {
      replan: plan.replan, step: plan.step, adoptedStep: this.step, adoptedAt: r6(this.t), solveMs: r3(plan.solveMs),
      iterations: plan.iterations, sigma: plan.sigma, cost: plan.cost, shift: plan.shift, cancelled: plan.cancelled,
    };
    if (now - s.lastRecordedPlanAt >= 1000 / RECORDED_PLANS_PER_S) {
      s.lastRecordedPlanAt = now;
      rec.q = q;
      rec.u = Array.from({ length: plan.T }, (_, k) => Array.from(plan.us.subarray(k * nu, (k + 1) * nu), r6));
    }
    s.plans.push(rec);
    this.#emit({
      type: 'live.plan', live: this.id, solver: s.solver, replan: plan.replan, step: plan.step, t: r6(plan.step * this.dt),
      adoptedStep: this.step, dt: this.dt, q, solveMs: r3(plan.solveMs), iterations: plan.iterations, sigma: plan.sigma,
      cost: Number.isFinite(plan.cost) ? plan.cost : null, shift: plan.shift, cancelled: plan.cancelled, replanRateHz: rate,
    });
  }

  #rate(s: Side, now: number): number {
    const recent = s.adoptedAt.filter((t) => t >= now - 2000);
    if (recent.length < 2) return 0;
    return r3((recent.length - 1) / ((recent.at(-1)! - recent[0]) / 1000));
  }

  #event(e: Omit<LiveEvent, 'step' | 't'>): LiveEvent {
    const ev: LiveEvent = { ...e, step: this.step, t: r6(this.t) };
    this.events.push(ev);
    this.#emit({ type: 'live.event', live: this.id, event: ev });
    return ev;
  }

  #checkOpen(): void {
    if (this.status === 'stopped' || this.status === 'failed') throw new LiveInputError(409, `live: session '${this.id}' has ${this.status}`, 'live');
  }

  /** A world force (N) at a body or frame for `duration` s, from the current step, in every world. */
  push(body: string, force: [number, number, number], duration: number): LiveEvent {
    this.#checkOpen();
    const frame = this.#sides[0].world.frameOf(body);
    if (frame < 0) {
      const names = [...new Set(this.#sides[0].world.model.frames.filter((f) => f.kind !== 'joint').map((f) => f.name))];
      throw new LiveInputError(400, `body: '${body}' is not a body or frame of ${this.robot} (e.g. ${names.slice(0, 8).join(', ')})`, 'body');
    }
    const steps = Math.max(1, Math.round(duration / this.dt));
    for (const s of this.#sides) s.world.push(frame, force, this.step + steps);
    const ev = this.#event({ kind: 'push', body, force, duration });
    const index = this.#pushCount++;
    this.#pushes.push({ index, step: this.step, arrivedAt: performance.now() });
    if (this.#pushes.length > 64) this.#pushes.shift();
    for (const s of this.#sides) {
      s.pushLatencyMs[index] = null;
      // the plan in flight starts before the push: stop it, the next one starts after it
      if (s.busy) s.thread?.cancel();
    }
    return ev;
  }

  /** New task parameters (merged over the current ones); dt and horizon are fixed for a session. */
  async setParams(given: Record<string, unknown>): Promise<LiveEvent> {
    this.#checkOpen();
    for (const k of ['dt', 'horizon']) {
      if (k in given && given[k] !== this.params[k]) throw new LiveInputError(400, `params.${k}: fixed for a live session (start a new one to change it)`, `params.${k}`);
    }
    const def = getTask(this.setup.task);
    const merged = { ...this.params, ...given };
    const resolved = resolveParams(def, merged); // throws TaskParamError naming the parameter
    // the new bounds apply at once; the planners rebuild their problem after the replan in flight
    const built = def.build(resolved);
    for (const s of this.#sides) s.world.setBounds(built.uLower, built.uUpper);
    this.params = resolved;
    await Promise.all(this.#sides.map((s) => s.thread?.setParams(resolved)));
    return this.#event({ kind: 'params', params: given as TaskParams });
  }

  pause(): LiveEvent {
    this.#checkOpen();
    if (this.status === 'running' || this.status === 'starting') {
      this.status = 'paused';
      this.#stopClock();
    }
    const ev = this.#event({ kind: 'pause' });
    this.#emit({ type: 'live.status', live: this.state() });
    return ev;
  }

  resume(): LiveEvent {
    this.#checkOpen();
    const ev = this.#event({ kind: 'resume' });
    if (this.status === 'paused') {
      this.status = 'running';
      this.#startClock();
    }
    this.#emit({ type: 'live.status', live: this.state() });
    return ev;
  }

  /** Both worlds back to the task's initial state; the planners forget their warm starts and σ restarts. */
  async reset(): Promise<LiveEvent> {
    this.#checkOpen();
    this.#epoch++;
    // the clock waits again for every world's first (cold) plan
    if (this.status === 'running') { this.status = 'starting'; this.#stopClock(); }
    for (const s of this.#sides) {
      s.world.reset();
      s.thread?.cancel();
      s.lastStart = -1;
      s.ready = false;
    }
    const ev = this.#event({ kind: 'reset' });
    await Promise.all(this.#sides.map((s) => s.thread?.reset()));
    for (const s of this.#sides) this.#emitState(s);
    this.#replanIdle();
    return ev;
  }

  /** Stops the clock and the planner threads (the manager writes the recordings). */
  async stop(): Promise<void> {
    if (this.status === 'stopped') return;
    this.status = 'stopped';
    this.#stopClock();
    if (this.#statusTimer) clearInterval(this.#statusTimer);
    this.#statusTimer = null;
    await Promise.all(this.#sides.map((s) => s.thread?.release()));
  }

  /** What the recording of one world holds (recording.ts). */
  recordingOf(solver: Solver): { states: RecordedStep[]; plans: RecordedPlan[]; world: LiveWorld } | null {
    const s = this.#sides.find((x) => x.solver === solver);
    return s ? { states: s.states, plans: s.plans, world: s.world } : null;
  }

  stats(): LiveSolverStats[] {
    const now = performance.now();
    return this.#sides.map((s) => ({
      solver: s.solver, replans: s.replans, replanRateHz: this.#rate(s, now),
      solveMs: s.last ? r3(s.last.solveMs) : null, iterations: s.last?.iterations ?? null, sigma: s.last?.sigma ?? null,
      trackingError: r6(s.world.trackingError), pushLatencyMs: s.pushLatencyMs.map((x) => (x === null || x === undefined ? null : r3(x))), error: s.error,
    }));
  }

  state(): LiveState {
    return {
      id: this.id, task: this.setup.task, robot: this.robot, params: this.params, solvers: this.solvers,
      solverParams: { ...this.setup.solverParams }, horizon: this.setup.horizon, realTimeFactor: this.setup.realTimeFactor, dt: this.dt,
      status: this.status, createdAt: this.createdAt.toISOString(), t: r6(this.t), step: this.step, stats: this.stats(),
      recordings: this.recordings, error: this.error,
    };
  }
}
