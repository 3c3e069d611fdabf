// The run hub Durable Object, one per run: stores the run's log in order, in its own SQLite storage,
// and fans every new line and status change out to its viewers — WebSockets through the hibernation
// API (an idle viewer costs nothing) and, for curl and the original's clients, Server-Sent Events.
// Lines carry the worker's per-attempt sequence numbers, so a retried batch is stored once.
import { DurableObject } from 'cloudflare:workers';
import { isFinal } from '../contract/statuses.ts';
import type { Env } from '../env.ts';
import { RECHECK_MS, sseEvent, Viewers, type ViewerIdentity } from './viewers.ts';

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

/** What a log batch presents: the lease token, or (a run fenced by identity) the caller's API key. */
export type LeaseProof = { token: string } | { keyId: string };

/** A lease the control plane has just checked in D1, for the hub to accept batches under while it lasts. */
export interface CheckedLease {
  runId: string;
  workspaceId: string;
  token: string;
  attempt: number;
  /** Set for a run fenced by identity: the API key its holder calls with. */
  keyId: string | null;
  /** How long the hub may trust the check without asking D1 again. */
  validForMs: number;
}

export interface StatusUpdate {
  runId: string;
  workspaceId: string;
  status: string;
  /** The run's `updated_at` in D1 for this change: later changes win, whatever order they arrive in. */
  at: string;
  /** A line for the log, written with the change (requeue and backstop notes). */
  note?: string;
}

interface CachedLease {
  token: string;
  attempt: number;
  keyId: string | null;
  workspaceId: string;
  validUntil: number;
}

/** Answered instead of storing: `unchecked` asks the caller to check the lease in D1, `revoked` is final. */
export type LeaseRefusal = 'unchecked' | 'revoked';

const DEFAULT_RETENTION_DAYS = 30;
const REPLAY_PAGE = 1_000;
const encoder = new TextEncoder();

export class RunHub extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly viewers: Viewers;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.viewers = new Viewers(ctx, env);
    this.createTables();
  }

  /**
   * Appends a batch under the lease the hub already trusts, so steady streaming costs no D1 read.
   * `unchecked` when it has no such lease (the caller checks D1 and calls `append`); `revoked` when
   * the control plane has taken that lease back.
   */
  appendLeased(proof: LeaseProof, workspaceId: string, lines: IncomingLine[]): AppendResult | LeaseRefusal {
    if ('token' in proof && this.isRevoked(proof.token)) return 'revoked';
    const lease = this.cachedLease();
    if (!lease || lease.workspaceId !== workspaceId || lease.validUntil <= Date.now()) return 'unchecked';
    const matches = 'token' in proof ? lease.token === proof.token : lease.keyId !== null && lease.keyId === proof.keyId;
    return matches ? this.store(lease.attempt, lines) : 'unchecked';
  }

  /**
   * Appends a batch whose lease the control plane has just checked in D1, and trusts that lease for
   * later batches for a while. A lease revoked meanwhile (the control plane is taking it back) wins.
   */
  append(lease: CheckedLease, lines: IncomingLine[]): AppendResult | 'revoked' {
    if (this.isRevoked(lease.token)) return 'revoked';
    this.remember(lease.runId, lease.workspaceId);
    const cached: CachedLease = { token: lease.token, attempt: lease.attempt, keyId: lease.keyId, workspaceId: lease.workspaceId, validUntil: Date.now() + lease.validForMs };
    this.setState('lease', JSON.stringify(cached));
    return this.store(lease.attempt, lines);
  }

  /**
   * Stops accepting batches under `token`, before the control plane takes that lease back in D1, so
   * no batch lands after D1 has given the run to someone else (or ended it).
   */
  revokeLease(token: string): void {
    this.sql.exec('INSERT OR IGNORE INTO revoked_leases (token) VALUES (?)', token);
    if (this.cachedLease()?.token === token) this.sql.exec("DELETE FROM state WHERE key = 'lease'");
  }

  /** Undoes `revokeLease` when D1 did not take the lease after all (it was renewed in between). */
  restoreLease(token: string): void {
    this.sql.exec('DELETE FROM revoked_leases WHERE token = ?', token);
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

  /**
   * Records and announces a status D1 accepted. Changes are ordered by their time in D1, so a late or
   * repeated announcement never moves the run back; a final status starts the retention clock.
   */
  async status(update: StatusUpdate): Promise<void> {
    this.remember(update.runId, update.workspaceId);
    const current = this.getState('status_at');
    if (current !== null && update.at <= current && (update.at < current || this.currentStatus() === update.status)) return;
    if (update.note) this.note(update.note);
    await this.applyStatus(update.status, update.at);
  }

  private async applyStatus(status: string, at: string): Promise<void> {
    this.setState('status', status);
    this.setState('status_at', at);
    if (status !== 'running') this.sql.exec("DELETE FROM state WHERE key = 'lease'");
    this.viewers.send({ type: 'status', status }, sseEvent('status', { status }));
    if (isFinal(status)) {
      // Nothing more will come: every stream is told so and closed.
      this.viewers.endAll(this.endMessage(status), 'run ended');
      const days = Number(this.env.ORCH_LOG_RETENTION_DAYS ?? DEFAULT_RETENTION_DAYS);
      const ms = (Number.isFinite(days) && days > 0 ? days : DEFAULT_RETENTION_DAYS) * 86_400_000;
      this.setState('retain_until', String(Date.now() + ms));
    }
    await this.scheduleAlarm();
  }

  /**
   * Reads the run's status from D1 and catches up with it: how viewers learn a claim (which is not
   * announced) and the backstop for an announcement that never arrived. Run when a viewer connects
   * and, while viewers watch an unfinished run, every RECHECK_MS.
   */
  private async reconcile(): Promise<void> {
    const runId = this.getState('run_id');
    if (!runId || isFinal(this.currentStatus())) return;
    const row = await this.env.DB.prepare('SELECT status, updated_at FROM job_runs WHERE id = ?1').bind(runId).first<{ status: string; updated_at: string }>();
    const current = this.getState('status_at');
    if (row && (current === null || row.updated_at > current)) await this.applyStatus(row.status, row.updated_at);
  }

  /**
   * The next thing the alarm must do: delete the log once retention ends or, while viewers watch,
   * re-check their keys and the run's status every few seconds.
   */
  private async scheduleAlarm(): Promise<void> {
    const retainUntil = Number(this.getState('retain_until') ?? NaN);
    const next = Math.min(Number.isFinite(retainUntil) ? retainUntil : Infinity, this.viewers.count > 0 ? Date.now() + RECHECK_MS : Infinity);
    if (next === Infinity) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
  }

  async alarm(): Promise<void> {
    const retainUntil = Number(this.getState('retain_until') ?? NaN);
    if (Number.isFinite(retainUntil) && retainUntil <= Date.now()) {
      // Retention: the run's log is gone for good, and anyone still watching is told so.
      this.viewers.endAll({ type: 'end', status: this.currentStatus(), last_sequence: 0, detail: 'the log has expired' }, 'log expired');
      await this.ctx.storage.deleteAll();
      this.createTables();
      return;
    }
    if (this.viewers.count > 0) {
      await this.viewers.recheck();
      await this.reconcile();
    }
    await this.scheduleAlarm();
  }

  /**
   * `/stream?after=N`: a WebSocket when the request asks to upgrade, Server-Sent Events otherwise. The
   * route names the viewer (`X-Viewer`: the key it acts as and its stream slot).
   */
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === '/text') return this.openText();
    const runId = url.searchParams.get('run');
    const workspaceId = url.searchParams.get('workspace');
    if (runId && workspaceId) this.remember(runId, workspaceId);
    const identity = JSON.parse(request.headers.get('X-Viewer') ?? 'null') as ViewerIdentity | null;
    if (!identity) return new Response('a stream needs its viewer', { status: 400 });
    // `after` wins; an EventSource reconnecting sends the last id it saw as Last-Event-ID instead.
    const after = Math.max(0, Number(url.searchParams.get('after') || request.headers.get('Last-Event-ID') || 0) || 0);
    const response = request.headers.get('Upgrade')?.toLowerCase() === 'websocket' ? this.openWebSocket(identity, after, request.headers.get('Sec-WebSocket-Protocol')) : this.openSse(identity, after);
    // A status announcement that went missing shows up for this viewer now rather than never.
    this.ctx.waitUntil(this.reconcile().then(() => this.scheduleAlarm()));
    return response;
  }

  webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    if (message === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
  }

  webSocketClose(ws: WebSocket, code: number): void {
    this.viewers.closed(ws, code);
  }

  // Replay and subscription happen in one synchronous stretch, so no line can fall between them. A
  // run that has ended gets its end message and the stream closes.
  private openWebSocket(identity: ViewerIdentity, after: number, protocols: string | null): Response {
    const status = this.currentStatus();
    const response = this.viewers.openWebSocket(identity, protocols, (send) => {
      for (const page of this.pages(after)) send({ type: 'log', lines: page.map(viewLine) });
      if (status) send({ type: 'status', status });
    });
    if (isFinal(status)) this.viewers.endAll(this.endMessage(status), 'run ended');
    return response;
  }

  private openSse(identity: ViewerIdentity, after: number): Response {
    const status = this.currentStatus();
    // An EventSource reconnects to a closed stream; 204 is how it learns the run has ended for good.
    if (isFinal(status) && after >= this.lastSequence()) return new Response(null, { status: 204 });
    const { response, viewer } = this.viewers.openSse(identity, (write) => {
      for (const page of this.pages(after)) write(page.map(sseLine).join(''));
      if (status) write(sseEvent('status', { status }));
    });
    if (isFinal(status)) this.viewers.endSse(viewer, this.endMessage(status));
    return response;
  }

  /** The stored log after `after`, a page at a time. */
  private *pages(after: number): Generator<StoredLine[]> {
    for (let page = this.read(after, REPLAY_PAGE); page.length > 0; page = this.read(page[page.length - 1]!.sequence, REPLAY_PAGE)) yield page;
  }

  /** The whole stored log as text, one `[stream] line` per line (the original's run-output.log form). */
  private openText(): Response {
    let after = 0;
    const body = new ReadableStream<Uint8Array>({
      pull: (controller) => {
        const page = this.read(after, REPLAY_PAGE);
        if (page.length === 0) return controller.close();
        after = page[page.length - 1]!.sequence;
        controller.enqueue(encoder.encode(page.map((l) => `[${l.stream}] ${oneLine(l.line)}\n`).join('')));
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
    this.viewers.send({ type: 'log', lines: lines.map(viewLine) }, lines.map(sseLine).join(''));
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
    this.sql.exec('CREATE TABLE IF NOT EXISTS revoked_leases (token TEXT PRIMARY KEY)');
    // Hubs created before lines carried the agent's event kind and its fields gain the columns in place.
    const columns = new Set(this.sql.exec<{ name: string }>('PRAGMA table_info(lines)').toArray().map((c) => c.name));
    for (const column of ['event', 'data']) if (!columns.has(column)) this.sql.exec(`ALTER TABLE lines ADD COLUMN ${column} TEXT`);
  }

  private currentStatus(): string | null {
    return this.getState('status');
  }

  /** Which run this hub keeps, so it can read the run's status from D1 itself. */
  private remember(runId: string, workspaceId: string): void {
    if (this.getState('run_id') !== runId) this.setState('run_id', runId);
    if (this.getState('workspace_id') !== workspaceId) this.setState('workspace_id', workspaceId);
  }

  private cachedLease(): CachedLease | null {
    const text = this.getState('lease');
    return text ? (JSON.parse(text) as CachedLease) : null;
  }

  private isRevoked(token: string): boolean {
    return this.sql.exec('SELECT 1 FROM revoked_leases WHERE token = ?', token).toArray().length > 0;
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

/**
 * A stored line as one line of text: a line break inside it is shown as a symbol (␍ ␊ ␤), so nobody can
 * make the downloaded log seem to hold lines that were never written.
 */
export function oneLine(line: string): string {
  return line.replace(/[\r\n\u0085\u2028\u2029]/g, (ch) => (ch === '\r' ? '\u240d' : ch === '\n' ? '\u240a' : '\u2424'));
}

/** The original's SSE event: `log` with `{stream, line, sequence}`; the id lets EventSource resume. */
function sseLine(l: StoredLine): string {
  return sseEvent('log', { stream: l.stream, line: l.line, sequence: l.sequence }, l.sequence);
}
