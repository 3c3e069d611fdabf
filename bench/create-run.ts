// Creating a run (POST /runs): p50/p99 one request at a time and four at a time, with the control plane
// served as `make run` serves it (scripts/serve.ts) and under `wrangler dev` (with and without its local
// request tracing), taking turns so other load on the machine falls on all alike; and where the time
// goes, from bare routes that each do one part of the work (bench/parts-entry.ts).
// Usage: node bench/create-run.ts
import { ADMIN, machine, percentile, startControlPlane, type ControlPlane, type StartOptions } from './harness.ts';

const ROUNDS = 3;
const N = 150;

interface Figures {
  latencies: number[];
  requests: number;
  cpuMs: number;
  seconds: number;
}

const empty = (): Figures => ({ latencies: [], requests: 0, cpuMs: 0, seconds: 0 });

async function measure(cp: ControlPlane, into: Figures, request: () => Promise<Response>, concurrency: number): Promise<void> {
  for (let i = 0; i < 10; i++) await (await request()).arrayBuffer(); // warm-up
  let left = N;
  const cpu = cp.cpuMs();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) {
        const t = performance.now();
        const res = await request();
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`${res.url}: ${res.status}`);
        into.latencies.push(performance.now() - t);
      }
    }),
  );
  into.seconds += (performance.now() - started) / 1000;
  into.cpuMs += cp.cpuMs() - cpu;
  into.requests += N;
}

function line(name: string, f: Figures): string {
  const sorted = [...f.latencies].sort((a, b) => a - b);
  return `${name.padEnd(46)} p50 ${percentile(sorted, 50).toFixed(1).padStart(5)} ms  p99 ${percentile(sorted, 99).toFixed(1).padStart(6)} ms  ${Math.round(f.requests / f.seconds).toString().padStart(4)}/s  server CPU ${(f.cpuMs / f.requests).toFixed(1).padStart(4)} ms/request`;
}

const get = (base: string, path: string) => () => fetch(`${base}${path}`, { headers: ADMIN });
const createRun = (base: string) => () => fetch(`${base}/api/v1/runs`, { method: 'POST', headers: ADMIN, body: JSON.stringify({ task_prompt: 'bench' }) });

const servers: Record<string, StartOptions> = {
  'scripts/serve.ts (make run)': {},
  'wrangler dev (make dev-server)': { server: 'wrangler-dev' },
  'wrangler dev, local tracing and explorer off': { server: 'wrangler-dev-untraced' },
};
const kinds = ['GET /api/v1/health', 'POST /runs, one at a time', 'POST /runs, four at a time'] as const;
const figures = new Map<string, Figures>();
const at = (key: string) => figures.get(key) ?? figures.set(key, empty()).get(key)!;

console.log(`machine: ${machine()}`);
// One server at a time, so none does its background work (wrangler dev's traces) while another is measured;
// the order turns each round, so load from elsewhere on the machine falls on all alike.
for (let round = 0; round < ROUNDS; round++) {
  const names = Object.keys(servers);
  for (const name of [...names.slice(round % names.length), ...names.slice(0, round % names.length)]) {
    const cp = await startControlPlane(servers[name]);
    try {
      await measure(cp, at(`${name}|${kinds[0]}`), get(cp.base, '/api/v1/health'), 1);
      await measure(cp, at(`${name}|${kinds[1]}`), createRun(cp.base), 1);
      await measure(cp, at(`${name}|${kinds[2]}`), createRun(cp.base), 4);
    } finally {
      await cp.stop();
    }
  }
}
for (const name of Object.keys(servers)) {
  console.log(`\n${name}`);
  for (const kind of kinds) console.log(`  ${line(kind, at(`${name}|${kind}`))}`);
}

const parts = await startControlPlane({ entry: 'bench/parts-entry.ts' });
try {
  console.log('\nthe parts of POST /runs, scripts/serve.ts, one at a time');
  const pieces: [string, () => Promise<Response>][] = [
    ['a bare route in the Worker', get(parts.base, '/api/__bench/noop')],
    ['GET /api/v1/health (the app, no D1)', get(parts.base, '/api/v1/health')],
    ['a bare route + the admin key lookup (D1 read)', get(parts.base, '/api/__bench/d1-read')],
    ['a bare route + a run row written (D1 insert)', get(parts.base, '/api/__bench/d1-insert')],
    ['a bare route + the Dispatcher wake-up (RPC)', get(parts.base, '/api/__bench/dispatcher')],
    ['POST /runs', createRun(parts.base)],
  ];
  const partFigures = pieces.map(() => empty());
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, [, request]] of pieces.entries()) await measure(parts, partFigures[i]!, request, 1);
  }
  for (const [i, [name]] of pieces.entries()) console.log(`  ${line(name, partFigures[i]!)}`);
} finally {
  await parts.stop();
}
