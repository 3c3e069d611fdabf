// Who may do what: authentication failures, workspace isolation, and the role × action matrix.
import { beforeAll, describe, expect, it } from 'vitest';
import { call, callJson, unique } from './helpers.ts';

type Role = 'owner' | 'admin' | 'member' | 'viewer' | 'worker';


async function createWorkspace(): Promise<string> {
  const slug = unique('ws');
  return (await callJson('/workspaces', { body: { name: slug, slug } }, 201)).id;
}

/** A new user with the given membership in `workspace` and a key of `keyRole`, made through the API. */
async function userWithKey(workspace: string, memberRole: Exclude<Role, 'worker'>, keyRole: Role = memberRole) {
  const member = await callJson(`/workspaces/${workspace}/members`, { body: { username: unique(memberRole), role: memberRole }, workspace }, 201);
  const created = await callJson('/api-keys', { body: { name: 'test', role: keyRole, user_id: member.user_id }, workspace }, 201);
  return { userId: member.user_id as string, key: created.key as string, keyId: created.id as string };
}

describe('authentication', () => {
  it('asks for a bearer key when the Authorization header is missing', async () => {
    const res = await call('/jobs', { key: null });
    expect(res.status).toBe(401);
    expect(res.headers.get('WWW-Authenticate')).toBe('Bearer');
    expect(await res.json()).toEqual({ detail: 'Not authenticated', code: 'unauthenticated' });
  });

  it('rejects a non-Bearer scheme', async () => {
    const res = await call('/jobs', { key: null, headers: { authorization: 'Basic x' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('WWW-Authenticate')).toBe('Bearer');
    expect(await res.json()).toMatchObject({ code: 'unauthenticated' });
  });

  it('rejects a key nobody issued', async () => {
    const res = await call('/jobs', { key: 'fc_not-a-real-key' });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ detail: 'Invalid API key', code: 'unauthenticated' });
  });

  it('rejects a revoked key', async () => {
    const { key, keyId } = await userWithKey('default', 'member');
    expect((await call('/jobs', { key })).status).toBe(200);
    expect((await call(`/api-keys/${keyId}`, { method: 'DELETE' })).status).toBe(204);
    const res = await call('/jobs', { key });
    expect(res.status).toBe(401);
    expect(res.headers.get('WWW-Authenticate')).toBe('Bearer');
  });

  it("lets a key its user made for themselves follow them into another workspace, with the role they hold there", async () => {
    const a = await createWorkspace();
    const b = await createWorkspace();
    // The bootstrap admin makes a viewer key for itself: the admin user's own key.
    const { key } = await callJson('/api-keys', { body: { name: 'own', role: 'viewer' }, workspace: a }, 201);
    expect((await call('/jobs', { key, workspace: b })).status).toBe(200);
    expect((await call('/jobs', { key, workspace: b, body: { name: 'j', task_prompt: 'p' } })).status).toBe(403);
    // Where its user is no member, it is refused.
    const elsewhere = await createWorkspace();
    const owner = await userWithKey(elsewhere, 'owner');
    await callJson(`/workspaces/${elsewhere}/members/admin`, { method: 'DELETE', key: owner.key, workspace: elsewhere }, 204);
    expect((await call('/jobs', { key, workspace: elsewhere })).status).toBe(403);
  });

  it("holds a key made for someone else to the workspace it was made in, though its user belongs elsewhere too", async () => {
    const a = await createWorkspace();
    const b = await createWorkspace();
    const { key, userId } = await userWithKey(a, 'member');
    await callJson(`/workspaces/${b}/members`, { body: { user_id: userId, role: 'viewer' }, workspace: b }, 201);
    expect((await call('/jobs', { key, workspace: a })).status).toBe(200);
    const res = await call('/jobs', { key, workspace: b });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: 'forbidden', detail: expect.stringContaining(`valid only in workspace '${a}'`) });
  });

  it('refuses a worker key in any workspace but the one it was made in, even for a member of both', async () => {
    const a = await createWorkspace();
    const b = await createWorkspace();
    const { key, userId } = await userWithKey(a, 'member', 'worker');
    await callJson(`/workspaces/${b}/members`, { body: { user_id: userId, role: 'member' }, workspace: b }, 201);
    expect((await call('/workers/register', { key, workspace: a, body: { name: 'w' } })).status).toBe(201);
    const res = await call('/workers/register', { key, workspace: b, body: { name: 'w' } });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: 'forbidden', detail: expect.stringContaining(`valid only in workspace '${a}'`) });
  });

  it('refuses a user in a workspace they are not a member of', async () => {
    const ws = await createWorkspace();
    // A second owner removes the bootstrap admin, who then has no business there.
    const other = await userWithKey(ws, 'owner');
    expect((await call(`/workspaces/${ws}/members/admin`, { method: 'DELETE', key: other.key, workspace: ws })).status).toBe(204);
    const res = await call('/jobs', { workspace: ws });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ detail: `Not a member of workspace '${ws}'`, code: 'forbidden' });
    expect((await call('/jobs', { workspace: 'no-such-workspace' })).status).toBe(403);
  });
});

describe('role matrix', () => {
  const roles: Role[] = ['owner', 'admin', 'member', 'viewer', 'worker'];
  const keys = {} as Record<Role, string>;
  let ws = '';

  beforeAll(async () => {
    ws = await createWorkspace();
    for (const role of roles) keys[role] = (await userWithKey(ws, role === 'worker' ? 'member' : role, role)).key;
  });

  const actions: { action: string; method: string; path: () => string; body?: (role: Role) => unknown; allowed: Role[]; status: number }[] = [
    { action: 'list jobs', method: 'GET', path: () => '/jobs', allowed: ['owner', 'admin', 'member', 'viewer'], status: 200 },
    { action: 'create a job', method: 'POST', path: () => '/jobs', body: () => ({ name: 'j', task_prompt: 'p' }), allowed: ['owner', 'admin', 'member'], status: 201 },
    { action: 'queue a run', method: 'POST', path: () => '/runs', body: () => ({ task_prompt: 'p' }), allowed: ['owner', 'admin', 'member'], status: 201 },
    {
      action: 'create a credential',
      method: 'POST',
      path: () => '/credentials',
      body: (role) => ({ name: `cred-${role}`, env_var: 'SOME_TOKEN', value: 'secret' }),
      allowed: ['owner', 'admin'],
      status: 201,
    },
    // Allowed callers reach the handler and learn there is no such credential.
    { action: 'delete a credential', method: 'DELETE', path: () => '/credentials/x', allowed: ['owner', 'admin'], status: 404 },
    { action: 'create an API key', method: 'POST', path: () => '/api-keys', body: () => ({ name: 'k', role: 'viewer' }), allowed: ['owner', 'admin', 'member'], status: 201 },
    // A worker key is handed decrypted credentials with every claim: only admins make one, only it claims.
    { action: 'create a worker key', method: 'POST', path: () => '/api-keys', body: () => ({ name: 'w', role: 'worker' }), allowed: ['owner', 'admin'], status: 201 },
    { action: 'register as a worker', method: 'POST', path: () => '/workers/register', body: () => ({ name: 'w' }), allowed: ['worker'], status: 201 },
    { action: 'poll for a run', method: 'POST', path: () => '/workers/poll?worker_id=nobody', allowed: ['worker'], status: 200 },
    {
      action: 'add a workspace member',
      method: 'POST',
      path: () => `/workspaces/${ws}/members`,
      body: (role) => ({ username: unique(`added-by-${role}`), role: 'viewer' }),
      allowed: ['owner', 'admin'],
      status: 201,
    },
  ];

  for (const { action, method, path, body, allowed, status } of actions) {
    for (const role of roles) {
      const may = allowed.includes(role);
      it(`${may ? 'lets' : 'forbids'} ${role} ${may ? '' : 'to '}${action}`, async () => {
        const res = await call(path(), { method, key: keys[role], workspace: ws, ...(body ? { body: body(role) } : {}) });
        const text = await res.text();
        if (may) {
          expect(res.status, text).toBe(status);
          if (status === 404) expect(JSON.parse(text).detail).toMatch(/credential.*not found/i);
        } else {
          expect(res.status, text).toBe(403);
          expect(JSON.parse(text)).toMatchObject({ code: 'forbidden' });
        }
      });
    }
  }

  it('caps a key at its owner’s membership: an admin key of a member demoted to viewer can only read', async () => {
    const { key, userId } = await userWithKey(ws, 'admin');
    await callJson(`/workspaces/${ws}/members/${userId}`, { method: 'PUT', body: { role: 'viewer' }, workspace: ws }, 200);
    expect(await callJson('/users/me', { key, workspace: ws }, 200)).toMatchObject({ role: 'viewer' });
    expect((await call('/jobs', { key, workspace: ws })).status).toBe(200);
    expect((await call('/jobs', { key, workspace: ws, body: { name: 'j', task_prompt: 'p' } })).status).toBe(403);
    expect((await call(`/workspaces/${ws}/members`, { key, workspace: ws, body: { username: unique('x') } })).status).toBe(403);
  });

  it('caps a key at its own role: a viewer key of an admin can only read', async () => {
    const { key } = await userWithKey(ws, 'admin', 'viewer');
    expect(await callJson('/users/me', { key, workspace: ws }, 200)).toMatchObject({ role: 'viewer' });
    expect((await call('/jobs', { key, workspace: ws, body: { name: 'j', task_prompt: 'p' } })).status).toBe(403);
  });
});

describe('workspace isolation', () => {
  it('hides a job from another workspace as if it did not exist', async () => {
    const a = await createWorkspace();
    const b = await createWorkspace();
    const job = await callJson('/jobs', { body: { name: 'secret', task_prompt: 'p' }, workspace: a }, 201);
    await callJson('/jobs', { body: { name: 'visible', task_prompt: 'p' }, workspace: b }, 201);

    expect((await call(`/jobs/${job.id}`, { workspace: b })).status).toBe(404);
    expect((await call(`/jobs/${job.id}`, { method: 'PUT', body: { name: 'hijacked' }, workspace: b })).status).toBe(404);
    expect((await call(`/jobs/${job.id}/run`, { method: 'POST', workspace: b })).status).toBe(404);
    expect((await call(`/jobs/${job.id}`, { method: 'DELETE', workspace: b })).status).toBe(404);
    expect((await callJson<any[]>('/jobs', { workspace: b }, 200)).map((j) => j.name)).toEqual(['visible']);

    // Nothing done from B touched it.
    expect(await callJson(`/jobs/${job.id}`, { workspace: a }, 200)).toEqual(job);
  });
});
