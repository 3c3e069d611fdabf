// What flightctl prints: aligned tables and colour for people (colour only on a terminal, never with
// NO_COLOR), JSON or YAML for scripts, progress on stderr, and errors as one line.
import { environment } from './config.ts';
import { usageError } from './errors.ts';

export type Format = 'table' | 'json' | 'yaml';

export interface Paint {
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const ansi = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const plain = (text: string) => text;

export function paint(enabled: boolean): Paint {
  return enabled
    ? { red: ansi(31, 39), green: ansi(32, 39), yellow: ansi(33, 39), cyan: ansi(36, 39), dim: ansi(2, 22), bold: ansi(1, 22) }
    : { red: plain, green: plain, yellow: plain, cyan: plain, dim: plain, bold: plain };
}

/** Colour for a stream: only a terminal gets it, and NO_COLOR (any value) or TERM=dumb turns it off. */
export function colorFor(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !environment.noColor && !environment.dumbTerminal;
}

export const out = paint(colorFor(process.stdout));
export const err = paint(colorFor(process.stderr));

export function parseFormat(json: boolean, output: string | undefined): Format {
  if (json) return 'json';
  if (output === undefined || output === 'table' || output === 'wide') return 'table';
  if (output === 'json' || output === 'yaml') return output;
  throw usageError(`-o must be json, yaml or table, not '${output}'`);
}

/** Prints `data` as the API gave it (JSON, YAML), or as the table `render` makes of it. */
export async function print(format: Format, data: unknown, render: () => string): Promise<void> {
  if (format === 'json') process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  else if (format === 'yaml') process.stdout.write(await toYaml(data));
  else {
    const text = render();
    if (text !== '') process.stdout.write(`${text}\n`);
  }
}

/** YAML text; the library is loaded only by the commands that need it, to keep start-up quick. */
export async function toYaml(data: unknown): Promise<string> {
  return (await import('yaml')).stringify(data);
}

/** An aligned table; the last column is not padded. Colour codes do not count towards widths. */
export function table(headers: string[], rows: string[][], empty = 'Nothing to show.'): string {
  if (rows.length === 0) return err.dim(empty);
  const all = [headers.map((h) => out.bold(h)), ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((row) => visibleLength(row[i] ?? ''))));
  return all
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visibleLength(cell)))).join('  ').trimEnd())
    .join('\n');
}

/** Key-value lines for one record. */
export function details(pairs: [string, string | null | undefined][]): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${out.dim(`${k}:`.padEnd(width + 1))} ${v}`)
    .join('\n');
}

export function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}

/** A one-line message on stderr, e.g. progress or a hint. */
export function note(text: string): void {
  process.stderr.write(`${err.dim(text)}\n`);
}

/** The run statuses in their colours. */
export function statusText(status: string, p: Paint = out): string {
  switch (status) {
    case 'completed':
      return p.green(status);
    case 'failed':
    case 'timeout':
      return p.red(status);
    case 'cancelled':
      return p.yellow(status);
    case 'running':
    case 'assigned':
      return p.cyan(status);
    default:
      return status;
  }
}

/** "3m ago", "2h ago" — how long ago an ISO timestamp was. */
export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return '-';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86400)}d ago`;
}

/** "850ms", "12.3s", "4m 05s", "2h 03m". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h ${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

export function truncate(text: string, max: number): string {
  const single = text.replace(/\s+/g, ' ');
  return single.length <= max ? single : `${single.slice(0, max - 1)}…`;
}
