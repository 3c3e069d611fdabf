import { describe, expect, it } from 'vitest';
import { call, callJson, expectError, unique, userWithKey } from './helpers.ts';

const originalJob = {
  name: 'nightly report',
  description: 'writes the report',
  task_prompt: 'Summarise yesterday\'s commits',
  agent_type: 'goose',
  agent_config: { provider: 'openai', model: 'gpt-4.1', max_turns: 12 },
  mcp_servers: [{ name: 'files', command: 'npx', args: ['-y', 'mcp-files'], env: { ROOT: '/tmp' } }],
  env_vars: { REPORT_DIR: '/tmp/reports' },
  credential_ids: [],
  labels: { gpu: 'false', region: 'eu' },
  timeout_seconds: 600,
};

describe('jobs', () => {
  it('round-trips a job created with the original field names', async () => {
    const job = await callJson('/jobs', { body: originalJob }, 201);
    expect(job).toMatchObject({
      ...originalJob,
      mcp_servers: [{ name: 'files', type: 'stdio', command: 'npx', args: ['-y', 'mcp-files'], env: { ROOT: '/tmp' } }],
      workspace_id: 'default',
      skill_ids: null,
    });
    expect(job.id).toMatch(/^[0-9a-f]{12}$/);
    expect(await callJson(`/jobs/${job.id}`, {}, 200)).toEqual(job);
  });

  it('fills the original defaults for a minimal job', async () => {
    const job = await callJson('/jobs', { body: { name: 'min', task_prompt: 'hi' } }, 201);
    expect(job).toMatchObject({
      description: null,
      agent_type: 'goose',
      agent_config: {},
      mcp_servers: [],
      env_vars: {},
      credential_ids: [],
      skill_ids: null,
      labels: {},
      timeout_seconds: 1800,
      priority: 0,
      max_attempts: 3,
    });
  });

  it('updates only the fields sent and refuses null for required fields', async () => {
    const job = await callJson('/jobs', { body: originalJob }, 201);
    const updated = await callJson(`/jobs/${job.id}`, { method: 'PUT', body: { task_prompt: 'new prompt', skill_ids: [] } }, 200);
    expect(updated).toMatchObject({ ...job, task_prompt: 'new prompt', skill_ids: [], updated_at: expect.any(String) });
    expect(updated.name).toBe(originalJob.name);

    const res = await call(`/jobs/${job.id}`, { method: 'PUT', body: { name: null } });
    expect(res.status).toBe(422);
    const error = await res.json<any>();
    expect(error.code).toBe('validation_failed');
    expect(error.fields).toEqual([expect.objectContaining({ field: 'name' })]);

    const backToAll = await callJson(`/jobs/${job.id}`, { method: 'PUT', body: { skill_ids: null } }, 200);
    expect(backToAll.skill_ids).toBeNull();
  });

  it('deletes a job but keeps its runs', async () => {
    const job = await callJson('/jobs', { body: originalJob }, 201);
    const run = await callJson(`/jobs/${job.id}/run`, { method: 'POST' }, 201);
    expect((await call(`/jobs/${job.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`/jobs/${job.id}`)).status).toBe(404);
    expect((await call(`/jobs/${job.id}`, { method: 'DELETE' })).status).toBe(404);
    const kept = await callJson(`/runs/${run.id}`, {}, 200);
    expect(kept.job_definition_id).toBe(job.id);
  });

  it('snapshots the job into the run so later edits do not change it', async () => {
    const job = await callJson('/jobs', { body: originalJob }, 201);
    const run = await callJson(`/jobs/${job.id}/run`, { method: 'POST' }, 201);
    expect(run).toMatchObject({
      status: 'queued',
      job_definition_id: job.id,
      name: originalJob.name,
      task_prompt: originalJob.task_prompt,
      agent_config: originalJob.agent_config,
      required_labels: originalJob.labels,
      timeout_seconds: 600,
      worker_id: null,
      started_at: null,
      attempt: 0,
    });
    expect(run).not.toHaveProperty('env_vars');

    await callJson(`/jobs/${job.id}`, { method: 'PUT', body: { task_prompt: 'changed', labels: { gpu: 'true' }, timeout_seconds: 5 } }, 200);
    const after = await callJson(`/runs/${run.id}`, {}, 200);
    expect(after).toMatchObject({ task_prompt: originalJob.task_prompt, required_labels: originalJob.labels, timeout_seconds: 600 });
  });

  it('answers 404 naming the job for unknown ids', async () => {
    for (const [method, path] of [['GET', '/jobs/000000000000'], ['PUT', '/jobs/000000000000'], ['DELETE', '/jobs/000000000000'], ['POST', '/jobs/000000000000/run']] as const) {
      const res = await call(path, { method, body: method === 'PUT' ? { name: 'x' } : undefined });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(await res.json()).toEqual({ detail: 'Job not found', code: 'not_found' });
    }
  });

  it('shows a viewer the names of env vars and MCP env and headers, never their values', async () => {
    const slug = unique('hidden');
    const ws = (await callJson('/workspaces', { body: { name: slug, slug } }, 201)).id;
    const mcp_servers = [
      { name: 'files', command: 'mcp-files', env: { GITHUB_TOKEN: 'ghp-secret' } },
      { name: 'remote', type: 'streamable_http', uri: 'http://127.0.0.1:9/mcp', headers: { Authorization: 'Bearer mcp-secret' } },
    ];
    const job = await callJson('/jobs', { workspace: ws, body: { name: 'with keys', task_prompt: 'p', env_vars: { API_TOKEN: 'env-secret' }, mcp_servers } }, 201);
    const run = await callJson(`/jobs/${job.id}/run`, { workspace: ws, method: 'POST', body: {} }, 201);
    const viewer = { key: (await userWithKey(ws, 'viewer')).key, workspace: ws };
    const reads = [
      await callJson(`/jobs/${job.id}`, viewer, 200),
      (await callJson<any[]>('/jobs', viewer, 200))[0],
      await callJson(`/runs/${run.id}`, viewer, 200),
      (await callJson<any[]>('/runs', viewer, 200))[0],
    ];
    for (const seen of reads) {
      expect(JSON.stringify(seen)).not.toMatch(/secret/);
      expect(seen.mcp_servers[0].env).toEqual({ GITHUB_TOKEN: '[hidden]' });
      expect(seen.mcp_servers[1]).toMatchObject({ uri: 'http://127.0.0.1:9/mcp', headers: { Authorization: '[hidden]' } });
    }
    expect(reads[0].env_vars).toEqual({ API_TOKEN: '[hidden]' });
    // A member, who may edit them, reads the values.
    const member = { key: (await userWithKey(ws, 'member')).key, workspace: ws };
    expect((await callJson(`/jobs/${job.id}`, member, 200)).env_vars).toEqual({ API_TOKEN: 'env-secret' });
    expect((await callJson(`/runs/${run.id}`, member, 200)).mcp_servers[0].env).toEqual({ GITHUB_TOKEN: 'ghp-secret' });
  });

  it('rejects a job naming a credential the workspace does not have', async () => {
    const res = await call('/jobs', { body: { ...originalJob, credential_ids: ['nope'] } });
    expect(res.status).toBe(422);
    const error = await res.json<any>();
    expect(error.fields).toEqual([{ field: 'credential_ids', message: expect.stringContaining("'nope'") }]);
  });

  it('names every invalid field in one 422', async () => {
    const res = await call('/jobs', {
      body: { name: '', task_prompt: 42, agent_type: 'claude', timeout_seconds: 0, env_vars: { '1BAD': 'x' }, mcp_servers: [{ name: 'a b', command: 'x' }] },
    });
    expect(res.status).toBe(422);
    const error = await res.json<any>();
    const fields = error.fields.map((f: { field: string }) => f.field);
    expect(fields).toEqual(expect.arrayContaining(['name', 'task_prompt', 'agent_type', 'timeout_seconds', 'mcp_servers.0.name']));
    expect(fields.some((f: string) => f.startsWith('env_vars'))).toBe(true);
    expect(error.detail).toContain('task_prompt');
  });

  it('refuses a blank prompt and a retry backoff whose longest wait is shorter than its first, naming the field', async () => {
    const fieldsOf = async (body: unknown) => (await expectError(await call('/jobs', { body }), 422, 'validation_failed')).fields;
    expect(await fieldsOf({ name: 'blank', task_prompt: ' \n\t ' })).toEqual([{ field: 'task_prompt', message: 'must not be blank' }]);
    expect(await fieldsOf({ name: 'backoff', task_prompt: 'p', retry: { max_attempts: 3, backoff: { initial_seconds: 100, factor: 2, max_seconds: 1 } } })).toEqual([
      { field: 'retry.backoff.max_seconds', message: 'must not be less than initial_seconds' },
    ]);
    // Left out, the longest wait is an hour, or the first wait when that is longer.
    const long = await callJson('/jobs', { body: { name: 'long first wait', task_prompt: 'p', retry: { max_attempts: 2, backoff: { initial_seconds: 7200 } } } }, 201);
    expect(long.retry.backoff).toEqual({ initial_seconds: 7200, factor: 2, max_seconds: 7200 });
    const short = await callJson('/jobs', { body: { name: 'short first wait', task_prompt: 'p', retry: { max_attempts: 2, backoff: { initial_seconds: 5 } } } }, 201);
    expect(short.retry.backoff).toEqual({ initial_seconds: 5, factor: 2, max_seconds: 3600 });
    const runFields = (await expectError(await call('/runs', { body: { task_prompt: '   ' } }), 422, 'validation_failed')).fields;
    expect(runFields).toEqual([{ field: 'task_prompt', message: 'must not be blank' }]);
  });

  it('rejects a streamable_http MCP server without a uri and accepts one with it', async () => {
    const bad = await call('/jobs', { body: { name: 'h', task_prompt: 'p', mcp_servers: [{ name: 'remote', type: 'streamable_http' }] } });
    expect(bad.status).toBe(422);
    const ok = await callJson('/jobs', { body: { name: 'h', task_prompt: 'p', mcp_servers: [{ name: 'remote', type: 'streamable_http', uri: 'http://127.0.0.1:9/mcp' }] } }, 201);
    expect(ok.mcp_servers[0]).toMatchObject({ type: 'streamable_http', uri: 'http://127.0.0.1:9/mcp', headers: {} });
  });

  it('answers 400 for a body that is not JSON', async () => {
    const res = await call('/jobs', { rawBody: '{"name": "x", ' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'malformed_json' });
  });

  it('answers 413 for a body over the limit', async () => {
    const res = await call('/jobs', { body: { name: 'big', task_prompt: 'x'.repeat(1024 * 1024 + 10) } });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'payload_too_large' });
  });

  it('pages through jobs newest first without skipping or repeating', async () => {
    const before = (await callJson<any[]>('/jobs?limit=500', {}, 200)).length;
    const created: string[] = [];
    for (let i = 0; i < 7; i++) created.push((await callJson('/jobs', { body: { name: `page-${i}`, task_prompt: 'p' } }, 201)).id);
    const seen: string[] = [];
    let next: string | null = '/jobs?limit=3';
    let pages = 0;
    while (next) {
      const res = await call(next);
      expect(res.status).toBe(200);
      const page = await res.json<any[]>();
      expect(page.length).toBeLessThanOrEqual(3);
      seen.push(...page.map((j) => j.id));
      const link = res.headers.get('Link');
      next = link ? /<([^>]+)>; rel="next"/.exec(link)![1]!.replace('/api/v1', '') : null;
      pages++;
    }
    const total = before + created.length;
    expect(pages).toBe(Math.ceil(total / 3));
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    expect(seen.slice(0, created.length)).toEqual([...created].reverse());
  });

  it('rejects a cursor it did not issue', async () => {
    const res = await call('/jobs?cursor=garbage!');
    expect(res.status).toBe(422);
    expect((await res.json<any>()).fields[0].field).toBe('cursor');
  });
});
