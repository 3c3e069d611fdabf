// Hostile inputs and outputs: bodies nested too deep, artifacts that would render as pages, log lines
// that would forge others in a download, and the bounds on what one caller can make the control
// plane hold (workers per key, labels, artifacts per run, paged artifact lists).
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { MAX_ARTIFACTS_PER_RUN, MAX_JSON_DEPTH, MAX_LABELS, MAX_WORKERS_PER_KEY } from '../src/limits.ts';
import { call, callJson, expectError, unique } from './helpers.ts';
import { lease, runningRun } from './live.ts';

const nested = (depth: number) => '['.repeat(depth - 1) + ']'.repeat(depth - 1);

async function upload(runId: string, token: string, name: string, type: string, text: string) {
  const form = new FormData();
  form.set('file', new File([text], name, { type }));
  return call(`/workers/runs/${runId}/artifacts`, { method: 'POST', form, headers: lease(token) });
}

describe('inputs', () => {
  it(`refuses JSON nested deeper than ${MAX_JSON_DEPTH} levels with a 422 naming the body, before it is parsed`, async () => {
    const body = (depth: number) => `{"name":"deep","task_prompt":"p","agent_config":{"x":${nested(depth - 1)}}}`;
    expect((await call('/jobs', { rawBody: body(MAX_JSON_DEPTH) })).status).toBe(201);
    const refused = await expectError(await call('/jobs', { rawBody: body(MAX_JSON_DEPTH + 1) }), 422, 'validation_failed');
    expect(refused.fields).toEqual([{ field: 'body', message: `nests deeper than ${MAX_JSON_DEPTH} levels` }]);
    // Brackets inside strings are text, not nesting.
    expect((await call('/jobs', { body: { name: 'text', task_prompt: '['.repeat(500) } })).status).toBe(201);
    await expectError(await call('/runs', { rawBody: nested(100_000) }), 422, 'validation_failed');
  });

  it(`refuses more than ${MAX_LABELS} labels on a worker, a job or a run, naming the field`, async () => {
    const labels = Object.fromEntries(Array.from({ length: MAX_LABELS + 1 }, (_, i) => [`k${i}`, 'v']));
    const worker = await expectError(await call('/workers/register', { body: { name: 'w', labels } }), 422, 'validation_failed');
    expect(worker.fields[0].field).toBe('labels');
    expect((await expectError(await call('/jobs', { body: { name: 'j', task_prompt: 'p', labels } }), 422, 'validation_failed')).fields[0].field).toBe('labels');
    expect((await expectError(await call('/runs', { body: { task_prompt: 'p', required_labels: labels } }), 422, 'validation_failed')).fields[0].field).toBe('required_labels');
  });

  it(`lets one key keep at most ${MAX_WORKERS_PER_KEY} workers online`, async () => {
    const key = (await callJson('/api-keys', { body: { name: unique('fleet'), role: 'worker' } }, 201)).key as string;
    const ids: string[] = [];
    for (let i = 0; i < MAX_WORKERS_PER_KEY; i++) ids.push((await callJson('/workers/register', { key, body: { name: `w${i}` } }, 201)).id);
    await expectError(await call('/workers/register', { key, body: { name: 'one too many' } }), 429, 'too_many_workers');
    await callJson('/workers/deregister', { key, body: { worker_id: ids[0] } }, 200);
    await callJson('/workers/register', { key, body: { name: 'replacement' } }, 201);
  });
});

describe('outputs', () => {
  it('serves artifacts as downloads, never sniffed, and anything outside a short list of types as octet-stream', async () => {
    const run = await runningRun();
    const page = await callJson(`/runs/${run.id}/artifacts`, {}, 200);
    expect(page).toEqual([]);
    const html = await (await upload(run.id, run.token, 'page.html', 'text/html', '<script>alert(1)</script>')).json<any>();
    const svg = await (await upload(run.id, run.token, 'x.svg', 'image/svg+xml', '<svg onload="alert(1)"/>')).json<any>();
    const text = await (await upload(run.id, run.token, 'notes.txt', 'text/plain', 'hello')).json<any>();
    for (const [artifact, type] of [
      [html, 'application/octet-stream'],
      [svg, 'application/octet-stream'],
      [text, 'text/plain; charset=utf-8'],
    ] as const) {
      const res = await call(`/runs/${run.id}/artifacts/${artifact.id}`);
      expect(res.headers.get('content-type')).toBe(type);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-disposition')).toMatch(/^attachment; /);
      await res.body?.cancel();
    }
  });

  it('pages a run\'s artifacts like every list', async () => {
    const run = await runningRun();
    for (let i = 0; i < 3; i++) await upload(run.id, run.token, `f${i}.txt`, 'text/plain', String(i));
    const first = await call(`/runs/${run.id}/artifacts?limit=2`);
    expect((await first.json<any[]>()).map((a) => a.filename)).toEqual(['f0.txt', 'f1.txt']);
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.get('link') ?? '')?.[1];
    expect(next).toBeDefined();
    expect((await callJson<any[]>(next!.replace('/api/v1', ''))).map((a) => a.filename)).toEqual(['f2.txt']);
  });

  it(`keeps at most ${MAX_ARTIFACTS_PER_RUN} artifacts a run`, async () => {
    const run = await runningRun();
    await env.DB.batch(
      Array.from({ length: MAX_ARTIFACTS_PER_RUN }, (_, i) =>
        env.DB.prepare(
          `INSERT INTO artifacts (id, workspace_id, run_id, filename, content_type, size_bytes, checksum_sha256, storage_key) VALUES (?1, 'default', ?2, 'f', 'text/plain', 0, '', 'k')`,
        ).bind(`fill${i}-${run.id}`.slice(0, 32), run.id),
      ),
    );
    await expectError(await upload(run.id, run.token, 'one-too-many.txt', 'text/plain', 'x'), 429, 'too_many_artifacts');
  });

  it('downloads a log in which no line can forge another with a line break inside it', async () => {
    const run = await runningRun();
    await run.post([
      { stream: 'stdout', line: 'real\n[system] run completed (forged)', sequence: 1 },
      { stream: 'stderr', line: 'a\r\nb\u2028c', sequence: 2 },
    ]);
    const text = await (await call(`/runs/${run.id}/logs/download`)).text();
    expect(text.split('\n')).toEqual(['[stdout] real\u240a[system] run completed (forged)', '[stderr] a\u240d\u240ab\u2424c', '']);
  });
});
