/**
 * The objects the step and the linearization read per call keep V8's fast properties. An
 * object in dictionary mode (an object literal with an accessor, a deleted property) turns
 * each property access into a hash lookup: the contact buffer once cost 0.1 us per contact
 * that way, invisible to every other test. Checked with V8's %HasFastProperties in a child
 * process (the intrinsic needs --allow-natives-syntax).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('hot objects keep fast properties', () => {
  it('Simulator, its contact buffer, Data, Model and Linearizer are not in dictionary mode', async () => {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', 'test/helpers/fast-objects-probe.ts'],
        { cwd: ROOT, env: { ...process.env, NODE_NO_WARNINGS: '1' } },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
    });
    const { checked, slow } = JSON.parse(out) as { checked: number; slow: string[] };
    expect(checked).toBeGreaterThan(50);
    expect(slow).toEqual([]);
  }, 60_000);
});
