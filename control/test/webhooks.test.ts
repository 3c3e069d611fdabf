// Webhooks as an admin manages them: the secret shown once, targets checked, admins only; and the
// deliveries each run and skipped schedule writes, with the run's public fields and never a secret.
// Sending, retries and signatures against a real receiver are in test/webhooks.test.ts.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { fireDue } from '../src/schedules/fire.ts';
import { call, callJson, expectError, unique, userWithKey } from './helpers.ts';

const lease = (token: string) => ({ 'x-lease-token': token });
// Never resolves, so deliveries stay on record as tried and failed without reaching anyone.
const TARGET = 'https://hooks.example.invalid/flight-control';

async function workspace() {
  const slug = unique('hooks');
  const ws = (await callJson<{ id: string }>('/workspaces', { body: { name: slug, slug } }, 201)).id;
  const api = <T = any>(path: string, init: { method?: string; body?: unknown; key?: string } = {}, status?: number) => callJson<T>(path, { workspace: ws, ...init }, status);
  return { ws, api };
}

describe('webhooks', () => {
  it('shows the signing secret once, on create and on rotation, and never in reads', async () => {
    const { api } = await workspace();
    const created = await api('/webhooks', { body: { url: TARGET, events: ['run.completed'], description: 'CI' } }, 201);
    expect(created).toMatchObject({ url: TARGET, events: ['run.completed'], description: 'CI', enabled: true });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const read = await api(`/webhooks/${created.id}`);
    expect(read).not.toHaveProperty('secret');
    expect(JSON.stringify(await api('/webhooks'))).not.toContain(created.secret);

    const rotated = await api(`/webhooks/${created.id}`, { method: 'PUT', body: { rotate_secret: true } }, 200);
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(created.secret);
    const renamed = await api(`/webhooks/${created.id}`, { method: 'PUT', body: { description: 'deploys' } }, 200);
    expect(renamed).not.toHaveProperty('secret');

    await api(`/webhooks/${created.id}`, { method: 'DELETE' }, 204);
    expect((await call(`/webhooks/${created.id}`)).status).toBe(404);
  });

  it('refuses loopback, private and internal targets (unless the server allows them), and bad fields, naming the field', async () => {
    const { ws } = await workspace();
    for (const url of ['http://127.0.0.1:9000/hook', 'http://localhost/hook', 'http://10.1.2.3/', 'http://192.168.0.10/', 'http://[::1]/', 'http://169.254.169.254/latest', 'http://metadata/', 'ftp://example.com/']) {
      const body = await expectError(await call('/webhooks', { workspace: ws, body: { url, events: ['run.failed'] } }), 422, 'validation_failed');
      expect(body.errors?.[0]?.field ?? body.detail, url).toMatch(/url/);
    }
    const events = await expectError(await call('/webhooks', { workspace: ws, body: { url: TARGET, events: ['run.exploded'] } }), 422, 'validation_failed');
    expect(JSON.stringify(events)).toContain('events');
    const empty = await expectError(await call('/webhooks', { workspace: ws, body: { url: TARGET, events: [] } }), 422, 'validation_failed');
    expect(JSON.stringify(empty)).toContain('events');
  });

  it('is for admins: members and viewers can neither read nor change webhooks', async () => {
    const { ws, api } = await workspace();
    const hook = await api('/webhooks', { body: { url: TARGET } }, 201);
    for (const role of ['member', 'viewer'] as const) {
      const { key } = await userWithKey(ws, role);
      expect((await call('/webhooks', { workspace: ws, key })).status).toBe(403);
      expect((await call(`/webhooks/${hook.id}/deliveries`, { workspace: ws, key })).status).toBe(403);
      expect((await call('/webhooks', { workspace: ws, key, body: { url: TARGET } })).status).toBe(403);
    }
    // Another workspace's admin does not see it.
    const other = await workspace();
    expect((await call(`/webhooks/${hook.id}`, { workspace: other.ws })).status).toBe(404);
  });

  it("records one delivery per event a webhook wants, as the run changes, with the run's public fields and never its env vars", async () => {
    const { ws, api } = await workspace();
    const all = await api('/webhooks', { body: { url: TARGET, events: ['run.queued', 'run.started', 'run.completed', 'run.failed', 'run.cancelled'] } }, 201);
    const endsOnly = await api('/webhooks', { body: { url: TARGET, events: ['run.completed'] } }, 201);
    const off = await api('/webhooks', { body: { url: TARGET, events: ['run.completed'], enabled: false } }, 201);

    const run = await api('/runs', { body: { name: 'nightly', task_prompt: 'report', env_vars: { SECRET_TOKEN: 'hunter2-value' } } }, 201);
    const workerKey = (await api('/api-keys', { body: { name: 'w', role: 'worker' } }, 201)).key as string;
    const worker = await callJson('/workers/register', { workspace: ws, key: workerKey, body: { name: 'w', labels: {}, concurrency: 1 } }, 201);
    const [claim] = (await callJson('/workers/claim', { workspace: ws, key: workerKey, body: { worker_id: worker.id } }, 200)).runs;
    await callJson(`/workers/runs/${run.id}/start`, { workspace: ws, key: workerKey, method: 'POST', headers: lease(claim.lease_token) }, 200);
    await callJson(`/workers/runs/${run.id}/complete`, { workspace: ws, key: workerKey, body: { status: 'completed', result: 'all good', exit_code: 0 }, headers: lease(claim.lease_token) }, 200);
    const cancelled = await api('/runs', { body: { task_prompt: 'never mind' } }, 201);
    await api(`/runs/${cancelled.id}/cancel`, { method: 'POST' }, 200);

    const deliveries = await api<any[]>(`/webhooks/${all.id}/deliveries`);
    const ofRun = deliveries.filter((d) => d.run_id === run.id).reverse();
    expect(ofRun.map((d) => d.event)).toEqual(['run.queued', 'run.started', 'run.completed']);
    expect(deliveries.filter((d) => d.run_id === cancelled.id).map((d) => d.event).reverse()).toEqual(['run.queued', 'run.cancelled']);
    const completed = ofRun[2];
    expect(completed.id).toMatch(/^msg_[0-9a-f]{24}$/);
    expect(completed.payload).toMatchObject({
      type: 'run.completed',
      data: { id: run.id, name: 'nightly', status: 'completed', result: 'all good', exit_code: 0, attempt: 1, task_prompt: 'report', workspace_id: ws },
      // The original's body, for receivers written for it.
      run_id: run.id,
      job_id: null,
      status: 'completed',
      exit_code: 0,
    });
    expect(typeof completed.payload.duration_seconds).toBe('number');
    expect(JSON.stringify(deliveries)).not.toContain('hunter2-value');
    expect(JSON.stringify(deliveries)).not.toContain('SECRET_TOKEN');

    expect((await api<any[]>(`/webhooks/${endsOnly.id}/deliveries`)).map((d) => [d.event, d.run_id])).toEqual([['run.completed', run.id]]);
    expect(await api<any[]>(`/webhooks/${off.id}/deliveries`)).toEqual([]);
  });

  it('tells of a skipped schedule fire, with the reason', async () => {
    const { ws, api } = await workspace();
    const hook = await api('/webhooks', { body: { url: TARGET, events: ['schedule.skipped'] } }, 201);
    const job = await api('/jobs', { body: { name: 'nightly', task_prompt: 'report' } }, 201);
    const schedule = await api('/schedules', { body: { job_definition_id: job.id, cron_expression: '* * * * *', overlap: 'skip' } }, 201);
    const first = await api(`/schedules/${schedule.id}/run`, { method: 'POST' }, 201);
    await env.DB.prepare('UPDATE schedules SET next_run_at = ?1 WHERE id = ?2').bind(new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString(), schedule.id).run();
    expect((await fireDue(env, ws)).skipped).toHaveLength(1);

    const [delivery] = await api<any[]>(`/webhooks/${hook.id}/deliveries`);
    expect(delivery).toMatchObject({ event: 'schedule.skipped', run_id: null, payload: { type: 'schedule.skipped', data: { schedule_id: schedule.id, job_definition_id: job.id, previous_run_id: first.id } } });
    expect(delivery.payload.data.reason).toContain('overlap is skip');
  });

  it('records every try of a delivery that cannot reach its target, and redelivers on request', async () => {
    const { api } = await workspace();
    const hook = await api('/webhooks', { body: { url: TARGET, events: ['run.queued'] } }, 201);
    await api('/runs', { body: { task_prompt: 'noticed' } }, 201);
    const tried = async () => {
      for (let i = 0; i < 100; i++) {
        const [d] = await api<any[]>(`/webhooks/${hook.id}/deliveries`);
        if (d?.tries.length > 0) return d;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('the delivery was never tried');
    };
    const delivery = await tried();
    expect(delivery).toMatchObject({ status: 'pending', attempts: 1 });
    expect(delivery.tries[0]).toMatchObject({ attempt: 1, status_code: null, error: expect.any(String) });
    expect(Date.parse(delivery.next_attempt_at)).toBeGreaterThan(Date.now());

    const again = await api(`/webhooks/${hook.id}/deliveries/${delivery.id}/redeliver`, { method: 'POST' }, 202);
    expect(again).toMatchObject({ id: delivery.id, status: 'pending' });
    expect(Date.parse(again.next_attempt_at)).toBeLessThanOrEqual(Date.now() + 1_000);
    expect((await call(`/webhooks/${hook.id}/deliveries/msg_nope/redeliver`, { method: 'POST', workspace: (await api('/users/me')).workspace_id })).status).toBe(404);
  });
});
