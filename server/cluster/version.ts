/**
 * The code version a cluster job carries: a hash of everything that decides a solve's numbers
 * (server/, shared/, robots/ and the locked dependency tree). A worker runs only jobs of its own
 * version, so a server and workers on different checkouts never mix results silently.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PARTS = ['server', 'shared', 'robots', 'package-lock.json'];

function files(rel: string): string[] {
  const abs = path.join(ROOT, rel);
  const st = statSync(abs, { throwIfNoEntry: false });
  if (!st) return [];
  if (st.isFile()) return [rel];
  if (!st.isDirectory()) return [];
  return readdirSync(abs).sort().flatMap((n) => files(path.join(rel, n)));
}

let cached: string | null = null;

/** 16 hex digits of SHA-256 over the paths and contents, in a fixed order. */
export function codeVersion(): string {
  if (cached) return cached;
  const h = createHash('sha256');
  for (const f of PARTS.flatMap(files)) {
    h.update(f.split(path.sep).join('/')).update('\0').update(readFileSync(path.join(ROOT, f))).update('\0');
  }
  cached = h.digest('hex').slice(0, 16);
  return cached;
}
