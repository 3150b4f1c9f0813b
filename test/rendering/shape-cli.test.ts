import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { binaryStl, cubeTriangles } from '../helpers/mesh-fixtures.ts';
import { parseObj } from '../../server/model/mesh.ts';

const root = path.resolve(__dirname, '../..');

/** A box (the fixture cube stretched) as an STL in a fresh folder. */
function boxStl(): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'shape-'));
  const tris = cubeTriangles().map((t) => t.map(([x, y, z]) => [2 * x, 0.8 * y, 0.6 * z]));
  const file = path.join(dir, 'box.stl');
  writeFileSync(file, binaryStl(tris));
  return { dir, file };
}

describe('npm run shape', () => {
  it('fits, prints the 3D IoU before and after, writes the result and the fitted OBJ', () => {
    const { dir, file } = boxStl();
    const out = path.join(dir, 'r.json'), obj = path.join(dir, 'fit.obj'), png = path.join(dir, 'sheet.png');
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', 'server/cli/shape.ts', '--mesh', file, '--method', 'softras', '--views', '4', '--size', '24', '--iterations', '15', '--level', '2', '--voxels', '24', '--out', out, '--obj', obj, '--png', png], { cwd: root, encoding: 'utf8' });
    expect(stdout).toMatch(/3D IoU\s+0\.\d+ -> 0\.\d+ \(voxels 24\^3\)/);
    const r = JSON.parse(readFileSync(out, 'utf8'));
    expect(r.telemetry).toHaveLength(15);
    expect(r.settings).toMatchObject({ views: 4, size: 24, level: 2, method: 'softras' });
    expect(r.iou).toBeGreaterThan(0);
    const m = parseObj(readFileSync(obj, 'utf8'));
    expect(m.vertices.length / 3).toBe(162);
    expect(m.indices.length / 3).toBe(320);
    const sheet = readFileSync(png);
    expect(sheet.subarray(1, 4).toString()).toBe('PNG');
    expect([sheet.readUInt32BE(16), sheet.readUInt32BE(20)]).toEqual([4 * 26 - 2, 3 * 26 - 2]); // 4 views x 3 rows of 24 px, 2 px gaps
  });

  it('refuses bad arguments with a message', () => {
    const run = (...a: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/shape.ts', ...a], { cwd: root, encoding: 'utf8' });
    const { file } = boxStl();
    const cases: [string[], RegExp][] = [
      [['--method', 'softras'], /--mesh is required/],
      [['--mesh', file, '--method', 'magic'], /--method must be one of/],
      [['--mesh', file, '--method', 'softras', '--views', '0'], /--views must be an integer in \[1, 64\]/],
      [['--mesh', path.join(file, '..', 'nope.stl'), '--method', 'softras'], /shape: .*nope\.stl/],
    ];
    for (const [args, msg] of cases) {
      const r = run(...args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(msg);
    }
  });
});

describe('npm run experiment -- shape', () => {
  it('runs every method on the same problems and writes the summary and plot', () => {
    const { dir, file } = boxStl();
    const out = path.join(dir, 'exp');
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', 'server/cli/experiment.ts', 'shape', '--meshes', file, '--seeds', '1,2', '--views', '3', '--size', '16', '--iterations', '8', '--level', '1', '--voxels', '16', '--out', out], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(stdout).toMatch(/\| box\.stl \| 1 \| 0\.\d+ -> \*\*0\.\d+\*\* \| 0\.\d+ -> \*\*0\.\d+\*\* \| 0\.\d+ -> \*\*0\.\d+\*\* \|/);
    const sum = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(sum.runs).toHaveLength(2 * 3);
    for (const seed of [1, 2]) {
      const same = sum.runs.filter((r: { seed: number }) => r.seed === seed);
      expect(same.map((r: { method: string }) => r.method)).toEqual(['hard', 'softras', 'perturbed']);
      // The same start (sphere, cameras) for every method.
      for (const r of same) expect(r.initialIoU).toBe(same[0].initialIoU);
    }
    expect(sum.methods.softras.meanIoU).toBeCloseTo((sum.runs[1].iou + sum.runs[4].iou) / 2, 12);
    for (const f of ['summary.md', 'silhouette.svg']) expect(readFileSync(path.join(out, f)).length).toBeGreaterThan(100);
  });
});
