// Follows a run's log live: a WebSocket opened with a stream ticket (the API key never goes into a
// URL), Server-Sent Events when WebSockets fail, reconnecting with `after` = the newest line held.
// Lines pass through a sequencer, so a replay after a reconnect adds no duplicate and a hole is
// filled from the stored log before anything after it is shown.
import { api, ApiError } from '../api/client.ts';
import type { LogView } from '../api/types.ts';
import { LogSequencer } from './log-sequence.ts';

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'ended' | 'failed';

export interface FollowOptions {
  runId: string;
  /** The newest sequence already held (0 for none). */
  after: number;
  onLines: (lines: LogView[]) => void;
  onState: (state: StreamState, detail?: string) => void;
  /** The run has already ended: its stored log is read once, and no stream is opened. */
  final?: boolean;
  /** The run's status as the stream announces it. */
  onStatus?: (status: string) => void;
}

interface StreamTicket {
  ticket: string;
  expires_at: string;
  stream_url: string;
}

type StreamMessage =
  | { type: 'log'; lines: LogView[] }
  | { type: 'status'; status: string }
  | { type: 'end'; status: string; last_sequence: number }
  | { type: 'error'; code: string; detail: string }
  | { type: 'pong' };

const PAGE = 5_000;
/** The largest page the log API serves. */
const MAX_PAGE = 10_000;
const FINAL = new Set(['completed', 'failed', 'timeout', 'cancelled']);
const MAX_RETRY_MS = 10_000;
const PING_MS = 25_000;

/** One page of a run's stored log: the lines after `after`, at most `limit` of them. */
function readLogPage(runId: string, after: number, limit: number): Promise<LogView[]> {
  return api<LogView[]>(`/runs/${encodeURIComponent(runId)}/logs`, { query: { after, limit } });
}

/** The stored lines after `after`, at most `limit` of them, read page by page (for lines the viewer let go). */
export async function readRunLog(runId: string, after: number, limit: number): Promise<LogView[]> {
  const lines: LogView[] = [];
  while (lines.length < limit) {
    const want = Math.min(MAX_PAGE, limit - lines.length);
    const page = await readLogPage(runId, after, want);
    for (const line of page) lines.push(line);
    const last = page[page.length - 1];
    if (!last || page.length < want) break;
    after = last.sequence;
  }
  return lines;
}

/** Starts following; returns the function that stops. */
export function followRunLog(options: FollowOptions): () => void {
  const follower = new RunLogFollower(options);
  void follower.connect();
  return () => follower.stop();
}

class RunLogFollower {
  private readonly options: FollowOptions;
  private readonly sequencer: LogSequencer;
  private ticket: { path: string; expiresAt: number } | null = null;
  private socket: WebSocket | null = null;
  private events: EventSource | null = null;
  private useSse = typeof WebSocket === 'undefined';
  private failedOpens = 0;
  private retryMs = 1_000;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private ping: ReturnType<typeof setInterval> | undefined;
  private stopped = false;
  private ended = false;
  private catchingUp: Promise<void> | null = null;
  private catchUpAgain = false;

  constructor(options: FollowOptions) {
    this.options = options;
    this.sequencer = new LogSequencer(options.after, options.onLines);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.close();
  }

  async connect(): Promise<void> {
    if (this.stopped || this.ended) return;
    if (this.options.final) {
      this.options.onState('connecting');
      await this.catchUp();
      this.ended = true;
      if (!this.stopped) this.options.onState('ended');
      return;
    }
    this.options.onState(this.failedOpens === 0 && this.sequencer.last === this.options.after ? 'connecting' : 'reconnecting');
    let path: string;
    try {
      path = await this.streamPath();
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 403)) return this.fail(err.message);
      return this.retry();
    }
    if (this.stopped) return;
    const url = `${path}&after=${this.sequencer.last}`;
    if (this.useSse) await this.openSse(url);
    else this.openSocket(url);
  }

  /** The stream's path with a ticket that lasts a while yet (a reconnect within its minute reuses it). */
  private async streamPath(): Promise<string> {
    if (!this.ticket || this.ticket.expiresAt - Date.now() < 10_000) {
      const t = await api<StreamTicket>(`/runs/${encodeURIComponent(this.options.runId)}/logs/ticket`, { method: 'POST' });
      this.ticket = { path: t.stream_url, expiresAt: Date.parse(t.expires_at) };
    }
    return this.ticket.path;
  }

  private openSocket(url: string): void {
    const ws = new WebSocket(`${location.origin.replace(/^http/, 'ws')}${url}`);
    this.socket = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.failedOpens = 0;
      this.retryMs = 1_000;
      this.options.onState('live');
      this.ping = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send('ping'), PING_MS);
    };
    ws.onmessage = (e) => this.receive(JSON.parse(String(e.data)) as StreamMessage);
    ws.onclose = () => {
      if (this.socket !== ws) return;
      this.socket = null;
      clearInterval(this.ping);
      if (this.stopped || this.ended) return;
      if (!opened) {
        // A refused upgrade: the ticket may have run out; twice in a row, WebSockets do not get through.
        this.ticket = null;
        if (++this.failedOpens >= 2) this.useSse = true;
      }
      this.retry();
    };
  }

  /**
   * Server-Sent Events carry each line's text but not its structured event, so here they only ring
   * the bell: the lines themselves come from the stored log, after the newest one held.
   */
  private async openSse(url: string): Promise<void> {
    // An ended run's event stream answers 204, which EventSource reports only as an error: ask first
    // (and read the log after asking, so nothing written before the end is missed).
    const run = await api<{ status: string }>(`/runs/${encodeURIComponent(this.options.runId)}`).catch(() => null);
    await this.catchUp();
    if (run && FINAL.has(run.status)) return this.receive({ type: 'end', status: run.status, last_sequence: 0 });
    if (this.stopped || this.ended) return;
    const source = new EventSource(url);
    this.events = source;
    source.addEventListener('open', () => {
      this.retryMs = 1_000;
      this.options.onState('live');
    });
    source.addEventListener('log', () => void this.catchUp());
    source.addEventListener('status', (e) => this.options.onStatus?.((JSON.parse((e as MessageEvent).data) as { status: string }).status));
    source.addEventListener('end', (e) => this.receive({ type: 'end', ...(JSON.parse((e as MessageEvent).data) as { status: string; last_sequence: number }) }));
    source.onerror = () => {
      if (this.events !== source) return;
      // EventSource would reconnect with the same (soon expired) ticket; reconnect on our terms.
      source.close();
      this.events = null;
      this.ticket = null;
      if (!this.stopped && !this.ended) this.retry();
    };
  }

  private receive(message: StreamMessage): void {
    switch (message.type) {
      case 'log':
        this.sequencer.push(message.lines);
        if (this.sequencer.hasGap) void this.catchUp();
        break;
      case 'status':
        this.options.onStatus?.(message.status);
        break;
      case 'end':
        this.ended = true;
        this.close();
        this.options.onStatus?.(message.status);
        if (this.sequencer.last < message.last_sequence) void this.catchUp().then(() => this.options.onState('ended'));
        else this.options.onState('ended');
        break;
      case 'error':
        this.fail(message.detail);
        break;
      case 'pong':
        break;
    }
  }

  /** Reads the stored log after the newest line held, page by page; one reader at a time. */
  private catchUp(): Promise<void> {
    if (this.catchingUp) {
      this.catchUpAgain = true;
      return this.catchingUp;
    }
    this.catchingUp = (async () => {
      do {
        this.catchUpAgain = false;
        for (;;) {
          const page = await readLogPage(this.options.runId, this.sequencer.last, PAGE).catch(() => null);
          if (!page || this.stopped) return;
          this.sequencer.push(page);
          if (page.length < PAGE) break;
        }
      } while (this.catchUpAgain && !this.stopped);
    })().finally(() => (this.catchingUp = null));
    return this.catchingUp;
  }

  private retry(): void {
    this.options.onState('reconnecting');
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
  }

  private fail(detail: string): void {
    this.stopped = true;
    this.close();
    this.options.onState('failed', detail);
  }

  private close(): void {
    clearInterval(this.ping);
    const ws = this.socket;
    this.socket = null;
    ws?.close();
    this.events?.close();
    this.events = null;
  }
}
