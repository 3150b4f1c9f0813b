/**
 * The planning server: HTTP API + WebSocket on one node:http server, a PlanManager running the
 * solves and a RecordingStore writing them. `startServer` resolves once listening; `close()`
 * cancels the solves, waits for their recordings to be written, and closes the sockets.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pino } from 'pino';
import { PlanManager, type Logger } from './sessions.ts';
import { RobotRegistry } from './robots.ts';
import { createHttpHandler } from './http.ts';
import { attachWebSocket } from './ws.ts';
import { PROJECT_DIR, RecordingStore } from '../store/recordings.ts';

export interface ServerOptions {
  /** 0 = a free port (default 8080). */
  port?: number;
  host?: string;
  /** Recordings folder (default <project>/data). */
  dataDir?: string;
  /** Extra folders with URDF robots. */
  robotsDirs?: string[];
  /** Solves running at once (default 2). */
  concurrency?: number;
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
}

export interface RunningServer {
  url: string;
  port: number;
  plans: PlanManager;
  recordings: RecordingStore;
  close(): Promise<void>;
}

export const DEFAULT_DATA_DIR = path.join(PROJECT_DIR, 'data');

export async function startServer(opts: ServerOptions = {}): Promise<RunningServer> {
  const log: Logger & { level: string } = pino({ level: opts.logLevel ?? process.env.LOG_LEVEL ?? 'info', base: undefined });
  const robots = new RobotRegistry(opts.robotsDirs ?? []);
  const recordings = new RecordingStore(opts.dataDir ?? DEFAULT_DATA_DIR);
  await recordings.init();
  const plans = new PlanManager({ concurrency: opts.concurrency, recordings, log, iterateIntervalMs: opts.iterateIntervalMs,
    maxWorkers: opts.maxWorkers, queueLimit: opts.queueLimit, planTimeoutS: opts.planTimeoutS, knownRobots: () => robots.ids() });
  const server = createServer({ requestTimeout: 60_000 }, createHttpHandler({ plans, robots, recordings, log }));
  server.on('clientError', (_e, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  const ws = attachWebSocket(server, plans, log);
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8080, host, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ event: 'server.listening', url, dataDir: recordings.dir, robots: robots.ids().length }, 'listening');
  let closing: Promise<void> | null = null;
  return {
    url, port, plans, recordings,
    close() {
      closing ??= (async () => {
        log.info({ event: 'server.closing' }, 'shutting down');
        await plans.close();
        await ws.close();
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
