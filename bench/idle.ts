// Idle cost: HTTP requests a real, idle node-worker makes per minute, counted by a proxy between
// it and the control plane, and the D1 statements the control plane runs meanwhile, counted inside
// it (bench/d1-counting-entry.ts). Usage: node bench/idle.ts [seconds=65]
import { spawn } from 'node:child_process';
import { createServer, request } from 'node:http';
import { join, resolve } from 'node:path';
import { machine, startControlPlane } from './harness.ts';

const seconds = Number(process.argv[2] ?? 65);
const ROOT = resolve(import.meta.dirname, '..');
const cp = await startControlPlane({ entry: 'bench/d1-counting-entry.ts' });
const target = new URL(cp.base);
const counts = new Map<string, number>();
const claimArrivals: number[] = [];

const proxy = createServer((req, res) => {
  const path = (req.url ?? '').split('?')[0]!;
  const key = `${req.method} ${path}`;
  counts.set(key, (counts.get(key) ?? 0) + 1);
  if (path.endsWith('/workers/claim')) claimArrivals.push(Date.now());
  const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  upstream.on('error', () => res.writeHead(502).end());
  req.pipe(upstream);
});
await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
const address = proxy.address();
const port = typeof address === 'object' && address ? address.port : 0;

const worker = spawn(process.execPath, [join(ROOT, 'node-worker/src/main.ts')], {
  env: { ...process.env, ORCH_SERVER_URL: `http://127.0.0.1:${port}`, ORCH_API_KEY: 'admin', ORCH_WORKER_NAME: 'idle-bench' },
  stdio: 'ignore',
});
try {
  // Registration is not idle cost: count from the first claim on.
  await new Promise((r) => setTimeout(r, 2_000));
  counts.clear();
  claimArrivals.length = 0;
  const from = Date.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const statements = ((await (await fetch(`${cp.base}/api/__bench/d1`)).json()) as { at: number; sql: string }[]).filter((s) => s.at >= from);
  // A claim runs its statements as it arrives; any later one ran while the claim was parked.
  const parked = statements.filter((s) => !claimArrivals.some((t) => s.at >= t - 50 && s.at <= t + 1_000));
  console.log(`machine: ${machine()}`);
  console.log(`idle worker over ${seconds} s: ${total} requests = ${((total * 60) / seconds).toFixed(2)} per minute`);
  for (const [key, n] of [...counts].sort()) console.log(`  ${key}: ${n}`);
  console.log(`D1 statements: ${statements.length} in all, ${(statements.length / Math.max(1, claimArrivals.length)).toFixed(1)} per claim; ${parked.length} while a claim was parked`);
  const bySql = new Map<string, number>();
  for (const s of statements) bySql.set(s.sql, (bySql.get(s.sql) ?? 0) + 1);
  for (const [sql, n] of bySql) console.log(`  ${n} × ${sql}`);
} finally {
  worker.kill('SIGTERM');
  proxy.close();
  await cp.stop();
}
