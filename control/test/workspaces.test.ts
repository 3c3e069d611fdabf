// Workspaces and their members: creation, visibility, settings, deletion and the owner rules.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, callJson, unique, userWithKey, ids, expectError } from './helpers.ts';


async function createWorkspace(options: { key?: string; workspace?: string } = {}) {
  const slug = unique('team');
  return callJson('/workspaces', { body: { name: `Team ${slug}`, slug }, ...options }, 201);
}




describe('creating workspaces', () => {
  it('creates a workspace with a fresh id and makes the caller its owner', async () => {
    const ws = await callJson('/workspaces', { body: { name: 'Platform', slug: 'platform', description: 'infra' } }, 201);
    expect(ws).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{12}$/),
      name: 'Platform',
      slug: 'platform',
      description: 'infra',
      max_concurrent_runs: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const members = await callJson<any[]>(`/workspaces/${ws.id}/members`, {}, 200);
    expect(members).toEqual([expect.objectContaining({ user_id: 'admin', username: 'admin', role: 'owner', workspace_id: ws.id })]);
    // The id works as X-Workspace-ID right away.
    expect(await callJson('/users/me', { workspace: ws.id }, 200)).toMatchObject({ workspace_id: ws.id, role: 'owner' });
  });

  it('lets a plain member create a workspace, which they then own', async () => {
    const { key } = await userWithKey('default', 'member');
    const ws = await createWorkspace({ key });
    expect(await callJson('/users/me', { key: 'admin', workspace: ws.id }, 403)).toMatchObject({ code: 'forbidden' });
    expect((await callJson<any[]>('/workspaces', { key }, 200)).map((w) => w.id)).toContain(ws.id);
    const refused = await callJson(`/workspaces/${ws.id}/members`, { key: 'admin', workspace: 'default' }, 404);
    expect(refused.code).toBe('not_found');
    // The creator's own key works in the new workspace at once, as its owner.
    expect(await callJson('/users/me', { key, workspace: ws.id }, 200)).toMatchObject({ role: 'member', workspace_id: ws.id });
    await callJson('/jobs', { key, workspace: ws.id, body: { name: 'first', task_prompt: 'p' } }, 201);
  });

  it('refuses a name or slug that is already taken, naming the field', async () => {
    const ws = await createWorkspace();
    const byName = await expectError(await call('/workspaces', { body: { name: ws.name, slug: unique('other') } }), 409, 'conflict');
    expect(byName.fields).toEqual([{ field: 'name', message: 'is already taken' }]);
    const bySlug = await expectError(await call('/workspaces', { body: { name: unique('Other'), slug: ws.slug } }), 409, 'conflict');
    expect(bySlug.fields).toEqual([{ field: 'slug', message: 'is already taken' }]);
  });

  it.each(['Upper', '-leading', 'trailing-', 'under_score', 'a'.repeat(65), ''])('rejects the slug %j', async (slug) => {
    const body = await expectError(await call('/workspaces', { body: { name: unique('N'), slug } }), 422, 'validation_failed');
    expect(new Set(body.fields.map((f: { field: string }) => f.field))).toEqual(new Set(['slug']));
  });

  it('requires a name', async () => {
    const body = await expectError(await call('/workspaces', { body: { slug: unique('s') } }), 422, 'validation_failed');
    expect(body.fields.map((f: { field: string }) => f.field)).toEqual(['name']);
  });
});

describe('listing and reading workspaces', () => {
  // Names sort as the original's did: by code point, so capitals first ('Default' before 'alpha').
  it('lists only the caller’s workspaces, by name, a page at a time', async () => {
    const { key } = await userWithKey('default', 'member');
    const zeta = await callJson('/workspaces', { key, body: { name: 'Zeta', slug: unique('zeta') } }, 201);
    const alpha = await callJson('/workspaces', { key, body: { name: 'Alpha', slug: unique('alpha') } }, 201);
    await createWorkspace(); // the admin's, which the user must not see
    expect((await callJson<any[]>('/workspaces', { key }, 200)).map((w) => w.id)).toEqual([alpha.id, 'default', zeta.id]);

    const first = await call('/workspaces?limit=2', { key });
    expect(await ids(first)).toEqual([alpha.id, 'default']);
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.get('Link') ?? '')?.[1];
    expect(next).toBeDefined();
    const second = await call(next!, { key });
    expect(await ids(second)).toEqual([zeta.id]);
    expect(second.headers.get('Link')).toBeNull();
  });

  it('shows a workspace to its members and 404s for anyone else', async () => {
    const ws = await createWorkspace();
    expect(await callJson(`/workspaces/${ws.id}`, {}, 200)).toEqual(ws);
    const outsider = await userWithKey('default', 'owner');
    await expectError(await call(`/workspaces/${ws.id}`, { key: outsider.key }), 404, 'not_found');
    await expectError(await call(`/workspaces/${ws.id}/members`, { key: outsider.key }), 404, 'not_found');
    await expectError(await call('/workspaces/nope'), 404, 'not_found');
  });

  it("404s a workspace the key's user does not belong to, and serves it once they join", async () => {
    const a = await createWorkspace();
    const b = await createWorkspace();
    // The admin user's own key, which follows it wherever it is a member.
    const { key } = await callJson('/api-keys', { body: { name: 'own', role: 'admin' }, workspace: a.id }, 201);
    const owner = await userWithKey(b.id, 'owner');
    await callJson(`/workspaces/${b.id}/members/admin`, { method: 'DELETE', key: owner.key, workspace: b.id }, 204);
    expect(await callJson(`/workspaces/${a.id}`, { key, workspace: a.id }, 200)).toEqual(a);
    await expectError(await call(`/workspaces/${b.id}`, { key, workspace: a.id }), 404, 'not_found');
    await expectError(await call(`/workspaces/${b.id}/members`, { key, workspace: a.id, body: { username: unique('x') } }), 404, 'not_found');
    await callJson(`/workspaces/${b.id}/members`, { key: owner.key, workspace: b.id, body: { user_id: 'admin', role: 'viewer' } }, 201);
    expect(await callJson(`/workspaces/${b.id}`, { key, workspace: a.id }, 200)).toEqual(b);
    await expectError(await call(`/workspaces/${b.id}/members`, { key, workspace: a.id, body: { username: unique('x') } }), 403, 'forbidden');
  });

  it('404s every other workspace to a key made for someone else, though its user belongs there', async () => {
    const a = await createWorkspace();
    const b = await createWorkspace();
    const { key, userId } = await userWithKey(a.id, 'admin');
    await callJson(`/workspaces/${b.id}/members`, { body: { user_id: userId, role: 'admin' } }, 201);
    await expectError(await call(`/workspaces/${b.id}`, { key, workspace: a.id }), 404, 'not_found');
    await expectError(await call(`/workspaces/${b.id}/members`, { key, workspace: a.id }), 404, 'not_found');
    // Nor does it learn of them.
    expect((await callJson<any[]>('/workspaces', { key, workspace: a.id }, 200)).map((w) => w.id)).toEqual([a.id]);
  });

  it('authorizes by the workspace in the path, not the X-Workspace-ID header', async () => {
    const ws = await createWorkspace();
    // The bootstrap admin owns both, so it can manage `ws` while its header says default...
    const added = await callJson(`/workspaces/${ws.id}/members`, { body: { username: unique('u'), role: 'viewer' } }, 201);
    expect(added.workspace_id).toBe(ws.id);
    // ...but once only a viewer there, it may read and not write, whatever its role in default.
    const owner = await userWithKey(ws.id, 'owner');
    await callJson(`/workspaces/${ws.id}/members/admin`, { method: 'PUT', key: owner.key, workspace: ws.id, body: { role: 'viewer' } }, 200);
    expect((await call(`/workspaces/${ws.id}`)).status).toBe(200);
    await expectError(await call(`/workspaces/${ws.id}`, { method: 'PUT', body: { name: unique('n') } }), 403, 'forbidden');
  });
});

describe('changing and deleting workspaces', () => {
  it('lets an admin rename a workspace and change its description, but not a member', async () => {
    const ws = await createWorkspace();
    const admin = await userWithKey(ws.id, 'admin');
    const member = await userWithKey(ws.id, 'member');
    const updated = await callJson(`/workspaces/${ws.id}`, { method: 'PUT', key: admin.key, workspace: ws.id, body: { name: unique('Renamed'), description: 'new' } }, 200);
    expect(updated).toMatchObject({ id: ws.id, slug: ws.slug, description: 'new' });
    expect(updated.name).not.toBe(ws.name);
    expect(await callJson(`/workspaces/${ws.id}`, {}, 200)).toEqual(updated);
    await expectError(await call(`/workspaces/${ws.id}`, { method: 'PUT', key: member.key, workspace: ws.id, body: { name: 'x' } }), 403, 'forbidden');
  });

  it('refuses a rename to a name another workspace has', async () => {
    const a = await createWorkspace();
    const b = await createWorkspace();
    const body = await expectError(await call(`/workspaces/${b.id}`, { method: 'PUT', body: { name: a.name } }), 409, 'conflict');
    expect(body.fields).toEqual([{ field: 'name', message: 'is already taken' }]);
  });

  it('lets only an owner delete a workspace, and takes its jobs, members and keys with it', async () => {
    const ws = await createWorkspace();
    const admin = await userWithKey(ws.id, 'admin');
    const job = await callJson('/jobs', { workspace: ws.id, body: { name: 'j', task_prompt: 'p' } }, 201);
    await expectError(await call(`/workspaces/${ws.id}`, { method: 'DELETE', key: admin.key, workspace: ws.id }), 403, 'forbidden');

    expect((await call(`/workspaces/${ws.id}`, { method: 'DELETE' })).status).toBe(204);
    await expectError(await call(`/workspaces/${ws.id}`), 404, 'not_found');
    expect((await callJson<any[]>('/workspaces', {}, 200)).map((w) => w.id)).not.toContain(ws.id);
    await expectError(await call('/jobs', { workspace: ws.id }), 403, 'forbidden');
    // The key row went with the workspace, so the key is simply unknown now.
    await expectError(await call('/users/me', { key: admin.key, workspace: ws.id }), 401, 'unauthenticated');
    // Nothing of it is left behind in the database either.
    expect(await env.DB.prepare('SELECT count(*) AS n FROM job_definitions WHERE id = ?1').bind(job.id).first('n')).toBe(0);
    expect(await env.DB.prepare('SELECT count(*) AS n FROM workspace_members WHERE workspace_id = ?1').bind(ws.id).first('n')).toBe(0);
  });

  it('never deletes the default workspace', async () => {
    await expectError(await call('/workspaces/default', { method: 'DELETE' }), 409, 'conflict');
    expect((await call('/workspaces/default')).status).toBe(200);
  });
});

describe('members', () => {
  it('adds a new user by username, in order of joining', async () => {
    const ws = await createWorkspace();
    const username = unique('grace');
    const member = await callJson(`/workspaces/${ws.id}/members`, { body: { username, display_name: 'Grace H' } }, 201);
    expect(member).toEqual({
      id: expect.any(String),
      workspace_id: ws.id,
      user_id: expect.stringMatching(/^[0-9a-f]{12}$/),
      role: 'member',
      username,
      display_name: 'Grace H',
      created_at: expect.any(String),
    });
    const viewer = await userWithKey(ws.id, 'viewer');
    const list = await callJson<any[]>(`/workspaces/${ws.id}/members`, { key: viewer.key, workspace: ws.id }, 200);
    expect(list.map((m) => m.user_id)).toEqual(['admin', member.user_id, viewer.userId]);
  });

  it('adds an existing user to another workspace by username or by id, as the same user', async () => {
    const a = await createWorkspace();
    const b = await createWorkspace();
    const c = await createWorkspace();
    const username = unique('ada');
    const first = await callJson(`/workspaces/${a.id}/members`, { body: { username } }, 201);
    const byName = await callJson(`/workspaces/${b.id}/members`, { body: { username, role: 'viewer' } }, 201);
    const byId = await callJson(`/workspaces/${c.id}/members`, { body: { user_id: first.user_id, role: 'admin' } }, 201);
    expect([byName.user_id, byId.user_id]).toEqual([first.user_id, first.user_id]);
    expect([byName.role, byId.role]).toEqual(['viewer', 'admin']);
  });

  it('refuses to add someone twice, an unknown user id, or a body naming nobody', async () => {
    const ws = await createWorkspace();
    await expectError(await call(`/workspaces/${ws.id}/members`, { body: { username: 'admin' } }), 409, 'conflict');
    const unknown = await expectError(await call(`/workspaces/${ws.id}/members`, { body: { user_id: 'nobody' } }), 422, 'validation_failed');
    expect(unknown.fields[0].field).toBe('user_id');
    const empty = await expectError(await call(`/workspaces/${ws.id}/members`, { body: { role: 'admin' } }), 422, 'validation_failed');
    expect(empty.fields[0].field).toBe('username');
    const bad = await expectError(await call(`/workspaces/${ws.id}/members`, { body: { username: 'x', role: 'god' } }), 422, 'validation_failed');
    expect(bad.fields[0].field).toBe('role');
  });

  it('lets only an owner make someone an owner', async () => {
    const ws = await createWorkspace();
    const admin = await userWithKey(ws.id, 'admin');
    await expectError(await call(`/workspaces/${ws.id}/members`, { key: admin.key, workspace: ws.id, body: { username: unique('o'), role: 'owner' } }), 403, 'forbidden');
    expect((await callJson(`/workspaces/${ws.id}/members`, { key: admin.key, workspace: ws.id, body: { username: unique('a'), role: 'admin' } }, 201)).role).toBe('admin');
    expect((await callJson(`/workspaces/${ws.id}/members`, { body: { username: unique('o'), role: 'owner' } }, 201)).role).toBe('owner');
  });

  it('lets an admin change roles below owner, and only an owner touch the owner role', async () => {
    const ws = await createWorkspace();
    const admin = await userWithKey(ws.id, 'admin');
    const member = await userWithKey(ws.id, 'member');
    const asAdmin = { key: admin.key, workspace: ws.id };
    expect((await callJson(`/workspaces/${ws.id}/members/${member.userId}`, { ...asAdmin, method: 'PUT', body: { role: 'viewer' } }, 200)).role).toBe('viewer');
    await expectError(await call(`/workspaces/${ws.id}/members/${member.userId}`, { ...asAdmin, method: 'PUT', body: { role: 'owner' } }), 403, 'forbidden');
    await expectError(await call(`/workspaces/${ws.id}/members/admin`, { ...asAdmin, method: 'PUT', body: { role: 'member' } }), 403, 'forbidden');
    await expectError(await call(`/workspaces/${ws.id}/members/${admin.userId}`, { key: member.key, workspace: ws.id, method: 'PUT', body: { role: 'owner' } }), 403, 'forbidden');
    await expectError(await call(`/workspaces/${ws.id}/members/nobody`, { method: 'PUT', body: { role: 'viewer' } }), 404, 'not_found');
    expect((await callJson(`/workspaces/${ws.id}/members/${member.userId}`, { method: 'PUT', body: { role: 'owner' } }, 200)).role).toBe('owner');
  });

  it('never demotes or removes the last owner', async () => {
    const ws = await createWorkspace();
    await expectError(await call(`/workspaces/${ws.id}/members/admin`, { method: 'PUT', body: { role: 'admin' } }), 409, 'conflict');
    await expectError(await call(`/workspaces/${ws.id}/members/admin`, { method: 'DELETE' }), 409, 'conflict');
    expect((await callJson<any[]>(`/workspaces/${ws.id}/members`, {}, 200))[0].role).toBe('owner');

    // With a second owner, either may step down.
    const second = await userWithKey(ws.id, 'owner');
    expect((await callJson(`/workspaces/${ws.id}/members/admin`, { method: 'PUT', body: { role: 'admin' } }, 200)).role).toBe('admin');
    await expectError(await call(`/workspaces/${ws.id}/members/${second.userId}`, { method: 'DELETE', key: second.key, workspace: ws.id }), 409, 'conflict');
  });

  it('lets an admin remove a member, whose keys then stop working', async () => {
    const ws = await createWorkspace();
    const member = await userWithKey(ws.id, 'member');
    expect((await call('/jobs', { key: member.key, workspace: ws.id })).status).toBe(200);
    expect((await call(`/workspaces/${ws.id}/members/${member.userId}`, { method: 'DELETE' })).status).toBe(204);
    expect((await callJson<any[]>(`/workspaces/${ws.id}/members`, {}, 200)).map((m) => m.user_id)).toEqual(['admin']);
    // Re-adding them does not bring the old key back.
    await callJson(`/workspaces/${ws.id}/members`, { body: { user_id: member.userId } }, 201);
    await expectError(await call('/jobs', { key: member.key, workspace: ws.id }), 401, 'unauthenticated');
  });

  it('lets a member leave, but not remove anyone else', async () => {
    const ws = await createWorkspace();
    const a = await userWithKey(ws.id, 'member');
    const b = await userWithKey(ws.id, 'member');
    await expectError(await call(`/workspaces/${ws.id}/members/${b.userId}`, { method: 'DELETE', key: a.key, workspace: ws.id }), 403, 'forbidden');
    expect((await call(`/workspaces/${ws.id}/members/${a.userId}`, { method: 'DELETE', key: a.key, workspace: ws.id })).status).toBe(204);
    expect((await callJson<any[]>(`/workspaces/${ws.id}/members`, {}, 200)).map((m) => m.user_id)).toEqual(['admin', b.userId]);
    await expectError(await call(`/workspaces/${ws.id}/members/${a.userId}`, { method: 'DELETE' }), 404, 'not_found');
  });

  it('lets only an owner remove an owner', async () => {
    const ws = await createWorkspace();
    const admin = await userWithKey(ws.id, 'admin');
    await userWithKey(ws.id, 'owner');
    await expectError(await call(`/workspaces/${ws.id}/members/admin`, { method: 'DELETE', key: admin.key, workspace: ws.id }), 403, 'forbidden');
  });
});

describe('the current user', () => {
  it('says who the caller is and their role in the current workspace', async () => {
    expect(await callJson('/users/me', {}, 200)).toEqual({
      id: 'admin',
      username: 'admin',
      display_name: 'Admin',
      created_at: expect.any(String),
      role: 'owner',
      workspace_id: 'default',
    });
    const viewer = await userWithKey('default', 'viewer');
    expect(await callJson('/users/me', { key: viewer.key }, 200)).toMatchObject({ id: viewer.userId, role: 'viewer', workspace_id: 'default' });
  });
});

describe('the API document', () => {
  it('describes the workspace, member, user and key endpoints', async () => {
    const doc = await callJson('/openapi.json', {}, 200);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/workspaces',
        '/api/v1/workspaces/{workspace_id}',
        '/api/v1/workspaces/{workspace_id}/members',
        '/api/v1/workspaces/{workspace_id}/members/{user_id}',
        '/api/v1/users/me',
        '/api/v1/api-keys',
        '/api/v1/api-keys/{key_id}',
      ]),
    );
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['MemberCreate', 'ApiKeyCreated', 'Me']));
  });
});
