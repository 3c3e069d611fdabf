// Attacks on key scoping and credential access, each as an attacker holding keys of some role would
// try it: keys made for others must not act elsewhere, members must not get at credential values,
// and a worker id answers only to the key that registered it.
import { describe, expect, it } from 'vitest';
import { call, callJson, expectError, unique, userWithKey } from './helpers.ts';

async function privateWorkspace(secret: string) {
  const slug = unique('private');
  const ws = await callJson<{ id: string }>('/workspaces', { body: { name: slug, slug } }, 201);
  await callJson('/credentials', { workspace: ws.id, body: { name: 'prod', env_var: 'PROD_TOKEN', value: secret } }, 201);
  return ws.id;
}

describe('keys made for someone else', () => {
  it('act only in the workspace they were made in: an admin of default cannot reach the bootstrap user\'s other workspaces', async () => {
    const victim = await privateWorkspace('sk-private-1');
    const attacker = await userWithKey('default', 'admin');
    const minted = await callJson('/api-keys', { key: attacker.key, body: { name: 'for admin', role: 'admin', user_id: 'admin' } }, 201);
    expect(minted).toMatchObject({ user_id: 'admin', workspace_only: true });

    await expectError(await call('/credentials', { key: minted.key, workspace: victim }), 403, 'forbidden');
    await expectError(await call(`/workspaces/${victim}/members`, { key: minted.key }), 404, 'not_found');
    expect((await callJson<any[]>('/workspaces', { key: minted.key }, 200)).map((w) => w.id)).toEqual(['default']);

    // Nor can it make itself a key that roams: keys made with it are held to default as well.
    const remint = await callJson('/api-keys', { key: minted.key, body: { name: 'mine now', role: 'admin' } }, 201);
    expect(remint.workspace_only).toBe(true);
    await expectError(await call('/credentials', { key: remint.key, workspace: victim }), 403, 'forbidden');
    // The keys it made do not show in the victim's workspace.
    expect((await callJson<any[]>('/api-keys', { workspace: victim }, 200)).map((k) => k.id)).not.toContain(minted.id);
  });

  it('grant nothing outside: an owner of her own workspace adds an existing user there and mints them a key', async () => {
    const member = await userWithKey('default', 'admin');
    const slug = unique('hers');
    const hers = await callJson<{ id: string }>('/workspaces', { key: member.key, body: { name: slug, slug } }, 201);
    // Her key, held to default, may act in the workspace it created.
    await callJson(`/workspaces/${hers.id}/members`, { key: member.key, workspace: hers.id, body: { user_id: 'admin', role: 'admin' } }, 201);
    const minted = await callJson('/api-keys', { key: member.key, workspace: hers.id, body: { name: 'for admin', role: 'admin', user_id: 'admin' } }, 201);
    await callJson('/jobs', { key: minted.key, workspace: hers.id }, 200);
    await expectError(await call('/credentials', { key: minted.key, workspace: 'default' }), 403, 'forbidden');
    await expectError(await call('/workspaces/default/members', { key: minted.key, workspace: hers.id }), 404, 'not_found');
  });
});

describe('credential values', () => {
  it('never reach a member: person keys may not use the worker endpoints, and only admins make worker keys', async () => {
    const member = await userWithKey('default', 'member');
    for (const [path, body] of [
      ['/workers/register', { name: 'sneaky' }],
      ['/workers/claim', { worker_id: 'x' }],
      ['/workers/poll?worker_id=x', undefined],
      ['/workers/heartbeat', { worker_id: 'x' }],
    ] as const) {
      await expectError(await call(path, { key: member.key, method: 'POST', ...(body ? { body } : {}) }), 403, 'forbidden');
    }
    await expectError(await call('/api-keys', { key: member.key, body: { name: 'w', role: 'worker' } }), 403, 'forbidden');
    // An admin's own person key is refused there too: only worker keys take runs off the queue.
    const admin = await userWithKey('default', 'admin');
    await expectError(await call('/workers/register', { key: admin.key, body: { name: 'w' } }), 403, 'forbidden');
  });

  it('stop flowing to a worker key once its creator is no longer an admin of the workspace', async () => {
    const admin = await userWithKey('default', 'admin');
    const worker = await callJson('/api-keys', { key: admin.key, body: { name: 'fleet', role: 'worker' } }, 201);
    await callJson('/workers/register', { key: worker.key, body: { name: 'w' } }, 201);

    await callJson(`/workspaces/default/members/${admin.userId}`, { method: 'PUT', body: { role: 'member' } }, 200);
    await expectError(await call('/workers/register', { key: worker.key, body: { name: 'w' } }), 401, 'unauthenticated');
    await callJson(`/workspaces/default/members/${admin.userId}`, { method: 'PUT', body: { role: 'admin' } }, 200);
    await callJson('/workers/register', { key: worker.key, body: { name: 'w' } }, 201);

    await callJson(`/workspaces/default/members/${admin.userId}`, { method: 'DELETE' }, 204);
    await expectError(await call('/workers/register', { key: worker.key, body: { name: 'w' } }), 401, 'unauthenticated');
  });
});

describe('worker identity', () => {
  it('answers a worker id only to the key that registered it', async () => {
    const mint = async () => (await callJson('/api-keys', { body: { name: unique('worker'), role: 'worker' } }, 201)).key as string;
    const [own, other] = [await mint(), await mint()];
    const { id } = await callJson<{ id: string }>('/workers/register', { key: own, body: { name: 'mine' } }, 201);
    await expectError(await call('/workers/heartbeat', { key: other, body: { worker_id: id, status: 'draining' } }), 404, 'worker_unknown');
    await expectError(await call('/workers/claim', { key: other, body: { worker_id: id } }), 404, 'worker_unknown');
    await expectError(await call(`/workers/signals?worker_id=${id}`, { key: other }), 404, 'worker_unknown');
    await expectError(await call('/workers/deregister', { key: other, body: { worker_id: id } }), 404, 'worker_unknown');
    expect(await callJson(`/workers/poll?worker_id=${id}`, { key: other, method: 'POST' }, 200)).toBeNull();
    // None of it touched the worker.
    const workers = await callJson<any[]>('/system/workers');
    expect(workers.find((w) => w.id === id)).toMatchObject({ status: 'online' });
    await callJson('/workers/heartbeat', { key: own, body: { worker_id: id } }, 200);
  });
});

// A claim skips the key's lookup while the same caller claimed within the last minute: these prove the
// claim's own statement refuses a key the moment it stops being good, with runs waiting.
describe('a worker key that claimed a moment ago', () => {
  const runsOf = async (response: Response) => ((await response.json()) as { runs: { run_id: string }[] }).runs;

  async function fleet() {
    const slug = unique('fleet');
    const ws = (await callJson<{ id: string }>('/workspaces', { body: { name: slug, slug } }, 201)).id;
    const admin = await userWithKey(ws, 'admin');
    const key = await callJson('/api-keys', { key: admin.key, workspace: ws, body: { name: 'fleet', role: 'worker' } }, 201);
    const { id: workerId } = await callJson<{ id: string }>('/workers/register', { key: key.key, workspace: ws, body: { name: 'w' } }, 201);
    const claim = (wait_seconds = 0) => call('/workers/claim', { key: key.key, workspace: ws, body: { worker_id: workerId, wait_seconds } });
    const queue = async () => (await callJson<{ id: string }>('/runs', { workspace: ws, body: { task_prompt: 'waiting' } }, 201)).id;
    const statusOf = async (runId: string) => (await callJson<{ status: string }>(`/runs/${runId}`, { workspace: ws }, 200)).status;
    expect(await runsOf(await claim())).toEqual([]);
    return { ws, admin, key, claim, queue, statusOf };
  }

  it('gets nothing once the key is revoked, and a 401', async () => {
    const { ws, key, claim, queue, statusOf } = await fleet();
    expect((await call(`/api-keys/${key.id}`, { method: 'DELETE', workspace: ws })).status).toBe(204);
    const run = await queue();
    await expectError(await claim(), 401, 'unauthenticated');
    expect(await statusOf(run)).toBe('queued');
  });

  it('gets nothing once its maker is no longer an admin, and takes the run when they are again', async () => {
    const { ws, admin, claim, queue, statusOf } = await fleet();
    await callJson(`/workspaces/${ws}/members/${admin.userId}`, { method: 'PUT', workspace: ws, body: { role: 'member' } }, 200);
    const run = await queue();
    await expectError(await claim(), 401, 'unauthenticated');
    expect(await statusOf(run)).toBe('queued');

    await callJson(`/workspaces/${ws}/members/${admin.userId}`, { method: 'PUT', workspace: ws, body: { role: 'admin' } }, 200);
    expect((await runsOf(await claim())).map((r) => r.run_id)).toEqual([run]);
  });

  it('takes nothing when the key is revoked while its claim waits for work', async () => {
    const { ws, key, claim, queue, statusOf } = await fleet();
    const waiting = claim(10);
    await new Promise((r) => setTimeout(r, 200)); // the claim parks in the Dispatcher
    expect((await call(`/api-keys/${key.id}`, { method: 'DELETE', workspace: ws })).status).toBe(204);
    const run = await queue(); // wakes the parked claim
    await expectError(await waiting, 401, 'unauthenticated');
    expect(await statusOf(run)).toBe('queued');
  });
});
