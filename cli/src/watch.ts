// Watching a run in the terminal: its transcript on stdout, progress on stderr, a closing line, and
// Ctrl-C to detach (or to cancel the run, with --cancel-on-interrupt; a second Ctrl-C detaches).
import type { Run } from '../../control/src/contract/runs.ts';
import type { Client } from './client.ts';
import { EXIT } from './errors.ts';
import { closingLine, exitCodeFor, followRun } from './follow.ts';
import { err, note, out } from './output.ts';
import { Transcript } from './transcript.ts';

export interface WatchOptions {
  raw?: boolean;
  cancelOnInterrupt?: boolean;
  /** Show lines after this sequence only. */
  after?: number;
}

/** Follows the run to its end and returns the exit code that says how it ended. */
export async function watchRun(client: Client, runId: string, options: WatchOptions = {}): Promise<number> {
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts++;
    if (options.cancelOnInterrupt && interrupts === 1) {
      note(`cancelling run ${runId}… (Ctrl-C again to detach)`);
      client.post(`/runs/${runId}/cancel`).catch((e: Error) => process.stderr.write(`${err.red(`error: ${e.message}`)}\n`));
      return;
    }
    note(`detached; run ${runId} goes on. Re-attach with: flightctl logs -f ${runId}`);
    process.exit(EXIT.detached);
  };
  process.on('SIGINT', onInterrupt);
  try {
    const transcript = new Transcript(out, (text) => process.stdout.write(text), { raw: options.raw ?? false });
    const run: Run = await followRun(client, runId, transcript, {
      after: options.after ?? 0,
      onStatus: (status) => note(status === 'queued' ? '… queued, waiting for a worker' : `● ${status}`),
      onReconnecting: (why) => note(`connection lost (${why}); reconnecting…`),
    });
    process.stdout.write(`${closingLine(run, out)}\n`);
    return exitCodeFor(run.status);
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}
