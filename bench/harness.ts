// Starts a real control plane (`wrangler dev` on workerd, fresh local state) for benchmarks, and
// stops it again. Figures come from the same runtime `make run` uses.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const WRANGLER = join(ROOT, 'node_modules/.bin/wrangler');

export interface ControlPlane {
  base: string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))));
    });
  });
}

/** `entry` replaces wrangler.toml's `main`, e.g. with bench/d1-counting-entry.ts. */
export async function startControlPlane(options: { entry?: string } = {}): Promise<ControlPlane> {
  const state = mkdtempSync(join(tmpdir(), 'fc-bench-'));
  const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' };
  const migrate = spawnSync(WRANGLER, ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state], { cwd: ROOT, env, encoding: 'utf8' });
  if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}${migrate.stderr}`);
  const port = await freePort();
  const masterKey = randomBytes(32).toString('base64url') + '=';
  const child: ChildProcess = spawn(
    WRANGLER,
    ['dev', ...(options.entry ? [options.entry] : []), '--port', String(port), '--ip', '127.0.0.1', '--persist-to', state, '--var', `ORCH_MASTER_KEY:${masterKey}`, '--var', 'ORCH_DEFAULT_ADMIN_KEY:admin', '--log-level', 'error'],
    { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid, 'SIGINT');
      const killer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(state, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited:\n${output}`);
    if (await fetch(`${base}/api/v1/health`).then((r) => r.ok, () => false)) return { base, stop };
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`control plane did not start:\n${output}`);
}

export const ADMIN = { authorization: 'Bearer admin', 'content-type': 'application/json' };

export async function api<T = any>(base: string, path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<T> {
  const res = await fetch(`${base}/api/v1${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...ADMIN, ...(init.headers ?? {}) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
}
