import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, callJson, expectError } from './helpers.ts';
import { runningRun } from './live.ts';

async function setStatus(runId: string, status: string) {
  await env.DB.prepare('UPDATE job_runs SET status = ?1 WHERE id = ?2').bind(status, runId).run();
}

describe('runs', () => {
  it('queues an ad-hoc run with the original defaults', async () => {
    const run = await callJson('/runs', { body: { task_prompt: 'hello', env_vars: { FOO: 'bar' }, required_labels: { gpu: 'true' } } }, 201);
    expect(run).toMatchObject({
      name: 'Ad-hoc Run',
      status: 'queued',
      job_definition_id: null,
      agent_type: 'goose',
      agent_config: {},
      mcp_servers: [],
      credential_ids: [],
      skill_ids: null,
      required_labels: { gpu: 'true' },
      timeout_seconds: 1800,
      worker_id: null,
      result: null,
      exit_code: null,
      completed_at: null,
    });
    expect(run).not.toHaveProperty('env_vars');
    expect(await callJson(`/runs/${run.id}`, {}, 200)).toEqual(run);
  });

  it('filters the list by job and by status', async () => {
    const job = await callJson('/jobs', { body: { name: 'filtered', task_prompt: 'p' } }, 201);
    const a = await callJson(`/jobs/${job.id}/run`, { method: 'POST' }, 201);
    const b = await callJson(`/jobs/${job.id}/run`, { method: 'POST' }, 201);
    await callJson('/runs', { body: { task_prompt: 'other' } }, 201);
    await setStatus(a.id, 'completed');

    const ofJob = await callJson<any[]>(`/runs?job_id=${job.id}`, {}, 200);
    expect(ofJob.map((r) => r.id)).toEqual([b.id, a.id]);
    const completed = await callJson<any[]>(`/runs?job_id=${job.id}&status=completed`, {}, 200);
    expect(completed.map((r) => r.id)).toEqual([a.id]);
    const bad = await call('/runs?status=banana');
    expect(bad.status).toBe(422);
    expect((await bad.json<any>()).fields[0].field).toBe('status');
  });

  it('re-runs a finished run with the same settings, linked to it', async () => {
    const job = await callJson('/jobs', { body: { name: 'again', task_prompt: 'do it', env_vars: { A: '1' }, labels: { os: 'linux' }, priority: 3 } }, 201);
    const first = await callJson(`/jobs/${job.id}/run`, { method: 'POST' }, 201);
    await setStatus(first.id, 'failed');
    await callJson(`/jobs/${job.id}`, { method: 'PUT', body: { task_prompt: 'changed since' } }, 200);

    const again = await callJson(`/runs/${first.id}/rerun`, { method: 'POST' }, 201);
    expect(again.id).not.toBe(first.id);
    expect(again).toMatchObject({ status: 'queued', rerun_of: first.id, job_definition_id: job.id, task_prompt: 'do it', required_labels: { os: 'linux' }, priority: 3 });
    const envVars = await env.DB.prepare('SELECT env_vars FROM job_runs WHERE id = ?').bind(again.id).first<string>('env_vars');
    expect(JSON.parse(envVars!)).toEqual({ A: '1' });
    expect(first.rerun_of).toBeNull();
    await expectError(await call('/runs/nope/rerun', { method: 'POST' }), 404, 'not_found');
  });

  it('lists every attempt of a run with its worker, oldest first', async () => {
    const run = await runningRun();
    const attempts = await callJson<any[]>(`/runs/${run.id}/attempts`, {}, 200);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ attempt: 1, worker_name: 'w', outcome: null, ended_at: null });
    expect(attempts[0].started_at).not.toBeNull();
    await run.complete('completed');
    const [done] = await callJson<any[]>(`/runs/${run.id}/attempts`, {}, 200);
    expect(done).toMatchObject({ attempt: 1, outcome: 'completed' });
    expect(done.ended_at).not.toBeNull();
    const queued = await callJson('/runs', { body: { task_prompt: 'not yet' } }, 201);
    expect(await callJson(`/runs/${queued.id}/attempts`, {}, 200)).toEqual([]);
    await expectError(await call('/runs/nope/attempts'), 404, 'not_found');
  });

  it('cancels a queued run at once', async () => {
    const run = await callJson('/runs', { body: { task_prompt: 'cancel me' } }, 201);
    const cancelled = await callJson(`/runs/${run.id}/cancel`, { method: 'POST' }, 200);
    expect(cancelled).toMatchObject({ status: 'cancelled', failure_reason: 'cancelled_by_user' });
    expect(cancelled.completed_at).not.toBeNull();
    expect(cancelled.cancel_requested_at).not.toBeNull();
  });

  it('records a cancel request on a running run for its worker, without ending it', async () => {
    const run = await callJson('/runs', { body: { task_prompt: 'running' } }, 201);
    await setStatus(run.id, 'running');
    const requested = await callJson(`/runs/${run.id}/cancel`, { method: 'POST' }, 200);
    expect(requested).toMatchObject({ status: 'running', completed_at: null });
    expect(requested.cancel_requested_at).not.toBeNull();
  });

  it('refuses to cancel a finished run with 409 and an unknown one with 404', async () => {
    const run = await callJson('/runs', { body: { task_prompt: 'done' } }, 201);
    await setStatus(run.id, 'completed');
    const res = await call(`/runs/${run.id}/cancel`, { method: 'POST' });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ code: 'not_cancellable', detail: expect.stringContaining('completed') });
    expect((await call('/runs/ffffffffffff/cancel', { method: 'POST' })).status).toBe(404);
    expect((await call('/runs/ffffffffffff')).status).toBe(404);
  });

  it('rejects an ad-hoc run without a prompt, naming the field', async () => {
    const res = await call('/runs', { body: { name: 'no prompt' } });
    expect(res.status).toBe(422);
    expect((await res.json<any>()).fields).toEqual([expect.objectContaining({ field: 'task_prompt' })]);
  });
});
