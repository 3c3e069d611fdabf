// Credentials: stored encrypted, never shown again, unique by name, changed only by admins.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createKeyRing } from '../src/crypto/fernet.ts';
import { call, callJson, unique, memberKey } from './helpers.ts';


async function storedCiphertext(id: string): Promise<string> {
  const row = await env.DB.prepare('SELECT encrypted_value FROM credentials WHERE id = ?1').bind(id).first<{ encrypted_value: string }>();
  expect(row).not.toBeNull();
  return row!.encrypted_value;
}

async function decryptStored(id: string): Promise<string> {
  const keyRing = await createKeyRing(env.ORCH_MASTER_KEY!);
  return keyRing.decrypt(await storedCiphertext(id));
}


describe('credentials', () => {
  it('stores a credential and answers with everything but the value', async () => {
    const body = { name: unique('anthropic-api-key'), env_var: 'ANTHROPIC_API_KEY', value: 'sk-ant-create-secret', description: 'team key' };
    const res = await call('/credentials', { body });
    const text = await res.text();
    expect(res.status, text).toBe(201);
    expect(text).not.toContain(body.value);
    const created = JSON.parse(text);
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{12}$/),
      workspace_id: 'default',
      name: body.name,
      env_var: 'ANTHROPIC_API_KEY',
      description: 'team key',
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(text).not.toContain(await storedCiphertext(created.id));
    expect(await callJson(`/credentials/${created.id}`, {}, 200)).toEqual(created);
  });

  it('keeps only ciphertext in D1, which decrypts back to the value with the master key', async () => {
    const value = 'ghp_plaintext-that-must-not-be-stored';
    const created = await callJson('/credentials', { body: { name: unique('github'), env_var: 'GITHUB_TOKEN', value } }, 201);
    const stored = await storedCiphertext(created.id);
    expect(stored).not.toContain(value);
    expect(stored).toMatch(/^gAAAAA/);
    expect(await decryptStored(created.id)).toBe(value);
  });

  it('never shows a value or its ciphertext in get, list or update responses', async () => {
    const value = 'never-shown-value-123';
    const created = await callJson('/credentials', { body: { name: unique('hidden'), env_var: 'HIDDEN', value } }, 201);
    const ciphertext = await storedCiphertext(created.id);
    const newValue = 'never-shown-value-456';
    const responses = [
      await call(`/credentials/${created.id}`),
      await call('/credentials?limit=500'),
      await call(`/credentials/${created.id}`, { method: 'PUT', body: { description: 'changed' } }),
      await call(`/credentials/${created.id}`, { method: 'PUT', body: { value: newValue } }),
    ];
    const newCiphertext = await storedCiphertext(created.id);
    for (const res of responses) {
      const text = await res.text();
      expect(res.status, text).toBe(200);
      for (const secret of [value, newValue, ciphertext, newCiphertext]) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/"(value|encrypted_value)"/);
    }
  });

  it('encrypts a new value again on update and leaves fields sent as null unchanged', async () => {
    const created = await callJson('/credentials', { body: { name: unique('rotate'), env_var: 'OLD_VAR', value: 'first-value', description: 'keep me' } }, 201);
    const before = await storedCiphertext(created.id);

    const updated = await callJson(
      `/credentials/${created.id}`,
      { method: 'PUT', body: { value: 'second-value', env_var: 'NEW_VAR', name: null, description: null } },
      200,
    );
    expect(updated).toMatchObject({ id: created.id, name: created.name, env_var: 'NEW_VAR', description: 'keep me' });
    expect(await storedCiphertext(created.id)).not.toBe(before);
    expect(await decryptStored(created.id)).toBe('second-value');

    await callJson(`/credentials/${created.id}`, { method: 'PUT', body: { description: 'renamed too', name: `${created.name}-b` } }, 200);
    expect(await decryptStored(created.id)).toBe('second-value');
    expect(await callJson(`/credentials/${created.id}`, {}, 200)).toMatchObject({ name: `${created.name}-b`, description: 'renamed too', env_var: 'NEW_VAR' });
  });

  it('carries a rename into every job and run that names the credential, so retries, requeues and re-runs still find it', async () => {
    const slug = unique('renames');
    const ws = (await callJson('/workspaces', { body: { name: slug, slug } }, 201)).id;
    const inWs = { workspace: ws };
    const cred = await callJson('/credentials', { ...inWs, body: { name: 'anth', env_var: 'ANTHROPIC_API_KEY', value: 'sk-renamed' } }, 201);
    const other = await callJson('/credentials', { ...inWs, body: { name: 'other', env_var: 'OTHER_KEY', value: 'o' } }, 201);
    const job = await callJson('/jobs', { ...inWs, body: { name: 'uses it', task_prompt: 'p', credential_ids: ['other', 'anth'] } }, 201);
    const unrelated = await callJson('/jobs', { ...inWs, body: { name: 'does not', task_prompt: 'p', credential_ids: ['other'] } }, 201);
    const register = async () => (await callJson('/workers/register', { ...inWs, body: { name: 'w', concurrency: 4 } }, 201)).id as string;
    const claimAll = async () => (await callJson('/workers/claim', { ...inWs, body: { worker_id: await register(), max_runs: 4, wait_seconds: 0 } }, 200)).runs;
    // One run finished before the rename, one held by a worker that will be lost, one still queued.
    const finished = await callJson('/runs', { ...inWs, body: { task_prompt: 'done', credential_ids: ['anth'] } }, 201);
    const [done] = await claimAll();
    await callJson(`/workers/runs/${finished.id}/complete`, { ...inWs, body: { status: 'completed' }, headers: { 'x-lease-token': done.lease_token } }, 200);
    const held = await callJson('/runs', { ...inWs, body: { task_prompt: 'held', credential_ids: ['anth'] } }, 201);
    const lostWorker = await register();
    await callJson('/workers/claim', { ...inWs, body: { worker_id: lostWorker, max_runs: 1, wait_seconds: 0 } }, 200);
    const queued = await callJson('/runs', { ...inWs, body: { task_prompt: 'waits', credential_ids: ['anth'] } }, 201);

    // A rename to a name already taken changes nothing anywhere.
    await call(`/credentials/${cred.id}`, { ...inWs, method: 'PUT', body: { name: other.name } }).then((res) => expect(res.status).toBe(409));
    expect((await callJson(`/jobs/${job.id}`, inWs)).credential_ids).toEqual(['other', 'anth']);

    await callJson(`/credentials/${cred.id}`, { ...inWs, method: 'PUT', body: { name: 'anthropic' } }, 200);
    expect((await callJson(`/jobs/${job.id}`, inWs)).credential_ids).toEqual(['other', 'anthropic']);
    expect(await callJson(`/jobs/${unrelated.id}`, inWs)).toEqual(unrelated);
    for (const run of [finished, held, queued]) expect((await callJson(`/runs/${run.id}`, inWs)).credential_ids).toEqual(['anthropic']);

    // The held run's worker leaves, so it goes back to the queue; with a run of the job, a re-run of the
    // finished one and the run that waited, every claim gets the value under the new name.
    await callJson('/workers/deregister', { ...inWs, body: { worker_id: lostWorker } }, 200);
    await callJson(`/jobs/${job.id}/run`, { ...inWs, method: 'POST', body: {} }, 201);
    await callJson(`/runs/${finished.id}/rerun`, { ...inWs, method: 'POST' }, 201);
    const runs = await claimAll();
    expect(runs.map((r: { credentials: Record<string, string> }) => r.credentials.ANTHROPIC_API_KEY)).toEqual(['sk-renamed', 'sk-renamed', 'sk-renamed', 'sk-renamed']);
  });

  it('lists credentials by name and pages through them', async () => {
    const prefix = unique('zz-list');
    for (const suffix of ['c', 'a', 'b']) await callJson('/credentials', { body: { name: `${prefix}-${suffix}`, env_var: 'X', value: 'v' } }, 201);
    const all = await callJson<{ name: string }[]>('/credentials?limit=500', {}, 200);
    const names = all.map((c) => c.name);
    expect(names).toEqual([...names].sort());
    expect(names.filter((n) => n.startsWith(prefix))).toEqual([`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]);

    const seen: string[] = [];
    let next: string | null = '/credentials?limit=2';
    while (next) {
      const res = await call(next);
      expect(res.status).toBe(200);
      seen.push(...(await res.json<{ name: string }[]>()).map((c) => c.name));
      const link = res.headers.get('Link');
      next = link ? /<([^>]+)>; rel="next"/.exec(link)![1]!.replace('/api/v1', '') : null;
    }
    expect(seen).toEqual(names);
  });

  it('answers 409 naming the name when the workspace already has a credential by that name', async () => {
    const name = unique('dup');
    await callJson('/credentials', { body: { name, env_var: 'A', value: 'one' } }, 201);
    const res = await call('/credentials', { body: { name, env_var: 'B', value: 'two' } });
    expect(res.status).toBe(409);
    const error = await res.json<any>();
    expect(error).toMatchObject({ code: 'conflict', fields: [{ field: 'name', message: expect.any(String) }] });
    expect(error.detail).toContain(`'${name}'`);

    const other = await callJson('/credentials', { body: { name: unique('other'), env_var: 'C', value: 'three' } }, 201);
    const rename = await call(`/credentials/${other.id}`, { method: 'PUT', body: { name } });
    expect(rename.status).toBe(409);
    expect((await rename.json<any>()).detail).toContain(`'${name}'`);
  });

  it('allows the same name in another workspace', async () => {
    const slug = unique('creds-ws');
    const ws = (await callJson('/workspaces', { body: { name: slug, slug } }, 201)).id;
    const name = unique('shared-name');
    await callJson('/credentials', { body: { name, env_var: 'A', value: 'one' } }, 201);
    await callJson('/credentials', { workspace: ws, body: { name, env_var: 'A', value: 'two' } }, 201);
  });

  it('rejects bad names, env vars and values, naming each field', async () => {
    const cases = [
      [{ name: 'has space', env_var: 'OK', value: 'v' }, 'name'],
      [{ name: 'x'.repeat(129), env_var: 'OK', value: 'v' }, 'name'],
      [{ name: '', env_var: 'OK', value: 'v' }, 'name'],
      [{ name: 'ok', env_var: '1BAD', value: 'v' }, 'env_var'],
      [{ name: 'ok', env_var: 'BAD-VAR', value: 'v' }, 'env_var'],
      [{ name: 'ok', env_var: 'OK', value: '' }, 'value'],
      [{ name: 'ok', env_var: 'OK', value: ' \n ' }, 'value'],
      [{ name: 'ok', env_var: 'OK', value: 'x'.repeat(65_537) }, 'value'],
      [{ name: 'ok', env_var: 'OK' }, 'value'],
    ] as const;
    for (const [body, field] of cases) {
      const res = await call('/credentials', { body });
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(422);
      expect(new Set((await res.json<any>()).fields.map((f: { field: string }) => f.field))).toEqual(new Set([field]));
    }
    await callJson('/credentials', { body: { name: unique('max.len_ok'), env_var: '_OK', value: 'x'.repeat(65_536) } }, 201);
  });

  it('lets a member read credentials but not create, change or delete them', async () => {
    const key = await memberKey();
    const created = await callJson('/credentials', { body: { name: unique('admin-only'), env_var: 'A', value: 'v' } }, 201);
    expect((await call(`/credentials/${created.id}`, { key })).status).toBe(200);
    expect((await call('/credentials', { key })).status).toBe(200);
    const writes = [
      await call('/credentials', { key, body: { name: unique('by-member'), env_var: 'A', value: 'v' } }),
      await call(`/credentials/${created.id}`, { key, method: 'PUT', body: { value: 'taken over' } }),
      await call(`/credentials/${created.id}`, { key, method: 'DELETE' }),
    ];
    for (const res of writes) {
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ code: 'forbidden' });
    }
    expect(await decryptStored(created.id)).toBe('v');
  });

  it("answers 404 for another workspace's credential, as for an unknown id", async () => {
    const slug = unique('creds-elsewhere');
    const ws = (await callJson('/workspaces', { body: { name: slug, slug } }, 201)).id;
    const foreign = await callJson('/credentials', { workspace: ws, body: { name: unique('theirs'), env_var: 'A', value: 'v' } }, 201);
    for (const id of [foreign.id, '000000000000']) {
      for (const method of ['GET', 'PUT', 'DELETE'] as const) {
        const res = await call(`/credentials/${id}`, { method, body: method === 'PUT' ? { value: 'overwrite' } : undefined });
        expect(res.status, `${method} ${id}`).toBe(404);
        expect(await res.json()).toEqual({ detail: 'Credential not found', code: 'not_found' });
      }
    }
    expect((await callJson<{ id: string }[]>('/credentials?limit=500', {}, 200)).map((c) => c.id)).not.toContain(foreign.id);
    expect(await decryptStored(foreign.id)).toBe('v');
  });

  it('deletes a credential', async () => {
    const created = await callJson('/credentials', { body: { name: unique('gone'), env_var: 'A', value: 'v' } }, 201);
    expect((await call(`/credentials/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`/credentials/${created.id}`)).status).toBe(404);
    expect((await call(`/credentials/${created.id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('documents the endpoints, with the value only in request bodies', async () => {
    const doc = await callJson('/openapi.json', {}, 200);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/credentials', '/api/v1/credentials/{cred_id}']));
    expect(Object.keys(doc.paths['/api/v1/credentials/{cred_id}'])).toEqual(expect.arrayContaining(['get', 'put', 'delete']));
    const { Credential, CredentialCreate } = doc.components.schemas;
    expect(Object.keys(Credential.properties)).not.toContain('value');
    expect(CredentialCreate.properties.value).toMatchObject({ writeOnly: true });
  });
});
