// `flightctl logs <run> [-f] [--raw]`: a run's stored log, or its live log until the run ends.
import { defineCommand } from 'citty';
import { integer } from '../args.ts';
import { out, print } from '../output.ts';
import { globalArgs, session } from '../session.ts';
import { Transcript, type LogLine } from '../transcript.ts';
import { watchRun } from '../watch.ts';

export default defineCommand({
  meta: { name: 'logs', description: 'Show a run\'s log; -f follows it live until the run ends' },
  args: {
    run: { type: 'positional', required: true, description: 'Run id' },
    follow: { type: 'boolean', alias: 'f', description: 'Follow live until the run ends; the exit code says how it ended' },
    raw: { type: 'boolean', description: 'Every line as [stream] line, as stored' },
    after: { type: 'string', description: 'Only lines after this sequence number' },
    ...globalArgs,
  },
  async run({ args }) {
    const { client, format } = session();
    const runId = encodeURIComponent(args.run);
    const after = integer(args.after, '--after') ?? 0;
    if (args.follow) {
      process.exitCode = await watchRun(client, runId, { format, raw: args.raw, after });
      return;
    }
    const lines = await client.list<LogLine>(`/runs/${runId}/logs`, { after }, { pageSize: 10_000 });
    await print(format, lines, () => {
      const text: string[] = [];
      const transcript = new Transcript(out, (t) => text.push(t), { raw: args.raw });
      lines.forEach((l) => transcript.push(l));
      transcript.flush();
      return text.join('').replace(/\n$/, '');
    });
  },
});
