// Dispatch figures: pickup latency (run created → claimed by an idle long-polling worker) p50/p99, and
// claim throughput (runs/s) with 8 concurrent claimers draining a queue — through the API, through the
// Dispatcher alone (bench/parts-entry.ts), and through bench/claim-baseline.ts, a Worker that runs only
// the claim statement, served by the same runtime on the same D1 database (on its own socket, and through
// the front door the API is reached by). Usage: [FC_PROFILE=1] node bench/dispatch.ts [rounds]
import { api, machine, percentile, startControlPlane, type ControlPlane } from './harness.ts';
import { printHottest, profileIsolate } from './isolate-profile.ts';

/** The most runs a worker may hold (its registered concurrency). */
const SLOTS = 64;

async function register(base: string, name: string, workspace = 'default') {
  return (await api(base, '/workers/register', { body: { name, labels: {}, concurrency: SLOTS }, headers: { 'X-Workspace-ID': workspace } })).id as string;
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

async function queueRuns(base: string, runs: number, prefix: string, workspace: string): Promise<void> {
  for (let i = 0; i < runs; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, runs - i) }, (_, j) => api(base, '/runs', { body: { task_prompt: `${prefix} ${i + j}` }, headers: { 'X-Workspace-ID': workspace } })));
  }
}

interface Drain {
  perSecond: number;
  cpuMsPerClaim: number;
  duplicates: number;
}

/**
 * Queues `runs` runs in a workspace of their own, then `claimers` new workers claim one run per request
 * until the queue is empty. Each drain starts as the first did: an empty queue, workers holding nothing.
 */
/** `around` wraps the claiming alone (not the queueing before it), e.g. to profile it. */
async function drain(cp: ControlPlane, claim: (worker: string, workspace: string) => Promise<string[]>, round: string, around = (claiming: () => Promise<void>) => claiming()): Promise<Drain> {
  const workspace = (await api(cp.base, '/workspaces', { body: { name: `bench ${round}`, slug: `bench-${round}` } })).id as string;
  await queueRuns(cp.base, RUNS, round, workspace);
  const workers = await Promise.all(Array.from({ length: CLAIMERS }, (_, i) => register(cp.base, `${round}-${i}`, workspace)));
  const seen = new Set<string>();
  let duplicates = 0;
  const cpu = cp.cpuMs();
  const started = performance.now();
  await around(async () => {
    await Promise.all(
      workers.map(async (first, i) => {
        let worker = first;
        let held = 0;
        for (;;) {
          // A worker is handed no more runs than its concurrency: a claimer whose worker is full goes on as a new one.
          if (held === SLOTS) [worker, held] = [await register(cp.base, `${round}-${i}-more`, workspace), 0];
          const got = await claim(worker, workspace);
          if (got.length === 0) return;
          held += got.length;
          for (const id of got) (seen.has(id) ? duplicates++ : seen.add(id));
        }
      }),
    );
  });
  const perSecond = seen.size / ((performance.now() - started) / 1000);
  if (seen.size !== RUNS) throw new Error(`${round}: claimed ${seen.size} of ${RUNS} runs`);
  return { perSecond, cpuMsPerClaim: (cp.cpuMs() - cpu) / RUNS, duplicates };
}

const runIds = (runs: { run_id: string }[]) => runs.map((r) => r.run_id);

async function post(url: string, body: unknown): Promise<{ runs: { run_id: string }[] }> {
  const res = await fetch(url, { method: 'POST', body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { runs: { run_id: string }[] };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// Long enough that no lease of an earlier round runs out, and its run comes back, while later rounds drain.
const LEASE_SECONDS = 3600;
const RUNS = 400;
const CLAIMERS = 8;
const ROUNDS = Number(process.argv[2] ?? 5);

/** FC_PROFILE=1: after the rounds, one more drain through the API with the control plane's isolate profiled. */
const PROFILE = process.env.FC_PROFILE === '1';

const cp = await startControlPlane({ entry: 'bench/parts-entry.ts', claimBaseline: true, profile: PROFILE, vars: { ORCH_LEASE_SECONDS: String(LEASE_SECONDS) } });
const paths = {
  'the API (POST /workers/claim)': async (worker: string, workspace: string) =>
    runIds((await api(cp.base, '/workers/claim', { body: { worker_id: worker, max_runs: 1, wait_seconds: 0 }, headers: { 'X-Workspace-ID': workspace } })).runs),
  'Dispatcher.claim() alone': async (worker: string, workspace: string) =>
    runIds((await post(`${cp.base}/api/__bench/claim-via-dispatcher`, { worker_id: worker, workspace_id: workspace, lease_seconds: LEASE_SECONDS })).runs),
  'the claim-only Worker': async (worker: string, workspace: string) =>
    runIds((await post(cp.claimBaseline!, { worker_id: worker, workspace_id: workspace, lease_seconds: LEASE_SECONDS })).runs),
  'the claim-only Worker, front door': async (worker: string, workspace: string) =>
    runIds((await post(cp.claimBaselineFrontDoor!, { worker_id: worker, workspace_id: workspace, lease_seconds: LEASE_SECONDS })).runs),
};
const BASELINES = ['the claim-only Worker', 'the claim-only Worker, front door'];
try {
  console.log(`machine: ${machine()}`);
  await pickup(cp.base, 3); // warm-up
  const lat = await pickup(cp.base, 50);
  console.log(`pickup latency (run created → idle long-polling worker has it): p50 ${lat.length && percentile(lat, 50).toFixed(1)} ms, p99 ${percentile(lat, 99).toFixed(1)} ms (n=${lat.length})`);

  // Rounds alternate between the paths, so load from elsewhere on the machine falls on all alike.
  const results = new Map<string, Drain[]>(Object.keys(paths).map((name) => [name, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [i, [name, claim]] of Object.entries(paths).entries()) results.get(name)!.push(await drain(cp, claim, `r${round}p${i}`));
    console.log(`round ${round}: ${[...results].map(([name, drains]) => `${name} ${Math.round(drains.at(-1)!.perSecond)} runs/s`).join(', ')}`);
  }
  const baseline = median(results.get(BASELINES[0]!)!.map((d) => d.perSecond));
  const frontDoor = median(results.get(BASELINES[1]!)!.map((d) => d.perSecond));
  console.log(`claim throughput, ${CLAIMERS} concurrent claimers, one run per claim, ${RUNS} runs, median of ${ROUNDS} rounds:`);
  for (const [name, drains] of results) {
    const rate = median(drains.map((d) => d.perSecond));
    const cpu = median(drains.map((d) => d.cpuMsPerClaim));
    const duplicates = drains.reduce((n, d) => n + d.duplicates, 0);
    console.log(`  ${name.padEnd(34)} ${Math.round(rate).toString().padStart(4)} runs/s (${((100 * rate) / baseline).toFixed(0).padStart(3)} % of the claim-only Worker on its own socket, ${((100 * rate) / frontDoor).toFixed(0).padStart(3)} % through the front door), runtime CPU ${cpu.toFixed(1)} ms per claim, duplicates ${duplicates}`);
  }
  // Each round's paths ran one after the other, so a round's ratio is least touched by the machine's
  // other load drifting between rounds.
  const paired = (name: string, to: string) => median(results.get(name)!.map((d, i) => d.perSecond / results.get(to)![i]!.perSecond));
  for (const to of BASELINES) {
    const api = paired('the API (POST /workers/claim)', to);
    const alone = paired('Dispatcher.claim() alone', to);
    console.log(`median of the rounds' own ratios to ${to}: the API ${(100 * api).toFixed(0)} %, Dispatcher.claim() alone ${(100 * alone).toFixed(0)} %`);
  }

  if (PROFILE) {
    const api = paths['the API (POST /workers/claim)'];
    let profile: Awaited<ReturnType<typeof profileIsolate>> | undefined;
    await drain(cp, api, 'profiled', async (claiming) => void (profile = await profileIsolate(cp.inspectorPort!, 'flight-control', claiming)));
    printHottest('during a drain through the API', profile!);
  }

  // What telling each claimed run's new RunHub would cost (claims used to; viewers now learn 'assigned' from the hub's own reading of D1).
  const price = async (part: string) => {
    const n = 100;
    const cpu = cp.cpuMs();
    const started = performance.now();
    for (let i = 0; i < n; i++) await post(`${cp.base}/api/__bench/${part}`, {});
    return { ms: (performance.now() - started) / n, cpuMs: (cp.cpuMs() - cpu) / n };
  };
  const [noop, hub] = [await price('noop'), await price('new-run-hub')];
  console.log(`a new RunHub told 'assigned' (what a claim would cost if it told each run's hub; claims no longer do): +${(hub.ms - noop.ms).toFixed(1)} ms and +${(hub.cpuMs - noop.cpuMs).toFixed(1)} ms runtime CPU over a bare route, one at a time`);
} finally {
  await cp.stop();
}
