// A workspace with something on every page, made through the API as a user would: a job with a
// completed run (run by goose on a real worker, or by a stand-in worker), a run waiting in the queue,
// a cancelled one, another job, a schedule, a skill, and people with keys of each role.
import { ADMIN_KEY, type Stack } from '../../node-worker/test/fixtures/stack.ts';

export interface Seeded {
  jobId: string;
  /** A completed run with a tool call in its log. */
  doneRunId: string;
  /** A run no worker can take (it needs a label none has), so it stays queued. */
  queuedRunId: string;
  scheduleId: string;
  skillId: string;
}

/** Adds `username` to the default workspace with `role` and returns a key of that role for them. */
export async function personWithKey(stack: Stack, username: string, role: 'viewer' | 'member' | 'admin'): Promise<string> {
  const member = await stack.api<{ user_id: string }>('POST', '/workspaces/default/members', { username, role });
  return (await stack.api<{ key: string }>('POST', '/api-keys', { name: `${username}'s laptop`, role, user_id: member.user_id })).key;
}

export async function uploadSkill(stack: Stack): Promise<string> {
  const form = new FormData();
  const skillMd =
    '---\nname: release-notes\ndescription: Writes release notes from the merged pull requests. Use when asked for release notes.\n---\n\nList the merged pull requests with scripts/merged.sh, then group them by area.\n';
  form.set('skill_md', new File([skillMd], 'SKILL.md', { type: 'text/markdown' }));
  form.append('files', new File(['#!/bin/sh\ngit log --merges --oneline "$1"..HEAD\n'], 'scripts/merged.sh'));
  const res = await fetch(`${stack.base}/api/v1/skills`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}` }, body: form });
  if (res.status !== 201) throw new Error(`skill upload → ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/**
 * With `goose`, the completed run really ran: a worker is started and goose calls the shell tool
 * against the scripted model. Without, a stand-in worker takes the run through the worker protocol
 * (claim, start, log lines, complete), which is quicker and enough for pages that only show it.
 */
export async function seedWorkspace(stack: Stack, options: { goose: boolean }): Promise<Seeded> {
  const job = {
    name: 'Summarise the changelog',
    description: 'Reads the repository history and summarises what changed since the last release.',
    task_prompt: 'Summarise what changed since the last release, in three bullet points.',
  };
  let doneRunId: string;
  if (options.goose) {
    await stack.startWorker('build-box-1');
    stack.model.script = { command: 'git --version || echo "no git here"', finalText: 'The changelog has 3 entries since v1.4: two fixes and a feature.' };
    doneRunId = (await stack.createGooseRun('changelog', job)).id;
    const { run } = await stack.followRun(doneRunId);
    if (run.status !== 'completed') throw new Error(`the seeded run ended ${run.status}\n${stack.workerOutput()}`);
  } else {
    const created = await stack.api<{ id: string }>('POST', '/jobs', job);
    doneRunId = (await stack.api<{ id: string }>('POST', `/jobs/${created.id}/run`)).id;
    await completeByHand(stack, doneRunId);
  }
  const jobId = (await stack.api<{ job_definition_id: string }>('GET', `/runs/${doneRunId}`)).job_definition_id;

  await stack.api('POST', '/jobs', {
    name: 'Nightly dependency audit',
    description: 'Checks the lockfile for advisories and opens an issue for each.',
    task_prompt: 'Audit the dependencies for known advisories and report each with its fix.',
    agent_config: { provider: 'anthropic', model: 'claude-sonnet-4-5' },
    labels: { region: 'eu' },
    timeout_seconds: 900,
  });
  const queued = await stack.api<{ id: string }>('POST', '/runs', {
    name: 'Train the ranking model',
    task_prompt: 'Fine-tune the ranking model on last week’s clicks.',
    required_labels: { gpu: 'a100' },
    priority: 5,
  });
  const cancelled = await stack.api<{ id: string }>('POST', '/runs', { name: 'Triage open issues', task_prompt: 'Label the open issues.', required_labels: { gpu: 'a100' } });
  await stack.api('POST', `/runs/${cancelled.id}/cancel`);

  const schedule = await stack.api<{ id: string }>('POST', '/schedules', {
    job_definition_id: jobId,
    cron_expression: '0 9 * * 1-5',
    timezone: 'Europe/Berlin',
    name: 'Weekday mornings',
  });
  const skillId = await uploadSkill(stack);
  return { jobId, doneRunId, queuedRunId: queued.id, scheduleId: schedule.id, skillId };
}

/** Takes the only queued run through the worker protocol as a worker named `build-box-1` would. */
async function completeByHand(stack: Stack, runId: string): Promise<void> {
  const worker = await stack.api<{ id: string }>('POST', '/workers/register', { name: 'build-box-1', labels: { region: 'eu' }, concurrency: 2 });
  const { runs } = await stack.api<{ runs: { run_id: string; lease_token: string }[] }>('POST', '/workers/claim', { worker_id: worker.id, max_runs: 1, wait_seconds: 5 });
  const lease = runs.find((r) => r.run_id === runId);
  if (!lease) throw new Error(`the stand-in worker did not get run ${runId}`);
  const asWorker = async (path: string, body?: unknown) => {
    const res = await fetch(`${stack.base}/api/v1/workers/runs/${runId}/${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', 'x-lease-token': lease.lease_token },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`${path} → ${res.status}: ${await res.text()}`);
  };
  await asWorker('start');
  const lines = ['Reading CHANGELOG.md', 'Found 3 entries since v1.4', 'The changelog has 3 entries since v1.4: two fixes and a feature.'];
  await asWorker('logs', { lines: lines.map((line, i) => ({ stream: 'stdout', line, sequence: i + 1 })) });
  await asWorker('complete', { status: 'completed', result: lines[2], exit_code: 0, usage: { input_tokens: 240, output_tokens: 60, total_tokens: 300, cost_usd: 0.0021 } });
}
