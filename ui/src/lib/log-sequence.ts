// Puts log lines back in order as they arrive from a stream, a reconnect's replay and catch-up pages:
// each sequence is handed on exactly once and never before the ones below it, so the viewer sees no
// duplicate and no gap. A hole it cannot fill itself is reported for the caller to fetch.
import type { LogView } from '../api/types.ts';

export class LogSequencer {
  private readonly pending = new Map<number, LogView>();
  private delivered: number;
  private readonly deliver: (lines: LogView[]) => void;

  /** `after`: the newest sequence already delivered (0 for none). */
  constructor(after: number, deliver: (lines: LogView[]) => void) {
    this.delivered = after;
    this.deliver = deliver;
  }

  /** The newest sequence handed on; a reconnect resumes `after` it. */
  get last(): number {
    return this.delivered;
  }

  /** Whether lines wait behind a hole (the caller should fetch the lines after `last`). */
  get hasGap(): boolean {
    return this.pending.size > 0;
  }

  /** Takes lines in any order, repeats included; hands on every run that continues the log. */
  push(lines: readonly LogView[]): void {
    for (const line of lines) if (line.sequence > this.delivered && !this.pending.has(line.sequence)) this.pending.set(line.sequence, line);
    const ready: LogView[] = [];
    for (let next = this.pending.get(this.delivered + 1); next; next = this.pending.get(this.delivered + 1)) {
      this.pending.delete(next.sequence);
      ready.push(next);
      this.delivered = next.sequence;
    }
    if (ready.length > 0) this.deliver(ready);
  }
}
