// Helpers for the queue's time rules, tested with real time passing and the Dispatcher's real alarms:
// this project runs with short settings (vitest.config.ts): a 5 s lease (1 s heartbeats, claims
// not started within 2 s go back), silent
// workers offline after 4 s, backstops 3 s past a timeout or cancel request, logs kept 3.5 s.
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import { callJson, unique } from '../helpers.ts';

export const LEASE_MS = 5_000;
export const HEARTBEAT_MS = 1_000;
/** How long a claimed run waits to be started: two heartbeat intervals. */
export const PICKUP_MS = 2 * HEARTBEAT_MS;
/** The reaper's alarm comes every 5 s, so a rule takes effect up to that long after it is due. */
export const REAP_INTERVAL_MS = 5_000;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it holds, failing after `timeoutMs`; answers how long it took. */
export async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await probe()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

/** A workspace of its own, so each test has its own Dispatcher and alarm chain. */
export async function freshWorkspace() {
  const slug = unique('time');
  const ws = await callJson<{ id: string }>('/workspaces', { body: { name: slug, slug } }, 201);
  const api = <T = any>(path: string, body?: unknown, expectStatus?: number) =>
    callJson<T>(path, { workspace: ws.id, ...(body === undefined ? {} : { body }) }, expectStatus);
  const register = async (name = 'w') => (await api<{ id: string }>('/workers/register', { name, labels: {}, concurrency: 4 }, 201)).id;
  const claimOne = async (workerId: string) => {
    const { runs } = await api<{ runs: { run_id: string; lease_token: string; attempt: number }[] }>('/workers/claim', { worker_id: workerId, max_runs: 1 }, 200);
    expect(runs).toHaveLength(1);
    return runs[0]!;
  };
  /** Claims one run and starts it, as a worker does before its agent begins. */
  const claimAndStart = async (workerId: string) => {
    const claimed = await claimOne(workerId);
    await callJson(`/workers/runs/${claimed.run_id}/start`, { workspace: ws.id, body: {}, headers: { 'x-lease-token': claimed.lease_token } }, 200);
    return claimed;
  };
  const heartbeat = (workerId: string, held: { run_id: string; lease_token: string }[]) =>
    api('/workers/heartbeat', { worker_id: workerId, runs: held.map((h) => ({ run_id: h.run_id, lease_token: h.lease_token })) }, 200);
  const run = (id: string) => api<{ status: string; attempt: number; worker_id: string | null; failure_reason: string | null }>(`/runs/${id}`);
  const dispatcher = env.DISPATCHER.get(env.DISPATCHER.idFromName(ws.id));
  return { id: ws.id, api, register, claimOne, claimAndStart, heartbeat, run, dispatcher };
}

/** Heartbeats for `held` every heartbeat interval until stopped, as a live worker does. */
export function keepAlive(heartbeat: () => Promise<unknown>) {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await heartbeat();
      await sleep(HEARTBEAT_MS);
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}
