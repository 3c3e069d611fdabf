// `make run` from a clean checkout: generates its secrets, refuses bad config, serves the API and keeps data across restarts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
// Just what `make run` reads; node_modules is shared, and timestamps are kept so make sees it as up to date.
const CHECKOUT = ['Makefile', 'package.json', 'package-lock.json', 'tsconfig.json', 'wrangler.toml', 'scripts', 'control/src', 'migrations', 'ui/index.html'];

let repo: string;
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
async function startServer(port: number): Promise<string> {
  output = '';
  server = spawn('make', ['run', `PORT=${port}`], { cwd: repo, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  server.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`make run exited ${server.exitCode}:\n${output}`);
    const healthy = await fetch(`${base}/api/v1/health`).then((r) => r.ok, () => false);
    if (healthy) return base;
    await new Promise((wake) => setTimeout(wake, 250));
  }
  throw new Error(`make run did not become healthy:\n${output}`);
}

/** Stops the whole group (make, wrangler, workerd) the way Ctrl-C would, and waits for it to go. */
async function stopServer(): Promise<void> {
  const running = server;
  server = undefined;
  if (!running?.pid || running.exitCode !== null) return;
  const exited = new Promise((done) => running.once('exit', done));
  process.kill(-running.pid, 'SIGINT');
  const killer = setTimeout(() => process.kill(-running.pid!, 'SIGKILL'), 10_000);
  await exited;
  clearTimeout(killer);
}

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'fc-run-'));
  for (const path of CHECKOUT) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    cpSync(join(ROOT, path), join(repo, path), { recursive: true, preserveTimestamps: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(repo, 'node_modules'), 'dir');
});

afterAll(async () => {
  await stopServer();
  rmSync(repo, { recursive: true, force: true });
});

describe('make run', { timeout: 120_000 }, () => {
  it('refuses to start on a bad setting, naming the variable in one line', () => {
    writeFileSync(join(repo, '.dev.vars'), 'ORCH_MAX_BODY_BYTES=12\n');

    const result = spawnSync('make', ['run', 'PORT=1'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/^configuration error: ORCH_MAX_BODY_BYTES: .+$/m);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    // The missing master key was added, and the user's own line kept.
    const vars = readFileSync(join(repo, '.dev.vars'), 'utf8');
    expect(vars).toMatch(/^ORCH_MAX_BODY_BYTES=12$/m);
    expect(vars).toMatch(/^ORCH_MASTER_KEY=[A-Za-z0-9_-]{43}=$/m);
    rmSync(join(repo, '.dev.vars'));
  });

  it('generates a master key, serves the API behind a key, warns about the default admin key, and keeps data across restarts', async () => {
    const port = await freePort();
    const base = await startServer(port);

    const vars = readFileSync(join(repo, '.dev.vars'), 'utf8');
    expect(vars).toMatch(/^ORCH_MASTER_KEY=[A-Za-z0-9_-]{43}=$/m);
    expect(output).toMatch(/WARNING: the admin key is the default "admin"/);
    expect(existsSync(join(repo, 'ui/dist/index.html'))).toBe(true);
    expect((await fetch(`${base}/`)).status).toBe(200);
    expect((await fetch(`${base}/api/v1/jobs`)).status).toBe(401);

    const admin = { authorization: 'Bearer admin', 'content-type': 'application/json' };
    const created = await fetch(`${base}/api/v1/jobs`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'survives restart', task_prompt: 'say hi' }) });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };

    await stopServer();
    await startServer(port);

    expect(readFileSync(join(repo, '.dev.vars'), 'utf8')).toBe(vars);
    const again = await fetch(`${base}/api/v1/jobs/${id}`, { headers: admin });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ id, name: 'survives restart' });
  });
});
