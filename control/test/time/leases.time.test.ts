// Lease expiry, the reaper's alarm chain, and its behaviour after the control plane was away, with
// real time passing between alarms.
import { createExecutionContext, createScheduledController, runInDurableObject, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../../src/index.ts';
import { MAX_UNSTARTED_CLAIMS } from '../../src/queue/transitions.ts';
import { call } from '../helpers.ts';
import { freshWorkspace, HEARTBEAT_MS, keepAlive, LEASE_MS, PICKUP_MS, REAP_INTERVAL_MS, sleep, until } from './clock.ts';

const lease = (token: string) => ({ 'x-lease-token': token });

describe.concurrent('leases, as time passes', { timeout: 90_000 }, () => {
  it('requeues the run of a worker that went silent once its lease runs out, and fails it with worker_lost past max_attempts', async () => {
    const ws = await freshWorkspace();
    const created = await ws.api('/runs', { task_prompt: 'fragile', max_attempts: 2 }, 201);
    const first = await ws.claimAndStart(await ws.register('first'));

    const requeuedAfter = await until('the lost run to be requeued', async () => (await ws.run(created.id)).status === 'queued', LEASE_MS + 2 * REAP_INTERVAL_MS + 2_000);
    expect(requeuedAfter).toBeGreaterThanOrEqual(LEASE_MS - 500);
    // The lost worker's lease no longer works.
    const late = await call(`/workers/runs/${created.id}/complete`, { workspace: ws.id, body: { status: 'completed' }, headers: lease(first.lease_token) });
    expect(late.status).toBe(409);

    const second = await ws.claimAndStart(await ws.register('second'));
    expect(second.attempt).toBe(2);
    await until('the run to fail past max_attempts', async () => (await ws.run(created.id)).status === 'failed', LEASE_MS + 2 * REAP_INTERVAL_MS + 2_000);
    expect(await ws.run(created.id)).toMatchObject({ status: 'failed', failure_reason: 'worker_lost', attempt: 2 });
    const logs = await ws.api<any[]>(`/runs/${created.id}/logs`);
    expect(logs.map((l) => l.line).join('\n')).toContain('requeued for attempt 2');
    const attempts = await env.DB.prepare('SELECT attempt, outcome FROM run_attempts WHERE run_id = ?1 ORDER BY attempt').bind(created.id).all();
    expect(attempts.results).toEqual([
      { attempt: 1, outcome: 'worker_lost' },
      { attempt: 2, outcome: 'worker_lost' },
    ]);
  });

  it('puts a claimed run nobody starts back in the queue after two heartbeat intervals, the attempt uncounted', async () => {
    const ws = await freshWorkspace();
    const created = await ws.api('/runs', { task_prompt: 'claimed by a worker that died at once', max_attempts: 1 }, 201);
    const dead = await ws.claimOne(await ws.register('dead'));
    expect(dead.attempt).toBe(1);

    const backAfter = await until('the unstarted run to be back in the queue', async () => (await ws.run(created.id)).status === 'queued', PICKUP_MS + 2 * REAP_INTERVAL_MS + 2_000);
    expect(backAfter).toBeGreaterThanOrEqual(PICKUP_MS - 500);
    expect(await ws.run(created.id)).toMatchObject({ status: 'queued', attempt: 0, worker_id: null });
    // The claim no longer works, and the attempt left no record.
    const late = await call(`/workers/runs/${created.id}/start`, { workspace: ws.id, body: {}, headers: lease(dead.lease_token) });
    expect(late.status).toBe(409);
    expect((await env.DB.prepare('SELECT COUNT(*) AS n FROM run_attempts WHERE run_id = ?1').bind(created.id).first<{ n: number }>())?.n).toBe(0);
    const logs = await ws.api<any[]>(`/runs/${created.id}/logs`);
    expect(logs.map((l) => l.line).join('\n')).toContain('never started it; run back in the queue');

    // With max_attempts 1 the run still gets its one attempt: a claim holds it for the pickup window,
    // its start for a whole lease.
    const leaseLeftMs = async () =>
      (await env.DB.prepare(`SELECT (julianday(lease_expires_at) - julianday('now')) * 86400000 AS ms FROM job_runs WHERE id = ?1`).bind(created.id).first<{ ms: number }>())!.ms;
    const unstartedClaims = async () => (await env.DB.prepare('SELECT unstarted_claims AS n FROM job_runs WHERE id = ?1').bind(created.id).first<{ n: number }>())!.n;
    const live = await ws.claimOne(await ws.register('live'));
    expect(live.attempt).toBe(1);
    expect(await leaseLeftMs()).toBeLessThanOrEqual(PICKUP_MS);
    expect(await unstartedClaims()).toBe(1);
    expect((await call(`/workers/runs/${created.id}/start`, { workspace: ws.id, body: {}, headers: lease(live.lease_token) })).status).toBe(200);
    // Started, the run has shown that workers can start it: the claims left unstarted count afresh.
    expect(await unstartedClaims()).toBe(0);
    expect(await leaseLeftMs()).toBeGreaterThan(LEASE_MS - 1_000);
    expect(await ws.run(created.id)).toMatchObject({ status: 'running', attempt: 1 });
  });

  it(`fails a run that ${MAX_UNSTARTED_CLAIMS} claims in a row left unstarted, instead of putting it back for ever`, async () => {
    const ws = await freshWorkspace();
    const created = await ws.api('/runs', { task_prompt: 'every worker that takes it dies at once' }, 201);
    for (let claim = 1; claim <= MAX_UNSTARTED_CLAIMS; claim++) {
      const dies = await ws.claimOne(await ws.register(`dies ${claim}`));
      expect(dies.attempt).toBe(1);
      const next = claim < MAX_UNSTARTED_CLAIMS ? 'queued' : 'failed';
      await until(`claim ${claim} to run out, the run ${next}`, async () => (await ws.run(created.id)).status === next, PICKUP_MS + 2 * REAP_INTERVAL_MS + 2_000);
    }
    expect(await ws.run(created.id)).toMatchObject({
      status: 'failed',
      failure_reason: 'never_started',
      attempt: 0,
      result: `claimed ${MAX_UNSTARTED_CLAIMS} times by workers that never started it`,
    });
    const logs = (await ws.api<any[]>(`/runs/${created.id}/logs`)).map((l) => l.line).join('\n');
    expect(logs.split('never started it; run back in the queue').length - 1).toBe(MAX_UNSTARTED_CLAIMS - 1);
    expect(logs).toContain(`the run was claimed ${MAX_UNSTARTED_CLAIMS} times and never started; run failed`);
    // It is over: the next worker finds nothing to claim.
    const { runs } = await ws.api<{ runs: unknown[] }>('/workers/claim', { worker_id: await ws.register('next'), max_runs: 1 }, 200);
    expect(runs).toEqual([]);
  });

  it('leaves a run alone for as long as its worker heartbeats, however many leases that outlasts', async () => {
    const ws = await freshWorkspace();
    const created = await ws.api('/runs', { task_prompt: 'long and healthy' }, 201);
    const workerId = await ws.register();
    const held = await ws.claimOne(workerId);
    const stop = keepAlive(() => ws.heartbeat(workerId, [held]));
    await sleep(3 * LEASE_MS);
    await stop();
    expect(await ws.run(created.id)).toMatchObject({ status: 'assigned', attempt: 1, worker_id: workerId });
  });

  it('after the control plane was away, gives live workers a heartbeat to renew leases that ran out meanwhile, then reaps as usual', async () => {
    const ws = await freshWorkspace();
    const created = await ws.api('/runs', { task_prompt: 'outlives an outage' }, 201);
    const workerId = await ws.register();
    const held = await ws.claimOne(workerId);
    // The Dispatcher is frozen for longer than the lease: its alarm can't run, nobody renews meanwhile.
    await runInDurableObject(ws.dispatcher, (_instance, state) => state.blockConcurrencyWhile(() => sleep(LEASE_MS + 3_000)));
    // The worker was alive all along and renews at its next heartbeat, up to an interval later.
    await sleep(HEARTBEAT_MS);
    const stop = keepAlive(() => ws.heartbeat(workerId, [held]));
    await sleep(2 * REAP_INTERVAL_MS);
    expect(await ws.run(created.id)).toMatchObject({ status: 'assigned', attempt: 1 });
    await stop();

    // Later the worker dies: the reaper still runs, and takes the run at the end of its lease.
    const reapedAfter = await until('the dead worker\'s run to be requeued', async () => (await ws.run(created.id)).status === 'queued', LEASE_MS + 3 * REAP_INTERVAL_MS);
    expect(reapedAfter).toBeGreaterThanOrEqual(LEASE_MS - HEARTBEAT_MS - 500);
  });

  it('the once-a-minute cron puts back an alarm that was lost, and the reaper then does its work', async () => {
    const ws = await freshWorkspace();
    const created = await ws.api('/runs', { task_prompt: 'orphaned' }, 201);
    await ws.claimOne(await ws.register());
    await runInDurableObject(ws.dispatcher, (_instance, state) => state.storage.deleteAlarm());
    await sleep(LEASE_MS + REAP_INTERVAL_MS);
    // Without an alarm nothing reaps, however long it waits.
    expect(await ws.run(created.id)).toMatchObject({ status: 'assigned' });

    const ctx = createExecutionContext();
    await worker.scheduled!(createScheduledController({ scheduledTime: Date.now(), cron: '* * * * *' }), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(await runInDurableObject(ws.dispatcher, (_instance, state) => state.storage.getAlarm())).not.toBeNull();
    await until('the orphaned run to be requeued', async () => (await ws.run(created.id)).status === 'queued', HEARTBEAT_MS + 3 * REAP_INTERVAL_MS);
  });

  it('ends the alarm chain when nothing is held, and a claim starts it again', async () => {
    const ws = await freshWorkspace();
    const created = await ws.api('/runs', { task_prompt: 'short' }, 201);
    const held = await ws.claimOne(await ws.register());
    await call(`/workers/runs/${created.id}/complete`, { workspace: ws.id, body: { status: 'completed' }, headers: lease(held.lease_token) });
    await until('the alarm chain to end', async () => (await runInDurableObject(ws.dispatcher, (_i, state) => state.storage.getAlarm())) === null, 2 * REAP_INTERVAL_MS);
    const next = await ws.api('/runs', { task_prompt: 'next' }, 201);
    await ws.claimOne(await ws.register());
    expect(await runInDurableObject(ws.dispatcher, (_i, state) => state.storage.getAlarm())).not.toBeNull();
    await until('the next run to be reaped', async () => (await ws.run(next.id)).status === 'queued', LEASE_MS + 3 * REAP_INTERVAL_MS);
  });
});
