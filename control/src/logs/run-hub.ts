// The run hub Durable Object, one per run: stores the run's log in order, in its own SQLite storage,
// and fans every new line and status change out to its viewers — WebSockets through the hibernation
// API (an idle viewer costs nothing) and, for curl and the original's clients, Server-Sent Events.
// Lines carry the worker's per-attempt sequence numbers, so a retried batch is stored once.
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.ts';

export type LogStream = 'stdout' | 'stderr' | 'event' | 'system';

export interface IncomingLine {
  stream: LogStream;
  line: string;
  sequence: number;
  /** The agent's structured event this line shows (`message`, `tool_request`, …), if any. */
  event?: string | undefined;
  /** That event's fields (a tool call's id, name and arguments; token usage; …), as JSON text. */
  data?: string | undefined;
}

/** A stored line; `sequence` is the hub's own, gap-free across attempts and control-plane notes. */
export interface StoredLine {
  sequence: number;
  attempt: number;
  stream: LogStream;
  line: string;
  at: string;
  event: string | null;
  /** JSON text; `viewLine` parses it for viewers. */
  data: string | null;
}

/** A stored line as viewers receive it, its event's fields parsed. */
export type ViewedLine = Omit<StoredLine, 'data'> & { data: Record<string, unknown> | null };

export function viewLine(line: StoredLine): ViewedLine {
  return { ...line, data: line.data === null ? null : (JSON.parse(line.data) as Record<string, unknown>) };
}

export interface AppendResult {
  appended: number;
  lastSequence: number;
}

/** Statuses after which nothing more is written; the log is then kept for the retention period. */
const FINAL = new Set(['completed', 'failed', 'timeout', 'cancelled']);
const DEFAULT_RETENTION_DAYS = 30;
const SSE_PING_MS = 30_000;
const REPLAY_PAGE = 1_000;
const encoder = new TextEncoder();

interface SseViewer {
  writer: WritableStreamDefaultWriter<Uint8Array>;
  ping: ReturnType<typeof setInterval>;
}

export class RunHub extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** Open SSE responses; they live only as long as this instance, unlike hibernatable WebSockets. */
  private readonly sse = new Set<SseViewer>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.createTables();
  }

  /**
   * Appends a worker's batch; lines already stored for this attempt are skipped, so retries are
   * harmless. A jump in the worker's numbering (lines it had to drop) is recorded as a note.
   */
  append(attempt: number, lines: IncomingLine[], leaseToken?: string): AppendResult {
    // Remembering the lease the control plane just checked in D1 lets the next batches skip that check.
    if (leaseToken) this.setState('lease', JSON.stringify({ token: leaseToken, attempt }));
    return this.store(attempt, lines);
  }

  /**
   * Appends when `leaseToken` is the lease this hub last saw checked, or answers null so the caller
   * checks it in D1. Any status change other than `running` forgets the lease, so a requeued or
   * finished run's old worker falls back to the D1 check and is fenced there.
   */
  appendIfLeased(leaseToken: string, lines: IncomingLine[]): AppendResult | null {
    const lease = this.getState('lease');
    if (!lease) return null;
    const { token, attempt } = JSON.parse(lease) as { token: string; attempt: number };
    return token === leaseToken ? this.store(attempt, lines) : null;
  }

  private store(attempt: number, lines: IncomingLine[]): AppendResult {
    const at = new Date().toISOString();
    const stored: StoredLine[] = [];
    let appended = 0;
    const sorted = [...lines].sort((a, b) => a.sequence - b.sequence);
    this.ctx.storage.transactionSync(() => {
      let highest = this.sql
        .exec<{ high: number | null }>('SELECT MAX(worker_sequence) AS high FROM lines WHERE attempt = ?', attempt)
        .one().high ?? 0;
      // Lines stored before (a retried batch) are left out up front: a row the insert skipped would
      // still use up a sequence number, and the log's numbering must stay gap-free.
      const seen = new Set(
        this.sql
          .exec<{ worker_sequence: number }>('SELECT worker_sequence FROM lines WHERE attempt = ? AND worker_sequence BETWEEN ? AND ?', attempt, sorted[0]?.sequence ?? 0, sorted.at(-1)?.sequence ?? 0)
          .toArray()
          .map((r) => r.worker_sequence),
      );
      let run: IncomingLine[] = [];
      const flush = () => {
        if (run.length === 0) return;
        const added = this.insertRun(attempt, run, at);
        appended += added.length;
        stored.push(...added);
        run = [];
      };
      for (const l of sorted) {
        if (seen.has(l.sequence)) continue;
        seen.add(l.sequence);
        if (l.sequence > highest + 1) {
          flush();
          stored.push(this.insert(attempt, null, 'system', `[flight-control] gap: lines ${highest + 1}-${l.sequence - 1} of attempt ${attempt} never arrived`, at));
        }
        run.push(l);
        highest = Math.max(highest, l.sequence);
      }
      flush();
    });
    this.broadcast(stored);
    return { appended, lastSequence: this.lastSequence() };
  }

  /** Stores consecutive worker lines in one statement; those already stored are skipped. */
  private insertRun(attempt: number, lines: IncomingLine[], at: string): StoredLine[] {
    const rows = this.sql
      .exec<{ sequence: number; worker_sequence: number }>(
        `INSERT OR IGNORE INTO lines (attempt, worker_sequence, stream, line, at, event, data)
         SELECT ?1, value ->> '$.sequence', value ->> '$.stream', value ->> '$.line', ?2, value ->> '$.event', value ->> '$.data'
           FROM json_each(?3) ORDER BY key
         RETURNING sequence, worker_sequence`,
        attempt,
        at,
        JSON.stringify(lines),
      )
      .toArray();
    const bySequence = new Map(lines.map((l) => [l.sequence, l]));
    return rows
      .sort((a, b) => a.sequence - b.sequence)
      .map((r) => {
        const l = bySequence.get(r.worker_sequence)!;
        return { sequence: r.sequence, attempt, stream: l.stream, line: l.line, at, event: l.event ?? null, data: l.data ?? null };
      });
  }

  /** A line from the control plane itself (requeue markers, backstop notes). */
  note(text: string): void {
    this.broadcast([this.insert(0, null, 'system', `[flight-control] ${text}`, new Date().toISOString())]);
  }

  /** Records and announces the run's status; a final one starts the retention clock. */
  async status(status: string): Promise<void> {
    this.setState('status', status);
    if (status !== 'running') this.sql.exec("DELETE FROM state WHERE key = 'lease'");
    this.send({ type: 'status', status }, `event: status\ndata: ${JSON.stringify({ status })}\n\n`);
    if (FINAL.has(status)) {
      this.send(this.endMessage(status), '');
      const days = Number(this.env.ORCH_LOG_RETENTION_DAYS ?? DEFAULT_RETENTION_DAYS);
      const ms = (Number.isFinite(days) && days > 0 ? days : DEFAULT_RETENTION_DAYS) * 86_400_000;
      await this.ctx.storage.setAlarm(Date.now() + ms);
    }
  }

  /** Retention: the run's log is gone for good, and anyone still watching is told so. */
  async alarm(): Promise<void> {
    for (const ws of this.ctx.getWebSockets()) ws.close(1000, 'log expired');
    for (const viewer of this.sse) this.dropSse(viewer);
    await this.ctx.storage.deleteAll();
    this.createTables();
  }

  /** `/stream?after=N`: a WebSocket when the request asks to upgrade, Server-Sent Events otherwise. */
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === '/text') return this.openText();
    const after = Math.max(0, Number(url.searchParams.get('after') ?? request.headers.get('Last-Event-ID') ?? 0) || 0);
    if (request.headers.get('Upgrade')?.toLowerCase() === 'websocket') return this.openWebSocket(after, request.headers.get('Sec-WebSocket-Protocol'));
    return this.openSse(after);
  }

  webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    if (message === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
  }

  webSocketClose(ws: WebSocket, code: number): void {
    // 1005/1006 carry no code a peer may echo back.
    ws.close(code === 1005 || code === 1006 ? 1000 : code, 'closed');
  }

  // Replay and subscription happen in one synchronous stretch, so no line can fall between them.
  private openWebSocket(after: number, protocols: string | null): Response {
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    for (let page = this.read(after, REPLAY_PAGE); page.length > 0; page = this.read(page[page.length - 1]!.sequence, REPLAY_PAGE)) {
      server.send(JSON.stringify({ type: 'log', lines: page.map(viewLine) }));
    }
    const status = this.currentStatus();
    if (status) server.send(JSON.stringify({ type: 'status', status }));
    if (status && FINAL.has(status)) server.send(JSON.stringify(this.endMessage(status)));
    const headers = new Headers();
    // A browser that authenticated through a subprotocol expects one echoed back.
    const offered = protocols?.split(',').map((p) => p.trim()).find((p) => p === 'flight-control');
    if (offered) headers.set('Sec-WebSocket-Protocol', offered);
    return new Response(null, { status: 101, webSocket: client, headers });
  }

  private openSse(after: number): Response {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    const viewer: SseViewer = { writer, ping: setInterval(() => this.write(viewer, 'event: ping\ndata: \n\n'), SSE_PING_MS) };
    for (let page = this.read(after, REPLAY_PAGE); page.length > 0; page = this.read(page[page.length - 1]!.sequence, REPLAY_PAGE)) {
      this.write(viewer, page.map(sseLine).join(''));
    }
    const status = this.currentStatus();
    if (status) this.write(viewer, `event: status\ndata: ${JSON.stringify({ status })}\n\n`);
    this.sse.add(viewer);
    return new Response(readable, {
      headers: { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' },
    });
  }

  /** The whole stored log as text, one `[stream] line` per line (the original's run-output.log form). */
  private openText(): Response {
    let after = 0;
    const body = new ReadableStream<Uint8Array>({
      pull: (controller) => {
        const page = this.read(after, REPLAY_PAGE);
        if (page.length === 0) return controller.close();
        after = page[page.length - 1]!.sequence;
        controller.enqueue(encoder.encode(page.map((l) => `[${l.stream}] ${l.line}\n`).join('')));
      },
    });
    return new Response(body, { headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
  }

  /** Sent once a run has ended: its final status and how long its log is. */
  private endMessage(status: string): { type: 'end'; status: string; last_sequence: number } {
    return { type: 'end', status, last_sequence: this.lastSequence() };
  }

  private broadcast(lines: StoredLine[]): void {
    if (lines.length === 0) return;
    this.send({ type: 'log', lines: lines.map(viewLine) }, lines.map(sseLine).join(''));
  }

  private send(message: object, sseText: string): void {
    const json = JSON.stringify(message);
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(json);
      } catch {
        // A socket that is closing; its close handler tidies up.
      }
    }
    if (sseText) for (const viewer of this.sse) this.write(viewer, sseText);
  }

  private write(viewer: SseViewer, text: string): void {
    viewer.writer.write(encoder.encode(text)).catch(() => this.dropSse(viewer));
  }

  private dropSse(viewer: SseViewer): void {
    clearInterval(viewer.ping);
    this.sse.delete(viewer);
    viewer.writer.close().catch(() => undefined);
  }

  // attempt 0 holds the control plane's own notes, which have no worker sequence.
  private createTables(): void {
    this.sql.exec(`CREATE TABLE IF NOT EXISTS lines (
      sequence INTEGER PRIMARY KEY AUTOINCREMENT,
      attempt INTEGER NOT NULL,
      worker_sequence INTEGER,
      stream TEXT NOT NULL,
      line TEXT NOT NULL,
      at TEXT NOT NULL
    )`);
    this.sql.exec('CREATE UNIQUE INDEX IF NOT EXISTS lines_by_worker_sequence ON lines (attempt, worker_sequence) WHERE worker_sequence IS NOT NULL');
    this.sql.exec('CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    // Hubs created before lines carried the agent's event kind and its fields gain the columns in place.
    const columns = new Set(this.sql.exec<{ name: string }>('PRAGMA table_info(lines)').toArray().map((c) => c.name));
    for (const column of ['event', 'data']) if (!columns.has(column)) this.sql.exec(`ALTER TABLE lines ADD COLUMN ${column} TEXT`);
  }

  private currentStatus(): string | null {
    return this.getState('status');
  }

  private getState(key: string): string | null {
    return this.sql.exec<{ value: string }>('SELECT value FROM state WHERE key = ?', key).toArray()[0]?.value ?? null;
  }

  private setState(key: string, value: string): void {
    this.sql.exec('INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', key, value);
  }

  private insert(attempt: number, workerSequence: number | null, stream: LogStream, line: string, at: string): StoredLine {
    const { sequence } = this.sql
      .exec<{ sequence: number }>('INSERT INTO lines (attempt, worker_sequence, stream, line, at) VALUES (?, ?, ?, ?, ?) RETURNING sequence', attempt, workerSequence, stream, line, at)
      .one();
    return { sequence, attempt, stream, line, at, event: null, data: null };
  }

  read(after: number, limit: number): StoredLine[] {
    return this.sql
      .exec<{ sequence: number; attempt: number; stream: string; line: string; at: string; event: string | null; data: string | null }>(
        'SELECT sequence, attempt, stream, line, at, event, data FROM lines WHERE sequence > ? ORDER BY sequence LIMIT ?',
        after,
        limit,
      )
      .toArray()
      .map((r) => ({ ...r, stream: r.stream as LogStream }));
  }

  private lastSequence(): number {
    return this.sql.exec<{ last: number | null }>('SELECT MAX(sequence) AS last FROM lines').one().last ?? 0;
  }
}

/** The original's SSE event: `log` with `{stream, line, sequence}`; the id lets EventSource resume. */
function sseLine(l: StoredLine): string {
  return `id: ${l.sequence}\nevent: log\ndata: ${JSON.stringify({ stream: l.stream, line: l.line, sequence: l.sequence })}\n\n`;
}
