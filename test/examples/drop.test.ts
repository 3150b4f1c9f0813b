/** examples/drop.ts: Solo-12 falls, lands on its four feet and, at rest, the contacts carry its weight. */
import { describe, expect, it } from 'vitest';
import { grab, runExample, vector } from './run.ts';

describe('examples/drop.ts', () => {
  it('prints contact forces that are zero in the air, peak at the landing and carry the weight at rest', async () => {
    const run = await runExample('drop');
    expect(run.code, run.stderr).toBe(0);
    const out = run.stdout;
    const rows = [...out.matchAll(/^\s+([\d.]+)\s+([\d.-]+)\s+(\d+)\s+([\d.-]+)$/gm)].map((m) => m.slice(1).map(Number));
    expect(rows.length).toBe(40); // 2 s, a row every 0.05 s
    const [t0, z0, n0, f0] = rows[0];
    expect([t0, n0, f0]).toEqual([0.05, 0, 0]); // still falling
    expect(z0).toBeLessThan(0.4);
    expect(rows.some((r) => r[2] === 4)).toBe(true);
    const weight = Number(grab(out, /weight m g = ([\d.]+) N/));
    expect(weight).toBeCloseTo(2.5 * 9.81, 1);
    expect(Number(grab(out, /largest total vertical contact force: ([\d.]+) N/))).toBeGreaterThan(2 * weight);
    const contacts = [...out.matchAll(/^\s+at (\[[^\]]*\]) m\s+force (\[[^\]]*\]) N$/gm)].map((m) => ({ p: vector(m[1]), f: vector(m[2]) }));
    expect(contacts).toHaveLength(4);
    for (const c of contacts) {
      expect(c.p[2]).toBe(0); // on the ground
      expect(c.f[2]).toBeGreaterThan(0); // pushing, never pulling
      expect(Math.hypot(c.f[0], c.f[1])).toBeLessThanOrEqual(0.9 * c.f[2] + 1e-3); // inside the friction cone (mu 0.9)
    }
    const sum = vector(grab(out, /sum of the contact forces: (\[[^\]]*\]) N/));
    expect(Math.abs(sum[2] / weight - 1)).toBeLessThan(0.01);
    expect(Math.hypot(sum[0], sum[1])).toBeLessThan(0.01 * weight);
    expect(rows.at(-1)![3]).toBeCloseTo(sum[2], 2);
  });
});
