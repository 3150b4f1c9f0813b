/**
 * The command lines' one argument parser. Each CLI declares its flags in a table (type, value
 * name, help, choices, bounds, default, repeatable); the parser reads `--name value` and
 * `--name=value`, converts and checks each value, and the --help text is printed from the same
 * table, so a flag cannot be parsed without being documented or documented without being parsed.
 *
 * Errors are one line naming the flag and the value (`--seeds must be an integer >= 1, got 'x'`);
 * an unknown flag names the known ones. `parseCommandLine` prints them as `<name>: <message>`
 * and exits; `parseArgs` throws them (UsageError) for a CLI that handles them itself.
 */

interface FlagBase {
  /** The help text (one paragraph; the default and the choices are appended). */
  help: string;
  /** The value's name in the help text (N, FILE); for a boolean, none. */
  arg?: string;
  /** May be given more than once: the values are collected in order. */
  repeat?: boolean;
}

export interface BooleanFlag extends FlagBase { type: 'boolean' }
export interface StringFlag extends FlagBase {
  type: 'string';
  /** The values accepted (the help shows them as the value's name: a|b|c). */
  choices?: readonly string[];
  default?: string;
}
export interface NumberFlag extends FlagBase {
  type: 'number';
  integer?: boolean;
  /** Bounds, inclusive. */
  min?: number;
  max?: number;
  /** A further check, with what it wants in words (`a time step > 0 in s`). */
  check?: (x: number) => boolean;
  what?: string;
  default?: number;
  /** The value may be left out (`--foxglove` alone): this value then. */
  bare?: number;
}
export type FlagSpec = BooleanFlag | StringFlag | NumberFlag;
export type FlagTable = Record<string, FlagSpec>;

type Scalar<S extends FlagSpec> = S extends BooleanFlag ? boolean
  : S extends NumberFlag ? number
  : S extends { choices: readonly (infer C extends string)[] } ? C
  : string;

/** The parsed value of one flag: an array when repeatable; a boolean is false when absent; others undefined unless they have a default. */
export type FlagValue<S extends FlagSpec> = S extends { repeat: true } ? Scalar<S>[]
  : S extends BooleanFlag ? boolean
  : S extends { default: string | number } ? Scalar<S>
  : Scalar<S> | undefined;

export type Parsed<F extends FlagTable> = { [K in keyof F]: FlagValue<F[K]> } & {
  /** The arguments that are not flags, in order. */
  _: string[];
  /** --help or -h was given. */
  help: boolean;
  /** With `extra`: the flags not in the table, name (without --) to value, in order. */
  extra: Record<string, string>;
};

export interface Command<F extends FlagTable> {
  /** The prefix of error lines (`plan: ...`). */
  name: string;
  /** The first line of --help (`usage: npm run plan -- --task <task> [options]`). */
  usage: string;
  flags: F;
  /** Arguments that are not flags: their name in the help and how many are accepted (default none). */
  positionals?: { name: string; help?: string; min?: number; max?: number };
  /** Accept flags not in the table (`--name value`, into `extra`), e.g. task parameters; the text says which, for --help. */
  extra?: string;
  /** Lines printed after the flags in --help. */
  notes?: string;
  /** The exit code of a usage error in parseCommandLine (default 1). */
  exitCode?: number;
}

/** A command's table, its literal types kept (choices, defaults, repeat) so that parseArgs' result is typed from it. */
export function defineCommand<const F extends FlagTable>(cmd: Command<F>): Command<F> {
  return cmd;
}

/** A bad command line: the message names the flag or argument, and the value. */
export class UsageError extends Error {
  override name = 'UsageError';
}

function argName(spec: FlagSpec): string {
  if (spec.type === 'boolean') return '';
  if (spec.arg) return spec.arg;
  if (spec.type === 'string' && spec.choices) return spec.choices.join('|');
  return spec.type === 'number' ? 'N' : 'VALUE';
}

/** What a number flag accepts, in words. */
function numberWhat(spec: NumberFlag): string {
  if (spec.what) return spec.what;
  const kind = spec.integer ? 'an integer' : 'a number';
  if (spec.min !== undefined && spec.max !== undefined) return `${kind} in [${spec.min}, ${spec.max}]`;
  if (spec.min !== undefined) return `${kind} >= ${spec.min}`;
  if (spec.max !== undefined) return `${kind} <= ${spec.max}`;
  return kind;
}

function convert(flag: string, spec: StringFlag | NumberFlag, raw: string): string | number {
  if (spec.type === 'string') {
    if (spec.choices && !spec.choices.includes(raw)) throw new UsageError(`--${flag} must be ${orList(spec.choices)}, got '${raw}'`);
    return raw;
  }
  const x = Number(raw);
  const ok = raw.trim() !== '' && Number.isFinite(x) && (!spec.integer || Number.isInteger(x))
    && (spec.min === undefined || x >= spec.min) && (spec.max === undefined || x <= spec.max) && (!spec.check || spec.check(x));
  if (!ok) throw new UsageError(`--${flag} must be ${numberWhat(spec)}, got '${raw}'`);
  return x;
}

/** `a or b`, `one of a, b, c`. */
function orList(xs: readonly string[]): string {
  return xs.length <= 2 ? xs.join(' or ') : `one of ${xs.join(', ')}`;
}

/** A value must not look like the next flag (`--out --quiet`): say it is missing instead. */
const isFlag = (s: string): boolean => s.startsWith('--') || s === '-h';

/** Parses argv (without node and the script) against the command's table; throws UsageError. */
export function parseArgs<F extends FlagTable>(cmd: Command<F>, argv: readonly string[]): Parsed<F> {
  const out: Record<string, unknown> = { _: [], help: false, extra: {} };
  const positionals = out._ as string[], extra = out.extra as Record<string, string>;
  for (const [name, spec] of Object.entries(cmd.flags)) {
    out[name] = spec.repeat ? [] : spec.type === 'boolean' ? false : spec.default;
  }
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') { out.help = true; continue; }
    if (!a.startsWith('--') || a === '--') {
      if (a.startsWith('-') && a !== '-' && !/^-\d/.test(a)) throw new UsageError(`unknown option '${a}' (see --help)`);
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
    const inline = eq < 0 ? undefined : a.slice(eq + 1);
    const spec = Object.hasOwn(cmd.flags, name) ? cmd.flags[name] : undefined;
    if (!spec) {
      if (cmd.extra === undefined) {
        const known = Object.keys(cmd.flags).map((k) => `--${k}`).join(', ');
        throw new UsageError(`unknown option '--${name}' (${known ? `known: ${known}; ` : ''}see --help)`);
      }
      const v = inline ?? argv[++i];
      if (v === undefined || isFlag(v)) throw new UsageError(`--${name} needs a value`);
      extra[name] = v;
      continue;
    }
    if (!spec.repeat && seen.has(name)) throw new UsageError(`--${name} given twice`);
    seen.add(name);
    let value: unknown;
    if (spec.type === 'boolean') {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value, got '${inline}'`);
      value = true;
    } else {
      let raw = inline;
      if (raw === undefined) {
        const next = argv[i + 1];
        if (spec.type === 'number' && spec.bare !== undefined && (next === undefined || next.startsWith('-'))) raw = undefined;
        else if (next === undefined || isFlag(next)) throw new UsageError(`--${name} needs a value (${spec.type === 'number' ? numberWhat(spec) : argName(spec)})`);
        else raw = argv[++i];
      }
      value = raw === undefined ? (spec as NumberFlag).bare : convert(name, spec, raw);
    }
    if (spec.repeat) (out[name] as unknown[]).push(value);
    else out[name] = value;
  }
  if (!out.help) {
    const p = cmd.positionals, n = positionals.length;
    const max = p ? p.max ?? Infinity : 0, min = p?.min ?? 0;
    if (n > max) throw new UsageError(`unexpected argument '${positionals[max]}' (see --help)`);
    if (n < min) throw new UsageError(`${p!.name} is required (see --help)`);
  }
  return out as Parsed<F>;
}

const HELP_COLUMNS = 100;

/** Words into lines of at most `width` characters (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const w of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + w.length > width) { lines.push(line); line = w; }
    else line = line ? `${line} ${w}` : w;
  }
  return line ? [...lines, line] : lines;
}

/** The --help text: the usage line, then one line per flag (name, value, help, choices, default), then the notes. */
export function helpText<F extends FlagTable>(cmd: Command<F>): string {
  const rows: Array<[string, string]> = [];
  if (cmd.positionals?.help) rows.push([cmd.positionals.name, cmd.positionals.help]);
  for (const [name, spec] of Object.entries(cmd.flags)) {
    const arg = argName(spec);
    const left = `--${name}${arg ? (spec.type === 'number' && spec.bare !== undefined ? ` [${arg}]` : ` ${arg}`) : ''}`;
    const dflt = spec.type !== 'boolean' && spec.default !== undefined ? ` (default ${spec.default})` : '';
    rows.push([left, `${spec.help}${dflt}${spec.repeat ? ' (repeatable)' : ''}`]);
  }
  if (cmd.extra !== undefined) rows.push(['--NAME VALUE', cmd.extra]);
  rows.push(['--help', 'this text']);
  const width = Math.min(28, Math.max(...rows.map(([l]) => l.length)) + 2);
  const indent = ' '.repeat(2 + width);
  const lines = rows.map(([l, r]) => {
    const text = wrap(r, HELP_COLUMNS - indent.length).join(`\n${indent}`);
    return l.length + 2 > width ? `  ${l}\n${indent}${text}` : `  ${l.padEnd(width)}${text}`;
  });
  return `${cmd.usage}\n\n${lines.join('\n')}\n${cmd.notes ? `\n${cmd.notes.trimEnd()}\n` : ''}`;
}

/**
 * parseArgs for a CLI's main: --help prints the help text and exits 0; a usage error prints
 * `<name>: <message>` on stderr (one line) and exits with cmd.exitCode (1).
 */
export function parseCommandLine<F extends FlagTable>(cmd: Command<F>, argv: readonly string[] = process.argv.slice(2)): Parsed<F> {
  let args: Parsed<F>;
  try {
    args = parseArgs(cmd, argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${cmd.name}: ${e.message}\n`);
    process.exit(cmd.exitCode ?? 1);
  }
  if (args.help) {
    process.stdout.write(helpText(cmd));
    process.exit(0);
  }
  return args;
}
