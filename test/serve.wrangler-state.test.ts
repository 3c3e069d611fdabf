// scripts/serve.ts (what `make run` serves with) and `wrangler dev` (`make dev-server`) keep their state in
// one layout: each finds the records (D1), run logs (Durable Objects) and artifacts (R2) the other wrote.
// scripts/serve.ts also serves the UI and the API as wrangler.toml's assets settings say.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Miniflare } from 'miniflare';
import { serve } from '../scripts/serve.ts';

const ROOT = resolve(import.meta.dirname, '..');
const WRANGLER = join(ROOT, 'node_modules/.bin/wrangler');
const VARS = { ORCH_MASTER_KEY: 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=', ORCH_DEFAULT_ADMIN_KEY: 'admin' };
const ADMIN = { authorization: 'Bearer admin', 'content-type': 'application/json' };
const ENV = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' };

let state: string;

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))));
    });
  });
}

async function api<T>(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(`${base}/api/v1${path}`, { method, headers: { ...ADMIN, ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function withServe<T>(use: (base: string) => Promise<T>): Promise<T> {
  let miniflare: Miniflare | undefined;
  try {
    const served = await serve({ host: '127.0.0.1', port: await freePort(), state, vars: VARS });
    miniflare = served.miniflare;
    return await use(served.url.origin);
  } finally {
    await miniflare?.dispose();
  }
}

async function withWranglerDev<T>(use: (base: string) => Promise<T>): Promise<T> {
  const port = await freePort();
  const vars = Object.entries(VARS).flatMap(([k, v]) => ['--var', `${k}:${v}`]);
  // The devtools port too is one known to be free: wrangler's default, 9229, may be taken by another wrangler dev.
  const inspector = String(await freePort());
  const child: ChildProcess = spawn(WRANGLER, ['dev', '--port', String(port), '--ip', '127.0.0.1', '--inspector-port', inspector, '--persist-to', state, ...vars, '--log-level', 'error'], {
    cwd: ROOT,
    env: ENV,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise((done) => child.once('exit', done));
  try {
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    while (!(await fetch(`${base}/api/v1/health`).then((r) => r.ok, () => false))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`wrangler dev did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    return await use(base);
  } finally {
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGINT');
    await exited;
  }
}

// wrangler takes a while to start on a busy machine.
beforeAll(() => {
  state = mkdtempSync(join(tmpdir(), 'fc-state-'));
  const migrate = spawnSync(WRANGLER, ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state], { cwd: ROOT, env: ENV, encoding: 'utf8' });
  if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}${migrate.stderr}`);
}, 60_000);

afterAll(() => rmSync(state, { recursive: true, force: true }));

describe('the state folder', { timeout: 120_000 }, () => {
  it('carries a job, a run with its log and an artifact from scripts/serve.ts to wrangler dev, and a job back', async () => {
    const written = await withServe(async (base) => {
      // wrangler.toml's assets as wrangler dev serves them: the UI for any page, the Worker first for the API.
      const page = await fetch(`${base}/some/page`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await fetch(`${base}/api/v1/no-such-thing`).then((r) => r.json())).toMatchObject({ code: 'unauthenticated' });
      const job = await api<{ id: string }>(base, 'POST', '/jobs', { name: 'kept', task_prompt: 'say hi' });
      const worker = await api<{ id: string }>(base, 'POST', '/workers/register', { name: 'w', labels: {}, concurrency: 1 });
      const run = await api<{ id: string }>(base, 'POST', `/jobs/${job.id}/run`);
      const { runs } = await api<{ runs: { run_id: string; lease_token: string }[] }>(base, 'POST', '/workers/claim', { worker_id: worker.id, max_runs: 1, wait_seconds: 5 });
      const lease = { 'x-lease-token': runs[0]!.lease_token };
      await api(base, 'POST', `/workers/runs/${run.id}/logs`, { lines: [{ stream: 'stdout', line: 'hello from serve', sequence: 1 }] }, lease);
      const form = new FormData();
      form.append('file', new Blob(['artifact bytes']), 'out.txt');
      const upload = await fetch(`${base}/api/v1/workers/runs/${run.id}/artifacts`, { method: 'POST', headers: { authorization: ADMIN.authorization, ...lease }, body: form });
      expect(upload.status).toBe(201);
      return { job: job.id, run: run.id };
    });

    const back = await withWranglerDev(async (base) => {
      expect(await api(base, 'GET', `/jobs/${written.job}`)).toMatchObject({ name: 'kept' });
      expect(await api(base, 'GET', `/runs/${written.run}`)).toMatchObject({ status: 'assigned' });
      expect((await api<{ line: string }[]>(base, 'GET', `/runs/${written.run}/logs`)).map((l) => l.line)).toEqual(['hello from serve']);
      const [artifact] = await api<{ id: string; filename: string }[]>(base, 'GET', `/runs/${written.run}/artifacts`);
      expect(artifact?.filename).toBe('out.txt');
      const bytes = await fetch(`${base}/api/v1/runs/${written.run}/artifacts/${artifact!.id}`, { headers: ADMIN });
      expect(await bytes.text()).toBe('artifact bytes');
      return (await api<{ id: string }>(base, 'POST', '/jobs', { name: 'from wrangler dev', task_prompt: 'say hi' })).id;
    });

    await withServe(async (base) => {
      expect(await api(base, 'GET', `/jobs/${back}`)).toMatchObject({ name: 'from wrangler dev' });
      expect((await api<{ line: string }[]>(base, 'GET', `/runs/${written.run}/logs`)).map((l) => l.line)).toEqual(['hello from serve']);
    });
  });
});
