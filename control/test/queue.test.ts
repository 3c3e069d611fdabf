import { describe, expect, it } from 'vitest';
import { call, callJson } from './helpers.ts';
import { MAX_UNSTARTED_CLAIMS } from '../src/queue/transitions.ts';

async function register(labels: Record<string, string> = {}, concurrency = 1) {
  return callJson<{ id: string }>('/workers/register', { body: { name: 'w', labels, concurrency } }, 201);
}

async function claim(workerId: string, max = 1, wait = 0) {
  return callJson<{ runs: any[] }>('/workers/claim', { body: { worker_id: workerId, max_runs: max, wait_seconds: wait } }, 200);
}

const lease = (token: string) => ({ 'x-lease-token': token });

async function drainQueue() {
  // Each worker takes at most its concurrency; a fresh one for each claim until none is left.
  while ((await claim((await register({}, 64)).id, 64)).runs.length > 0);
}

describe('the queue', () => {
  it('hands a run to exactly one worker, then runs it to completion', async () => {
    await drainQueue();
    const run = await callJson('/runs', { body: { task_prompt: 'do it', env_vars: { A: '1' } } }, 201);
    const [w1, w2] = [await register(), await register()];
    const [c1, c2] = await Promise.all([claim(w1.id), claim(w2.id)]);
    const all = [...c1.runs, ...c2.runs];
    expect(all).toHaveLength(1);
    const claimed = all[0];
    expect(claimed).toMatchObject({ run_id: run.id, attempt: 1, task_prompt: 'do it', env_vars: { A: '1' }, credentials: {} });
    const holder = c1.runs.length ? w1 : w2;
    expect(await callJson(`/runs/${run.id}`)).toMatchObject({ status: 'assigned', worker_id: holder.id });

    await callJson(`/workers/runs/${run.id}/start`, { headers: lease(claimed.lease_token), method: 'POST' }, 200);
    expect((await callJson(`/runs/${run.id}`)).status).toBe('running');

    const lines = [1, 2, 3].map((n) => ({ stream: 'stdout', line: `line ${n}`, sequence: n }));
    expect(await callJson(`/workers/runs/${run.id}/logs`, { body: { lines }, headers: lease(claimed.lease_token) }, 200)).toMatchObject({ appended: 3 });
    // A retried batch is stored once.
    expect(await callJson(`/workers/runs/${run.id}/logs`, { body: { lines }, headers: lease(claimed.lease_token) }, 200)).toMatchObject({ appended: 0 });

    const done = await callJson(
      `/workers/runs/${run.id}/complete`,
      { body: { status: 'completed', result: 'all done', exit_code: 0, usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15, cost_usd: 0.002 } }, headers: lease(claimed.lease_token) },
      200,
    );
    expect(done).toEqual({ status: 'completed', retry_at: null });
    const final = await callJson(`/runs/${run.id}`);
    expect(final).toMatchObject({ status: 'completed', result: 'all done', exit_code: 0, total_tokens: 15, cost_usd: 0.002, failure_reason: null });
    expect(final.started_at).not.toBeNull();
    expect(final.completed_at).not.toBeNull();
    const logs = await callJson<any[]>(`/runs/${run.id}/logs`);
    expect(logs.map((l) => l.line)).toEqual(['line 1', 'line 2', 'line 3']);
  });

  it('fences a stale lease with 409', async () => {
    await drainQueue();
    const run = await callJson('/runs', { body: { task_prompt: 'fenced' } }, 201);
    const w = await register();
    const [claimed] = (await claim(w.id)).runs;
    for (const path of ['start', 'complete', 'logs']) {
      const body = path === 'complete' ? { status: 'completed' } : path === 'logs' ? { lines: [{ line: 'x', sequence: 1 }] } : undefined;
      const res = await call(`/workers/runs/${run.id}/${path}`, { method: 'POST', body, headers: lease('not-the-token') });
      expect(res.status, path).toBe(409);
      expect((await res.json<any>()).code).toBe('lease_lost');
    }
    await callJson(`/workers/runs/${run.id}/complete`, { body: { status: 'failed', result: 'boom' }, headers: lease(claimed.lease_token) }, 200);
    const again = await call(`/workers/runs/${run.id}/complete`, { body: { status: 'completed' }, headers: lease(claimed.lease_token) });
    expect(again.status).toBe(409);
    expect(await callJson(`/runs/${run.id}`)).toMatchObject({ status: 'failed', failure_reason: 'agent_failed' });
  });

  it('answers a complete sent again, as a worker does when the first answer was lost, with what was recorded, and changes nothing', async () => {
    await drainQueue();
    const run = await callJson('/runs', { body: { task_prompt: 'retried complete' } }, 201);
    const [claimed] = (await claim((await register()).id)).runs;
    const done = { status: 'completed', result: 'first', usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 } };
    expect(await callJson(`/workers/runs/${run.id}/complete`, { body: done, headers: lease(claimed.lease_token) }, 200)).toEqual({ status: 'completed', retry_at: null });
    const recorded = await callJson(`/runs/${run.id}`);
    expect(await callJson(`/workers/runs/${run.id}/complete`, { body: { ...done, result: 'second' }, headers: lease(claimed.lease_token) }, 200)).toEqual({ status: 'completed', retry_at: null });
    // The usage is not counted twice, nor the result overwritten.
    expect(await callJson(`/runs/${run.id}`)).toEqual(recorded);
    expect(recorded).toMatchObject({ result: 'first', total_tokens: 15 });

    // A failure its retry policy retries: the repeat is told when the next attempt may start.
    const retried = await callJson('/runs', { body: { task_prompt: 'retried failure', retry: { max_attempts: 2, backoff: { initial_seconds: 600 } } } }, 201);
    const [first] = (await claim((await register()).id)).runs;
    const failed = await callJson(`/workers/runs/${retried.id}/complete`, { body: { status: 'failed', error: 'boom' }, headers: lease(first.lease_token) }, 200);
    expect(failed).toEqual({ status: 'failed', retry_at: expect.any(String) });
    expect(await callJson(`/workers/runs/${retried.id}/complete`, { body: { status: 'failed', error: 'boom' }, headers: lease(first.lease_token) }, 200)).toEqual(failed);
    expect(await callJson(`/runs/${retried.id}`)).toMatchObject({ status: 'queued', attempt: 1 });
  });

  it('shows a deregistered worker offline at once and puts a run it still held back in the queue', async () => {
    await drainQueue();
    const run = await callJson('/runs', { body: { task_prompt: 'left behind' } }, 201);
    const w = await register();
    const [claimed] = (await claim(w.id)).runs;
    await callJson(`/workers/runs/${run.id}/start`, { headers: lease(claimed.lease_token), method: 'POST' }, 200);

    expect(await callJson(`/workers/deregister`, { body: { worker_id: w.id } }, 200)).toEqual({ status: 'offline', released: 1 });

    const workers = await callJson<any[]>('/system/workers');
    expect(workers.find((x) => x.id === w.id)).toMatchObject({ status: 'offline', current_run_id: null });
    expect(await callJson(`/runs/${run.id}`)).toMatchObject({ status: 'queued', worker_id: null, attempt: 1 });
    const again = await register();
    expect((await claim(again.id)).runs).toMatchObject([{ run_id: run.id, attempt: 2 }]);
    // The old worker's lease is fenced off.
    expect((await call(`/workers/runs/${run.id}/complete`, { body: { status: 'completed' }, headers: lease(claimed.lease_token) })).status).toBe(409);
  });

  it(`never fails a run for the claims of workers that left the fleet before starting it, however many (MAX_UNSTARTED_CLAIMS is ${MAX_UNSTARTED_CLAIMS})`, async () => {
    await drainQueue();
    const run = await callJson('/runs', { body: { task_prompt: 'handed back again and again' } }, 201);
    for (let i = 0; i <= MAX_UNSTARTED_CLAIMS; i++) {
      const w = await register();
      expect((await claim(w.id)).runs).toMatchObject([{ run_id: run.id, attempt: 1 }]);
      expect(await callJson(`/workers/deregister`, { body: { worker_id: w.id } }, 200)).toEqual({ status: 'offline', released: 1 });
      expect(await callJson(`/runs/${run.id}`)).toMatchObject({ status: 'queued', attempt: 0 });
    }
  });

  it('answers 404 worker_unknown to deregistering a worker it does not know', async () => {
    const res = await call('/workers/deregister', { body: { worker_id: 'nobody' } });
    expect(res.status).toBe(404);
    expect((await res.json<any>()).code).toBe('worker_unknown');
  });

  it('routes by labels: a run goes only to a worker having all its required labels', async () => {
    await drainQueue();
    const gpuRun = await callJson('/runs', { body: { task_prompt: 'gpu', required_labels: { gpu: 'true' } } }, 201);
    const plain = await register({ gpu: 'false' });
    expect((await claim(plain.id)).runs).toEqual([]);
    const gpu = await register({ gpu: 'true', zone: 'eu' });
    expect((await claim(gpu.id)).runs.map((r) => r.run_id)).toEqual([gpuRun.id]);
  });

  it('serves higher priority first, then oldest first, up to the free slots', async () => {
    await drainQueue();
    const low = await callJson('/runs', { body: { task_prompt: 'low', priority: -1 } }, 201);
    const first = await callJson('/runs', { body: { task_prompt: 'first' } }, 201);
    const second = await callJson('/runs', { body: { task_prompt: 'second' } }, 201);
    const urgent = await callJson('/runs', { body: { task_prompt: 'urgent', priority: 5 } }, 201);
    const w = await register({}, 3);
    expect((await claim(w.id, 3)).runs.map((r) => r.run_id)).toEqual([urgent.id, first.id, second.id]);
    expect((await claim((await register({}, 3)).id, 3)).runs.map((r) => r.run_id)).toEqual([low.id]);
  });

  it('hands a worker no more runs than its registered concurrency leaves free, whatever it asks for', async () => {
    await drainQueue();
    const runs = [];
    for (let i = 0; i < 5; i++) runs.push(await callJson('/runs', { body: { task_prompt: `slot ${i}` } }, 201));
    const w = await register({}, 2);
    const held = (await claim(w.id, 10)).runs;
    expect(held).toHaveLength(2);
    expect((await claim(w.id, 10)).runs).toEqual([]);
    // A slot freed by a finished run is filled by the next claim, and only that one.
    await callJson(`/workers/runs/${held[0].run_id}/complete`, { body: { status: 'completed' }, headers: lease(held[0].lease_token) }, 200);
    expect((await claim(w.id, 10)).runs).toHaveLength(1);
    // Another worker takes what is left.
    expect((await claim((await register({}, 8)).id, 8)).runs).toHaveLength(2);
  });

  it('wakes a parked claim as soon as a run is queued', async () => {
    await drainQueue();
    const w = await register();
    const started = Date.now();
    const parked = claim(w.id, 1, 10);
    await new Promise((r) => setTimeout(r, 200));
    const run = await callJson('/runs', { body: { task_prompt: 'wake up' } }, 201);
    const result = await parked;
    expect(result.runs.map((r) => r.run_id)).toEqual([run.id]);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('ends a worker\'s parked claim empty-handed when it deregisters, so no run is claimed for a worker that left', async () => {
    await drainQueue();
    const w = await register();
    const started = Date.now();
    const parked = claim(w.id, 1, 20);
    await new Promise((r) => setTimeout(r, 200));
    await callJson('/workers/deregister', { body: { worker_id: w.id } }, 200);
    expect((await parked).runs).toEqual([]);
    expect(Date.now() - started).toBeLessThan(10_000);
    const run = await callJson('/runs', { body: { task_prompt: 'for a worker still here' } }, 201);
    await new Promise((r) => setTimeout(r, 200));
    expect(await callJson(`/runs/${run.id}`)).toMatchObject({ status: 'queued', worker_id: null, attempt: 0 });
  });

  it('keeps one parked claim per worker: a new claim ends the one the worker gave up, and gets the next run', async () => {
    await drainQueue();
    const w = await register();
    const started = Date.now();
    const abandoned = claim(w.id, 1, 20);
    await new Promise((r) => setTimeout(r, 200));
    const current = claim(w.id, 1, 20);
    expect((await abandoned).runs).toEqual([]);
    expect(Date.now() - started).toBeLessThan(10_000);
    const run = await callJson('/runs', { body: { task_prompt: 'for the claim that is listening' } }, 201);
    expect((await current).runs.map((r) => r.run_id)).toEqual([run.id]);
  });

  it('delivers the decrypted credentials named by the run, only in the claim', async () => {
    await drainQueue();
    await callJson('/credentials', { body: { name: 'openai', env_var: 'OPENAI_API_KEY', value: 'sk-claim-secret' } }, 201);
    const run = await callJson('/runs', { body: { task_prompt: 'with secret', credential_ids: ['openai'] } }, 201);
    expect(JSON.stringify(run)).not.toContain('sk-claim-secret');
    const w = await register();
    const [claimed] = (await claim(w.id)).runs;
    expect(claimed).toMatchObject({ run_id: run.id, credentials: { OPENAI_API_KEY: 'sk-claim-secret' } });
  });

  it('fails, rather than sends, a run whose credential was deleted after it was queued', async () => {
    await drainQueue();
    const cred = await callJson('/credentials', { body: { name: 'gone', env_var: 'GONE_KEY', value: 'v-123456' } }, 201);
    const run = await callJson('/runs', { body: { task_prompt: 'x', credential_ids: ['gone'] } }, 201);
    await callJson(`/credentials/${cred.id}`, { method: 'DELETE' }, 204);
    const w = await register();
    expect((await claim(w.id)).runs).toEqual([]);
    expect(await callJson(`/runs/${run.id}`)).toMatchObject({ status: 'failed', failure_reason: 'credential_missing' });
  });

  it('heartbeats renew held leases and report lost and cancelled runs', async () => {
    await drainQueue();
    const a = await callJson('/runs', { body: { task_prompt: 'a' } }, 201);
    const b = await callJson('/runs', { body: { task_prompt: 'b' } }, 201);
    const w = await register({}, 2);
    const claimed = (await claim(w.id, 2)).runs;
    const held = claimed.map((r) => ({ run_id: r.run_id, lease_token: r.lease_token }));
    await callJson(`/runs/${a.id}/cancel`, { method: 'POST' }, 200);
    const beat = await callJson('/workers/heartbeat', { body: { worker_id: w.id, runs: [...held, { run_id: 'ffffffffffff', lease_token: 'x' }] } }, 200);
    expect(beat.leases.map((l: any) => l.run_id).sort()).toEqual([a.id, b.id].sort());
    expect(beat.cancel).toEqual([a.id]);
    expect(beat.lost).toEqual(['ffffffffffff']);
    const workers = await callJson<any[]>('/system/workers');
    expect(workers.find((x) => x.id === w.id)).toMatchObject({ status: 'busy' });
  });

  it('delivers a cancel to the worker\'s parked signal request at once', async () => {
    await drainQueue();
    const run = await callJson('/runs', { body: { task_prompt: 'long' } }, 201);
    const w = await register();
    const [claimed] = (await claim(w.id)).runs;
    await callJson(`/workers/runs/${run.id}/start`, { method: 'POST', headers: lease(claimed.lease_token) }, 200);
    const started = Date.now();
    const signal = callJson(`/workers/signals?worker_id=${w.id}&wait_seconds=10`);
    await new Promise((r) => setTimeout(r, 200));
    await callJson(`/runs/${run.id}/cancel`, { method: 'POST' }, 200);
    expect(await signal).toEqual({ cancel: [run.id] });
    expect(Date.now() - started).toBeLessThan(5000);
    // Whatever the worker reports, the cancel wins.
    await callJson(`/workers/runs/${run.id}/complete`, { body: { status: 'completed', result: 'finished anyway' }, headers: lease(claimed.lease_token) }, 200);
    expect(await callJson(`/runs/${run.id}`)).toMatchObject({ status: 'cancelled', failure_reason: 'cancelled_by_user' });
  });

  it('answers an unknown worker with 404 worker_unknown so it registers again', async () => {
    const res = await call('/workers/claim', { body: { worker_id: 'nobody' } });
    expect(res.status).toBe(404);
    expect((await res.json<any>()).code).toBe('worker_unknown');
    expect((await call('/workers/heartbeat', { body: { worker_id: 'nobody' } })).status).toBe(404);
  });
});
