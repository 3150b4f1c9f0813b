/**
 * LiveManager: the server's live sessions (session.ts). Validates requests with the wire schemas
 * (shared/protocol.ts; errors name the field), enforces the limits of shared/limits.ts
 * (sessions at once, operator events per second, wall-clock lifetime), relays every session's
 * messages ('message' event), and writes each session's recordings when it stops (DELETE, its
 * lifetime, the server closing). Stopped sessions stay listed (with their recording ids) until
 * MAX_KEPT_STOPPED newer ones replace them.
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import {
  LiveCreateSchema, LiveParamsSchema, LivePushSchema, MAX_LIVE_EVENTS_PER_S, MAX_LIVE_KNOTS, MAX_LIVE_SESSIONS, MAX_LIVE_WALL_S, parseWith,
  type LiveEvent, type LiveMessage, type LiveState, type Parsed,
} from '../../shared/protocol.ts';
import { TASKS, resolveParams, TaskParamError } from '../control/tasks/index.ts';
import type { RecordingStore } from '../store/recordings.ts';
import { LiveInputError, LiveSession } from './session.ts';
import { saveLiveRecordings } from './recording.ts';

export { LiveInputError };

/** Stopped sessions kept in the list. */
const MAX_KEPT_STOPPED = 20;
const DEFAULT_HORIZON_S = 0.4;

interface Logger { info(o: object, m?: string): void; warn(o: object, m?: string): void; error(o: object, m?: string): void }

function parsed<T>(p: Parsed<T>): T {
  if (!p.ok) throw new LiveInputError(400, p.message, p.field);
  return p.value;
}

export class LiveManager extends EventEmitter {
  #sessions = new Map<string, LiveSession>();
  #events = new Map<string, { window: number; count: number }>();
  #lifetimes = new Map<string, NodeJS.Timeout>();
  #stopping = new Map<string, Promise<LiveState>>();
  /** Sessions being started (counted against the limit). */
  #starting = 0;

  constructor(private readonly recordings: RecordingStore | null, private readonly log?: Logger, private readonly wallLimitS = MAX_LIVE_WALL_S) { super(); }

  running(): LiveSession[] { return [...this.#sessions.values()].filter((s) => s.status === 'starting' || s.status === 'running' || s.status === 'paused'); }
  has(id: string): boolean { return this.#sessions.has(id); }
  list(): LiveState[] { return [...this.#sessions.values()].map((s) => s.state()); }

  get(id: string): LiveSession {
    const s = this.#sessions.get(id);
    if (!s) throw new LiveInputError(404, `live: unknown live session '${id}'`, 'live');
    return s;
  }

  /** Validates the request and starts a session (both worlds and their planner threads). */
  async create(body: unknown): Promise<LiveSession> {
    const req = parsed(parseWith(LiveCreateSchema, body));
    const def = TASKS.find((t) => t.name === req.task);
    if (!def) throw new LiveInputError(400, `task: unknown task '${req.task}' (known: ${TASKS.map((t) => t.name).join(', ')})`, 'task');
    const horizon = req.horizon ?? DEFAULT_HORIZON_S;
    if (req.params && 'horizon' in req.params) throw new LiveInputError(400, 'params.horizon: a live session takes its planning horizon as `horizon`', 'params.horizon');
    let params;
    try { params = resolveParams(def, { ...def.liveDefaults, ...req.params, horizon }); } catch (e) {
      if (e instanceof TaskParamError) throw new LiveInputError(400, `${e.field}: ${e.message}`, e.field === 'params.horizon' ? 'horizon' : e.field);
      throw e;
    }
    const knots = Math.round(horizon / (params.dt as number));
    if (knots > MAX_LIVE_KNOTS) throw new LiveInputError(400, `horizon: ${horizon} s at dt ${params.dt} s is ${knots} knots (at most ${MAX_LIVE_KNOTS})`, 'horizon');
    if (this.running().length + this.#starting >= MAX_LIVE_SESSIONS) {
      throw new LiveInputError(429, `live: ${MAX_LIVE_SESSIONS} live sessions are running (the limit); stop one (DELETE /api/live/:id) first`, 'live');
    }
    const ds = def.solverDefaults ?? {};
    const sp = req.solverParams ?? {};
    const solverParams = {
      // 2 smoothed + 2 exact (the polish tail): with fewer exact ones R-DDP-MPC let lift-leg fall
      iterations: sp.iterations ?? 4,
      polish: sp.polish ?? 2,
      samples: sp.samples ?? ds.samples ?? 16,
      sigma0: sp.sigma0 ?? ds.sigma0 ?? 1,
      estimator: sp.estimator ?? 'zero',
      seed: sp.seed ?? 1,
      warmup: sp.warmup ?? 30,
    };
    const id = `live-${randomBytes(6).toString('hex')}`;
    this.#starting++;
    let session: LiveSession;
    try {
      session = await LiveSession.start({
        id, task: def.name, params, solvers: req.solvers ?? ['ddp', 'rddp'], solverParams, horizon, realTimeFactor: req.realTimeFactor ?? 1,
      });
    } catch (e) {
      if (e instanceof TaskParamError) throw new LiveInputError(400, `${e.field}: ${e.message}`, e.field);
      throw new LiveInputError(422, `live: the task cannot be planned live: ${(e as Error).message}`, 'task');
    } finally {
      this.#starting--;
    }
    this.#sessions.set(id, session);
    session.on('message', (m: LiveMessage) => this.emit('message', m));
    const life = setTimeout(() => { void this.stop(id); }, this.wallLimitS * 1000);
    life.unref();
    this.#lifetimes.set(id, life);
    this.#trim();
    this.log?.info({ event: 'live.start', id, task: def.name, solvers: session.solvers, horizon }, 'live session started');
    this.emit('message', { type: 'live.status', live: session.state() } satisfies LiveMessage);
    return session;
  }

  #trim(): void {
    const stopped = [...this.#sessions.values()].filter((s) => s.status === 'stopped' || s.status === 'failed');
    for (const s of stopped.slice(0, Math.max(0, stopped.length - MAX_KEPT_STOPPED))) this.#sessions.delete(s.id);
  }

  /** Counts an operator event against the session's rate (429 beyond). */
  #rate(id: string): LiveSession {
    const s = this.get(id);
    const now = Date.now();
    const w = this.#events.get(id) ?? { window: now, count: 0 };
    if (now - w.window >= 1000) { w.window = now; w.count = 0; }
    if (++w.count > MAX_LIVE_EVENTS_PER_S) throw new LiveInputError(429, `live: at most ${MAX_LIVE_EVENTS_PER_S} operator events per second`, 'live');
    this.#events.set(id, w);
    return s;
  }

  push(id: string, body: unknown): LiveEvent {
    const s = this.get(id);
    const req = parsed(parseWith(LivePushSchema, body));
    return this.#rate(s.id).push(req.body, req.force, req.duration);
  }

  async setParams(id: string, body: unknown): Promise<LiveEvent> {
    const s = this.get(id);
    const req = parsed(parseWith(LiveParamsSchema, body));
    this.#rate(s.id);
    try {
      return await s.setParams(req.params);
    } catch (e) {
      if (e instanceof TaskParamError) throw new LiveInputError(400, `${e.field}: ${e.message}`, e.field);
      throw e;
    }
  }

  pause(id: string): LiveEvent { return this.#rate(id).pause(); }
  resume(id: string): LiveEvent { return this.#rate(id).resume(); }
  reset(id: string): Promise<LiveEvent> { return this.#rate(id).reset(); }

  /** Stops a session and writes its recordings (once; later calls get the same answer). */
  stop(id: string): Promise<LiveState> {
    const s = this.get(id);
    const pending = this.#stopping.get(id);
    if (pending) return pending;
    const p = (async () => {
      clearTimeout(this.#lifetimes.get(id));
      this.#lifetimes.delete(id);
      this.#events.delete(id);
      await s.stop();
      if (this.recordings) {
        try {
          const saved = await saveLiveRecordings(this.recordings, s, new Date());
          s.recordings = saved.map((r) => r.id);
        } catch (e) {
          s.error = `recording failed: ${(e as Error).message}`;
          this.log?.error({ event: 'live.record', id, err: (e as Error).stack }, 'live recording failed');
        }
      }
      this.log?.info({ event: 'live.stop', id, recordings: s.recordings }, 'live session stopped');
      const state = s.state();
      this.emit('message', { type: 'live.status', live: state } satisfies LiveMessage);
      return state;
    })();
    this.#stopping.set(id, p);
    return p;
  }

  async close(): Promise<void> {
    await Promise.all(this.running().map((s) => this.stop(s.id)));
  }
}
