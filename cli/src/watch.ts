// Watching a run in the terminal: its transcript on stdout, progress on stderr, a closing line, and
// Ctrl-C to detach (or to cancel the run, with --cancel-on-interrupt; a second Ctrl-C detaches).
import type { Run } from '../../control/src/contract/runs.ts';
import type { Client } from './client.ts';
import { EXIT } from './errors.ts';
import { closingLine, exitCodeFor, followRun } from './follow.ts';
import { err, note, out, toYaml, type Format } from './output.ts';
import { Transcript, type LogSink } from './transcript.ts';

export interface WatchOptions {
  /** `json`: one line of JSON per log line (as the API gives it), then the ended run; `yaml`: documents. */
  format?: Format;
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
    const format = options.format ?? 'table';
    const write = (text: string) => process.stdout.write(text);
    // YAML documents are written as their lines come, in order, each once the library has made it.
    let written = Promise.resolve();
    const document = (value: unknown) => {
      if (format === 'json') write(`${JSON.stringify(value)}\n`);
      else written = written.then(async () => void write(`---\n${await toYaml(value)}`));
    };
    const sink: LogSink = format === 'table' ? new Transcript(out, write, { raw: options.raw ?? false }) : { push: document, flush: () => undefined };
    const run: Run = await followRun(client, runId, sink, {
      after: options.after ?? 0,
      onStatus: (status) => note(status === 'queued' ? '… queued, waiting for a worker' : `● ${status}`),
      onReconnecting: (why) => note(`connection lost (${why}); reconnecting…`),
    });
    if (format === 'table') write(`${closingLine(run, out)}\n`);
    else document(run);
    await written;
    return exitCodeFor(run.status);
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

