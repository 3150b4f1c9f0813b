/**
 * Cross-site control and HTTP edge cases, probed against the real server: foreign Origin and
 * Host (DNS rebinding) on HTTP and on the WebSocket upgrade, non-JSON bodies, CORS preflights,
 * over-long request lines and headers, a valid request followed by garbage, hang-ups.
 */
import { connect } from 'node:net';
import { request } from 'node:http';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/api/server.ts';
import { json, post, startTestServer, tempDir } from './helpers.ts';

const tmp = tempDir('rsddp-xsite-');
let server: RunningServer;
const ALLOWED = 'https://lab.example:8443';

/** A raw HTTP exchange with the given headers (fetch forbids setting Host and Origin). */
function send(method: string, pathName: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const u = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: pathName, method, headers, setHost: !('host' in headers) }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Bytes written on a raw socket, everything read back until the server closes. */
function rawExchange(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(server.port, '127.0.0.1', () => s.write(bytes));
    let out = '';
    s.on('data', (d) => { out += d; });
    s.on('end', () => resolve(out));
    s.on('error', reject);
    setTimeout(() => { s.destroy(); resolve(out); }, 5000);
  });
}

function upgrade(headers: Record<string, string>): Promise<{ opened: boolean; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(server.url.replace(/^http/, 'ws') + '/ws', { headers });
    ws.once('open', () => { ws.close(); resolve({ opened: true }); });
    ws.once('unexpected-response', (_req, res) => { resolve({ opened: false, status: res.statusCode }); });
    ws.once('error', () => resolve({ opened: false }));
  });
}

beforeAll(async () => { server = await startTestServer(tmp.dir, { allowedOrigins: [ALLOWED], allowedHosts: ['robot.lab'] }); });
afterAll(async () => { await server?.close(); tmp.remove(); });

describe('Origin and Host', () => {
  const plan = JSON.stringify({ task: 'cube-lift', solvers: ['ddp'], solverParams: { iterations: 1 } });

  it('refuses a text/plain body (the simple request a foreign page can send) with 415', async () => {
    const r = await send('POST', '/api/plans', { 'content-type': 'text/plain' }, plan);
    expect(r.status).toBe(415);
    expect(JSON.parse(r.body).error).toMatch(/content-type: a request body must be application\/json/);
    expect((await send('POST', '/api/plans', {}, plan)).status).toBe(415);
  });

  it('refuses a foreign Origin with 403, on reads and writes alike', async () => {
    for (const [m, p, b] of [['POST', '/api/plans', plan], ['GET', '/api/plans', undefined], ['DELETE', '/api/plans/x', undefined]] as const) {
      const r = await send(m, p, { origin: 'https://evil.example', 'content-type': 'application/json' }, b);
      expect(r.status).toBe(403);
      expect(JSON.parse(r.body).error).toMatch(/origin: 'https:\/\/evil.example' may not use this server/);
    }
    expect((await send('GET', '/api/plans', { origin: 'null' })).status).toBe(403);
  });

  it('accepts no Origin, the same origin, and an allowed origin (with CORS headers)', async () => {
    expect((await send('GET', '/api/plans', {})).status).toBe(200);
    expect((await send('GET', '/api/plans', { origin: server.url })).status).toBe(200);
    const r = await send('GET', '/api/plans', { origin: ALLOWED });
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(r.headers.vary).toMatch(/origin/i);
    const created = await send('POST', '/api/plans', { origin: server.url, 'content-type': 'application/json; charset=utf-8' }, plan);
    expect(created.status).toBe(202);
  });

  it('refuses a Host that is not the server (DNS rebinding) with 403; accepts its addresses and allowed hosts', async () => {
    const r = await send('GET', '/api/plans', { host: `attacker.example:${server.port}` });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).error).toMatch(/host: 'attacker.example:\d+' is not an address of this server/);
    for (const h of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, `LOCALHOST:${server.port}`, 'robot.lab', `robot.lab:${server.port}`]) {
      expect((await send('GET', '/healthz', { host: h })).status, h).toBe(200);
    }
    expect((await send('GET', '/healthz', { host: `127.0.0.1:${server.port + 1}` })).status).toBe(403);
  });

  it('answers OPTIONS: 204 with Allow; a preflight from an allowed origin gets CORS headers, a foreign one 403', async () => {
    const plain = await send('OPTIONS', '/api/plans', {});
    expect(plain.status).toBe(204);
    expect(plain.headers.allow).toBe('GET, POST, HEAD, OPTIONS');
    const pre = await send('OPTIONS', '/api/plans', { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(pre.headers['access-control-allow-methods']).toMatch(/POST/);
    expect(pre.headers['access-control-allow-headers']).toBe('content-type');
    expect((await send('OPTIONS', '/api/plans', { origin: 'https://evil.example', 'access-control-request-method': 'POST' })).status).toBe(403);
    expect((await send('OPTIONS', '/no/such', {})).status).toBe(404);
  });

  it('refuses the WebSocket upgrade from a foreign Origin or Host with 403; accepts its own', async () => {
    expect(await upgrade({ origin: 'https://evil.example' })).toEqual({ opened: false, status: 403 });
    expect(await upgrade({ host: `rebind.example:${server.port}` })).toEqual({ opened: false, status: 403 });
    expect((await upgrade({ origin: server.url })).opened).toBe(true);
    expect((await upgrade({})).opened).toBe(true);
    expect((await upgrade({ origin: ALLOWED })).opened).toBe(true);
  });
});

describe('HTTP edge cases', () => {
  it('an over-long URL gets 414 with a message; over-large headers 431', async () => {
    const long = await rawExchange(`GET /api/plans?${'a'.repeat(20_000)} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`);
    expect(long).toMatch(/^HTTP\/1.1 414 /);
    expect(long).toMatch(/"error":"url: /);
    const mid = await send('GET', `/api/plans?${'a'.repeat(9000)}`, {});
    expect(mid.status).toBe(414);
    const big = await rawExchange(`GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nx-big: ${'b'.repeat(20_000)}\r\n\r\n`);
    expect(big).toMatch(/^HTTP\/1.1 431 /);
    expect(big).toMatch(/"error":"headers: /);
  });

  it('a valid request followed by garbage on the same connection still gets its response, then a 400', async () => {
    const out = await rawExchange(`GET /healthz HTTP/1.1\r\nhost: 127.0.0.1:${server.port}\r\n\r\nthis is not HTTP\r\n\r\n`);
    expect(out).toMatch(/^HTTP\/1.1 200 OK/);
    expect(out).toMatch(/"ok":true/);
    expect(out).toMatch(/HTTP\/1.1 400 Bad Request[\s\S]*malformed HTTP request/);
  });

  it('a client hanging up mid-body leaves the server serving', async () => {
    const logged: string[] = [];
    const s = connect(server.port, '127.0.0.1', () => {
      s.write(`POST /api/plans HTTP/1.1\r\nhost: 127.0.0.1:${server.port}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"task":`);
      setTimeout(() => s.destroy(), 100);
    });
    s.on('error', (e) => logged.push(e.message));
    await new Promise((r) => setTimeout(r, 300));
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const r = await post(`${server.url}/api/plans`, { task: 'cube-lift', solvers: ['ddp'], solverParams: { iterations: 1 } });
    expect(r.status).toBe(202);
    await json(r);
  });
});
