import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, callJson, expectError, unique } from './helpers.ts';

describe('system', () => {
  it('answers health without a key', async () => {
    const res = await call('/health', { key: null });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'healthy' });
  });

  it('counts runs and workers per status, with the queue depth', async () => {
    const before = await callJson('/system/metrics', {}, 200);
    const a = await callJson('/runs', { body: { task_prompt: 'a' } }, 201);
    await callJson('/runs', { body: { task_prompt: 'b' } }, 201);
    await callJson(`/runs/${a.id}/cancel`, { method: 'POST' }, 200);
    await env.DB.prepare("INSERT INTO workers (id, workspace_id, name, status) VALUES ('w1', 'default', 'one', 'online'), ('w2', 'default', 'two', 'offline')").run();

    const metrics = await callJson('/system/metrics', {}, 200);
    expect(metrics.queue_depth).toBe((before.queue_depth ?? 0) + 1);
    expect(metrics.runs.cancelled).toBe((before.runs.cancelled ?? 0) + 1);
    expect(metrics.workers).toEqual({ online: 1, offline: 1 });
    expect(metrics.runs).not.toHaveProperty('running');
  });

  it('keeps its run counts equal to the runs themselves through the queue\'s changes, and a deleted workspace takes them along', async () => {
    const slug = unique('counted');
    const ws = await callJson('/workspaces', { body: { name: `Team ${slug}`, slug } }, 201);
    const inWs = { workspace: ws.id };
    const counted = async () => (await callJson('/system/metrics', inWs, 200)).runs;
    const actual = async () => {
      const { results } = await env.DB.prepare('SELECT status, COUNT(*) AS n FROM job_runs WHERE workspace_id = ?1 GROUP BY status').bind(ws.id).all<{ status: string; n: number }>();
      return Object.fromEntries(results.map((r) => [r.status, r.n]));
    };

    const runs = [];
    for (const prompt of ['a', 'b', 'c', 'd']) runs.push(await callJson('/runs', { ...inWs, body: { task_prompt: prompt } }, 201));
    expect(await counted()).toEqual({ queued: 4 });
    const worker = await callJson('/workers/register', { ...inWs, body: { name: 'counter', concurrency: 3 } }, 201);
    const { runs: held } = await callJson('/workers/claim', { ...inWs, body: { worker_id: worker.id, max_runs: 3, wait_seconds: 0 } }, 200);
    expect(held).toHaveLength(3);
    const lease = (r: { lease_token: string }) => ({ 'x-lease-token': r.lease_token });
    await callJson(`/workers/runs/${held[0].run_id}/start`, { ...inWs, body: {}, headers: lease(held[0]) }, 200);
    await callJson(`/workers/runs/${held[1].run_id}/start`, { ...inWs, body: {}, headers: lease(held[1]) }, 200);
    expect(await counted()).toEqual({ queued: 1, assigned: 1, running: 2 });
    await callJson(`/workers/runs/${held[0].run_id}/complete`, { ...inWs, body: { status: 'completed' }, headers: lease(held[0]) }, 200);
    await callJson(`/workers/runs/${held[1].run_id}/complete`, { ...inWs, body: { status: 'failed', error: 'boom' }, headers: lease(held[1]) }, 200);
    const queued = runs.find((r) => !held.some((h: { run_id: string }) => h.run_id === r.id))!;
    await callJson(`/runs/${queued.id}/cancel`, { ...inWs, method: 'POST' }, 200);
    await callJson(`/runs/${runs[0].id}/rerun`, { ...inWs, method: 'POST' }, 201);
    expect(await counted()).toEqual(await actual());
    expect(await counted()).toEqual({ queued: 1, assigned: 1, completed: 1, failed: 1, cancelled: 1 });
    // A run removed on its own (nothing in the API does it today) leaves the counts with it.
    await env.DB.prepare('DELETE FROM job_runs WHERE id = ?1').bind(held[0].run_id).run();
    expect(await counted()).toEqual({ queued: 1, assigned: 1, failed: 1, cancelled: 1 });

    expect((await call(`/workspaces/${ws.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM run_counts WHERE workspace_id = ?1').bind(ws.id).first('n')).toBe(0);
    expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM job_runs WHERE workspace_id = ?1').bind(ws.id).first('n')).toBe(0);
  });

  it('keeps its worker counts equal to the workers themselves as they come, change and go, and a deleted workspace takes them along', async () => {
    const slug = unique('fleet-counted');
    const ws = await callJson('/workspaces', { body: { name: `Team ${slug}`, slug } }, 201);
    const inWs = { workspace: ws.id };
    const counted = async () => (await callJson('/system/metrics', inWs, 200)).workers;
    const actual = async () => {
      const { results } = await env.DB.prepare('SELECT status, COUNT(*) AS n FROM workers WHERE workspace_id = ?1 GROUP BY status').bind(ws.id).all<{ status: string; n: number }>();
      return Object.fromEntries(results.map((r) => [r.status, r.n]));
    };
    const register = async (name: string) => (await callJson('/workers/register', { ...inWs, body: { name } }, 201)).id as string;
    const beat = (id: string, status: string) => callJson('/workers/heartbeat', { ...inWs, body: { worker_id: id, status } }, 200);

    const [a, b, c, d] = [await register('a'), await register('b'), await register('c'), await register('d')];
    expect(await counted()).toEqual({ online: 4 });
    // A worker holding a run is busy.
    await callJson('/runs', { ...inWs, body: { task_prompt: 'held' } }, 201);
    expect((await callJson('/workers/claim', { ...inWs, body: { worker_id: a, max_runs: 1, wait_seconds: 0 } }, 200)).runs).toHaveLength(1);
    await beat(b, 'draining');
    // A heartbeat in the status the worker already has changes no count.
    await beat(c, 'online');
    expect(await counted()).toEqual({ online: 2, busy: 1, draining: 1 });
    await callJson('/workers/deregister', { ...inWs, body: { worker_id: b } }, 200);
    // A worker silent for longer than the offline window is marked offline when the metrics are read.
    await env.DB.prepare("UPDATE workers SET last_heartbeat = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 hour') WHERE id = ?1").bind(d).run();
    expect(await counted()).toEqual({ online: 1, busy: 1, offline: 2 });
    expect(await counted()).toEqual(await actual());
    // A worker removed on its own (nothing in the API does it today) leaves the counts with it.
    await env.DB.prepare('DELETE FROM workers WHERE id = ?1').bind(a).run();
    expect(await counted()).toEqual({ online: 1, offline: 2 });

    expect((await call(`/workspaces/${ws.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM worker_counts WHERE workspace_id = ?1').bind(ws.id).first('n')).toBe(0);
    expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM workers WHERE workspace_id = ?1').bind(ws.id).first('n')).toBe(0);
  });

  it('lists the workspace\'s workers newest first and filters by status', async () => {
    await env.DB.prepare(
      "INSERT INTO workers (id, workspace_id, name, status, labels, created_at) VALUES ('wa', 'default', 'old', 'online', '{\"gpu\":\"true\"}', '2026-01-01T00:00:00.000Z'), ('wb', 'default', 'new', 'busy', '{}', '2026-01-02T00:00:00.000Z')",
    ).run();
    const all = await callJson<any[]>('/system/workers', {}, 200);
    const ids = all.map((w) => w.id);
    expect(ids.indexOf('wb')).toBeLessThan(ids.indexOf('wa'));
    expect(all.find((w) => w.id === 'wa')).toMatchObject({ name: 'old', status: 'online', labels: { gpu: 'true' }, current_run_id: null });
    const busy = await callJson<any[]>('/system/workers?status=busy', {}, 200);
    expect(busy.map((w) => w.id)).toEqual(['wb']);
  });

  it('lists the workers still in the fleet apart from the offline ones, however many went offline after them', async () => {
    const slug = unique('fleet');
    const ws = await callJson('/workspaces', { body: { name: `Team ${slug}`, slug } }, 201);
    const insert = env.DB.prepare("INSERT INTO workers (id, workspace_id, name, status, created_at) VALUES (?1, ?2, ?3, ?4, ?5)");
    // One long-lived worker, then 60 short-lived ones that came and went after it.
    await insert.bind(unique('w'), ws.id, 'long-lived', 'busy', '2026-01-01T00:00:00.000Z').run();
    await env.DB.batch(Array.from({ length: 60 }, (_, i) => insert.bind(unique('w'), ws.id, `gone-${i}`, 'offline', `2026-02-01T00:00:${String(i).padStart(2, '0')}.000Z`)));
    await insert.bind(unique('w'), ws.id, 'newer', 'online', '2026-03-01T00:00:00.000Z').run();
    const newest = await callJson<any[]>('/system/workers?limit=50', { workspace: ws.id }, 200);
    expect(newest.map((w) => w.name)).not.toContain('long-lived');
    // The newest first, either way.
    expect(newest[0].name).toBe('newer');

    const active = await callJson<any[]>('/system/workers?active=true', { workspace: ws.id }, 200);
    expect(active.map((w) => w.name)).toEqual(['newer', 'long-lived']);
    const offline = await call('/system/workers?active=false&limit=50', { workspace: ws.id });
    expect(((await offline.json()) as { status: string }[]).every((w) => w.status === 'offline')).toBe(true);
    expect(offline.headers.get('link')).toContain('rel="next"');
    const bad = await expectError(await call('/system/workers?active=yes', { workspace: ws.id }), 422, 'validation_failed');
    expect(bad.fields.map((f: { field: string }) => f.field)).toEqual(['active']);
  });

  it('lists the runs each worker holds', async () => {
    await env.DB.prepare("INSERT INTO workers (id, workspace_id, name, status, concurrency) VALUES ('wh', 'default', 'holder', 'busy', 2)").run();
    const a = await callJson('/runs', { body: { task_prompt: 'held a' } }, 201);
    const b = await callJson('/runs', { body: { task_prompt: 'held b' } }, 201);
    const done = await callJson('/runs', { body: { task_prompt: 'done' } }, 201);
    await env.DB.prepare("UPDATE job_runs SET worker_id = 'wh', status = CASE id WHEN ?3 THEN 'completed' WHEN ?1 THEN 'assigned' ELSE 'running' END WHERE id IN (?1, ?2, ?3)")
      .bind(a.id, b.id, done.id)
      .run();
    const holder = (await callJson<any[]>('/system/workers', {}, 200)).find((w) => w.id === 'wh');
    expect([...holder.run_ids].sort()).toEqual([a.id, b.id].sort());
  });

  it('counts runs created and ended per hour, empty hours included', async () => {
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    const created = await callJson('/runs', { body: { task_prompt: 'now' } }, 201);
    const failed = await callJson('/runs', { body: { task_prompt: 'an hour ago' } }, 201);
    await env.DB.prepare("UPDATE job_runs SET status = 'failed', created_at = ?2, completed_at = ?2 WHERE id = ?1").bind(failed.id, hourAgo).run();
    const before = await callJson<any[]>('/system/activity?hours=3', {}, 200);
    expect(before).toHaveLength(3);
    expect(before.map((h) => h.hour)).toEqual([...before.map((h) => h.hour)].sort());
    const [, previous, current] = before;
    expect(current.hour.slice(0, 13)).toBe(created.created_at.slice(0, 13));
    expect(previous.hour.slice(0, 13)).toBe(hourAgo.slice(0, 13));
    expect(current.created).toBeGreaterThanOrEqual(1);
    expect(previous.failed).toBeGreaterThanOrEqual(1);

    await callJson(`/runs/${created.id}/cancel`, { method: 'POST' }, 200);
    const after = await callJson<any[]>('/system/activity?hours=3', {}, 200);
    expect(after[2].cancelled).toBe(current.cancelled + 1);
    const bad = await call('/system/activity?hours=500');
    expect(bad.status).toBe(422);
    expect((await bad.json<any>()).fields[0].field).toBe('hours');
  });

  it('answers unknown API paths with a JSON 404', async () => {
    const res = await call('/typo');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'not_found' });
  });
});

describe('silent workers', () => {
  it('shows a worker that stopped calling as offline, with or without runs anywhere', async () => {
    const worker = await callJson<{ id: string }>('/workers/register', { body: { name: 'quiet', labels: {}, concurrency: 1 } }, 201);
    await env.DB.prepare(`UPDATE workers SET last_heartbeat = '2026-01-01T00:00:00.000Z' WHERE id = ?`).bind(worker.id).run();
    const listed = await callJson<any[]>('/system/workers');
    expect(listed.find((w) => w.id === worker.id)?.status).toBe('offline');
  });

});
