import { describe, it, expect } from 'vitest';
import { Redis } from 'ioredis';
import { startRedis } from '../../server/cluster/redis-process.ts';

describe('a private redis-server for the cluster tests', () => {
  it('listens on loopback, keeps what it accepted across a kill and restart', async () => {
    const r = await startRedis();
    const c = new Redis(r.url, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
    try {
      expect(await c.ping()).toBe('PONG');
      expect(await c.config('GET', 'port')).toEqual(['port', String(r.port)]);
      expect(await c.config('GET', 'dir')).toEqual(['dir', r.dir]);
      await c.set('accepted', 'job-1');
      await r.kill();
      await r.restart();
      expect(await c.get('accepted')).toBe('job-1');
    } finally {
      c.disconnect();
      await r.stop();
    }
  });

  it('fails (never skips) without the binary, naming the command that installs it', async () => {
    await expect(startRedis({ bin: '/nonexistent/redis-server' })).rejects.toThrow(/sudo bash \.ci\/provision/);
  });
});
