/**
 * npm run bench [-- --json] [-- --only name,name]
 *
 * Runs every benchmark suite in one process and prints a table, or with --json one JSON object
 * {"results":[{"name","median_us","peer","peer_median_us",...}]}.
 *
 * `npm run bench` starts Node with --no-liftoff: WebAssembly (the MuJoCo peer) is compiled by
 * the optimizing compiler when first called, in the peer's thread, instead of by the baseline
 * compiler with a tier-up later on the process's shared compiler threads, where thousands of
 * MuJoCo functions queued ahead of our own JavaScript's optimization (a step then ran
 * unoptimized for seconds: 20 µs in 1 run of 4). MuJoCo runs its optimized code either way.
 */
import { batchBench } from './batch.ts';
import { contactBench } from './contact.ts';
import { derivativesBench } from './derivatives.ts';
import { dynamicsBench } from './dynamics.ts';
import { planningBench } from './planning.ts';
import { backwardBench } from './backward.ts';
import { clusterBench } from './cluster.ts';
import { mpcBench } from './mpc.ts';
import { renderBench } from './render.ts';
import type { BenchResult } from './harness.ts';

const suites: Array<{ name: string; run: () => Promise<BenchResult[]> }> = [
  { name: 'dynamics', run: dynamicsBench },
  { name: 'derivatives', run: derivativesBench },
  { name: 'contact', run: contactBench },
  { name: 'backward', run: backwardBench },
  { name: 'planning', run: planningBench },
  { name: 'batch', run: batchBench },
  { name: 'cluster', run: clusterBench },
  { name: 'mpc', run: mpcBench },
  { name: 'render', run: renderBench },
];

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help')) {
    process.stdout.write(`usage: npm run bench [-- --json] [-- --only suite[,suite]]\nsuites: ${suites.map((s) => s.name).join(', ')}\n`);
    return;
  }
  const json = argv.includes('--json');
  const onlyIdx = argv.indexOf('--only');
  const only = onlyIdx >= 0 ? new Set(argv[onlyIdx + 1]?.split(',')) : null;
  const results: BenchResult[] = [];
  for (const s of suites) {
    if (only && !only.has(s.name)) continue;
    if (!json) process.stderr.write(`running ${s.name}...\n`);
    results.push(...(await s.run()));
  }
  if (json) {
    process.stdout.write(JSON.stringify({ machine: { cpus: (await import('node:os')).cpus().length, node: process.version }, results }) + '\n');
    return;
  }
  const fmt = (x: number | undefined) => (x === undefined ? '' : x < 100 ? x.toFixed(2) : x.toFixed(0));
  process.stdout.write(`${'name'.padEnd(18)} ${'median µs'.padStart(10)} ${'target'.padStart(8)}   peer\n`);
  for (const r of results) {
    const ok = r.target_us === undefined ? '' : r.median_us <= r.target_us ? ' ok' : ' SLOW';
    const jobs = typeof r.jobs_per_s === 'number' ? `${r.jobs_per_s.toFixed(2)} solves/s${typeof r.overhead_per_job_ms === 'number' ? `, overhead ${r.overhead_per_job_ms.toFixed(1)} ms per job vs in-process` : ''}${typeof r.speedup_vs_1_worker === 'number' ? ` (${r.speedup_vs_1_worker.toFixed(2)}x 1 worker)` : ''}${r.mismatches ? `, ${r.mismatches} results DIFFER` : ''}` : '';
    const mpc = typeof r.replan_hz === 'number' ? String(r.note ?? '') : '';
    const rate = jobs || mpc || (typeof r.samples_per_s === 'number' ? `${Math.round(r.samples_per_s)} samples/s${typeof r.speedup_vs_cpu === 'number' ? ` (${r.speedup_vs_cpu.toFixed(2)}x cpu)` : ''}${typeof r.speedup_vs_workers === 'number' ? ` (${r.speedup_vs_workers.toFixed(2)}x workers)` : ''}${r.note && !r.samples_per_s ? ` ${r.note}` : ''}` : '');
    process.stdout.write(`${r.name.padEnd(18)} ${fmt(r.median_us).padStart(10)} ${fmt(r.target_us).padStart(8)}${ok.padEnd(5)} ${r.peer ? `${fmt(r.peer_median_us)} µs${typeof r.speedup_vs_peer === 'number' ? ` (ours ${r.speedup_vs_peer.toFixed(2)}x faster, paired rounds)` : ''}  ${r.peer}` : rate}\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
