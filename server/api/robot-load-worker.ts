/**
 * The robot loader's thread (robot-loader.ts): receives { id, job }, answers { id, ok, value }
 * or { id, ok: false, message }, one load at a time; says { ready: true } once it has booted.
 */
import { parentPort } from 'node:worker_threads';
import { loadForServing, type LoadJob } from './robot-loader.ts';

if (!parentPort) throw new Error('robot-load-worker must run in a worker thread');
const port = parentPort;
port.on('message', ({ id, job }: { id: number; job: LoadJob }) => {
  try {
    port.postMessage({ id, ok: true, value: loadForServing(job) });
  } catch (e) {
    port.postMessage({ id, ok: false, message: (e as Error)?.message ?? String(e) });
  }
});
port.postMessage({ ready: true });
