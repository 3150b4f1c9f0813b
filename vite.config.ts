/**
 * Vite build of the web client (client/ -> dist/client). `npm start` runs it first when the
 * build is missing or stale (client/build.ts); `npm run dev:client` serves the client with hot
 * reload and proxies the API to a server on :8080.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: path.join(root, 'client'),
  base: '/',
  build: { outDir: path.join(root, 'dist/client'), emptyOutDir: true, chunkSizeWarningLimit: 2000, sourcemap: true },
  server: { proxy: { '/api': 'http://127.0.0.1:8080', '/healthz': 'http://127.0.0.1:8080', '/ws': { target: 'ws://127.0.0.1:8080', ws: true } } },
  logLevel: 'warn',
});
