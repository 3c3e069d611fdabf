// The control plane's backstops for a worker that keeps its lease but does not act, and the offline
// mark for a silent worker, with real time passing between the reaper's alarms.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call } from '../helpers.ts';
import { freshWorkspace, keepAlive, REAP_INTERVAL_MS, sleep, until } from './clock.ts';

/** ORCH_BACKSTOP_GRACE_SECONDS and ORCH_WORKER_HEARTBEAT_TIMEOUT in this project (vitest.config.ts). */
const GRACE_MS = 3_000;
const OFFLINE_MS = 4_000;

const lease = (token: string) => ({ 'x-lease-token': token });

describe.concurrent('backstops, as time passes', { timeout: 90_000 }, () => {
  it('ends a run whose worker ignores a cancel, the grace after the request, as cancelled', async () => {
    const ws = await freshWorkspace();
    const created = await ws.api('/runs', { task_prompt: 'stubborn' }, 201);
    const workerId = await ws.register();
    const held = await ws.claimOne(workerId);
    await call(`/workers/runs/${created.id}/start`, { workspace: ws.id, method: 'POST', headers: lease(held.lease_token) });
    const stop = keepAlive(() => ws.heartbeat(workerId, [held]));
    try {
      await ws.api(`/runs/${created.id}/cancel`, {}, 200);
      await sleep(GRACE_MS - 1_000);
      expect(await ws.run(created.id)).toMatchObject({ status: 'running' });
      await until('the cancel backstop', async () => (await ws.run(created.id)).status === 'cancelled', 2 * REAP_INTERVAL_MS + 2_000);
      expect(await ws.run(created.id)).toMatchObject({ status: 'cancelled', failure_reason: 'cancelled_by_user' });
    } finally {
      await stop();
    }
  });

  it('ends a run still running the grace past its timeout as timeout, though its worker heartbeats', async () => {
    const ws = await freshWorkspace();
    const created = await ws.api('/runs', { task_prompt: 'endless', timeout_seconds: 1 }, 201);
    const workerId = await ws.register();
    const held = await ws.claimOne(workerId);
    await call(`/workers/runs/${created.id}/start`, { workspace: ws.id, method: 'POST', headers: lease(held.lease_token) });
    const stop = keepAlive(() => ws.heartbeat(workerId, [held]));
    try {
      const took = await until('the timeout backstop', async () => (await ws.run(created.id)).status === 'timeout', 1_000 + GRACE_MS + 2 * REAP_INTERVAL_MS + 2_000);
      expect(took).toBeGreaterThanOrEqual(1_000 + GRACE_MS - 1_000);
      expect(await ws.run(created.id)).toMatchObject({ status: 'timeout', failure_reason: 'timeout' });
      // The worker learns it has lost the run at its next heartbeat.
      const beat = await ws.heartbeat(workerId, [held]);
      expect(beat.lost).toEqual([created.id]);
    } finally {
      await stop();
    }
  });

  it('shows a worker that stopped calling as offline once the heartbeat timeout passes, without anyone asking', async () => {
    const ws = await freshWorkspace();
    await ws.api('/runs', { task_prompt: 'held elsewhere' }, 201);
    const busy = await ws.register('busy');
    const held = await ws.claimOne(busy);
    const quiet = await ws.register('quiet');
    const stop = keepAlive(() => ws.heartbeat(busy, [held]));
    // Read D1 directly: the fleet views mark silent workers themselves, which would prove nothing here.
    const status = async (id: string) => (await env.DB.prepare('SELECT status FROM workers WHERE id = ?1').bind(id).first<{ status: string }>())?.status;
    try {
      await sleep(OFFLINE_MS - 1_500);
      expect(await status(quiet)).toBe('online');
      await until('the quiet worker to be shown offline', async () => (await status(quiet)) === 'offline', 2 * REAP_INTERVAL_MS + 2_000);
      expect(await status(busy)).toBe('busy');
    } finally {
      await stop();
    }
  });
});
