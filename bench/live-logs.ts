// Live-log figures for one run: ingest lines/s with 100-line batches (median of 5 rounds); emit → viewer latency p50/p99
// with 1, 10 and 100 WebSocket viewers; deliveries/s (lines × viewers received per second).
// Usage: [FC_PROFILE=1] node bench/live-logs.ts (FC_PROFILE=1: a round of ingestion with the control plane's isolate profiled)
import { api, machine, percentile, startControlPlane } from './harness.ts';
import { printHottest, profileIsolate } from './isolate-profile.ts';

const PROFILE = process.env.FC_PROFILE === '1';

const BATCH = 100;

async function runningRun(base: string) {
  const worker = await api(base, '/workers/register', { body: { name: 'bench', labels: {}, concurrency: 1 } });
  const run = await api(base, '/runs', { body: { task_prompt: 'bench' } });
  const { runs } = await api(base, '/workers/claim', { body: { worker_id: worker.id, max_runs: 1, wait_seconds: 5 } });
  const token = runs[0].lease_token as string;
  await api(base, `/workers/runs/${run.id}/start`, { method: 'POST', headers: { 'x-lease-token': token } });
  let sequence = 0;
  const post = (lines: string[]) =>
    api(base, `/workers/runs/${run.id}/logs`, {
      body: { lines: lines.map((line) => ({ stream: 'stdout', line, sequence: ++sequence })) },
      headers: { 'x-lease-token': token },
    });
  return { id: run.id as string, post };
}

async function ingest(base: string, batches: number): Promise<number> {
  const run = await runningRun(base);
  const payload = 'x'.repeat(80);
  const started = performance.now();
  for (let b = 0; b < batches; b++) await run.post(Array.from({ length: BATCH }, () => payload));
  return (batches * BATCH) / ((performance.now() - started) / 1000);
}

/** One key may hold at most 50 streams open (MAX_STREAMS_PER_KEY): the viewers share keys of their own, this many to a key. */
const VIEWERS_PER_KEY = 25;

async function fanOut(base: string, viewers: number, batches: number) {
  const run = await runningRun(base);
  const keys = await Promise.all(Array.from({ length: Math.ceil(viewers / VIEWERS_PER_KEY) }, async (_, i) => (await api(base, '/api-keys', { body: { name: `viewers ${viewers}/${i}`, role: 'viewer' } })).key as string));
  const url = (i: number) => `${base.replace('http', 'ws')}/api/v1/runs/${run.id}/logs/stream?token=${keys[Math.floor(i / VIEWERS_PER_KEY)]}`;
  const latencies: number[] = [];
  let received = 0;
  const expected = viewers * batches * BATCH;
  let allIn!: () => void;
  const done = new Promise<void>((r) => (allIn = r));
  const sockets = await Promise.all(
    Array.from({ length: viewers }, (_, i) => new Promise<WebSocket>((open, fail) => {
      const ws = new WebSocket(url(i));
      ws.onopen = () => open(ws);
      ws.onerror = () => fail(new Error('viewer could not connect'));
      ws.onmessage = (e) => {
        const msg = JSON.parse(String(e.data));
        if (msg.type !== 'log') return;
        const now = Date.now();
        for (const l of msg.lines) {
          latencies.push(now - Number(l.line.split(' ')[0]));
          if (++received === expected) allIn();
        }
      };
    })),
  );
  const started = performance.now();
  for (let b = 0; b < batches; b++) {
    await run.post(Array.from({ length: BATCH }, (_, i) => `${Date.now()} line ${b * BATCH + i}`));
    await new Promise((r) => setTimeout(r, 20));
  }
  await Promise.race([done, new Promise((r) => setTimeout(r, 60_000))]);
  const seconds = (performance.now() - started) / 1000;
  for (const ws of sockets) ws.close();
  latencies.sort((a, b) => a - b);
  return { viewers, received, expected, p50: percentile(latencies, 50), p99: percentile(latencies, 99), deliveriesPerSecond: received / seconds };
}

const cp = await startControlPlane({ profile: PROFILE });
try {
  console.log(`machine: ${machine()}`);
  await ingest(cp.base, 5); // warm-up
  // Several rounds, each a fresh run: the median is less at the mercy of a busy moment on the machine.
  const rates: number[] = [];
  for (let round = 0; round < 5; round++) rates.push(await ingest(cp.base, 100));
  rates.sort((a, b) => a - b);
  console.log(
    `ingest: median ${Math.round(rates[2]!)} lines/s, range ${Math.round(rates[0]!)}-${Math.round(rates[4]!)} (one run at a time, ${BATCH}-line batches, sequential posts, 5 rounds of 10,000 lines)`,
  );
  if (PROFILE) printHottest('while one run\'s lines are posted, 100 at a time', await profileIsolate(cp.inspectorPort!, 'flight-control', async () => void (await ingest(cp.base, 100))));
  for (const viewers of [1, 10, 100]) {
    const r = await fanOut(cp.base, viewers, 30);
    console.log(
      `viewers=${r.viewers}: emit→viewer p50 ${r.p50} ms, p99 ${r.p99} ms; ${Math.round(r.deliveriesPerSecond)} deliveries/s; received ${r.received}/${r.expected}`,
    );
  }
} finally {
  await cp.stop();
}
