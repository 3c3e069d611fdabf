// Dispatch figures: pickup latency (run created → claimed by an idle long-polling worker) p50/p99,
// and claim throughput (runs/s) with 8 concurrent claimers draining a queue — through the API, and
// with the bare D1 claim statement on the same runtime (workerd's D1 via wrangler's platform proxy).
// Usage: node bench/dispatch.ts
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { getPlatformProxy } from 'wrangler';
import { claimStatement } from '../control/src/queue/transitions.ts';
import { api, machine, percentile, startControlPlane } from './harness.ts';

const ROOT = resolve(import.meta.dirname, '..');

async function register(base: string, name: string) {
  return (await api(base, '/workers/register', { body: { name, labels: {}, concurrency: 64 } })).id as string;
}

async function pickup(base: string, samples: number): Promise<number[]> {
  const worker = await register(base, 'idle');
  const latencies: number[] = [];
  for (let i = 0; i < samples; i++) {
    const claiming = api(base, '/workers/claim', { body: { worker_id: worker, max_runs: 1, wait_seconds: 25 } });
    await new Promise((r) => setTimeout(r, 100)); // let the claim park
    const created = performance.now();
    await api(base, '/runs', { body: { task_prompt: `pickup ${i}` } });
    const { runs } = await claiming;
    if (runs.length !== 1) throw new Error('the parked claim came back empty');
    latencies.push(performance.now() - created);
  }
  return latencies.sort((a, b) => a - b);
}

async function throughput(base: string, runs: number, claimers: number): Promise<{ perSecond: number; claimed: number; duplicates: number }> {
  for (let i = 0; i < runs; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, runs - i) }, (_, j) => api(base, '/runs', { body: { task_prompt: `t ${i + j}` } })));
  }
  const workers = await Promise.all(Array.from({ length: claimers }, (_, i) => register(base, `c${i}`)));
  const seen = new Set<string>();
  let duplicates = 0;
  const started = performance.now();
  await Promise.all(
    workers.map(async (worker) => {
      for (;;) {
        const { runs: got } = await api(base, '/workers/claim', { body: { worker_id: worker, max_runs: 1, wait_seconds: 0 } });
        if (got.length === 0) return;
        for (const r of got) (seen.has(r.run_id) ? duplicates++ : seen.add(r.run_id));
      }
    }),
  );
  return { perSecond: seen.size / ((performance.now() - started) / 1000), claimed: seen.size, duplicates };
}

/** The same drain with the claim statement alone: no HTTP, no auth, no Dispatcher, no credentials. */
async function bareThroughput(runs: number, claimers: number): Promise<number> {
  const state = mkdtempSync(join(tmpdir(), 'fc-bench-bare-'));
  const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' };
  const migrate = spawnSync(join(ROOT, 'node_modules/.bin/wrangler'), ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state], { cwd: ROOT, env, encoding: 'utf8' });
  if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}${migrate.stderr}`);
  const proxy = await getPlatformProxy<{ DB: D1Database }>({ configPath: join(ROOT, 'wrangler.toml'), persist: { path: join(state, 'v3') } });
  try {
    const db = proxy.env.DB;
    const insert = db.prepare(`INSERT INTO job_runs (id, workspace_id, name, task_prompt, agent_type) VALUES (?1, 'default', 'bare', 'bare', 'goose')`);
    for (let i = 0; i < runs; i += 50) await db.batch(Array.from({ length: Math.min(50, runs - i) }, (_, j) => insert.bind(`bare${i + j}`)));
    const workers = Array.from({ length: claimers }, (_, i) => `bw${i}`);
    await db.batch(workers.map((id) => db.prepare(`INSERT INTO workers (id, workspace_id, key_id, name, labels, concurrency, last_heartbeat) VALUES (?1, 'default', 'bench', ?1, '{}', 64, '2026-01-01T00:00:00.000Z')`).bind(id)));
    let claimed = 0;
    const started = performance.now();
    await Promise.all(
      workers.map(async (workerId) => {
        for (;;) {
          const result = await claimStatement(db, { workspaceId: 'default', workerId, keyId: 'bench', max: 1, fencing: 'token' }, 60);
          if (!result.known || result.runs.length === 0) return;
          claimed += result.runs.length;
        }
      }),
    );
    if (claimed !== runs) throw new Error(`bare claims took ${claimed} of ${runs} runs`);
    return claimed / ((performance.now() - started) / 1000);
  } finally {
    await proxy.dispose();
    rmSync(state, { recursive: true, force: true });
  }
}

const cp = await startControlPlane();
try {
  console.log(`machine: ${machine()}`);
  await pickup(cp.base, 3); // warm-up
  const lat = await pickup(cp.base, 50);
  console.log(`pickup latency (run created → idle long-polling worker has it): p50 ${lat.length && percentile(lat, 50).toFixed(1)} ms, p99 ${percentile(lat, 99).toFixed(1)} ms (n=${lat.length})`);
  const t = await throughput(cp.base, 400, 8);
  console.log(`claim throughput, 8 concurrent claimers, one run per claim: ${Math.round(t.perSecond)} runs/s (claimed ${t.claimed}, duplicates ${t.duplicates})`);
  const bare = await bareThroughput(400, 8);
  console.log(`bare D1 claim statement, same drain: ${Math.round(bare)} runs/s; API / bare = ${((100 * t.perSecond) / bare).toFixed(0)} %`);
} finally {
  await cp.stop();
}
