/**
 * npm run bench:compare -- --base REV [--head REV] [--rounds N] [--only suite[,suite]] [--out FILE]
 *
 * Paired benchmark of two revisions (a refactor must not slow anything down beyond noise): both
 * are checked out in temporary git worktrees (the working tree's own node_modules linked in),
 * and `npm run bench -- --json` runs N rounds, alternating which revision goes first, so that
 * the machine's drift (other load, thermal state) falls on both alike. Per benchmark: the
 * median over rounds of each revision's median, and the median of the per-round ratios
 * head / base (< 1: head faster) with their range: the paired figure to read.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exampleRobotDataDir } from './mujoco-scene.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Args { base: string; head: string; rounds: number; only: string | null; out: string | null }

const USAGE = 'usage: npm run bench:compare -- --base REV [--head REV (default HEAD)] [--rounds N (default 3)] [--only suite[,suite]] [--out FILE]\n';

export function parseCompareArgs(argv: string[]): Args {
  const a: Args = { base: '', head: 'HEAD', rounds: 3, only: null, out: null };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => { const x = argv[++i]; if (x === undefined) throw new Error(`${k} needs a value`); return x; };
    if (k === '--base') a.base = v();
    else if (k === '--head') a.head = v();
    else if (k === '--rounds') a.rounds = Number(v());
    else if (k === '--only') a.only = v();
    else if (k === '--out') a.out = v();
    else throw new Error(`unknown option ${k}`);
  }
  if (!a.base) throw new Error('--base REV is required');
  if (!Number.isInteger(a.rounds) || a.rounds < 1 || a.rounds > 50) throw new Error(`--rounds: an integer from 1 to 50, got ${a.rounds}`);
  return a;
}

const median = (xs: number[]) => { const s = [...xs].sort((p, q) => p - q); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

export interface Paired { name: string; base_us: number; head_us: number; ratio: number; ratio_min: number; ratio_max: number }

/** Per benchmark present in every round of both: medians and the paired ratio head / base. */
export function pairRounds(base: Map<string, number>[], head: Map<string, number>[]): Paired[] {
  const out: Paired[] = [];
  for (const name of base[0]?.keys() ?? []) {
    const b = base.map((r) => r.get(name)), h = head.map((r) => r.get(name));
    if (b.some((x) => x === undefined || !(x > 0)) || h.some((x) => x === undefined || !(x > 0))) continue;
    const ratios = b.map((x, i) => h[i]! / x!);
    out.push({ name, base_us: median(b as number[]), head_us: median(h as number[]), ratio: median(ratios), ratio_min: Math.min(...ratios), ratio_max: Math.max(...ratios) });
  }
  return out;
}

function checkout(rev: string): { dir: string; sha: string } {
  const sha = execFileSync('git', ['rev-parse', '--verify', `${rev}^{commit}`], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dir = mkdtempSync(path.join(os.tmpdir(), `rsddp-bench-${sha.slice(0, 8)}-`));
  execFileSync('git', ['worktree', 'add', '--detach', '--force', dir, sha], { cwd: ROOT, stdio: 'ignore' });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return { dir, sha };
}

function runBench(dir: string, only: string | null): Map<string, number> {
  const args = ['--no-liftoff', '--import', 'tsx', 'bench/run.ts', '--json', ...(only ? ['--only', only] : [])];
  // the checkouts are not beside ../shared: both read this checkout's upstream robots (the peers' models)
  const env = { ...process.env, EXAMPLE_ROBOT_DATA: exampleRobotDataDir() };
  const r = spawnSync(process.execPath, args, { cwd: dir, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`bench in ${dir} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const line = r.stdout.trim().split('\n').at(-1)!;
  const parsed = JSON.parse(line) as { results: { name: string; median_us: number }[] };
  return new Map(parsed.results.map((x) => [x.name, x.median_us]));
}

async function main(): Promise<void> {
  let args: Args;
  try { args = parseCompareArgs(process.argv.slice(2)); } catch (e) {
    process.stderr.write(`bench:compare: ${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const trees = [checkout(args.base), checkout(args.head)];
  try {
    const rounds: Map<string, number>[][] = [[], []];
    for (let r = 0; r < args.rounds; r++) {
      // alternate who goes first: drift falls on both alike
      const order = r % 2 === 0 ? [0, 1] : [1, 0];
      for (const i of order) {
        process.stderr.write(`round ${r + 1}/${args.rounds}: ${i === 0 ? 'base' : 'head'} ${trees[i].sha.slice(0, 8)}...\n`);
        rounds[i].push(runBench(trees[i].dir, args.only));
      }
    }
    const paired = pairRounds(rounds[0], rounds[1]);
    const fmt = (x: number) => (x < 100 ? x.toFixed(2) : x.toFixed(0));
    const lines = [
      `paired bench: base ${trees[0].sha.slice(0, 12)} (${args.base}), head ${trees[1].sha.slice(0, 12)} (${args.head}), ${args.rounds} rounds alternating, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)} at the end`,
      '',
      '| benchmark | base median µs | head median µs | head / base (median of rounds) | range |',
      '|---|---:|---:|---:|---|',
      ...paired.map((p) => `| ${p.name} | ${fmt(p.base_us)} | ${fmt(p.head_us)} | ${p.ratio.toFixed(3)} | ${p.ratio_min.toFixed(3)}–${p.ratio_max.toFixed(3)} |`),
      '',
    ];
    process.stdout.write(lines.join('\n'));
    if (args.out) writeFileSync(args.out, JSON.stringify({ base: trees[0].sha, head: trees[1].sha, rounds: args.rounds, paired, raw: rounds.map((rs) => rs.map((m) => Object.fromEntries(m))) }, null, 1));
  } finally {
    for (const t of trees) {
      try { execFileSync('git', ['worktree', 'remove', '--force', t.dir], { cwd: ROOT, stdio: 'ignore' }); } catch { /* removed below */ }
      if (existsSync(t.dir)) rmSync(t.dir, { recursive: true, force: true });
    }
    execFileSync('git', ['worktree', 'prune'], { cwd: ROOT, stdio: 'ignore' });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) void main();
