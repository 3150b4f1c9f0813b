/**
 * The web client's state in one object, created once by main.ts and passed explicitly to the
 * modules that read or change it (no module-level mutable state). Data the server sends lives in
 * the stores it already has (connection.ts's ClientState, live.ts's LiveModel, the fits store);
 * this object adds what the page shows and how (mode, tab, the SlotViews on screen) and the
 * components built at start-up (null until then, or when WebGL is missing).
 */
import type { ClientState } from './connection.ts';
import { createState } from './connection.ts';
import type { DragPush } from './drag-push.ts';
import { LiveModel } from './live.ts';
import type { OverlayToggles } from './overlays.ts';
import type { TaskInfo } from './panel.ts';
import { createFitsState, type FitsState } from './perception-model.ts';
import type { PerceptionView } from './perception-view.ts';
import type { Plots } from './plots.ts';
import { RecordingsModel } from './recordings.ts';
import type { SplitView } from './scene.ts';
import type { TelemetryTable } from './telemetry.ts';
import { Timeline } from './timeline.ts';
import type { RecordingContent, SlotView } from './view-model.ts';

/** 'live': the plans; 'playback': recordings; 'mpc': the Live tab's session (robots drawn from its states). */
export type Mode = 'live' | 'playback' | 'mpc';
export type Tab = 'plan' | 'recordings' | 'live' | 'perception';

/** Where the page's time goes (ms totals), for diagnostics: __rsddp.perf in the console. */
export interface Perf { messages: number; messageMs: number; refreshes: number; refreshMs: number; frames: number; renderMs: number }

export interface AppState {
  /** The plans (the server's messages applied by connection.ts). */
  readonly plans: ClientState;
  readonly timeline: Timeline;
  readonly recModel: RecordingsModel;
  /** Recording contents loaded for playback, by id. */
  readonly recordings: Map<string, RecordingContent>;
  readonly toggles: OverlayToggles;
  readonly liveModel: LiveModel;
  readonly fits: FitsState;
  readonly perf: Perf;
  mode: Mode;
  tab: Tab;
  /** The tasks of GET /api/tasks. */
  tasks: TaskInfo[];
  /** A task and robot chosen in the panel and not planned yet: the live view shows them instead of a plan. */
  preview: { task: string; robot: string } | null;
  /** What each viewport shows (render-loop.ts recomputes them when dirty), and their keys joined. */
  slots: [SlotView | null, SlotView | null];
  slotKeys: string;
  /** The viewports' content must be recomputed (new data, mode or choice). */
  dirty: boolean;
  perceptionDirty: boolean;
  /** Bumped by anything that changes the picture outside the timeline (data, toggles, meshes). */
  renders: number;
  view: SplitView | null;
  plots: Plots | null;
  table: TelemetryTable | null;
  perception: PerceptionView | null;
  dragPush: DragPush | null;
}

export function createAppState(): AppState {
  return {
    plans: createState(), timeline: new Timeline(), recModel: new RecordingsModel(), recordings: new Map(),
    toggles: { contacts: true, forces: true, target: true, trails: true },
    liveModel: new LiveModel(), fits: createFitsState(),
    perf: { messages: 0, messageMs: 0, refreshes: 0, refreshMs: 0, frames: 0, renderMs: 0 },
    mode: 'live', tab: 'plan', tasks: [], preview: null, slots: [null, null], slotKeys: '',
    dirty: true, perceptionDirty: true, renders: 0,
    view: null, plots: null, table: null, perception: null, dragPush: null,
  };
}
