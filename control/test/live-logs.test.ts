import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, callJson, userWithKey } from './helpers.ts';
import { lease, lines, readSse, runningRun, viewer } from './live.ts';

describe('live logs', () => {
  it('replays what a WebSocket viewer missed, then streams new lines and status changes in order', async () => {
    const run = await runningRun();
    await run.post(lines(1, 3));
    const v = await viewer(run.id);
    await v.until(() => v.logLines().length === 3);
    expect(v.statuses()).toEqual(['running']);

    await run.post(lines(4, 6));
    await run.post(lines(4, 6)); // a retried batch: stored and sent once
    await run.post([...lines(5, 7), ...lines(7, 7)]); // overlapping, and a line twice in one batch
    await v.until(() => v.logLines().length === 7);
    await run.complete('completed');
    await v.until(() => v.statuses().includes('completed'));
    expect(v.logLines().map((l: any) => l.line)).toEqual(lines(1, 7).map((l) => l.line));
    // The numbering stays gap-free however often lines were resent.
    expect(v.logLines().map((l: any) => l.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    v.ws.close();
  });

  it('lets a reconnecting viewer resume after the last sequence it saw, losing and repeating nothing', async () => {
    const run = await runningRun();
    await run.post(lines(1, 4));
    const first = await viewer(run.id);
    await first.until(() => first.logLines().length === 4);
    first.ws.close();
    await run.post(lines(5, 9));
    const second = await viewer(run.id, 'token=admin&after=4');
    await second.until(() => second.logLines().length === 5);
    expect(second.logLines().map((l: any) => l.line)).toEqual(lines(5, 9).map((l) => l.line));
    second.ws.close();
  });

  it('fans one batch out to many viewers', async () => {
    const run = await runningRun();
    const viewers = await Promise.all(Array.from({ length: 10 }, () => viewer(run.id)));
    await run.post(lines(1, 100));
    for (const v of viewers) {
      await v.until(() => v.logLines().length === 100);
      expect(v.logLines().at(-1).line).toBe('line 100');
      v.ws.close();
    }
  });

  it('fences log batches once the run is over, even though the hub had accepted that lease', async () => {
    const run = await runningRun();
    await run.post(lines(1, 2));
    await run.complete('completed');
    const late = await run.postRaw(lines(3, 3));
    expect(late.status).toBe(409);
    expect((await callJson<any[]>(`/runs/${run.id}/logs`)).map((l) => l.line)).toEqual(['line 1', 'line 2']);
  });

  it('carries the agent\'s event kinds and fields, ends with an end message, and downloads as text', async () => {
    const run = await runningRun();
    const call1 = { id: 'call_1', name: 'shell', arguments: { command: 'ls' } };
    await run.post([
      { stream: 'event', line: '▸ shell ls', sequence: 1, event: 'tool_request', data: call1 },
      { stream: 'stdout', line: 'file.txt', sequence: 2 },
    ]);
    const v = await viewer(run.id);
    await v.until(() => v.logLines().length === 2);
    expect(v.logLines().map((l: any) => l.event)).toEqual(['tool_request', null]);
    expect(v.logLines().map((l: any) => l.data)).toEqual([call1, null]);
    // Live viewers get the fields too, not only replays.
    await run.post([{ stream: 'stdout', line: 'file.txt', sequence: 2 }, { stream: 'event', line: 'complete: 3 tokens', sequence: 3, event: 'complete', data: { total_tokens: 3, cost_usd: null } }]);
    await v.until(() => v.logLines().length === 3);
    expect(v.logLines()[2]).toMatchObject({ event: 'complete', data: { total_tokens: 3, cost_usd: null } });
    await run.complete('completed');
    await v.until(() => v.messages().some((m: any) => m.type === 'end'));
    expect(v.messages().find((m: any) => m.type === 'end')).toEqual({ type: 'end', status: 'completed', last_sequence: 3 });
    v.ws.close();

    const late = await viewer(run.id);
    await late.until(() => late.messages().some((m: any) => m.type === 'end'));
    late.ws.close();

    const stored = await callJson<any[]>(`/runs/${run.id}/logs`);
    expect(stored[0]).toMatchObject({ line: '▸ shell ls', event: 'tool_request', data: call1 });
    expect(stored[1]).toMatchObject({ event: null, data: null });
    const text = await call(`/runs/${run.id}/logs/download`);
    expect(text.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(text.headers.get('content-disposition')).toBe(`attachment; filename="run-${run.id}.log"`);
    expect(await text.text()).toBe('[event] ▸ shell ls\n[stdout] file.txt\n[event] complete: 3 tokens\n');
    const bad = await run.postRaw([{ stream: 'stdout', line: 'x', sequence: 4, event: 'Not A Name' }]);
    expect(bad.status).toBe(422);
    const huge = await run.postRaw([{ stream: 'event', line: 'x', sequence: 4, event: 'tool_request', data: { arguments: 'y'.repeat(20_000) } }]);
    expect(huge.status).toBe(422);
    expect((await huge.json<any>()).fields[0].field).toBe('lines.0.data');
  });

  it('never accepts a batch under a lease D1 has taken back, though the hub trusted that lease', async () => {
    const run = await runningRun();
    await run.post(lines(1, 2));
    await run.post(lines(3, 3)); // stored through the hub's trusted lease, without a D1 check
    // The worker leaves; its run goes back to the queue and its lease with it.
    const { worker_id } = await callJson(`/runs/${run.id}`);
    await callJson('/workers/deregister', { body: { worker_id } }, 200);
    expect(await callJson(`/runs/${run.id}`)).toMatchObject({ status: 'queued' });
    expect((await run.postRaw(lines(4, 4))).status).toBe(409);
    const stored = (await callJson<any[]>(`/runs/${run.id}/logs`)).map((l) => l.line);
    expect(stored).toContain('line 3');
    expect(stored).not.toContain('line 4');
  });

  it('checks the workspace on the trusted-lease path too', async () => {
    const run = await runningRun();
    await run.post(lines(1, 1));
    const other = await callJson('/workspaces', { body: { name: 'Trusted path', slug: 'trusted-path' } }, 201);
    const res = await call(`/workers/runs/${run.id}/logs`, { workspace: other.id, body: { lines: lines(2, 2) }, headers: lease(run.token) });
    expect(res.status).toBe(409);
    expect((await callJson<any[]>(`/runs/${run.id}/logs`)).map((l) => l.line)).toEqual(['line 1']);
  });

  it('shows a viewer the status D1 holds even when the hub was never told of it', async () => {
    const run = await runningRun();
    await run.post(lines(1, 1));
    // A change that reached D1 while its announcement was lost (the control plane died in between).
    await env.DB.prepare(`UPDATE job_runs SET status = 'failed', failure_reason = 'worker_lost', updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1`).bind(run.id).run();
    const v = await viewer(run.id);
    await v.until(() => v.messages().some((m: any) => m.type === 'end'));
    expect(v.statuses().at(-1)).toBe('failed');
    v.ws.close();
  });

  it('keeps the latest status however late an older announcement arrives', async () => {
    const run = await runningRun();
    await run.complete('completed');
    const hub = env.RUN_HUB.get(env.RUN_HUB.idFromName(run.id));
    await hub.status({ runId: run.id, workspaceId: 'default', status: 'running', at: '2000-01-01T00:00:00.000Z' });
    const v = await viewer(run.id);
    await v.until(() => v.messages().some((m: any) => m.type === 'end'));
    expect(v.statuses()).toEqual(['completed']);
    v.ws.close();
  });

  it('records a gap in the worker numbering instead of hiding it', async () => {
    const run = await runningRun();
    await run.post(lines(1, 2));
    await run.post(lines(6, 7));
    const stored = await callJson<any[]>(`/runs/${run.id}/logs`);
    expect(stored.map((l) => l.line)).toEqual(['line 1', 'line 2', '[flight-control] gap: lines 3-5 of attempt 1 never arrived', 'line 6', 'line 7']);
  });

  it('keeps colour codes, control characters, emoji and replacement characters as sent; a lone surrogate becomes U+FFFD', async () => {
    const run = await runningRun();
    const kept = '\u001b[31mred\u001b[0m \u0000\t😀 \ufffd';
    await run.post([
      { stream: 'stdout', line: kept, sequence: 1 },
      { stream: 'stdout', line: 'a\ud800b', sequence: 2, event: 'message', data: { text: 'c\udc00d' } },
    ]);
    const v = await viewer(run.id);
    await v.until(() => v.logLines().length === 2);
    const stored = await callJson<any[]>(`/runs/${run.id}/logs`);
    for (const got of [stored, v.logLines()]) {
      expect(got.map((l: any) => l.line)).toEqual([kept, 'a\ufffdb']);
      expect(got[1].data).toEqual({ text: 'c\udc00d' });
    }
    v.ws.close();
  });

  it('serves the original SSE form: log events with {stream, line, sequence}', async () => {
    const run = await runningRun();
    await run.post(lines(1, 2));
    const res = await call(`/runs/${run.id}/logs/stream?token=admin&workspace_id=default`, { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await readSse(res, (t) => t.includes('line 2') && t.includes('event: status'));
    expect(text).toContain(`id: 1\nevent: log\ndata: ${JSON.stringify({ stream: 'stdout', line: 'line 1', sequence: 1 })}\n\n`);
    expect(text).toContain(`event: log\ndata: ${JSON.stringify({ stream: 'stdout', line: 'line 2', sequence: 2 })}`);
    expect(text).toContain('event: status\ndata: {"status":"running"}');
  });

  it('sends new lines to an open SSE stream', async () => {
    const run = await runningRun();
    const res = await call(`/runs/${run.id}/logs/stream`);
    const reading = readSse(res, (t) => t.includes('line 3'));
    await new Promise((r) => setTimeout(r, 50));
    await run.post(lines(1, 3));
    expect(await reading).toContain('"line":"line 3","sequence":3');
  });

  it('authenticates viewers: no key is 401, a wrong key 401, another workspace\'s run 404', async () => {
    const run = await runningRun();
    expect((await call(`/runs/${run.id}/logs/stream`, { key: null })).status).toBe(401);
    expect((await call(`/runs/${run.id}/logs/stream?token=wrong`, { key: null })).status).toBe(401);
    const other = await callJson('/workspaces', { body: { name: 'Elsewhere', slug: 'elsewhere' } }, 201);
    expect((await call(`/runs/${run.id}/logs/stream?token=admin&workspace_id=${other.id}`, { key: null })).status).toBe(404);
    // Membership is checked as on REST: a viewer of the run's workspace may watch, an outsider may not.
    const outsider = await userWithKey(other.id, 'member');
    expect((await call(`/runs/${run.id}/logs/stream?token=${outsider.key}&workspace_id=default`, { key: null })).status).toBe(403);
    expect((await call(`/runs/${run.id}/logs/stream?token=${outsider.key}&workspace_id=${other.id}`, { key: null })).status).toBe(404);
    const watcher = await userWithKey('default', 'viewer');
    const watching = await call(`/runs/${run.id}/logs/stream?token=${watcher.key}&workspace_id=default`, { key: null });
    expect(watching.status).toBe(200);
    await watching.body?.cancel();
    const proto = await exports.default.fetch(`http://fc.test/api/v1/runs/${run.id}/logs/stream`, {
      headers: { Upgrade: 'websocket', 'Sec-WebSocket-Protocol': 'flight-control, bearer.admin' },
    });
    expect(proto.status).toBe(101);
    expect(proto.headers.get('Sec-WebSocket-Protocol')).toBe('flight-control');
    proto.webSocket!.accept();
    proto.webSocket!.close();
  });

});
