// A whole Flight Control fleet in separate processes, for the chaos and soak benchmarks: the control
// plane as `make run` serves it (scripts/serve.ts, in its own process group so it can be killed outright
// or frozen), node-workers running the real goose against the scripted model of the end-to-end tests,
// all on 127.0.0.1 free ports and fresh state. Every process it starts is stopped again on any exit.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startModelServer, type ModelServer } from '../node-worker/test/fixtures/model-server.ts';
import { GOOSE, ROOT } from '../node-worker/test/fixtures/stack.ts';
import { sweepWorkRoot } from '../node-worker/src/sweep.ts';
import { api, childrenOf, cmdline, freePort } from './harness.ts';

export interface FleetWorker {
  name: string;
  child: ChildProcess;
  /** Everything the worker printed (its log goes to stderr), over all its lives. */
  output: string;
  /** Its id at the control plane, from its last `registered` line. */
  id: string | null;
}

export interface FleetOptions {
  /** ORCH_* settings for the control plane beyond its keys. */
  controlVars?: Record<string, string>;
  /** ORCH_CONCURRENCY of each worker. */
  concurrency?: number;
}

export interface Fleet {
  base: string;
  model: ModelServer;
  workers: FleetWorker[];
  startWorker(name: string): Promise<FleetWorker>;
  /** SIGKILL to the worker's process alone: the agent it runs is orphaned, as when a worker crashes. */
  killWorker(worker: FleetWorker): Promise<void>;
  /** Starts the worker again under its name, on the same work directory, and waits until it has registered. */
  restartWorker(worker: FleetWorker): Promise<void>;
  /** SIGSTOP to the control plane's runtime (workerd) for `ms`, then SIGCONT: a host that stalls. */
  freezeControl(ms: number): Promise<void>;
  /** SIGKILL to the control plane's whole process group. */
  killControl(): Promise<void>;
  /** Starts the control plane again on the same port and state, and waits until it answers. */
  startControl(): Promise<void>;
  /** The pids serving the control plane: its Node process and its runtime. */
  controlPids(): { node: number | null; runtime: number[] };
  stop(): Promise<void>;
}

const MASTER_KEY = randomBytes(32).toString('base64url') + '=';

export async function startFleet(options: FleetOptions = {}): Promise<Fleet> {
  const tmp = mkdtempSync(join(tmpdir(), 'fc-fleet-'));
  const state = join(tmp, 'state');
  const workDir = join(tmp, 'runs');
  mkdirSync(workDir, { recursive: true });
  const children = new Set<ChildProcess>();
  let stopped = false;
  // Last resort when the benchmark leaves without stopping the fleet: no process outlives it.
  const killAll = () => {
    for (const child of children) killGroup(child, 'SIGKILL');
    for (const pgid of agentGroups(workDir)) signal(-pgid, 'SIGKILL');
  };
  process.on('exit', killAll);

  const migrate = spawnSync(join(ROOT, 'node_modules/.bin/wrangler'), ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state], {
    cwd: ROOT,
    env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false' },
    encoding: 'utf8',
  });
  if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}${migrate.stderr}`);

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let control: ChildProcess | null = null;
  let controlOutput = '';

  const startControl = async () => {
    const child = spawn(process.execPath, ['scripts/serve.ts', '--port', String(port), '--host', '127.0.0.1', '--persist-to', state], {
      cwd: ROOT,
      // Settings reach scripts/serve.ts through its environment, which wins over any .dev.vars.
      env: { ...process.env, ORCH_MASTER_KEY: MASTER_KEY, ORCH_DEFAULT_ADMIN_KEY: 'admin', ...options.controlVars },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    track(child, children);
    child.stdout?.on('data', (c: Buffer) => (controlOutput += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (controlOutput += c.toString()));
    control = child;
    const deadline = Date.now() + 120_000;
    while (!(await fetch(`${base}/api/v1/health`).then((r) => r.ok, () => false))) {
      if (child.exitCode !== null) throw new Error(`the control plane exited:\n${controlOutput}`);
      if (Date.now() > deadline) throw new Error(`the control plane did not answer within 2 minutes:\n${controlOutput}`);
      await sleep(200);
    }
  };
  const controlPids = () => {
    const node = control?.pid && control.exitCode === null ? control.pid : null;
    return { node, runtime: node ? childrenOf(node).filter((pid) => cmdline(pid).includes('workerd')) : [] };
  };

  let model: ModelServer | null = null;
  const workers: FleetWorker[] = [];
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const w of workers) await killAndWait(w.child);
    // The agents the workers ran, including those of killed workers that nobody swept yet.
    await sweepWorkRoot(workDir, { info: () => undefined, warn: () => undefined }, 1_000);
    if (control) {
      killGroup(control, 'SIGCONT');
      await killAndWait(control);
    }
    await model?.close();
    process.off('exit', killAll);
    rmSync(tmp, { recursive: true, force: true });
  };

  try {
    await startControl();
    model = await startModelServer({ command: 'true', finalText: 'done' });
    const workerKey = (await api<{ key: string }>(base, '/api-keys', { body: { name: 'fleet workers', role: 'worker' } })).key;
    await api(base, '/credentials', { body: { name: 'openai', env_var: 'OPENAI_API_KEY', value: 'sk-fleet' } });

    const launch = async (worker: FleetWorker) => {
      const child = spawn(process.execPath, [join(ROOT, 'node-worker/src/main.ts')], {
        cwd: ROOT,
        env: {
          ...process.env,
          ORCH_SERVER_URL: base,
          ORCH_API_KEY: workerKey,
          ORCH_WORKER_NAME: worker.name,
          ORCH_WORK_DIR: workDir,
          ORCH_GOOSE_BIN: GOOSE,
          ORCH_CONCURRENCY: String(options.concurrency ?? 1),
          OPENAI_API_KEY: '',
          ANTHROPIC_API_KEY: '',
        },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      track(child, children);
      worker.child = child;
      const onOutput = (c: Buffer) => {
        const text = c.toString();
        worker.output += text;
        const registered = /registered \{"worker_id":"([^"]+)"/.exec(text);
        if (registered) worker.id = registered[1]!;
      };
      child.stdout?.on('data', onOutput);
      child.stderr?.on('data', onOutput);
      const mark = worker.output.length;
      const deadline = Date.now() + 120_000;
      while (!worker.output.slice(mark).includes(' info registered ')) {
        if (child.exitCode !== null) throw new Error(`worker ${worker.name} exited:\n${worker.output.slice(mark)}`);
        if (Date.now() > deadline) throw new Error(`worker ${worker.name} did not register within 2 minutes:\n${worker.output.slice(mark)}`);
        await sleep(100);
      }
    };

    return {
      base,
      model,
      workers,
      async startWorker(name) {
        const worker: FleetWorker = { name, child: null as unknown as ChildProcess, output: '', id: null };
        workers.push(worker);
        await launch(worker);
        return worker;
      },
      killWorker: (worker) => killAndWait(worker.child),
      restartWorker: (worker) => launch(worker),
      async freezeControl(ms) {
        const { runtime } = controlPids();
        for (const pid of runtime) signal(pid, 'SIGSTOP');
        try {
          await sleep(ms);
        } finally {
          for (const pid of runtime) signal(pid, 'SIGCONT');
        }
      },
      killControl: async () => {
        if (control) await killAndWait(control);
      },
      startControl,
      controlPids,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function track(child: ChildProcess, children: Set<ChildProcess>): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Each child leads its own process group (spawned `detached`), which holds what it started itself. */
function killGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid && child.exitCode === null && child.signalCode === null) signal(-child.pid, sig);
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  killGroup(child, 'SIGKILL');
  await exited;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/** The process groups of the agents the workers recorded in their run directories. */
function agentGroups(workDir: string): number[] {
  const groups: number[] = [];
  try {
    for (const dir of readdirSync(workDir)) {
      try {
        groups.push(Number(readFileSync(join(workDir, dir, 'agent.pgid'), 'utf8').trim()));
      } catch {
        // No agent started there.
      }
    }
  } catch {
    // No work directory.
  }
  return groups.filter((pgid) => pgid > 1);
}

/** Resident memory of a live process, in MiB; null once it is gone. */
export function rssMiB(pid: number): number | null {
  try {
    const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib ? Number(kib) / 1024 : null;
  } catch {
    return null;
  }
}

/** Every run in the default workspace, following the pages. */
export async function listRuns<T>(base: string): Promise<T[]> {
  const rows: T[] = [];
  let path: string | null = '/api/v1/runs?limit=500';
  while (path) {
    const res: Response = await fetch(`${base}${path}`, { headers: { authorization: 'Bearer admin' } });
    if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
    rows.push(...((await res.json()) as T[]));
    path = /<([^>]+)>; rel="next"/.exec(res.headers.get('link') ?? '')?.[1] ?? null;
  }
  return rows;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Ctrl-C (or SIGTERM) stops the fleet before the benchmark exits; a second one exits at once, and the
 * exit hook still kills every process the fleet started.
 */
export function stopOnSignal(stop: () => Promise<void>): void {
  let signals = 0;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (++signals > 1) process.exit(130);
      process.stderr.write(`\n${sig}: stopping the fleet\n`);
      void stop().finally(() => process.exit(130));
    });
  }
}
