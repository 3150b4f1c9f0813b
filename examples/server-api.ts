/**
 * Call the planning server's API: plan over HTTP, follow the solves over the WebSocket.
 *
 * Shows: starting the server in-process on a free port (server/api/server.ts `startServer`, what
 * `npm start` runs), `POST /api/plans` (DDP and R-DDP side by side on one problem), the
 * WebSocket `/ws`: subscribe to the plan, then `status`, `iterate` (live iterates, at most 20 per
 * second per solve) and `final` messages, each checked with the shared zod schemas
 * (shared/protocol.ts, as the web client does), and `GET /api/recordings`: every finished solve
 * is saved as an MCAP file, which examples/read-recording.ts opens. Then the server stops.
 *
 * Run: npx tsx examples/server-api.ts [--task cube-lift] [--iterations N] [--data DIR]
 *   --data: the recordings folder (default the server's, data/ in the project)
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { DEFAULT_DATA_DIR, startServer } from '../server/api/server.ts';
import { ServerMessageSchema, parseWith, type FinalMessage, type PlanState } from '../shared/protocol.ts';

const { values: opt } = parseArgs({ options: { task: { type: 'string', default: 'cube-lift' }, iterations: { type: 'string' }, data: { type: 'string' } } });
const dataDir = path.resolve(opt.data ?? DEFAULT_DATA_DIR);

const server = await startServer({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
console.log(`server listening on ${server.url} (recordings in ${dataDir})`);
try {
  // 1. POST a plan: 202 with its id; the solves are queued and run on the server's threads
  const body = { task: opt.task, solvers: ['ddp', 'rddp'], solverParams: opt.iterations ? { iterations: Number(opt.iterations) } : {} };
  const res = await fetch(`${server.url}/api/plans`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const created = await res.json() as { id: string; error?: string };
  if (res.status !== 202) throw new Error(`POST /api/plans: ${res.status} ${created.error}`);
  console.log(`POST /api/plans ${JSON.stringify(body)} -> ${res.status}, plan ${created.id}`);

  // 2. follow it over the WebSocket until both finals are in and the recordings are written
  const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws`);
  const finals = new Map<string, FinalMessage>();
  const state = await new Promise<PlanState>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no final state within 300 s')), 300_000);
    ws.on('error', reject);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', plans: [created.id] })));
    ws.on('message', (raw) => {
      const parsed = parseWith(ServerMessageSchema, JSON.parse(String(raw)));
      if (!parsed.ok) { reject(new Error(`invalid server message: ${parsed.message}`)); return; }
      const m = parsed.value;
      if (m.type === 'iterate') {
        const r = m.record;
        console.log(`iterate ${m.solver.padEnd(4)} it ${String(r.iteration).padStart(3)}  cost ${r.cost?.toExponential(4)}  step ${r.stepLength}  sigma ${r.sigma.toPrecision(3)}  (${m.trajectory.u.length} controls)`);
      } else if (m.type === 'final') {
        finals.set(m.solver, m);
        console.log(`final   ${m.solver.padEnd(4)} ${m.result.status}, ${m.result.iterations} iterations, cost ${m.result.cost}, success ${m.result.success}`);
      } else if (m.type === 'status' && m.plan.id === created.id) {
        console.log(`status  ${m.plan.solves.map((s) => `${s.solver} ${s.status}`).join(', ')}`);
        const over = m.plan.solves.every((s) => s.status === 'failed' || ((s.status === 'done' || s.status === 'cancelled') && s.recording !== null));
        if (over) { clearTimeout(timer); resolve(m.plan); }
      } else if (m.type === 'error') reject(new Error(`server: ${m.message}`));
    });
  });
  ws.close();

  // 3. the result, side by side
  console.log(`plan ${state.id}: ${state.task} on ${state.robot}, params ${JSON.stringify(state.params)}`);
  for (const s of state.solves) {
    const f = finals.get(s.solver);
    if (!f) { console.log(`  ${s.solver}: ${s.status}: ${s.error}`); continue; }
    const r = f.result;
    console.log(`  ${s.solver.padEnd(4)} cost ${r.initialCost} -> ${r.cost} in ${r.iterations} iterations (${r.status}), success ${r.success}, ${r.timings.total_s.toFixed(2)} s; metrics ${JSON.stringify(r.metrics)}`);
    console.log(`       recording ${s.recording}`);
  }
  const list = await (await fetch(`${server.url}/api/recordings`)).json() as { recordings: { id: string; file: string; size: number }[] };
  for (const s of state.solves) {
    const rec = list.recordings.find((x) => x.id === s.recording);
    if (rec) console.log(`GET /api/recordings: ${rec.id} -> ${path.join(dataDir, rec.file)} (${rec.size} bytes)`);
  }
} finally {
  await server.close();
  console.log('server stopped');
}
