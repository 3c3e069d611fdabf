// A workspace with something on every page, made through the API as a user would: a job whose run
// really ran on a worker (goose calling the shell tool against the scripted model), a run waiting in
// the queue, a cancelled one, another job, a schedule, a skill, and people with keys of each role.
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

/** Needs one worker started on the stack (`stack.startWorker`) for the completed run. */
export async function seedWorkspace(stack: Stack): Promise<Seeded> {
  stack.model.script = { command: 'git --version || echo "no git here"', finalText: 'The changelog has 3 entries since v1.4: two fixes and a feature.' };
  const done = await stack.createGooseRun('changelog', {
    name: 'Summarise the changelog',
    description: 'Reads the repository history and summarises what changed since the last release.',
    task_prompt: 'Summarise what changed since the last release, in three bullet points.',
  });
  const { run } = await stack.followRun(done.id);
  if (run.status !== 'completed') throw new Error(`the seeded run ended ${run.status}\n${stack.workerOutput()}`);
  const jobId = (await stack.api<{ job_definition_id: string }>('GET', `/runs/${done.id}`)).job_definition_id;

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
  return { jobId, doneRunId: done.id, queuedRunId: queued.id, scheduleId: schedule.id, skillId };
}
