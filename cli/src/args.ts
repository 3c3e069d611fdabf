// Flags several commands share, and the values citty does not parse itself: repeated flags, `k=v`
// pairs, durations, data files.
import { readFileSync } from 'node:fs';
import { CliError, usageError } from './errors.ts';

/** Every value of a flag that may be given more than once (`--label a=1 --label b=2`). */
export function repeated(rawArgs: string[], ...names: string[]): string[] {
  const values: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i]!;
    if (arg === '--') break;
    for (const name of names) {
      const flag = name.length === 1 ? `-${name}` : `--${name}`;
      if (arg === flag && rawArgs[i + 1] !== undefined) values.push(rawArgs[++i]!);
      else if (arg.startsWith(`${flag}=`)) values.push(arg.slice(flag.length + 1));
    }
  }
  return values;
}

/** `K=V` pairs as a map; `what` names the flag in errors. */
export function pairs(values: string[], what: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf('=');
    if (at <= 0) throw usageError(`${what} takes KEY=VALUE, not '${value}'`);
    map[value.slice(0, at)] = value.slice(at + 1);
  }
  return map;
}

/** Seconds from `90`, `90s`, `10m`, `2h` or `1d`. */
export function seconds(text: string): number {
  const match = /^(\d+)(s|m|h|d)?$/.exec(text.trim());
  if (!match) throw usageError(`--timeout takes seconds or a duration such as 90s, 10m, 2h, not '${text}'`);
  return Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(match[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
}

export function integer(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text)) throw usageError(`${what} takes a whole number, not '${text}'`);
  return Number(text);
}

/** A YAML or JSON file (JSON is YAML), parsed. */
export async function readDataFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    return (await import('yaml')).parse(text);
  } catch (err) {
    throw new CliError(`${path} is not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
  }
}

export const followArgs = {
  follow: { type: 'boolean', alias: 'f', description: 'Stream the run live until it ends; the exit code says how it ended' },
  raw: { type: 'boolean', description: 'With --follow: every log line as [stream] line' },
  'cancel-on-interrupt': { type: 'boolean', description: 'With --follow: Ctrl-C cancels the run instead of detaching' },
} as const;

export const listArgs = {
  limit: { type: 'string', alias: 'n', description: 'At most this many rows (default 50; 0 for all)' },
  'page-size': { type: 'string', description: 'Rows per request while paging (default 100)' },
} as const;

/** `--limit`/`--page-size` as the client's list options. */
export function listOptions(args: { limit?: string | undefined; 'page-size'?: string | undefined }, defaultLimit = 50) {
  const limit = integer(args.limit, '--limit') ?? defaultLimit;
  return { limit: limit === 0 ? undefined : limit, pageSize: integer(args['page-size'], '--page-size') };
}
