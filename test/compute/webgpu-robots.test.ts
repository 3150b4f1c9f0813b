/**
 * The WebGPU backend says when it cannot take a robot, and the worker pool takes over (issue
 * 21), without a GPU: the model check (packModel) runs before any adapter is asked for, so the
 * refusal and the fallback are the same on a machine with or without one.
 * - the upstream Solo-12 on lift-leg (feet spheres only): the kernel takes it, 4 candidates;
 * - the same with meshCollision 'hulls': refused, naming the mesh;
 * - Unitree A1 (cylinders on its legs): refused, naming the cylinder; an R-DDP plan asked on
 *   'webgpu' then runs on the worker pool, and its compute record says why.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getTask } from '../../server/control/tasks/index.ts';
import { resolveParams } from '../../server/control/tasks/types.ts';
import { setRobotDirs } from '../../server/model/robot-catalog.ts';
import { GpuUnsupportedError, packModel } from '../../server/compute/webgpu/model-pack.ts';
import { createProviders } from '../../server/compute/providers.ts';
import { defaultSmoothingParams } from '../../server/control/derivative-providers.ts';
import { repoRoot, upstreamRobots } from '../model/helpers.ts';

setRobotDirs([path.join(upstreamRobots, 'solo_description'), path.join(repoRoot, 'test/data/robots/a1_description')]);
const def = getTask('lift-leg');
const build = (p: Record<string, string | number>) => def.build(resolveParams(def, { horizon: 0.1, ...p }));

function refusal(fn: () => unknown): GpuUnsupportedError {
  try { fn(); } catch (e) { if (e instanceof GpuUnsupportedError) return e; throw e; }
  throw new Error('expected a GpuUnsupportedError');
}

describe('WebGPU: which robots the kernels take', () => {
  it('upstream Solo-12 with foot spheres: packed, 4 candidates; with mesh hulls: refused, naming the mesh', () => {
    expect(packModel(build({ robot: 'solo_description-solo12' }).sim).candidates).toBe(4);
    const e = refusal(() => packModel(build({ robot: 'solo_description-solo12', meshCollision: 'hulls' }).sim));
    expect(e.message).toMatch(/mesh collision geometry \(link base_link, collided as its convex hull\) is not supported on the GPU/);
  });

  it('A1: refused (cylinders); an R-DDP plan asked on webgpu runs on the worker pool and says why', async () => {
    const built = build({ robot: 'a1' });
    expect(refusal(() => packModel(built.sim)).message).toMatch(/cylinder collision shapes \(link \w+\) are not supported on the GPU/);
    const logs: string[] = [];
    const p = await createProviders({
      backend: 'webgpu', task: 'lift-leg', params: built.params, built, workers: 1, log: (m) => logs.push(m),
      smoothing: defaultSmoothingParams({ sigma: 0.5, samples: 4, seed: 1 }),
    });
    try {
      expect(p.info.requested).toBe('webgpu');
      expect(p.info.backend).toBe('workers');
      expect(p.info.fallback).toMatch(/cylinder collision shapes/);
      expect(p.info.reason).toMatch(/falling back to workers/);
      expect(p.smooth).not.toBeNull();
      expect(logs.join('\n')).toMatch(/webgpu unavailable \(webgpu: cylinder/);
    } finally {
      await p.dispose();
    }
  });
});
