/**
 * Pose-fit recordings: one MCAP file per method of a fit, `<fit>-<method>.mcap`, beside the
 * plan recordings (same store, same folder, listed under `fits` by GET /api/recordings).
 * - metadata `rsddp.fit` (fit-meta.ts), values JSON-encoded strings;
 * - `/fit/target`: `foxglove.CompressedImage` (png) at the start: the target image;
 * - `/fit/render`: `foxglove.CompressedImage` (png): the method's render every few iterations;
 * - `/fit/pose`: `foxglove.PoseInFrame` per iteration: the evaluated object pose (render scene
 *   frame `world`, y up, cube half-sides);
 * - `/fit/telemetry`: `rsddp.FitIterate` per iteration (loss, sigma, gamma, samples, lr,
 *   rotation error, ...; Foxglove's Plot panel plots its fields);
 * - `/fit/result`: `rsddp.FitResult` at the end (pose, errors, loss, time).
 * Log times: the fit's start plus the elapsed time of each iteration.
 */
import { CompressedImage, PoseInFrame } from '@foxglove/schemas/jsonschema.js';
import type { McapIndexedReader } from '@mcap/core';
import { ns, stamp, type Quat } from '../foxglove/messages.ts';
import { FIT_METADATA, type FitRecordingMeta } from './fit-meta.ts';
import type { FitIterate, FitIterateMsg, FitMethod, FitRecordingContent, FitRecordingInfo, FitResult, PoseArrays } from '../../shared/protocol.ts';
import { PROJECT_VERSION, type RecordingStore } from './recordings.ts';


export interface FitSaveInput {
  fit: string;
  method: FitMethod;
  object: string;
  imageSize: number;
  seed: number;
  target: 'pose' | 'image';
  targetPose: PoseArrays | null;
  initialPose: PoseArrays;
  fitsTranslation: boolean;
  targetPng: Buffer;
  startedAt: Date;
  finishedAt: Date;
  /** Per iteration: the record (shared/protocol.ts FitIterateSchema; read back as JSON, non-finite numbers as null), the evaluated pose, ms since the start. */
  iterates: { record: FitIterate; pose: PoseArrays; elapsedMs: number }[];
  images: { iteration: number; png: string; elapsedMs: number }[];
  result: Pick<FitResult, 'rotation' | 'translation' | 'errorDeg' | 'initialErrorDeg' | 'success' | 'bestLoss' | 'iterations' | 'timeMs' | 'cancelled'>;
}

/** GET /api/recordings/:id of a fit: shared/protocol.ts FitRecordingContentSchema. */
export type { FitRecordingContent };

const enc = new TextEncoder();
const dec = new TextDecoder();

const FIT_ITERATE_SCHEMA = {
  title: 'rsddp.FitIterate', type: 'object',
  description: 'One iteration of a pose fit (Adam with adaptive smoothing, server/rendering/pose-fit.ts).',
  properties: {
    iteration: { type: 'integer' }, loss: { type: 'number', description: 'mean squared RGB error' },
    sigma: { type: 'number' }, gamma: { type: 'number' }, samples: { type: 'integer' }, lr: { type: 'number' },
    errorDeg: { type: ['number', 'null'], description: 'rotation error of the iterate, degrees' },
    gradNorm: { type: 'number' }, dLdSigma: { type: 'number' }, dLdGamma: { type: 'number' }, sensitivity: { type: 'number' }, reduced: { type: 'boolean' },
  },
};
const FIT_RESULT_SCHEMA = { title: 'rsddp.FitResult', type: 'object', description: 'The pose a fit returns (lowest loss seen).' };

/** Unit quaternion of an axis-angle vector. */
export function quatOfAxisAngle(r: readonly number[]): Quat {
  const t = Math.hypot(r[0], r[1], r[2]);
  if (t < 1e-12) return { x: r[0] / 2, y: r[1] / 2, z: r[2] / 2, w: 1 };
  const s = Math.sin(t / 2) / t;
  return { x: r[0] * s, y: r[1] * s, z: r[2] * s, w: Math.cos(t / 2) };
}

export async function saveFitRecording(store: RecordingStore, input: FitSaveInput): Promise<FitRecordingInfo> {
  const id = `${input.fit}-${input.method}`;
  const r = input.result;
  const meta: FitRecordingMeta = {
    id, kind: 'fit', fit: input.fit, method: input.method, object: input.object, imageSize: input.imageSize, seed: input.seed,
    iterations: r.iterations, status: r.cancelled ? 'cancelled' : 'done', cancelled: r.cancelled, success: r.success,
    errorDeg: r.errorDeg, initialErrorDeg: r.initialErrorDeg, bestLoss: Number.isFinite(r.bestLoss) ? r.bestLoss : null,
    target: input.target, targetPose: input.targetPose, initialPose: input.initialPose,
    pose: { rotation: r.rotation, translation: r.translation }, fitsTranslation: input.fitsTranslation,
    projectVersion: PROJECT_VERSION, startedAt: input.startedAt.toISOString(), finishedAt: input.finishedAt.toISOString(), timeMs: r.timeMs,
  };
  const size = await store.writeMcap(id, meta, async (w) => {
    await w.addMetadata({ name: FIT_METADATA, metadata: new Map(Object.entries(meta).map(([k, v]) => [k, JSON.stringify(v)])) });
    const schema = async (name: string, s: object) => w.registerSchema({ name, encoding: 'jsonschema', data: enc.encode(JSON.stringify(s)) });
    const image = await schema('foxglove.CompressedImage', CompressedImage);
    const poseS = await schema('foxglove.PoseInFrame', PoseInFrame);
    const iterS = await schema('rsddp.FitIterate', FIT_ITERATE_SCHEMA);
    const resS = await schema('rsddp.FitResult', FIT_RESULT_SCHEMA);
    const ch = (topic: string, schemaId: number) => w.registerChannel({ topic, schemaId, messageEncoding: 'json', metadata: new Map() });
    const targetCh = await ch('/fit/target', image), renderCh = await ch('/fit/render', image);
    const poseCh = await ch('/fit/pose', poseS), telCh = await ch('/fit/telemetry', iterS), resCh = await ch('/fit/result', resS);
    let seq = 0;
    const add = (channelId: number, t: bigint, msg: unknown) =>
      w.addMessage({ channelId, sequence: seq++, logTime: t, publishTime: t, data: enc.encode(JSON.stringify(msg)) });
    const t0 = ns(input.startedAt.getTime() / 1000);
    const at = (ms: number) => t0 + ns(ms / 1000);
    const png = (t: bigint, data: string) => ({ timestamp: stamp(t), frame_id: 'camera', data, format: 'png' });
    await add(targetCh, t0, png(t0, input.targetPng.toString('base64')));
    // messages in log-time order: per iteration its pose and telemetry, renders where they fall
    const imgs = [...input.images].sort((a, b) => a.iteration - b.iteration);
    let k = 0;
    for (const it of input.iterates) {
      const t = at(it.elapsedMs);
      while (k < imgs.length && imgs[k].iteration <= it.record.iteration) { const ti = at(imgs[k].elapsedMs); await add(renderCh, ti, png(ti, imgs[k].png)); k++; }
      const p = it.pose;
      await add(poseCh, t, { timestamp: stamp(t), frame_id: 'world', pose: { position: { x: p.translation[0], y: p.translation[1], z: p.translation[2] }, orientation: quatOfAxisAngle(p.rotation) } });
      await add(telCh, t, it.record);
    }
    for (; k < imgs.length; k++) { const ti = at(imgs[k].elapsedMs); await add(renderCh, ti, png(ti, imgs[k].png)); }
    const tEnd = ns(input.finishedAt.getTime() / 1000);
    await add(resCh, tEnd, { ...r, method: input.method });
  });
  return { ...meta, file: `${id}.mcap`, size };
}

/** Metadata, telemetry, target and renders of a fit recording. */
export async function readFitRecording(store: RecordingStore, id: string): Promise<FitRecordingContent> {
  return store.withReader(id, async (reader: McapIndexedReader) => {
    let metadata: FitRecordingMeta | null = null;
    for await (const m of reader.readMetadata({ name: FIT_METADATA })) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of m.metadata) out[k] = JSON.parse(v);
      metadata = out as unknown as FitRecordingMeta;
    }
    if (!metadata) throw new Error(`recording '${id}' is not a pose-fit recording`);
    const topics = new Map([...reader.channelsById.values()].map((c) => [c.id, c.topic]));
    const telemetry: FitIterateMsg[] = [];
    const renders: { t: bigint; png: string }[] = [];
    const iterationAt = new Map<bigint, number>();
    let target: string | null = null;
    for await (const m of reader.readMessages({ topics: ['/fit/target', '/fit/render', '/fit/telemetry'] })) {
      const topic = topics.get(m.channelId);
      const v = JSON.parse(dec.decode(m.data));
      if (topic === '/fit/telemetry') { telemetry.push(v as FitIterateMsg); iterationAt.set(m.logTime, (v as FitIterateMsg).iteration); }
      else if (topic === '/fit/target') target = v.data as string;
      else renders.push({ t: m.logTime, png: v.data as string });
    }
    // a render carries the log time of the iteration it shows
    const images = renders.map((r) => ({ iteration: iterationAt.get(r.t) ?? -1, png: r.png }));
    return { metadata, telemetry, target, images };
  });
}
