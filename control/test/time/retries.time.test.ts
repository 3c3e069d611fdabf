// Retries with backoff, with real time passing: a retried run waits queued until its backoff has
// passed (a claim before then finds nothing, a parked claim is woken when it ends), each attempt keeps
// its own outcome, usage adds up, a cancel is never retried, and a lost worker is retried on the
// policy's schedule too.
import { describe, expect, it } from 'vitest';
import { call } from '../helpers.ts';
import { freshWorkspace, LEASE_MS, REAP_INTERVAL_MS, sleep, until } from './clock.ts';

const lease = (token: string) => ({ 'x-lease-token': token });
const policy = (on: string[], initial = 2) => ({ max_attempts: 3, on, backoff: { initial_seconds: initial, factor: 2, max_seconds: 60 } });

describe.concurrent('retries, as time passes', { timeout: 90_000 }, () => {
  it('retries a failed attempt after its backoff, doubling it each time, and ends failed after max_attempts', async () => {
    const ws = await freshWorkspace();
    const created = await ws.api('/runs', { task_prompt: 'flaky', retry: policy(['failed']) }, 201);
    const workerId = await ws.register();
    const usage = { input_tokens: 10, output_tokens: 5, total_tokens: 15, cost_usd: 0.01 };

    const first = await ws.claimOne(workerId);
    const done = await call(`/workers/runs/${created.id}/complete`, { workspace: ws.id, body: { status: 'failed', error: 'boom 1', usage }, headers: lease(first.lease_token) });
    const answer = (await done.json()) as { status: string; retry_at: string | null };
    expect(answer.status).toBe('failed');
    expect(answer.retry_at).not.toBeNull();
    const waiting = await ws.api(`/runs/${created.id}`);
    expect(waiting).toMatchObject({ status: 'queued', attempt: 1, waiting_reason: 'retry_backoff', total_tokens: 15 });
    const wait1 = Date.parse(waiting.available_at) - Date.parse(waiting.updated_at);
    expect(wait1).toBeGreaterThanOrEqual(1_900);
    expect(wait1).toBeLessThanOrEqual(2_100);

    // Before the backoff has passed, nothing is claimable; a parked claim is handed the run once it has.
    const early = await ws.api<{ runs: unknown[] }>('/workers/claim', { worker_id: workerId, max_runs: 1 }, 200);
    expect(early.runs).toEqual([]);
    const parkedAt = Date.now();
    const parked = await ws.api<{ runs: { run_id: string; lease_token: string; attempt: number }[] }>('/workers/claim', { worker_id: workerId, max_runs: 1, wait_seconds: 10 }, 200);
    const wokenAfter = Date.now() - parkedAt;
    expect(parked.runs.map((r) => r.run_id)).toEqual([created.id]);
    expect(parked.runs[0]!.attempt).toBe(2);
    expect(wokenAfter).toBeLessThan(8_000);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(answer.retry_at!));

    const second = parked.runs[0]!;
    await call(`/workers/runs/${created.id}/complete`, { workspace: ws.id, body: { status: 'failed', error: 'boom 2', usage }, headers: lease(second.lease_token) });
    const again = await ws.api(`/runs/${created.id}`);
    const wait2 = Date.parse(again.available_at) - Date.parse(again.updated_at);
    expect(wait2).toBeGreaterThanOrEqual(3_900);
    expect(wait2).toBeLessThanOrEqual(4_100);
    await sleep(1_000);
    expect((await ws.api<{ runs: unknown[] }>('/workers/claim', { worker_id: workerId, max_runs: 1 }, 200)).runs).toEqual([]);
    await until('the second backoff to pass', async () => Date.now() >= Date.parse(again.available_at), 5_000);
    const third = await ws.claimOne(workerId);
    expect(third.attempt).toBe(3);
    const last = await call(`/workers/runs/${created.id}/complete`, { workspace: ws.id, body: { status: 'failed', error: 'boom 3', usage }, headers: lease(third.lease_token) });
    expect(await last.json()).toEqual({ status: 'failed', retry_at: null });

    expect(await ws.run(created.id)).toMatchObject({ status: 'failed', attempt: 3, failure_reason: 'agent_failed' });
    expect(await ws.api(`/runs/${created.id}`)).toMatchObject({ total_tokens: 45, input_tokens: 30, cost_usd: 0.03, waiting_reason: null });
    const attempts = await ws.api<{ attempt: number; outcome: string; detail: string | null; worker_id: string }[]>(`/runs/${created.id}/attempts`);
    expect(attempts.map((a) => [a.attempt, a.outcome, a.detail])).toEqual([
      [1, 'failed', 'boom 1'],
      [2, 'failed', 'boom 2'],
      [3, 'failed', 'boom 3'],
    ]);
    const logs = await ws.api<{ line: string }[]>(`/runs/${created.id}/logs`);
    expect(logs.map((l) => l.line).join('\n')).toMatch(/attempt 1 failed; retrying in 2 s \(attempt 2 of 3\)[\s\S]*attempt 2 failed; retrying in 4 s \(attempt 3 of 3\)/);
  });

  it('retries only the outcomes the policy names, and never a cancel', async () => {
    const ws = await freshWorkspace();
    const workerId = await ws.register();
    const onTimeout = await ws.api('/runs', { task_prompt: 'retried on timeout only', retry: policy(['timeout'], 1) }, 201);
    const held = await ws.claimOne(workerId);
    await call(`/workers/runs/${onTimeout.id}/complete`, { workspace: ws.id, body: { status: 'failed' }, headers: lease(held.lease_token) });
    expect(await ws.run(onTimeout.id)).toMatchObject({ status: 'failed', attempt: 1 });

    const cancelled = await ws.api('/runs', { task_prompt: 'cancelled mid-run', retry: policy(['failed', 'timeout'], 1) }, 201);
    const taken = await ws.claimOne(workerId);
    await ws.api(`/runs/${cancelled.id}/cancel`, {}, 200);
    // The agent was killed by the cancel and its worker reports the attempt as failed: still cancelled.
    await call(`/workers/runs/${cancelled.id}/complete`, { workspace: ws.id, body: { status: 'failed' }, headers: lease(taken.lease_token) });
    await sleep(1_500);
    expect(await ws.run(cancelled.id)).toMatchObject({ status: 'cancelled', attempt: 1 });
    expect((await ws.api<{ runs: unknown[] }>('/workers/claim', { worker_id: workerId, max_runs: 1 }, 200)).runs).toEqual([]);
  });

  it("retries a lost worker's run on the policy's backoff, not at once", async () => {
    const ws = await freshWorkspace();
    const created = await ws.api('/runs', { task_prompt: 'outlives its worker', retry: policy(['worker_lost'], 4) }, 201);
    await ws.claimAndStart(await ws.register('lost'));

    await until('the lost run to be requeued', async () => (await ws.run(created.id)).status === 'queued', LEASE_MS + 2 * REAP_INTERVAL_MS + 2_000);
    const requeued = await ws.api(`/runs/${created.id}`);
    expect(requeued.waiting_reason).toBe('retry_backoff');
    expect(Date.parse(requeued.available_at) - Date.parse(requeued.updated_at)).toBeGreaterThanOrEqual(3_900);
    const other = await ws.register('other');
    expect((await ws.api<{ runs: unknown[] }>('/workers/claim', { worker_id: other, max_runs: 1 }, 200)).runs).toEqual([]);
    await until('the backoff to pass', async () => Date.now() >= Date.parse(requeued.available_at), 6_000);
    expect((await ws.claimOne(other)).attempt).toBe(2);
  });
});
