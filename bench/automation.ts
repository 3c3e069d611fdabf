// Automation figures. (1) Claim throughput with concurrency limits on (a job limit and a workspace
// limit, both higher than the claimers can reach, so every claim pays for the counting) against the
// same drain without limits, 8 claimers, rounds alternating; and how many runs of a job capped at 2
// are ever held at once while 8 workers contend for them. (2) Webhook fan-out: 1,000 runs completed
// through the worker API with 3 webhooks each wanting run.completed, received by a local server —
// deliveries per second, run end → delivery p50/p99, and how many were lost or repeated.
// Usage: node bench/automation.ts
import { createServer } from 'node:http';
import { api, machine, percentile, startControlPlane } from './harness.ts';

const CLAIMERS = 8;
const RUNS = 300;
const ROUNDS = 3;
const COMPLETIONS = 1000;
const WEBHOOKS = 3;
const DELIVERY_DEADLINE_MS = 180_000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const cp = await startControlPlane({ vars: { ORCH_LEASE_SECONDS: '3600', ORCH_WEBHOOK_ALLOW_PRIVATE: 'true' } });
/** The most runs a worker may hold (its registered concurrency). */
const SLOTS = 64;
const register = async (name: string) => (await api(cp.base, '/workers/register', { body: { name, labels: {}, concurrency: SLOTS } })).id as string;

/** Queues RUNS runs of `jobId` and drains them with CLAIMERS claimers, one run per claim: runs per second. */
async function drain(jobId: string, round: string): Promise<number> {
  for (let i = 0; i < RUNS; i += 50) await Promise.all(Array.from({ length: Math.min(50, RUNS - i) }, () => api(cp.base, `/jobs/${jobId}/run`, { body: {} })));
  const workers = await Promise.all(Array.from({ length: CLAIMERS }, (_, i) => register(`${round}-${i}`)));
  let claimed = 0;
  const started = performance.now();
  await Promise.all(
    workers.map(async (first, i) => {
      let worker = first;
      let held = 0;
      for (;;) {
        // A worker is handed no more runs than its concurrency: a claimer whose worker is full goes on as a new one.
        if (held === SLOTS) [worker, held] = [await register(`${round}-${i}-more`), 0];
        const { runs } = await api(cp.base, '/workers/claim', { body: { worker_id: worker, max_runs: 1 } });
        if (runs.length === 0) return;
        held += runs.length;
        claimed += runs.length;
      }
    }),
  );
  if (claimed !== RUNS) throw new Error(`${round}: claimed ${claimed} of ${RUNS}`);
  return RUNS / ((performance.now() - started) / 1000);
}

async function claimWithLimits(): Promise<void> {
  const free = await api(cp.base, '/jobs', { body: { name: 'unlimited', task_prompt: 'x' } });
  const capped = await api(cp.base, '/jobs', { body: { name: 'capped', task_prompt: 'x', max_concurrent_runs: 10_000 } });
  const rates = { without: [] as number[], with: [] as number[] };
  for (let round = 1; round <= ROUNDS; round++) {
    await api(cp.base, '/workspaces/default', { method: 'PUT', body: { max_concurrent_runs: null } });
    rates.without.push(await drain(free.id, `free${round}`));
    await api(cp.base, '/workspaces/default', { method: 'PUT', body: { max_concurrent_runs: 100_000 } });
    rates.with.push(await drain(capped.id, `capped${round}`));
    console.log(`round ${round}: without limits ${Math.round(rates.without.at(-1)!)} runs/s, with job and workspace limits ${Math.round(rates.with.at(-1)!)} runs/s`);
  }
  await api(cp.base, '/workspaces/default', { method: 'PUT', body: { max_concurrent_runs: null } });
  const [without, withLimits] = [median(rates.without), median(rates.with)];
  console.log(
    `claim throughput, ${CLAIMERS} claimers, ${RUNS} runs, median of ${ROUNDS}: without limits ${Math.round(without)} runs/s, with limits ${Math.round(withLimits)} runs/s (${((100 * withLimits) / without).toFixed(0)} %)`,
  );
}

/**
 * Contention: CLAIMERS workers long-poll one job capped at 2 with LIMITED runs queued, each holding
 * what it gets for a moment and completing it, while the held count is sampled from D1's side.
 */
async function limitUnderContention(): Promise<void> {
  const LIMITED = 40;
  const job = await api(cp.base, '/jobs', { body: { name: 'capped at 2', task_prompt: 'x', max_concurrent_runs: 2 } });
  for (let i = 0; i < LIMITED; i++) await api(cp.base, `/jobs/${job.id}/run`, { body: {} });
  const workers = await Promise.all(Array.from({ length: CLAIMERS }, (_, i) => register(`contend-${i}`)));
  let done = 0;
  let maxHeld = 0;
  let samples = 0;
  const sampler = (async () => {
    while (done < LIMITED) {
      const held = (await api(cp.base, `/runs?job_id=${job.id}&limit=500`)).filter((r: { status: string }) => r.status === 'assigned' || r.status === 'running').length;
      maxHeld = Math.max(maxHeld, held);
      samples++;
    }
  })();
  const started = performance.now();
  await Promise.all(
    workers.map(async (worker) => {
      while (done < LIMITED) {
        const { runs } = await api(cp.base, '/workers/claim', { body: { worker_id: worker, max_runs: 4, wait_seconds: 1 } });
        for (const run of runs as { run_id: string; lease_token: string }[]) {
          await new Promise((r) => setTimeout(r, 20));
          await api(cp.base, `/workers/runs/${run.run_id}/complete`, { body: { status: 'completed' }, headers: { 'x-lease-token': run.lease_token } });
          done++;
        }
      }
    }),
  );
  await sampler;
  console.log(
    `a job capped at 2, ${CLAIMERS} workers claiming up to 4 each: ${LIMITED} runs done in ${((performance.now() - started) / 1000).toFixed(1)} s, at most ${maxHeld} held at once over ${samples} samples`,
  );
}

async function webhookFanOut(): Promise<void> {
  const received = new Map<string, number>();
  let repeats = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const key = `${req.url} ${req.headers['webhook-id']}`;
      if (received.has(key)) repeats++;
      else received.set(key, performance.now());
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const port = (server.address() as { port: number }).port;
  try {
    for (let i = 0; i < WEBHOOKS; i++) await api(cp.base, '/webhooks', { body: { url: `http://127.0.0.1:${port}/hook-${i}`, events: ['run.completed'] } });
    const worker = await register('fan-out');
    const ended = new Map<string, number>();
    const runIds: string[] = [];
    for (let i = 0; i < COMPLETIONS; i += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, COMPLETIONS - i) }, (_, j) => api(cp.base, '/runs', { body: { task_prompt: `fan-out ${i + j}` } })));
      runIds.push(...batch.map((r) => r.id as string));
    }
    const started = performance.now();
    for (let done = 0; done < COMPLETIONS; ) {
      const { runs } = await api(cp.base, '/workers/claim', { body: { worker_id: worker, max_runs: 50 } });
      await Promise.all(
        runs.map(async (run: { run_id: string; lease_token: string }) => {
          await api(cp.base, `/workers/runs/${run.run_id}/complete`, { body: { status: 'completed', result: 'done' }, headers: { 'x-lease-token': run.lease_token } });
          ended.set(run.run_id, performance.now());
        }),
      );
      done += runs.length;
    }
    const completedIn = performance.now() - started;
    const expected = COMPLETIONS * WEBHOOKS;
    const deadline = performance.now() + DELIVERY_DEADLINE_MS;
    while (received.size < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const lastAt = Math.max(...received.values());
    // Which run each delivery was for: the deliveries list names it.
    const latencies: number[] = [];
    const hooks = await api(cp.base, '/webhooks?limit=10');
    for (const hook of hooks) {
      let cursor: string | undefined;
      do {
        const res = await fetch(`${cp.base}/api/v1/webhooks/${hook.id}/deliveries?limit=500${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: 'Bearer admin' } });
        for (const d of (await res.json()) as { id: string; run_id: string }[]) {
          const at = received.get(`${new URL(hook.url).pathname} ${d.id}`);
          const end = ended.get(d.run_id);
          if (at !== undefined && end !== undefined) latencies.push(at - end);
        }
        cursor = /cursor=([^&>]+)/.exec(res.headers.get('link') ?? '')?.[1];
      } while (cursor);
    }
    latencies.sort((a, b) => a - b);
    console.log(
      `webhook fan-out: ${COMPLETIONS} runs completed in ${(completedIn / 1000).toFixed(1)} s (${Math.round(COMPLETIONS / (completedIn / 1000))}/s) × ${WEBHOOKS} webhooks: ` +
        `${received.size} of ${expected} deliveries received, ${expected - received.size} lost, ${repeats} repeated; ` +
        `${Math.round(received.size / ((lastAt - started) / 1000))} deliveries/s from the first completion to the last delivery; ` +
        `run end → delivery p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms (n=${latencies.length})`,
    );
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

try {
  console.log(`machine: ${machine()}`);
  await claimWithLimits();
  await limitUnderContention();
  await webhookFanOut();
} finally {
  await cp.stop();
}
