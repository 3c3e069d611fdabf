// Concurrency limits: a job (or a workspace) capped at N never has more than N runs held by workers,
// however many workers claim at once; the rest wait queued with the reason shown, and are claimed in
// priority then FIFO order as slots free.
import { describe, expect, it } from 'vitest';
import { call, callJson, unique } from './helpers.ts';

const lease = (token: string) => ({ 'x-lease-token': token });

async function workspace(body: Record<string, unknown> = {}) {
  const slug = unique('limits');
  const ws = await callJson<{ id: string; max_concurrent_runs: number | null }>('/workspaces', { body: { name: slug, slug, ...body } }, 201);
  const api = <T = any>(path: string, payload?: unknown, expectStatus?: number, method?: string) =>
    callJson<T>(path, { workspace: ws.id, ...(payload === undefined ? {} : { body: payload }), ...(method ? { method } : {}) }, expectStatus);
  const register = async (concurrency = 4) => (await api<{ id: string }>('/workers/register', { name: 'w', labels: {}, concurrency }, 201)).id;
  const claim = async (workerId: string, max = 1) => (await api<{ runs: { run_id: string; lease_token: string }[] }>('/workers/claim', { worker_id: workerId, max_runs: max }, 200)).runs;
  const held = async () => (await api<{ status: string }[]>('/runs', undefined, 200)).filter((r) => r.status === 'assigned' || r.status === 'running').length;
  const complete = (runId: string, token: string) => call(`/workers/runs/${runId}/complete`, { workspace: ws.id, body: { status: 'completed' }, headers: lease(token) });
  return { ...ws, api, register, claim, held, complete };
}

describe('concurrency limits', { timeout: 30_000 }, () => {
  it('never lets more than a job’s limit run, with many workers claiming at once, and frees a slot on completion', async () => {
    const ws = await workspace();
    const job = await ws.api('/jobs', { name: 'capped', task_prompt: 'capped work', max_concurrent_runs: 2 }, 201);
    expect(job.max_concurrent_runs).toBe(2);
    const runs: { id: string }[] = [];
    for (let i = 0; i < 20; i++) runs.push(await ws.api(`/jobs/${job.id}/run`, {}, 201));
    const other = await ws.api('/runs', { task_prompt: 'not capped' }, 201);
    const workers = await Promise.all(Array.from({ length: 10 }, () => ws.register()));

    let maxHeld = 0;
    const taken: { run_id: string; lease_token: string }[] = [];
    for (let round = 0; round < 3; round++) {
      const claimed = (await Promise.all(workers.map((w) => ws.claim(w, 4)))).flat();
      taken.push(...claimed);
      maxHeld = Math.max(maxHeld, (await ws.api<{ status: string; job_definition_id: string | null }[]>('/runs', undefined, 200)).filter((r) => r.job_definition_id === job.id && r.status === 'assigned').length);
    }
    expect(maxHeld).toBe(2);
    // The uncapped run was not held back by the capped job.
    expect(taken.map((t) => t.run_id)).toContain(other.id);
    const capped = taken.filter((t) => t.run_id !== other.id);
    // Oldest first.
    expect(capped.map((t) => t.run_id).sort()).toEqual([runs[0]!.id, runs[1]!.id].sort());

    const waiting = await ws.api(`/runs/${runs[2]!.id}`);
    expect(waiting).toMatchObject({ status: 'queued', waiting_reason: 'job_concurrency_limit' });

    // A slot frees: exactly one more is claimed, the next in line, whoever asks.
    await ws.complete(capped[0]!.run_id, capped[0]!.lease_token);
    const next = (await Promise.all(workers.map((w) => ws.claim(w, 4)))).flat();
    expect(next.map((t) => t.run_id)).toEqual([runs[2]!.id]);
  });

  it('takes priority over age within a capped job, and counts a claim of several runs against the limit', async () => {
    const ws = await workspace();
    const job = await ws.api('/jobs', { name: 'ordered', task_prompt: 'ordered work', max_concurrent_runs: 3 }, 201);
    const low = [];
    for (let i = 0; i < 4; i++) low.push(await ws.api(`/jobs/${job.id}/run`, {}, 201));
    // An ad-hoc run of the same job is not possible; raise one run's priority through a job update and a new run.
    await ws.api(`/jobs/${job.id}`, { priority: 10 }, 200, 'PUT');
    const urgent = await ws.api(`/jobs/${job.id}/run`, {}, 201);
    const worker = await ws.register(8);
    const claimed = await ws.claim(worker, 8);
    expect(claimed.map((c) => c.run_id)).toEqual([urgent.id, low[0]!.id, low[1]!.id]);
    expect(await ws.claim(worker, 8)).toEqual([]);
  });

  it('caps the whole workspace, and a limit changed later applies to the next claim', async () => {
    const ws = await workspace({ max_concurrent_runs: 1 });
    expect(ws.max_concurrent_runs).toBe(1);
    const a = await ws.api('/runs', { task_prompt: 'a' }, 201);
    const b = await ws.api('/runs', { task_prompt: 'b' }, 201);
    const c = await ws.api('/runs', { task_prompt: 'c' }, 201);
    const workers = await Promise.all(Array.from({ length: 4 }, () => ws.register()));
    const first = (await Promise.all(workers.map((w) => ws.claim(w, 4)))).flat();
    expect(first.map((t) => t.run_id)).toEqual([a.id]);
    expect(await ws.api(`/runs/${b.id}`)).toMatchObject({ status: 'queued', waiting_reason: 'workspace_concurrency_limit' });

    const updated = await callJson(`/workspaces/${ws.id}`, { method: 'PUT', body: { max_concurrent_runs: 3 } }, 200);
    expect(updated.max_concurrent_runs).toBe(3);
    const more = (await Promise.all(workers.map((w) => ws.claim(w, 4)))).flat();
    expect(more.map((t) => t.run_id).sort()).toEqual([b.id, c.id].sort());
    expect(await ws.held()).toBe(3);
  });

  it('refuses a limit below one, naming the field', async () => {
    const ws = await workspace();
    const res = await call('/jobs', { workspace: ws.id, body: { name: 'bad', task_prompt: 'x', max_concurrent_runs: 0 } });
    expect(res.status).toBe(422);
    expect(JSON.stringify(await res.json())).toContain('max_concurrent_runs');
  });
});
