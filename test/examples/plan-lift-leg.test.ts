/** examples/plan-lift-leg.ts: DDP and R-DDP on the same lift-leg problem, a table of both (small budget here). */
import { describe, expect, it } from 'vitest';
import { runExample } from './run.ts';

describe('examples/plan-lift-leg.ts', () => {
  it('prints both solvers side by side with their costs, metrics and timings', async () => {
    const run = await runExample('plan-lift-leg', ['--iterations', '6', '--horizon', '0.3', '--backend', 'cpu']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^lift-leg, foot FL, 0.3 s in 30 steps of 0.01 s; budget 6 iterations; R-DDP 16 samples, sigma0 0.5, seed 1$/);
    expect(lines[1]).toMatch(/^metric\s+DDP\s+R-DDP$/);
    // rows: a name (may hold spaces), then the DDP and the R-DDP value
    const table = new Map(lines.slice(2).map((l) => {
      const m = /^(.*?)\s+(\S+)\s+(\S+)$/.exec(l);
      if (!m) throw new Error(`not a table row: ${l}`);
      return [m[1], [m[2], m[3]]] as const;
    }));
    expect([...table.keys()]).toEqual(['backend', 'status', 'iterations', 'initial cost', 'final cost', 'success', 'foot', 'footFrame', 'objective',
      'footHeight', 'targetHeight', 'footError', 'otherFeetMaxHeight', 'baseHeight', 'baseHeightChange', 'maxJointSpeed', 'kneeChange', 'time (s)']);
    expect(table.get('backend')).toEqual(['cpu', 'cpu']);
    const num = (k: string, col: number) => Number(table.get(k)![col]);
    for (const col of [0, 1]) {
      expect(num('iterations', col)).toBeGreaterThanOrEqual(1);
      expect(num('iterations', col)).toBeLessThanOrEqual(6);
      expect(['true', 'false']).toContain(table.get('success')![col]);
      expect(num('targetHeight', col)).toBe(0.05);
      for (const k of ['footHeight', 'footError', 'otherFeetMaxHeight', 'baseHeight', 'maxJointSpeed', 'kneeChange', 'time (s)']) {
        expect(Number.isFinite(num(k, col)), k).toBe(true);
      }
      // the foot error is the distance of the foot's height to its target
      expect(num('footError', col)).toBeCloseTo(Math.abs(num('footHeight', col) - 0.05), 5);
      // the line search accepts only decreases of the true cost
      expect(num('final cost', col)).toBeLessThanOrEqual(num('initial cost', col));
      expect(num('time (s)', col)).toBeGreaterThan(0);
    }
    // same problem, same initial guess
    expect(num('initial cost', 0)).toBe(num('initial cost', 1));
    expect(num('initial cost', 0)).toBeGreaterThan(0);
  });
});
