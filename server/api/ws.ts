/**
 * The WebSocket endpoint /ws (`ws`, sharing the HTTP server). On connection the server sends
 * `hello` (protocol version and the current state of every plan); a client then subscribes to
 * plans ('all' or ids) and receives their status / iterate / final messages, starting with a
 * snapshot of each plan (late joiners are brought up to date at once). replan and cancel go
 * through the same PlanManager methods as HTTP. Every message is validated; a bad one gets an
 * `error` message naming the field, and the connection stays open.
 */
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { parseClientMessage, PROTOCOL_VERSION, type ServerMessage } from '../../shared/protocol.ts';
import { ApiError, type Logger, type PlanManager } from './sessions.ts';
import { PROJECT_VERSION } from '../store/recordings.ts';
import { MAX_BODY_BYTES } from './http.ts';
import type { OriginPolicy } from './origin.ts';

/** A client whose send buffer grows past this is too slow: iterates are dropped for it (finals and statuses are not). */
const SLOW_CLIENT_BYTES = 8 * 1024 * 1024;

interface Client { ws: WebSocket; all: boolean; plans: Set<string> }

export function attachWebSocket(server: HttpServer, plans: PlanManager, log: Logger, policy: OriginPolicy): { close(): Promise<void>; clients(): number } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES });
  const clients = new Set<Client>();

  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    let pathname = '/';
    try { pathname = new URL(req.url ?? '/', 'http://localhost').pathname; } catch { /* keep '/' */ }
    if (pathname !== '/ws') {
      socket.write('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      socket.destroy();
      return;
    }
    socket.on('error', () => socket.destroy());
    // a page of another site may open WebSockets to any address: same Host / Origin rules as HTTP
    const verdict = policy.check(req);
    if (!verdict.ok) {
      log.info({ event: 'ws.refused', origin: req.headers.origin, host: req.headers.host }, 'ws upgrade refused');
      const body = JSON.stringify({ error: verdict.message });
      socket.end(`HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const send = (c: Client, msg: ServerMessage) => {
    if (c.ws.readyState !== WebSocket.OPEN) return;
    if (msg.type === 'iterate' && c.ws.bufferedAmount > SLOW_CLIENT_BYTES) return;
    c.ws.send(JSON.stringify(msg));
  };

  const onMessage = (msg: ServerMessage) => {
    const id = msg.type === 'status' ? msg.plan.id : msg.type === 'iterate' || msg.type === 'final' ? msg.plan : null;
    if (id === null) return;
    let text: string | null = null;
    for (const c of clients) {
      if (!(c.all || c.plans.has(id)) || c.ws.readyState !== WebSocket.OPEN) continue;
      if (msg.type === 'iterate' && c.ws.bufferedAmount > SLOW_CLIENT_BYTES) continue;
      text ??= JSON.stringify(msg);
      c.ws.send(text);
    }
  };
  plans.on('message', onMessage);

  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    const c: Client = { ws, all: false, plans: new Set() };
    clients.add(c);
    log.info({ event: 'ws.open', remote: req.socket.remoteAddress, clients: clients.size }, 'ws connected');
    ws.on('error', (e) => log.warn({ event: 'ws.error', err: e.message }, 'ws error'));
    ws.on('close', () => { clients.delete(c); log.info({ event: 'ws.close', clients: clients.size }, 'ws closed'); });
    send(c, { type: 'hello', version: PROTOCOL_VERSION, server: `rsddp ${PROJECT_VERSION}`, plans: plans.list() });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      try {
        if (isBinary) { send(c, { type: 'error', message: 'binary frames are not accepted: send JSON text' }); return; }
        const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
        const parsed = parseClientMessage(text);
        if (!parsed.ok) { send(c, { type: 'error', message: parsed.message, ...(parsed.field ? { field: parsed.field } : {}) }); return; }
        const m = parsed.value;
        switch (m.type) {
          case 'subscribe': {
            const ids = m.plans === 'all' ? plans.list().map((p) => p.id) : m.plans;
            if (m.plans === 'all') c.all = true;
            const unknown = m.plans === 'all' ? [] : ids.filter((id) => !plans.has(id));
            for (const id of ids) if (plans.has(id)) c.plans.add(id);
            if (unknown.length) send(c, { type: 'error', message: `plans: unknown plan${unknown.length > 1 ? 's' : ''} ${unknown.map((x) => `'${x}'`).join(', ')}`, field: 'plans' });
            for (const id of ids) for (const s of plans.snapshot(id)) send(c, s);
            break;
          }
          case 'unsubscribe':
            if (m.plans === 'all') { c.all = false; c.plans.clear(); } else for (const id of m.plans) c.plans.delete(id);
            break;
          case 'replan':
            plans.replan(m.plan, { params: m.params });
            c.plans.add(m.plan);
            break;
          case 'cancel':
            plans.cancel(m.plan);
            break;
        }
      } catch (e) {
        if (e instanceof ApiError) send(c, { type: 'error', message: e.message, ...(e.field ? { field: e.field } : {}) });
        else {
          log.error({ event: 'ws.handler', err: (e as Error)?.stack ?? String(e) }, 'ws handler failed');
          send(c, { type: 'error', message: `internal error: ${(e as Error)?.message ?? String(e)}` });
        }
      }
    });
  });

  return {
    clients: () => clients.size,
    close: () => new Promise<void>((resolve) => {
      plans.off('message', onMessage);
      for (const c of clients) c.ws.close(1001, 'server shutting down');
      const t = setTimeout(() => { for (const c of clients) c.ws.terminate(); }, 500);
      wss.close(() => { clearTimeout(t); resolve(); });
      if (clients.size === 0) { clearTimeout(t); }
    }),
  };
}
