/**
 * The CLIs' argument parser (server/cli/args.ts): typed values, repeatable flags, positionals,
 * extra flags, and one-line errors naming the flag and the value; the help text comes from the
 * same table.
 */
import { describe, expect, it } from 'vitest';
import { defineCommand, helpText, parseArgs, UsageError } from '../../server/cli/args.ts';

const cmd = defineCommand({
  name: 'demo',
  usage: 'usage: demo [options] FILE',
  positionals: { name: 'FILE', help: 'the input', min: 1, max: 1 },
  flags: {
    seeds: { type: 'number', integer: true, min: 1, default: 3, help: 'seeds' },
    dt: { type: 'number', check: (x: number) => x > 0, what: 'a time step > 0 in s', help: 'time step' },
    backend: { type: 'string', choices: ['cpu', 'workers'], help: 'where' },
    out: { type: 'string', arg: 'FILE', help: 'output' },
    robots: { type: 'string', arg: 'DIR', repeat: true, help: 'robot folders' },
    quiet: { type: 'boolean', help: 'no progress' },
    foxglove: { type: 'number', integer: true, min: 0, max: 65535, bare: 8765, help: 'Foxglove port' },
  },
});

const error = (argv: string[]): string => {
  try { parseArgs(cmd, argv); } catch (e) { expect(e).toBeInstanceOf(UsageError); return (e as Error).message; }
  throw new Error(`no error for ${argv.join(' ')}`);
};

describe('parseArgs', () => {
  it('reads typed values, defaults, repeatable flags and positionals, in both --k v and --k=v forms', () => {
    const a = parseArgs(cmd, ['in.json', '--dt', '0.01', '--backend=workers', '--robots', 'a', '--robots=b', '--quiet', '--out', 'o.json']);
    expect(a).toMatchObject({ _: ['in.json'], dt: 0.01, backend: 'workers', robots: ['a', 'b'], quiet: true, out: 'o.json', seeds: 3, help: false });
    const b = parseArgs(cmd, ['x', '--seeds', '7']);
    expect(b.seeds).toBe(7);
    expect(b.quiet).toBe(false);
    expect(b.dt).toBeUndefined();
    expect(b.robots).toEqual([]);
    // the types follow the table (a compile-time check as much as a runtime one)
    const seeds: number = b.seeds, backend: 'cpu' | 'workers' | undefined = b.backend, robots: string[] = b.robots;
    expect([seeds, backend, robots]).toEqual([7, undefined, []]);
  });

  it('a flag with an optional value takes it when given, its bare value otherwise; negative numbers are values', () => {
    expect(parseArgs(cmd, ['x', '--foxglove']).foxglove).toBe(8765);
    expect(parseArgs(cmd, ['x', '--foxglove', '--quiet']).foxglove).toBe(8765);
    expect(parseArgs(cmd, ['--foxglove', '9000', 'x']).foxglove).toBe(9000);
    expect(error(['x', '--dt', '-0.01'])).toBe("--dt must be a time step > 0 in s, got '-0.01'");
  });

  it('one-line errors name the flag and the value', () => {
    expect(error(['x', '--seeds', '0'])).toBe("--seeds must be an integer >= 1, got '0'");
    expect(error(['x', '--seeds', '2.5'])).toBe("--seeds must be an integer >= 1, got '2.5'");
    expect(error(['x', '--seeds', ''])).toBe("--seeds must be an integer >= 1, got ''");
    expect(error(['x', '--foxglove', '70000'])).toBe("--foxglove must be an integer in [0, 65535], got '70000'");
    expect(error(['x', '--backend', 'gpu'])).toBe("--backend must be cpu or workers, got 'gpu'");
    expect(error(['x', '--out'])).toMatch(/^--out needs a value/);
    expect(error(['x', '--out', '--quiet'])).toMatch(/^--out needs a value/);
    expect(error(['x', '--quiet=yes'])).toBe("--quiet takes no value, got 'yes'");
    expect(error(['x', '--out', 'a', '--out', 'b'])).toBe('--out given twice');
    expect(error(['x', '--bogus'])).toMatch(/^unknown option '--bogus' \(known: --seeds, --dt, --backend, --out, --robots, --quiet, --foxglove; see --help\)$/);
    expect(error(['x', '-q'])).toBe("unknown option '-q' (see --help)");
    expect(error(['x', 'y'])).toBe("unexpected argument 'y' (see --help)");
    expect(error([])).toBe('FILE is required (see --help)');
  });

  it('--help or -h is reported, whatever else is missing', () => {
    expect(parseArgs(cmd, ['--help']).help).toBe(true);
    expect(parseArgs(cmd, ['-h']).help).toBe(true);
  });

  it('extra flags, when the command accepts them, are collected as strings', () => {
    const open = defineCommand({ name: 'plan', usage: 'usage: plan', flags: { task: { type: 'string', help: 'task' } }, extra: 'task parameters' });
    const a = parseArgs(open, ['--task', 'reach', '--height', '0.1', '--foot=FL']);
    expect(a.task).toBe('reach');
    expect(a.extra).toEqual({ height: '0.1', foot: 'FL' });
    expect(() => parseArgs(open, ['--height'])).toThrow('--height needs a value');
  });
});

describe('helpText', () => {
  it('lists every flag of the table with its value name, choices and default', () => {
    const h = helpText(cmd);
    expect(h.startsWith('usage: demo [options] FILE\n\n')).toBe(true);
    for (const name of Object.keys(cmd.flags)) expect(h).toContain(`--${name}`);
    expect(h).toMatch(/--seeds N\s+seeds \(default 3\)/);
    expect(h).toMatch(/--backend cpu\|workers\s+where/);
    expect(h).toMatch(/--robots DIR\s+robot folders \(repeatable\)/);
    expect(h).toMatch(/--foxglove \[N\]\s+Foxglove port/);
    expect(h).toMatch(/FILE\s+the input/);
    expect(h).toMatch(/--help\s+this text/);
  });
});
