// Dispatch figures: pickup latency (run created → claimed by an idle long-polling worker) p50/p99,
// and claim throughput (runs/s) with 8 concurrent claimers draining a queue.
// Usage: node bench/dispatch.ts
import { api, machine, percentile, startControlPlane } from './harness.ts';

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

const cp = await startControlPlane();
try {
  console.log(`machine: ${machine()}`);
  await pickup(cp.base, 3); // warm-up
  const lat = await pickup(cp.base, 50);
  console.log(`pickup latency (run created → idle long-polling worker has it): p50 ${lat.length && percentile(lat, 50).toFixed(1)} ms, p99 ${percentile(lat, 99).toFixed(1)} ms (n=${lat.length})`);
  const t = await throughput(cp.base, 400, 8);
  console.log(`claim throughput, 8 concurrent claimers, one run per claim: ${Math.round(t.perSecond)} runs/s (claimed ${t.claimed}, duplicates ${t.duplicates})`);
} finally {
  await cp.stop();
}
