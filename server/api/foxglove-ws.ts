/**
 * The Foxglove WebSocket protocol endpoint (`npm start -- --foxglove [PORT]`): Foxglove
 * connects to ws://HOST:PORT and sees every running solve's channels (foxglove/plan-channels.ts)
 * through the registry of live sources (foxglove/live.ts). The protocol is @foxglove/ws-protocol's
 * FoxgloveServer (subprotocol foxglove.websocket.v1, no client publishing, parameters or
 * services); this file is the transport and its limits, the same as the API's /ws (ws.ts):
 * - its own port on the API's host (loopback by default);
 * - the upgrade passes the API's origin policy (origin.ts: Host and Origin, 403 otherwise);
 *   Foxglove's web app is a foreign origin: `--allowed-origin https://app.foxglove.dev`;
 * - at most MAX_FOXGLOVE_CONNECTIONS connections (503 beyond), client frames of at most
 *   MAX_CLIENT_FRAME_BYTES and MAX_MESSAGES_PER_S per second (1008 beyond);
 * - per client, message data is dropped over SLOW_CLIENT_SOFT_BYTES unsent (the next iterate
 *   replaces it) and the client is closed over SLOW_CLIENT_BYTES (1008; it can reconnect).
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import foxglove, { type IWebSocket } from '@foxglove/ws-protocol';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import type { Logger } from './sessions.ts';
import { OriginPolicy, type OriginPolicyOptions } from './origin.ts';
import { MAX_MESSAGES_PER_S, MAX_WS_CONNECTIONS, SLOW_CLIENT_BYTES, SLOW_CLIENT_SOFT_BYTES } from './ws.ts';
import { LiveChannels } from '../foxglove/live.ts';
import { PlanChannels, type PlanMessages } from '../foxglove/plan-channels.ts';
import { PROJECT_VERSION } from '../store/recordings.ts';

/** Foxglove's usual port for its WebSocket protocol. */
export const DEFAULT_FOXGLOVE_PORT = 8765;
export const MAX_FOXGLOVE_CONNECTIONS = MAX_WS_CONNECTIONS;
/** Client frames are subscribe / unsubscribe lists: 64 KiB is thousands of ids. */
export const MAX_CLIENT_FRAME_BYTES = 64 * 1024;
// the package is CommonJS: Node's ESM loader sees its exports on the default object only
const { FoxgloveServer } = foxglove;
const SUBPROTOCOL = FoxgloveServer.SUPPORTED_SUBPROTOCOL;

export interface FoxgloveEndpointOptions extends OriginPolicyOptions {
  host: string;
  /** 0 = a free port. */
  port: number;
  plans: PlanMessages;
  log: Logger;
  /** Connections at once (default MAX_FOXGLOVE_CONNECTIONS). */
  maxConnections?: number;
}

export interface FoxgloveEndpoint {
  url: string;
  port: number;
  /** The live channel registry (plans today; live sessions, issue 19, open their sources here). */
  live: LiveChannels;
  clients(): number;
  close(): Promise<void>;
}

/**
 * A `ws` socket as the protocol library's IWebSocket, with the limits applied: the library
 * sends through `send`, which drops message data (binary frames) for a slow reader and closes
 * one that reads nothing; client frames are counted before the library sees them.
 */
export class GuardedSocket implements IWebSocket {
  binaryType = 'arraybuffer';
  onerror: ((event: unknown) => void) | null = null;
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;
  onmessage: ((event: unknown) => void) | null = null;
  #window = Date.now();
  #count = 0;
  #dropped = 0;

  constructor(private ws: WebSocket, private log: Logger) {
    ws.binaryType = 'arraybuffer';
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const now = Date.now();
      if (now - this.#window >= 1000) { this.#window = now; this.#count = 0; }
      if (++this.#count > MAX_MESSAGES_PER_S) {
        if (this.#count === MAX_MESSAGES_PER_S + 1) ws.close(1008, `too many messages: at most ${MAX_MESSAGES_PER_S} per second`);
        return;
      }
      this.onmessage?.({ data: isBinary ? data : Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8') });
    });
    ws.on('close', (code: number, reason: Buffer) => this.onclose?.({ code, reason: String(reason), wasClean: true }));
    ws.on('error', (e: Error) => this.onerror?.(e));
  }

  get protocol(): string { return this.ws.protocol; }
  /** Message data frames dropped for this client (slow reader). */
  get dropped(): number { return this.#dropped; }

  send(data: string | ArrayBuffer | ArrayBufferView): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    const buffered = this.ws.bufferedAmount;
    if (buffered > SLOW_CLIENT_BYTES) {
      this.log.info({ event: 'foxglove.slow', buffered }, 'closing a Foxglove client that does not read');
      this.ws.close(1008, `too slow: more than ${SLOW_CLIENT_BYTES} bytes unread`);
      setTimeout(() => this.ws.terminate(), 1000).unref();
      return;
    }
    // binary frames are message data (the library's JSON text frames are advertisements and statuses: always sent)
    if (typeof data !== 'string' && buffered > SLOW_CLIENT_SOFT_BYTES) { this.#dropped++; return; }
    this.ws.send(data);
  }

  close(): void { this.ws.close(); }
}

function refuse(socket: import('node:stream').Duplex, status: string, message: string): void {
  const body = JSON.stringify({ error: message });
  socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

export async function startFoxgloveEndpoint(opts: FoxgloveEndpointOptions): Promise<FoxgloveEndpoint> {
  const { log } = opts;
  const maxConnections = opts.maxConnections ?? MAX_FOXGLOVE_CONNECTIONS;
  const policy = new OriginPolicy({ allowedOrigins: opts.allowedOrigins, allowedHosts: opts.allowedHosts });
  const fg = new FoxgloveServer({ name: `rsddp ${PROJECT_VERSION}`, capabilities: [], supportedEncodings: ['json'] });
  fg.on('error', (e) => log.warn({ event: 'foxglove.error', err: e.message }, 'Foxglove protocol error'));
  const live = new LiveChannels(fg);
  const planChannels = new PlanChannels(opts.plans, live, log);
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_FRAME_BYTES, handleProtocols: (protocols) => fg.handleProtocols(protocols) });

  const http = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'application/json; charset=utf-8', upgrade: 'websocket' });
    res.end(JSON.stringify({ error: `this port speaks the Foxglove WebSocket protocol (${SUBPROTOCOL}): connect Foxglove to ws://this-host:port` }));
  });
  http.on('upgrade', (req: IncomingMessage, socket, head) => {
    socket.on('error', () => socket.destroy());
    if (sockets.size >= maxConnections) { refuse(socket, '503 Service Unavailable', `too many Foxglove connections (at most ${maxConnections})`); return; }
    const verdict = policy.check(req);
    if (!verdict.ok) {
      log.info({ event: 'foxglove.refused', origin: req.headers.origin, host: req.headers.host }, 'Foxglove upgrade refused');
      refuse(socket, '403 Forbidden', verdict.message);
      return;
    }
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim());
    if (!offered.includes(SUBPROTOCOL)) { refuse(socket, '400 Bad Request', `subprotocol: offer '${SUBPROTOCOL}'`); return; }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => { sockets.delete(ws); log.info({ event: 'foxglove.close', clients: sockets.size }, 'Foxglove client left'); });
      log.info({ event: 'foxglove.open', remote: req.socket.remoteAddress, clients: sockets.size }, 'Foxglove client connected');
      fg.handleConnection(new GuardedSocket(ws, log), `${req.socket.remoteAddress}:${req.socket.remotePort}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port, opts.host, () => { http.off('error', reject); resolve(); });
  });
  const port = (http.address() as AddressInfo).port;
  policy.listening(opts.host, port);
  const url = `ws://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`;
  log.info({ event: 'foxglove.listening', url }, 'Foxglove WebSocket protocol');
  let closing: Promise<void> | null = null;
  return {
    url, port, live,
    clients: () => sockets.size,
    close() {
      closing ??= (async () => {
        planChannels.close();
        live.close();
        // a closing handshake, then (a client that does not answer) the socket cut after 500 ms
        const gone = [...sockets].map((ws) => new Promise<void>((resolve) => { ws.once('close', () => resolve()); ws.close(1001, 'server shutting down'); }));
        const t = setTimeout(() => { for (const ws of sockets) ws.terminate(); }, 500);
        await Promise.all(gone);
        clearTimeout(t);
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        await new Promise<void>((resolve) => { http.close(() => resolve()); http.closeAllConnections(); });
      })();
      return closing;
    },
  };
}
