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

const HELP = `npm start [-- options]: the rsddp planning server

  --port N          port (default: PORT or 8080; 0 = any free port)
  --host H          interface (default: HOST or 127.0.0.1)
  --robots DIR      extra folder of URDF robots (repeatable), e.g. ../shared/robots/example-robot-data
  --data DIR        recordings folder (default: ${path.relative(process.cwd(), DEFAULT_DATA_DIR) || DEFAULT_DATA_DIR})
  --concurrency N   solves running at once (default: CPU cores, one solve per core)
  --allowed-origin O  a browser origin (scheme://host[:port]) that may use the API besides the
                    server's own, with CORS headers (repeatable); others get 403
  --allowed-host H  a Host header value, HOST or HOST:PORT, accepted besides the addresses the
                    server listens on (repeatable; e.g. a name behind a reverse proxy); others get 403
  --max-workers N   linearization threads of all running solves together (default: CPU
                    cores); a plan asking for more workers gets what is free
  --queue-limit N   solves waiting at most (default 64); beyond, 429 with Retry-After
  --plan-timeout S  wall-clock seconds each solve may run (default: the task's limit,
                    ${DEFAULT_PLAN_TIME_LIMIT_S} s unless the task sets less); a request's timeLimit can only lower it
  --max-urdf-bytes N  bytes per URDF or robot .json file (default ${DEFAULT_MAX_URDF_BYTES}); checked before reading
  --max-urdf-links N  <link> (and <joint>) elements per URDF (default ${DEFAULT_MAX_URDF_LINKS})
  --foxglove [PORT] also serve the Foxglove WebSocket protocol on PORT (default ${DEFAULT_FOXGLOVE_PORT}) of
                    the same host: each running plan's latest iterate, live (docs/api.md); same
                    Host / Origin rules (Foxglove's web app: --allowed-origin https://app.foxglove.dev)
  --redis URL       run every solve as a job on \`npm run worker\` processes sharing this Redis
                    (redis://[:password@]host:port[/db], rediss:// for TLS; default RSDDP_REDIS_URL;
                    docs/cluster.md); without it solves run in this process
  --redis-ca FILE   with a rediss:// URL: a PEM file of CAs trusted besides the system's (a
                    lab's CA, a self-signed Redis certificate); default RSDDP_REDIS_CA
  --instance NAME   with --redis: this server's name in its jobs (default the host name); a
                    server stopped (or crashed) while its jobs ran, started again under the same
                    name, reports those plans again and records their results
  --help            this text
`;

function parseArgs(argv: string[]) {
  const out = { port: Number(process.env.PORT ?? 8080), host: process.env.HOST ?? '127.0.0.1', robots: [] as string[], data: DEFAULT_DATA_DIR, concurrency: os.cpus().length,
    maxWorkers: os.cpus().length, queueLimit: 64, planTimeout: undefined as number | undefined, allowedOrigins: [] as string[], allowedHosts: [] as string[],
    maxUrdfBytes: DEFAULT_MAX_URDF_BYTES, maxUrdfLinks: DEFAULT_MAX_URDF_LINKS, foxglove: undefined as number | undefined,
    redis: process.env.RSDDP_REDIS_URL || undefined as string | undefined, instance: undefined as string | undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--help' || a === '-h') { process.stdout.write(HELP); process.exit(0); }
    else if (a === '--port') out.port = Number(val());
    else if (a === '--host') out.host = val();
    else if (a === '--robots') out.robots.push(val());
    else if (a === '--data') out.data = path.resolve(val());
    else if (a === '--concurrency') out.concurrency = Number(val());
    else if (a === '--allowed-origin') out.allowedOrigins.push(val());
    else if (a === '--allowed-host') out.allowedHosts.push(val());
    else if (a === '--max-workers') out.maxWorkers = Number(val());
    else if (a === '--queue-limit') out.queueLimit = Number(val());
    else if (a === '--plan-timeout') out.planTimeout = Number(val());
    else if (a === '--max-urdf-bytes') out.maxUrdfBytes = Number(val());
    else if (a === '--max-urdf-links') out.maxUrdfLinks = Number(val());
    else if (a === '--redis') out.redis = val();
    else if (a === '--redis-ca') process.env.RSDDP_REDIS_CA = val();
    else if (a === '--instance') out.instance = val();
    else if (a === '--foxglove') {
      // the port is optional: a following option (or nothing) means the default
      const next = argv[i + 1];
      out.foxglove = next === undefined || next.startsWith('-') ? DEFAULT_FOXGLOVE_PORT : Number(argv[++i]);
    }
    else throw new Error(`unknown option ${a} (see --help)`);
  }
  if (!Number.isInteger(out.port) || out.port < 0 || out.port > 65535) throw new Error(`invalid port ${out.port}`);
  if (!Number.isInteger(out.concurrency) || out.concurrency < 1) throw new Error(`invalid concurrency ${out.concurrency}`);
  if (!Number.isInteger(out.maxWorkers) || out.maxWorkers < 1) throw new Error(`invalid --max-workers ${out.maxWorkers} (an integer >= 1)`);
  if (!Number.isInteger(out.queueLimit) || out.queueLimit < 0) throw new Error(`invalid --queue-limit ${out.queueLimit} (an integer >= 0)`);
  if (out.planTimeout !== undefined && !(Number.isFinite(out.planTimeout) && out.planTimeout > 0)) throw new Error(`invalid --plan-timeout ${out.planTimeout} (seconds > 0)`);
  if (!Number.isInteger(out.maxUrdfBytes) || out.maxUrdfBytes < 1) throw new Error(`invalid --max-urdf-bytes ${out.maxUrdfBytes} (an integer >= 1)`);
  if (!Number.isInteger(out.maxUrdfLinks) || out.maxUrdfLinks < 1) throw new Error(`invalid --max-urdf-links ${out.maxUrdfLinks} (an integer >= 1)`);
  if (out.redis !== undefined && !/^rediss?:\/\//.test(out.redis)) throw new Error(`--redis: expected redis:// or rediss://, got '${out.redis.replace(/:[^:@/]*@/, ':***@')}'`);
  if (out.instance !== undefined && (out.instance.length < 1 || out.instance.length > 200)) throw new Error('--instance: a name of 1 to 200 characters');
  if (out.instance !== undefined && out.redis === undefined) throw new Error('--instance needs --redis (it names this server in its jobs)');
  if (out.foxglove !== undefined && (!Number.isInteger(out.foxglove) || out.foxglove < 0 || out.foxglove > 65535)) throw new Error(`invalid --foxglove port ${out.foxglove}`);
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
