// `flightctl run "<prompt>"` and `flightctl run --job <name|id>`: queue a run and, with --follow,
// watch it to its end; the exit code then says how it ended.
import { defineCommand } from 'citty';
import type { Job } from '../../../control/src/contract/jobs.ts';
import type { Run, RunCreate } from '../../../control/src/contract/runs.ts';
import { followArgs, integer, pairs, readDataFile, repeated, seconds } from '../args.ts';
import { usageError } from '../errors.ts';
import { note, print } from '../output.ts';
import { globalArgs, session } from '../session.ts';
import { watchRun } from '../watch.ts';
import { findJob } from '../lookup.ts';
import { runDetails } from '../run-view.ts';

export default defineCommand({
  meta: { name: 'run', description: 'Queue a run: an ad-hoc prompt, or a job with --job' },
  args: {
    prompt: { type: 'positional', required: false, description: 'What the agent should do (ad-hoc run)' },
    job: { type: 'string', alias: 'j', description: 'Run this job (name or id)' },
    name: { type: 'string', description: 'The run\'s name' },
    model: { type: 'string', description: 'Model (agent_config.model)' },
    provider: { type: 'string', description: 'Provider (agent_config.provider)' },
    'max-turns': { type: 'string', description: 'Most agent turns' },
    credential: { type: 'string', description: 'Credential name whose value the agent gets (repeatable)' },
    skill: { type: 'string', description: 'Skill name the run gets (repeatable)' },
    label: { type: 'string', description: 'Worker label the run requires, k=v (repeatable)' },
    env: { type: 'string', description: 'Environment variable for the agent, K=V (repeatable)' },
    mcp: { type: 'string', description: 'YAML or JSON file with a list of MCP servers' },
    timeout: { type: 'string', description: 'Timeout: seconds, or 90s, 10m, 2h' },
    priority: { type: 'string', description: 'Higher runs first (-1000 to 1000)' },
    'max-attempts': { type: 'string', description: 'Claims the run may get when workers are lost' },
    ...followArgs,
    ...globalArgs,
  },
  async run({ args, rawArgs }) {
    const { client, format } = session();
    const overrides = await runOverrides(args, rawArgs);
    let run: Run;
    if (args.job) {
      if (args.prompt) throw usageError('give a prompt or --job, not both');
      const job = await findJob(client, args.job);
      if (Object.keys(overrides).length === 0) run = await client.post<Run>(`/jobs/${job.id}/run`);
      else {
        // POST /jobs/{id}/run takes the job as saved; a changed run is an ad-hoc run of the job's settings.
        note(`options given: this is an ad-hoc run with job ${job.name}'s settings, not linked to the job`);
        run = await client.post<Run>('/runs', { ...fromJob(job), ...overrides, agent_config: { ...job.agent_config, ...overrides.agent_config } });
      }
    } else {
      if (!args.prompt) throw usageError('give a prompt, e.g. flightctl run "Summarise README.md", or --job <name>');
      run = await client.post<Run>('/runs', { ...overrides, task_prompt: args.prompt });
    }
    if (!args.follow) return print(format, run, () => runDetails(run));
    note(`run ${run.id} queued (${run.name})`);
    process.exitCode = await watchRun(client, run.id, { format, raw: args.raw, cancelOnInterrupt: args['cancel-on-interrupt'] });
  },
});

type RunFields = Partial<RunCreate>;

async function runOverrides(args: Record<string, unknown>, rawArgs: string[]): Promise<RunFields> {
  const str = (name: string) => (typeof args[name] === 'string' ? (args[name] as string) : undefined);
  const fields: RunFields = {};
  const agentConfig: Record<string, unknown> = {};
  if (str('model')) agentConfig['model'] = str('model');
  if (str('provider')) agentConfig['provider'] = str('provider');
  const maxTurns = integer(str('max-turns'), '--max-turns');
  if (maxTurns !== undefined) agentConfig['max_turns'] = maxTurns;
  if (Object.keys(agentConfig).length > 0) fields.agent_config = agentConfig;
  if (str('name')) fields.name = str('name')!;
  const credentials = repeated(rawArgs, 'credential');
  if (credentials.length > 0) fields.credential_ids = credentials;
  const skills = repeated(rawArgs, 'skill');
  if (skills.length > 0) fields.skill_ids = skills;
  const labels = repeated(rawArgs, 'label');
  if (labels.length > 0) fields.required_labels = pairs(labels, '--label');
  const env = repeated(rawArgs, 'env');
  if (env.length > 0) fields.env_vars = pairs(env, '--env');
  if (str('mcp')) {
    const servers = await readDataFile(str('mcp')!);
    const list = Array.isArray(servers) ? servers : (servers as { mcp_servers?: unknown })?.mcp_servers;
    if (!Array.isArray(list)) throw usageError(`${str('mcp')} should hold a list of MCP servers (or mcp_servers: [...])`);
    fields.mcp_servers = list as RunCreate['mcp_servers'];
  }
  if (str('timeout')) fields.timeout_seconds = seconds(str('timeout')!);
  const priority = integer(str('priority'), '--priority');
  if (priority !== undefined) fields.priority = priority;
  const maxAttempts = integer(str('max-attempts'), '--max-attempts');
  if (maxAttempts !== undefined) fields.max_attempts = maxAttempts;
  return fields;
}

function fromJob(job: Job): RunFields {
  return {
    name: job.name,
    task_prompt: job.task_prompt,
    agent_config: job.agent_config,
    mcp_servers: job.mcp_servers as RunCreate['mcp_servers'],
    env_vars: job.env_vars,
    credential_ids: job.credential_ids,
    skill_ids: job.skill_ids,
    required_labels: job.labels,
    timeout_seconds: job.timeout_seconds,
    priority: job.priority,
    max_attempts: job.max_attempts,
  };
}
