/**
 * Open a recording (MCAP) and print its metadata, topics and first telemetry rows.
 *
 * Shows: what the server records for every finished solve (server/store/recordings.ts) and
 * how any program reads it with the MCAP library alone (@mcap/core, no server code): the
 * `rsddp` metadata record (robot, task, parameters, solver parameters, status, cost, timings;
 * every value JSON), the channels with their schemas and message counts (`/telemetry`: one
 * IterationRecord per iteration, `/trajectory`: the final plan, `/tf` and `/contacts`:
 * Foxglove's FrameTransform and SceneUpdate, `/robot`, `/scene`, `/target`: the robot's
 * geometry, the ground and the task's target for Foxglove's 3D panel, `/iterations` and
 * `/knots`: numbers for its Plot panel), and the first rows of `/telemetry`.
 *
 * Run: npx tsx examples/read-recording.ts [FILE.mcap | DIR] [--rows 5]
 *   (default: the newest .mcap in data/, where the server and examples/server-api.ts write them)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { McapIndexedReader } from '@mcap/core';

const { values: opt, positionals } = parseArgs({ options: { rows: { type: 'string', default: '5' } }, allowPositionals: true });
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const target = path.resolve(positionals[0] ?? path.join(root, 'data'));

// a folder: its newest recording
let file = target;
const st = statSync(target, { throwIfNoEntry: false });
if (!st) {
  console.log(`no recordings: ${target} does not exist${positionals[0] ? '' : ' (run examples/server-api.ts, or plan with the server, first)'}`);
  process.exit(positionals[0] ? 1 : 0);
}
if (st.isDirectory()) {
  const found = readdirSync(target).filter((f) => f.endsWith('.mcap')).map((f) => path.join(target, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (found.length === 0) {
    console.log(`no recordings in ${target}: run examples/server-api.ts (or plan with the server) first`);
    process.exit(0);
  }
  file = found[0];
}

const bytes = readFileSync(file);
const reader = await McapIndexedReader.Initialize({
  readable: { size: async () => BigInt(bytes.byteLength), read: async (offset, size) => bytes.subarray(Number(offset), Number(offset + size)) },
});
console.log(`${file}: ${bytes.byteLength} bytes, written by ${reader.header.library}`);

console.log('metadata:');
for await (const m of reader.readMetadata()) {
  for (const [key, value] of m.metadata) console.log(`  ${m.name}.${key} = ${value}`);
}

console.log('topics:');
const counts = reader.statistics?.channelMessageCounts;
for (const ch of reader.channelsById.values()) {
  const schema = reader.schemasById.get(ch.schemaId);
  console.log(`  ${ch.topic.padEnd(12)} ${String(counts?.get(ch.id) ?? '?').padStart(6)} messages   ${schema?.name ?? 'no schema'} (${ch.messageEncoding})`);
}

const rows = Number(opt.rows);
console.log(`first ${rows} rows of /telemetry:`);
console.log('  iteration           cost    step length  regularization      sigma  phase    ms');
const dec = new TextDecoder();
let n = 0;
for await (const msg of reader.readMessages({ topics: ['/telemetry'] })) {
  const r = JSON.parse(dec.decode(msg.data)) as { iteration: number; cost: number; stepLength: number; regularization: number; sigma: number; phase: string; times: { total: number } };
  console.log(`  ${String(r.iteration).padStart(9)} ${r.cost.toExponential(6).padStart(14)} ${String(r.stepLength).padStart(14)} ${r.regularization.toExponential(2).padStart(15)} ${r.sigma.toPrecision(4).padStart(10)}  ${r.phase.padEnd(7)} ${r.times.total.toFixed(1)}`);
  if (++n >= rows) break;
}
