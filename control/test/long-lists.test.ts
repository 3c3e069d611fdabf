// Lists longer than D1's 100 bound parameters per statement: a fleet of 150 workers, a page of 150
// webhook deliveries, and a claim in a workspace of 120 skills all answer, rather than fail in SQL.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { callJson, unique } from './helpers.ts';

const MANY = 150;

async function workspace() {
  const slug = unique('long');
  const ws = (await callJson<{ id: string }>('/workspaces', { body: { name: slug, slug } }, 201)).id;
  const api = <T = any>(path: string, body?: unknown, status = 200) => callJson<T>(path, { workspace: ws, ...(body === undefined ? {} : { body }) }, status);
  return { ws, api };
}

describe('long lists', () => {
  it('lists a fleet of 150 workers with the runs each holds', async () => {
    const { ws, api } = await workspace();
    await env.DB.batch(
      Array.from({ length: MANY }, (_, i) => env.DB.prepare("INSERT INTO workers (id, workspace_id, name, key_id) VALUES (?1, ?2, ?3, 'default')").bind(`${ws}-w${i}`, ws, `w${i}`)),
    );
    const workers = await api<{ id: string; run_ids: string[] }[]>('/system/workers?limit=500');
    expect(workers).toHaveLength(MANY);
    expect(workers.every((w) => Array.isArray(w.run_ids))).toBe(true);
  });

  it('pages 150 webhook deliveries at once, each with its tries', async () => {
    const { ws, api } = await workspace();
    const hook = await api('/webhooks', { url: 'https://hooks.example.invalid/x', events: ['run.completed'], enabled: false }, 201);
    await env.DB.batch(
      Array.from({ length: MANY }, (_, i) =>
        env.DB.prepare("INSERT INTO webhook_deliveries (id, webhook_id, workspace_id, event, payload, status, attempts) VALUES (?1, ?2, ?3, 'run.completed', '{}', 'failed', 1)").bind(`msg_${ws}_${i}`, hook.id, ws),
      ),
    );
    await env.DB.batch(
      Array.from({ length: MANY }, (_, i) => env.DB.prepare("INSERT INTO webhook_attempts (id, delivery_id, attempt, status_code, latency_ms) VALUES (?1, ?2, 1, 500, 3)").bind(`${ws}-a${i}`, `msg_${ws}_${i}`)),
    );
    const deliveries = await api<{ tries: { status_code: number }[] }[]>(`/webhooks/${hook.id}/deliveries?limit=500`);
    expect(deliveries).toHaveLength(MANY);
    expect(deliveries.every((d) => d.tries.length === 1 && d.tries[0]!.status_code === 500)).toBe(true);
  });

  it('hands a run every skill of a workspace that has 120 of them', async () => {
    const { ws, api } = await workspace();
    await env.DB.batch(
      Array.from({ length: 120 }, (_, i) =>
        env.DB.prepare("INSERT INTO skills (id, workspace_id, name, description, instructions) VALUES (?1, ?2, ?3, 'a skill', 'do it')").bind(`${ws}-s${i}`, ws, `skill-${i}`),
      ),
    );
    const run = await api('/runs', { task_prompt: 'use them all', skill_ids: null }, 201);
    const worker = await api('/workers/register', { name: 'w', labels: {}, concurrency: 1 }, 201);
    const { runs } = await api<{ runs: { run_id: string; skills: unknown[] }[] }>('/workers/claim', { worker_id: worker.id });
    expect(runs.map((r) => r.run_id)).toEqual([run.id]);
    expect(runs[0]!.skills).toHaveLength(120);
  });
});
