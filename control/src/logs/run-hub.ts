// The run hub Durable Object, one per run: stores the run's log in order, in its own SQLite storage.
// Lines carry the worker's per-attempt sequence numbers, so a retried batch is stored once.
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.ts';

export type LogStream = 'stdout' | 'stderr' | 'event' | 'system';

export interface IncomingLine {
  stream: LogStream;
  line: string;
  sequence: number;
}

/** A stored line; `sequence` is the hub's own, gap-free across attempts and control-plane notes. */
export interface StoredLine {
  sequence: number;
  attempt: number;
  stream: LogStream;
  line: string;
  at: string;
}

export interface AppendResult {
  appended: number;
  lastSequence: number;
}

export class RunHub extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    // attempt 0 holds the control plane's own notes, which have no worker sequence.
    this.sql.exec(`CREATE TABLE IF NOT EXISTS lines (
      sequence INTEGER PRIMARY KEY AUTOINCREMENT,
      attempt INTEGER NOT NULL,
      worker_sequence INTEGER,
      stream TEXT NOT NULL,
      line TEXT NOT NULL,
      at TEXT NOT NULL
    )`);
    this.sql.exec('CREATE UNIQUE INDEX IF NOT EXISTS lines_by_worker_sequence ON lines (attempt, worker_sequence) WHERE worker_sequence IS NOT NULL');
  }

  /** Appends a worker's batch; lines already stored for this attempt are skipped, so retries are harmless. */
  append(attempt: number, lines: IncomingLine[]): AppendResult {
    const at = new Date().toISOString();
    const before = this.lastSequence();
    this.ctx.storage.transactionSync(() => {
      for (const l of lines) {
        this.sql.exec(
          'INSERT OR IGNORE INTO lines (attempt, worker_sequence, stream, line, at) VALUES (?, ?, ?, ?, ?)',
          attempt,
          l.sequence,
          l.stream,
          l.line,
          at,
        );
      }
    });
    // AUTOINCREMENT never reuses a sequence, so the growth of the maximum is the number stored.
    const lastSequence = this.lastSequence();
    return { appended: lastSequence - before, lastSequence };
  }

  /** A line from the control plane itself (requeue markers, backstop notes). */
  note(text: string): void {
    this.sql.exec("INSERT INTO lines (attempt, worker_sequence, stream, line, at) VALUES (0, NULL, 'system', ?, ?)", `[flight-control] ${text}`, new Date().toISOString());
  }

  read(after: number, limit: number): StoredLine[] {
    return this.sql
      .exec<{ sequence: number; attempt: number; stream: string; line: string; at: string }>(
        'SELECT sequence, attempt, stream, line, at FROM lines WHERE sequence > ? ORDER BY sequence LIMIT ?',
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
