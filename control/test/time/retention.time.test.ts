// A finished run's log is deleted when the retention period ends (about 3.5 s in this project).
import { describe, expect, it } from 'vitest';
import { call } from '../helpers.ts';
import { freshWorkspace, sleep, until } from './clock.ts';

const RETENTION_MS = 0.00004 * 86_400_000;

describe('log retention, as time passes', { timeout: 30_000 }, () => {
  it('keeps a finished run\'s log for the retention period, then deletes it', async () => {
    const ws = await freshWorkspace();
    const created = await ws.api('/runs', { task_prompt: 'brief' }, 201);
    const held = await ws.claimOne(await ws.register());
    const headers = { 'x-lease-token': held.lease_token };
    await call(`/workers/runs/${created.id}/logs`, { workspace: ws.id, headers, body: { lines: [1, 2, 3].map((n) => ({ line: `line ${n}`, sequence: n })) } });
    await call(`/workers/runs/${created.id}/complete`, { workspace: ws.id, headers, body: { status: 'completed' } });
    const lines = async () => (await ws.api<unknown[]>(`/runs/${created.id}/logs`)).length;
    await sleep(RETENTION_MS / 2);
    expect(await lines()).toBe(3);
    await until('the log to be deleted', async () => (await lines()) === 0, RETENTION_MS + 5_000);
  });
});
