/**
 * The robots in the two viewports: each robot's summary fetched once (GET /api/robots/:id), its
 * off-screen forward kinematics (FrameSampler), the RobotView and overlays per viewport, and the
 * data derived per viewport from what it shows (the frames tracked over the trajectory, the
 * target, the traced quantity and the task's extra series), cached per trajectory and task.
 */
import * as THREE from 'three';
import type { AppState } from './app-state.ts';
import { FrameSampler } from './kinematics.ts';
import type { Overlays } from './overlays.ts';
import type { Slot } from './recordings.ts';
import { fetchRobot, RobotView, type RobotSummary } from './robot-view.ts';
import { targetPoint, taskView, trackedFrames, traceValues, type FrameTrack, type RobotFrames, type TaskView, type V3 } from './task-view.ts';
import type { SlotView } from './view-model.ts';
import type { TrajectoryMsg } from '../shared/protocol.ts';

export const SLOTS: Slot[] = [0, 1];

export interface Viewport { robotId: string | null; loading: string | null; robot: RobotView | null; overlays: Overlays | null; framed: string | null }

/** What a viewport shows, derived from its SlotView (FK over the trajectory, target, traced values). */
export interface Derived { traj: TrajectoryMsg; key: string; tv: TaskView; track: FrameTrack | null; target: V3 | null; trace: number[]; extras: number[][] }

/** What task-view.ts reads of a robot. */
export function robotFrames(sampler: FrameSampler): RobotFrames {
  const s = sampler.summary;
  return { links: sampler.links, contactFrames: s.contactFrames ?? [], joints: s.joints, legs: s.legs ?? null, endEffector: s.endEffector ?? null };
}

/** The track restricted to some frames (the task's trails). */
export function filterTrack(t: FrameTrack, frames: string[]): FrameTrack {
  return { knots: t.knots, pos: new Map([...t.pos].filter(([f]) => frames.includes(f))) };
}

export class Viewports {
  readonly vps: Viewport[] = SLOTS.map(() => ({ robotId: null, loading: null, robot: null, overlays: null, framed: null }));
  readonly derived: (Derived | null)[] = [null, null];
  readonly samplers = new Map<string, FrameSampler>();
  readonly #summaries = new Map<string, Promise<RobotSummary>>();
  /** Robot and task pairs the camera was pointed at already (frameOnce). */
  readonly #framed = new Set<string>();

  constructor(private readonly app: AppState, private readonly showError: (message: string) => void) {}

  /** A robot's summary, fetched once (a failed fetch is retried next time). */
  summary(id: string): Promise<RobotSummary> {
    let p = this.#summaries.get(id);
    if (!p) {
      p = fetchRobot(id);
      this.#summaries.set(id, p);
      p.catch(() => this.#summaries.delete(id));
    }
    return p;
  }

  /** Loads robot `id` into viewport i (nothing when it is there or on its way); frames the camera on a robot new to both viewports. */
  async ensureRobot(i: Slot, id: string): Promise<void> {
    const vp = this.vps[i], view = this.app.view;
    if (!view || vp.robotId === id || vp.loading === id) return;
    vp.loading = id;
    try {
      const s = await this.summary(id);
      if (vp.loading !== id) return; // superseded
      if (!this.samplers.has(id)) this.samplers.set(id, new FrameSampler(s));
      vp.robot?.dispose();
      const r = new RobotView(s, () => { this.app.dirty = true; });
      const posture = s.postures ? Object.values(s.postures)[0] : undefined;
      if (posture) r.setQ(posture);
      view.viewports[i].scene.add(r.robot);
      vp.robot = r;
      vp.robotId = id;
      this.derived[i] = null;
      if (this.vps.every((v) => v.framed !== id)) {
        const box = new THREE.Box3().setFromObject(r.robot);
        if (!box.isEmpty()) view.frame(box.getCenter(new THREE.Vector3()), box.getSize(new THREE.Vector3()).length());
      }
      vp.framed = id;
      this.app.dirty = true;
    } catch (e) {
      this.showError(`robot ${id}: ${(e as Error).message}`);
    } finally {
      if (vp.loading === id) vp.loading = null;
    }
  }

  /** Viewport i's derived data for SlotView s (null until its robot is loaded), recomputed when the trajectory or the task changes. */
  derive(i: Slot, s: SlotView | null): Derived | null {
    const t = s?.trajectory;
    if (!s || !t) return (this.derived[i] = null);
    const sampler = this.samplers.get(s.robot);
    if (!sampler || this.vps[i].robotId !== s.robot) return (this.derived[i] = null);
    const key = `${s.task}|${JSON.stringify(s.params)}`;
    const c = this.derived[i];
    if (c && c.traj === t && c.key === key) return c;
    const tv = taskView(s.task, s.params, robotFrames(sampler));
    const track = t.q.length && t.q[0].length === sampler.summary.nq ? sampler.track(t.q, trackedFrames(tv)) : null;
    const target = targetPoint(tv.target, track, (q, f) => sampler.at(q, f));
    const trace = traceValues(tv.trace, track, t.q);
    const extras = tv.extras.map((e) => traceValues(e, track, t.q));
    return (this.derived[i] = { traj: t, key, tv, track, target, trace, extras });
  }

  /**
   * Points the camera at the robot, its trails and its target, once per robot and task (the first
   * time a trajectory of it is shown): a pendulum swinging up leaves the box of its hanging pose.
   */
  frameOnce(ds: (Derived | null)[]): void {
    const view = this.app.view;
    const i = SLOTS.find((k) => ds[k]?.track && this.vps[k].robot);
    if (i === undefined || !view) return;
    const s = this.app.slots[i]!, d = ds[i]!;
    const key = `${s.robot}|${s.task}`;
    if (this.#framed.has(key)) return;
    this.#framed.add(key);
    const box = new THREE.Box3().setFromObject(this.vps[i].robot!.robot);
    const v = new THREE.Vector3();
    for (const p of d.track!.pos.values()) for (let k = 0; k < p.length; k += 3) box.expandByPoint(v.set(p[k], p[k + 1], p[k + 2]));
    if (d.target) box.expandByPoint(v.set(...d.target));
    if (!box.isEmpty()) view.frame(box.getCenter(new THREE.Vector3()), box.getSize(new THREE.Vector3()).length());
  }
}
