// Soak: measures the fleet's peak claim-and-complete throughput (real workers, the real goose against
// the scripted model, a queue drained as fast as it goes), then queues runs at 70 % of that rate for
// N minutes. Reports the 5xx answers the benchmark and the workers got, the p99 latency of the API in
// the first minute against the last, and the resident memory of the control plane and of each worker
// over time. Usage: node bench/soak.ts [--minutes 10] [--workers 4] [--concurrency 2] [--peak-runs 60] [--load 0.7]
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { listRuns, rssMiB, sleep, startFleet, stopOnSignal, type Fleet } from './fleet.ts';
import { machine, percentile } from './harness.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    workers: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '2' },
    'peak-runs': { type: 'string', default: '60' },
    load: { type: 'string', default: '0.7' },
  },
});
const MINUTES = Number(values.minutes);
const WORKERS = Number(values.workers);
const CONCURRENCY = Number(values.concurrency);
const PEAK_RUNS = Number(values['peak-runs']);
const LOAD = Number(values.load);
const SAMPLE_MS = 10_000;
const PROBE_MS = 250;
const FINAL = new Set(['completed', 'failed', 'timeout', 'cancelled']);

interface Call {
  /** ms since the soak began */
  at: number;
  ms: number;
  status: number;
}

interface RunRow {
  id: string;
  status: string;
  name: string;
  created_at: string;
  completed_at: string | null;
}

const say = (line: string) => process.stderr.write(`soak ${new Date().toISOString().slice(11, 19)} ${line}\n`);

const calls: Call[] = [];
let soakStart = performance.now();

/** One API call, timed; network errors count as status 0. Never throws. */
async function timed(fleet: Fleet, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const begun = performance.now();
  try {
    const res = await fetch(`${fleet.base}/api/v1${path}`, {
      method,
      headers: { authorization: 'Bearer admin', 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    calls.push({ at: begun - soakStart, ms: performance.now() - begun, status: res.status });
    return { status: res.status, json: res.ok && text ? JSON.parse(text) : null };
  } catch {
    calls.push({ at: begun - soakStart, ms: performance.now() - begun, status: 0 });
    return { status: 0, json: null };
  }
}

const runBody = (fleet: Fleet, name: string) => ({
  name,
  task_prompt: `Soak ${name}: run the shell command, then say what happened.`,
  agent_type: 'goose',
  agent_config: { provider: 'openai', model: 'scripted-model', max_turns: 5 },
  env_vars: { OPENAI_HOST: fleet.model.url },
  credential_ids: ['openai'],
  timeout_seconds: 120,
});

async function waitDrained(fleet: Fleet, prefix: string, timeoutMs: number): Promise<RunRow[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = (await listRuns<RunRow>(fleet.base)).filter((r) => r.name.startsWith(prefix));
    if (rows.every((r) => FINAL.has(r.status)) || Date.now() > deadline) return rows;
    await sleep(1_000);
  }
}

/** Least-squares slope of y over x. */
function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  const num = points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
  const den = points.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  return num / den;
}

const fleet = await startFleet({ concurrency: CONCURRENCY });
stopOnSignal(fleet.stop);
let failed = false;
try {
  for (let i = 1; i <= WORKERS; i++) await fleet.startWorker(`soak-${i}`);
  const loadBefore = execSync('uptime').toString().trim();

  // Peak: a full queue, drained by every worker slot at once.
  say(`measuring peak throughput: ${PEAK_RUNS} runs, ${WORKERS} workers × concurrency ${CONCURRENCY}`);
  const peakStart = Date.now();
  await Promise.all(Array.from({ length: PEAK_RUNS }, (_, i) => timed(fleet, 'POST', '/runs', runBody(fleet, `peak-${i}`))));
  const peakRows = await waitDrained(fleet, 'peak-', 10 * 60_000);
  const peakCompleted = peakRows.filter((r) => r.status === 'completed');
  const peakEnd = Math.max(...peakCompleted.map((r) => Date.parse(r.completed_at!)));
  const peak = peakCompleted.length / ((peakEnd - peakStart) / 1000);
  if (peakCompleted.length !== PEAK_RUNS) say(`only ${peakCompleted.length} of ${PEAK_RUNS} peak runs completed`);
  const rate = LOAD * peak;
  say(`peak ${peak.toFixed(2)} runs/s; soaking at ${rate.toFixed(2)} runs/s for ${MINUTES} min`);
  calls.length = 0;

  // Soak: runs queued at a steady rate, open loop, while memory is sampled.
  const samples: { at: number; load: number; control: number | null; runtime: number | null; workers: (number | null)[] }[] = [];
  const workerPids = fleet.workers.map((w) => w.child.pid!);
  const sample = () => {
    const { node, runtime } = fleet.controlPids();
    const runtimeRss = runtime.map(rssMiB).reduce<number | null>((s, v) => (v === null ? s : (s ?? 0) + v), null);
    const load = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
    samples.push({ at: performance.now() - soakStart, load, control: node ? rssMiB(node) : null, runtime: runtimeRss, workers: workerPids.map(rssMiB) });
  };
  soakStart = performance.now();
  const soakWallStart = Date.now();
  const durationMs = MINUTES * 60_000;
  sample();
  const sampler = setInterval(sample, SAMPLE_MS);
  // A dashboard's reads, steadily: enough calls a minute (about 320 with the runs) for a minute's p99
  // to be more than its one or two slowest calls.
  let probes = 0;
  const metricsProbe = setInterval(() => void timed(fleet, 'GET', probes++ % 2 === 0 ? '/system/metrics' : '/runs?limit=20'), PROBE_MS);
  const inflight: Promise<unknown>[] = [];
  let queued = 0;
  while (performance.now() - soakStart < durationMs) {
    const due = soakStart + (queued / rate) * 1000;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    inflight.push(timed(fleet, 'POST', '/runs', runBody(fleet, `soak-${queued}`)));
    queued++;
  }
  clearInterval(metricsProbe);
  await Promise.all(inflight);
  if (performance.now() - soakStart - samples[samples.length - 1]!.at > SAMPLE_MS / 2) sample();
  clearInterval(sampler);
  say(`queued ${queued} runs; waiting for them to end`);
  const soakRows = await waitDrained(fleet, 'soak-', 5 * 60_000);
  const loadAfter = execSync('uptime').toString().trim();

  // Figures.
  const server = (c: Call) => c.status >= 500;
  const minute = (from: number) => calls.filter((c) => c.at >= from && c.at < from + 60_000).map((c) => c.ms).sort((a, b) => a - b);
  const first = minute(0);
  const last = minute(durationMs - 60_000);
  const p99First = percentile(first, 99);
  const p99Last = percentile(last, 99);
  const workerFailures = fleet.workers.map((w) => (w.output.match(/"status":5\d\d/g) ?? []).length);
  const completed = soakRows.filter((r) => r.status === 'completed');
  const runLatency = (from: number) =>
    soakRows
      .filter((r) => r.completed_at && Date.parse(r.created_at) - soakWallStart >= from && Date.parse(r.created_at) - soakWallStart < from + 60_000)
      .map((r) => Date.parse(r.completed_at!) - Date.parse(r.created_at))
      .sort((a, b) => a - b);
  const runFirst = runLatency(0);
  const runLast = runLatency(durationMs - 60_000);

  console.log(`\nSoak — ${machine()}`);
  console.log(`load before: ${loadBefore}`);
  console.log(`load after:  ${loadAfter}`);
  console.log(`peak claim-and-complete throughput: ${peak.toFixed(2)} runs/s (${PEAK_RUNS} runs queued at once, ${WORKERS} workers × concurrency ${CONCURRENCY}, real goose)`);
  console.log(`soak: ${MINUTES} min at ${(LOAD * 100).toFixed(0)} % = ${rate.toFixed(2)} runs/s; ${queued} runs queued, ${completed.length} completed, ${soakRows.length - completed.length} not completed (${[...new Set(soakRows.filter((r) => r.status !== 'completed').map((r) => r.status))].join(', ') || 'none'})`);
  console.log(`API calls by the benchmark: ${calls.length}; 5xx: ${calls.filter(server).length}; no answer: ${calls.filter((c) => c.status === 0).length}`);
  console.log(`worker calls answered 5xx (from the workers' logs): ${workerFailures.reduce((s, n) => s + n, 0)} (${workerFailures.join(', ')})`);
  const drift = (p99Last - p99First) / p99First;
  console.log(`API p99, first minute: ${p99First.toFixed(1)} ms (p50 ${percentile(first, 50).toFixed(1)}, ${first.length} calls); last minute: ${p99Last.toFixed(1)} ms (p50 ${percentile(last, 50).toFixed(1)}, ${last.length} calls); drift ${(drift * 100).toFixed(0)} %`);
  const minutes = Array.from({ length: Math.ceil(durationMs / 60_000) }, (_, m) => minute(m * 60_000));
  console.log(`API p50 / p99 per minute (ms): ${minutes.map((m) => `${percentile(m, 50).toFixed(0)} / ${percentile(m, 99).toFixed(0)}`).join(', ')}`);
  console.log(`run latency (created → completed) p99, first minute: ${(percentile(runFirst, 99) / 1000).toFixed(1)} s (p50 ${(percentile(runFirst, 50) / 1000).toFixed(1)}); last minute: ${(percentile(runLast, 99) / 1000).toFixed(1)} s (p50 ${(percentile(runLast, 50) / 1000).toFixed(1)})`);
  console.log('resident memory (MiB), one sample per minute:');
  const header = ['t (min)', 'load (1 min)', 'control node', 'control runtime', ...fleet.workers.map((w) => w.name)];
  console.log(`  ${header.join(' | ')}`);
  for (const s of samples.filter((_, i) => i % 6 === 0 || i === samples.length - 1)) {
    const cells = [(s.at / 60_000).toFixed(1), s.load, s.control, s.runtime, ...s.workers].map((v) => (typeof v === 'number' ? v.toFixed(1) : String(v ?? '–')));
    console.log(`  ${cells.join(' | ')}`);
  }
  // The first minute is warm-up (caches, the JIT, the first runs' logs), so the trend is taken after it.
  const trend = (pick: (s: (typeof samples)[number]) => number | null) =>
    slope(samples.filter((s) => s.at >= 60_000).flatMap((s) => (pick(s) === null ? [] : [[s.at / 60_000, pick(s)!] as [number, number]])));
  console.log(
    `memory trend after the first minute (least squares, MiB per minute): control node ${trend((s) => s.control).toFixed(2)}, runtime ${trend((s) => s.runtime).toFixed(2)}, ` +
      fleet.workers.map((w, i) => `${w.name} ${trend((s) => s.workers[i] ?? null).toFixed(2)}`).join(', '),
  );
} catch (err) {
  failed = true;
  console.error(err);
} finally {
  await fleet.stop();
}
process.exit(failed ? 1 : 0);
