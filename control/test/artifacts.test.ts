import { describe, expect, it } from 'vitest';
import { call, callJson } from './helpers.ts';

const lease = (token: string) => ({ 'x-lease-token': token });

async function claimedRun() {
  const worker = await callJson<{ id: string }>('/workers/register', { body: { name: 'w', labels: {}, concurrency: 8 } }, 201);
  const run = await callJson('/runs', { body: { task_prompt: 'make files' } }, 201);
  let claimed: any;
  for (let i = 0; i < 20 && !claimed; i++) {
    const { runs } = await callJson<{ runs: any[] }>('/workers/claim', { body: { worker_id: worker.id, max_runs: 8, wait_seconds: 0 } }, 200);
    claimed = runs.find((r) => r.run_id === run.id);
  }
  return { id: run.id as string, token: claimed.lease_token as string };
}

function upload(runId: string, token: string, file: File | null) {
  const form = new FormData();
  if (file) form.set('file', file);
  return call(`/workers/runs/${runId}/artifacts`, { method: 'POST', form, headers: lease(token) });
}

describe('artifacts', () => {
  it('stores an uploaded file in R2 and serves it back byte for byte with its checksum', async () => {
    const run = await claimedRun();
    const bytes = new Uint8Array([0, 1, 2, 250, 255, 10, 13]);
    const res = await upload(run.id, run.token, new File([bytes], 'out/../report.bin', { type: 'application/x-report' }));
    expect(res.status).toBe(201);
    const artifact = await res.json<any>();
    const expectedSum = [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
    expect(artifact).toMatchObject({ run_id: run.id, filename: 'report.bin', content_type: 'application/x-report', size_bytes: 7, checksum_sha256: expectedSum });

    expect(await callJson(`/runs/${run.id}/artifacts`)).toEqual([artifact]);
    const download = await call(`/runs/${run.id}/artifacts/${artifact.id}`);
    expect(download.status).toBe(200);
    // The stored type is kept on the record; one outside the served list is downloaded as bytes.
    expect(download.headers.get('content-type')).toBe('application/octet-stream');
    expect(download.headers.get('content-disposition')).toContain('attachment; filename="report.bin"');
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(bytes);
  });

  it('lists artifacts oldest first', async () => {
    const run = await claimedRun();
    for (const name of ['a.txt', 'b.txt', 'c.txt']) {
      expect((await upload(run.id, run.token, new File([name], name, { type: 'text/plain' }))).status).toBe(201);
    }
    expect((await callJson<any[]>(`/runs/${run.id}/artifacts`)).map((a) => a.filename)).toEqual(['a.txt', 'b.txt', 'c.txt']);
  });

  it('refuses an upload without a file (422 naming `file`) or with a stale lease (409)', async () => {
    const run = await claimedRun();
    const missing = await upload(run.id, run.token, null);
    expect(missing.status).toBe(422);
    const told = { field: 'file', message: 'must be a file: a multipart/form-data part with a filename' };
    expect((await missing.json<{ fields: unknown[] }>()).fields).toEqual([told]);
    // A text part named `file` is not a file either.
    const form = new FormData();
    form.set('file', 'just text');
    const text = await call(`/workers/runs/${run.id}/artifacts`, { method: 'POST', form, headers: lease(run.token) });
    expect(text.status).toBe(422);
    expect((await text.json<{ fields: unknown[] }>()).fields).toEqual([told]);
    const stale = await upload(run.id, 'not-the-lease', new File(['x'], 'x.txt'));
    expect(stale.status).toBe(409);
    expect((await stale.json<any>()).code).toBe('lease_lost');
  });

  it('answers 404 for unknown runs and artifacts and for another workspace\'s run', async () => {
    const run = await claimedRun();
    const res = await upload(run.id, run.token, new File(['secret plans'], 'plans.txt'));
    const artifact = await res.json<any>();
    expect((await call('/runs/nope/artifacts')).status).toBe(404);
    expect((await call(`/runs/${run.id}/artifacts/nope`)).status).toBe(404);
    const other = await callJson('/workspaces', { body: { name: 'Other', slug: 'other' } }, 201);
    expect((await call(`/runs/${run.id}/artifacts`, { workspace: other.id })).status).toBe(404);
    expect((await call(`/runs/${run.id}/artifacts/${artifact.id}`, { workspace: other.id })).status).toBe(404);
  });
});
