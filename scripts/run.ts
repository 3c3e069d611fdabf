// `make run`: the whole local system — the control plane (scripts/serve.ts, workerd through Miniflare) and
// a pool of node-workers — started in order, kept up (a component that dies or stops answering is
// restarted), stopped in order.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { DEFAULT_ADMIN_KEY } from '../control/src/config.ts';
import { parseWorkerConfig, WorkerConfigError } from '../node-worker/src/config.ts';
import { CONTROL_SETTINGS, controlSettings } from './control-settings.ts';
import { REPO_ROOT } from './dev-vars-file.ts';

const READY_DEADLINE_MS = 120_000;
const STOP_GRACE_MS = 10_000;
/** The control plane is asked for its health this often, and restarted after this many silent answers in a row. */
const PROBE_INTERVAL_MS = 10_000;
const PROBE_FAILURES = 3;
const HEALTH_PATH = '/api/v1/health';

interface Options {
  port: number;
  host: string;
  state: string;
  workers: number;
}

function parseOptions(argv: string[]): Options {
  const value = (name: string, fallback: string) => {
    const i = argv.indexOf(`--${name}`);
    return argv[i + 1] !== undefined && i >= 0 ? argv[i + 1]! : fallback;
  };
  const workers = Number(value('workers', '2'));
  if (!Number.isInteger(workers) || workers < 0 || workers > 16) fail('WORKERS: must be a whole number from 0 to 16');
  return { port: Number(value('port', '8080')), host: value('host', '127.0.0.1'), state: resolve(REPO_ROOT, value('state', '.state')), workers };
}

function say(line: string): void {
  process.stderr.write(`run: ${line}\n`);
}

function fail(line: string): never {
  say(line);
  process.exit(1);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sendSignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

interface ComponentSpec {
  /** Shown in messages, and as a prefix on each output line when `prefixOutput` is set. */
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  prefixOutput: boolean;
  /** An exit with this code is final: starting again would fail the same way. */
  fatalExitCode?: number;
}

/**
 * One supervised process, in its own process group so that a Ctrl-C reaches only the supervisor,
 * which stops the children in order. An exit nobody asked for starts it again after a backoff.
 */
class Component {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  /** Set by `stop`: the coming exit was asked for. */
  private stopRequested = false;
  private lastStart = 0;
  private restartDelayMs = 500;
  private readonly spec: ComponentSpec;
  private readonly shuttingDown: () => boolean;

  constructor(spec: ComponentSpec, shuttingDown: () => boolean) {
    this.spec = spec;
    this.shuttingDown = shuttingDown;
  }

  get name(): string {
    return this.spec.name;
  }

  get running(): boolean {
    return this.child !== null;
  }

  start(): void {
    this.lastStart = Date.now();
    this.stopRequested = false;
    const { command, args, env, prefixOutput } = this.spec;
    const child = spawn(command, args, { cwd: REPO_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const prefix = prefixOutput ? `[${this.name}] ` : '';
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => process.stderr.write(`${prefix}${line}\n`));
    }
    this.exited = new Promise((done) =>
      child.once('exit', (code, signal) => {
        this.child = null;
        if (!this.stopRequested) this.onCrash(code, signal);
        done();
      }),
    );
  }

  /** Signals the process (or its whole group) without changing what happens when it exits. */
  signal(signal: NodeJS.Signals, group = false): void {
    const pid = this.child?.pid;
    if (pid !== undefined) sendSignal(group ? -pid : pid, signal);
  }

  /** Signals the group and waits for the exit; SIGKILLs the group if it outlasts `graceMs`. */
  async stop(signal: NodeJS.Signals, graceMs: number | null): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    this.stopRequested = true;
    sendSignal(-pid, signal);
    const killer = graceMs === null ? undefined : setTimeout(() => sendSignal(-pid, 'SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(killer);
  }

  async restart(): Promise<void> {
    await this.stop('SIGTERM', STOP_GRACE_MS);
    if (!this.shuttingDown()) this.start();
  }

  private onCrash(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.shuttingDown()) return;
    if (code !== null && code === this.spec.fatalExitCode) fail(`${this.name} stopped on a configuration error (above)`);
    // Short after a long life, doubling while it keeps dying young.
    this.restartDelayMs = Date.now() - this.lastStart > 30_000 ? 1_000 : Math.min(30_000, this.restartDelayMs * 2);
    say(`${this.name} exited (${signal ?? `code ${code}`}); starting it again in ${this.restartDelayMs / 1000} s`);
    setTimeout(() => {
      if (!this.shuttingDown() && !this.running) this.start();
    }, this.restartDelayMs);
  }
}

function healthy(base: string): Promise<boolean> {
  return fetch(`${base}${HEALTH_PATH}`, { signal: AbortSignal.timeout(5_000) }).then(
    (r) => r.ok,
    () => false,
  );
}

async function waitReady(base: string, control: Component): Promise<void> {
  const deadline = Date.now() + READY_DEADLINE_MS;
  while (Date.now() < deadline) {
    if (!control.running) fail('the control plane exited before it became ready (see its output above)');
    if (await healthy(base)) return;
    await sleep(250);
  }
  fail(`the control plane did not answer ${base}${HEALTH_PATH} within ${READY_DEADLINE_MS / 1000} s`);
}

/** Miniflare restarts a crashed runtime itself, but not one that hangs: that is caught here. */
async function watchControl(base: string, control: Component, shuttingDown: () => boolean): Promise<void> {
  let failures = 0;
  while (!shuttingDown()) {
    await sleep(PROBE_INTERVAL_MS);
    if (shuttingDown() || !control.running) continue;
    failures = (await healthy(base)) ? 0 : failures + 1;
    if (failures < PROBE_FAILURES) continue;
    failures = 0;
    say(`the control plane has not answered ${HEALTH_PATH} ${PROBE_FAILURES} times in a row; restarting it`);
    await control.restart();
  }
}

interface StoredKey {
  workspace_id: string;
  id: string;
  key: string;
}

/**
 * The local workers' API key: a `worker`-role key minted once with the admin key and kept (mode 600)
 * in the state folder, so the workers hold no more than the worker endpoints. A key that no longer
 * works (revoked, or the state was reset) is replaced.
 */
async function localWorkerKey(base: string, state: string, workspaceId: string, adminKey: string): Promise<string> {
  const file = join(state, 'local-workers.key');
  let stored: StoredKey | null = null;
  try {
    stored = JSON.parse(readFileSync(file, 'utf8')) as StoredKey;
  } catch {
    stored = null;
  }
  const headers = (key: string) => ({ authorization: `Bearer ${key}`, 'x-workspace-id': workspaceId, 'content-type': 'application/json' });
  if (stored?.workspace_id === workspaceId && stored.key) {
    // Any answer but 401/403 means the key still opens the worker endpoints here (the worker id is made up).
    const probe = await fetch(`${base}/api/v1/workers/heartbeat`, { method: 'POST', headers: headers(stored.key), body: JSON.stringify({ worker_id: 'key-check' }) });
    if (probe.status !== 401 && probe.status !== 403) return stored.key;
  }
  const res = await fetch(`${base}/api/v1/api-keys`, { method: 'POST', headers: headers(adminKey), body: JSON.stringify({ name: 'make run: local workers', role: 'worker' }) });
  const body = (await res.json().catch(() => ({}))) as { id?: string; key?: string; detail?: string };
  if (res.status !== 201 || !body.id || !body.key) fail(`could not create a worker key in workspace '${workspaceId}': ${res.status} ${body.detail ?? ''}`);
  mkdirSync(state, { recursive: true });
  writeFileSync(file, JSON.stringify({ workspace_id: workspaceId, id: body.id, key: body.key } satisfies StoredKey), { mode: 0o600 });
  chmodSync(file, 0o600);
  say(`created worker key ${body.id} for the local workers (kept in ${file})`);
  return body.key;
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const base = `http://${opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host}:${opts.port}`;
  const workspaceId = process.env.ORCH_WORKSPACE_ID || 'default';
  let signals = 0;
  const shuttingDown = () => signals > 0;

  // The control plane's settings (its master and admin keys among them) are no business of the workers'.
  const sharedEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !(CONTROL_SETTINGS as readonly string[]).includes(name)));
  const workerEnv = (i: number, key: string): NodeJS.ProcessEnv => ({
    ...sharedEnv,
    ORCH_SERVER_URL: base,
    ORCH_API_KEY: key,
    ORCH_WORKSPACE_ID: workspaceId,
    ORCH_WORKER_NAME: `local-${i}`,
    // A fixed directory per worker: a restarted worker stops agents its killed predecessor left there.
    ORCH_WORK_DIR: join(opts.state, 'work', `local-${i}`),
  });
  // A bad ORCH_* setting is reported before anything starts, in the worker's own words.
  try {
    if (opts.workers > 0) parseWorkerConfig(workerEnv(1, process.env.ORCH_API_KEY || 'not-yet-known'));
  } catch (err) {
    if (err instanceof WorkerConfigError) fail(`worker configuration error: ${err.message}`);
    throw err;
  }

  const control = new Component(
    {
      name: 'the control plane',
      command: process.execPath,
      args: ['scripts/serve.ts', '--port', String(opts.port), '--host', opts.host, '--persist-to', opts.state],
      env: process.env,
      prefixOutput: false,
    },
    shuttingDown,
  );
  const workers: Component[] = [];
  // Last resort when the supervisor itself leaves: no child outlives it.
  process.on('exit', () => {
    for (const c of [...workers, control]) c.signal('SIGKILL', true);
  });

  const shutdown = async (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      say(`${signal}: stopping. Workers finish the runs they hold first; Ctrl-C again cancels those runs.`);
      await Promise.all(workers.map((w) => w.stop('SIGTERM', null)));
      await control.stop('SIGTERM', STOP_GRACE_MS);
      say('stopped');
      process.exit(0);
    } else if (signals === 2) {
      say(`${signal}: cancelling the runs the workers hold; Ctrl-C once more kills everything now.`);
      for (const w of workers) w.signal('SIGTERM');
    } else {
      say(`${signal}: killing everything`);
      process.exit(1);
    }
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, (s) => void shutdown(s));
  // `make` killed on its own (e.g. a SIGINT to its pid only) would leave this running unseen: stop as if told to.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent && signals === 0) void shutdown('SIGHUP');
  }, 1_000).unref();

  control.start();
  await waitReady(base, control);
  if (shuttingDown()) return;
  void watchControl(base, control, shuttingDown);

  if (opts.workers > 0) {
    // The control plane's own admin key: from the environment or .dev.vars, as scripts/serve.ts gave it.
    const adminKey = controlSettings().values.ORCH_DEFAULT_ADMIN_KEY?.trim() || DEFAULT_ADMIN_KEY;
    const key = process.env.ORCH_API_KEY || (await localWorkerKey(base, opts.state, workspaceId, adminKey));
    for (let i = 1; i <= opts.workers; i++) {
      const spec = { name: `local-${i}`, command: process.execPath, args: ['node-worker/src/main.ts'], env: workerEnv(i, key), prefixOutput: true, fatalExitCode: 2 };
      const worker = new Component(spec, shuttingDown);
      workers.push(worker);
      worker.start();
    }
  }
  const names = workers.length > 0 ? `${workers.length} worker${workers.length === 1 ? '' : 's'} (${workers.map((w) => w.name).join(', ')})` : 'no workers (WORKERS=0)';
  say(`Flight Control is up on ${base} (API docs ${base}/docs) with ${names}. Ctrl-C stops it.`);
}

await main();
