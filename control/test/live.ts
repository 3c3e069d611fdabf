// Helpers for log-stream tests: a running run to post lines to, a WebSocket viewer through the public
// route, and an SSE reader.
import { exports } from 'cloudflare:workers';
import { expect } from 'vitest';
import { call, callJson } from './helpers.ts';

export const lease = (token: string) => ({ 'x-lease-token': token });
export const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => ({ stream: 'stdout', line: `line ${from + i}`, sequence: from + i }));

/** A queued run claimed and started by a fresh worker, ready for log batches. */
export async function runningRun() {
  const worker = await callJson<{ id: string }>('/workers/register', { body: { name: 'w', labels: {}, concurrency: 8 } }, 201);
  const run = await callJson('/runs', { body: { task_prompt: 'talk a lot' } }, 201);
  let claimed: any;
  for (let i = 0; i < 20 && !claimed; i++) {
    const { runs } = await callJson<{ runs: any[] }>('/workers/claim', { body: { worker_id: worker.id, max_runs: 8, wait_seconds: 0 } }, 200);
    claimed = runs.find((r) => r.run_id === run.id);
  }
  await callJson(`/workers/runs/${run.id}/start`, { method: 'POST', headers: lease(claimed.lease_token) }, 200);
  const post = (batch: unknown[]) => callJson(`/workers/runs/${run.id}/logs`, { body: { lines: batch }, headers: lease(claimed.lease_token) }, 200);
  const complete = (status: string) => callJson(`/workers/runs/${run.id}/complete`, { body: { status, result: 'ok', exit_code: 0 }, headers: lease(claimed.lease_token) }, 200);
  const postRaw = (batch: unknown[]) => call(`/workers/runs/${run.id}/logs`, { body: { lines: batch }, headers: lease(claimed.lease_token) });
  return { id: run.id as string, token: claimed.lease_token as string, post, postRaw, complete };
}

/** Opens a WebSocket viewer through the public route and collects every message it receives. */
export async function viewer(runId: string, query = 'token=admin') {
  const res = await exports.default.fetch(`http://fc.test/api/v1/runs/${runId}/logs/stream?${query}`, { headers: { Upgrade: 'websocket' } });
  expect(res.status).toBe(101);
  const ws = res.webSocket!;
  ws.accept();
  const messages: any[] = [];
  let closed: { code: number; reason: string } | null = null;
  ws.addEventListener('message', (e) => messages.push(JSON.parse(e.data as string)));
  ws.addEventListener('close', (e) => (closed = { code: e.code, reason: e.reason }));
  const logLines = () => messages.filter((m) => m.type === 'log').flatMap((m) => m.lines);
  const statuses = () => messages.filter((m) => m.type === 'status').map((m) => m.status);
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(check()).toBe(true);
  };
  return { ws, logLines, statuses, until, messages: () => messages, closed: () => closed };
}

/** Reads an SSE response until `check` holds on the text so far, then cancels it. */
export async function readSse(res: Response, check: (text: string) => boolean): Promise<string> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const deadline = Date.now() + 3_000;
  while (!check(text) && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  await reader.cancel();
  return text;
}

