// A run's log as people read it in a terminal: the assistant's text as it comes, each tool call as
// one line with its arguments summarised and then one line with its outcome, errors in red, and the
// control plane's own notes dimmed. `--raw` prints every stored line as `[stream] line` instead.
import type { LogView } from '../../control/src/contract/runs.ts';
import { truncate, type Paint } from './output.ts';

export type LogLine = LogView;

/** Where a followed run's lines go: a transcript for people, or one JSON or YAML document per line. */
export interface LogSink {
  push(line: LogLine): void;
  /** No more lines for now: anything held back is shown. */
  flush(): void;
}

/** The output of the tool call being shown, held until the call's last line has come. */
interface PendingOutput {
  id: unknown;
  name: string;
  lines: string[];
  failed: boolean;
  error: string | null;
}

const SUMMARY_WIDTH = 100;

export class Transcript implements LogSink {
  private pending: PendingOutput | null = null;
  private readonly paint: Paint;
  private readonly write: (text: string) => void;
  private readonly raw: boolean;

  constructor(paint: Paint, write: (text: string) => void, options: { raw?: boolean } = {}) {
    this.paint = paint;
    this.write = write;
    this.raw = options.raw ?? false;
  }

  push(line: LogLine): void {
    if (this.raw) return this.emit(`[${line.stream}] ${line.line}`);
    const data = line.data ?? {};
    if (line.event === 'tool_response') {
      if (this.pending && this.pending.id !== data['id']) this.flush();
      this.pending ??= { id: data['id'], name: stringOr(data['name'], 'tool'), lines: [], failed: false, error: null };
      if (data['status'] === 'error') this.pending.failed = true;
      if (typeof data['error'] === 'string') this.pending.error = data['error'];
      else this.pending.lines.push(line.line);
      return;
    }
    this.flush();
    switch (line.event) {
      case 'tool_request':
        return this.emit(this.paint.cyan(toolCall(line)));
      case 'error':
        return this.emit(this.paint.red(line.line));
      case 'complete':
      case 'model_change':
        // The closing line reports usage; the model is in the run's settings.
        return;
      case 'thinking':
      case 'notification':
        return this.emit(this.paint.dim(line.line));
      default:
        // Notes from the worker and the control plane; the first line says what happened.
        if (line.stream === 'system') return this.emit(this.paint.dim(truncate(firstLine(line.line), SUMMARY_WIDTH + 20)));
        if (line.stream === 'stderr') return this.emit(this.paint.red(line.line));
        return this.emit(line.line);
    }
  }

  /** Shows the outcome of a tool call whose output has all come (the next line is something else). */
  flush(): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    const output = pending.lines.filter((l) => l.trim() !== '' && !/^\(no output from .*\)$/.test(l));
    const first = output[0] === undefined ? 'no output' : truncate(output[0], SUMMARY_WIDTH);
    const more = output.length > 1 ? this.paint.dim(` (+${output.length - 1} more line${output.length > 2 ? 's' : ''})`) : '';
    if (pending.failed) this.emit(this.paint.red(`  ✗ ${pending.error ?? first}`) + (pending.error ? '' : more));
    else this.emit(`  ${this.paint.green('✓')} ${first}${more}`);
  }

  private emit(text: string): void {
    this.write(`${text}\n`);
  }
}

/** `▸ shell command="ls -la"`: the tool's name and its arguments, on one line. */
function toolCall(line: LogLine): string {
  const data = line.data;
  if (!data || typeof data['name'] !== 'string') return truncate(line.line, SUMMARY_WIDTH + 20);
  const args = data['arguments'];
  const summary =
    args && typeof args === 'object' && !Array.isArray(args)
      ? Object.entries(args as Record<string, unknown>)
          .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
          .join(' ')
      : args === undefined || args === null
        ? ''
        : JSON.stringify(args);
  return truncate(`▸ ${data['name']}${summary ? ` ${summary}` : ''}`, SUMMARY_WIDTH + 20);
}

function firstLine(text: string): string {
  const end = text.indexOf('\n');
  return end === -1 ? text : `${text.slice(0, end)} …`;
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}
