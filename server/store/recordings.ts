/**
 * Recordings: every finished or cancelled solve saved as one MCAP file (@mcap/core).
 *
 * File layout (one file per solve run, `<dataDir>/<id>.mcap`):
 * - a Metadata record `rsddp` (robot, task, params, solver, seed, solver params, project version,
 *   timings, status, plan id, run) — all values JSON-encoded strings;
 * - `/telemetry`: one JSON message per iteration (IterationRecord), log time = start + the
 *   cumulative iteration times;
 * - `/trajectory`: the final trajectory (JSON: dt, q, v, u, and `contacts` per knot when traced);
 * - `/iterations`: `rsddp.Iteration` per iteration (iteration, cost, sigma, step length,
 *   regularization, gradient norm, accepted, ms; a JSON schema with its fields, for Foxglove's
 *   Plot panel), at the same log times as `/telemetry`;
 * - `/tf`: Foxglove's well-known `foxglove.FrameTransform` (JSON encoding), one transform per
 *   body per knot (parent body or `world` → body), log time = start + k dt;
 * - `/robot`: `foxglove.SceneUpdate` at the start: the robot's visual geometry, one entity per
 *   body locked to its /tf frame (meshes embedded when inside the robot's folder,
 *   foxglove/robot-scene.ts), so Foxglove's 3D panel draws the robot moving;
 * - `/scene`: the ground and the static boxes; `/target`: the task's target (tasks with one);
 * - `/knots`: `rsddp.Knot` per knot: the task's time series (its trace first: e.g. lift-leg's
 *   foot height, other feet, base height, knee angle), at start + k dt;
 * - `/contacts`: `foxglove.SceneUpdate` per knot (when the trajectory carries contacts): a
 *   sphere at each contact point and an arrow along its force, 1 cm per newton.
 * Schemas of the foxglove.* topics: Foxglove's own (@foxglove/schemas); the layout
 * docs/foxglove-layout.json arranges them like the web client.
 *
 * Pose fits (api/fits.ts) are recorded in the same folder by fit-recordings.ts through
 * `writeMcap` (metadata record `rsddp.fit`, kind 'fit'); `list()` returns them under `fits`.
 *
 * Written to `.<id>.mcap.tmp` and renamed, so a crash never leaves a half file listed. Files
 * that cannot be read are reported in `list().errors` and skipped. The folder is the index:
 * a restarted server lists what is there.
 */
import { lstat, mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { McapIndexedReader, McapWriter, type IReadable, type IWritable } from '@mcap/core';
import type { IterationRecordMsg, PlanResult, RecordingContent, RecordingInfo, RecordingList, RecordingMeta, TrajectoryMsg } from '../../shared/protocol.ts';
import { iterationMessage, ns, quatFromX, SCHEMAS, stamp, type TopicSchema } from '../foxglove/messages.ts';
import { PlanView } from '../foxglove/plan-view.ts';
import { FIT_METADATA, isFitMeta, type FitRecordingInfo, type FitRecordingMeta } from './fit-meta.ts';

export type AnyRecordingMeta = RecordingMeta | FitRecordingMeta;

export const PROJECT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PROJECT_VERSION: string = (() => {
  try { return JSON.parse(readFileSync(path.join(PROJECT_DIR, 'package.json'), 'utf8')).version as string; } catch { return 'unknown'; }
})();

/** Metadata, listing and content of a plan recording: defined once, on the wire (shared/protocol.ts RecordingMetaSchema, RecordingInfoSchema, RecordingContentSchema). */
export type { RecordingContent, RecordingInfo, RecordingMeta };

export interface SaveInput {
  plan: string;
  run: number;
  warmStart: boolean;
  startedAt: Date;
  finishedAt: Date;
  result: PlanResult;
  /** 'live' for a live session's world (server/live/recording.ts); absent for a plan. */
  kind?: 'plan' | 'live';
  /** More topics (JSON messages, jsonschema encoding), e.g. a live session's states, plans and events. */
  extras?: ExtraTopic[];
}

/** A topic written besides the plan's own: its name, schema title and timestamped messages. */
export interface ExtraTopic {
  topic: string;
  schema: string;
  messages: { t: bigint; message: unknown }[];
}

/** Contact arrows in Foxglove: metres of arrow per newton of contact force. */
const ARROW_M_PER_N = 0.01;

/**
 * One knot's contacts as a foxglove.SceneUpdate: an orange sphere at every contact point and
 * an arrow along its world force (ARROW_M_PER_N), all in one entity `contacts` that the next
 * knot replaces (an empty one clears it).
 */
function contactScene(t: bigint, contacts: readonly { p: readonly number[]; f: readonly number[] }[]): unknown {
  const color = { r: 1, g: 0.45, b: 0.1, a: 1 };
  const arrows = [], spheres = [];
  for (const c of contacts) {
    const [fx, fy, fz] = c.f;
    const pos = { x: c.p[0], y: c.p[1], z: c.p[2] };
    spheres.push({ pose: { position: pos, orientation: { x: 0, y: 0, z: 0, w: 1 } }, size: { x: 0.012, y: 0.012, z: 0.012 }, color });
    const n = Math.hypot(fx, fy, fz);
    if (!(n > 1e-9)) continue;
    arrows.push({
      pose: { position: pos, orientation: quatFromX(fx / n, fy / n, fz / n) },
      shaft_length: Math.max(0, n * ARROW_M_PER_N - 0.01), shaft_diameter: 0.004, head_length: 0.01, head_diameter: 0.01, color,
    });
  }
  return {
    deletions: [],
    entities: [{
      timestamp: stamp(t), frame_id: 'world', id: 'contacts', lifetime: { sec: 0, nsec: 0 }, frame_locked: false, metadata: [],
      arrows, cubes: [], spheres, cylinders: [], lines: [], triangles: [], texts: [], models: [],
    }],
  };
}

const ID_RE = /^[A-Za-z0-9_-]{1,200}$/;
/** A recording that exists but cannot be served: damaged, a symbolic link, not a regular file (HTTP 422). */
export class RecordingError extends Error {}

export function isRecordingId(id: string): boolean { return ID_RE.test(id); }

const enc = new TextEncoder();
const dec = new TextDecoder();

class FileWritable implements IWritable {
  #pos = 0n;
  constructor(private fh: FileHandle) {}
  async write(buffer: Uint8Array): Promise<unknown> {
    await this.fh.write(buffer);
    this.#pos += BigInt(buffer.byteLength);
    return undefined;
  }
  position(): bigint { return this.#pos; }
}

class FileReadable implements IReadable {
  constructor(private fh: FileHandle, private bytes: number) {}
  async size(): Promise<bigint> { return BigInt(this.bytes); }
  async read(offset: bigint, size: bigint): Promise<Uint8Array> {
    if (offset + size > BigInt(this.bytes)) throw new Error(`read past the end (${offset}+${size} > ${this.bytes})`);
    const buf = new Uint8Array(Number(size));
    await this.fh.read(buf, 0, buf.byteLength, Number(offset));
    return buf;
  }
}

export class RecordingStore {
  readonly dir: string;
  /** What Foxglove shows of each (task, parameters), built once (null: the task cannot be built). */
  #views = new Map<string, PlanView | null>();
  #cache = new Map<string, { mtimeMs: number; size: number; meta: AnyRecordingMeta }>();
  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    // leftovers of writes interrupted by a crash
    for (const f of await readdir(this.dir)) if (f.endsWith('.mcap.tmp')) await rm(path.join(this.dir, f), { force: true });
  }

  filePath(id: string): string {
    if (!isRecordingId(id)) throw new Error(`invalid recording id '${id}'`);
    return path.join(this.dir, `${id}.mcap`);
  }

  #view(task: string, params: Record<string, number | string>): PlanView | null {
    const key = JSON.stringify([task, params]);
    if (!this.#views.has(key)) {
      let v: PlanView | null = null;
      try { v = new PlanView(task, params); } catch { v = null; }
      if (this.#views.size >= 32) this.#views.delete(this.#views.keys().next().value!);
      this.#views.set(key, v);
    }
    return this.#views.get(key) ?? null;
  }

  async save(input: SaveInput): Promise<RecordingInfo> {
    const r = input.result;
    const id = `${input.plan}-${r.solver}-r${input.run}`;
    const meta: RecordingMeta = {
      id, plan: input.plan, run: input.run, robot: r.robot, task: r.task, params: r.params, solver: r.solver, seed: r.seed,
      solverParams: { ...r.solverParams }, projectVersion: PROJECT_VERSION, status: r.cancelled ? 'cancelled' : r.status,
      cancelled: r.cancelled, success: r.success, iterations: r.iterations, cost: r.cost, warmStart: input.warmStart,
      startedAt: input.startedAt.toISOString(), finishedAt: input.finishedAt.toISOString(), timings: r.timings, metrics: r.metrics,
      ...(input.kind ? { kind: input.kind } : {}),
    };
    const size = await this.writeMcap(id, meta, async (w) => {
      const metaStrings = new Map<string, string>(Object.entries(meta).map(([k, v]) => [k, JSON.stringify(v)]));
      await w.addMetadata({ name: 'rsddp', metadata: metaStrings });
      const jsonSchema = (title: string) => enc.encode(JSON.stringify({ title, type: 'object' }));
      const telSchema = await w.registerSchema({ name: 'rsddp.IterationRecord', encoding: 'jsonschema', data: jsonSchema('rsddp.IterationRecord') });
      const trajSchema = await w.registerSchema({ name: 'rsddp.Trajectory', encoding: 'jsonschema', data: jsonSchema('rsddp.Trajectory') });
      const schemaIds = new Map<string, number>();
      const channel = async (topic: string, s: TopicSchema) => {
        let id = schemaIds.get(s.name);
        if (id === undefined) { id = await w.registerSchema({ name: s.name, encoding: s.encoding, data: enc.encode(s.schema) }); schemaIds.set(s.name, id); }
        return w.registerChannel({ topic, schemaId: id, messageEncoding: 'json', metadata: new Map() });
      };
      const telCh = await w.registerChannel({ topic: '/telemetry', schemaId: telSchema, messageEncoding: 'json', metadata: new Map() });
      const trajCh = await w.registerChannel({ topic: '/trajectory', schemaId: trajSchema, messageEncoding: 'json', metadata: new Map() });
      const tfCh = await channel('/tf', SCHEMAS.frameTransform);
      const contactCh = await channel('/contacts', SCHEMAS.sceneUpdate);
      const iterCh = await channel('/iterations', SCHEMAS.iteration);
      let seq = 0;
      const add = (channelId: number, t: bigint, msg: unknown) =>
        w.addMessage({ channelId, sequence: seq++, logTime: t, publishTime: t, data: enc.encode(JSON.stringify(msg)) });
      const t0 = ns(input.startedAt.getTime() / 1000);
      let tIter = t0;
      for (const rec of r.telemetry) {
        tIter += ns(rec.times.total / 1000);
        await add(telCh, tIter, rec);
        const it = iterationMessage(rec);
        if (it) await add(iterCh, tIter, it);
      }
      const tEnd = ns(input.finishedAt.getTime() / 1000);
      await add(trajCh, tEnd, r.trajectory);
      // what Foxglove draws: the robot on its frames, the environment, the target, the task's series per knot
      const traj = r.trajectory;
      const view = this.#view(r.task, r.params);
      if (view && traj.q.every((q) => q.length === view.model.nq)) {
        await add(await channel('/robot', SCHEMAS.sceneUpdate), t0, view.robot(t0));
        await add(await channel('/scene', SCHEMAS.sceneUpdate), t0, view.environment(t0));
        if (view.hasTarget()) await add(await channel('/target', SCHEMAS.sceneUpdate), t0, view.target(t0));
        const knotCh = await channel('/knots', SCHEMAS.knot);
        for (const { t, message } of view.knots(traj, t0)) await add(knotCh, t, message);
        for (let k = 0; k < traj.q.length; k++) {
          const t = t0 + ns(k * traj.dt);
          for (const msg of view.frames(traj.q[k], t)) await add(tfCh, t, msg);
        }
      }
      const contacts = r.trajectory.contacts;
      if (contacts) {
        for (let k = 0; k < contacts.length; k++) {
          const t = t0 + ns(k * r.trajectory.dt);
          await add(contactCh, t, contactScene(t, contacts[k]));
        }
      }
      for (const x of input.extras ?? []) {
        const sid = await w.registerSchema({ name: x.schema, encoding: 'jsonschema', data: jsonSchema(x.schema) });
        const ch = await w.registerChannel({ topic: x.topic, schemaId: sid, messageEncoding: 'json', metadata: new Map() });
        for (const m of x.messages) await add(ch, m.t, m.message);
      }
    });
    return { ...meta, file: `${id}.mcap`, size };
  }

  /**
   * Writes recording `id` (the plan recordings above, the fit recordings of
   * fit-recordings.ts): `body` adds the metadata record and the messages to a started writer;
   * written to a temporary file and renamed. Returns the file's size.
   */
  async writeMcap(id: string, meta: AnyRecordingMeta, body: (w: McapWriter) => Promise<void>): Promise<number> {
    const final = this.filePath(id);
    const tmp = path.join(this.dir, `.${id}.mcap.tmp`);
    const fh = await open(tmp, 'w');
    try {
      const w = new McapWriter({ writable: new FileWritable(fh) });
      await w.start({ profile: '', library: `rsddp ${PROJECT_VERSION}` });
      await body(w);
      await w.end();
      await fh.sync();
    } catch (e) {
      await fh.close().catch(() => {});
      await rm(tmp, { force: true });
      throw e;
    }
    await fh.close();
    await rename(tmp, final);
    const st = await stat(final);
    this.#cache.set(id, { mtimeMs: st.mtimeMs, size: st.size, meta });
    return st.size;
  }

  async #open<T>(id: string, fn: (reader: McapIndexedReader) => Promise<T>): Promise<T> {
    const file = this.filePath(id);
    const fh = await open(file, 'r');
    try {
      const st = await fh.stat();
      const reader = await McapIndexedReader.Initialize({ readable: new FileReadable(fh, st.size) });
      return await fn(reader);
    } finally {
      await fh.close();
    }
  }

  static async metaOf(reader: McapIndexedReader): Promise<RecordingMeta> {
    const m = await RecordingStore.anyMetaOf(reader);
    if (isFitMeta(m)) throw new Error('a pose-fit recording, not a plan recording');
    return m;
  }

  /** The metadata record of a plan recording ('rsddp') or of a pose fit's ('rsddp.fit', kind 'fit'). */
  static async anyMetaOf(reader: McapIndexedReader): Promise<AnyRecordingMeta> {
    for await (const m of reader.readMetadata({ name: FIT_METADATA })) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of m.metadata) out[k] = JSON.parse(v);
      if (typeof out.id !== 'string' || out.kind !== 'fit' || typeof out.method !== 'string') throw new Error('fit metadata record lacks id / kind / method');
      return out as unknown as FitRecordingMeta;
    }
    for await (const m of reader.readMetadata({ name: 'rsddp' })) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of m.metadata) out[k] = JSON.parse(v);
      if (typeof out.id !== 'string' || typeof out.solver !== 'string') throw new Error('metadata record lacks id / solver');
      return out as unknown as RecordingMeta;
    }
    throw new Error('no rsddp metadata record');
  }

  /**
   * Metadata of a recording, after a full integrity pass (every chunk read, its CRC checked):
   * a file damaged in the middle is an error here, when listing, rather than at the first read.
   * The verdict is cached by mtime and size, so listing stays cheap. Only regular files count: a
   * symbolic link in the data folder (which could point anywhere) is refused.
   */
  async #meta(id: string): Promise<{ meta: AnyRecordingMeta; size: number }> {
    const st = await lstat(this.filePath(id));
    if (st.isSymbolicLink()) throw new RecordingError(`recording '${id}' is a symbolic link: only regular files in the data folder are served`);
    if (!st.isFile()) throw new RecordingError(`recording '${id}' is not a regular file`);
    const hit = this.#cache.get(id);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return { meta: hit.meta, size: st.size };
    let meta: AnyRecordingMeta;
    try {
      meta = await this.#open(id, async (r) => {
        const m = await RecordingStore.anyMetaOf(r);
        for await (const _ of r.readMessages()) { /* reads every chunk: CRCs checked */ }
        return m;
      });
    } catch (e) {
      throw new RecordingError(`recording '${id}' is damaged: ${(e as Error).message}`);
    }
    this.#cache.set(id, { mtimeMs: st.mtimeMs, size: st.size, meta });
    return { meta, size: st.size };
  }

  /** Throws a RecordingError when the recording is a link, not a file, or fails its integrity pass. */
  async check(id: string): Promise<void> {
    await this.#meta(id);
  }

  /** All readable recordings (newest first) and the files that could not be read. */
  async list(): Promise<RecordingList> {
    const recordings: RecordingInfo[] = [];
    const fits: FitRecordingInfo[] = [];
    const errors: { file: string; message: string }[] = [];
    let files: string[] = [];
    try { files = await readdir(this.dir); } catch { files = []; }
    for (const f of files) {
      if (!f.endsWith('.mcap') || f.startsWith('.')) continue;
      const id = f.slice(0, -'.mcap'.length);
      if (!isRecordingId(id)) { errors.push({ file: f, message: 'file name is not a recording id' }); continue; }
      try {
        const { meta, size } = await this.#meta(id);
        if (isFitMeta(meta)) fits.push({ ...meta, id, file: f, size });
        else recordings.push({ ...meta, id, file: f, size });
      } catch (e) {
        errors.push({ file: f, message: (e as Error).message });
      }
    }
    const newestFirst = (a: { finishedAt: string; id: string }, b: { finishedAt: string; id: string }) => (a.finishedAt < b.finishedAt ? 1 : a.finishedAt > b.finishedAt ? -1 : a.id.localeCompare(b.id));
    recordings.sort(newestFirst);
    fits.sort(newestFirst);
    return { recordings, fits, errors };
  }

  /** A recording id naming an entry of the data folder (a file, or a link that check() refuses). */
  async exists(id: string): Promise<boolean> {
    if (!isRecordingId(id)) return false;
    try { const st = await lstat(this.filePath(id)); return st.isFile() || st.isSymbolicLink(); } catch { return false; }
  }

  /** 'fit' for a pose fit's recording, 'plan' for a solve's (after the integrity pass). */
  async kind(id: string): Promise<'plan' | 'fit'> {
    return isFitMeta((await this.#meta(id)).meta) ? 'fit' : 'plan';
  }

  /** Runs `fn` on an open reader of recording `id` (after its integrity pass). */
  async withReader<T>(id: string, fn: (reader: McapIndexedReader) => Promise<T>): Promise<T> {
    await this.#meta(id);
    return this.#open(id, fn);
  }

  /** Metadata, telemetry and final trajectory of a recording. */
  async read(id: string): Promise<RecordingContent> {
    await this.#meta(id);
    return this.#open(id, async (reader) => {
      const metadata = await RecordingStore.metaOf(reader);
      const topics = new Map([...reader.channelsById.values()].map((c) => [c.id, c.topic]));
      const telemetry: IterationRecordMsg[] = [];
      let trajectory: TrajectoryMsg | null = null;
      for await (const m of reader.readMessages({ topics: ['/telemetry', '/trajectory'] })) {
        const topic = topics.get(m.channelId);
        const value = JSON.parse(dec.decode(m.data));
        if (topic === '/telemetry') telemetry.push(value as IterationRecordMsg);
        else if (topic === '/trajectory') trajectory = value as TrajectoryMsg;
      }
      return { metadata, telemetry, trajectory };
    });
  }

  async delete(id: string): Promise<boolean> {
    if (!(await this.exists(id))) return false;
    await rm(this.filePath(id), { force: true });
    this.#cache.delete(id);
    return true;
  }
}
