// Log streams as an attacker or a flaky browser would meet them: they end when the run ends, resume
// after Last-Event-ID, close soon after their key is revoked or its user removed, open with a
// short-lived single-run ticket instead of a key in the URL, and are bounded per key.
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { mintStreamTicket } from '../src/auth/tickets.ts';
import { loadConfig } from '../src/config.ts';
import { MAX_STREAMS_PER_KEY } from '../src/limits.ts';
import { call, callJson, expectError, userWithKey } from './helpers.ts';
import { lines, readSse, runningRun, viewer } from './live.ts';

const stream = (runId: string, query: string, headers: Record<string, string> = {}) =>
  exports.default.fetch(`http://fc.test/api/v1/runs/${runId}/logs/stream?${query}`, { headers });

async function waitFor(what: string, check: () => boolean, timeoutMs: number) {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - started;
}

/** Reads an SSE response to its end (or `timeoutMs`), answering the text and whether the server ended it. */
async function readToEnd(res: Response, timeoutMs = 8_000): Promise<{ text: string; ended: boolean }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const next = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), Math.max(0, deadline - Date.now())))]);
    if (next === null) {
      await reader.cancel();
      return { text, ended: false };
    }
    if (next.done) return { text, ended: true };
    text += decoder.decode(next.value, { stream: true });
  }
}

describe('log streams', () => {
  it('end once the run has: the WebSocket closes after its end message, the event stream after an end event', async () => {
    const run = await runningRun();
    await run.post(lines(1, 2));
    const ws = await viewer(run.id);
    const sse = readToEnd(await call(`/runs/${run.id}/logs/stream`));
    await ws.until(() => ws.logLines().length === 2);
    await run.complete('completed');
    await waitFor('the socket to close', () => ws.closed() !== null, 3_000);
    expect(ws.closed()).toEqual({ code: 1000, reason: 'run ended' });
    expect(ws.messages().at(-1)).toEqual({ type: 'end', status: 'completed', last_sequence: 2 });
    const { text, ended } = await sse;
    expect(ended).toBe(true);
    expect(text).toMatch(/event: status\ndata: \{"status":"completed"\}\n\n/);
    expect(text.trimEnd().endsWith(`event: end\ndata: ${JSON.stringify({ type: 'end', status: 'completed', last_sequence: 2 })}`)).toBe(true);

    // A stream opened later replays the log, then ends at once.
    const late = await readToEnd(await call(`/runs/${run.id}/logs/stream`));
    expect(late.ended).toBe(true);
    expect(late.text).toContain('"line":"line 2"');
    // An EventSource reconnecting with everything seen is told to stop: 204.
    expect((await call(`/runs/${run.id}/logs/stream`, { headers: { 'Last-Event-ID': '2' } })).status).toBe(204);
  });

  it('resume an event stream after Last-Event-ID, repeating nothing', async () => {
    const run = await runningRun();
    await run.post(lines(1, 5));
    const text = await readSse(await call(`/runs/${run.id}/logs/stream`, { headers: { 'Last-Event-ID': '3' } }), (t) => t.includes('line 5'));
    expect(text).not.toContain('"line 3"');
    expect([...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))).toEqual([4, 5]);
    // An explicit `after` wins over the header.
    const explicit = await readSse(await call(`/runs/${run.id}/logs/stream?after=4`, { headers: { 'Last-Event-ID': '1' } }), (t) => t.includes('line 5'));
    expect([...explicit.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))).toEqual([5]);
  });

  it('close within seconds of their key being revoked, or its user leaving the workspace', async () => {
    const run = await runningRun();
    const revoked = await userWithKey('default', 'viewer');
    const removed = await userWithKey('default', 'viewer');
    const byRevoked = await viewer(run.id, `token=${revoked.key}`);
    const byRemoved = await viewer(run.id, `token=${removed.key}`);
    const sse = readToEnd(await call(`/runs/${run.id}/logs/stream`, { key: revoked.key }), 15_000);
    const kept = await viewer(run.id);

    await callJson(`/api-keys/${revoked.keyId}`, { method: 'DELETE' }, 204);
    await callJson(`/workspaces/default/members/${removed.userId}`, { method: 'DELETE' }, 204);
    const took = await waitFor('the streams to close', () => byRevoked.closed() !== null && byRemoved.closed() !== null, 10_000);
    expect(took).toBeLessThan(8_000);
    expect(byRevoked.closed()).toEqual({ code: 4401, reason: 'key revoked' });
    expect(byRemoved.closed()?.code).toBe(4401);
    const { text, ended } = await sse;
    expect(ended).toBe(true);
    expect(text).toContain('event: error');
    // Nothing more reaches them; the owner's stream goes on.
    await run.post(lines(1, 1));
    await kept.until(() => kept.logLines().length === 1);
    expect(byRevoked.logLines()).toEqual([]);
    expect(kept.closed()).toBeNull();
    kept.ws.close();
  });

  it('open with a ticket instead of a key: for that run only, for a minute, as the key that asked', async () => {
    const run = await runningRun();
    await run.post(lines(1, 1));
    const other = await runningRun();
    const watcher = await userWithKey('default', 'viewer');
    const issued = await callJson(`/runs/${run.id}/logs/ticket`, { key: watcher.key, method: 'POST' }, 201);
    expect(issued.ticket).not.toContain(watcher.key);
    expect(issued.stream_url).toBe(`/api/v1/runs/${run.id}/logs/stream?ticket=${encodeURIComponent(issued.ticket)}`);
    expect(Date.parse(issued.expires_at) - Date.now()).toBeLessThanOrEqual(60_000);

    const ws = await viewer(run.id, `ticket=${encodeURIComponent(issued.ticket)}`);
    await ws.until(() => ws.logLines().length === 1);
    ws.ws.close();
    const sse = await stream(run.id, `ticket=${encodeURIComponent(issued.ticket)}`);
    expect(sse.status).toBe(200);
    await sse.body?.cancel();

    await expectError(await stream(other.id, `ticket=${encodeURIComponent(issued.ticket)}`), 401, 'unauthenticated');
    await expectError(await stream(run.id, 'ticket=forged'), 401, 'unauthenticated');
    // A ticket minted a minute ago (an injected clock) no longer opens anything.
    const { keyRing } = await loadConfig(env);
    const stale = await mintStreamTicket(keyRing, { runId: run.id, workspaceId: 'default', keyId: watcher.keyId }, Date.now() - 61_000);
    await expectError(await stream(run.id, `ticket=${encodeURIComponent(stale.ticket)}`), 401, 'unauthenticated');
    // Its key revoked, a fresh ticket opens nothing either.
    const fresh = await callJson(`/runs/${run.id}/logs/ticket`, { key: watcher.key, method: 'POST' }, 201);
    await callJson(`/api-keys/${watcher.keyId}`, { method: 'DELETE' }, 204);
    await expectError(await stream(run.id, `ticket=${encodeURIComponent(fresh.ticket)}`), 401, 'unauthenticated');
  });

  it(`hold at most ${MAX_STREAMS_PER_KEY} open per key in a workspace; a closed one frees its slot`, async () => {
    const run = await runningRun();
    const heavy = await userWithKey('default', 'viewer');
    const open: Awaited<ReturnType<typeof viewer>>[] = [];
    for (let i = 0; i < MAX_STREAMS_PER_KEY; i++) open.push(await viewer(run.id, `token=${heavy.key}`));
    await expectError(await stream(run.id, `token=${heavy.key}`, { Upgrade: 'websocket' }), 429, 'too_many_streams');
    // Another key is not held back by this one.
    const other = await viewer(run.id);
    other.ws.close();
    open[0]!.ws.close();
    await waitFor('the slot to free', () => open[0]!.closed() !== null, 2_000);
    await new Promise((r) => setTimeout(r, 200));
    const again = await viewer(run.id, `token=${heavy.key}`);
    again.ws.close();
    for (const v of open) v.ws.close();
  });
});
