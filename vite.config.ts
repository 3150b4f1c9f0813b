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
  // The planning server accepts only its own Host and Origin (server/api/origin.ts): the dev
  // proxy speaks to it as a same-machine client (Host rewritten, the dev page's Origin dropped).
  server: {
    proxy: Object.fromEntries([['/api', 'http'], ['/healthz', 'http'], ['/ws', 'ws']].map(([p, scheme]) => [p, {
      target: `${scheme}://127.0.0.1:8080`, ws: scheme === 'ws', changeOrigin: true,
      configure: (proxy: { on(e: string, f: (req: { removeHeader(h: string): void }) => void): void }) => {
        proxy.on('proxyReq', (req) => req.removeHeader('origin'));
        proxy.on('proxyReqWs', (req) => req.removeHeader('origin'));
      },
    }])),
  },
  logLevel: 'warn',
});
