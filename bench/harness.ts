// Starts a real control plane for benchmarks (fresh local state, 127.0.0.1, a free port) and stops it
// again: by default the way `make run` serves it (scripts/serve.ts, Miniflare on workerd), or under
// `wrangler dev` for comparison. Figures come from the same runtime `make run` uses.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleWorker, serve } from '../scripts/serve.ts';

const ROOT = resolve(import.meta.dirname, '..');
const WRANGLER = join(ROOT, 'node_modules/.bin/wrangler');

/** `wrangler-dev-untraced`: `wrangler dev` with its local request tracing and explorer off, to tell their cost from its proxy's. */
export type Server = 'serve' | 'wrangler-dev' | 'wrangler-dev-untraced';

export interface ControlPlane {
  base: string;
  /** With `claimBaseline`: bench/claim-baseline.ts, in the same runtime on the same D1 database, on its own port. */
  claimBaseline?: string;
  /** The same Worker reached as the API is: through the runtime's front door on `base` (Miniflare's entry Worker), by a route of its own. */
  claimBaselineFrontDoor?: string;
  /** CPU time (user + system) the processes serving it have used so far, in ms. */
  cpuMs(): number;
  /** With `profile`: the runtime's inspector port (bench/isolate-profile.ts). */
  inspectorPort?: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Replaces wrangler.toml's `main`, e.g. with bench/d1-counting-entry.ts. */
  entry?: string;
  server?: Server;
  claimBaseline?: boolean;
  /** Opens the runtime's inspector, to profile the control plane's isolate. */
  profile?: boolean;
  /** ORCH_* settings beyond the master and admin keys. */
  vars?: Record<string, string>;
  /** Fills the migrated D1 database (its SQLite file) before the control plane starts. */
  seed?: (database: string) => void;
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))));
    });
  });
}

const KEYS = { ORCH_MASTER_KEY: randomBytes(32).toString('base64url') + '=', ORCH_DEFAULT_ADMIN_KEY: 'admin' };

export async function startControlPlane(options: StartOptions = {}): Promise<ControlPlane> {
  const state = mkdtempSync(join(tmpdir(), 'fc-bench-'));
  const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' };
  const untraced = { X_LOCAL_OBSERVABILITY: 'false', X_LOCAL_EXPLORER: 'false' };
  const removeState = () => rmSync(state, { recursive: true, force: true });
  try {
    const migrate = spawnSync(WRANGLER, ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state], { cwd: ROOT, env, encoding: 'utf8' });
    if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}${migrate.stderr}`);
    if (options.seed) options.seed(d1File(state));
    const port = await freePort();
    const cp =
      options.server === 'wrangler-dev' || options.server === 'wrangler-dev-untraced'
        ? await startWranglerDev(port, state, options.server === 'wrangler-dev' ? env : { ...env, ...untraced }, options)
        : await startServe(port, state, options);
    const stop = cp.stop;
    return { ...cp, stop: () => stop().finally(removeState) };
  } catch (err) {
    removeState();
    throw err;
  }
}

/** The local D1 database's SQLite file in a state folder (the one database the control plane binds). */
function d1File(state: string): string {
  const dir = join(state, 'v3/d1/miniflare-D1DatabaseObject');
  const files = readdirSync(dir).filter((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite');
  if (files.length !== 1) throw new Error(`expected one D1 database in ${dir}, found ${files.length}`);
  return join(dir, files[0]!);
}

const BASELINE_ROUTE = '/__bench/claim-baseline';

/** In this process, as scripts/serve.ts does it: workerd answers requests without Node in the path. */
async function startServe(port: number, state: string, options: StartOptions): Promise<ControlPlane> {
  const extraWorkers = options.claimBaseline
    ? [
        {
          name: 'claim-baseline',
          modules: [{ type: 'ESModule', path: join(ROOT, '.wrangler/serve/claim-baseline.js'), contents: await bundleWorker('bench/claim-baseline.ts') }],
          // Straight to the Worker, skipping Miniflare's entry Worker that the API's requests pass through: if anything, this flatters the baseline.
          unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
          // And through the entry Worker, as the API's requests come (they then pass the static-assets router too).
          routes: [`*${BASELINE_ROUTE}`],
        },
      ]
    : [];
  const inspector = options.profile ? { inspectorPort: await freePort() } : {};
  const { url, miniflare } = await serve({ host: '127.0.0.1', port, state, vars: { ...KEYS, ...options.vars }, extraWorkers, ...inspector, ...(options.entry ? { entry: options.entry } : {}) });
  const base = url.origin;
  const claimBaseline = options.claimBaseline ? (await miniflare.unsafeGetDirectURL('claim-baseline')).origin : undefined;
  const frontDoor = options.claimBaseline ? { claimBaselineFrontDoor: `${base}${BASELINE_ROUTE}` } : {};
  // Miniflare's Node side has no part in answering requests, so the runtime's own process is the server.
  const runtime = childrenOf(process.pid).filter((pid) => cmdline(pid).includes(`entry=127.0.0.1:${port} `));
  return { base, ...(claimBaseline ? { claimBaseline } : {}), ...frontDoor, ...inspector, cpuMs: () => cpuMs(runtime), stop: () => miniflare.dispose() };
}

async function startWranglerDev(port: number, state: string, env: NodeJS.ProcessEnv, options: StartOptions): Promise<ControlPlane> {
  const child: ChildProcess = spawn(
    WRANGLER,
    // A throwaway key for throwaway state, so the command line may show it. The devtools port is one we
    // know to be free: wrangler's default, 9229, may be held by another wrangler dev on the machine.
    ['dev', ...(options.entry ? [options.entry] : []), '--port', String(port), '--ip', '127.0.0.1', '--inspector-port', String(await freePort()), '--persist-to', state, ...Object.entries({ ...KEYS, ...options.vars }).flatMap(([k, v]) => ['--var', `${k}:${v}`]), '--log-level', 'error'],
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
  };
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited:\n${output}`);
    if (await fetch(`${base}/api/v1/health`).then((r) => r.ok, () => false)) {
      // wrangler's Node process, its proxy's runtime and the Worker's runtime all serve.
      const tree = descendantsOf(child.pid!);
      return { base, cpuMs: () => cpuMs(tree), stop };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`control plane did not start:\n${output}`);
}

function stat(pid: number): string[] {
  try {
    // Fields after the command name, which may itself hold spaces.
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  } catch {
    return [];
  }
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

export function childrenOf(parent: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => Number(stat(pid)[1]) === parent);
}

function descendantsOf(pid: number): number[] {
  return [pid, ...childrenOf(pid).flatMap(descendantsOf)];
}

/** utime + stime of live processes; clock ticks are 10 ms on Linux. */
function cpuMs(pids: number[]): number {
  return pids.reduce((sum, pid) => {
    const fields = stat(pid);
    return sum + (fields.length > 12 ? (Number(fields[11]) + Number(fields[12])) * 10 : 0);
  }, 0);
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
