/**
 * `npm run worker` as a child process (tests and the cluster bench): resolves once it says it
 * is ready; kill() sends the signal and waits for the exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface WorkerProcess {
  id: string;
  child: ChildProcess;
  /** Everything it wrote to stderr (its log), the last 20 kB. */
  log(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function spawnWorker(url: string, id: string, extra: string[] = []): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'server/cli/worker.ts'), '--redis', url, '--id', id, ...extra], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env },
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-20_000); });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`worker ${id} not ready within 30 s: ${err}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(' ready:')) { clearTimeout(timer); resolve(); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`worker ${id} exited with code ${code}: ${err}`)); });
  });
  return {
    id, child, log: () => err,
    kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.kill(signal); });
    },
  };
}
