// Streams one run attempt's log lines to the control plane in numbered batches: flushes at ~100
// lines, ~100 ms or a byte cap, keeps one batch in flight, retries with backoff, and holds a bounded
// buffer that, if it ever overflows, says in the log how many lines were dropped and where.
import { MAX_EVENT_DATA_CHARS, type LogLine } from '../../control/src/contract/worker.ts';
import type { ApiResult } from './client.ts';

export type Stream = 'stdout' | 'stderr' | 'event' | 'system';

export interface LogSink {
  (lines: LogLine[]): Promise<ApiResult<{ appended: number; last_sequence: number }>>;
}

export interface LogStreamerOptions {
  flushLines?: number;
  flushMs?: number;
  flushBytes?: number;
  /** Lines held at most while the control plane is unreachable. */
  maxBufferedLines?: number;
  /** Longer lines are split into parts, each marked as continued. */
  maxLineChars?: number;
  /** Called once when the control plane says the lease is gone (409): the run must stop. */
  onLeaseLost?: () => void;
}

const CONTINUED = ' [continued]';

export class LogStreamer {
  private readonly send: LogSink;
  private readonly opts: Required<Omit<LogStreamerOptions, 'onLeaseLost'>>;
  private readonly onLeaseLost: (() => void) | undefined;
  private buffer: LogLine[] = [];
  private bufferedBytes = 0;
  private nextSequence = 1;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inFlight: Promise<void> | null = null;
  private failures = 0;
  private dropped = 0;
  private leaseLost = false;
  private closed = false;

  constructor(send: LogSink, options: LogStreamerOptions = {}) {
    this.send = send;
    this.onLeaseLost = options.onLeaseLost;
    this.opts = {
      flushLines: options.flushLines ?? 100,
      flushMs: options.flushMs ?? 100,
      // Characters, not bytes: even at six JSON bytes per character (escaped control codes) a batch
      // stays under the control plane's 1 MiB body limit.
      flushBytes: options.flushBytes ?? 160 * 1024,
      maxBufferedLines: options.maxBufferedLines ?? 100_000,
      maxLineChars: options.maxLineChars ?? 16 * 1024,
    };
  }

  get lost(): boolean {
    return this.leaseLost;
  }

  /** Lines dropped so far because the buffer overflowed. */
  get droppedLines(): number {
    return this.dropped;
  }

  /** Queues one line; `event` names the agent's structured event it shows, if any, and `data` its fields. */
  add(stream: Stream, text: string, event?: string, data?: EventData): void {
    if (this.closed || this.leaseLost) return;
    const fields = data === undefined ? undefined : boundEventData(data);
    // A split line carries its event's fields once, on its first part.
    splitLine(text, this.opts.maxLineChars).forEach((part, i) => this.push(stream, part, event, i === 0 ? fields : undefined));
    if (this.buffer.length >= this.opts.flushLines || this.bufferedBytes >= this.opts.flushBytes) this.kick();
    else this.schedule(this.opts.flushMs);
  }

  /** Sends everything still buffered, retrying until done, the lease is lost, or `deadlineMs` passes. */
  async close(deadlineMs = 120_000): Promise<{ delivered: boolean }> {
    this.closed = true;
    const deadline = Date.now() + deadlineMs;
    while ((this.buffer.length > 0 || this.inFlight) && !this.leaseLost && Date.now() < deadline) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      if (!this.inFlight) this.kick();
      await this.inFlight;
      if (this.buffer.length > 0 && this.failures > 0) await delay(Math.min(backoff(this.failures), Math.max(0, deadline - Date.now())));
    }
    return { delivered: this.buffer.length === 0 && !this.leaseLost };
  }

  private push(stream: Stream, line: string, event?: string, data?: EventData): void {
    if (this.buffer.length >= this.opts.maxBufferedLines) this.dropOldest();
    const entry: LogLine = { stream, line, sequence: this.nextSequence++ };
    if (event) entry.event = event;
    if (data) entry.data = data;
    this.buffer.push(entry);
    this.bufferedBytes += weight(entry);
  }

  // The oldest unsent half goes, replaced by one marker that says how many lines and which
  // sequence numbers are missing; the hub also sees the gap in the sequence.
  private dropOldest(): void {
    const count = Math.max(1, Math.floor(this.buffer.length / 2));
    const gone = this.buffer.splice(0, count);
    const first = gone[0]!.sequence;
    const last = gone[gone.length - 1]!.sequence;
    this.dropped += gone.length;
    for (const l of gone) this.bufferedBytes -= weight(l);
    const marker = `[flight-control] ${gone.length} log lines (sequence ${first}-${last}) were dropped: the control plane was unreachable and the worker's buffer was full`;
    this.buffer.unshift({ stream: 'system', line: marker, sequence: this.nextSequence++ });
    this.buffer.sort((a, b) => a.sequence - b.sequence);
  }

  private schedule(ms: number): void {
    if (this.timer || this.inFlight) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
    }, ms);
  }

  private kick(): void {
    if (this.inFlight || this.leaseLost) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.inFlight = this.flushOnce().finally(() => {
      this.inFlight = null;
      if (this.buffer.length > 0 && !this.closed) this.schedule(this.failures > 0 ? backoff(this.failures) : 0);
    });
  }

  private async flushOnce(): Promise<void> {
    const batch = this.takeBatch();
    if (batch.length === 0) return;
    const result = await this.send(batch);
    if (result.ok) {
      this.failures = 0;
      return;
    }
    if (result.status === 409) {
      this.leaseLost = true;
      this.buffer = [];
      this.onLeaseLost?.();
      return;
    }
    if (result.status === 422 || result.status === 413) {
      this.requeueRejected(batch, result.error);
      return;
    }
    // Put the batch back in front, in order; the hub stores each sequence once, so a batch that did
    // arrive before the error is harmless to resend.
    this.failures++;
    this.buffer = [...batch, ...this.buffer];
    for (const l of batch) this.bufferedBytes += weight(l);
  }

  // A batch the control plane refuses as such would be refused forever. It goes again without its
  // event kinds and fields; refused even so, its lines make way for one line that says why.
  private requeueRejected(batch: LogLine[], error: string): void {
    const again: LogLine[] = batch.some((l) => l.event !== undefined || l.data !== undefined)
      ? batch.map(({ stream, line, sequence }) => ({ stream, line, sequence }))
      : [{ stream: 'system', line: `[flight-control] ${batch.length} log lines (sequence ${batch[0]!.sequence}-${batch.at(-1)!.sequence}) were refused by the control plane: ${error}`.slice(0, 4_096), sequence: batch[0]!.sequence }];
    // Counted as a failure, so a control plane that refuses everything is not asked in a tight loop.
    this.failures++;
    this.buffer = [...again, ...this.buffer];
    for (const l of again) this.bufferedBytes += weight(l);
  }

  private takeBatch(): LogLine[] {
    let bytes = 0;
    let n = 0;
    while (n < this.buffer.length && n < this.opts.flushLines) {
      bytes += weight(this.buffer[n]!);
      if (n > 0 && bytes > this.opts.flushBytes) break;
      n++;
    }
    const batch = this.buffer.splice(0, n);
    for (const l of batch) this.bufferedBytes -= weight(l);
    return batch;
  }
}

export type EventData = Record<string, unknown>;

/** What a line adds to a batch: its text and its event's fields as JSON. */
function weight(l: LogLine): number {
  return l.line.length + (l.data === undefined ? 0 : JSON.stringify(l.data).length);
}

/**
 * Event fields within the control plane's limit: long strings are cut first, and if that is not
 * enough only the short top-level fields are kept. Either way `truncated: true` says so.
 */
export function boundEventData(data: EventData, max = MAX_EVENT_DATA_CHARS): EventData {
  if (JSON.stringify(data).length <= max) return data;
  const cut = (value: unknown, keep: number): unknown => {
    if (typeof value === 'string') return value.length > keep ? `${value.slice(0, keep)}…` : value;
    if (Array.isArray(value)) return value.map((v) => cut(v, keep));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cut(v, keep)]));
    return value;
  };
  const shortened = { ...(cut(data, 512) as EventData), truncated: true };
  if (JSON.stringify(shortened).length <= max) return shortened;
  const scalars = Object.entries(data).filter(([k, v]) => k.length <= 64 && (v === null || ['string', 'number', 'boolean'].includes(typeof v)));
  return { ...Object.fromEntries(scalars.slice(0, 32).map(([k, v]) => [k, cut(v, 256)])), truncated: true };
}

export function splitLine(text: string, max: number): string[] {
  if (text.length <= max) return [text];
  const parts: string[] = [];
  let i = 0;
  while (i < text.length) {
    let end = Math.min(i + max, text.length);
    // Never cut a surrogate pair in two.
    if (end < text.length && /[\uD800-\uDBFF]/.test(text[end - 1]!)) end--;
    parts.push(end < text.length ? text.slice(i, end) + CONTINUED : text.slice(i, end));
    i = end;
  }
  return parts;
}

function backoff(failures: number): number {
  const base = Math.min(5_000, 100 * 2 ** Math.min(failures, 10));
  return base / 2 + Math.random() * (base / 2);
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
