/**
 * Cluster benchmark: a study of 32 cube-lift R-DDP solves (seeds 1..32, the task's defaults,
 * CPU backend), in-process and as BullMQ jobs on 1 and on 2 `npm run worker` processes (each
 * concurrency 1) of a private redis-server on this machine. Each configuration is warmed up
 * first (4 solves: JIT, solve threads).
 *
 * - Throughput: the 32 solves submitted at once, timed from the first submission to the last
 *   result (in-process: one after the other, planner.plan() called directly).
 * - Per-job overhead: the 32 solves one at a time on 1 worker; per job, the time from
 *   submission to result minus the solve's own time (result.timings.total_s), median, less the
 *   same measure in-process (task build and result assembly outside the timed solve). Paired
 *   per job, so other load on the machine shifts it far less than a difference of walls.
 *
 * Every job's result is checked against the in-process one (cost and final controls, exactly).
 */
import os from 'node:os';
import { plan, type PlanRequest, type PlanResult } from '../server/planning/planner.ts';
import { RemoteSolves } from '../server/cluster/remote-solves.ts';
import { startRedis } from '../server/cluster/redis-process.ts';
import { spawnWorker, type WorkerProcess } from '../server/cluster/worker-process.ts';
import type { BenchResult } from './harness.ts';

const JOBS = 32;
const WARMUP = 4;

const request = (seed: number): PlanRequest => ({ task: 'cube-lift', solver: 'rddp', solverParams: { backend: 'cpu', seed } });
const same = (a: PlanResult, b: PlanResult) => a.cost === b.cost && JSON.stringify(a.trajectory.u) === JSON.stringify(b.trajectory.u);

const median = (xs: number[]) => { const v = [...xs].sort((a, b) => a - b); return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2; };

/** One solve: its result and the milliseconds around its own timed solve. */
async function timed(run: () => Promise<PlanResult>): Promise<{ r: PlanResult; outside_ms: number }> {
  const t0 = performance.now();
  const r = await run();
  return { r, outside_ms: performance.now() - t0 - r.timings.total_s * 1000 };
}

async function inProcess(): Promise<{ wall_s: number; outside_ms: number; results: PlanResult[] }> {
  for (let s = 1; s <= WARMUP; s++) await plan(request(1000 + s));
  const t0 = performance.now();
  const runs: Array<{ r: PlanResult; outside_ms: number }> = [];
  for (let s = 1; s <= JOBS; s++) runs.push(await timed(() => plan(request(s))));
  return { wall_s: (performance.now() - t0) / 1000, outside_ms: median(runs.map((x) => x.outside_ms)), results: runs.map((x) => x.r) };
}

async function onWorkers(n: number, reference: PlanResult[]): Promise<{ wall_s: number; outside_ms: number; mismatches: number }> {
  const redis = await startRedis();
  const workers: WorkerProcess[] = [];
  const solves = new RemoteSolves(redis.url);
  try {
    workers.push(...(await Promise.all(Array.from({ length: n }, (_, i) => spawnWorker(redis.url, `bench-${i + 1}`)))));
    await solves.ready();
    await Promise.all(Array.from({ length: WARMUP * n }, (_, i) => solves.plan(request(1000 + i))));
    // one at a time (1 worker only): the per-job overhead
    let outside_ms = NaN;
    let mismatches = 0;
    if (n === 1) {
      const seq: number[] = [];
      for (let s = 1; s <= JOBS; s++) {
        const { r, outside_ms: o } = await timed(() => solves.plan(request(s)));
        seq.push(o);
        if (!same(r, reference[s - 1])) mismatches++;
      }
      outside_ms = median(seq);
    }
    const t0 = performance.now();
    const results = await Promise.all(Array.from({ length: JOBS }, (_, i) => solves.plan(request(i + 1))));
    const wall_s = (performance.now() - t0) / 1000;
    mismatches += results.filter((r, i) => !same(r, reference[i])).length;
    return { wall_s, outside_ms, mismatches };
  } finally {
    await solves.close();
    for (const w of workers) await w.kill();
    await redis.stop();
  }
}

export async function clusterBench(): Promise<BenchResult[]> {
  const local = await inProcess();
  const one = await onWorkers(1, local.results);
  const two = await onWorkers(2, local.results);
  const rate = (wall: number) => JOBS / wall;
  const machine = `${os.cpus().length} cores`;
  return [
    { name: 'cluster_in_process', median_us: (local.wall_s / JOBS) * 1e6, jobs_per_s: rate(local.wall_s), wall_s: local.wall_s,
      note: `${JOBS} cube-lift R-DDP solves (seeds 1..${JOBS}, cpu backend) one after the other in this process, ${machine}` },
    { name: 'cluster_1_worker', median_us: (one.wall_s / JOBS) * 1e6, jobs_per_s: rate(one.wall_s), wall_s: one.wall_s, mismatches: one.mismatches,
      overhead_per_job_ms: one.outside_ms - local.outside_ms, outside_solve_ms: one.outside_ms, in_process_outside_solve_ms: local.outside_ms,
      note: `the same ${JOBS} as BullMQ jobs on 1 worker process (all at once; and one at a time for the overhead: median of submission-to-result minus the solve's own time, less in-process's ${local.outside_ms.toFixed(1)} ms); ${one.mismatches} of ${2 * JOBS} results differ from in-process` },
    { name: 'cluster_2_workers', median_us: (two.wall_s / JOBS) * 1e6, jobs_per_s: rate(two.wall_s), wall_s: two.wall_s, mismatches: two.mismatches,
      speedup_vs_1_worker: one.wall_s / two.wall_s,
      note: `all at once on 2 worker processes (${machine}, the server side in this process); ${two.mismatches} of ${JOBS} results differ from in-process` },
  ];
}
