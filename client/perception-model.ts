/**
 * The Perception tab's model (pure, no DOM; unit-tested in node): what the client knows of the
 * server's pose fits from fit-status / fit-iterate / fit-final messages, the method whose pose
 * to use, the silhouette of a render (mask and outline) drawn over the target, and what a cube
 * pose estimate means for the cube-lift task.
 *
 * The fit scene's cube (server/rendering/scene.ts) has side 2 with its centre at the origin, y
 * up; the rail cube of cube-lift (robots/cube_rail.urdf) has side 0.1 m and rests with its
 * centre at 0.05 m. One render unit is therefore 0.05 m, and a cube seen `t_y` units above the
 * origin starts `0.05 + 0.05 t_y` m high. Its rotation has no counterpart: the rail holds the
 * cube upright.
 */
import type { FitIterateMsg, FitMethod, FitRecordingContent, FitRecordingInfo, FitResultMsg, FitState, PoseArrays, ServerMessage } from '../shared/protocol.ts';

export const FIT_METHOD_ORDER: readonly FitMethod[] = ['hard', 'softras', 'perturbed'];
export const METHOD_COLORS: Record<FitMethod, string> = { hard: '#6b7280', softras: '#2563eb', perturbed: '#dc2626' };
export const METHOD_TITLES: Record<FitMethod, string> = { hard: 'hard', softras: 'SoftRas', perturbed: 'perturbed' };

/** Metres per render unit (half the rail cube's 0.1 m side), and the rail cube's resting height. */
export const CUBE_HALF_SIDE_M = 0.05;
export const CUBE_REST_HEIGHT_M = 0.05;
/** cube-lift's initialHeight range (server/control/tasks/cube-lift.ts). */
export const INITIAL_HEIGHT_MAX_M = 1.5;

export type { PoseArrays };

export interface FitMethodView {
  method: FitMethod;
  status: FitState['methods'][number]['status'];
  /** Telemetry by iteration (iterates are throttled: the final fills the gaps). */
  history: FitIterateMsg[];
  pose: PoseArrays | null;
  /** The latest render (PNG, base64) and the iteration it shows; once finished, the estimate's exact render. */
  image: { iteration: number; png: string } | null;
  /** Every render received (or recorded), by iteration: what the iteration slider shows. */
  images: { iteration: number; png: string }[];
  final: FitResultMsg | null;
  error: string | null;
  /** "on lab-2:4121" when a cluster worker ran it (servers with --redis), else null. */
  where: string | null;
}

export interface FitView { state: FitState; methods: Partial<Record<FitMethod, FitMethodView>> }

export interface FitsState {
  fits: Map<string, FitView>;
  /** The fit on screen: the one this client started, else the newest. */
  current: string | null;
}

export function createFitsState(): FitsState {
  return { fits: new Map(), current: null };
}

function methodView(m: FitState['methods'][number]): FitMethodView {
  return { method: m.method, status: m.status, history: [], pose: null, image: null, images: [], final: null, error: m.error, where: whereOf(m) };
}

/** Where a method ran, as the Plan tab says it of a solve (view-model.ts). */
function whereOf(m: FitState['methods'][number]): string | null {
  return m.where ? `on ${m.where.worker}${m.where.attempt > 1 ? ` (attempt ${m.where.attempt})` : ''}` : null;
}

function addPoint(h: FitIterateMsg[], p: FitIterateMsg): void {
  const i = h.findIndex((x) => x.iteration >= p.iteration);
  if (i < 0) h.push(p);
  else if (h[i].iteration === p.iteration) h[i] = p;
  else h.splice(i, 0, p);
}

/** Applies a server message to the fits store; false when it is not a fit message. */
export function applyFitMessage(s: FitsState, msg: ServerMessage): boolean {
  switch (msg.type) {
    case 'fit-status': {
      let v = s.fits.get(msg.fit.id);
      if (!v) { v = { state: msg.fit, methods: {} }; s.fits.set(msg.fit.id, v); }
      v.state = msg.fit;
      for (const m of msg.fit.methods) {
        const mv = (v.methods[m.method] ??= methodView(m));
        // a final already says how it ended
        if (!mv.final || m.status === 'failed') mv.status = m.status;
        mv.error = m.error;
        mv.where = whereOf(m);
      }
      if (!s.current || !s.fits.has(s.current)) s.current = msg.fit.id;
      return true;
    }
    case 'fit-iterate': {
      const mv = s.fits.get(msg.fit)?.methods[msg.method];
      if (!mv || mv.final) return true; // a late iterate never replaces the final
      if (mv.status === 'queued') mv.status = 'running';
      addPoint(mv.history, msg.record);
      mv.pose = msg.pose;
      if (msg.image && (!mv.image || msg.image.iteration >= mv.image.iteration)) mv.image = msg.image;
      if (msg.image && !mv.images.some((x) => x.iteration === msg.image!.iteration)) {
        mv.images.push(msg.image);
        mv.images.sort((a, b) => a.iteration - b.iteration);
      }
      return true;
    }
    case 'fit-final': {
      const mv = s.fits.get(msg.fit)?.methods[msg.method];
      if (!mv) return true;
      const r = msg.result;
      mv.final = r;
      mv.history = r.telemetry.slice();
      mv.pose = { rotation: r.rotation, translation: r.translation };
      // the estimate: the hard render of the pose returned (lowest loss seen)
      mv.image = { iteration: r.iterations, png: r.image };
      mv.status = r.cancelled ? 'cancelled' : 'done';
      return true;
    }
    default:
      return false;
  }
}

/**
 * The render to show at `iteration` (null: the latest, or the estimate once finished): the last
 * render at or before it (the first one when none is).
 */
export function imageAt(mv: FitMethodView, iteration: number | null): { iteration: number; png: string } | null {
  if (iteration === null || mv.images.length === 0) return mv.image;
  let out = mv.images[0];
  for (const im of mv.images) if (im.iteration <= iteration) out = im;
  return out;
}

/** Fits newest first (a picker). */
export function fitsNewestFirst(s: FitsState): FitView[] {
  return [...s.fits.values()].sort((a, b) => (a.state.createdAt < b.state.createdAt ? 1 : a.state.createdAt > b.state.createdAt ? -1 : 0));
}

/**
 * The method whose estimate to use: among the finished methods, the lowest loss (the
 * criterion the fit itself uses, and the only one when the target is an image of unknown pose).
 */
export function bestMethod(v: FitView): FitMethodView | null {
  let best: FitMethodView | null = null;
  for (const m of FIT_METHOD_ORDER) {
    const mv = v.methods[m];
    const loss = mv?.final?.bestLoss;
    if (!mv || loss === null || loss === undefined) continue;
    if (!best || loss < best.final!.bestLoss!) best = mv;
  }
  return best;
}

/** cube-lift parameters for a cube pose estimate: its height on the rail (see the header). */
export function cubeLiftParamsFromPose(pose: PoseArrays): { initialHeight: number } {
  const h = CUBE_REST_HEIGHT_M + CUBE_HALF_SIDE_M * pose.translation[1];
  return { initialHeight: Math.min(INITIAL_HEIGHT_MAX_M, Math.max(CUBE_REST_HEIGHT_M, Math.round(h * 1e4) / 1e4)) };
}

/** Render units of a cube height on the rail (the inverse map, for targets). */
export function renderHeightOf(heightM: number): number {
  return (heightM - CUBE_REST_HEIGHT_M) / CUBE_HALF_SIDE_M;
}

/** 1 where a pixel (RGBA bytes) is brighter than the black background by more than `threshold` (0..1). */
export function silhouetteMask(rgba: ArrayLike<number>, w: number, h: number, threshold = 0.08): Uint8Array {
  const m = new Uint8Array(w * h);
  const t = threshold * 255;
  for (let i = 0; i < w * h; i++) m[i] = Math.max(rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2]) > t ? 1 : 0;
  return m;
}

/** The mask's outline: inside pixels with a 4-neighbour outside (or on the image border). */
export function maskOutline(mask: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!mask[i]) continue;
      if (x === 0 || y === 0 || x === w - 1 || y === h - 1 || !mask[i - 1] || !mask[i + 1] || !mask[i - w] || !mask[i + w]) out[i] = 1;
    }
  }
  return out;
}

/** Intersection over union of two masks (1 when both are empty). */
export function maskIoU(a: Uint8Array, b: Uint8Array): number {
  let inter = 0, union = 0;
  for (let i = 0; i < a.length; i++) { inter += a[i] & b[i]; union += a[i] | b[i]; }
  return union === 0 ? 1 : inter / union;
}

/** A uniformly random rotation as axis-angle (Shoemake's quaternion), from uniforms in [0, 1). */
export function randomRotation(rand: () => number): number[] {
  const u0 = rand(), u1 = rand(), u2 = rand();
  const a = Math.sqrt(1 - u0), b = Math.sqrt(u0);
  let x = a * Math.sin(2 * Math.PI * u1), y = a * Math.cos(2 * Math.PI * u1), z = b * Math.sin(2 * Math.PI * u2), w = b * Math.cos(2 * Math.PI * u2);
  if (w < 0) { x = -x; y = -y; z = -z; w = -w; }
  const s = Math.hypot(x, y, z);
  if (s < 1e-12) return [0, 0, 0];
  const angle = 2 * Math.atan2(s, w);
  return [(x / s) * angle, (y / s) * angle, (z / s) * angle];
}

/** Histories aligned on a common iteration axis (uPlot's layout); `value` null or non-finite is a gap, `positive` drops values <= 0 (log scales). */
export function alignFitSeries(series: readonly (readonly FitIterateMsg[])[], value: (p: FitIterateMsg) => number | null, positive: boolean): [number[], ...(number | null)[][]] {
  const xs = [...new Set(series.flatMap((s) => s.map((p) => p.iteration)))].sort((a, b) => a - b);
  const pos = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map((s) => {
    const y: (number | null)[] = new Array(xs.length).fill(null);
    for (const p of s) {
      const v = value(p);
      y[pos.get(p.iteration)!] = v !== null && Number.isFinite(v) && (!positive || v > 0) ? v : null;
    }
    return y;
  });
  return [xs, ...ys];
}

/** One line per method: "it 120/300 · loss 1.2e-2 · σ 8.3e-4 · 12.3°" (the error when known). */
export function methodLine(mv: FitMethodView | undefined, iterations: number): string {
  if (!mv) return '–';
  const last = mv.history[mv.history.length - 1];
  const parts: string[] = [mv.status];
  if (last) {
    parts.push(`it ${last.iteration + 1}/${iterations}`);
    if (last.loss !== null) parts.push(`loss ${last.loss.toExponential(2)}`);
    parts.push(`σ ${last.sigma.toExponential(1)}`);
  }
  const err = mv.final ? mv.final.errorDeg : last?.errorDeg ?? null;
  if (err !== null && err !== undefined) parts.push(`${err.toFixed(1)}°${mv.final ? (mv.final.success ? ' ✓' : ' ✗') : ''}`);
  if (mv.where) parts.push(mv.where);
  if (mv.error) parts.push(mv.error);
  return parts.join(' · ');
}

/** GET /api/recordings `fits` entries and GET /api/recordings/:id of a fit (server/store/fit-recordings.ts): the shared schemas' types. */
export type { FitRecordingContent, FitRecordingInfo };

/** A recorded fit method as a fit view of its own (key `rec:<id>`), shown like a live one. */
export function fitViewFromRecording(c: FitRecordingContent): FitView {
  const m = c.metadata;
  const state: FitState = {
    id: `rec:${m.id}`, object: m.object, size: m.imageSize, iterations: m.iterations, seed: m.seed,
    status: m.cancelled ? 'cancelled' : 'done', createdAt: m.startedAt, target: m.target, targetPose: m.targetPose, initialPose: m.initialPose,
    translation: m.fitsTranslation, targetUrl: c.target ? `data:image/png;base64,${c.target}` : '',
    methods: [{ method: m.method, status: m.cancelled ? 'cancelled' : 'done', iteration: m.iterations, loss: m.bestLoss, errorDeg: m.errorDeg, success: m.success, error: null, recording: m.id }],
  };
  const last = c.images[c.images.length - 1] ?? null;
  const final: FitResultMsg = {
    method: m.method, rotation: m.pose.rotation, translation: m.pose.translation, errorDeg: m.errorDeg, lastErrorDeg: null,
    initialErrorDeg: m.initialErrorDeg, success: m.success, bestLoss: m.bestLoss, iterations: m.iterations, timeMs: m.timeMs,
    cancelled: m.cancelled, image: last?.png ?? '', telemetry: c.telemetry,
  };
  return {
    state,
    methods: { [m.method]: { method: m.method, status: state.status, history: c.telemetry.slice(), pose: m.pose, image: last, images: c.images.filter((x) => x.iteration >= 0), final, error: null, where: null } },
  };
}
