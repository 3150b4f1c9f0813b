/**
 * Running plans as live Foxglove channels. Every solve of a plan (DDP, R-DDP) is a LiveSource
 * `/plans/<plan>/<solver>` while it runs: opened on the status that says it runs, closed
 * (channels withdrawn) on the status that says it ended (done, cancelled, failed, or queued
 * again by a replan, which reopens it when it runs). Its topics:
 * - `tf` (foxglove.FrameTransforms): the robot at the latest iterate's last knot (the state the
 *   plan reaches), frames `<plan>/<solver>/<body>` under `world`, so two solves do not collide;
 * - `robot` (foxglove.SceneUpdate): the geometry locked to those frames;
 * - `scene` and `target` (foxglove.SceneUpdate): ground and boxes, the task's target;
 * - `path` (foxglove.SceneUpdate): the latest iterate's paths of the contact frames (the feet);
 * - `iteration` (rsddp.Iteration): the numbers of each iterate sent;
 * - `series` (rsddp.Series): the task's quantities over the latest iterate's knots (arrays:
 *   Foxglove's Plot panel plots them against their index).
 * What does not change (robot, scene, target) is sent when a topic gets its first subscriber
 * and again at most once per RESEND_MS with the iterates, so later subscribers get it too.
 * Messages are built only for topics someone is subscribed to; the PlanView of a (task,
 * parameters) is built on the first such need (a task build: ~50 ms for lift-leg, on the event
 * loop, once per parameter set).
 */
import type { FinalMessage, IterateMessage, PlanState, ServerMessage } from '../../shared/protocol.ts';
import { iterationMessage, ns, SCHEMAS } from './messages.ts';
import { PlanView, type TrajectoryLike } from './plan-view.ts';
import type { LiveChannels, LiveSource } from './live.ts';

export const PLAN_TOPICS = {
  tf: SCHEMAS.frameTransforms, robot: SCHEMAS.sceneUpdate, scene: SCHEMAS.sceneUpdate, target: SCHEMAS.sceneUpdate,
  path: SCHEMAS.sceneUpdate, iteration: SCHEMAS.iteration, series: SCHEMAS.series,
};
type PlanTopic = keyof typeof PLAN_TOPICS;

/** Interval between two re-sends of the static topics (robot, scene, target), ms. */
export const RESEND_MS = 1000;

interface Stream { src: LiveSource<PlanTopic>; plan: PlanState; solver: string; run: number; lastStatic: number }

/** Where the plan manager's messages come from (PlanManager). */
export interface PlanMessages {
  on(event: 'message', fn: (m: ServerMessage) => void): unknown;
  off(event: 'message', fn: (m: ServerMessage) => void): unknown;
}

export class PlanChannels {
  #streams = new Map<string, Stream>();
  #views = new Map<string, PlanView | null>();
  #onMessage = (m: ServerMessage) => this.#handle(m);

  constructor(private plans: PlanMessages, private live: LiveChannels, private log?: { warn(o: object, m?: string): void }) {
    plans.on('message', this.#onMessage);
  }

  /** Topic prefixes of the solves streaming now. */
  prefixes(): string[] { return [...this.#streams.keys()]; }

  close(): void {
    this.plans.off('message', this.#onMessage);
    for (const s of this.#streams.values()) s.src.close();
    this.#streams.clear();
  }

  #view(p: PlanState): PlanView | null {
    const key = JSON.stringify([p.task, p.params]);
    if (!this.#views.has(key)) {
      let v: PlanView | null = null;
      try { v = new PlanView(p.task, p.params); } catch (e) { this.log?.warn({ event: 'foxglove.view_failed', plan: p.id, err: (e as Error).message }, 'no Foxglove view of the plan'); }
      if (this.#views.size >= 16) this.#views.delete(this.#views.keys().next().value!);
      this.#views.set(key, v);
    }
    return this.#views.get(key) ?? null;
  }

  #handle(m: ServerMessage): void {
    if (m.type === 'status') this.#status(m.plan);
    else if (m.type === 'iterate') this.#iterate(m);
    else if (m.type === 'final') this.#final(m);
  }

  #status(p: PlanState): void {
    for (const s of p.solves) {
      const prefix = `/plans/${p.id}/${s.solver}`;
      const cur = this.#streams.get(prefix);
      if (s.status === 'running') {
        if (cur && cur.run === s.run) { cur.plan = p; continue; }
        cur?.src.close();
        const stream: Stream = { src: null as never, plan: p, solver: s.solver, run: s.run, lastStatic: 0 };
        stream.src = this.live.open(prefix, PLAN_TOPICS, (topic) => this.#sendStatic(stream, topic));
        this.#streams.set(prefix, stream);
      } else if (cur) {
        cur.src.close();
        this.#streams.delete(prefix);
      }
    }
  }

  /** Sends robot / scene / target (one topic, or all three). */
  #sendStatic(s: Stream, only?: PlanTopic): void {
    const topics = (only ? [only] : ['robot', 'scene', 'target']).filter((t) => t === 'robot' || t === 'scene' || t === 'target') as ('robot' | 'scene' | 'target')[];
    if (!topics.some((t) => s.src.wants(t))) return;
    const view = this.#view(s.plan);
    if (!view) return;
    const t = ns(Date.now() / 1000), fp = `${s.plan.id}/${s.solver}/`;
    if (topics.includes('robot')) s.src.publish('robot', t, view.robot(t, fp));
    if (topics.includes('scene')) s.src.publish('scene', t, view.environment(t, fp));
    if (topics.includes('target')) s.src.publish('target', t, view.target(t, fp));
    if (!only) s.lastStatic = Date.now();
  }

  #trajectory(s: Stream, iteration: number, traj: TrajectoryLike): void {
    const t = ns(Date.now() / 1000), fp = `${s.plan.id}/${s.solver}/`;
    if (Date.now() - s.lastStatic >= RESEND_MS) this.#sendStatic(s);
    if (!(s.src.wants('tf') || s.src.wants('path') || s.src.wants('series'))) return;
    const view = this.#view(s.plan);
    if (!view || traj.q.length === 0 || traj.q.some((q) => q.length !== view.model.nq)) return;
    if (s.src.wants('tf')) s.src.publish('tf', t, { transforms: view.frames(traj.q[traj.q.length - 1], t, fp) });
    if (s.src.wants('path')) s.src.publish('path', t, view.path(traj, t, fp));
    if (s.src.wants('series')) s.src.publish('series', t, view.seriesMessage(traj, iteration));
  }

  #iterate(m: IterateMessage): void {
    const s = this.#streams.get(`/plans/${m.plan}/${m.solver}`);
    if (!s || s.run !== m.run) return;
    const it = iterationMessage(m.record);
    if (it) s.src.publish('iteration', ns(Date.now() / 1000), it);
    this.#trajectory(s, m.record.iteration, m.trajectory);
  }

  #final(m: FinalMessage): void {
    const s = this.#streams.get(`/plans/${m.plan}/${m.solver}`);
    if (!s || s.run !== m.run) return;
    this.#trajectory(s, m.result.iterations, m.result.trajectory);
  }
}
