/**
 * Who may talk to the server: one policy for HTTP and the WebSocket upgrade.
 *
 * A browser on another site can send simple requests (a text/plain POST needs no preflight) and
 * open WebSockets to any address it can reach, and DNS rebinding lets it name the server by a
 * host of its own. So:
 * - `Host` must be one of the addresses the server listens on (127.0.0.1, localhost, [::1] and
 *   the bound address at its port; every interface address when bound to 0.0.0.0 or ::) or an
 *   operator's `--allowed-host HOST[:PORT]` (without a port: any port);
 * - `Origin`, when sent, must be the server's own origin through such a host, or one of the
 *   operator's `--allowed-origin` (which also get CORS headers); no Origin (curl, scripts) is fine;
 * - a request with a body must say `content-type: application/json` (checked in http.ts).
 */
import os from 'node:os';
import type { IncomingMessage } from 'node:http';

export interface OriginPolicyOptions {
  /** Extra origins allowed to call the API from a browser, e.g. 'https://lab.example:8443'. */
  allowedOrigins?: string[];
  /** Extra Host header values, 'name' (any port) or 'name:port', e.g. behind a reverse proxy. */
  allowedHosts?: string[];
}

export type Verdict = { ok: true; cors: string | null } | { ok: false; status: number; message: string };

/** 'Name:Port' with a lower-case name; IPv6 kept in brackets. */
function splitHost(value: string): { name: string; port: string } | null {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s/]+)(?::(\d{1,5}))?$/.exec(value.trim());
  return m ? { name: m[1].toLowerCase(), port: m[2] ?? '' } : null;
}

/** Parses an origin given by the operator; throws a message naming it. */
export function normalizeOrigin(origin: string): string {
  let u: URL;
  try { u = new URL(origin); } catch { throw new Error(`--allowed-origin '${origin}': not a URL (scheme://host[:port])`); }
  if (u.origin === 'null' || (u.pathname !== '/' && u.pathname !== '') || u.search || u.hash) throw new Error(`--allowed-origin '${origin}': give scheme://host[:port] only`);
  return u.origin;
}

export class OriginPolicy {
  readonly #origins: Set<string>;
  readonly #extraHosts: { name: string; port: string }[];
  /** Allowed 'name:port' values of the Host header (set by listening()). */
  #hosts = new Set<string>();

  constructor(opts: OriginPolicyOptions = {}) {
    this.#origins = new Set((opts.allowedOrigins ?? []).map(normalizeOrigin));
    this.#extraHosts = (opts.allowedHosts ?? []).map((h) => {
      const s = splitHost(h);
      if (!s) throw new Error(`--allowed-host '${h}': expected HOST or HOST:PORT`);
      return s;
    });
  }

  /** Records the address the server listens on (after listen). */
  listening(host: string, port: number): void {
    const names = new Set(['127.0.0.1', 'localhost', '[::1]']);
    const bracket = (a: string) => (a.includes(':') ? `[${a.toLowerCase()}]` : a.toLowerCase());
    if (host === '0.0.0.0' || host === '::' || host === '') {
      for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) names.add(bracket(a.address.replace(/%.*$/, '')));
      names.add(os.hostname().toLowerCase());
    } else names.add(bracket(host));
    this.#hosts = new Set([...names].map((n) => `${n}:${port}`));
  }

  #hostAllowed(value: string): boolean {
    const h = splitHost(value);
    if (!h) return false;
    if (this.#hosts.has(`${h.name}:${h.port || '80'}`)) return true;
    return this.#extraHosts.some((x) => x.name === h.name && (x.port === '' || x.port === (h.port || '80')));
  }

  /** Whether a request (or an upgrade) may proceed; `cors` is the origin to echo in CORS headers. */
  check(req: IncomingMessage): Verdict {
    const host = req.headers.host;
    if (host !== undefined && !this.#hostAllowed(host)) {
      return { ok: false, status: 403, message: `host: '${host.slice(0, 100)}' is not an address of this server (start it with --allowed-host to allow it)` };
    }
    const origin = req.headers.origin;
    if (origin === undefined) return { ok: true, cors: null };
    if (this.#origins.has(origin)) return { ok: true, cors: origin };
    let u: URL | null = null;
    try { u = new URL(origin); } catch { /* refused below */ }
    if (u && (u.protocol === 'http:' || u.protocol === 'https:') && this.#hostAllowed(u.host) && (host === undefined || u.host.toLowerCase() === host.toLowerCase())) {
      return { ok: true, cors: null }; // same origin
    }
    return { ok: false, status: 403, message: `origin: '${origin.slice(0, 200)}' may not use this server (start it with --allowed-origin to allow it)` };
  }
}

/** Whether a content-type header names JSON ('application/json', parameters allowed). */
export function isJsonContentType(value: string | undefined): boolean {
  return value !== undefined && /^application\/json\s*(;|$)/i.test(value.trim());
}
