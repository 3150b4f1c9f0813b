/**
 * npm run worker -- --redis URL [--concurrency N] [--id NAME] [--lock-ms MS] [--stalled-interval-ms MS] [--iterate-interval-ms MS]
 *
 * A cluster worker (server/cluster/worker.ts): runs the solves and pose fits of `npm start -- --redis URL` and
 * `npm run experiment -- ... --redis URL` on this machine. The URL may come from RSDDP_REDIS_URL.
 * SIGINT / SIGTERM stop taking jobs, let the running ones finish, and exit.
 */
import os from 'node:os';
import { setRobotDirs } from '../model/robot-catalog.ts';
import { ClusterWorker } from '../cluster/worker.ts';
import { codeVersion } from '../cluster/version.ts';
import { PROTOCOL_VERSION } from '../../shared/protocol.ts';
import { defineCommand, parseCommandLine } from './args.ts';

const COMMAND = defineCommand({
  name: 'worker',
  usage: "npm run worker -- --redis URL [options]: runs the planning and pose-fit jobs of the server's Redis queues",
  exitCode: 2,
  flags: {
    redis: { type: 'string', arg: 'URL', help: 'redis://[:password@]host:port[/db] or rediss:// (TLS); default RSDDP_REDIS_URL' },
    'redis-ca': { type: 'string', arg: 'FILE', help: "with rediss://: a PEM file of CAs trusted besides the system's (a lab's CA, a self-signed Redis certificate); default RSDDP_REDIS_CA" },
    concurrency: { type: 'number', integer: true, min: 1, default: 1, help: 'jobs at once, each on its own thread' },
    id: { type: 'string', arg: 'NAME', help: 'how GET /api/plans names this worker (default host:pid)' },
    'lock-ms': { type: 'number', arg: 'MS', integer: true, min: 100, default: 30_000, help: "a job's lock without renewal; a worker killed mid-job has its job retried elsewhere after about this long" },
    'stalled-interval-ms': { type: 'number', arg: 'MS', integer: true, min: 100, default: 30_000, help: 'how often this worker looks for such jobs' },
    'iterate-interval-ms': { type: 'number', arg: 'MS', min: 0, default: 50, help: "least interval between two live iterates of a job sent to the server (50: the server's WebSocket rate; 0: every iteration)" },
    robots: { type: 'string', arg: 'DIR', repeat: true, help: "a folder of robots, as the server's --robots: plans on its robots must find them here too (default: RSDDP_ROBOTS)" },
  },
});

function parseArgs(argv: string[]) {
  const a = parseCommandLine(COMMAND, argv);
  if (a['redis-ca'] !== undefined) process.env.RSDDP_REDIS_CA = a['redis-ca'];
  const out = { redis: a.redis ?? process.env.RSDDP_REDIS_URL ?? '', concurrency: a.concurrency, id: a.id, lockMs: a['lock-ms'], stalledIntervalMs: a['stalled-interval-ms'],
    iterateIntervalMs: a['iterate-interval-ms'], robots: a.robots };
  if (!out.redis) throw new Error('--redis URL (or RSDDP_REDIS_URL) is required');
  if (!/^rediss?:\/\//.test(out.redis)) throw new Error(`--redis: expected redis:// or rediss://, got '${out.redis.replace(/:[^:@/]*@/, ':***@')}'`);
  if (out.robots.length) setRobotDirs(out.robots);
  return out;
}

let args;
try {
  args = parseArgs(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`worker: ${(e as Error).message}\n`);
  process.exit(2);
}

const worker = new ClusterWorker({ url: args.redis, concurrency: args.concurrency, id: args.id, lockMs: args.lockMs, stalledIntervalMs: args.stalledIntervalMs, iterateIntervalMs: args.iterateIntervalMs,
  log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`) });
try {
  await worker.ready();
} catch (e) {
  process.stderr.write(`worker: Redis at ${args.redis.replace(/:[^:@/]*@/, ':***@')}: ${(e as Error).message}\n`);
  process.exit(1);
}
process.stdout.write(`rsddp worker ${worker.id} ready: ${args.concurrency} job${args.concurrency > 1 ? 's' : ''} at once, protocol ${PROTOCOL_VERSION}, code ${codeVersion()}, ${os.cpus().length} cores\n`);
let stopping = false;
const stop = (sig: string) => {
  if (stopping) process.exit(1);
  stopping = true;
  process.stderr.write(`${sig}: finishing the running jobs...\n`);
  worker.close().then(() => process.exit(0), () => process.exit(1));
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
