/** Runs an example as its header says (`npx tsx examples/NAME.ts ...`: node with tsx's loader), in the project root. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ExampleRun { code: number; stdout: string; stderr: string }

export function runExample(name: string, args: readonly string[] = [], timeoutMs = 120_000): Promise<ExampleRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join('examples', `${name}.ts`), ...args], { cwd: repoRoot, timeout: timeoutMs, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
  });
}

/** The numbers of a printed vector `[a b c]`. */
export function vector(text: string): number[] {
  return text.trim().replace(/^\[|\]$/g, '').trim().split(/\s+/).map(Number);
}

/** The first capture of `re` in `text` (fails the test with the text when absent). */
export function grab(text: string, re: RegExp): string {
  const m = re.exec(text);
  if (!m) throw new Error(`no match for ${re} in:\n${text}`);
  return m[1];
}
