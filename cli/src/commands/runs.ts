// `flightctl runs ls|get|cancel|rerun`.
import { defineCommand } from 'citty';
import type { Run } from '../../../control/src/contract/runs.ts';
import { followArgs, listArgs, listOptions } from '../args.ts';
import { findJob } from '../lookup.ts';
import { ago, note, print, statusText, table, truncate } from '../output.ts';
import { runDetails, runDuration } from '../run-view.ts';
import { globalArgs, session } from '../session.ts';
import { watchRun } from '../watch.ts';

const ls = defineCommand({
  meta: { name: 'ls', description: 'List runs, newest first', alias: 'list' },
  args: {
    status: { type: 'string', alias: 's', description: 'Only runs in this status (queued, running, completed, failed, …)' },
    job: { type: 'string', alias: 'j', description: 'Only runs of this job (name or id)' },
    ...listArgs,
    ...globalArgs,
  },
  async run({ args }) {
    const { client, format } = session();
    const jobId = args.job ? (await findJob(client, args.job)).id : undefined;
    const runs = await client.list<Run>('/runs', { status: args.status, job_id: jobId }, listOptions(args));
    await print(format, runs, () =>
      table(
        ['ID', 'STATUS', 'NAME', 'CREATED', 'DURATION'],
        runs.map((r) => [r.id, statusText(r.status), truncate(r.name, 40), ago(r.created_at), runDuration(r)]),
        'No runs.',
      ),
    );
  },
});

const get = defineCommand({
  meta: { name: 'get', description: 'Show a run' },
  args: { run: { type: 'positional', required: true, description: 'Run id' }, ...globalArgs },
  async run({ args }) {
    const { client, format } = session();
    const run = await client.get<Run>(`/runs/${encodeURIComponent(args.run)}`);
    await print(format, run, () => runDetails(run));
  },
});

const cancel = defineCommand({
  meta: { name: 'cancel', description: 'Cancel a queued or running run' },
  args: { run: { type: 'positional', required: true, description: 'Run id' }, ...globalArgs },
  async run({ args }) {
    const { client, format } = session();
    const run = await client.post<Run>(`/runs/${encodeURIComponent(args.run)}/cancel`);
    await print(format, run, () => `cancel requested for run ${run.id} (${statusText(run.status)})`);
  },
});

const rerun = defineCommand({
  meta: { name: 'rerun', description: 'Run again with the same settings' },
  args: { run: { type: 'positional', required: true, description: 'Run id' }, ...followArgs, ...globalArgs },
  async run({ args }) {
    const { client, format } = session();
    const run = await client.post<Run>(`/runs/${encodeURIComponent(args.run)}/rerun`);
    if (!args.follow) return print(format, run, () => runDetails(run));
    note(`run ${run.id} queued (re-run of ${args.run})`);
    process.exitCode = await watchRun(client, run.id, { format, raw: args.raw, cancelOnInterrupt: args['cancel-on-interrupt'] });
  },
});

export default defineCommand({
  meta: { name: 'runs', description: 'List, show, cancel and re-run runs' },
  subCommands: { ls, get, cancel, rerun },
});
