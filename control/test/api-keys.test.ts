// API keys: shown once, hashed at rest, scoped to a workspace, capped by role, revocable at once.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, callJson, unique, userWithKey, ids, expectError } from './helpers.ts';


async function createWorkspace(): Promise<string> {
  const slug = unique('keys');
  return (await callJson('/workspaces', { body: { name: slug, slug } }, 201)).id;
}




describe('creating keys', () => {
  it('returns the plaintext key once, which then works for requests as its user', async () => {
    const ws = await createWorkspace();
    const created = await callJson('/api-keys', { workspace: ws, body: { name: 'laptop' } }, 201);
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{12}$/),
      name: 'laptop',
      prefix: created.key.slice(0, 11),
      role: 'member',
      user_id: 'admin',
      workspace_id: ws,
      created_by: 'admin',
      workspace_only: false,
      created_at: expect.any(String),
      last_used_at: null,
      revoked_at: null,
      key: expect.stringMatching(/^fc_[A-Za-z0-9_-]{43}$/),
    });
    expect(created.prefix).toMatch(/^fc_.{8}$/);
    expect(await callJson('/users/me', { key: created.key, workspace: ws }, 200)).toMatchObject({ id: 'admin', role: 'member', workspace_id: ws });

    const listed = await callJson<any[]>('/api-keys', { workspace: ws }, 200);
    const { key, ...withoutKey } = created;
    const entry = listed.find((k) => k.id === created.id);
    // last_used_at is recorded in the background, so either value is right here.
    expect(entry).toEqual({ ...withoutKey, last_used_at: entry.last_used_at });
    expect(JSON.stringify(listed)).not.toContain(key);
    expect(listed.every((k) => !('key' in k) && !('key_hash' in k))).toBe(true);
  });

  it('records when a key was last used, writing at most once a minute', async () => {
    const created = await callJson('/api-keys', { body: { name: 'used' } }, 201);
    const lastUsed = async () => (await env.DB.prepare('SELECT last_used_at FROM api_keys WHERE id = ?1').bind(created.id).first<{ last_used_at: string | null }>())?.last_used_at ?? null;
    await callJson('/users/me', { key: created.key }, 200);
    for (let i = 0; i < 100 && (await lastUsed()) === null; i++) await new Promise((r) => setTimeout(r, 10));
    const first = await lastUsed();
    expect(first).not.toBeNull();
    await callJson('/users/me', { key: created.key }, 200);
    await new Promise((r) => setTimeout(r, 100));
    expect(await lastUsed()).toBe(first);
    // A use more than a minute after the last one is recorded again.
    await env.DB.prepare("UPDATE api_keys SET last_used_at = '2000-01-01T00:00:00.000Z' WHERE id = ?1").bind(created.id).run();
    await callJson('/users/me', { key: created.key }, 200);
    for (let i = 0; i < 100 && (await lastUsed()) === '2000-01-01T00:00:00.000Z'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await lastUsed()).not.toBe('2000-01-01T00:00:00.000Z');
  });

  it('stores only a hash of the key', async () => {
    const created = await callJson('/api-keys', { body: { name: 'hashed' } }, 201);
    const stored = await env.DB.prepare('SELECT key_hash FROM api_keys WHERE id = ?1').bind(created.id).first<{ key_hash: string }>();
    expect(stored?.key_hash).toMatch(/^[0-9a-f]{64}$/);
    const dump = JSON.stringify(await env.DB.prepare('SELECT * FROM api_keys').all());
    expect(dump).not.toContain(created.key);
  });

  it('knows a key by its SHA-256 in lowercase hex, as keys are stored', async () => {
    const userId = unique('hashed-user');
    await env.DB.batch([
      env.DB.prepare('INSERT INTO users (id, username) VALUES (?1, ?1)').bind(userId),
      env.DB.prepare("INSERT INTO workspace_members (id, workspace_id, user_id, role) VALUES (?1, 'default', ?2, 'member')").bind(`${userId}-m`, userId),
      // sha256("fc_known_key_for_the_hash_test"), worked out outside the code under test.
      env.DB.prepare("INSERT INTO api_keys (id, name, key_hash, prefix, role, user_id, workspace_id) VALUES (?1, 'known', '89ae1d140428628f36b004f2ad6dd68bb87845d16c72900503925527448938ac', 'fc_known', 'member', ?2, 'default')").bind(`${userId}-k`, userId),
    ]);
    const me = await callJson('/users/me', { key: 'fc_known_key_for_the_hash_test' });
    expect(me.id).toBe(userId);
  });

  it('makes every key different', async () => {
    const a = await callJson('/api-keys', { body: { name: 'a' } }, 201);
    const b = await callJson('/api-keys', { body: { name: 'b' } }, 201);
    expect(a.key).not.toBe(b.key);
    expect(a.prefix).not.toBe(b.prefix);
  });

  it('validates the name and role', async () => {
    const noName = await expectError(await call('/api-keys', { body: { role: 'viewer' } }), 422, 'validation_failed');
    expect(noName.fields[0].field).toBe('name');
    const badRole = await expectError(await call('/api-keys', { body: { name: 'k', role: 'root' } }), 422, 'validation_failed');
    expect(badRole.fields[0].field).toBe('role');
  });

  it('lets a member make keys up to their own role, but not worker keys, which only admins make', async () => {
    const ws = await createWorkspace();
    const member = await userWithKey(ws, 'member');
    const as = { key: member.key, workspace: ws };
    expect((await callJson('/api-keys', { ...as, body: { name: 'ro', role: 'viewer' } }, 201)).role).toBe('viewer');
    await expectError(await call('/api-keys', { ...as, body: { name: 'w', role: 'worker' } }), 403, 'forbidden');
    await expectError(await call('/api-keys', { ...as, body: { name: 'up', role: 'admin' } }), 403, 'forbidden');
    const admin = await userWithKey(ws, 'admin');
    const worker = await callJson('/api-keys', { key: admin.key, workspace: ws, body: { name: 'w', role: 'worker' } }, 201);
    expect(worker).toMatchObject({ role: 'worker', user_id: admin.userId, created_by: admin.userId, workspace_only: true });
  });

  it('refuses a key above the caller’s key, even when the membership is higher', async () => {
    const ws = await createWorkspace();
    const admin = await userWithKey(ws, 'admin');
    const weak = await callJson('/api-keys', { key: admin.key, workspace: ws, body: { name: 'weak', role: 'viewer' } }, 201);
    await expectError(await call('/api-keys', { key: weak.key, workspace: ws, body: { name: 'k', role: 'viewer' } }), 403, 'forbidden');
    await expectError(await call('/api-keys', { key: admin.key, workspace: ws, body: { name: 'k', role: 'owner' } }), 403, 'forbidden');
  });

  it('lets an admin make keys for other members, up to that member’s role and their own', async () => {
    const ws = await createWorkspace();
    const admin = await userWithKey(ws, 'admin');
    const viewer = await userWithKey(ws, 'viewer');
    const owner = await userWithKey(ws, 'owner');
    const as = { key: admin.key, workspace: ws };
    const forViewer = await callJson('/api-keys', { ...as, body: { name: 'v', role: 'viewer', user_id: viewer.userId } }, 201);
    expect(forViewer.user_id).toBe(viewer.userId);
    expect(await callJson('/users/me', { key: forViewer.key, workspace: ws }, 200)).toMatchObject({ id: viewer.userId });
    await expectError(await call('/api-keys', { ...as, body: { name: 'v', role: 'member', user_id: viewer.userId } }), 403, 'forbidden');
    await expectError(await call('/api-keys', { ...as, body: { name: 'w', role: 'worker', user_id: viewer.userId } }), 403, 'forbidden');
    // The admin sees the plaintext, so a key may not outrank them even for an owner.
    await expectError(await call('/api-keys', { ...as, body: { name: 'o', role: 'owner', user_id: owner.userId } }), 403, 'forbidden');
    expect((await callJson('/api-keys', { ...as, body: { name: 'o', role: 'admin', user_id: owner.userId } }, 201)).role).toBe('admin');
  });

  it('refuses keys for other users to non-admins, and for users outside the workspace', async () => {
    const ws = await createWorkspace();
    const member = await userWithKey(ws, 'member');
    const other = await userWithKey(ws, 'viewer');
    await expectError(await call('/api-keys', { key: member.key, workspace: ws, body: { name: 'x', role: 'viewer', user_id: other.userId } }), 403, 'forbidden');
    const outsider = await userWithKey('default', 'member');
    const body = await expectError(await call('/api-keys', { workspace: ws, body: { name: 'x', user_id: outsider.userId } }), 422, 'validation_failed');
    expect(body.fields[0].field).toBe('user_id');
  });
});

describe('listing keys', () => {
  it('shows admins every key of the workspace and others only their own', async () => {
    const ws = await createWorkspace();
    const admin = await userWithKey(ws, 'admin');
    const member = await userWithKey(ws, 'member');
    const extra = await callJson('/api-keys', { key: member.key, workspace: ws, body: { name: 'second', role: 'viewer' } }, 201);

    const mine = await callJson<any[]>('/api-keys', { key: member.key, workspace: ws }, 200);
    expect(mine.map((k) => k.id)).toEqual([extra.id, member.keyId]);
    const all = await callJson<any[]>('/api-keys', { key: admin.key, workspace: ws }, 200);
    expect(all.map((k) => k.id)).toEqual([extra.id, member.keyId, admin.keyId]);
    expect(all.map((k) => k.prefix)).toEqual([extra.key.slice(0, 11), member.key.slice(0, 11), admin.key.slice(0, 11)]);
  });

  it('lists only the current workspace’s keys, a page at a time', async () => {
    const ws = await createWorkspace();
    const a = await callJson('/api-keys', { workspace: ws, body: { name: 'a' } }, 201);
    const b = await callJson('/api-keys', { workspace: ws, body: { name: 'b' } }, 201);
    const first = await call('/api-keys?limit=1', { workspace: ws });
    expect(await ids(first)).toEqual([b.id]);
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.get('Link') ?? '')?.[1];
    expect((await callJson<any[]>(next!, { workspace: ws }, 200)).map((k) => k.id)).toEqual([a.id]);
    expect((await callJson<any[]>('/api-keys', {}, 200)).map((k) => k.id)).not.toContain(a.id);
  });
});

describe('revoking keys', () => {
  it('stops a revoked key at once and keeps it in the list as revoked', async () => {
    const ws = await createWorkspace();
    const member = await userWithKey(ws, 'member');
    expect((await call('/jobs', { key: member.key, workspace: ws })).status).toBe(200);
    expect((await call(`/api-keys/${member.keyId}`, { method: 'DELETE', key: member.key, workspace: ws })).status).toBe(204);
    await expectError(await call('/jobs', { key: member.key, workspace: ws }), 401, 'unauthenticated');
    const listed = (await callJson<any[]>('/api-keys', { workspace: ws }, 200)).find((k) => k.id === member.keyId);
    expect(listed.revoked_at).toEqual(expect.any(String));
    // Revoking again changes nothing.
    expect((await call(`/api-keys/${member.keyId}`, { method: 'DELETE', workspace: ws })).status).toBe(204);
    expect((await callJson<any[]>('/api-keys', { workspace: ws }, 200)).find((k) => k.id === member.keyId).revoked_at).toBe(listed.revoked_at);
  });

  it('lets an admin revoke anyone’s key, and hides other people’s keys from members', async () => {
    const ws = await createWorkspace();
    const admin = await userWithKey(ws, 'admin');
    const a = await userWithKey(ws, 'member');
    const b = await userWithKey(ws, 'member');
    await expectError(await call(`/api-keys/${b.keyId}`, { method: 'DELETE', key: a.key, workspace: ws }), 404, 'not_found');
    expect((await call('/jobs', { key: b.key, workspace: ws })).status).toBe(200);
    expect((await call(`/api-keys/${b.keyId}`, { method: 'DELETE', key: admin.key, workspace: ws })).status).toBe(204);
    await expectError(await call('/jobs', { key: b.key, workspace: ws }), 401, 'unauthenticated');
  });

  it('lets no key revoke a key that outranks it, even of the same user: a leaked viewer key cannot lock out its admin or stop the fleet', async () => {
    const ws = await createWorkspace();
    const admin = await userWithKey(ws, 'admin');
    const viewerKey = await callJson('/api-keys', { key: admin.key, workspace: ws, body: { name: 'read-only', role: 'viewer' } }, 201);
    const memberKey = await callJson('/api-keys', { key: admin.key, workspace: ws, body: { name: 'scripts', role: 'member' } }, 201);
    const workerKey = await callJson('/api-keys', { key: admin.key, workspace: ws, body: { name: 'fleet', role: 'worker' } }, 201);
    const asViewer = { key: viewerKey.key, workspace: ws, method: 'DELETE' };
    for (const target of [admin.keyId, memberKey.id, workerKey.id]) {
      const refused = await expectError(await call(`/api-keys/${target}`, asViewer), 403, 'forbidden');
      expect(refused.detail).toMatch(/^A key acting as 'viewer' may not revoke this key: only (an admin or owner may revoke a 'worker' key|a key of role '(admin|member)' or above may revoke a '(admin|member)' key)$/);
    }
    expect((await call('/jobs', { key: admin.key, workspace: ws })).status).toBe(200);
    expect((await call('/workers/register', { key: workerKey.key, workspace: ws, body: { name: 'still-here' } })).status).toBe(201);
    // A member key may not stop the fleet either; the admin key may.
    await expectError(await call(`/api-keys/${workerKey.id}`, { key: memberKey.key, workspace: ws, method: 'DELETE' }), 403, 'forbidden');
    expect((await call(`/api-keys/${workerKey.id}`, { key: admin.key, workspace: ws, method: 'DELETE' })).status).toBe(204);
    // An admin may not revoke an owner's key; any key may revoke itself.
    const owner = await userWithKey(ws, 'owner');
    await expectError(await call(`/api-keys/${owner.keyId}`, { key: admin.key, workspace: ws, method: 'DELETE' }), 403, 'forbidden');
    expect((await call(`/api-keys/${viewerKey.id}`, asViewer)).status).toBe(204);
    await expectError(await call('/jobs', { key: viewerKey.key, workspace: ws }), 401, 'unauthenticated');
  });

  it('404s an unknown key and a key of another workspace', async () => {
    const ws = await createWorkspace();
    const elsewhere = await callJson('/api-keys', { workspace: ws, body: { name: 'elsewhere' } }, 201);
    await expectError(await call('/api-keys/nope', { method: 'DELETE' }), 404, 'not_found');
    await expectError(await call(`/api-keys/${elsewhere.id}`, { method: 'DELETE' }), 404, 'not_found');
    expect((await call('/jobs', { key: elsewhere.key, workspace: ws })).status).toBe(200);
  });

  it('keeps worker keys away from key management', async () => {
    const ws = await createWorkspace();
    const worker = await callJson('/api-keys', { workspace: ws, body: { name: 'node-1', role: 'worker' } }, 201);
    const as = { key: worker.key, workspace: ws };
    await expectError(await call('/api-keys', as), 403, 'forbidden');
    await expectError(await call('/api-keys', { ...as, body: { name: 'more', role: 'worker' } }), 403, 'forbidden');
    await expectError(await call(`/api-keys/${worker.id}`, { ...as, method: 'DELETE' }), 403, 'forbidden');
  });
});
