// The original Flight Control worker's protocol: poll, heartbeat `{worker_id, status}`, and run calls
// without lease tokens, fenced by the worker's identity (its API key and worker id).
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, callJson, expectError, unique } from './helpers.ts';

/** A worker as the original registers one: `{name, labels}`, then polls with its id in the query. */
async function originalWorker(key: string) {
  const registered = await callJson<{ id: string; name: string }>('/workers/register', { key, body: { name: unique('py-worker'), labels: {} } }, 201);
  const id = registered.id;
  return {
    id,
    poll: () => callJson<any>(`/workers/poll?worker_id=${id}`, { key, method: 'POST' }, 200),
    heartbeat: () => callJson('/workers/heartbeat', { key, body: { worker_id: id, status: 'online' } }, 200),
    logs: (runId: string, lines: unknown[]) => call(`/workers/runs/${runId}/logs`, { key, body: { lines } }),
    upload: (runId: string, name: string, text: string) => {
      const form = new FormData();
      form.set('file', new File([text], name, { type: 'text/plain' }));
      return call(`/workers/runs/${runId}/artifacts`, { key, method: 'POST', form });
    },
    complete: (runId: string, body: unknown, workerId = id) => call(`/workers/runs/${runId}/complete?worker_id=${workerId}`, { key, body }),
  };
}

async function workerKey() {
  return (await callJson('/api-keys', { body: { name: unique('worker'), role: 'worker' } }, 201)).key as string;
}

async function drainQueue(key: string) {
  const w = await originalWorker(key);
  while ((await w.poll()) !== null);
}

const leaseOf = async (runId: string) =>
  (await env.DB.prepare(`SELECT (julianday(lease_expires_at) - julianday('now')) * 86400 AS left FROM job_runs WHERE id = ?1`).bind(runId).first<{ left: number }>())!.left;

describe('the original worker protocol', () => {
  it('runs a run end to end without lease tokens: poll, logs, artifact, complete; logs move it to running', async () => {
    const key = await workerKey();
    await drainQueue(key);
    await callJson('/credentials', { body: { name: unique('anthropic'), env_var: 'ANTHROPIC_API_KEY', value: 'sk-v1-secret' } }, 201).then((c) =>
      callJson('/runs', { body: { task_prompt: 'hello', env_vars: { FOO: 'bar' }, credential_ids: [c.name] } }, 201),
    );
    const w = await originalWorker(key);
    const job = await w.poll();
    expect(job).toMatchObject({ task_prompt: 'hello', env_vars: { FOO: 'bar' }, credentials: { ANTHROPIC_API_KEY: 'sk-v1-secret' }, skills: [], timeout_seconds: 1800 });
    expect(await callJson(`/runs/${job.run_id}`)).toMatchObject({ status: 'assigned', worker_id: w.id });
    // Nothing is said while the agent is quiet, so the lease is long, and the worker's calls renew it.
    expect(await leaseOf(job.run_id)).toBeGreaterThan(250);

    const appended = await w.logs(job.run_id, [
      { stream: 'stdout', line: 'started', sequence: 1 },
      { stream: 'event', line: '{"type":"message","text":"hi"}', sequence: 2 },
    ]);
    expect(appended.status).toBe(200);
    expect(await appended.json()).toMatchObject({ appended: 2 });
    expect(await callJson(`/runs/${job.run_id}`)).toMatchObject({ status: 'running' });
    expect((await w.logs(job.run_id, [{ stream: 'stderr', line: 'more', sequence: 3 }])).status).toBe(200);

    expect((await w.upload(job.run_id, 'run-output.log', '[stdout] started\n')).status).toBe(201);
    const done = await w.complete(job.run_id, { status: 'completed', result: null, exit_code: 0 });
    expect(done.status).toBe(200);
    expect(await done.json()).toEqual({ status: 'completed', retry_at: null });
    await w.heartbeat();

    const run = await callJson(`/runs/${job.run_id}`);
    expect(run).toMatchObject({ status: 'completed', exit_code: 0, failure_reason: null });
    expect(run.started_at).not.toBeNull();
    expect((await callJson<any[]>(`/runs/${job.run_id}/logs`)).map((l) => l.line)).toEqual(['started', '{"type":"message","text":"hi"}', 'more']);
    expect((await callJson<any[]>(`/runs/${job.run_id}/artifacts`)).map((a) => a.filename)).toEqual(['run-output.log']);
    const workers = await callJson<any[]>('/system/workers');
    expect(workers.find((x) => x.id === w.id)).toMatchObject({ status: 'online', current_run_id: null });
  });

  it('renews every run the worker holds with its heartbeat, but only the heartbeat of that worker\'s own key', async () => {
    const key = await workerKey();
    await drainQueue(key);
    const created = await callJson('/runs', { body: { task_prompt: 'renew me' } }, 201);
    const w = await originalWorker(key);
    expect((await w.poll()).run_id).toBe(created.id);
    await env.DB.prepare(`UPDATE job_runs SET lease_expires_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+10 seconds') WHERE id = ?1`).bind(created.id).run();
    await expectError(await call('/workers/heartbeat', { key: await workerKey(), body: { worker_id: w.id, status: 'online' } }), 404, 'worker_unknown');
    expect(await leaseOf(created.id)).toBeLessThan(11);
    await w.heartbeat();
    expect(await leaseOf(created.id)).toBeGreaterThan(250);
  });

  it('answers a stale holder 409 and never lets it overwrite the newer attempt', async () => {
    const key = await workerKey();
    await drainQueue(key);
    const created = await callJson('/runs', { body: { task_prompt: 'contested', max_attempts: 3 } }, 201);
    const stale = await originalWorker(key);
    expect((await stale.poll()).run_id).toBe(created.id);
    expect((await stale.logs(created.id, [{ stream: 'stdout', line: 'stale 1', sequence: 1 }])).status).toBe(200);

    // Its lease runs out (it went quiet too long); the run is requeued and a token worker takes it.
    await env.DB.prepare(`UPDATE job_runs SET lease_expires_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 seconds') WHERE id = ?1`).bind(created.id).run();
    const dispatcher = env.DISPATCHER.get(env.DISPATCHER.idFromName('default'));
    expect((await dispatcher.reap('default')).requeued.map((r) => r.id)).toContain(created.id);
    const freshKey = await workerKey();
    const fresh = await callJson<{ id: string }>('/workers/register', { key: freshKey, body: { name: 'fresh', labels: {} } }, 201);
    const [claimed] = (await callJson<{ runs: any[] }>('/workers/claim', { key: freshKey, body: { worker_id: fresh.id } }, 200)).runs;
    expect(claimed).toMatchObject({ run_id: created.id, attempt: 2 });

    await expectError(await stale.logs(created.id, [{ stream: 'stdout', line: 'stale 2', sequence: 2 }]), 409, 'lease_lost');
    await expectError(await stale.upload(created.id, 'run-output.log', 'stale'), 409, 'lease_lost');
    await expectError(await stale.complete(created.id, { status: 'failed', result: 'boom', exit_code: 1 }), 409, 'lease_lost');
    expect(await callJson(`/runs/${created.id}`)).toMatchObject({ status: 'assigned', worker_id: fresh.id, attempt: 2 });
    expect((await callJson<any[]>(`/runs/${created.id}/logs`)).map((l) => l.line)).not.toContain('stale 2');
    expect(await callJson<any[]>(`/runs/${created.id}/artifacts`)).toEqual([]);
  });

  it('fences by worker id where the call names one, and by key otherwise', async () => {
    const key = await workerKey();
    await drainQueue(key);
    const created = await callJson('/runs', { body: { task_prompt: 'mine' } }, 201);
    const holder = await originalWorker(key);
    const sibling = await originalWorker(key);
    const stranger = await originalWorker(await workerKey());
    expect((await holder.poll()).run_id).toBe(created.id);
    // Another key's worker can't write to it; a sibling on the same key can't complete it.
    await expectError(await stranger.logs(created.id, [{ stream: 'stdout', line: 'x', sequence: 1 }]), 409, 'lease_lost');
    await expectError(await stranger.complete(created.id, { status: 'completed' }), 409, 'lease_lost');
    const refused = await expectError(await sibling.complete(created.id, { status: 'completed' }), 409, 'lease_lost');
    expect(refused.detail).toBe(`No X-Lease-Token was sent, and worker '${sibling.id}' (of this API key) does not hold the run through /workers/poll`);
    // A person's key that merely belongs to the workspace is no holder either.
    await expectError(await call(`/workers/runs/${created.id}/complete?worker_id=${holder.id}`, { body: { status: 'completed' } }), 409, 'lease_lost');
    expect(await callJson(`/runs/${created.id}`)).toMatchObject({ status: 'assigned' });
    expect((await holder.complete(created.id, { status: 'failed', result: 'agent said no', exit_code: 1 })).status).toBe(200);
    expect(await callJson(`/runs/${created.id}`)).toMatchObject({ status: 'failed', failure_reason: 'agent_failed', exit_code: 1 });
  });

  it('hands a poll one run whatever the worker holds, as the original did (a claim is held to the concurrency)', async () => {
    const key = await workerKey();
    await drainQueue(key);
    const first = await callJson('/runs', { body: { task_prompt: 'one' } }, 201);
    const second = await callJson('/runs', { body: { task_prompt: 'two' } }, 201);
    // Registered without a concurrency, so 1; the original's worker never sends one.
    const w = await originalWorker(key);
    expect((await w.poll()).run_id).toBe(first.id);
    expect((await w.poll()).run_id).toBe(second.id);
  });

  it('keeps token fencing for runs claimed with claim: no token, no access, whoever asks', async () => {
    const key = await workerKey();
    await drainQueue(key);
    const created = await callJson('/runs', { body: { task_prompt: 'tokened' } }, 201);
    const w = await callJson<{ id: string }>('/workers/register', { key, body: { name: 'modern', labels: {} } }, 201);
    const [claimed] = (await callJson<{ runs: any[] }>('/workers/claim', { key, body: { worker_id: w.id } }, 200)).runs;
    expect(claimed.run_id).toBe(created.id);
    await expectError(await call(`/workers/runs/${created.id}/logs`, { key, body: { lines: [{ line: 'x', sequence: 1 }] } }), 409, 'lease_lost');
    await expectError(await call(`/workers/runs/${created.id}/complete?worker_id=${w.id}`, { key, body: { status: 'completed' } }), 409, 'lease_lost');
  });
});
