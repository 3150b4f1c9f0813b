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

const HELP = `npm run worker -- --redis URL [options]: runs the planning and pose-fit jobs of the server's Redis queues

  --redis URL            redis://[:password@]host:port[/db] or rediss:// (TLS); default RSDDP_REDIS_URL
  --redis-ca FILE        with rediss://: a PEM file of CAs trusted besides the system's
                         (a lab's CA, a self-signed Redis certificate); default RSDDP_REDIS_CA
  --concurrency N        jobs at once, each on its own thread (default 1)
  --id NAME              how GET /api/plans names this worker (default host:pid)
  --lock-ms MS           a job's lock without renewal; a worker killed mid-job has its job
                         retried elsewhere after about this long (default 30000)
  --stalled-interval-ms MS  how often this worker looks for such jobs (default 30000)
  --iterate-interval-ms MS  least interval between two live iterates of a job sent to the
                         server (default 50: the server's WebSocket rate; 0: every iteration)
  --robots DIR           a folder of robots, as the server's --robots (repeatable): plans on
                         its robots must find them here too (default: RSDDP_ROBOTS)
  --help                 this text
`;

function parseArgs(argv: string[]) {
  const out = { redis: process.env.RSDDP_REDIS_URL ?? '', concurrency: 1, id: undefined as string | undefined, lockMs: 30_000, stalledIntervalMs: 30_000, iterateIntervalMs: 50, robots: [] as string[] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => { const v = argv[++i]; if (v === undefined) throw new Error(`${a} needs a value`); return v; };
    if (a === '--help' || a === '-h') { process.stdout.write(HELP); process.exit(0); }
    else if (a === '--redis') out.redis = val();
    else if (a === '--redis-ca') process.env.RSDDP_REDIS_CA = val();
    else if (a === '--concurrency') out.concurrency = Number(val());
    else if (a === '--id') out.id = val();
    else if (a === '--lock-ms') out.lockMs = Number(val());
    else if (a === '--stalled-interval-ms') out.stalledIntervalMs = Number(val());
    else if (a === '--iterate-interval-ms') out.iterateIntervalMs = Number(val());
    else if (a === '--robots') out.robots.push(val());
    else throw new Error(`unknown option ${a} (see --help)`);
  }
  if (!Number.isFinite(out.iterateIntervalMs) || out.iterateIntervalMs < 0) throw new Error(`invalid --iterate-interval-ms ${out.iterateIntervalMs}`);
  if (!out.redis) throw new Error('--redis URL (or RSDDP_REDIS_URL) is required');
  if (!/^rediss?:\/\//.test(out.redis)) throw new Error(`--redis: expected redis:// or rediss://, got '${out.redis.replace(/:[^:@/]*@/, ':***@')}'`);
  if (!Number.isInteger(out.concurrency) || out.concurrency < 1) throw new Error(`invalid --concurrency ${out.concurrency}`);
  for (const [k, v] of [['--lock-ms', out.lockMs], ['--stalled-interval-ms', out.stalledIntervalMs]] as const) {
    if (!Number.isInteger(v) || v < 100) throw new Error(`invalid ${k} ${v} (an integer >= 100)`);
  }
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
