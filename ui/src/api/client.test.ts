// The API client against a stand-in fetch: headers it sends, the error envelope it keeps, the next-page
// cursor it reads, and signing out when the session's key stops working.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, apiPage, ApiError } from './client.ts';
import { me, session, signIn } from '../state/session.ts';

const ME = { id: 'u1', username: 'alice', display_name: null, created_at: '2026-01-01T00:00:00.000Z', role: 'member' as const, workspace_id: 'team' };

function answer(status: number, body: unknown, headers: Record<string, string> = {}) {
  return vi.fn(async () => new Response(body === null ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } }));
}

beforeEach(() => signIn('fc_key', 'team', false, ME));
afterEach(() => vi.unstubAllGlobals());

describe('the API client', () => {
  it("sends the session's key and workspace, and JSON bodies", async () => {
    const fetch = answer(201, { id: 'j1' });
    vi.stubGlobal('fetch', fetch);
    await api('/jobs', { body: { name: 'x' } });
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/v1/jobs');
    expect(init.method).toBe('POST');
    const headers = new Headers(init.headers);
    expect(headers.get('Authorization')).toBe('Bearer fc_key');
    expect(headers.get('X-Workspace-ID')).toBe('team');
    expect(init.body).toBe('{"name":"x"}');
  });

  it("keeps the error envelope, with each field's message", async () => {
    vi.stubGlobal('fetch', answer(422, { detail: 'Validation failed', code: 'validation_failed', fields: [{ field: 'agent_config.model', message: 'too long' }] }));
    const error = await api('/jobs', { body: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(422);
    expect((error as ApiError).fieldMessage('agent_config')).toBe('too long');
    expect((error as ApiError).fieldMessage('agent_config.model')).toBe('too long');
    expect((error as ApiError).fieldMessage('name')).toBeUndefined();
  });

  it('reads the next page cursor from the Link header', async () => {
    vi.stubGlobal('fetch', answer(200, [{ id: 'r1' }], { Link: '</api/v1/runs?limit=1&cursor=abc%3D>; rel="next"' }));
    expect(await apiPage('/runs', { query: { limit: 1 } })).toEqual({ items: [{ id: 'r1' }], next: 'abc=' });
  });

  it("signs out when the session's key is refused, but not for a key being tried", async () => {
    vi.stubGlobal('fetch', answer(401, { detail: 'Invalid API key', code: 'unauthenticated' }));
    await expect(api('/users/me', { key: 'fc_other' })).rejects.toThrow('Invalid API key');
    expect(session.value).not.toBeNull();
    await expect(api('/runs')).rejects.toThrow('Invalid API key');
    expect(session.value).toBeNull();
    expect(me.value).toBeNull();
  });

  it('says the control plane is unreachable when fetch itself fails', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    await expect(api('/runs')).rejects.toMatchObject({ status: 0, code: 'unreachable' });
  });
});
