// Control-plane memory per run, without goose: runs are created and taken through the worker protocol
// over HTTP (claim, start, a few log lines, complete), optionally watched by a WebSocket viewer each,
// on a control plane served as `make run` serves it. Samples the runtime's (workerd's) resident memory
// and open file descriptors as runs complete, then while idle, and prints MiB per 100 runs by thirds.
// Variants isolate the cause: `--queued-only` grows D1 alone (no hub is touched), `--logs 0` touches
// each hub with status changes only, `--viewer` adds a live viewer per run, and `--requests N` sends
// N `GET /api/v1/health` instead of runs (with `--ok`, to a Worker that answers `ok` and nothing more:
// the runtime's own cost per request).
// Usage: node bench/memory.ts [--runs 600] [--logs 20] [--viewer] [--queued-only] [--requests N [--ok]]
//        [--parallel 8] [--every 100] [--idle 30] [--heap-mib N]
import { execSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { rssMiB, sleep } from './fleet.ts';
import { api, childrenOf, cmdline, machine, startControlPlane } from './harness.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '600' },
    logs: { type: 'string', default: '20' },
    viewer: { type: 'boolean', default: false },
    'queued-only': { type: 'boolean', default: false },
    requests: { type: 'string' },
    ok: { type: 'boolean', default: false },
    parallel: { type: 'string', default: '8' },
    every: { type: 'string', default: '100' },
    idle: { type: 'string', default: '30' },
    'heap-mib': { type: 'string' },
  },
});
const REQUESTS = values.requests === undefined ? null : Number(values.requests);
const TOTAL = REQUESTS ?? Number(values.runs);
const LOGS = Number(values.logs);
const PARALLEL = Number(values.parallel);
const EVERY = Number(values.every);
const IDLE_S = Number(values.idle);
// Miniflare starts workerd with V8's default heap limit (about 1.4 GiB per isolate); a Worker on
// Cloudflare gets 128 MB. A limit here shows how much of the growth is garbage V8 has not collected yet.
if (values['heap-mib']) process.env.MINIFLARE_WORKERD_V8_FLAGS = `--max-old-space-size=${Number(values['heap-mib'])}`;

interface Sample {
  done: number;
  seconds: number;
  rss: number;
  fds: number;
}

const cp = await startControlPlane(values.ok ? { entry: 'bench/ok-entry.ts' } : {});
const began = performance.now();
const runtime = childrenOf(process.pid).filter((pid) => cmdline(pid).includes('workerd'));
const samples: Sample[] = [];

/** Open files of a process: each Durable Object the runtime holds keeps its SQLite files open. */
function openFiles(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

function sample(done: number): void {
  const taken = {
    done,
    seconds: (performance.now() - began) / 1000,
    rss: runtime.map((pid) => rssMiB(pid) ?? 0).reduce((s, v) => s + v, 0),
    fds: runtime.map(openFiles).reduce((s, v) => s + v, 0),
  };
  samples.push(taken);
  process.stderr.write(`memory ${taken.done} done, ${taken.seconds.toFixed(0)} s: ${taken.rss.toFixed(1)} MiB, ${taken.fds} fds\n`);
}

/** A viewer of the run's log; `ended` settles once the hub has sent the run's end. */
function watch(runId: string): Promise<{ ended: Promise<void> }> {
  return new Promise((opened, fail) => {
    const ws = new WebSocket(`${cp.base.replace('http', 'ws')}/api/v1/runs/${runId}/logs/stream?token=admin`);
    const ended = new Promise<void>((done) =>
      ws.addEventListener('message', (e) => {
        if ((JSON.parse(String(e.data)) as { type: string }).type === 'end') done();
      }),
    );
    ws.addEventListener('open', () => opened({ ended }));
    ws.addEventListener('error', () => fail(new Error(`viewer of ${runId} could not connect`)));
  });
}

/** One claimed run taken to `completed` the way a worker does it. */
async function work(run: { run_id: string; lease_token: string }): Promise<void> {
  const lease = { 'x-lease-token': run.lease_token };
  const viewer = values.viewer ? await watch(run.run_id) : null;
  await api(cp.base, `/workers/runs/${run.run_id}/start`, { method: 'POST', headers: lease });
  if (LOGS > 0) {
    const lines = Array.from({ length: LOGS }, (_, i) => ({ stream: 'stdout', line: `line ${i + 1} of run ${run.run_id}`, sequence: i + 1 }));
    await api(cp.base, `/workers/runs/${run.run_id}/logs`, { body: { lines }, headers: lease });
  }
  await api(cp.base, `/workers/runs/${run.run_id}/complete`, { body: { status: 'completed', result: 'done', exit_code: 0 }, headers: lease });
  await viewer?.ended;
}

/** `count` runs created, and unless `--queued-only` claimed and completed. */
async function runs(workerId: string, first: number, count: number): Promise<void> {
  await Promise.all(Array.from({ length: count }, (_, i) => api(cp.base, '/runs', { body: { name: `memory-${first + i}`, task_prompt: 'memory bench' } })));
  if (values['queued-only']) return;
  const claimed: { run_id: string; lease_token: string }[] = [];
  while (claimed.length < count) {
    const { runs } = await api<{ runs: { run_id: string; lease_token: string }[] }>(cp.base, '/workers/claim', { body: { worker_id: workerId, max_runs: count - claimed.length, wait_seconds: 5 } });
    claimed.push(...runs);
  }
  await Promise.all(claimed.map(work));
}

async function requests(count: number): Promise<void> {
  await Promise.all(Array.from({ length: count }, () => fetch(`${cp.base}/api/v1/health`).then((r) => r.text())));
}

function variant(): string {
  if (REQUESTS !== null) return `requests GET /api/v1/health to ${values.ok ? 'a Worker that answers ok' : 'the control plane'}`;
  if (values['queued-only']) return 'runs created and left queued (D1 only)';
  return `runs claimed, started${LOGS > 0 ? `, ${LOGS} log lines` : ''}, completed${values.viewer ? ', a WebSocket viewer each' : ''}`;
}

try {
  const workerId = REQUESTS === null ? (await api<{ id: string }>(cp.base, '/workers/register', { body: { name: 'memory-bench', labels: {}, concurrency: PARALLEL } })).id : '';
  sample(0);
  for (let done = 0; done < TOTAL; ) {
    const batch = Math.min(PARALLEL, TOTAL - done);
    await (REQUESTS === null ? runs(workerId, done, batch) : requests(batch));
    const before = done;
    done += batch;
    if (Math.floor(done / EVERY) > Math.floor(before / EVERY) || done === TOTAL) sample(done);
  }
  // Idle: what the runtime gives back once nothing happens (idle objects evicted, caches settled).
  for (let s = 5; s <= IDLE_S; s += 5) {
    await sleep(5_000);
    sample(TOTAL);
  }

  const unit = REQUESTS === null ? 'runs' : 'requests';
  const load = execSync('uptime').toString().trim();
  console.log(`\nMemory per ${unit.slice(0, -1)} — ${machine()}`);
  console.log(`${TOTAL} ${variant()}; ${PARALLEL} at a time${values['heap-mib'] ? `; V8 heap limit ${values['heap-mib']} MiB` : ''}; ${load}`);
  console.log(`  ${unit} | s | workerd RSS (MiB) | open fds`);
  for (const s of samples) console.log(`  ${s.done} | ${s.seconds.toFixed(0)} | ${s.rss.toFixed(1)} | ${s.fds}`);
  // Growth by thirds of the work: a slope that falls third by third is levelling off.
  const working = samples.filter((s, i) => i === 0 || s.done !== samples[i - 1]!.done);
  const third = Math.max(1, Math.floor((working.length - 1) / 3));
  const stretches = [working.slice(0, third + 1), working.slice(third, 2 * third + 1), working.slice(2 * third)].filter((w) => w.length > 1);
  const perHundred = (w: Sample[]) => ((w.at(-1)!.rss - w[0]!.rss) / (w.at(-1)!.done - w[0]!.done)) * 100;
  console.log(`MiB per 100 ${unit}, by thirds: ${stretches.map((w) => perHundred(w).toFixed(2)).join(', ')}`);
  const last = working.at(-1)!;
  const idle = samples.at(-1)!;
  console.log(`after ${IDLE_S} s idle: ${(idle.rss - last.rss).toFixed(1)} MiB, ${idle.fds - last.fds} fds`);
} finally {
  await cp.stop();
}
