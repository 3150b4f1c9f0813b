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
import type { FitManager } from './fits.ts';
import { PROJECT_VERSION } from '../store/recordings.ts';
import { MAX_BODY_BYTES } from './http.ts';
import type { OriginPolicy } from './origin.ts';
import type { LiveManager } from '../live/manager.ts';

/**
 * Send-buffer limits per client. Over SOFT, iterates are dropped for it (a later one replaces
 * them) and snapshot bursts stop; over HARD the client is too slow to follow even statuses and
 * finals, and rather than lose those silently it is disconnected (1008 with a reason; it can
 * reconnect and catch up).
 */
export const SLOW_CLIENT_SOFT_BYTES = 1024 * 1024;
export const SLOW_CLIENT_BYTES = 8 * 1024 * 1024;
/** WebSocket connections at once (further upgrades get HTTP 503). */
export const MAX_WS_CONNECTIONS = 64;
/** Plans one `subscribe` may name by id (each brings its latest iterate and final). */
export const MAX_SUBSCRIBE_IDS = 16;
/** `subscribe: "all"` brings every plan's status, and the heavy state (latest iterate, finals) of the newest this many. */
export const MAX_ALL_SNAPSHOTS = 8;
/** Client messages per second per connection; beyond, the connection is closed (1008). */
export const MAX_MESSAGES_PER_S = 50;

interface Client { ws: WebSocket; all: boolean; plans: Set<string>; live: Set<string>; allFits: boolean; fits: Set<string>; window: number; count: number }

/** Messages a slow client may miss (a later one replaces them): iterates, live states and plans, fit iterates. */
const DROPPABLE = new Set(['iterate', 'live.state', 'live.plan', 'fit-iterate']);

export function attachWebSocket(server: HttpServer, plans: PlanManager, log: Logger, policy: OriginPolicy, live?: LiveManager, fits: FitManager | null = null): { close(): Promise<void>; clients(): number } {
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
    if (clients.size >= MAX_WS_CONNECTIONS) {
      const body = JSON.stringify({ error: `too many WebSocket connections (at most ${MAX_WS_CONNECTIONS})` });
      socket.end(`HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      return;
    }
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

  /** Sends unless the client is too slow: iterates are dropped over the soft limit, the client closed over the hard one. */
  const deliver = (c: Client, msg: ServerMessage, text: string): boolean => {
    if (c.ws.readyState !== WebSocket.OPEN) return false;
    const buffered = c.ws.bufferedAmount;
    if (buffered > SLOW_CLIENT_BYTES) {
      log.info({ event: 'ws.slow', buffered }, 'closing a client that does not read');
      c.ws.close(1008, `too slow: more than ${SLOW_CLIENT_BYTES} bytes unread`);
      // a client that does not read will not complete the closing handshake either
      setTimeout(() => c.ws.terminate(), 1000).unref();
      return false;
    }
    if (DROPPABLE.has(msg.type) && buffered > SLOW_CLIENT_SOFT_BYTES) return false;
    c.ws.send(text);
    return true;
  };
  const send = (c: Client, msg: ServerMessage) => { deliver(c, msg, JSON.stringify(msg)); };
  /** A plan's snapshot (status, latest iterate, finals); the heavy part stops at the soft limit. */
  const sendSnapshot = (c: Client, id: string, heavy: boolean) => {
    for (const m of plans.snapshot(id)) {
      if (m.type !== 'status' && (!heavy || c.ws.bufferedAmount > SLOW_CLIENT_SOFT_BYTES)) continue;
      send(c, m);
    }
  };

  const onMessage = (msg: ServerMessage) => {
    const id = msg.type === 'status' ? msg.plan.id : msg.type === 'iterate' || msg.type === 'final' ? msg.plan : null;
    if (id === null) return;
    let text: string | null = null;
    for (const c of clients) {
      if (!(c.all || c.plans.has(id))) continue;
      text ??= JSON.stringify(msg);
      deliver(c, msg, text);
    }
  };
  plans.on('message', onMessage);
  /** A live session's messages go to the clients subscribed to it. */
  const onLive = (msg: ServerMessage) => {
    const id = msg.type === 'live.status' ? msg.live.id : 'live' in msg && typeof msg.live === 'string' ? msg.live : null;
    if (id === null) return;
    let text: string | null = null;
    for (const c of clients) {
      if (!c.live.has(id)) continue;
      text ??= JSON.stringify(msg);
      deliver(c, msg, text);
    }
  };
  live?.on('message', onLive);

  const onFitMessage = (msg: ServerMessage) => {
    const id = msg.type === 'fit-status' ? msg.fit.id : msg.type === 'fit-iterate' || msg.type === 'fit-final' ? msg.fit : null;
    if (id === null) return;
    let text: string | null = null;
    for (const c of clients) {
      if (!(c.allFits || c.fits.has(id))) continue;
      text ??= JSON.stringify(msg);
      deliver(c, msg, text);
    }
  };
  fits?.on('message', onFitMessage);
  /** A fit's snapshot (status, latest iterates, finals); iterates and finals stop at the soft limit. */
  const sendFitSnapshot = (c: Client, id: string, heavy: boolean) => {
    for (const m of fits?.snapshot(id) ?? []) {
      if (m.type !== 'fit-status' && (!heavy || c.ws.bufferedAmount > SLOW_CLIENT_SOFT_BYTES)) continue;
      send(c, m);
    }
  };

  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    const c: Client = { ws, all: false, plans: new Set(), live: new Set(), allFits: false, fits: new Set(), window: Date.now(), count: 0 };
    clients.add(c);
    log.info({ event: 'ws.open', remote: req.socket.remoteAddress, clients: clients.size }, 'ws connected');
    ws.on('error', (e) => log.warn({ event: 'ws.error', err: e.message }, 'ws error'));
    ws.on('close', () => { clients.delete(c); log.info({ event: 'ws.close', clients: clients.size }, 'ws closed'); });
    send(c, { type: 'hello', version: PROTOCOL_VERSION, server: `rsddp ${PROJECT_VERSION}`, plans: plans.list() });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const now = Date.now();
      if (now - c.window >= 1000) { c.window = now; c.count = 0; }
      if (++c.count > MAX_MESSAGES_PER_S) {
        if (c.count === MAX_MESSAGES_PER_S + 1) ws.close(1008, `too many messages: at most ${MAX_MESSAGES_PER_S} per second`);
        return;
      }
      try {
        if (isBinary) { send(c, { type: 'error', message: 'binary frames are not accepted: send JSON text' }); return; }
        const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
        const parsed = parseClientMessage(text);
        if (!parsed.ok) { send(c, { type: 'error', message: parsed.message, ...(parsed.field ? { field: parsed.field } : {}) }); return; }
        const m = parsed.value;
        switch (m.type) {
          case 'subscribe': {
            if (m.live) {
              const unknownLive = m.live.filter((id) => !live?.has(id));
              if (unknownLive.length) send(c, { type: 'error', message: `live: unknown live session${unknownLive.length > 1 ? 's' : ''} ${unknownLive.map((x) => `'${x}'`).join(', ')}`, field: 'live' });
              for (const id of m.live) if (live?.has(id)) { c.live.add(id); send(c, { type: 'live.status', live: live.get(id).state() }); }
            }
            if (m.plans === undefined) break;
            // 'all': every plan's status, and the heavy state (trajectories) of the newest
            // MAX_ALL_SNAPSHOTS only; by id: at most MAX_SUBSCRIBE_IDS plans, each in full.
            // Either way a burst stops at the soft limit: what is left arrives live.
            if (m.plans === 'all') {
              c.all = true;
              const ids = plans.list().map((p) => p.id);
              ids.forEach((id, i) => sendSnapshot(c, id, i >= ids.length - MAX_ALL_SNAPSHOTS));
              break;
            }
            if (m.plans.length > MAX_SUBSCRIBE_IDS) {
              send(c, { type: 'error', message: `plans: at most ${MAX_SUBSCRIBE_IDS} plans per subscribe (got ${m.plans.length})`, field: 'plans' });
              break;
            }
            const unknown = m.plans.filter((id) => !plans.has(id));
            if (unknown.length) send(c, { type: 'error', message: `plans: unknown plan${unknown.length > 1 ? 's' : ''} ${unknown.map((x) => `'${x}'`).join(', ')}`, field: 'plans' });
            for (const id of m.plans) if (plans.has(id)) { c.plans.add(id); sendSnapshot(c, id, true); }
            break;
          }
          case 'unsubscribe':
            for (const id of m.live ?? []) c.live.delete(id);
            if (m.plans === 'all') { c.all = false; c.plans.clear(); } else for (const id of m.plans ?? []) c.plans.delete(id);
            break;
          case 'replan':
            plans.replan(m.plan, { params: m.params });
            c.plans.add(m.plan);
            break;
          case 'cancel':
            plans.cancel(m.plan);
            break;
          case 'subscribe-fits': {
            if (!fits) { send(c, { type: 'error', message: 'fits: this server runs no pose fits', field: 'fits' }); break; }
            if (m.fits === 'all') {
              c.allFits = true;
              const ids = fits.list().map((f) => f.id);
              ids.forEach((id, i) => sendFitSnapshot(c, id, i >= ids.length - MAX_ALL_SNAPSHOTS));
              break;
            }
            if (m.fits.length > MAX_SUBSCRIBE_IDS) {
              send(c, { type: 'error', message: `fits: at most ${MAX_SUBSCRIBE_IDS} fits per subscribe (got ${m.fits.length})`, field: 'fits' });
              break;
            }
            const unknown = m.fits.filter((id) => !fits.has(id));
            if (unknown.length) send(c, { type: 'error', message: `fits: unknown fit${unknown.length > 1 ? 's' : ''} ${unknown.map((x) => `'${x}'`).join(', ')}`, field: 'fits' });
            for (const id of m.fits) if (fits.has(id)) { c.fits.add(id); sendFitSnapshot(c, id, true); }
            break;
          }
          case 'unsubscribe-fits':
            if (m.fits === 'all') { c.allFits = false; c.fits.clear(); } else for (const id of m.fits) c.fits.delete(id);
            break;
          case 'cancel-fit':
            if (!fits) throw new ApiError(404, `fit: unknown fit '${m.fit}'`, 'fit');
            fits.cancel(m.fit);
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
      live?.off('message', onLive);
      fits?.off('message', onFitMessage);
      for (const c of clients) c.ws.close(1001, 'server shutting down');
      const t = setTimeout(() => { for (const c of clients) c.ws.terminate(); }, 500);
      wss.close(() => { clearTimeout(t); resolve(); });
      if (clients.size === 0) { clearTimeout(t); }
    }),
  };
}
