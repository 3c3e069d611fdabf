import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config.ts';
import { callJson } from './helpers.ts';

const masterKey = () => String(env.ORCH_MASTER_KEY);

describe('ORCH_LEASE_SECONDS', () => {
  it('defaults to a 60 s lease, heartbeats every 15 s, as register tells a worker', async () => {
    expect((await parseConfig({ ORCH_MASTER_KEY: masterKey() })).leaseSeconds).toBe(60);
    const registered = await callJson('/workers/register', { body: { name: 'timings' } }, 201);
    expect(registered).toMatchObject({ lease_seconds: 60, heartbeat_interval_seconds: 15 });
    // Claims and heartbeats repeat the interval, so running workers follow a changed lease length.
    const claimed = await callJson('/workers/claim', { body: { worker_id: registered.id } }, 200);
    expect(claimed.heartbeat_interval_seconds).toBe(15);
    const beat = await callJson('/workers/heartbeat', { body: { worker_id: registered.id, runs: [] } }, 200);
    expect(beat.heartbeat_interval_seconds).toBe(15);
  });

  it('takes a shorter lease, down to 5 s', async () => {
    expect((await parseConfig({ ORCH_MASTER_KEY: masterKey(), ORCH_LEASE_SECONDS: '6' })).leaseSeconds).toBe(6);
    expect((await parseConfig({ ORCH_MASTER_KEY: masterKey(), ORCH_LEASE_SECONDS: '5' })).leaseSeconds).toBe(5);
  });

  it('rejects a lease under 5 s or not a whole number, naming the variable', async () => {
    for (const bad of ['4', '7.5', 'soon']) {
      const err = await parseConfig({ ORCH_MASTER_KEY: masterKey(), ORCH_LEASE_SECONDS: bad }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).variable).toBe('ORCH_LEASE_SECONDS');
    }
  });
});
