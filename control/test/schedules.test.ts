// Schedules: cron triggers for a workspace's jobs, validated on the way in, with a correct next_run_at.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, callJson, unique, memberKey } from './helpers.ts';


async function createJob(workspace?: string): Promise<{ id: string; name: string }> {
  return callJson('/jobs', { workspace, body: { name: unique('scheduled job'), task_prompt: 'do the thing' } }, 201);
}

async function createWorkspace(): Promise<string> {
  const slug = unique('sched-ws');
  return (await callJson('/workspaces', { body: { name: slug, slug } }, 201)).id;
}


async function expectInvalid(res: Response, field: string) {
  const text = await res.text();
  expect(res.status, text).toBe(422);
  const error = JSON.parse(text);
  expect(error.code).toBe('validation_failed');
  expect(error.fields.map((f: { field: string }) => f.field)).toContain(field);
  return error;
}

describe('schedules', () => {
  it('creates, reads, lists, updates and deletes a schedule, always with its job name', async () => {
    const job = await createJob();
    const created = await callJson('/schedules', { body: { job_definition_id: job.id, cron_expression: '*/5 * * * *', name: 'every five' } }, 201);
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{12}$/),
      workspace_id: 'default',
      job_definition_id: job.id,
      job_name: job.name,
      cron_expression: '*/5 * * * *',
      timezone: 'UTC',
      enabled: true,
      name: 'every five',
      misfire: 'run_once',
      overlap: 'allow',
      next_run_at: expect.any(String),
      last_run_at: null,
      last_run_id: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(await callJson(`/schedules/${created.id}`, {}, 200)).toEqual(created);
    expect((await callJson<any[]>('/schedules?limit=500', {}, 200)).find((s) => s.id === created.id)).toEqual(created);

    const updated = await callJson(`/schedules/${created.id}`, { method: 'PUT', body: { name: 'hourly now', cron_expression: '@hourly' } }, 200);
    expect(updated).toMatchObject({ id: created.id, name: 'hourly now', cron_expression: '@hourly', enabled: true, job_name: job.name });

    const unnamed = await callJson(`/schedules/${created.id}`, { method: 'PUT', body: { name: null } }, 200);
    expect(unnamed).toMatchObject({ name: null, cron_expression: '@hourly' });

    expect((await call(`/schedules/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`/schedules/${created.id}`)).status).toBe(404);
    expect((await call(`/schedules/${created.id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('sets next_run_at to the next time the cron expression fires after now', async () => {
    const job = await createJob();
    const before = Date.now();
    const yearly = await callJson('/schedules', { body: { job_definition_id: job.id, cron_expression: '0 0 1 1 *' } }, 201);
    expect(yearly.next_run_at).toBe(new Date(Date.UTC(new Date(before).getUTCFullYear() + 1, 0, 1)).toISOString());

    const fiveMinutely = await callJson('/schedules', { body: { job_definition_id: job.id, cron_expression: '*/5 * * * *' } }, 201);
    const next = new Date(fiveMinutely.next_run_at);
    expect(next.getTime()).toBeGreaterThan(before);
    expect(next.getTime() - before).toBeLessThanOrEqual(5 * 60_000 + 1000);
    expect(next.getUTCMinutes() % 5).toBe(0);
    expect(next.getUTCSeconds()).toBe(0);
  });

  it('reads the cron expression in the schedule time zone', async () => {
    const job = await createJob();
    // Tokyo has no daylight saving time: 09:00 there is always 00:00 UTC.
    const tokyo = await callJson('/schedules', { body: { job_definition_id: job.id, cron_expression: '0 9 * * *', timezone: 'Asia/Tokyo' } }, 201);
    expect(tokyo.timezone).toBe('Asia/Tokyo');
    const next = new Date(tokyo.next_run_at);
    expect([next.getUTCHours(), next.getUTCMinutes()]).toEqual([0, 0]);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600_000);

    const moved = await callJson(`/schedules/${tokyo.id}`, { method: 'PUT', body: { timezone: 'UTC' } }, 200);
    expect(new Date(moved.next_run_at).getUTCHours()).toBe(9);
  });

  it('clears next_run_at while disabled and counts it again when re-enabled', async () => {
    const job = await createJob();
    const disabled = await callJson('/schedules', { body: { job_definition_id: job.id, cron_expression: '0 0 1 1 *', enabled: false } }, 201);
    expect(disabled).toMatchObject({ enabled: false, next_run_at: null });

    const stillDisabled = await callJson(`/schedules/${disabled.id}`, { method: 'PUT', body: { cron_expression: '@daily' } }, 200);
    expect(stillDisabled).toMatchObject({ enabled: false, next_run_at: null, cron_expression: '@daily' });

    const enabled = await callJson(`/schedules/${disabled.id}`, { method: 'PUT', body: { enabled: true } }, 200);
    const nextMidnight = new Date();
    nextMidnight.setUTCHours(24, 0, 0, 0);
    expect(enabled).toMatchObject({ enabled: true, next_run_at: nextMidnight.toISOString() });

    const off = await callJson(`/schedules/${disabled.id}`, { method: 'PUT', body: { enabled: false } }, 200);
    expect(off.next_run_at).toBeNull();
  });

  it('accepts standard five-field expressions and the common macros', async () => {
    const job = await createJob();
    for (const cron of ['*/5 * * * *', '0 9 * * MON-FRI', '15,45 8-18/2 1-15 JAN,jul *', '@hourly', '@daily', '@weekly', '@monthly', '@yearly']) {
      const res = await call('/schedules', { body: { job_definition_id: job.id, cron_expression: cron } });
      expect(res.status, `${cron}: ${await res.clone().text()}`).toBe(201);
      const schedule = await res.json<any>();
      expect(schedule.cron_expression).toBe(cron);
      expect(Date.parse(schedule.next_run_at)).toBeGreaterThan(Date.now());
    }
  });

  it('rejects an invalid cron expression with 422 saying what is wrong', async () => {
    const job = await createJob();
    const cases: [string, RegExp][] = [
      ['61 * * * *', /minute/],
      ['* * *', /5 fields/],
      ['not a cron', /5 fields/],
      ['0 0 * * * *', /5 fields.*got 6/],
      ['0 0 1 1 * 2030', /5 fields.*got 6/],
      ['0 0 0 * *', /day-of-month: 0/],
      ['0 0 30 2 *', /never fires/],
      ['@reboot', /unknown macro/],
      ['', /5 fields.*got 0/],
    ];
    for (const [cron, reason] of cases) {
      const error = await expectInvalid(await call('/schedules', { body: { job_definition_id: job.id, cron_expression: cron } }), 'cron_expression');
      expect(error.detail, cron).toContain('Invalid cron expression');
      expect(error.detail, cron).toMatch(reason);
    }
    expect(await callJson<any[]>('/schedules?limit=500', {}, 200)).not.toContainEqual(expect.objectContaining({ job_definition_id: job.id }));
  });

  it('refuses an invalid cron expression on update and leaves the schedule as it was', async () => {
    const job = await createJob();
    const created = await callJson('/schedules', { body: { job_definition_id: job.id, cron_expression: '@daily' } }, 201);
    await expectInvalid(await call(`/schedules/${created.id}`, { method: 'PUT', body: { cron_expression: '61 * * * *' } }), 'cron_expression');
    await expectInvalid(await call(`/schedules/${created.id}`, { method: 'PUT', body: { enabled: null } }), 'enabled');
    expect(await callJson(`/schedules/${created.id}`, {}, 200)).toEqual(created);
  });

  it('rejects a time zone that is not an IANA zone', async () => {
    const job = await createJob();
    for (const timezone of ['Mars/Olympus_Mons', '+02:00', '']) {
      await expectInvalid(await call('/schedules', { body: { job_definition_id: job.id, cron_expression: '@daily', timezone } }), 'timezone');
    }
  });

  it("answers 422 naming job_definition_id for an unknown job or another workspace's job", async () => {
    const foreignJob = await createJob(await createWorkspace());
    for (const jobId of ['000000000000', foreignJob.id]) {
      const error = await expectInvalid(await call('/schedules', { body: { job_definition_id: jobId, cron_expression: '@daily' } }), 'job_definition_id');
      expect(error.detail).toContain(jobId);
    }
  });

  it("answers 404 for another workspace's schedule, as for an unknown id", async () => {
    const ws = await createWorkspace();
    const job = await createJob(ws);
    const foreign = await callJson('/schedules', { workspace: ws, body: { job_definition_id: job.id, cron_expression: '@daily' } }, 201);
    for (const id of [foreign.id, '000000000000']) {
      for (const method of ['GET', 'PUT', 'DELETE'] as const) {
        const res = await call(`/schedules/${id}`, { method, body: method === 'PUT' ? { enabled: false } : undefined });
        expect(res.status, `${method} ${id}`).toBe(404);
        expect(await res.json()).toEqual({ detail: 'Schedule not found', code: 'not_found' });
      }
    }
    expect((await callJson<any[]>('/schedules?limit=500', {}, 200)).map((s) => s.id)).not.toContain(foreign.id);
    expect(await callJson(`/schedules/${foreign.id}`, { workspace: ws }, 200)).toEqual(foreign);
  });

  it('lets a member read schedules but not create, change or delete them', async () => {
    const key = await memberKey();
    const job = await createJob();
    const created = await callJson('/schedules', { body: { job_definition_id: job.id, cron_expression: '@daily' } }, 201);
    expect((await call(`/schedules/${created.id}`, { key })).status).toBe(200);
    expect((await call('/schedules', { key })).status).toBe(200);
    const writes = [
      await call('/schedules', { key, body: { job_definition_id: job.id, cron_expression: '@hourly' } }),
      await call(`/schedules/${created.id}`, { key, method: 'PUT', body: { enabled: false } }),
      await call(`/schedules/${created.id}`, { key, method: 'DELETE' }),
    ];
    for (const res of writes) {
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ code: 'forbidden' });
    }
    expect(await callJson(`/schedules/${created.id}`, {}, 200)).toEqual(created);
  });

  it("deletes a job's schedules along with the job", async () => {
    const job = await createJob();
    const kept = await callJson('/schedules', { body: { job_definition_id: (await createJob()).id, cron_expression: '@daily' } }, 201);
    const first = await callJson('/schedules', { body: { job_definition_id: job.id, cron_expression: '@daily' } }, 201);
    const second = await callJson('/schedules', { body: { job_definition_id: job.id, cron_expression: '@hourly' } }, 201);
    expect((await call(`/jobs/${job.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`/schedules/${first.id}`)).status).toBe(404);
    expect((await call(`/schedules/${second.id}`)).status).toBe(404);
    expect(await env.DB.prepare('SELECT count(*) AS n FROM schedules WHERE job_definition_id = ?1').bind(job.id).first('n')).toBe(0);
    expect((await call(`/schedules/${kept.id}`)).status).toBe(200);
  });

  it('pages through schedules newest first without skipping or repeating', async () => {
    const job = await createJob();
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push((await callJson('/schedules', { body: { job_definition_id: job.id, cron_expression: '@daily' } }, 201)).id);
    const seen: string[] = [];
    let next: string | null = '/schedules?limit=2';
    while (next) {
      const res = await call(next);
      expect(res.status).toBe(200);
      const page = await res.json<{ id: string; job_name: string | null }[]>();
      expect(page.length).toBeLessThanOrEqual(2);
      expect(page.every((s) => typeof s.job_name === 'string')).toBe(true);
      seen.push(...page.map((s) => s.id));
      const link = res.headers.get('Link');
      next = link ? /<([^>]+)>; rel="next"/.exec(link)![1]!.replace('/api/v1', '') : null;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(0, created.length)).toEqual([...created].reverse());
  });

  it('documents the endpoints and the cron syntax it accepts', async () => {
    const doc = await callJson('/openapi.json', {}, 200);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/schedules', '/api/v1/schedules/{schedule_id}']));
    expect(Object.keys(doc.paths['/api/v1/schedules/{schedule_id}'])).toEqual(expect.arrayContaining(['get', 'put', 'delete']));
    expect(doc.components.schemas.ScheduleCreate.properties.cron_expression.description).toContain('@daily');
    expect(doc.components.schemas.Schedule.required).toEqual(expect.arrayContaining(['job_name', 'next_run_at', 'timezone']));
  });
});
