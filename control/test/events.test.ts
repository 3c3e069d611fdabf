// The workspace feed (GET /events): open dashboards hear which lists changed, from people's changes
// through the API and from the queue's own transitions, within moments; only topic names, only for
// members of the workspace, and never after the key is revoked.
import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, callJson, userWithKey } from './helpers.ts';
import { runningRun } from './live.ts';

async function feed(key = 'admin', workspace = 'default') {
  const res = await exports.default.fetch(`http://fc.test/api/v1/events?workspace_id=${workspace}`, {
    headers: { Upgrade: 'websocket', 'Sec-WebSocket-Protocol': `bearer.${key}, flight-control` },
  });
  expect(res.status).toBe(101);
  expect(res.headers.get('Sec-WebSocket-Protocol')).toBe('flight-control');
  const ws = res.webSocket!;
  ws.accept();
  const messages: any[] = [];
  let closed: { code: number } | null = null;
  ws.addEventListener('message', (e) => {
    messages.push(JSON.parse(e.data as string));
  });
  ws.addEventListener('close', (e) => {
    closed = { code: e.code };
  });
  const topics = () => new Set(messages.filter((m) => m.type === 'changed').flatMap((m) => m.topics));
  const heard = async (topic: string, within = 2_000) => {
    const deadline = Date.now() + within;
    while (!topics().has(topic) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return topics().has(topic);
  };
  const forget = () => messages.splice(0);
  return { ws, messages, heard, forget, closed: () => closed };
}

describe('the workspace feed', () => {
  it('says hello, then names what changed through the API', async () => {
    const watcher = await feed();
    await new Promise((r) => setTimeout(r, 50));
    expect(watcher.messages[0]).toMatchObject({ type: 'hello' });

    const job = await callJson('/jobs', { body: { name: 'heard', task_prompt: 'p' } }, 201);
    expect(await watcher.heard('jobs')).toBe(true);
    watcher.forget();
    await callJson(`/jobs/${job.id}/run`, { method: 'POST' }, 201);
    expect(await watcher.heard('runs')).toBe(true);
    watcher.forget();
    await callJson('/credentials', { body: { name: 'feed-cred', env_var: 'FEED_KEY', value: 'v' } }, 201);
    expect(await watcher.heard('credentials')).toBe(true);
    // Messages carry topic names only.
    for (const m of watcher.messages) expect(Object.keys(m).sort()).toEqual(['topics', 'type']);
    watcher.ws.close();
  });

  it("names runs and workers when a worker's run changes state", async () => {
    const run = await runningRun();
    const watcher = await feed();
    await run.complete('completed');
    expect(await watcher.heard('runs')).toBe(true);
    expect(await watcher.heard('workers')).toBe(true);
    watcher.ws.close();
  });

  it('names workers when one starts draining, and not for its plain heartbeats', async () => {
    const worker = await callJson<{ id: string }>('/workers/register', { body: { name: 'drainer', labels: {}, concurrency: 1 } }, 201);
    const watcher = await feed();
    // What earlier tests' claims told the feed (the Dispatcher tells it of claims a moment later) is past.
    await new Promise((r) => setTimeout(r, 500));
    watcher.forget();
    await callJson('/workers/heartbeat', { body: { worker_id: worker.id, runs: [] } }, 200);
    expect(await watcher.heard('workers', 500)).toBe(false);
    await callJson('/workers/heartbeat', { body: { worker_id: worker.id, runs: [], status: 'draining' } }, 200);
    expect(await watcher.heard('workers')).toBe(true);
    const [listed] = (await callJson<{ id: string; status: string }[]>('/system/workers')).filter((w) => w.id === worker.id);
    expect(listed?.status).toBe('draining');
    watcher.ws.close();
  });

  it("stays quiet about other workspaces' changes", async () => {
    const elsewhere = await callJson('/workspaces', { body: { name: 'Elsewhere', slug: 'feed-elsewhere' } }, 201);
    const watcher = await feed();
    await callJson('/jobs', { body: { name: 'there', task_prompt: 'p' }, workspace: elsewhere.id }, 201);
    expect(await watcher.heard('jobs', 500)).toBe(false);
    watcher.ws.close();
  });

  it('needs a key that may read the workspace, never one in the URL', async () => {
    const inUrl = await exports.default.fetch('http://fc.test/api/v1/events?token=admin', { headers: { Upgrade: 'websocket' } });
    expect(inUrl.status).toBe(401);
    const wrong = await exports.default.fetch('http://fc.test/api/v1/events', { headers: { Upgrade: 'websocket', 'Sec-WebSocket-Protocol': 'bearer.nope' } });
    expect(wrong.status).toBe(401);
    const outsider = await userWithKey('default', 'viewer');
    const forbidden = await exports.default.fetch('http://fc.test/api/v1/events?workspace_id=feed-none', {
      headers: { Upgrade: 'websocket', 'Sec-WebSocket-Protocol': `bearer.${outsider.key}` },
    });
    expect(forbidden.status).toBe(403);
    // Without an upgrade it is an event stream.
    const sse = await call('/events');
    expect(sse.headers.get('content-type')).toContain('text/event-stream');
    await sse.body?.cancel();
  });

  it('closes within seconds of its key being revoked', async () => {
    const viewer = await userWithKey('default', 'viewer');
    const watcher = await feed(viewer.key);
    await callJson(`/api-keys/${viewer.keyId}`, { method: 'DELETE' }, 204);
    const deadline = Date.now() + 10_000;
    while (!watcher.closed() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(watcher.closed()?.code).toBe(4401);
  });
});
