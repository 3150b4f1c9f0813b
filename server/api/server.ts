/**
 * The planning server: HTTP API + WebSocket on one node:http server, a PlanManager running the
 * solves and a RecordingStore writing them; with `foxglovePort`, the Foxglove WebSocket
 * protocol on a second port of the same host (foxglove-ws.ts). `startServer` resolves once listening; `close()`
 * cancels the solves, waits for their recordings to be written, and closes the sockets.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pino } from 'pino';
import { PlanManager, type Logger } from './sessions.ts';
import { FitManager } from './fits.ts';
import { RobotRegistry } from './robots.ts';
import { setRobotDirs } from '../model/robot-catalog.ts';
import { createHttpHandler, MAX_URL_BYTES } from './http.ts';
import { OriginPolicy } from './origin.ts';
import { attachWebSocket } from './ws.ts';
import { PROJECT_DIR, RecordingStore } from '../store/recordings.ts';
import { startFoxgloveEndpoint, type FoxgloveEndpoint } from './foxglove-ws.ts';
import { RemoteSolves } from '../cluster/remote-solves.ts';
import { RemoteFits } from '../cluster/remote-fits.ts';
import { LiveManager } from '../live/manager.ts';

export interface ServerOptions {
  /** 0 = a free port (default 8080). */
  port?: number;
  host?: string;
  /** Recordings folder (default <project>/data). */
  dataDir?: string;
  /** Extra folders with URDF robots. */
  robotsDirs?: string[];
  /** Bytes per URDF / robot metadata file (`--max-urdf-bytes`; default DEFAULT_MAX_URDF_BYTES). */
  maxUrdfBytes?: number;
  /** <link> (and <joint>) elements per URDF (`--max-urdf-links`; default DEFAULT_MAX_URDF_LINKS). */
  maxUrdfLinks?: number;
  /** Solves running at once (default 2). */
  concurrency?: number;
  /** Pose-fit method runs at once, one thread each (default DEFAULT_FIT_CONCURRENCY). */
  fitConcurrency?: number;
  /** pino level: 'silent' in tests (default 'info', or LOG_LEVEL). */
  logLevel?: string;
  /** Interval between two iterate messages of a solve (default 50 ms). */
  iterateIntervalMs?: number;
  /** Linearization threads of all running solves together (default: CPU cores; PlanManagerOptions). */
  maxWorkers?: number;
  /** Solves waiting at most; beyond, 429 with Retry-After (default 64). */
  queueLimit?: number;
  /** Wall-clock seconds per solve (default: the task's limit). */
  planTimeoutS?: number;
  /** Browser origins allowed besides the server's own (`--allowed-origin`). */
  allowedOrigins?: string[];
  /** Host header values allowed besides the server's addresses (`--allowed-host`). */
  allowedHosts?: string[];
  /** Also serve the Foxglove WebSocket protocol on this port of the same host (`--foxglove [PORT]`; 0 = a free port). */
  foxglovePort?: number;
  /**
   * Run every solve and pose-fit run as a BullMQ job on `npm run worker` processes sharing this Redis
   * (`--redis URL`, server/cluster/); without it they run on this process's threads.
   */
  redisUrl?: string;
  /**
   * With redisUrl: this server's name in its jobs (`--instance`, default the host name). Started
   * again under the same name, it takes back the plans it left to the workers.
   */
  instance?: string;
}

/**
 * A request the HTTP parser refused: a JSON 4xx naming why (431 headers too large, 414 request
 * line too long, 400 otherwise). A response still being written for an earlier request on the
 * same connection is finished first. A client that hung up is only logged.
 */
function onClientError(e: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex, log: Logger): void {
  if (e.code === 'ECONNRESET' || e.code === 'EPIPE' || !socket.writable) {
    log.info({ event: 'http.hangup', code: e.code }, 'client hung up');
    socket.destroy();
    return;
  }
  let status = 400, reason = 'Bad Request', message = `malformed HTTP request (${e.code ?? e.message})`;
  if (e.code === 'HPE_HEADER_OVERFLOW') {
    const raw = e.rawPacket;
    const eol = raw ? raw.indexOf('\r\n') : -1;
    if (eol === -1 || eol > MAX_URL_BYTES) [status, reason, message] = [414, 'URI Too Long', `url: the request line is longer than ${MAX_URL_BYTES} bytes`];
    else [status, reason, message] = [431, 'Request Header Fields Too Large', 'headers: larger than the server accepts (16 KiB)'];
  } else if (e.code === 'ERR_HTTP_REQUEST_TIMEOUT') [status, reason, message] = [408, 'Request Timeout', 'the request was not received in time'];
  log.info({ event: 'http.client_error', code: e.code, status }, 'refused a malformed request');
  const body = JSON.stringify({ error: message });
  const reply = () => {
    if (!socket.writable) { socket.destroy(); return; }
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  };
  const inflight = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
  if (inflight && !inflight.writableFinished) {
    inflight.once('finish', reply);
    inflight.once('close', () => { if (!socket.destroyed && socket.writable) reply(); });
  } else reply();
}

export interface RunningServer {
  url: string;
  port: number;
  plans: PlanManager;
  /** Live sessions (model-predictive control, server/live/). */
  live: LiveManager;
  fits: FitManager;
  recordings: RecordingStore;
  /** The Foxglove WebSocket endpoint, when started with foxglovePort. */
  foxglove: FoxgloveEndpoint | null;
  close(): Promise<void>;
}

export const DEFAULT_DATA_DIR = path.join(PROJECT_DIR, 'data');

export async function startServer(opts: ServerOptions = {}): Promise<RunningServer> {
  const log: Logger & { level: string } = pino({ level: opts.logLevel ?? process.env.LOG_LEVEL ?? 'info', base: undefined });
  // the robot folders travel in the environment to every solve and linearization thread (robot-catalog.ts)
  setRobotDirs(opts.robotsDirs ?? []);
  const robots = new RobotRegistry(opts.robotsDirs ?? [], { limits: {
    ...(opts.maxUrdfBytes !== undefined ? { maxBytes: opts.maxUrdfBytes } : {}),
    ...(opts.maxUrdfLinks !== undefined ? { maxLinks: opts.maxUrdfLinks } : {}) } });
  const recordings = new RecordingStore(opts.dataDir ?? DEFAULT_DATA_DIR);
  await recordings.init();
  let solves: RemoteSolves | undefined;
  let remoteFits: RemoteFits | undefined;
  if (opts.redisUrl) {
    solves = new RemoteSolves(opts.redisUrl);
    remoteFits = new RemoteFits(opts.redisUrl);
    try { await Promise.all([solves.ready(), remoteFits.ready()]); } catch (e) {
      await Promise.all([solves.close(), remoteFits.close()]);
      throw new Error(`--redis: ${(e as Error).message}`);
    }
  }
  const plans = new PlanManager({ concurrency: opts.concurrency, recordings, log, iterateIntervalMs: opts.iterateIntervalMs, solves,
    maxWorkers: opts.maxWorkers, queueLimit: opts.queueLimit, planTimeoutS: opts.planTimeoutS, knownRobots: () => robots.ids(),
    ...(opts.instance !== undefined ? { instance: opts.instance } : {}) });
  if (solves) {
    const adopted = await plans.adopt();
    if (adopted > 0) log.info({ event: 'plans.adopted', count: adopted, instance: plans.instance }, 'plans taken back from the cluster');
  }
  const live = new LiveManager(recordings, log);
  const fits = new FitManager({ concurrency: opts.fitConcurrency, recordings, log, iterateIntervalMs: opts.iterateIntervalMs, ...(remoteFits ? { runner: remoteFits } : {}) });
  const policy = new OriginPolicy({ allowedOrigins: opts.allowedOrigins, allowedHosts: opts.allowedHosts });
  const server = createServer({ requestTimeout: 60_000 }, createHttpHandler({ plans, fits, robots, recordings, log, policy, live }));
  server.on('clientError', (e: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket) => onClientError(e, socket, log));
  const ws = attachWebSocket(server, plans, log, policy, live, fits);
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8080, host, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  policy.listening(host, port);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let foxglove: FoxgloveEndpoint | null = null;
  if (opts.foxglovePort !== undefined) {
    try {
      foxglove = await startFoxgloveEndpoint({ host, port: opts.foxglovePort, plans, log, allowedOrigins: opts.allowedOrigins, allowedHosts: opts.allowedHosts });
    } catch (e) {
      await plans.close(); await fits.close(); await ws.close(); await robots.close();
      await new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
      throw new Error(`--foxglove ${opts.foxglovePort}: ${(e as Error).message}`);
    }
  }
  log.info({ event: 'server.listening', url, dataDir: recordings.dir, robots: robots.ids().length, foxglove: foxglove?.url ?? null, solves: solves ? 'cluster' : 'threads' }, 'listening');
  let closing: Promise<void> | null = null;
  return {
    url, port, plans, live, fits, recordings, foxglove,
    close() {
      closing ??= (async () => {
        log.info({ event: 'server.closing' }, 'shutting down');
        await live.close();
        await plans.close();
        await fits.close();
        await foxglove?.close();
        await ws.close();
        await robots.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        log.info({ event: 'server.closed' }, 'closed');
      })();
      return closing;
    },
  };
}
