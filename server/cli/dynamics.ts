/**
 * npm run dynamics -- <urdf | robot name> [--floating | --fixed] [--package-dir DIR]... [--help]
 *
 * Reads JSON lines {"q":[...],"v":[...],"tau":[...]} on stdin and writes one JSON line each:
 * {"ddq":[...],"M":[[...]],"nle":[...]} = ABA(q, v, tau), CRBA(q), RNEA(q, v, 0).
 * A malformed line gets {"error":"line N: ..."} on stdout and the tool goes on with the next.
 */
import { createInterface } from 'node:readline';
import { createData } from '../dynamics/data.ts';
import { aba } from '../dynamics/aba.ts';
import { crba } from '../dynamics/crba.ts';
import { nonLinearEffects } from '../dynamics/rnea.ts';
import { listRobots, loadRobot } from '../model/robots.ts';
import { JOINT_FREE, type Model } from '../model/model.ts';
import { defineCommand, parseCommandLine } from './args.ts';

const COMMAND = defineCommand({
  name: 'dynamics',
  usage: `usage: npm run dynamics -- <urdf file | robot name> [options] < states.jsonl

For each input line {"q":[nq numbers],"v":[nv numbers],"tau":[nv numbers]} prints one line
{"ddq":[...],"M":[[...]],"nle":[...]}: forward dynamics (ABA), mass matrix (CRBA) and
nonlinear effects C(q,v)v + g(q) (RNEA with zero acceleration). Free-flyer q uses
[x y z qx qy qz qw]; v and tau use the base frame (Pinocchio's conventions).`,
  positionals: { name: 'a URDF file or robot name', min: 1, max: 1 },
  flags: {
    floating: { type: 'boolean', help: "free-flyer root (default: from the robot's metadata; fixed for a bare .urdf)" },
    fixed: { type: 'boolean', help: 'root welded to the world' },
    'package-dir': { type: 'string', arg: 'DIR', repeat: true, help: 'directory searched for package:// mesh URIs' },
  },
  notes: `robots: ${listRobots().join(', ') || '(none)'}`,
});

function fail(msg: string): never {
  process.stderr.write(`dynamics: ${msg}\n`);
  process.exit(1);
}

/** Validates one parsed input line; returns an error message or null. */
export function checkState(model: Model, obj: unknown): { q: Float64Array; v: Float64Array; tau: Float64Array } | string {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return 'expected a JSON object with q, v and tau';
  const rec = obj as Record<string, unknown>;
  const out: Record<string, Float64Array> = {};
  for (const [key, n] of [['q', model.nq], ['v', model.nv], ['tau', model.nv]] as const) {
    const x = rec[key];
    if (!Array.isArray(x)) return `'${key}' must be an array of ${n} numbers`;
    if (x.length !== n) return `'${key}' has ${x.length} numbers, expected ${n}`;
    const arr = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (typeof x[i] !== 'number' || !Number.isFinite(x[i])) return `'${key}[${i}]' is not a finite number`;
      arr[i] = x[i];
    }
    out[key] = arr;
  }
  for (let j = 1; j < model.njoints; j++) {
    if (model.jointTypes[j] !== JOINT_FREE) continue;
    const o = model.idxQ[j] + 3;
    const n = Math.hypot(out.q[o], out.q[o + 1], out.q[o + 2], out.q[o + 3]);
    if (Math.abs(n - 1) > 1e-6) return `quaternion q[${o}..${o + 3}] of joint '${model.jointNames[j]}' has norm ${n}, expected 1`;
  }
  return { q: out.q, v: out.v, tau: out.tau };
}

async function main(): Promise<void> {
  const args = parseCommandLine(COMMAND);
  if (args.floating && args.fixed) fail('--floating and --fixed: give one');
  const target = args._[0], floating = args.floating ? true : args.fixed ? false : undefined, packageDirs = args['package-dir'];
  let model: Model;
  try {
    const loaded = loadRobot(target, { floating, packageDirs });
    for (const w of loaded.warnings) process.stderr.write(`warning: ${w}\n`);
    model = loaded.model;
  } catch (e) {
    fail((e as Error).message);
  }
  const data = createData(model);
  const nv = model.nv;
  let lineNo = 0;
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    lineNo++;
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (e) {
      process.stdout.write(JSON.stringify({ error: `line ${lineNo}: invalid JSON (${(e as Error).message})` }) + '\n');
      continue;
    }
    const st = checkState(model, parsed);
    if (typeof st === 'string') {
      process.stdout.write(JSON.stringify({ error: `line ${lineNo}: ${st}` }) + '\n');
      continue;
    }
    try {
      const ddq = Array.from(aba(model, data, st.q, st.v, st.tau));
      const Mflat = crba(model, data, st.q);
      const M: number[][] = [];
      for (let r = 0; r < nv; r++) M.push(Array.from(Mflat.subarray(r * nv, r * nv + nv)));
      const nle = Array.from(nonLinearEffects(model, data, st.q, st.v));
      process.stdout.write(JSON.stringify({ ddq, M, nle }) + '\n');
    } catch (e) {
      process.stdout.write(JSON.stringify({ error: `line ${lineNo}: ${(e as Error).message}` }) + '\n');
    }
  }
}

main().catch((e: unknown) => fail((e as Error).message));
