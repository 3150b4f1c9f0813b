/** Test helpers: a real server on a free loopback port with a temp data dir, and a `ws` client that records messages. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { startServer, type RunningServer, type ServerOptions } from '../../server/api/server.ts';
import type { ServerMessage } from '../../shared/protocol.ts';

export function tempDir(prefix = 'rsddp-api-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function startTestServer(dataDir: string, opts: ServerOptions = {}): Promise<RunningServer> {
  return startServer({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent', ...opts });
}

export async function json(res: Response): Promise<any> {
  return res.json();
}

export async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

export class TestClient {
  readonly messages: ServerMessage[] = [];
  #waiters: { pred: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as ServerMessage;
      this.messages.push(m);
      this.#waiters = this.#waiters.filter((w) => { if (w.pred(m)) { w.resolve(m); return false; } return true; });
    });
  }

  static async connect(httpUrl: string): Promise<TestClient> {
    const ws = new WebSocket(httpUrl.replace(/^http/, 'ws') + '/ws');
    const c = new TestClient(ws);
    await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
    return c;
  }

  send(msg: unknown): void { this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg)); }

  /** The first message (already received or to come) matching pred. */
  waitFor<T extends ServerMessage = ServerMessage>(pred: (m: ServerMessage) => boolean, timeoutMs = 20_000, what = 'message'): Promise<T> {
    const seen = this.messages.find(pred);
    if (seen) return Promise.resolve(seen as T);
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${this.messages.length} messages, the last: ${this.messages.slice(-40).map((m) => m.type).join(',')}`)), timeoutMs);
      this.#waiters.push({ pred, resolve: (m) => { clearTimeout(t); resolve(m as T); } });
    });
  }

  /** The next message from now on matching pred. */
  next<T extends ServerMessage = ServerMessage>(pred: (m: ServerMessage) => boolean, timeoutMs = 20_000, what = 'message'): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      this.#waiters.push({ pred, resolve: (m) => { clearTimeout(t); resolve(m as T); } });
    });
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => { this.ws.once('close', () => resolve()); this.ws.close(); });
  }
}

export const isFinal = (plan: string, solver?: string) => (m: ServerMessage) => m.type === 'final' && m.plan === plan && (!solver || m.solver === solver);
