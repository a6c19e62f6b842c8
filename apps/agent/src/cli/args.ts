/*
 * Flag parsing shared by the commands (and `sluice agent`): node's own
 * util.parseArgs, with what it lacks for an operator's command line.
 * - A value may begin with a dash: `--weight -1` gives -1 to the check that
 *   knows the range (the agent's, which says "weight must be 1 to 65535"),
 *   where parseArgs alone refuses it as "ambiguous" and asks for `--weight=-1`.
 * - Its errors become sentences that name the command and where to look.
 * Why not a library such as commander: parseArgs is part of node (nothing to
 * load at each call, where every millisecond of start-up counts, issue 15),
 * the usage texts stay ours (the help test walks them), and what it lacked is
 * the two points above.
 */
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

/** Common flags every command takes. */
export const COMMON_FLAGS = {
  json: { type: 'boolean', default: false },
  socket: { type: 'string' },
  'token-file': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/* A value that is a negative number or duration ("-1", "-0.5", "-3s"), not a flag. */
const NEGATIVE = /^-\d|^-\.\d/;

/**
 * `--name VALUE` for every flag that takes a value, joined into `--name=VALUE`
 * so that a value beginning with a dash reaches its check; a flag that takes a
 * value but is followed by another flag, or by nothing, is refused here.
 */
export function joinFlagValues(argv: readonly string[], options: Options, command: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : undefined;
    if (name === undefined || options?.[name]?.type !== 'string') {
      out.push(arg);
      continue;
    }
    const next = argv[i + 1];
    if (next === undefined) throw new UsageError(`${arg} needs a value (sluice ${command} --help)`);
    if (next.startsWith('-') && !NEGATIVE.test(next))
      throw new UsageError(`${arg} needs a value, and "${next}" is a flag; a value that begins with a dash is written ${arg}=VALUE`);
    out.push(`${arg}=${next}`);
    i++;
  }
  return out;
}

/** The option parseArgs named in its message ('--bogus', '-x'). */
const optionIn = (message: string) => /'(-[^' <]+)/.exec(message)?.[1] ?? 'an option';

/** parseArgs' error as a sentence for an operator. */
function sentence(error: Error & { code?: string }, command: string): string {
  const option = optionIn(error.message);
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `${option} is not an option of sluice ${command} (sluice ${command} --help lists them)`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /does not take an argument/.test(error.message)
        ? `${option} takes no value (it is on or off: write ${option} alone)`
        : `${option} needs a value (sluice ${command} --help)`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `sluice ${command} takes no argument "${/'([^']*)'/.exec(error.message)?.[1] ?? ''}" (sluice ${command} --help)`;
    default:
      return `${error.message} (sluice ${command} --help)`;
  }
}

/** Flags of `command` (as the operator typed it, e.g. "service add"): the common ones and `options`. */
export function parse<O extends Options>(argv: string[], options: O, command: string) {
  const all = { ...COMMON_FLAGS, ...options };
  const args = joinFlagValues(argv, all, command);
  try {
    return parseArgs({ args, options: all, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(sentence(error as Error, command));
  }
}

/** Like parse, for commands without the common flags and without positionals (`sluice agent`, `sluice teardown`). */
export function parseFlags<O extends Options>(argv: string[], options: O, command: string) {
  const args = joinFlagValues(argv, options, command);
  try {
    return parseArgs({ args, options, allowPositionals: false, strict: true });
  } catch (error) {
    throw new UsageError(sentence(error as Error, command));
  }
}

export function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  /* Number('') is 0: an empty value must not pass as zero. */
  if (value.trim() === '' || !Number.isInteger(n)) throw new UsageError(`--${name} must be a whole number, not "${value}"`);
  return n;
}

/** "30s", "500ms", "2m", "1h" or plain milliseconds. */
export function duration(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!match) throw new UsageError(`--${name} must be a duration of 0 or more like 30s, 500ms, 2m or 1h, not "${value}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(match[1]) * unit);
}

/** "200-399" -> [200, 399]; "200" -> [200, 200]. */
export function statusRange(name: string, value: string | undefined): [number, number] | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d{3})(?:-(\d{3}))?$/.exec(value.trim());
  if (!match) throw new UsageError(`--${name} must be a status or range like 200-399, not "${value}"`);
  return [Number(match[1]), Number(match[2] ?? match[1])];
}

export function positional(positionals: string[], index: number, what: string, usage: string): string {
  const value = positionals[index];
  if (value === undefined) throw new UsageError(`missing ${what}\nusage: ${usage}`);
  return value;
}

/** Refuses arguments past the first `count`: `service rm A B` must not remove A and ignore B. */
export function noMoreThan(positionals: string[], count: number, command: string): void {
  const extra = positionals.slice(count);
  if (extra.length === 0) return;
  const takes = count === 0 ? 'no arguments' : `${count} argument${count === 1 ? '' : 's'}`;
  throw new UsageError(`sluice ${command} takes ${takes}; left over: "${extra.join(' ')}" (sluice ${command} --help)`);
}
