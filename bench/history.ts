// Does the control plane slow down as its history grows? Runs are kept in D1 for good (only their logs
// expire), so a workspace that has run for months holds many finished runs, and every start of a
// worker registers a new one. This benchmark starts one control plane with an empty database and one
// whose database holds `size` finished runs (with their attempts, spread over 30 days, some of them
// runs of jobs) and 20,000 workers that came and went, and times the calls of the queue, the worker
// protocol and the dashboard's reads on each: p50 and p99 of one call at a time, and the runtime's
// CPU while the runs it claimed are held and the reaper's alarms come round. The two take turns,
// `rounds` times, so other load on the machine falls on both alike.
// Usage: node bench/history.ts [size=100000] [rounds=2]
import { DatabaseSync } from 'node:sqlite';
import { api, machine, percentile, startControlPlane, type ControlPlane } from './harness.ts';

const SIZE = Number(process.argv[2] ?? 100_000);
const ROUNDS = Number(process.argv[3] ?? 2);
const SAMPLES = 150;
const JOBS = 20;
const DAY_MS = 86_400_000;
/** Workers that registered and left before the benchmark (each start of a worker registers anew). */
const OLD_WORKERS = 20_000;
const OUTCOMES = ['completed', 'completed', 'completed', 'completed', 'failed', 'cancelled', 'timeout'];

/** `size` finished runs of the default workspace, as the queue leaves them, written straight into its database. */
function seed(size: number) {
  return (file: string) => {
    if (size === 0) return;
    const db = new DatabaseSync(file);
    const iso = (ms: number) => new Date(ms).toISOString();
    const now = Date.now();
    db.exec('BEGIN');
    const job = db.prepare(`INSERT INTO job_definitions (id, workspace_id, name, task_prompt) VALUES (?, 'default', ?, 'a task of the past')`);
    for (let j = 0; j < JOBS; j++) job.run(`job-old-${j}`, `old job ${j}`);
    const worker = db.prepare(`INSERT INTO workers (id, workspace_id, name, status, last_heartbeat, created_at, updated_at) VALUES (?, 'default', ?, 'offline', ?, ?, ?)`);
    for (let w = 0; w < OLD_WORKERS; w++) worker.run(`worker-old-${w}`, `old worker ${w}`, iso(now - 31 * DAY_MS), iso(now - 31 * DAY_MS), iso(now - 31 * DAY_MS));
    const run = db.prepare(`
      INSERT INTO job_runs (id, workspace_id, job_definition_id, status, worker_id, name, task_prompt, agent_type, attempt, lease_token,
                            started_at, completed_at, result, input_tokens, output_tokens, total_tokens, created_at, updated_at)
      VALUES (?, 'default', ?, ?, ?, ?, 'summarise the repository and save a report', 'goose', 1, ?, ?, ?, 'done', 1200, 300, 1500, ?, ?)`);
    const attempt = db.prepare(`INSERT INTO run_attempts (id, run_id, attempt, worker_id, lease_token, claimed_at, started_at, ended_at, outcome) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?)`);
    for (let i = 0; i < size; i++) {
      const created = now - 30 * DAY_MS + Math.floor((i / size) * 30 * DAY_MS);
      const id = `run-old-${i}`;
      const status = OUTCOMES[i % OUTCOMES.length]!;
      const workerId = `worker-old-${i % 50}`;
      const token = `token-old-${i}`;
      run.run(id, i % 3 === 0 ? `job-old-${i % JOBS}` : null, status, workerId, `old run ${i}`, token, iso(created + 1_000), iso(created + 60_000), iso(created), iso(created + 60_000));
      attempt.run(`attempt-old-${i}`, id, workerId, token, iso(created + 500), iso(created + 1_000), iso(created + 60_000), status);
    }
    db.exec('COMMIT');
    db.close();
  };
}

type Timings = Map<string, number[]>;

async function timed(into: Timings, name: string, call: () => Promise<unknown>): Promise<void> {
  const t = performance.now();
  await call();
  const list = into.get(name) ?? into.set(name, []).get(name)!;
  list.push(performance.now() - t);
}

/** Times each call SAMPLES times, after a few untimed calls of the same kind. */
async function measure(cp: ControlPlane, size: number, into: Timings, reaperCpu: number[]): Promise<void> {
  const base = cp.base;
  // A worker holds at most its concurrency (64): enough of them to hold every run claimed below.
  const workers = await Promise.all(Array.from({ length: Math.ceil((SAMPLES + 10) / 64) }, () => api(base, '/workers/register', { body: { name: 'bench', labels: {}, concurrency: 64 } })));
  const lease = (token: string) => ({ 'x-lease-token': token });
  const ids: string[] = [];
  for (let i = 0; i < SAMPLES + 10; i++) {
    const create = () => api(base, '/runs', { body: { task_prompt: `new ${i}` } }).then((r) => ids.push(r.id));
    if (i < 10) await create();
    else await timed(into, 'POST /runs', create);
  }
  const held: { run_id: string; lease_token: string }[] = [];
  for (let i = 0; i < ids.length; i++) {
    const claim = async () => {
      const { runs } = await api(base, '/workers/claim', { body: { worker_id: workers[Math.floor(i / 64)]!.id, max_runs: 1, wait_seconds: 0 } });
      if (runs.length !== 1) throw new Error('a claim found no run');
      held.push({ run_id: runs[0].run_id, lease_token: runs[0].lease_token });
    };
    if (i < 10) await claim();
    else await timed(into, 'POST /workers/claim', claim);
  }
  const each = async (name: string, call: (run: { run_id: string; lease_token: string }, i: number) => Promise<unknown>) => {
    for (let i = 0; i < held.length; i++) {
      if (i < 10) await call(held[i]!, i);
      else await timed(into, name, () => call(held[i]!, i));
    }
  };
  await each('POST /workers/runs/{id}/start', (r) => api(base, `/workers/runs/${r.run_id}/start`, { body: {}, headers: lease(r.lease_token) }));
  const lines = Array.from({ length: 20 }, (_, n) => ({ stream: 'stdout', line: `line ${n} of the agent's output`, sequence: n + 1 }));
  await each('POST /workers/runs/{id}/logs (20 lines)', (r) => api(base, `/workers/runs/${r.run_id}/logs`, { body: { lines }, headers: lease(r.lease_token) }));
  // The two full workers take turns, each renewing the 64 runs it holds.
  await each('POST /workers/heartbeat (64 leases)', (_r, i) =>
    api(base, '/workers/heartbeat', { body: { worker_id: workers[i % 2]!.id, runs: held.slice((i % 2) * 64, (i % 2) * 64 + 64) } }),
  );
  // The reaper's alarms while those runs are held (every 5 s): the runtime's CPU over 20 s, nothing else calling.
  const cpu = cp.cpuMs();
  await new Promise((r) => setTimeout(r, 20_000));
  reaperCpu.push(cp.cpuMs() - cpu);
  await each('POST /workers/runs/{id}/complete', (r) => api(base, `/workers/runs/${r.run_id}/complete`, { body: { status: 'completed', result: 'done' }, headers: lease(r.lease_token) }));
  // A job of today with a page of queued runs, the same with or without the history around it.
  const job = await api(base, '/jobs', { body: { name: 'bench job', task_prompt: 'today' } });
  for (let i = 0; i < 60; i++) await api(base, `/jobs/${job.id}/run`, { method: 'POST' });
  const reads: [string, (i: number) => string][] = [
    ['GET /runs', () => '/runs'],
    ['GET /runs?status=running', () => '/runs?status=running'],
    ['GET /runs?job_id=…', () => `/runs?job_id=${job.id}`],
    ['GET /runs?job_id=…&status=queued', () => `/runs?job_id=${job.id}&status=queued`],
    ['GET /runs/{id}', (i) => `/runs/${size > 0 ? `run-old-${(i * 7919) % size}` : ids[i % ids.length]}`],
    ['GET /system/metrics', () => '/system/metrics'],
    ['GET /system/activity', () => '/system/activity'],
    ['GET /system/workers', () => '/system/workers'],
    ['GET /system/workers?active=true', () => '/system/workers?active=true'],
  ];
  for (const [name, path] of reads) {
    for (let i = 0; i < SAMPLES + 10; i++) {
      if (i < 10) await api(base, path(i));
      else await timed(into, name, () => api(base, path(i)));
    }
  }
}

console.log(`machine: ${machine()}`);
const sizes = [0, SIZE];
const results = new Map<number, { timings: Timings; reaperCpu: number[] }>(sizes.map((s) => [s, { timings: new Map(), reaperCpu: [] }]));
for (let round = 0; round < ROUNDS; round++) {
  for (const size of round % 2 === 0 ? sizes : [...sizes].reverse()) {
    const seeding = performance.now();
    const cp = await startControlPlane({ seed: seed(size) });
    console.log(`round ${round + 1}: ${size.toLocaleString('en')} finished runs in history (seeded and started in ${((performance.now() - seeding) / 1000).toFixed(1)} s)`);
    try {
      const into = results.get(size)!;
      await measure(cp, size, into.timings, into.reaperCpu);
    } finally {
      await cp.stop();
    }
  }
}

const fmt = (ms: number) => ms.toFixed(1).padStart(6);
console.log(`\none call at a time, ${SAMPLES} × ${ROUNDS} calls each; p50 and p99 in ms, with ${SIZE.toLocaleString('en')} finished runs against none:`);
console.log(`${'call'.padEnd(44)} ${'p50 empty'.padStart(9)} ${'p50 full'.padStart(9)} ${'ratio'.padStart(6)}   ${'p99 empty'.padStart(9)} ${'p99 full'.padStart(9)}`);
const empty = results.get(0)!;
const full = results.get(SIZE)!;
for (const [name, list] of empty.timings) {
  const a = [...list].sort((x, y) => x - y);
  const b = [...(full.timings.get(name) ?? [])].sort((x, y) => x - y);
  const ratio = percentile(b, 50) / percentile(a, 50);
  console.log(`${name.padEnd(44)} ${fmt(percentile(a, 50))}    ${fmt(percentile(b, 50))}    ${ratio.toFixed(2).padStart(5)}   ${fmt(percentile(a, 99))}    ${fmt(percentile(b, 99))}`);
}
const cpu = (list: number[]) => list.map((ms) => `${Math.round(ms)}`).join(', ');
console.log(`runtime CPU over 20 s with runs held and nothing calling (the reaper's alarms), in ms per round: empty ${cpu(empty.reaperCpu)}; full ${cpu(full.reaperCpu)}`);
