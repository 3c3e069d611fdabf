// `flightctl schedules ls|create|enable|disable|delete`: jobs run on a cron expression.
import { defineCommand } from 'citty';
import type { Schedule } from '../../../control/src/contract/schedules.ts';
import { listArgs, listOptions } from '../args.ts';
import { findJob } from '../lookup.ts';
import { note, out, print, table } from '../output.ts';
import { globalArgs, session } from '../session.ts';

const scheduleArg = { schedule: { type: 'positional', required: true, description: 'Schedule id' } } as const;

const ls = defineCommand({
  meta: { name: 'ls', description: 'List schedules, newest first', alias: 'list' },
  args: { ...listArgs, ...globalArgs },
  async run({ args }) {
    const { client, format } = session();
    const schedules = await client.list<Schedule>('/schedules', {}, listOptions(args));
    await print(format, schedules, () =>
      table(
        ['ID', 'NAME', 'JOB', 'CRON', 'TIMEZONE', 'ENABLED', 'NEXT RUN'],
        schedules.map((s) => [s.id, s.name ?? '-', s.job_name ?? s.job_definition_id, s.cron_expression, s.timezone, s.enabled ? out.green('yes') : out.yellow('no'), s.next_run_at ?? '-']),
        'No schedules.',
      ),
    );
  },
});

const create = defineCommand({
  meta: { name: 'create', description: 'Run a job on a cron expression' },
  args: {
    job: { type: 'string', alias: 'j', description: 'The job (name or id)', required: true },
    cron: { type: 'string', description: 'Five fields, e.g. "0 9 * * MON-FRI", or @hourly, @daily, …', required: true },
    timezone: { type: 'string', alias: 'z', description: 'IANA time zone the expression is read in (default UTC)' },
    name: { type: 'string', description: 'A name for the schedule' },
    disabled: { type: 'boolean', description: 'Create it disabled' },
    misfire: { type: 'enum', options: ['run_once', 'skip'], description: 'Instants missed while the server was away: one run, or none' },
    overlap: { type: 'enum', options: ['allow', 'skip'], description: 'Fire while the previous run is still going, or skip' },
    ...globalArgs,
  },
  async run({ args }) {
    const { client, format } = session();
    const job = await findJob(client, args.job);
    const schedule = await client.post<Schedule>('/schedules', {
      job_definition_id: job.id,
      cron_expression: args.cron,
      enabled: !args.disabled,
      ...(args.name ? { name: args.name } : {}),
      ...(args.timezone ? { timezone: args.timezone } : {}),
      ...(args.misfire ? { misfire: args.misfire } : {}),
      ...(args.overlap ? { overlap: args.overlap } : {}),
    });
    await print(format, schedule, () => `created schedule ${schedule.id}: ${job.name} at '${schedule.cron_expression}' (${schedule.timezone}), next ${schedule.next_run_at ?? 'never (disabled)'}`);
  },
});

const toggle = (enabled: boolean) =>
  defineCommand({
    meta: { name: enabled ? 'enable' : 'disable', description: enabled ? 'Let a schedule fire' : 'Stop a schedule from firing' },
    args: { ...scheduleArg, ...globalArgs },
    async run({ args }) {
      const { client, format } = session();
      const schedule = await client.put<Schedule>(`/schedules/${encodeURIComponent(args.schedule)}`, { enabled });
      await print(format, schedule, () => `schedule ${schedule.id} ${enabled ? `enabled, next ${schedule.next_run_at}` : 'disabled'}`);
    },
  });

const remove = defineCommand({
  meta: { name: 'delete', description: 'Delete a schedule', alias: 'rm' },
  args: { ...scheduleArg, ...globalArgs },
  async run({ args }) {
    const { client } = session();
    await client.delete(`/schedules/${encodeURIComponent(args.schedule)}`);
    note(`deleted schedule ${args.schedule}`);
  },
});

export default defineCommand({
  meta: { name: 'schedules', description: 'Manage schedules' },
  subCommands: { ls, create, enable: toggle(true), disable: toggle(false), delete: remove },
});
