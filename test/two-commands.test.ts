// `make run` from a clean checkout: generates its secrets, refuses bad config, serves the API with its own
// workers running real goose, keeps them up, keeps data across restarts, and leaves no process behind.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startModelServer, type ModelServer } from '../node-worker/test/fixtures/model-server.ts';

const ROOT = resolve(import.meta.dirname, '..');
// Just what `make run` reads; node_modules is shared, and timestamps are kept so make sees it as up to date.
const CHECKOUT = ['Makefile', 'package.json', 'package-lock.json', 'tsconfig.json', 'wrangler.toml', 'scripts', 'control/src', 'node-worker/src', 'migrations', 'ui/index.html', 'ui/src', 'ui/vite.config.ts', 'ui/tsconfig.json'];
const ADMIN = { authorization: 'Bearer admin', 'content-type': 'application/json' };

let repo: string;
let model: ModelServer;
let server: ChildProcess | undefined;
let output = '';

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))));
    });
  });
}

/** Starts `make run` in its own process group, resolving once health answers. */
async function startServer(port: number, options: { env?: NodeJS.ProcessEnv; args?: string[] } = {}): Promise<string> {
  output = '';
  server = spawn('make', ['run', `PORT=${port}`, ...(options.args ?? [])], { cwd: repo, env: { ...process.env, ...options.env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  server.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`make run exited ${server.exitCode}:\n${output}`);
    const healthy = await fetch(`${base}/api/v1/health`).then((r) => r.ok, () => false);
    if (healthy) return base;
    await new Promise((wake) => setTimeout(wake, 250));
  }
  throw new Error(`make run did not become healthy:\n${output}`);
}

/** Ctrl-C: SIGINT to make's process group, then waits for make to exit. */
async function stopServer(): Promise<void> {
  const running = server;
  server = undefined;
  if (!running?.pid || running.exitCode !== null) return;
  const exited = new Promise((done) => running.once('exit', done));
  process.kill(-running.pid, 'SIGINT');
  const killer = setTimeout(() => process.kill(-running.pid!, 'SIGKILL'), 20_000);
  await exited;
  clearTimeout(killer);
}

/** Live processes working in the copied checkout (the control plane, workers, agents), found by their cwd. */
function processesInRepo(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (!readlinkSync(`/proc/${pid}/cwd`).startsWith(repo)) continue;
      // A process that has exited but not yet been reaped is gone in all but name.
      if (/^\d+ \(.*\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) continue;
      found.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')}`);
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}

/** After a stop, every process of the checkout is gone within a few seconds (children of children die last). */
async function expectNoProcessesLeft(): Promise<void> {
  for (let i = 0; i < 50 && processesInRepo().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  expect(processesInRepo()).toEqual([]);
}

async function api<T>(base: string, method: string, path: string, body?: unknown, key = 'admin'): Promise<T> {
  const headers = { ...ADMIN, authorization: `Bearer ${key}` };
  const res = await fetch(`${base}/api/v1${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}:\n${output.slice(-4000)}`);
}

/** Files under `dir` whose bytes contain `text`. */
function filesContaining(dir: string, text: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if (readFileSync(path).includes(text)) found.push(path);
  }
  return found;
}

interface WorkerView {
  id: string;
  name: string;
  status: string;
  last_heartbeat: string;
}

/** An ad-hoc goose run against the scripted model, followed until it ends. */
async function runToEnd(base: string): Promise<{ status: string; result: string | null; worker_id: string }> {
  const run = await api<{ id: string }>(base, 'POST', '/runs', {
    task_prompt: 'Run the command, then say what happened.',
    agent_config: { provider: 'openai', model: 'scripted-model', max_turns: 5 },
    env_vars: { OPENAI_HOST: model.url, OPENAI_API_KEY: 'sk-local' },
  });
  return waitFor(
    `run ${run.id} to end`,
    async () => {
      const view = await api<{ status: string; result: string | null; worker_id: string }>(base, 'GET', `/runs/${run.id}`);
      return ['completed', 'failed', 'timeout', 'cancelled'].includes(view.status) ? view : undefined;
    },
    60_000,
  );
}

function onlineWorkers(base: string, key?: string): Promise<WorkerView[]> {
  return api<WorkerView[]>(base, 'GET', '/system/workers', undefined, key).then((all) => all.filter((w) => w.status !== 'offline'));
}

beforeAll(async () => {
  model = await startModelServer({ command: 'echo made-by-make-run', finalText: 'The command ran.' });
  repo = mkdtempSync(join(tmpdir(), 'fc-run-'));
  for (const path of CHECKOUT) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    cpSync(join(ROOT, path), join(repo, path), { recursive: true, preserveTimestamps: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(repo, 'node_modules'), 'dir');
});

afterAll(async () => {
  await stopServer();
  await model.close();
  rmSync(repo, { recursive: true, force: true });
});

describe('make run', { timeout: 120_000 }, () => {
  it('refuses to start on a bad setting, naming the variable in one line', () => {
    writeFileSync(join(repo, '.dev.vars'), 'ORCH_MAX_BODY_BYTES=12\n', { mode: 0o644 });

    const result = spawnSync('make', ['run', 'PORT=1'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/^configuration error: ORCH_MAX_BODY_BYTES: .+$/m);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    // The missing master key was added, and the user's own line kept.
    const vars = readFileSync(join(repo, '.dev.vars'), 'utf8');
    expect(vars).toMatch(/^ORCH_MAX_BODY_BYTES=12$/m);
    expect(vars).toMatch(/^ORCH_MASTER_KEY=[A-Za-z0-9_-]{43}=$/m);
    // With a secret in it now, only its owner may read it.
    expect(statSync(join(repo, '.dev.vars')).mode & 0o777).toBe(0o600);
    rmSync(join(repo, '.dev.vars'));
  });

  it('generates a master key, serves the API behind a key, warns about the default admin key, and keeps data across restarts', async () => {
    const port = await freePort();
    const base = await startServer(port);

    const vars = readFileSync(join(repo, '.dev.vars'), 'utf8');
    expect(vars).toMatch(/^ORCH_MASTER_KEY=[A-Za-z0-9_-]{43}=$/m);
    expect(statSync(join(repo, '.dev.vars')).mode & 0o777).toBe(0o600);
    expect(output).toMatch(/WARNING: the admin key is the default "admin"/);
    expect(existsSync(join(repo, 'ui/dist/index.html'))).toBe(true);
    expect((await fetch(`${base}/`)).status).toBe(200);
    expect((await fetch(`${base}/api/v1/jobs`)).status).toBe(401);

    const { id } = await api<{ id: string }>(base, 'POST', '/jobs', { name: 'survives restart', task_prompt: 'say hi' });
    // A key in a URL (as the original's stream clients send it) must not land on disk, and the local
    // runtime's explorer must not serve the database.
    const marker = `fc_marker${Date.now()}`;
    expect((await fetch(`${base}/api/v1/runs/none/logs/stream?token=${marker}`)).status).toBe(401);
    expect(await (await fetch(`${base}/cdn-cgi/explorer/api`)).text()).not.toMatch(/Local Explorer/);

    await stopServer();
    await expectNoProcessesLeft();
    await startServer(port);

    expect(readFileSync(join(repo, '.dev.vars'), 'utf8')).toBe(vars);
    expect(await api(base, 'GET', `/jobs/${id}`)).toMatchObject({ id, name: 'survives restart' });
    await stopServer();
    expect(filesContaining(join(repo, '.state'), marker)).toEqual([]);
  });

  it('starts two workers that run goose jobs, starts a killed worker or control plane again, and stops everything on Ctrl-C', async () => {
    const port = await freePort();
    const base = await startServer(port);
    const workers = await waitFor('two online workers', async () => {
      const online = await onlineWorkers(base);
      return online.length === 2 ? online : undefined;
    });
    expect(workers.map((w) => w.name).sort()).toEqual(['local-1', 'local-2']);
    // The workers hold a worker-role key, not the admin key.
    const keys = await api<{ name: string; role: string; revoked_at: string | null }[]>(base, 'GET', '/api-keys');
    expect(keys.filter((k) => k.role === 'worker' && k.revoked_at === null).map((k) => k.name)).toContain('make run: local workers');
    expect(statSync(join(repo, '.state/local-workers.key')).mode & 0o777).toBe(0o600);

    const first = await runToEnd(base);
    expect(first).toMatchObject({ status: 'completed', result: 'The command ran.' });
    expect(workers.map((w) => w.id)).toContain(first.worker_id);

    // A worker killed outright is started again and registers anew.
    const victim = processesInRepo().find((p) => p.includes('node-worker/src/main.ts'));
    expect(victim).toBeDefined();
    process.kill(Number(victim!.split(' ')[0]), 'SIGKILL');
    await waitFor('a restarted worker to register', async () => {
      const online = await onlineWorkers(base);
      return online.some((w) => !workers.some((old) => old.id === w.id)) ? true : undefined;
    });
    expect(output).toMatch(/run: local-\d exited \(SIGKILL\); starting it again/);

    // So is a control plane killed outright; the workers find it again and take new work.
    const control = processesInRepo().find((p) => p.includes('scripts/serve.ts'));
    expect(control).toBeDefined();
    process.kill(-Number(control!.split(' ')[0]), 'SIGKILL');
    await waitFor('the control plane to be started again', async () => (/run: the control plane exited \(SIGKILL\); starting it again/.test(output) ? true : undefined));
    await waitFor('the control plane to answer again', async () => ((await fetch(`${base}/api/v1/health`).then((r) => r.ok, () => false)) ? true : undefined), 60_000);
    expect(await runToEnd(base)).toMatchObject({ status: 'completed', result: 'The command ran.' });

    await stopServer();
    expect(output).toMatch(/drained; exiting/);
    await expectNoProcessesLeft();
  });

  it('takes ORCH_* settings from the environment over .dev.vars, says which by name only, and keeps their values out of process listings', async () => {
    const secret = 'admin-key-from-the-environment';
    writeFileSync(join(repo, '.dev.vars'), `${readFileSync(join(repo, '.dev.vars'), 'utf8')}ORCH_DEFAULT_ADMIN_KEY=admin-key-from-the-file\n`);
    // With no stored worker key, make run mints one, and must do so with the admin key the control plane really has.
    rmSync(join(repo, '.state/local-workers.key'));
    const port = await freePort();
    const since = new Date().toISOString();
    const base = await startServer(port, { env: { ORCH_DEFAULT_ADMIN_KEY: secret }, args: ['WORKERS=1'] });
    const jobs = (key: string) => fetch(`${base}/api/v1/jobs`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);

    expect(await jobs(secret)).toBe(200);
    expect(await jobs('admin')).toBe(401);
    expect(await jobs('admin-key-from-the-file')).toBe(401);
    expect(output).toMatch(/taken from the environment, which wins over \.dev\.vars: ORCH_DEFAULT_ADMIN_KEY$/m);
    expect(output).not.toMatch(/WARNING: the admin key is the default/);
    // A worker killed in the test before may still show online; this one has been heard from since the start.
    const heard = async () => (await onlineWorkers(base, secret)).some((w) => w.name === 'local-1' && w.last_heartbeat >= since);
    await waitFor('the worker to come online with a key minted by the environment\'s admin key', async () => ((await heard()) ? true : undefined));
    expect(output).toMatch(/created worker key/);
    expect(output).not.toContain(secret);
    expect(processesInRepo().filter((p) => p.includes(secret))).toEqual([]);

    await stopServer();
    await expectNoProcessesLeft();
  });
});
