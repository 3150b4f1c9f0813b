/**
 * Builds the web client with Vite when the build is missing or older than its sources
 * (client/, shared/, vite.config.ts, package-lock.json). `npm start` runs it first (prestart);
 * the end-to-end test calls `buildClient` itself.
 *
 *   tsx client/build.ts [--force] [--out DIR]
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_OUT_DIR = path.join(PROJECT_DIR, 'dist/client');

function newestMtime(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = st.mtimeMs;
  for (const e of readdirSync(p)) m = Math.max(m, newestMtime(path.join(p, e)));
  return m;
}

/** True when outDir has no index.html or one older than any client source. */
export function isStale(outDir = DEFAULT_OUT_DIR): boolean {
  const index = path.join(outDir, 'index.html');
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  const sources = ['client', 'shared', 'vite.config.ts', 'package-lock.json'].map((p) => path.join(PROJECT_DIR, p)).filter(existsSync);
  return sources.some((s) => newestMtime(s) > built);
}

/** Runs `vite build` (programmatically) into outDir. */
export async function buildClient(outDir = DEFAULT_OUT_DIR): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: path.join(PROJECT_DIR, 'vite.config.ts'), build: { outDir, emptyOutDir: true }, logLevel: 'error' });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--out');
  const out = i >= 0 && args[i + 1] ? path.resolve(args[i + 1]) : DEFAULT_OUT_DIR;
  if (args.includes('--force') || isStale(out)) {
    const t0 = Date.now();
    process.stdout.write(`building the web client into ${path.relative(process.cwd(), out) || out} ...\n`);
    await buildClient(out);
    process.stdout.write(`web client built in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  }
}
