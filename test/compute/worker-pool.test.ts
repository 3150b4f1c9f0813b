/**
 * The one worker-pool stack (server/compute/worker-pool.ts, worker-thread.ts, worker-entry.ts)
 * on a small job kind (test/helpers/echo-thread.ts): answers, events before the answer,
 * cancels, errors (typed ones keep their class), a dying thread, restart with its init message,
 * threads on demand kept warm, and the bounded idle cache.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { IdleCache, WorkerPool } from '../../server/compute/worker-pool.ts';
import { WorkerThread } from '../../server/compute/worker-thread.ts';
import { TaskParamError } from '../../server/control/errors.ts';
import type { EchoIn } from '../helpers/echo-thread.ts';

const ENTRY = new URL('../helpers/echo-thread.ts', import.meta.url);

describe('WorkerThread', () => {
  const t = new WorkerThread<EchoIn>(ENTRY, 'echo thread', { kind: 'init', tag: 'first' });
  afterAll(() => t.terminate());

  it('answers calls by id, with the events of a call before its answer', async () => {
    await t.call({ kind: 'init', tag: 'first' });
    const events: unknown[] = [];
    const [a, b] = await Promise.all([
      t.call<number[]>({ kind: 'echo', value: Float64Array.of(1, 2.5) }),
      t.call<number>({ kind: 'events', n: 3 }, { onEvent: (v) => events.push(v) }),
    ]);
    expect(a).toEqual([2, 5]);
    expect(b).toBe(3);
    expect(events).toEqual([0, 1, 2]);
    expect(t.busy).toBe(false);
  });

  it('cancels a call on the thread through its signal', async () => {
    const ac = new AbortController();
    const p = t.call<string>({ kind: 'wait' }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    expect(await p).toBe('cancelled');
  });

  it('rejects with the thread\'s error; a typed planner error keeps its class and field', async () => {
    await expect(t.call({ kind: 'fail' })).rejects.toThrow('it failed here');
    const typed = await t.call({ kind: 'typed' }).catch((e: unknown) => e);
    expect(typed).toBeInstanceOf(TaskParamError);
    expect(typed).toMatchObject({ field: 'params.height', task: 'cube-lift' });
  });

  it('a thread that exits fails its calls by name, and restart() brings it back with its init message', async () => {
    const deaths: unknown[] = [];
    t.onDeath = (x) => deaths.push(x);
    const waiting = t.call({ kind: 'wait' });
    await expect(t.call({ kind: 'exit', code: 3 })).rejects.toThrow('echo thread failed: exited with code 3');
    await expect(waiting).rejects.toThrow('echo thread failed: exited with code 3');
    await expect(t.call({ kind: 'tag' })).rejects.toThrow(/echo thread failed/);
    expect(deaths).toEqual([t]);
    await t.restart();
    expect(await t.call({ kind: 'tag' })).toBe('first');
    expect(deaths).toHaveLength(1); // a restart is not a death
  });
});

describe('WorkerPool', () => {
  it('a gang: every thread initialized before ready', async () => {
    const pool = new WorkerPool<EchoIn>({ entry: ENTRY, name: 'echo thread', init: { kind: 'init', tag: 'gang' }, size: 2 });
    await pool.ready;
    expect(await Promise.all(pool.threads.map((x) => x.call({ kind: 'tag' })))).toEqual(['gang', 'gang']);
    await pool.close();
    await expect(pool.threads[0].call({ kind: 'tag' })).rejects.toThrow(/echo thread/);
  });

  it('on demand: a released thread serves the next job (warm), a dead one is dropped, close ends all', async () => {
    const pool = new WorkerPool<EchoIn>({ entry: ENTRY, name: 'echo thread' });
    const a = await pool.acquire();
    const b = await pool.acquire();
    expect(b).not.toBe(a);
    expect(pool.acquiredCount).toBe(2);
    pool.release(a);
    expect(await pool.acquire()).toBe(a);
    pool.release(a);
    await a.call({ kind: 'exit', code: 1 }).catch(() => undefined); // dies after it was released
    expect(await pool.acquire()).not.toBe(a);
    const pending = expect(b.call({ kind: 'wait' })).rejects.toThrow(/echo thread failed/);
    await pool.close();
    await pending;
    await expect(pool.acquire()).rejects.toThrow(/closed/);
  });
});

describe('IdleCache', () => {
  it('hands back the newest idle item of a key, keeps at most maxIdle (the longest idle go first), and disposes after idleMs', async () => {
    const disposed: string[] = [];
    const cache = new IdleCache<string>({ idleMs: Infinity, maxIdle: 2, dispose: (x) => disposed.push(x) });
    cache.put('k', 'a1'); cache.put('k', 'a2'); cache.put('j', 'b1');
    expect(disposed).toEqual(['a1']);
    expect(cache.size).toBe(2);
    expect(cache.take('k')).toBe('a2');
    expect(cache.take('k')).toBeUndefined();
    expect(cache.take('j')).toBe('b1');
    const timed = new IdleCache<string>({ idleMs: 20, dispose: (x) => disposed.push(x) });
    timed.put('k', 't1');
    await new Promise((r) => setTimeout(r, 60));
    expect(disposed).toEqual(['a1', 't1']);
    expect(timed.size).toBe(0);
  });
});
