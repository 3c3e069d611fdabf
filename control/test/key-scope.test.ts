// Attacks on key scoping and credential access, each as an attacker holding keys of some role would
// try it: keys made for others must not act elsewhere, members must not get at credential values,
// and a worker id answers only to the key that registered it.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ADMIN_KEY, call, callJson, expectError, unique, userWithKey } from './helpers.ts';

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

// Creating a run skips the key's lookup while the same caller created one in the same workspace within
// the last minute: these prove the run's insert refuses a key the moment it may no longer create runs,
// with the same answer a fresh lookup gives, and creates no run.
describe('a key that created a run a moment ago', () => {
  const runsIn = async (ws: string) => (await env.DB.prepare('SELECT COUNT(*) AS n FROM job_runs WHERE workspace_id = ?1').bind(ws).first<{ n: number }>())!.n;

  /** A workspace of the bootstrap user's (owner) with a second owner, who can demote or remove them. */
  async function workspace() {
    const slug = unique('creating');
    const ws = (await callJson<{ id: string }>('/workspaces', { body: { name: slug, slug } }, 201)).id;
    return { ws, owner: await userWithKey(ws, 'owner') };
  }

  /** Creates a run with `key` in `ws` (its caller is remembered from then on) and returns how to create another. */
  async function creating(key: string, ws: string) {
    const create = (body: Record<string, unknown> = {}) => call('/runs', { key, workspace: ws, body: { task_prompt: 'remembered', ...body } });
    expect((await create()).status).toBe(201);
    return create;
  }

  /** The next create is refused, with exactly the answer of the one after (which looks the key up), and creates nothing. */
  async function refusedAtOnce(create: () => Promise<Response>, ws: string, status: number, code: string) {
    const before = await runsIn(ws);
    const refusal = await expectError(await create(), status, code);
    expect(await expectError(await create(), status, code)).toEqual(refusal);
    expect(await runsIn(ws)).toBe(before);
    return refusal.detail as string;
  }

  /** A key of the bootstrap user's own, made with the bootstrap key: it follows them into every workspace. */
  const roamingKey = async () => (await callJson('/api-keys', { body: { name: unique('roaming'), role: 'member' } }, 201)) as { id: string; key: string; workspace_only: boolean };

  it('is refused once the key is revoked (401), even naming a credential that does not exist', async () => {
    const { ws } = await workspace();
    const member = await userWithKey(ws, 'member');
    const create = await creating(member.key, ws);
    expect((await call(`/api-keys/${member.keyId}`, { method: 'DELETE', workspace: ws })).status).toBe(204);
    expect(await refusedAtOnce(create, ws, 401, 'unauthenticated')).toBe('Invalid API key');
    await creating(ADMIN_KEY, ws);
    await expectError(await create({ credential_ids: ['no-such-credential'] }), 401, 'unauthenticated');
  });

  it('is refused once its user is demoted to viewer (403), and creates runs again once a member', async () => {
    const { ws } = await workspace();
    const member = await userWithKey(ws, 'member');
    const create = await creating(member.key, ws);
    await callJson(`/workspaces/${ws}/members/${member.userId}`, { method: 'PUT', workspace: ws, body: { role: 'viewer' } }, 200);
    expect(await refusedAtOnce(create, ws, 403, 'forbidden')).toBe(`This action needs the 'member' role in workspace '${ws}'; you are 'viewer'`);
    await callJson(`/workspaces/${ws}/members/${member.userId}`, { method: 'PUT', workspace: ws, body: { role: 'member' } }, 200);
    expect((await create()).status).toBe(201);
  });

  it('is refused once its user is removed from the workspace (403), though the key itself stays good', async () => {
    const { ws, owner } = await workspace();
    const roaming = await roamingKey();
    expect(roaming.workspace_only).toBe(false);
    const create = await creating(roaming.key, ws);
    expect((await call(`/workspaces/${ws}/members/admin`, { method: 'DELETE', key: owner.key, workspace: ws })).status).toBe(204);
    expect(await refusedAtOnce(create, ws, 403, 'forbidden')).toBe(`Not a member of workspace '${ws}'`);
    await callJson('/jobs', { key: roaming.key }, 200);
  });

  it('is refused once the key is held to its own workspace (403)', async () => {
    const { ws } = await workspace();
    const roaming = await roamingKey();
    const create = await creating(roaming.key, ws);
    // No API call narrows a key's scope, so the change is made in D1, as a key held from the start would be.
    await env.DB.prepare('UPDATE api_keys SET workspace_only = 1 WHERE id = ?1').bind(roaming.id).run();
    expect(await refusedAtOnce(create, ws, 403, 'forbidden')).toContain("This API key is valid only in workspace 'default'");
  });

  it('is refused for the bootstrap key once its user is demoted to viewer, and once removed (403)', async () => {
    const { ws, owner } = await workspace();
    const create = await creating(ADMIN_KEY, ws);
    await callJson(`/workspaces/${ws}/members/admin`, { method: 'PUT', key: owner.key, workspace: ws, body: { role: 'viewer' } }, 200);
    expect(await refusedAtOnce(create, ws, 403, 'forbidden')).toBe(`This action needs the 'member' role in workspace '${ws}'; you are 'viewer'`);
    await callJson(`/workspaces/${ws}/members/admin`, { method: 'PUT', key: owner.key, workspace: ws, body: { role: 'member' } }, 200);
    expect((await create()).status).toBe(201);
    expect((await call(`/workspaces/${ws}/members/admin`, { method: 'DELETE', key: owner.key, workspace: ws })).status).toBe(204);
    expect(await refusedAtOnce(create, ws, 403, 'forbidden')).toBe(`Not a member of workspace '${ws}'`);
  });

  it('is told which credentials do not exist (422), as before, and creates the run once they do', async () => {
    const { ws } = await workspace();
    const member = await userWithKey(ws, 'member');
    const create = await creating(member.key, ws);
    const name = unique('later');
    const missing = await expectError(await create({ credential_ids: [name] }), 422, 'validation_failed');
    expect(missing.fields).toEqual([{ field: 'credential_ids', message: `no credential named '${name}' in this workspace` }]);
    expect(await runsIn(ws)).toBe(1);
    await callJson('/credentials', { workspace: ws, body: { name, env_var: 'LATER', value: 'v-later' } }, 201);
    expect(await callJson('/runs', { key: member.key, workspace: ws, body: { task_prompt: 'p', credential_ids: [name] } }, 201)).toMatchObject({ credential_ids: [name] });
  });

  it('is not looked up again within the minute: its first use is recorded, the next one skips the lookup', async () => {
    const { ws } = await workspace();
    const member = await userWithKey(ws, 'member');
    const lastUsed = async () => (await env.DB.prepare('SELECT last_used_at FROM api_keys WHERE id = ?1').bind(member.keyId).first<{ last_used_at: string | null }>())!.last_used_at;
    const create = await creating(member.key, ws);
    await expect.poll(lastUsed).not.toBeNull();
    await env.DB.prepare('UPDATE api_keys SET last_used_at = NULL WHERE id = ?1').bind(member.keyId).run();
    expect((await create()).status).toBe(201);
    await new Promise((r) => setTimeout(r, 300)); // a lookup would record the use, on the request's waitUntil
    expect(await lastUsed()).toBeNull();
    // Any other call looks the key up, and records the use.
    await callJson('/runs', { key: member.key, workspace: ws }, 200);
    await expect.poll(lastUsed).not.toBeNull();
  });
});
