/**
 * The HTTP API (node:http, no framework): a small router over the PlanManager, the robot
 * registry and the recording store. Every handler is wrapped: a thrown ApiError becomes its
 * status with `{error, field?}`, anything else a 500, and the server keeps running.
 * Endpoints are documented in docs/api.md.
 */
import { constants as fsConstants, createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { solverParamsFor } from '../planning/planner.ts';
import { TASKS } from '../control/tasks/index.ts';
import { ContactTracer } from '../planning/contact-trace.ts';
import { PROTOCOL_VERSION } from '../../shared/protocol.ts';
import { ApiError, type Logger, type PlanManager } from './sessions.ts';
import type { RobotRegistry } from './robots.ts';
import { isJsonContentType, type OriginPolicy } from './origin.ts';
import { isRecordingId, PROJECT_DIR, PROJECT_VERSION, RecordingError, type RecordingStore } from '../store/recordings.ts';
import { LiveInputError, type LiveManager } from '../live/manager.ts';
import { readFitRecording } from '../store/fit-recordings.ts';
import type { FitManager } from './fits.ts';

export const MAX_BODY_BYTES = 1024 * 1024;
/** Longest request target (path and query) accepted: 414 beyond. */
export const MAX_URL_BYTES = 8 * 1024;
/** Methods whose requests carry a JSON body (content-type checked before routing). */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

export interface HttpContext {
  plans: PlanManager;
  /** Pose fits (fits.ts). */
  fits: FitManager;
  robots: RobotRegistry;
  recordings: RecordingStore;
  log: Logger;
  /** Host / Origin checks (server/api/origin.ts). */
  policy: OriginPolicy;
  /** Live sessions (server/live/). */
  live: LiveManager;
}

type Handler = (req: IncomingMessage, res: ServerResponse, params: string[]) => Promise<void> | void;
interface Route { pattern: RegExp; methods: Record<string, Handler> }

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/** Reads a JSON body of at most MAX_BODY_BYTES (413 beyond; 400 naming `body` when malformed). */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    req.resume();
    throw new ApiError(413, `body: larger than ${MAX_BODY_BYTES} bytes`, 'body');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      req.resume();
      throw new ApiError(413, `body: larger than ${MAX_BODY_BYTES} bytes`, 'body');
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new ApiError(400, 'body: a JSON object is required', 'body');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, `body: malformed JSON (${(e as Error).message})`, 'body');
  }
}

/**
 * The built web client (vite build of client/, see client/build.ts): `/` serves its index.html and
 * `/assets/*` its files. RSDDP_CLIENT_DIR points elsewhere (the end-to-end test builds into a temp
 * folder; read when the server starts). Files are looked up on every request, so a build made while the server runs is picked up; when
 * there is no build, `/` serves the placeholder page below.
 */
export function clientDir(): string {
  return process.env.RSDDP_CLIENT_DIR ? path.resolve(process.env.RSDDP_CLIENT_DIR) : path.join(PROJECT_DIR, 'dist/client');
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.html': 'text/html; charset=utf-8',
  '.map': 'application/json; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.woff2': 'font/woff2', '.json': 'application/json; charset=utf-8',
};

async function fileIfExists(file: string): Promise<{ size: number } | null> {
  try { const st = await stat(file); return st.isFile() ? { size: st.size } : null; } catch { return null; }
}

const INDEX_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rsddp planning server</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:46em;margin:2em auto;padding:0 1em}code{background:#f2f2f2;padding:0 .2em}</style></head>
<body><h1>rsddp planning server</h1>
<p>The web client (issue 7) is not built yet. This server offers the planning API it will use;
see <code>docs/api.md</code> in the project for the full reference.</p>
<ul>
<li><a href="/healthz"><code>GET /healthz</code></a></li>
<li><a href="/api/robots"><code>GET /api/robots</code></a>, <code>GET /api/robots/:id</code></li>
<li><a href="/api/tasks"><code>GET /api/tasks</code></a></li>
<li><code>POST /api/plans</code> <code>{robot, task, params, solvers: ["ddp","rddp"]}</code> &rarr; 202 <code>{id}</code>;
<a href="/api/plans"><code>GET /api/plans</code></a>, <code>GET /api/plans/:id</code>, <code>POST /api/plans/:id/replan</code>, <code>DELETE /api/plans/:id</code></li>
<li><code>POST /api/fits</code> <code>{object, targetPose | image, initialPose | initErrorDeg, methods, size, iterations, seed}</code> &rarr; 202 <code>{id}</code>;
<a href="/api/fits"><code>GET /api/fits</code></a>, <code>GET /api/fits/:id</code>, <code>GET /api/fits/:id/target.png</code>, <code>DELETE /api/fits/:id</code></li>
<li><a href="/api/recordings"><code>GET /api/recordings</code></a>, <code>GET /api/recordings/:id</code>, <code>GET /api/recordings/:id/file</code> (MCAP), <code>DELETE /api/recordings/:id</code></li>
<li>WebSocket <code>/ws</code> (protocol version ${PROTOCOL_VERSION}): subscribe, unsubscribe, replan, cancel; hello, status, iterate, final, error</li>
</ul></body></html>
`;

export function createHttpHandler(ctx: HttpContext): (req: IncomingMessage, res: ServerResponse) => void {
  const { plans, fits, robots, recordings, log, policy, live } = ctx;
  /** A live session's operator event: 404 for an unknown session before the body is read. */
  const liveEvent = (fn: (id: string, body: unknown) => unknown, readBody: boolean): Handler => async (req, res, [id]) => {
    if (!live.has(id)) { req.resume(); throw new ApiError(404, `live: unknown live session '${id}'`, 'live'); }
    let body: unknown = undefined;
    if (readBody) body = await readJson(req); else req.resume();
    sendJson(res, 202, { event: await fn(id, body), live: live.get(id).state() });
  };
  const builtClient = clientDir();

  /** 422 for a recording that is damaged or is not a regular file (never served). */
  const checkRecording = async (id: string): Promise<void> => {
    try { await recordings.check(id); } catch (e) {
      if (e instanceof RecordingError) throw new ApiError(422, e.message, 'recording');
      throw e;
    }
  };

  const routes: Route[] = [
    {
      pattern: /^\/$/,
      methods: {
        GET: async (_q, res) => {
          const index = path.join(builtClient, 'index.html');
          const html = (await fileIfExists(index)) ? await readFile(index) : INDEX_HTML;
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
          res.end(html);
        },
      },
    },
    {
      // Vite's hashed asset names: letters, digits, '-', '_' and dots; nothing that climbs out.
      pattern: /^\/assets\/([A-Za-z0-9_-][A-Za-z0-9_.-]*)$/,
      methods: {
        GET: async (_q, res, [name]) => {
          const file = path.join(builtClient, 'assets', name);
          const st = await fileIfExists(file);
          if (!st) throw new ApiError(404, `no such file: /assets/${name}`);
          res.writeHead(200, { 'content-type': CONTENT_TYPES[path.extname(name).toLowerCase()] ?? 'application/octet-stream', 'content-length': st.size, 'cache-control': 'public, max-age=31536000, immutable' });
          createReadStream(file).pipe(res);
        },
      },
    },
    { pattern: /^\/healthz$/, methods: { GET: (_q, res) => sendJson(res, 200, { ok: true, version: PROJECT_VERSION, protocol: PROTOCOL_VERSION, uptime_s: process.uptime() }) } },
    { pattern: /^\/api\/robots$/, methods: { GET: (_q, res) => sendJson(res, 200, { robots: robots.list() }) } },
    {
      pattern: /^\/api\/robots\/([^/]+)$/,
      methods: {
        GET: async (_q, res, [id]) => {
          if (!robots.has(id)) throw new ApiError(404, `robot: unknown robot '${id}'`, 'robot');
          let summary;
          // a robot file that cannot be loaded is bad input from the robots folder, not a bug
          try { summary = await robots.summary(id); } catch (e) { throw new ApiError(422, `robot '${id}' cannot be loaded: ${(e as Error).message}`, 'robot'); }
          sendJson(res, 200, summary);
        },
      },
    },
    {
      pattern: /^\/api\/robots\/([^/]+)\/meshes\/(\d+)(\.[A-Za-z0-9]+)?$/,
      methods: {
        GET: async (_q, res, [id, index]) => {
          let file: string | null = null;
          try { file = robots.has(id) ? await robots.meshPath(id, Number(index)) : null; } catch (e) {
            throw new ApiError(422, `robot '${id}' cannot be loaded: ${(e as Error).message}`, 'robot');
          }
          if (!file) throw new ApiError(404, `mesh ${index} of robot '${id}' not found (or outside the robot's folder)`);
          const st = await stat(file);
          const ext = path.extname(file).toLowerCase();
          const type = ext === '.stl' ? 'model/stl' : ext === '.obj' ? 'model/obj' : ext === '.dae' ? 'model/vnd.collada+xml' : 'application/octet-stream';
          res.writeHead(200, { 'content-type': type, 'content-length': st.size });
          createReadStream(file).pipe(res);
        },
      },
    },
    {
      pattern: /^\/api\/tasks$/,
      methods: {
        GET: async (_q, res) => sendJson(res, 200, {
          tasks: await Promise.all(TASKS.map(async (t) => ({
            name: t.name, title: t.title, description: t.description, robot: t.robot, needs: t.needs,
            robots: await robots.fitting(t),
            params: t.params,
            defaults: Object.fromEntries(t.params.map((p) => [p.name, p.default])),
            // what a plan with no solverParams runs (the web client's form starts from it)
            solverDefaults: solverParamsFor(t),
          }))),
          solvers: ['ddp', 'rddp'],
        }),
      },
    },
    {
      pattern: /^\/api\/plans$/,
      methods: {
        GET: (_q, res) => sendJson(res, 200, { plans: plans.list(), concurrency: plans.concurrency }),
        POST: async (req, res) => {
          const body = await readJson(req);
          // the robot must fit the task (feet, posture, end effector): checked on the loaded
          // robot before anything is queued, a 400 naming what is missing
          const b = body as { robot?: unknown; task?: unknown };
          const def = typeof b?.task === 'string' ? TASKS.find((t) => t.name === b.task) : undefined;
          if (def && typeof b.robot === 'string' && b.robot !== def.robot) {
            if (!robots.has(b.robot)) throw new ApiError(404, `robot: unknown robot '${b.robot}' (known: ${robots.ids().join(', ')})`, 'robot');
            const problem = await robots.misfit(def, b.robot);
            if (problem) throw new ApiError(400, `robot: ${problem}`, 'robot');
          }
          const id = plans.create(body);
          res.setHeader('location', `/api/plans/${id}`);
          sendJson(res, 202, { id, plan: plans.state(id) });
        },
      },
    },
    {
      pattern: /^\/api\/plans\/([^/]+)$/,
      methods: {
        GET: (_q, res, [id]) => sendJson(res, 200, plans.state(id)),
        DELETE: (_q, res, [id]) => sendJson(res, 202, plans.cancel(id)),
      },
    },
    {
      pattern: /^\/api\/plans\/([^/]+)\/replan$/,
      methods: {
        POST: async (req, res, [id]) => {
          if (!plans.has(id)) { req.resume(); throw new ApiError(404, `plan: unknown plan '${id}'`, 'plan'); }
          sendJson(res, 202, plans.replan(id, await readJson(req)));
        },
      },
    },
    {
      pattern: /^\/api\/live$/,
      methods: {
        GET: (_q, res) => sendJson(res, 200, { live: live.list() }),
        POST: async (req, res) => {
          const session = await live.create(await readJson(req));
          res.setHeader('location', `/api/live/${session.id}`);
          sendJson(res, 202, { id: session.id, live: session.state() });
        },
      },
    },
    {
      pattern: /^\/api\/fits$/,
      methods: {
        GET: (_q, res) => sendJson(res, 200, { fits: fits.list(), concurrency: fits.concurrency }),
        POST: async (req, res) => {
          const id = fits.create(await readJson(req));
          res.setHeader('location', `/api/fits/${id}`);
          sendJson(res, 202, { id, fit: fits.state(id) });
        },
      },
    },
    {
      pattern: /^\/api\/live\/([^/]+)$/,
      methods: {
        GET: (_q, res, [id]) => sendJson(res, 200, live.get(id).state()),
        DELETE: async (_q, res, [id]) => sendJson(res, 200, await live.stop(id)),
      },
    },
    { pattern: /^\/api\/live\/([^/]+)\/push$/, methods: { POST: liveEvent((id, b) => live.push(id, b), true) } },
    { pattern: /^\/api\/live\/([^/]+)\/params$/, methods: { POST: liveEvent((id, b) => live.setParams(id, b), true) } },
    { pattern: /^\/api\/live\/([^/]+)\/pause$/, methods: { POST: liveEvent((id) => live.pause(id), false) } },
    { pattern: /^\/api\/live\/([^/]+)\/resume$/, methods: { POST: liveEvent((id) => live.resume(id), false) } },
    { pattern: /^\/api\/live\/([^/]+)\/reset$/, methods: { POST: liveEvent((id) => live.reset(id), false) } },
    {
      pattern: /^\/api\/fits\/([^/]+)$/,
      methods: {
        GET: (_q, res, [id]) => sendJson(res, 200, fits.state(id)),
        DELETE: (_q, res, [id]) => sendJson(res, 202, fits.cancel(id)),
      },
    },
    {
      pattern: /^\/api\/fits\/([^/]+)\/target\.png$/,
      methods: {
        GET: (_q, res, [id]) => {
          const png = fits.targetPng(id);
          res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length, 'cache-control': 'no-store' });
          res.end(png);
        },
      },
    },
    { pattern: /^\/api\/recordings$/, methods: { GET: async (_q, res) => sendJson(res, 200, await recordings.list()) } },
    {
      pattern: /^\/api\/recordings\/([^/]+)$/,
      methods: {
        GET: async (_q, res, [id]) => {
          if (!(await recordings.exists(id))) throw new ApiError(404, `recording: unknown recording '${id}'`, 'recording');
          await checkRecording(id);
          if ((await recordings.kind(id)) === 'fit') {
            // a pose fit's recording: its telemetry, target and renders
            try { sendJson(res, 200, await readFitRecording(recordings, id)); } catch (e) { throw new ApiError(422, `recording '${id}' cannot be read: ${(e as Error).message}`, 'recording'); }
            return;
          }
          let content;
          try { content = await recordings.read(id); } catch (e) { throw new ApiError(422, `recording '${id}' cannot be read: ${(e as Error).message}`, 'recording'); }
          // recordings written before contacts were traced: trace them now (best effort)
          const { metadata: m, trajectory: t } = content;
          if (t && !t.contacts) {
            try { content.trajectory = new ContactTracer(m.task, m.params).attach(t); } catch { /* unknown task or model: without contacts */ }
          }
          sendJson(res, 200, content);
        },
        DELETE: async (_q, res, [id]) => {
          if (!(await recordings.delete(id))) throw new ApiError(404, `recording: unknown recording '${id}'`, 'recording');
          sendJson(res, 200, { deleted: id });
        },
      },
    },
    {
      pattern: /^\/api\/recordings\/([^/]+)\/file$/,
      methods: {
        GET: async (_q, res, [id]) => {
          if (!isRecordingId(id) || !(await recordings.exists(id))) throw new ApiError(404, `recording: unknown recording '${id}'`, 'recording');
          await checkRecording(id);
          const file = recordings.filePath(id);
          // O_NOFOLLOW: a file swapped for a link after the check is not followed
          let fh;
          try { fh = await open(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW); } catch (e) {
            throw new ApiError(422, `recording '${id}' cannot be opened: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'recording');
          }
          const st = await fh.stat();
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': st.size, 'content-disposition': `attachment; filename="${id}.mcap"` });
          await new Promise<void>((resolve, reject) => {
            const s = fh.createReadStream();
            s.on('error', reject);
            res.on('close', resolve);
            s.pipe(res);
          });
        },
      },
    },
  ];

  return (req, res) => {
    const t0 = performance.now();
    let url: URL;
    try { url = new URL(req.url ?? '/', 'http://localhost'); } catch { url = new URL('http://localhost/'); }
    res.on('finish', () => {
      log.info({ event: 'http', method: req.method, path: url.pathname, status: res.statusCode, ms: +(performance.now() - t0).toFixed(2) }, 'request');
    });
    const fail = (e: unknown) => {
      // the client went away mid-request: nothing to answer, nothing wrong with the server
      if ((e as NodeJS.ErrnoException)?.code === 'ECONNRESET' || (e as Error)?.message === 'aborted' || req.socket?.destroyed === true) {
        log.info({ event: 'http.hangup', path: url.pathname }, 'client hung up mid-request');
        res.destroy();
        return;
      }
      const err = e instanceof ApiError ? e : e instanceof LiveInputError ? new ApiError(e.status, e.message, e.field)
        : new ApiError(500, `internal error: ${(e as Error)?.message ?? String(e)}`);
      if (err.status >= 500) log.error({ event: 'http.error', path: url.pathname, err: (e as Error)?.stack ?? String(e) }, 'handler failed');
      if (res.headersSent) { res.destroy(); return; }
      if (err.status === 413) res.setHeader('connection', 'close');
      for (const [k, v] of Object.entries(err.headers ?? {})) res.setHeader(k, v);
      sendJson(res, err.status, { error: err.message, ...(err.field ? { field: err.field } : {}) });
    };
    try {
      if ((req.url ?? '').length > MAX_URL_BYTES) { req.resume(); throw new ApiError(414, `url: longer than ${MAX_URL_BYTES} bytes`, 'url'); }
      const verdict = policy.check(req);
      if (!verdict.ok) { req.resume(); throw new ApiError(verdict.status, verdict.message, verdict.message.split(':')[0]); }
      if (verdict.cors) { res.setHeader('access-control-allow-origin', verdict.cors); res.setHeader('vary', 'origin'); }
      let pathname: string;
      try { pathname = decodeURIComponent(url.pathname); } catch { throw new ApiError(400, 'path: malformed URL encoding', 'path'); }
      if (pathname.length > 1 && pathname.endsWith('/')) pathname = pathname.slice(0, -1);
      const route = routes.find((r) => r.pattern.test(pathname));
      if (!route) { req.resume(); throw new ApiError(404, `no such endpoint: ${pathname}`); }
      const allow = [...Object.keys(route.methods), ...(route.methods.GET ? ['HEAD'] : []), 'OPTIONS'].join(', ');
      if (req.method === 'OPTIONS') {
        // a CORS preflight from an allowed origin gets what it asks for; a foreign one never got here
        req.resume();
        const headers: Record<string, string> = { allow, 'content-length': '0' };
        if (verdict.cors) Object.assign(headers, { 'access-control-allow-methods': allow, 'access-control-allow-headers': 'content-type', 'access-control-max-age': '600' });
        res.writeHead(204, headers);
        res.end();
        return;
      }
      const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
      const handler = route.methods[method];
      if (!handler) {
        req.resume();
        res.setHeader('allow', allow);
        throw new ApiError(405, `method ${req.method} not allowed on ${pathname} (allowed: ${Object.keys(route.methods).join(', ')})`);
      }
      if (BODY_METHODS.has(method) && !isJsonContentType(req.headers['content-type'])) {
        req.resume();
        throw new ApiError(415, `content-type: a request body must be application/json (got ${req.headers['content-type'] ? `'${req.headers['content-type'].slice(0, 100)}'` : 'none'})`, 'content-type');
      }
      const params = route.pattern.exec(pathname)!.slice(1);
      Promise.resolve().then(() => handler(req, res, params)).catch(fail);
    } catch (e) {
      fail(e);
    }
  };
}
