// Following a run live over its log WebSocket: every line once and in order, across dropped
// connections (each reconnect asks for the lines after the last one shown), until the run ends.
import type { z } from '@hono/zod-openapi';
import type { Run, StreamTicket } from '../../control/src/contract/runs.ts';
import type { FinalStatus } from '../../control/src/contract/statuses.ts';
import { reason, type Client } from './client.ts';
import { ApiError, EXIT } from './errors.ts';
import { duration, type Paint } from './output.ts';
import type { LogLine, LogSink } from './transcript.ts';

export interface FollowOptions {
  /** Show lines after this sequence (0: the whole log). */
  after?: number;
  /** Told of each status the run reaches, and of connection trouble, for progress on stderr. */
  onStatus?: (status: string) => void;
  onReconnecting?: (why: string) => void;
}

type StreamMessage =
  | { type: 'log'; lines: LogLine[] }
  | { type: 'status'; status: string }
  | { type: 'end'; status: string; last_sequence: number }
  | { type: 'error'; code: string; detail: string }
  | { type: 'pong' };

/** How a connection ended: the run is over, or the connection dropped. */
type Outcome = { ended: true } | { ended: false; why: string };

const FINAL: readonly string[] = ['completed', 'failed', 'timeout', 'cancelled'] satisfies FinalStatus[];
const isFinal = (status: string) => FINAL.includes(status);

const PING_MS = 15_000;
/** With no message for this long the connection is taken for dead and opened again. */
const SILENCE_MS = 40_000;
const MAX_BACKOFF_MS = 5_000;

/** Shows the run's log as it is written until the run ends, and returns the ended run. */
export async function followRun(client: Client, runId: string, transcript: LogSink, options: FollowOptions = {}): Promise<Run> {
  let last = options.after ?? 0;
  let lastStatus = '';
  let backoff = 250;
  const show = (line: LogLine) => {
    // A reconnect replays from `after`; anything at or below what was shown is a repeat.
    if (line.sequence <= last) return;
    last = line.sequence;
    transcript.push(line);
  };
  const status = (value: string) => {
    if (value === lastStatus) return;
    lastStatus = value;
    options.onStatus?.(value);
  };
  for (;;) {
    let outcome: Outcome;
    try {
      outcome = await connect(client, runId, last, show, status);
    } catch (err) {
      // The run or the key is wrong: nothing a reconnect would fix.
      if (err instanceof ApiError && err.status < 500) throw err;
      outcome = { ended: false, why: reason(err) };
    }
    if (!outcome.ended) {
      // A run that ended while we were away: the rest of its log is read as a page, not a stream.
      const run = await client.get<Run>(`/runs/${runId}`).catch(() => null);
      if (run && isFinal(run.status)) outcome = { ended: true };
    }
    if (outcome.ended) {
      for (const line of await client.list<LogLine>(`/runs/${runId}/logs`, { after: last }, { pageSize: 10_000 })) show(line);
      transcript.flush();
      const run = await client.get<Run>(`/runs/${runId}`);
      status(run.status);
      return run;
    }
    options.onReconnecting?.(outcome.why);
    await new Promise((resolve) => setTimeout(resolve, backoff));
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }
}

/** One connection: opened with a fresh stream ticket, so the key never goes into a URL. */
async function connect(client: Client, runId: string, after: number, show: (line: LogLine) => void, status: (s: string) => void): Promise<Outcome> {
  const ticket = await client.post<z.infer<typeof StreamTicket>>(`/runs/${runId}/logs/ticket`);
  const url = new URL(ticket.stream_url, client.settings.url);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('after', String(after));
  return new Promise<Outcome>((resolve) => {
    const socket = new WebSocket(url);
    let heard = Date.now();
    const timer = setInterval(() => {
      if (Date.now() - heard > SILENCE_MS) finish({ ended: false, why: 'no word from the server' });
      else if (socket.readyState === WebSocket.OPEN) socket.send('ping');
    }, PING_MS);
    const finish = (outcome: Outcome) => {
      clearInterval(timer);
      resolve(outcome);
      // Once the run has ended there is nothing to wait for, not even the closing handshake.
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.close();
    };
    socket.onmessage = (event) => {
      heard = Date.now();
      const message = JSON.parse(String(event.data)) as StreamMessage;
      if (message.type === 'log') message.lines.forEach(show);
      else if (message.type === 'status') status(message.status);
      else if (message.type === 'end') finish({ ended: true });
    };
    socket.onclose = (event) => finish({ ended: false, why: event.reason || `connection closed (${event.code})` });
    socket.onerror = () => {
      // onclose follows with the reason.
    };
  });
}

/** The exit code that says how a run ended. */
export function exitCodeFor(status: string): number {
  switch (status) {
    case 'completed':
      return EXIT.ok;
    case 'timeout':
      return EXIT.timeout;
    case 'cancelled':
      return EXIT.cancelled;
    default:
      return EXIT.failed;
  }
}

/** `✓ completed in 12.3s · 300 tokens (240 in, 60 out) · $0.0042`, or why the run did not complete. */
export function closingLine(run: Run, paint: Paint): string {
  const started = run.started_at ?? run.created_at;
  const took = run.completed_at ? ` in ${duration(Date.parse(run.completed_at) - Date.parse(started))}` : '';
  const parts: string[] = [];
  if (run.total_tokens !== null) {
    const split = run.input_tokens !== null && run.output_tokens !== null ? ` (${run.input_tokens} in, ${run.output_tokens} out)` : '';
    parts.push(`${run.total_tokens} tokens${split}`);
  }
  if (run.cost_usd !== null) parts.push(`$${run.cost_usd.toFixed(4)}`);
  const why = run.status === 'completed' ? '' : [run.failure_reason, run.status === 'failed' ? run.result : null].filter(Boolean).join(': ');
  const head =
    run.status === 'completed'
      ? paint.green(`✓ completed${took}`)
      : run.status === 'cancelled'
        ? paint.yellow(`⊘ cancelled${took}`)
        : paint.red(`✗ ${run.status === 'timeout' ? 'timed out' : run.status}${took}`);
  return [head + (why ? paint.red(` — ${why}`) : ''), ...parts].join(' · ');
}
