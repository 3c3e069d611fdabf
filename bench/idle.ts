// Idle cost: HTTP requests a real, idle node-worker makes per minute, counted by a proxy between
// it and the control plane. Usage: node bench/idle.ts [seconds=65]
import { spawn } from 'node:child_process';
import { createServer, request } from 'node:http';
import { join, resolve } from 'node:path';
import { machine, startControlPlane } from './harness.ts';

const seconds = Number(process.argv[2] ?? 65);
const ROOT = resolve(import.meta.dirname, '..');
const cp = await startControlPlane();
const target = new URL(cp.base);
const counts = new Map<string, number>();

const proxy = createServer((req, res) => {
  const path = (req.url ?? '').split('?')[0]!;
  const key = `${req.method} ${path}`;
  counts.set(key, (counts.get(key) ?? 0) + 1);
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
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  console.log(`machine: ${machine()}`);
  console.log(`idle worker over ${seconds} s: ${total} requests = ${((total * 60) / seconds).toFixed(2)} per minute`);
  for (const [key, n] of [...counts].sort()) console.log(`  ${key}: ${n}`);
} finally {
  worker.kill('SIGTERM');
  proxy.close();
  await cp.stop();
}
