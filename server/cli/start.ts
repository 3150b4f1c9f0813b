/**
 * npm start: the planning server (HTTP API + WebSocket, docs/api.md) on http://127.0.0.1:8080.
 *
 *   npm start [-- --port N] [--host H] [--robots DIR]... [--data DIR] [--concurrency N]
 *             [--max-workers N] [--queue-limit N] [--plan-timeout SECONDS]
 *             [--max-urdf-bytes N] [--max-urdf-links N] [--allowed-origin O]... [--allowed-host H]...
 *             [--foxglove [PORT]] [--redis URL]
 *
 * PORT, HOST and RSDDP_REDIS_URL are read from the environment too; LOG_LEVEL sets the pino level (info).
 * SIGINT / SIGTERM cancel the running solves, finish writing their recordings, and exit.
 */
import os from 'node:os';
import path from 'node:path';
import { startServer, DEFAULT_DATA_DIR } from '../api/server.ts';
import { DEFAULT_FOXGLOVE_PORT } from '../api/foxglove-ws.ts';
import { DEFAULT_MAX_URDF_BYTES, DEFAULT_MAX_URDF_LINKS, DEFAULT_PLAN_TIME_LIMIT_S } from '../../shared/limits.ts';
import { defineCommand, parseCommandLine } from './args.ts';

const COMMAND = defineCommand({
  name: 'start',
  usage: 'npm start [-- options]: the rsddp planning server',
  exitCode: 2,
  flags: {
    port: { type: 'number', integer: true, min: 0, max: 65535, help: 'port (default: PORT or 8080; 0 = any free port)' },
    host: { type: 'string', arg: 'H', help: 'interface (default: HOST or 127.0.0.1)' },
    robots: { type: 'string', arg: 'DIR', repeat: true, help: 'extra folder of URDF robots, e.g. ../shared/robots/example-robot-data' },
    data: { type: 'string', arg: 'DIR', help: `recordings folder (default: ${path.relative(process.cwd(), DEFAULT_DATA_DIR) || DEFAULT_DATA_DIR})` },
    concurrency: { type: 'number', integer: true, min: 1, help: 'solves running at once (default: CPU cores, one solve per core)' },
    'allowed-origin': { type: 'string', arg: 'O', repeat: true, help: "a browser origin (scheme://host[:port]) that may use the API besides the server's own, with CORS headers; others get 403" },
    'allowed-host': { type: 'string', arg: 'H', repeat: true, help: 'a Host header value, HOST or HOST:PORT, accepted besides the addresses the server listens on (e.g. a name behind a reverse proxy); others get 403' },
    'max-workers': { type: 'number', integer: true, min: 1, help: 'linearization threads of all running solves together (default: CPU cores); a plan asking for more workers gets what is free' },
    'queue-limit': { type: 'number', integer: true, min: 0, help: 'solves waiting at most (default 64); beyond, 429 with Retry-After' },
    'plan-timeout': { type: 'number', arg: 'S', check: (x) => x > 0, what: 'seconds > 0', help: `wall-clock seconds each solve may run (default: the task's limit, ${DEFAULT_PLAN_TIME_LIMIT_S} s unless the task sets less); a request's timeLimit can only lower it` },
    'max-urdf-bytes': { type: 'number', integer: true, min: 1, help: `bytes per URDF or robot .json file (default ${DEFAULT_MAX_URDF_BYTES}); checked before reading` },
    'max-urdf-links': { type: 'number', integer: true, min: 1, help: `<link> (and <joint>) elements per URDF (default ${DEFAULT_MAX_URDF_LINKS})` },
    foxglove: { type: 'number', arg: 'PORT', integer: true, min: 0, max: 65535, bare: DEFAULT_FOXGLOVE_PORT, help: `also serve the Foxglove WebSocket protocol on PORT (default ${DEFAULT_FOXGLOVE_PORT}) of the same host: each running plan's latest iterate, live (docs/api.md); same Host / Origin rules (Foxglove's web app: --allowed-origin https://app.foxglove.dev)` },
    redis: { type: 'string', arg: 'URL', help: 'run every solve as a job on `npm run worker` processes sharing this Redis (redis://[:password@]host:port[/db], rediss:// for TLS; default RSDDP_REDIS_URL; docs/cluster.md); without it solves run in this process' },
    'redis-ca': { type: 'string', arg: 'FILE', help: "with a rediss:// URL: a PEM file of CAs trusted besides the system's (a lab's CA, a self-signed Redis certificate); default RSDDP_REDIS_CA" },
    instance: { type: 'string', arg: 'NAME', help: 'with --redis: this server\'s name in its jobs (default the host name); a server stopped (or crashed) while its jobs ran, started again under the same name, reports those plans again and records their results' },
  },
});

function parseArgs(argv: string[]) {
  const a = parseCommandLine(COMMAND, argv);
  if (a['redis-ca'] !== undefined) process.env.RSDDP_REDIS_CA = a['redis-ca'];
  const out = { port: a.port ?? Number(process.env.PORT ?? 8080), host: a.host ?? process.env.HOST ?? '127.0.0.1', robots: a.robots, data: a.data !== undefined ? path.resolve(a.data) : DEFAULT_DATA_DIR,
    concurrency: a.concurrency ?? os.cpus().length, maxWorkers: a['max-workers'] ?? os.cpus().length, queueLimit: a['queue-limit'] ?? 64, planTimeout: a['plan-timeout'],
    allowedOrigins: a['allowed-origin'], allowedHosts: a['allowed-host'], maxUrdfBytes: a['max-urdf-bytes'] ?? DEFAULT_MAX_URDF_BYTES, maxUrdfLinks: a['max-urdf-links'] ?? DEFAULT_MAX_URDF_LINKS,
    foxglove: a.foxglove, redis: a.redis ?? (process.env.RSDDP_REDIS_URL || undefined), instance: a.instance };
  // the flags are checked by their table; PORT from the environment is checked here
  if (!Number.isInteger(out.port) || out.port < 0 || out.port > 65535) throw new Error(`invalid port ${out.port}`);
  if (out.redis !== undefined && !/^rediss?:\/\//.test(out.redis)) throw new Error(`--redis: expected redis:// or rediss://, got '${out.redis.replace(/:[^:@/]*@/, ':***@')}'`);
  if (out.instance !== undefined && (out.instance.length < 1 || out.instance.length > 200)) throw new Error('--instance: a name of 1 to 200 characters');
  if (out.instance !== undefined && out.redis === undefined) throw new Error('--instance needs --redis (it names this server in its jobs)');
  return out;
}

let args;
try {
  args = parseArgs(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`start: ${(e as Error).message}\n`);
  process.exit(2);
}

try {
  const server = await startServer({ port: args.port, host: args.host, dataDir: args.data, robotsDirs: args.robots, concurrency: args.concurrency,
    maxWorkers: args.maxWorkers, queueLimit: args.queueLimit, planTimeoutS: args.planTimeout, allowedOrigins: args.allowedOrigins, allowedHosts: args.allowedHosts,
    maxUrdfBytes: args.maxUrdfBytes, maxUrdfLinks: args.maxUrdfLinks, foxglovePort: args.foxglove, redisUrl: args.redis, instance: args.instance });
  process.stdout.write(`rsddp planning server: ${server.url}  (recordings in ${server.recordings.dir}; Ctrl-C to stop)\n`);
  if (args.redis) process.stdout.write(`solves run as jobs on the workers of ${args.redis.replace(/:[^:@/]*@/, ':***@')} (npm run worker -- --redis URL)\n`);
  if (server.foxglove) process.stdout.write(`Foxglove WebSocket protocol: ${server.foxglove.url}  (Foxglove: Open connection → Foxglove WebSocket)\n`);
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) { process.stderr.write(`${sig} again: exiting now\n`); process.exit(1); }
    stopping = true;
    process.stderr.write(`${sig}: cancelling solves, finishing recordings...\n`);
    server.close().then(() => process.exit(0), (e) => { process.stderr.write(`shutdown: ${(e as Error).message}\n`); process.exit(1); });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
} catch (e) {
  process.stderr.write(`start: ${(e as Error).message}\n`);
  process.exit(1);
}
