/**
 * Planning sessions: the PlanManager owns every plan the server runs.
 *
 * One plan = one request (robot, task, params) solved by one or more solvers ('ddp', 'rddp'),
 * each solver a *solve* of the same problem, run side by side. Solves run up to a concurrency
 * limit (default 2); the others wait in a FIFO queue. A solve is cancelled through its
 * AbortController: the solver checks the signal between iterations, and every iteration yields
 * to the event loop, so a cancel is honoured within one iteration. A replan cancels the running
 * solves and restarts each from its latest controls (warm start) with the new parameters, or
 * cold when the new horizon / dt change the number of controls.
 *
 * The manager emits ServerMessages ('message' event): `status` on every change of a plan's
 * state, `iterate` (throttled to at most 20 per second per solve, the latest always delivered)
 * and `final`. It keeps the latest telemetry and trajectory of every solve, for late joiners.
 * Every finished or cancelled run is recorded (RecordingStore).
 */
import { EventEmitter } from 'node:events';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { plan as runPlan, solverParamsFor, type IterationRecord, type PlanRequest, type PlanResult, type SolverParams, type Trajectory } from '../planning/planner.ts';
import { ThreadSolves } from '../planning/thread-solves.ts';
import { NotStartedError, type AdoptableSolve, type SolveJob, type Solves } from '../planning/solves.ts';
import { defaultPoolSize } from '../compute/pooled-linearization.ts';
import { ROBOT_PARAM, TASKS, resolveParams, robotOf, TaskParamError, type TaskDefinition, type TaskParams } from '../control/tasks/index.ts';
import { ContactTracer } from '../planning/contact-trace.ts';
import { WarmStartError } from '../control/errors.ts';
import {
  DEFAULT_PLAN_TIME_LIMIT_S, MAX_PLAN_WORK, PlanCreateSchema, ReplanSchema, SOLVERS, parseWith,
  type FinalMessage, type IterateMessage, type PlanCreate, type PlanState, type ServerMessage, type Solver, type SolveStatus, type SolveWhere,
} from '../../shared/protocol.ts';
import type { RecordingStore } from '../store/recordings.ts';

/** An error with the HTTP status it maps to and the request field it concerns. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly field?: string, readonly headers?: Record<string, string>) { super(message); }
}

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
const silent: Logger = { info() {}, warn() {}, error() {} };

export interface PlanManagerOptions {
  /** Solves running at once (default 2). */
  concurrency?: number;
  /** Minimum interval between two iterate messages of one solve (default 50 ms: 20 per second). */
  iterateIntervalMs?: number;
  recordings?: RecordingStore | null;
  log?: Logger;
  /** Plans kept in memory (finished ones beyond it are forgotten, oldest first; default 200). */
  maxPlans?: number;
  /** Robot names known to the server (to tell an unknown robot from a wrong one). */
  knownRobots?: () => string[];
  /**
   * Attach the contacts of every knot (points and forces, server/planning/contact-trace.ts) to
   * the trajectories sent and recorded (default true). Traced only for the iterates actually
   * sent (throttled) and the final plans: one contact step per knot each.
   */
  contacts?: boolean;
  /**
   * Where solves run: 'threads' (default) on worker threads (server/planning/thread-solves.ts),
   * so the event loop that serves HTTP, WebSocket and cancels is never held by numerics;
   * 'inline' on the event loop's thread (yielding between iterations).
   */
  solveIn?: 'threads' | 'inline';
  /**
   * Where solves run instead, when given (it wins over solveIn): e.g. server/cluster's
   * RemoteSolves, BullMQ jobs on worker processes. A remote one gets every solve at once (its
   * queue is Redis's, bounded by queueLimit; concurrency and maxWorkers are the workers' own),
   * and a solve is reported queued until a worker starts it. The manager closes it.
   */
  solves?: Solves;
  /**
   * Linearization worker threads of all running solves together (default: CPU cores). A solve
   * is granted min(asked, free) threads when it starts (its solverParams.workers, default cores
   * − 1) and waits in the queue while none is free; result.compute.workers says what it got.
   */
  maxWorkers?: number;
  /** Solves waiting in the queue; a request that would exceed it gets 429 (default 64). */
  queueLimit?: number;
  /** Wall-clock seconds each solve may run (default: the task's timeLimitS, else DEFAULT_PLAN_TIME_LIMIT_S). */
  planTimeoutS?: number;
  /**
   * Remote solves: this server's name in its jobs' origin (default the host name). A server
   * started again under the same name on the same Redis reports its unfinished plans again
   * (`adopt()`).
   */
  instance?: string;
}

/** Seconds a client is told to wait (Retry-After) when the queue is full. */
const RETRY_AFTER_S = 10;

interface Solve {
  solver: Solver;
  status: SolveStatus;
  run: number;
  warmStart: boolean;
  latest: IterationRecord | null;
  trajectory: Trajectory | null;
  result: PlanResult | null;
  error: string | null;
  recording: string | null;
  /** Where the current run started (null until it does). */
  where: SolveWhere | null;
  abort: AbortController | null;
  /** Throttling of iterate messages. */
  lastSent: number;
  pending: IterateMessage | null;
  timer: NodeJS.Timeout | null;
  lastIterate: IterateMessage | null;
  lastFinal: FinalMessage | null;
}

interface Plan {
  id: string;
  def: TaskDefinition;
  robot: string;
  params: TaskParams;
  solverParams: Partial<SolverParams>;
  createdAt: Date;
  solves: Solve[];
  /** Contact tracer for the current params (built on first use; null when it cannot be built). */
  tracer?: { key: string; tracer: ContactTracer | null };
}

interface QueueItem {
  plan: Plan; solve: Solve; run: number; warm: number[][] | null;
  /** Remote: follow this job, submitted by a previous server under our instance name, instead of submitting one. */
  resume?: string;
  /** With resume: the job was already recorded (the recording's id, '' when none): do not record it again. */
  recorded?: string;
}

/** Knots of a task's plan: every task's horizon is round(horizon / dt) steps. */
function knotsOf(params: TaskParams): number {
  const h = params.horizon, dt = params.dt;
  return typeof h === 'number' && typeof dt === 'number' && dt > 0 ? Math.max(1, Math.round(h / dt)) : 1;
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Resolves a task's parameters; a parameter the schema refuses is a 400 naming it (`params.height`). */
function resolveOr400(def: TaskDefinition, given: Record<string, unknown>): TaskParams {
  try {
    return resolveParams(def, given);
  } catch (e) {
    if (e instanceof TaskParamError) throw new ApiError(400, `${e.field}: ${e.message}`, e.field);
    throw e;
  }
}

export class PlanManager extends EventEmitter {
  readonly concurrency: number;
  #interval: number;
  #plans = new Map<string, Plan>();
  #queue: QueueItem[] = [];
  #running = 0;
  #inflight = new Set<Promise<void>>();
  #recordings: RecordingStore | null;
  #log: Logger;
  #maxPlans: number;
  #knownRobots: () => string[];
  #contacts: boolean;
  #closed = false;
  #threads: Solves | null;
  readonly maxWorkers: number;
  readonly queueLimit: number;
  #planTimeoutS: number | null;
  /** Linearization threads granted to the running solves. */
  #workersInUse = 0;
  readonly instance: string;

  constructor(opts: PlanManagerOptions = {}) {
    super();
    this.setMaxListeners(0);
    // default from the compute backend: an in-process solve keeps one core busy
    this.concurrency = Math.max(1, opts.concurrency ?? os.cpus().length);
    this.#interval = opts.iterateIntervalMs ?? 50;
    this.#recordings = opts.recordings ?? null;
    this.#log = opts.log ?? silent;
    this.#maxPlans = opts.maxPlans ?? 200;
    this.#knownRobots = opts.knownRobots ?? (() => [...new Set(TASKS.map((t) => t.robot))]);
    this.#contacts = opts.contacts ?? true;
    this.#threads = opts.solves ?? ((opts.solveIn ?? 'threads') === 'threads' ? new ThreadSolves() : null);
    this.maxWorkers = Math.max(1, Math.floor(opts.maxWorkers ?? os.cpus().length));
    this.queueLimit = Math.max(0, Math.floor(opts.queueLimit ?? 64));
    this.#planTimeoutS = opts.planTimeoutS ?? null;
    this.instance = opts.instance ?? os.hostname();
  }

  /**
   * Remote solves: takes back the plans a previous server under this instance name left to the
   * workers (stopped or crashed while they waited or ran, or finished while it was away): each
   * plan under its old id, its solves followed to the end and recorded once. Returns how many.
   */
  async adopt(): Promise<number> {
    const solves = this.#threads;
    if (!solves?.adoptable || !solves.resume) return 0;
    const found = await solves.adoptable(this.instance);
    const byPlan = new Map<string, AdoptableSolve[]>();
    for (const a of found) byPlan.set(a.origin.plan, [...(byPlan.get(a.origin.plan) ?? []), a]);
    let adopted = 0;
    for (const [id, jobs] of byPlan) {
      if (this.#plans.has(id)) continue;
      const first = jobs[0];
      const def = TASKS.find((t) => t.name === first.request.task);
      if (!def) {
        this.#log.warn({ event: 'plan.adopt.skipped', plan: id, task: first.request.task }, 'a job of an unknown task was left as it is');
        continue;
      }
      const latest = jobs.reduce((a, b) => (b.origin.run > a.origin.run ? b : a));
      const { workers: _w, ...solverParams } = latest.request.solverParams;
      const plan: Plan = {
        id, def, robot: latest.origin.robot ?? def.robot, params: latest.request.params as TaskParams, solverParams,
        createdAt: new Date(latest.origin.createdAt), solves: latest.origin.solvers.map((solver) => this.#newSolve(solver)),
      };
      const items: QueueItem[] = [];
      for (const s of plan.solves) {
        const mine = jobs.filter((j) => j.request.solver === s.solver);
        if (mine.length === 0) { s.status = 'cancelled'; continue; }
        const job = mine.reduce((a, b) => (b.origin.run > a.origin.run ? b : a));
        s.run = job.origin.run;
        s.warmStart = job.request.warmStart !== undefined;
        items.push({ plan, solve: s, run: s.run, warm: null, resume: job.job, ...(job.settled !== null ? { recorded: job.settled } : {}) });
      }
      this.#plans.set(id, plan);
      this.#log.info({ event: 'plan.adopted', plan: id, task: def.name, jobs: items.map((i) => i.resume) }, 'plan taken back from the cluster');
      this.#queue.unshift(...items);
      this.#emitStatus(plan);
      adopted++;
    }
    this.#evict();
    this.#pump();
    return adopted;
  }

  /** Linearization threads granted to the running solves now (at most maxWorkers). */
  get workersInUse(): number { return this.#workersInUse; }

  /** 429 when `adding` more solves would overflow the queue. */
  #checkQueue(adding: number): void {
    const waiting = this.#remote ? this.#queuedSolves() : this.#queue.length;
    if (waiting + adding <= this.queueLimit) return;
    throw new ApiError(429, `queue: ${waiting} solves are waiting (limit ${this.queueLimit}); retry later`, undefined, { 'retry-after': String(RETRY_AFTER_S) });
  }

  /** 400 when one solve would claim more than MAX_PLAN_WORK knot-samples over its iterations. */
  #checkWork(def: TaskDefinition, params: TaskParams, solverParams: Partial<SolverParams>, solvers: readonly Solver[]): void {
    const sp = solverParamsFor(def, solverParams);
    const knots = knotsOf(params);
    const samples = solvers.includes('rddp') ? sp.samples : 1;
    const work = knots * samples * sp.iterations;
    if (work <= MAX_PLAN_WORK) return;
    throw new ApiError(400, `solverParams.iterations: ${knots} knots × ${samples} samples × ${sp.iterations} iterations = ${work} exceeds the limit of ${MAX_PLAN_WORK} per solve (fewer iterations or samples, a shorter horizon or a larger dt)`, 'solverParams.iterations');
  }

  /** Seconds one solve of this plan may run: the request's timeLimit lowers the server's. */
  #timeLimitS(p: Plan): number {
    const server = this.#planTimeoutS ?? p.def.timeLimitS ?? DEFAULT_PLAN_TIME_LIMIT_S;
    return Math.min(server, p.solverParams.timeLimit ?? Infinity);
  }

  get #remote(): boolean { return this.#threads?.remote ?? false; }

  /** Solves reported queued: in this manager's queue or, remote, submitted and not yet started. */
  #queuedSolves(): number {
    let n = 0;
    for (const p of this.#plans.values()) for (const s of p.solves) if (s.status === 'queued') n++;
    return n;
  }

  /** Threads a solve is granted now: min(asked, free); 0 for the cpu backend (needs none) and for remote solves (the worker's own). */
  #grantWorkers(p: Plan): number {
    if (p.solverParams.backend === 'cpu' || this.#remote) return 0;
    const asked = p.solverParams.workers ?? defaultPoolSize();
    return Math.max(0, Math.min(asked, this.maxWorkers - this.#workersInUse));
  }

  /** The trajectory with its contacts per knot (unchanged when tracing is off or fails). */
  #withContacts<T extends Trajectory>(p: Plan, traj: T): T {
    if (!this.#contacts || (traj as { contacts?: unknown }).contacts) return traj;
    const key = JSON.stringify(p.params);
    if (p.tracer?.key !== key) {
      let tracer: ContactTracer | null = null;
      try { tracer = new ContactTracer(p.def.name, p.params); } catch (e) {
        this.#log.warn({ event: 'contacts.unavailable', plan: p.id, err: (e as Error).message }, 'contact tracing unavailable');
      }
      p.tracer = { key, tracer };
    }
    if (!p.tracer.tracer) return traj;
    try {
      return p.tracer.tracer.attach(traj);
    } catch (e) {
      this.#log.warn({ event: 'contacts.failed', plan: p.id, err: (e as Error).message }, 'contact tracing failed');
      return traj;
    }
  }

  /** Traces the contacts of an iterate message's trajectory in place (once). */
  #traceIterate(msg: IterateMessage): void {
    const p = this.#plans.get(msg.plan);
    if (p) msg.trajectory = this.#withContacts(p, msg.trajectory);
  }

  /** Validates a plan request (throws ApiError naming the field) and queues its solves. */
  create(body: unknown): string {
    if (this.#closed) throw new ApiError(503, 'the server is shutting down');
    const parsed = parseWith(PlanCreateSchema, body);
    if (!parsed.ok) throw new ApiError(400, parsed.message, parsed.field);
    const req: PlanCreate = parsed.value;
    const def = TASKS.find((t) => t.name === req.task);
    if (!def) throw new ApiError(404, `task: unknown task '${req.task}' (known: ${TASKS.map((t) => t.name).join(', ')})`, 'task');
    if (req.robot !== undefined && req.robot !== def.robot && !this.#knownRobots().includes(req.robot)) {
      throw new ApiError(404, `robot: unknown robot '${req.robot}'`, 'robot');
    }
    if (req.params && ROBOT_PARAM in req.params) throw new ApiError(400, `params.robot: the robot is the request's 'robot' field, not a task parameter`, 'params.robot');
    // the robot travels with the parameters (ROBOT_PARAM), so every rebuild of the task uses it;
    // whether it fits the task is checked on the loaded robot by the HTTP route, and again
    // where the task is built (a RobotMismatchError)
    const params = resolveOr400(def, { ...req.params, ...(req.robot !== undefined ? { [ROBOT_PARAM]: req.robot } : {}) });
    const solverParams: Partial<SolverParams> = { ...req.solverParams, ...(req.backend ? { backend: req.backend } : {}) };
    const solvers = req.solvers ?? [...SOLVERS];
    this.#checkWork(def, params, solverParams, solvers);
    this.#checkQueue(solvers.length);
    const id = `p${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    const plan: Plan = {
      id, def, robot: robotOf(def, params), params, solverParams, createdAt: new Date(),
      solves: solvers.map((solver) => this.#newSolve(solver)),
    };
    this.#plans.set(id, plan);
    this.#evict();
    this.#log.info({ event: 'plan.created', plan: id, task: def.name, params, solvers }, 'plan created');
    for (const s of plan.solves) this.#queue.push({ plan, solve: s, run: s.run, warm: null });
    this.#emitStatus(plan);
    this.#pump();
    return id;
  }

  #newSolve(solver: Solver): Solve {
    return {
      solver, status: 'queued', run: 0, warmStart: false, latest: null, trajectory: null, result: null, error: null, recording: null,
      where: null, abort: null, lastSent: 0, pending: null, timer: null, lastIterate: null, lastFinal: null,
    };
  }

  has(id: string): boolean { return this.#plans.has(id); }

  #get(id: string): Plan {
    const p = this.#plans.get(id);
    if (!p) throw new ApiError(404, `plan: unknown plan '${id}'`, 'plan');
    return p;
  }

  state(id: string): PlanState { return this.#state(this.#get(id)); }

  list(): PlanState[] { return [...this.#plans.values()].map((p) => this.#state(p)); }

  #state(p: Plan): PlanState {
    const st = p.solves.map((s) => s.status);
    const status: SolveStatus = st.includes('running') ? 'running' : st.includes('queued') ? 'queued'
      : st.includes('failed') ? 'failed' : st.every((x) => x === 'cancelled') ? 'cancelled' : st.includes('cancelled') ? 'cancelled' : 'done';
    return {
      id: p.id, robot: p.robot, task: p.def.name, params: p.params, status, createdAt: p.createdAt.toISOString(),
      iterations: solverParamsFor(p.def, p.solverParams).iterations,
      solves: p.solves.map((s) => ({
        solver: s.solver, status: s.status, run: s.run, warmStart: s.warmStart, iteration: s.latest ? s.latest.iteration : 0,
        latest: s.latest, cost: s.result ? s.result.cost : s.latest ? s.latest.cost : null,
        success: s.result ? s.result.success : null, error: s.error, recording: s.recording, where: s.where,
      })),
    };
  }

  /** The messages that bring a late joiner up to date on a plan: status, latest iterate, finals. */
  snapshot(id: string): ServerMessage[] {
    const p = this.#plans.get(id);
    if (!p) return [];
    const out: ServerMessage[] = [{ type: 'status', plan: this.#state(p) }];
    for (const s of p.solves) {
      if (s.lastIterate && s.lastIterate.run === s.run) { this.#traceIterate(s.lastIterate); out.push(s.lastIterate); }
      if (s.lastFinal && s.lastFinal.run === s.run) out.push(s.lastFinal);
    }
    return out;
  }

  /** Cancels every queued or running solve of a plan. */
  cancel(id: string): PlanState {
    const p = this.#get(id);
    let changed = false;
    for (const s of p.solves) {
      if (s.status === 'queued' && s.abort) {
        // submitted to a remote queue: taken off it (or stopped, if a worker just started it)
        s.abort.abort();
      } else if (s.status === 'queued') {
        this.#queue = this.#queue.filter((q) => q.solve !== s);
        s.status = 'cancelled';
        changed = true;
      } else if (s.status === 'running') {
        s.abort?.abort();
      }
    }
    this.#log.info({ event: 'plan.cancel', plan: id }, 'plan cancel requested');
    if (changed) this.#emitStatus(p);
    return this.#state(p);
  }

  /**
   * New parameters (merged over the plan's) for every solve: running ones are cancelled, and
   * each restarts from its latest controls (warm) or from the task's initial guess (cold) when
   * the number of controls changes.
   */
  replan(id: string, body: unknown): PlanState {
    if (this.#closed) throw new ApiError(503, 'the server is shutting down');
    const p = this.#get(id);
    const parsed = parseWith(ReplanSchema, body);
    if (!parsed.ok) throw new ApiError(400, parsed.message, parsed.field);
    if (ROBOT_PARAM in parsed.value.params) throw new ApiError(400, `params.robot: a replan keeps the plan's robot; plan again to change it`, 'params.robot');
    const params = resolveOr400(p.def, { ...p.params, ...parsed.value.params });
    this.#checkWork(p.def, params, p.solverParams, p.solves.map((s) => s.solver));
    this.#checkQueue(p.solves.filter((s) => s.status !== 'queued').length);
    p.params = params;
    const front: QueueItem[] = [];
    for (const s of p.solves) {
      const warm = s.trajectory ? s.trajectory.u.map((u) => [...u]) : null;
      this.#queue = this.#queue.filter((q) => q.solve !== s);
      s.abort?.abort();
      this.#flushTimer(s, false);
      s.run += 1;
      s.status = 'queued';
      s.latest = null;
      s.result = null;
      s.error = null;
      s.recording = null;
      s.where = null;
      s.warmStart = warm !== null;
      front.push({ plan: p, solve: s, run: s.run, warm });
    }
    // replans go first: the operator is waiting on them
    this.#queue.unshift(...front);
    this.#log.info({ event: 'plan.replan', plan: id, params }, 'plan replanned');
    this.#emitStatus(p);
    this.#pump();
    return this.#state(p);
  }

  #emit(msg: ServerMessage): void {
    this.emit('message', msg);
  }

  #emitStatus(p: Plan): void {
    this.#emit({ type: 'status', plan: this.#state(p) });
  }

  #evict(): void {
    if (this.#plans.size <= this.#maxPlans) return;
    for (const [id, p] of this.#plans) {
      if (this.#plans.size <= this.#maxPlans) break;
      if (p.solves.every((s) => s.status !== 'queued' && s.status !== 'running')) this.#plans.delete(id);
    }
  }

  #pump(): void {
    while ((this.#remote || this.#running < this.concurrency) && this.#queue.length > 0) {
      const item = this.#queue[0];
      if (item.run !== item.solve.run) { this.#queue.shift(); continue; }
      const granted = this.#grantWorkers(item.plan);
      // no thread free for a solve that needs some: it waits for a running one to end (FIFO)
      if (granted < 1 && item.plan.solverParams.backend !== 'cpu') break;
      this.#queue.shift();
      this.#running++;
      this.#workersInUse += granted;
      const pr = this.#runSolve(item, granted).finally(() => {
        this.#workersInUse -= granted;
        this.#running--;
        this.#inflight.delete(pr);
        this.#pump();
      });
      this.#inflight.add(pr);
    }
  }

  #sendIterate(s: Solve, msg: IterateMessage): void {
    this.#traceIterate(msg);
    s.lastSent = Date.now();
    s.pending = null;
    this.#emit(msg);
  }

  #flushTimer(s: Solve, send: boolean): void {
    if (s.timer) { clearTimeout(s.timer); s.timer = null; }
    if (send && s.pending) this.#sendIterate(s, s.pending);
    s.pending = null;
  }

  async #runSolve(item: QueueItem, workers: number): Promise<void> {
    const { plan: p, solve: s, run } = item;
    const current = () => s.run === run;
    const ac = new AbortController();
    s.abort = ac;
    // the wall-clock limit stops the solve as a cancel does; the result then says 'time limit'
    // (counted from the start: a remote solve waiting for a worker is not timed)
    const limitS = this.#timeLimitS(p);
    let timedOut = false;
    let timer: NodeJS.Timeout | null = null;
    // start on a later turn of the event loop: the request that queued the solve is answered first
    await yieldToLoop();
    let startedAt = new Date();
    const onStart = (where: SolveWhere) => {
      startedAt = new Date();
      if (!timer) {
        timer = setTimeout(() => { timedOut = true; ac.abort(); }, limitS * 1000);
        timer.unref();
      }
      if (!current()) return;
      s.status = 'running';
      s.where = where;
      this.#log.info({ event: 'solve.start', plan: p.id, solver: s.solver, run, warmStart: item.warm !== null, worker: where.worker, host: where.host, attempt: where.attempt }, 'solve started');
      this.#emitStatus(p);
    };
    if (!this.#remote) onStart({ worker: 'server', host: os.hostname(), attempt: 1 });
    const onIterate = async (rec: IterationRecord, traj: () => Trajectory) => {
      if (current()) {
        const trajectory = traj();
        s.latest = rec;
        s.trajectory = trajectory;
        const msg: IterateMessage = { type: 'iterate', plan: p.id, solver: s.solver, run, record: rec, trajectory };
        s.lastIterate = msg;
        const wait = s.lastSent + this.#interval - Date.now();
        if (wait <= 0 && !s.timer) this.#sendIterate(s, msg);
        else {
          s.pending = msg;
          if (!s.timer) {
            s.timer = setTimeout(() => { s.timer = null; if (s.pending && current()) this.#sendIterate(s, s.pending); }, Math.max(0, wait));
          }
        }
      }
      // let the event loop deliver messages and cancels between iterations
      await yieldToLoop();
    };
    let result: PlanResult | null = null;
    let error: Error | null = null;
    const solverParams: Partial<SolverParams> = { ...p.solverParams, ...(workers > 0 ? { workers } : {}) };
    // remote: a job id of our own and the job's origin, so that a server started again finds it
    const jobId = item.resume ?? `${p.id}.${s.solver}.${run}`;
    const remote = this.#remote ? { onStart, jobId, origin: { instance: this.instance, plan: p.id, robot: p.robot, run, solvers: p.solves.map((x) => x.solver), createdAt: p.createdAt.toISOString() } } : {};
    const args = { task: p.def.name, params: p.params, solver: s.solver, solverParams, signal: ac.signal, onIterate, ...remote };
    try {
      try {
        result = item.resume && this.#threads?.resume
          ? await this.#threads.resume(item.resume, { signal: ac.signal, onIterate, onStart })
          : await this.#plan({ ...args, warmStart: item.warm ?? undefined });
      } catch (e) {
        if (item.warm && e instanceof WarmStartError) {
          // horizon / dt changed the number of controls: restart cold
          if (current()) { s.warmStart = false; this.#emitStatus(p); }
          result = await this.#plan(args);
        } else throw e;
      }
    } catch (e) {
      error = e as Error;
    }
    if (timer) clearTimeout(timer);
    const finishedAt = new Date();
    if (s.abort === ac) s.abort = null;
    // remote: the job is ours to settle once we have seen it to the end (not when we are
    // closing: then it is left to the next server under our name)
    const settle = (recording: string) => {
      if (!this.#remote || this.#closed || !this.#threads?.settle) return;
      this.#threads.settle(jobId, recording).catch((e: Error) => this.#log.warn({ event: 'solve.settle.failed', plan: p.id, job: jobId, err: e.message }, 'could not mark the job settled'));
    };
    if (error instanceof NotStartedError) {
      this.#log.info({ event: 'solve.cancelled', plan: p.id, solver: s.solver, run }, 'solve cancelled before a worker started it');
      settle('');
      if (current()) { s.status = 'cancelled'; this.#emitStatus(p); }
      return;
    }
    if (error || !result) {
      if (!this.#closed) settle('');
      this.#log.error({ event: 'solve.failed', plan: p.id, solver: s.solver, run, err: error?.message }, 'solve failed');
      if (current()) {
        this.#flushTimer(s, true);
        s.status = 'failed';
        s.error = error?.message ?? 'no result';
        this.#emitStatus(p);
      }
      return;
    }
    const limited = timedOut && result.cancelled;
    result = {
      ...result,
      ...(limited ? { status: 'time limit' } : {}),
      compute: { ...result.compute, workers: { asked: p.solverParams.workers ?? null, granted: workers } },
    };
    const status: SolveStatus = result.cancelled ? 'cancelled' : 'done';
    this.#log.info({ event: 'solve.end', plan: p.id, solver: s.solver, run, status, iterations: result.iterations, cost: result.cost, total_s: result.timings.total_s }, 'solve finished');
    // the final plan with its contacts: sent, kept for late joiners, recorded
    result = { ...result, trajectory: this.#withContacts(p, result.trajectory) };
    if (current()) {
      this.#flushTimer(s, true);
      s.result = result;
      s.trajectory = result.trajectory;
      s.status = status;
      if (limited) s.error = `time limit: stopped after ${limitS} s of wall clock (the plan's limit)`;
      const fin: FinalMessage = { type: 'final', plan: p.id, solver: s.solver, run, result: { ...result, solverParams: { ...result.solverParams } } };
      s.lastFinal = fin;
      this.#emit(fin);
    }
    let recorded = item.recorded ?? '';
    if (item.recorded === undefined && this.#recordings && result.iterations > 0) {
      try {
        const info = await this.#recordings.save({ plan: p.id, run, warmStart: item.warm !== null, startedAt, finishedAt, result });
        this.#log.info({ event: 'recording.saved', plan: p.id, solver: s.solver, run, recording: info.id, size: info.size }, 'recording saved');
        recorded = info.id;
      } catch (e) {
        this.#log.error({ event: 'recording.failed', plan: p.id, solver: s.solver, err: (e as Error).message }, 'recording failed');
      }
    }
    if (current()) s.recording = recorded || null;
    if (item.recorded === undefined) settle(recorded);
    if (current()) this.#emitStatus(p);
  }

  /** Resolves when no solve is running or queued (tests). */
  async idle(): Promise<void> {
    while (this.#inflight.size > 0 || this.#queue.length > 0) await Promise.all([...this.#inflight]);
  }

  /**
   * Cancels everything and waits for the running solves to stop and their recordings to be
   * written. Remote solves are not cancelled: their jobs stay with the workers, and a server
   * started again under the same instance name takes them back (adopt).
   */
  async close(): Promise<void> {
    this.#closed = true;
    const remote = this.#remote;
    for (const p of this.#plans.values()) {
      for (const s of p.solves) {
        if (s.status === 'queued' && !remote) s.status = 'cancelled';
        if (!remote) s.abort?.abort();
        this.#flushTimer(s, false);
      }
    }
    this.#queue = [];
    if (remote) {
      // solves accepted just now are still on their way to Redis (each starts after a turn of
      // the event loop): let them get there, so the workers run them and the next server under
      // this instance name reports them
      await yieldToLoop();
      await this.#threads?.drain?.();
      await this.#threads?.close();
    }
    while (this.#inflight.size > 0) await Promise.all([...this.#inflight]);
    if (!remote) await this.#threads?.close();
  }

  /** Runs one plan where the options say (threads or inline). */
  #plan(req: SolveJob): Promise<PlanResult> {
    return this.#threads ? this.#threads.plan(req) : runPlan(req);
  }
}
