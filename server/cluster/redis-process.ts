/**
 * A private redis-server for tests and the cluster bench: Debian's binary (installed by
 * .ci/provision), on a free loopback port, its data in a temp folder, never the system service.
 * Persistence is the append-only file with fsync on every write, so a restart (kill and start
 * on the same folder and port) keeps every accepted job, as a production Redis for BullMQ
 * should be configured (docs/cluster.md).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface RedisProcess {
  url: string;
  port: number;
  dir: string;
  /** Kills the server (SIGKILL: nothing is flushed beyond what the AOF already holds). */
  kill(): Promise<void>;
  /** Starts it again on the same port and folder. */
  restart(): Promise<void>;
  /** Stops it and removes its folder. */
  stop(): Promise<void>;
}

/** A TCP port free on 127.0.0.1 now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/**
 * Starts redis-server; throws (never skips) when the binary is missing, with the command that
 * installs it.
 */
export async function startRedis(opts: { bin?: string; password?: string; tls?: { cert: string; key: string } } = {}): Promise<RedisProcess> {
  const bin = opts.bin ?? 'redis-server';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rsddp-redis-'));
  const port = await freePort();
  let child: ChildProcess | null = null;
  let log = '';
  const launch = async () => {
    const c = spawn(bin, [
      // with TLS, the port speaks TLS only (no plain port)
      ...(opts.tls ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', opts.tls.cert, '--tls-key-file', opts.tls.key, '--tls-auth-clients', 'no'] : ['--port', String(port)]), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes',
      '--appendfsync', 'always', '--daemonize', 'no', '--protected-mode', 'yes', '--maxmemory-policy', 'noeviction',
      ...(opts.password ? ['--requirepass', opts.password] : []),
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.stdout!.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-4000); });
    c.stderr!.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-4000); });
    const spawned = await new Promise<Error | null>((resolve) => { c.once('spawn', () => resolve(null)); c.once('error', resolve); });
    if (spawned) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`cannot start ${bin} (${spawned.message}): install it with 'sudo bash .ci/provision' (Debian's redis-server)`);
    }
    const t0 = Date.now();
    while (!(await accepts(port))) {
      if (c.exitCode !== null) throw new Error(`redis-server exited with code ${c.exitCode}: ${log}`);
      if (Date.now() - t0 > 10_000) throw new Error(`redis-server did not listen on port ${port} within 10 s: ${log}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const kill = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => { c.once('exit', () => resolve()); c.kill('SIGKILL'); });
  };
  await launch();
  return {
    url: `${opts.tls ? 'rediss' : 'redis'}://${opts.password ? `:${encodeURIComponent(opts.password)}@` : ''}127.0.0.1:${port}`, port, dir,
    kill,
    restart: launch,
    async stop() { await kill(); rmSync(dir, { recursive: true, force: true }); },
  };
}
