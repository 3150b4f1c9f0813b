/**
 * `window.__rsddp`: read-only views of what is on screen, for the end-to-end tests
 * (test/e2e/*) and the console.
 */
import * as THREE from 'three';
import type { AppState } from './app-state.ts';
import type { Connection } from './connection.ts';
import type { Viewports } from './viewports.ts';

export function exposeDebugHooks(app: AppState, viewports: Viewports, conn: Connection): void {
  const { timeline, recModel, perf, liveModel, fits } = app;
  const { vps, derived } = viewports;
  (window as unknown as { __rsddp: unknown }).__rsddp = {
    state: app.plans, timeline, recordings: recModel, perf: () => ({ ...perf, parseMs: conn.parseMs }),
    mode: () => app.mode,
    live: () => ({ id: liveModel.id, state: liveModel.state, frames: liveModel.frames, plans: Object.fromEntries([...liveModel.plans].map(([k, p]) => [k, { replan: p.replan, step: p.step, knots: p.q.length }])), states: Object.fromEntries([...liveModel.states].map(([k, x]) => [k, { step: x.step, t: x.t, q: x.q }])) }),
    slots: () => app.slots.map((s) => (s ? { key: s.key, solver: s.solver, status: s.status, iteration: s.iteration, knots: s.trajectory?.q.length ?? 0, source: s.source } : null)),
    jointValues: () => ({ ddp: vps[0].robot?.jointValues() ?? null, rddp: vps[1].robot?.jointValues() ?? null }),
    loadedRobot: () => vps[0].robotId,
    loadedRobots: () => vps.map((v) => v.robotId),
    /** The robot's mesh objects in each viewport (loaded meshes, their triangles). */
    meshStats: () => vps.map((v) => v.robot?.meshStats() ?? null),
    preview: () => app.preview,
    overlays: () => vps.map((v) => v.overlays?.stats() ?? null),
    trace: () => derived.map((d) => d?.trace ?? null),
    /** The extra series per viewport: id -> values per knot. */
    extras: () => derived.map((d) => (d ? Object.fromEntries(d.tv.extras.map((e, j) => [e.id, d.extras[j]])) : null)),
    target: () => derived.map((d) => d?.target ?? null),
    reconnect: (holdMs = 0) => conn.drop(holdMs),
    timePlots: () => app.plots?.timePlots() ?? [],
    view: () => app.view,
    /** The drag-to-push in progress (body and force), null when none. */
    dragPush: () => app.dragPush?.current ?? null,
    /** Where a link of viewport i's robot is on the page (client pixels), for the end-to-end test. */
    linkOnPage: (i: number, link: string) => {
      const r = vps[i]?.robot?.robot, v = app.view;
      const o = r ? (r as unknown as { links: Record<string, THREE.Object3D> }).links[link] : undefined;
      if (!o || !v) return null;
      const p = o.getWorldPosition(new THREE.Vector3()).project(v.camera);
      const rect = v.renderer.domElement.getBoundingClientRect(), vw = rect.width / v.viewports.length;
      return { x: rect.left + i * vw + ((p.x + 1) / 2) * vw, y: rect.top + ((1 - p.y) / 2) * rect.height };
    },
    /** The Perception tab: fits known, the one on screen, silhouette IoU per method. */
    fits: () => ({ current: fits.current, ids: [...fits.fits.keys()], iou: app.perception ? { ...app.perception.iou } : {}, poses3d: app.perception?.scene3d?.poses() ?? null }),
  };
}
