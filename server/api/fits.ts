/**
 * Pose fits: the FitManager owns every fit the server runs (POST /api/fits), as the
 * PlanManager owns plans. One fit = one target image (rendered from a pose, or an uploaded
 * PNG) and an initial pose, fitted by one or more methods (hard, softras, perturbed) side by
 * side, each method a run on a worker thread (perception/fit-threads.ts). Runs go up to a
 * concurrency limit (DEFAULT_FIT_CONCURRENCY); the others wait in a FIFO queue of at most
 * `queueLimit` (429 beyond). A cancel stops a run within one iteration; its result is the best
 * pose seen.
 *
 * Messages ('message' event): `fit-status` on every change of a fit's state, `fit-iterate`
 * (throttled to one per `iterateIntervalMs` per method, the latest always delivered; the
 * method's render as a PNG every few iterations, carried by the next message sent) and
 * `fit-final`. Every finished or cancelled run is recorded as MCAP (store/fit-recordings.ts).
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import {
  DEFAULT_FIT_CONCURRENCY, DEFAULT_FIT_ITERATIONS, FIT_TIME_LIMIT_S, DEFAULT_FIT_QUEUE_LIMIT, DEFAULT_FIT_SIZE, FIT_METHODS, FIT_OBJECTS, FitCreateSchema,
  MAX_FIT_IMAGE_BYTES, MAX_FIT_SIZE, MAX_RENDER_SIZE, MIN_RENDER_SIZE, parseWith,
  type FitFinalMessage, type FitIterateMessage, type FitMethod, type FitResultMsg, type FitState, type ServerMessage, type SolveStatus, type SolveWhere,
} from '../../shared/protocol.ts';
import { decodePng, PngError, targetFromImage, isPng } from '../rendering/png-decode.ts';
import { encodePng } from '../rendering/png.ts';
import { poseProblem } from '../rendering/problems.ts';
import { expSO3, logSO3, mul33 } from '../rendering/rotation.ts';
import { renderTarget, runFitJob, type FitJob, type FitJobIterate, type FitJobResult, type PoseArrays } from '../perception/fit-job.ts';
import { FitThreads } from '../perception/fit-threads.ts';
import type { FitRunner } from '../perception/fit-runner.ts';
import { NotStartedError } from '../planning/solves.ts';
import { saveFitRecording } from '../store/fit-recordings.ts';
import type { RecordingStore } from '../store/recordings.ts';
import { ApiError, type Logger } from './sessions.ts';

const silent: Logger = { info() {}, warn() {}, error() {} };
const RETRY_AFTER_S = 10;
/** Initial error (deg) when neither an initial pose nor an error is given. */
const DEFAULT_INIT_ERROR_DEG = 30;
/** Renders streamed (and recorded) per method run, about. */
const IMAGES_PER_RUN = 40;

export interface FitManagerOptions {
  /**
   * Method runs at once, one thread each (default DEFAULT_FIT_CONCURRENCY); with a remote runner,
   * runs handed to its queue at once (default DEFAULT_FIT_QUEUE_LIMIT: the workers set the pace).
   */
  concurrency?: number;
  /** Runs waiting; beyond, 429 (default DEFAULT_FIT_QUEUE_LIMIT). */
  queueLimit?: number;
  /** Minimum interval between two fit-iterate messages of one method (default 50 ms). */
  iterateIntervalMs?: number;
  recordings?: RecordingStore | null;
  log?: Logger;
  /** Fits kept in memory (finished ones beyond it are forgotten, oldest first; default 100). */
  maxFits?: number;
  /** 'threads' (default) or 'inline' (on the event loop's thread; tests of the manager itself). */
  runIn?: 'threads' | 'inline';
  /** Where runs go instead (RemoteFits: BullMQ jobs, `--redis`); closed with the manager. */
  runner?: FitRunner;
  /** Wall-clock seconds per method run (default FIT_TIME_LIMIT_S). */
  timeLimitS?: number;
}

interface MethodRun {
  method: FitMethod;
  status: SolveStatus;
  iteration: number;
  loss: number | null;
  errorDeg: number | null;
  success: boolean | null;
  error: string | null;
  recording: string | null;
  /** Where it ran (remote runs: the worker that took it). */
  where: SolveWhere | null;
  abort: AbortController | null;
  lastSent: number;
  pending: FitIterateMessage | null;
  timer: NodeJS.Timeout | null;
  /** A render not yet sent (carried by the next message). */
  unsentImage: { iteration: number; png: string } | null;
  lastIterate: FitIterateMessage | null;
  lastImage: { iteration: number; png: string } | null;
  final: FitFinalMessage | null;
  iterates: { record: FitJobIterate['record']; pose: PoseArrays; elapsedMs: number }[];
  images: { iteration: number; png: string; elapsedMs: number }[];
}

interface Fit {
  id: string;
  object: string;
  size: number;
  iterations: number;
  seed: number;
  samples: number;
  noise: 'gaussian' | 'cauchy';
  translation: boolean;
  createdAt: Date;
  target: 'pose' | 'image';
  targetPose: PoseArrays | null;
  initialPose: PoseArrays;
  targetRgb: Float64Array;
  targetPng: Buffer;
  runs: MethodRun[];
}

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/** The bytes of a base64 image field (a `data:image/png;base64,` prefix allowed), or a 4xx naming `image`. */
function imageBytes(text: string): Buffer {
  const body = text.replace(/^data:image\/png;base64,/, '').replace(/\s+/g, '');
  if (body.length % 4 !== 0 || !BASE64_RE.test(body)) throw new ApiError(400, 'image: not base64 (a PNG file encoded as base64 is expected)', 'image');
  const bytes = Buffer.from(body, 'base64');
  if (bytes.length > MAX_FIT_IMAGE_BYTES) throw new ApiError(413, `image: ${bytes.length} bytes of PNG, more than the limit of ${MAX_FIT_IMAGE_BYTES}`, 'image');
  if (!isPng(bytes)) throw new ApiError(400, 'image: not a PNG file (the PNG signature is missing)', 'image');
  return bytes;
}

/** R_init = R_target exp(theta u), u a random axis from the seed (the paper's problems, problems.ts). */
function turned(target: PoseArrays, errorDeg: number, seed: number): number[] {
  const p = poseProblem(seed, 0, errorDeg);
  const Rt = expSO3(p.truth, new Float64Array(9)), Ri = expSO3(p.init, new Float64Array(9));
  // Rt^T Ri = exp(theta u)
  const RtT = new Float64Array([Rt[0], Rt[3], Rt[6], Rt[1], Rt[4], Rt[7], Rt[2], Rt[5], Rt[8]]);
  const P = mul33(RtT, Ri, new Float64Array(9));
  const R = mul33(expSO3(target.rotation, new Float64Array(9)), P, new Float64Array(9));
  return Array.from(logSO3(R, new Float64Array(3)));
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class FitManager extends EventEmitter {
  readonly concurrency: number;
  readonly queueLimit: number;
  #interval: number;
  #fits = new Map<string, Fit>();
  #queue: { fit: Fit; run: MethodRun }[] = [];
  #running = 0;
  #inflight = new Set<Promise<void>>();
  #recordings: RecordingStore | null;
  #log: Logger;
  #maxFits: number;
  #runner: FitRunner | null;
  #closed = false;
  #timeLimitS: number;

  constructor(opts: FitManagerOptions = {}) {
    super();
    this.setMaxListeners(0);
    this.#runner = opts.runner ?? ((opts.runIn ?? 'threads') === 'threads' ? new FitThreads() : null);
    this.concurrency = Math.max(1, Math.floor(opts.concurrency ?? (this.#runner?.remote ? DEFAULT_FIT_QUEUE_LIMIT : DEFAULT_FIT_CONCURRENCY)));
    this.queueLimit = Math.max(0, Math.floor(opts.queueLimit ?? DEFAULT_FIT_QUEUE_LIMIT));
    this.#interval = opts.iterateIntervalMs ?? 50;
    this.#recordings = opts.recordings ?? null;
    this.#log = opts.log ?? silent;
    this.#maxFits = opts.maxFits ?? 100;
    this.#timeLimitS = opts.timeLimitS ?? FIT_TIME_LIMIT_S;
  }

  /** Validates a fit request (ApiError naming the field), builds its target and queues its methods. */
  create(body: unknown): string {
    if (this.#closed) throw new ApiError(503, 'the server is shutting down');
    const parsed = parseWith(FitCreateSchema, body);
    if (!parsed.ok) throw new ApiError(400, parsed.message, parsed.field);
    const req = parsed.value;
    const object = req.object ?? 'cube';
    if (!(FIT_OBJECTS as readonly string[]).includes(object)) throw new ApiError(404, `object: unknown object '${object}' (known: ${FIT_OBJECTS.join(', ')})`, 'object');
    if (req.image !== undefined && req.targetPose !== undefined) throw new ApiError(400, 'image: give a targetPose or an image, not both', 'image');
    const seed = req.seed ?? 1;
    let size = req.size ?? DEFAULT_FIT_SIZE;
    let targetRgb: Float64Array | null = null;
    let targetPose: PoseArrays | null = null;
    if (req.image !== undefined) {
      if (req.initErrorDeg !== undefined && req.initialPose === undefined) {
        throw new ApiError(400, 'initErrorDeg: an initial error needs a known target pose; give initialPose with an image', 'initErrorDeg');
      }
      let img;
      try { img = decodePng(imageBytes(req.image), MAX_RENDER_SIZE); } catch (e) {
        if (e instanceof PngError) throw new ApiError(400, `image: ${e.message}`, 'image');
        throw e;
      }
      if (img.width !== img.height) throw new ApiError(400, `image: the image must be square (got ${img.width}x${img.height})`, 'image');
      if (img.width < MIN_RENDER_SIZE) throw new ApiError(400, `image: ${img.width}x${img.height} pixels is smaller than ${MIN_RENDER_SIZE}x${MIN_RENDER_SIZE}`, 'image');
      if (req.size === undefined) size = Math.min(img.width, MAX_FIT_SIZE);
      targetRgb = targetFromImage(img, size);
    } else {
      targetPose = req.targetPose
        ? { rotation: [...req.targetPose.rotation], translation: [...(req.targetPose.translation ?? [0, 0, 0])] }
        : { rotation: poseProblem(seed, 0, req.initErrorDeg ?? DEFAULT_INIT_ERROR_DEG).truth, translation: [0, 0, 0] };
      targetRgb = renderTarget(object, size, targetPose);
    }
    const initialPose: PoseArrays = req.initialPose
      ? { rotation: [...req.initialPose.rotation], translation: [...(req.initialPose.translation ?? [0, 0, 0])] }
      : targetPose
        ? { rotation: turned(targetPose, req.initErrorDeg ?? DEFAULT_INIT_ERROR_DEG, seed), translation: req.translation ? [0, 0, 0] : [...targetPose.translation] }
        : { rotation: [0, 0, 0], translation: [0, 0, 0] };
    const methods = req.methods ?? [...FIT_METHODS];
    if (this.#queue.length + methods.length > this.queueLimit) {
      throw new ApiError(429, `queue: ${this.#queue.length} fit runs are waiting (limit ${this.queueLimit}); retry later`, undefined, { 'retry-after': String(RETRY_AFTER_S) });
    }
    const id = `f${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    const fit: Fit = {
      id, object, size, iterations: req.iterations ?? DEFAULT_FIT_ITERATIONS, seed, samples: req.samples ?? 8, noise: req.noise ?? 'gaussian',
      translation: req.translation ?? false, createdAt: new Date(), target: req.image !== undefined ? 'image' : 'pose', targetPose, initialPose,
      targetRgb, targetPng: encodePng(targetRgb, size, size, 3), runs: methods.map((m) => this.#newRun(m)),
    };
    this.#fits.set(id, fit);
    this.#evict();
    this.#log.info({ event: 'fit.created', fit: id, object, size, methods, iterations: fit.iterations, target: fit.target }, 'fit created');
    for (const run of fit.runs) this.#queue.push({ fit, run });
    this.#emitStatus(fit);
    this.#pump();
    return id;
  }

  #newRun(method: FitMethod): MethodRun {
    return {
      method, status: 'queued', iteration: 0, loss: null, errorDeg: null, success: null, error: null, recording: null, where: null, abort: null,
      lastSent: 0, pending: null, timer: null, unsentImage: null, lastIterate: null, lastImage: null, final: null, iterates: [], images: [],
    };
  }

  has(id: string): boolean { return this.#fits.has(id); }

  #get(id: string): Fit {
    const f = this.#fits.get(id);
    if (!f) throw new ApiError(404, `fit: unknown fit '${id}'`, 'fit');
    return f;
  }

  state(id: string): FitState { return this.#state(this.#get(id)); }
  list(): FitState[] { return [...this.#fits.values()].map((f) => this.#state(f)); }
  /** The target image (PNG bytes). */
  targetPng(id: string): Buffer { return this.#get(id).targetPng; }

  #state(f: Fit): FitState {
    const st = f.runs.map((r) => r.status);
    const status: SolveStatus = st.includes('running') ? 'running' : st.includes('queued') ? 'queued'
      : st.includes('failed') ? 'failed' : st.includes('cancelled') ? 'cancelled' : 'done';
    return {
      id: f.id, object: f.object, size: f.size, iterations: f.iterations, seed: f.seed, status, createdAt: f.createdAt.toISOString(),
      target: f.target, targetPose: f.targetPose, initialPose: f.initialPose, translation: f.translation, targetUrl: `/api/fits/${f.id}/target.png`,
      methods: f.runs.map((r) => ({ method: r.method, status: r.status, iteration: r.iteration, loss: r.loss, errorDeg: r.errorDeg, success: r.success, error: r.error, recording: r.recording, where: r.where })),
    };
  }

  /** What brings a late subscriber up to date: the status, each method's latest iterate (with its latest render) and final. */
  snapshot(id: string): ServerMessage[] {
    const f = this.#fits.get(id);
    if (!f) return [];
    const out: ServerMessage[] = [{ type: 'fit-status', fit: this.#state(f) }];
    for (const r of f.runs) {
      if (r.lastIterate) out.push({ ...r.lastIterate, ...(r.lastImage ? { image: r.lastImage } : {}) });
      if (r.final) out.push(r.final);
    }
    return out;
  }

  /** Cancels every queued or running method of a fit. */
  cancel(id: string): FitState {
    const f = this.#get(id);
    let changed = false;
    for (const r of f.runs) {
      // taken from the queue (its controller exists): stopped within an iteration, or before its first
      if (r.abort) r.abort.abort();
      else if (r.status === 'queued') {
        this.#queue = this.#queue.filter((q) => q.run !== r);
        r.status = 'cancelled';
        changed = true;
      }
    }
    this.#log.info({ event: 'fit.cancel', fit: id }, 'fit cancel requested');
    if (changed) this.#emitStatus(f);
    return this.#state(f);
  }

  #emit(msg: ServerMessage): void { this.emit('message', msg); }
  #emitStatus(f: Fit): void { this.#emit({ type: 'fit-status', fit: this.#state(f) }); }

  #evict(): void {
    if (this.#fits.size <= this.#maxFits) return;
    for (const [id, f] of this.#fits) {
      if (this.#fits.size <= this.#maxFits) break;
      if (f.runs.every((r) => r.status !== 'queued' && r.status !== 'running')) this.#fits.delete(id);
    }
  }

  #pump(): void {
    while (this.#running < this.concurrency && this.#queue.length > 0) {
      const item = this.#queue.shift()!;
      this.#running++;
      const pr = this.#runMethod(item.fit, item.run).finally(() => {
        this.#running--;
        this.#inflight.delete(pr);
        this.#pump();
      });
      this.#inflight.add(pr);
    }
  }

  #send(r: MethodRun, msg: FitIterateMessage): void {
    const out = r.unsentImage ? { ...msg, image: r.unsentImage } : msg;
    r.unsentImage = null;
    r.lastSent = Date.now();
    r.pending = null;
    this.#emit(out);
  }

  #flush(r: MethodRun): void {
    if (r.timer) { clearTimeout(r.timer); r.timer = null; }
    if (r.pending) this.#send(r, r.pending);
  }

  async #runMethod(f: Fit, r: MethodRun): Promise<void> {
    const ac = new AbortController();
    r.abort = ac;
    // start on a later turn: the request that queued the fit is answered first
    await yieldToLoop();
    // the wall-clock limit stops the run as a cancel does; the state then says why. A remote
    // run's limit starts again when a worker takes it (its wait in the queue has the same limit).
    let timedOut = false;
    let limit: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(limit);
      limit = setTimeout(() => { timedOut = true; ac.abort(); }, this.#timeLimitS * 1000);
      limit.unref();
    };
    arm();
    let startedAt = new Date();
    const start = (where: SolveWhere | null) => {
      if (where) arm();
      // a worker died mid-run: the next attempt starts again from the first iteration
      if (where && where.attempt > 1) { r.iterates = []; r.images = []; }
      startedAt = new Date();
      r.status = 'running';
      r.where = where;
      this.#emitStatus(f);
      this.#log.info({ event: 'fit.start', fit: f.id, method: r.method, ...(where ? { worker: where.worker, attempt: where.attempt } : {}) }, 'fit method started');
    };
    // a remote run stays queued until a worker takes it
    if (!this.#runner?.remote) start(null);
    const job: FitJob = {
      object: f.object, size: f.size, method: r.method, iterations: f.iterations, seed: f.seed, samples: f.samples, noise: f.noise,
      translation: f.translation, target: f.targetRgb, truth: f.targetPose, init: f.initialPose,
      imageEvery: Math.max(1, Math.ceil(f.iterations / IMAGES_PER_RUN)),
    };
    const onIterate = (it: FitJobIterate) => {
      r.iteration = it.record.iteration + 1;
      r.loss = it.record.loss;
      r.errorDeg = it.record.errorDeg;
      r.iterates.push({ record: it.record, pose: it.pose, elapsedMs: it.elapsedMs });
      if (it.png) {
        const image = { iteration: it.record.iteration, png: it.png };
        r.images.push({ ...image, elapsedMs: it.elapsedMs });
        r.unsentImage = image;
        r.lastImage = image;
      }
      const msg: FitIterateMessage = { type: 'fit-iterate', fit: f.id, method: r.method, record: it.record, pose: it.pose };
      r.lastIterate = msg;
      const wait = r.lastSent + this.#interval - Date.now();
      if (wait <= 0 && !r.timer) this.#send(r, msg);
      else {
        r.pending = msg;
        r.timer ??= setTimeout(() => { r.timer = null; if (r.pending) this.#send(r, r.pending); }, Math.max(0, wait));
      }
    };
    let result: FitJobResult | null = null;
    try {
      result = this.#runner ? await this.#runner.run(job, onIterate, ac.signal, start) : await runFitJob(job, onIterate, () => ac.signal.aborted);
    } catch (e) {
      clearTimeout(limit);
      r.abort = null;
      this.#flush(r);
      if (e instanceof NotStartedError) {
        r.status = 'cancelled';
        if (timedOut) r.error = `time limit: no worker took it within ${this.#timeLimitS} s`;
        this.#log.info({ event: 'fit.end', fit: f.id, method: r.method, status: r.status }, 'fit method cancelled before a worker took it');
        this.#emitStatus(f);
        return;
      }
      r.status = 'failed';
      r.error = (e as Error).message;
      this.#log.error({ event: 'fit.failed', fit: f.id, method: r.method, err: r.error }, 'fit method failed');
      this.#emitStatus(f);
      return;
    }
    clearTimeout(limit);
    r.abort = null;
    if (timedOut && result.cancelled) r.error = `time limit: stopped after ${this.#timeLimitS} s of wall clock`;
    const finishedAt = new Date();
    this.#flush(r);
    r.status = result.cancelled ? 'cancelled' : 'done';
    r.errorDeg = result.errorDeg;
    r.success = result.success;
    const msgResult: FitResultMsg = { ...result, bestLoss: Number.isFinite(result.bestLoss) ? result.bestLoss : null };
    r.final = { type: 'fit-final', fit: f.id, method: r.method, result: msgResult };
    this.#emit(r.final);
    this.#log.info({ event: 'fit.end', fit: f.id, method: r.method, status: r.status, errorDeg: result.errorDeg, iterations: result.iterations, ms: result.timeMs }, 'fit method finished');
    if (this.#recordings && result.iterations > 0) {
      try {
        const info = await saveFitRecording(this.#recordings, {
          fit: f.id, method: r.method, object: f.object, imageSize: f.size, seed: f.seed, target: f.target, targetPose: f.targetPose,
          initialPose: f.initialPose, fitsTranslation: f.translation, targetPng: f.targetPng, startedAt, finishedAt,
          iterates: r.iterates, images: r.images, result,
        });
        r.recording = info.id;
      } catch (e) {
        this.#log.error({ event: 'recording.failed', fit: f.id, method: r.method, err: (e as Error).message }, 'fit recording failed');
      }
    }
    // what was kept for the recording is not needed any more; nor is the target, once no run needs it
    r.iterates = [];
    r.images = [];
    if (f.runs.every((x) => x.status !== 'queued' && x.status !== 'running')) f.targetRgb = new Float64Array(0);
    this.#emitStatus(f);
  }

  /** Resolves when no fit is running or queued (tests). */
  async idle(): Promise<void> {
    while (this.#inflight.size > 0 || this.#queue.length > 0) await Promise.all([...this.#inflight]);
  }

  /** Cancels everything, waits for the running methods to stop and their recordings to be written. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const f of this.#fits.values()) {
      for (const r of f.runs) {
        if (r.status === 'queued') r.status = 'cancelled';
        r.abort?.abort();
      }
    }
    this.#queue = [];
    while (this.#inflight.size > 0) await Promise.all([...this.#inflight]);
    for (const f of this.#fits.values()) for (const r of f.runs) if (r.timer) { clearTimeout(r.timer); r.timer = null; }
    await this.#runner?.close();
  }
}
