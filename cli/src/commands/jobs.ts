// `flightctl jobs ls|get|create|edit|delete|run`: saved tasks, from YAML or JSON files.
import { defineCommand } from 'citty';
import type { Job } from '../../../control/src/contract/jobs.ts';
import type { Run } from '../../../control/src/contract/runs.ts';
import { followArgs, listArgs, listOptions, readDataFile } from '../args.ts';
import { usageError } from '../errors.ts';
import { findJob } from '../lookup.ts';
import { ago, details, note, print, table, truncate } from '../output.ts';
import { globalArgs, session } from '../session.ts';
import { watchRun } from '../watch.ts';
import { runDetails } from '../run-view.ts';

const jobArg = { job: { type: 'positional', required: true, description: 'Job name or id' } } as const;
const fileArg = { file: { type: 'string', alias: 'f', description: 'YAML or JSON file with the job\'s fields', required: true } } as const;

async function readJobFile(path: string): Promise<Record<string, unknown>> {
  const body = await readDataFile(path);
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw usageError(`${path} should hold one job: name, task_prompt, …`);
  return body as Record<string, unknown>;
}

const ls = defineCommand({
  meta: { name: 'ls', description: 'List jobs, newest first', alias: 'list' },
  args: { ...listArgs, ...globalArgs },
  async run({ args }) {
    const { client, format } = session();
    const jobs = await client.list<Job>('/jobs', {}, listOptions(args));
    await print(format, jobs, () =>
      table(
        ['ID', 'NAME', 'MODEL', 'TIMEOUT', 'UPDATED'],
        jobs.map((j) => [j.id, truncate(j.name, 40), String(j.agent_config['model'] ?? '-'), `${j.timeout_seconds}s`, ago(j.updated_at)]),
        'No jobs.',
      ),
    );
  },
});

const get = defineCommand({
  meta: { name: 'get', description: 'Show a job' },
  args: { ...jobArg, ...globalArgs },
  async run({ args }) {
    const { client, format } = session();
    const job = await findJob(client, args.job);
    await print(format, job, () => jobDetails(job));
  },
});

const create = defineCommand({
  meta: { name: 'create', description: 'Create a job from a YAML or JSON file' },
  args: { ...fileArg, ...globalArgs },
  async run({ args }) {
    const { client, format } = session();
    const job = await client.post<Job>('/jobs', await readJobFile(args.file));
    await print(format, job, () => `created job ${job.name} (${job.id})`);
  },
});

const edit = defineCommand({
  meta: { name: 'edit', description: 'Change a job: only the fields in the file change' },
  args: { ...jobArg, ...fileArg, ...globalArgs },
  async run({ args }) {
    const { client, format } = session();
    const { id } = await findJob(client, args.job);
    const job = await client.put<Job>(`/jobs/${id}`, await readJobFile(args.file));
    await print(format, job, () => `updated job ${job.name} (${job.id})`);
  },
});

const remove = defineCommand({
  meta: { name: 'delete', description: 'Delete a job (its runs stay)', alias: 'rm' },
  args: { ...jobArg, ...globalArgs },
  async run({ args }) {
    const { client } = session();
    const job = await findJob(client, args.job);
    await client.delete(`/jobs/${job.id}`);
    note(`deleted job ${job.name} (${job.id})`);
  },
});

const run = defineCommand({
  meta: { name: 'run', description: 'Queue a run of the job as saved' },
  args: { ...jobArg, ...followArgs, ...globalArgs },
  async run({ args }) {
    const { client, format } = session();
    const job = await findJob(client, args.job);
    const queued = await client.post<Run>(`/jobs/${job.id}/run`);
    if (!args.follow) return print(format, queued, () => runDetails(queued));
    note(`run ${queued.id} queued (${job.name})`);
    process.exitCode = await watchRun(client, queued.id, { format, raw: args.raw, cancelOnInterrupt: args['cancel-on-interrupt'] });
  },
});

export default defineCommand({
  meta: { name: 'jobs', description: 'Manage saved jobs' },
  subCommands: { ls, get, create, edit, delete: remove, run },
});

function jobDetails(job: Job): string {
  const map = (m: Record<string, string>) => Object.entries(m).map(([k, v]) => `${k}=${v}`).join(' ') || null;
  return details([
    ['id', job.id],
    ['name', job.name],
    ['description', job.description],
    ['agent', `${job.agent_type} ${JSON.stringify(job.agent_config)}`],
    ['credentials', job.credential_ids.join(', ') || null],
    ['skills', job.skill_ids === null ? 'all' : job.skill_ids.join(', ') || 'none'],
    ['labels', map(job.labels)],
    ['env', Object.keys(job.env_vars).join(', ') || null],
    ['mcp servers', job.mcp_servers.map((s) => String(s['name'])).join(', ') || null],
    ['timeout', `${job.timeout_seconds}s`],
    ['priority', String(job.priority)],
    ['updated', `${job.updated_at} (${ago(job.updated_at)})`],
    ['prompt', job.task_prompt],
  ]);
}
