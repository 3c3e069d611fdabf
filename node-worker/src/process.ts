// Starts an agent CLI as the leader of its own process group and stops that whole group —
// the agent and every tool process it started — with SIGINT, then SIGTERM, then SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface GroupProcess {
  readonly pid: number;
  /** Resolves when the leader has exited and its output has been read. */
  readonly exited: Promise<ProcessExit>;
  /** Stops the whole group, escalating; resolves once no process of the group is left. */
  stop(): Promise<void>;
}

export interface SpawnOptions {
  cwd: string;
  env: Record<string, string>;
  onLine: (stream: 'stdout' | 'stderr', line: string) => void;
  /** How long each signal gets before the next, stronger one. */
  graceMs?: number;
}

/** After the leader exits, how long output still held by its children is read before giving up on it. */
const DRAIN_MS = 1_000;

export function spawnGroup(command: string, args: string[], opts: SpawnOptions): Promise<GroupProcess> {
  const graceMs = opts.graceMs ?? 3_000;
  const child: ChildProcess = spawn(command, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => {
      child.off('error', reject);
      const pid = child.pid!;
      const outputDone = Promise.all([readLines(child, 'stdout', opts.onLine), readLines(child, 'stderr', opts.onLine)]);
      const exited = new Promise<ProcessExit>((done) => child.once('exit', (code, signal) => done({ code, signal }))).then(async (exit) => {
        // A tool process that outlived the agent may hold the pipes open; don't wait on it forever.
        await Promise.race([outputDone, delay(DRAIN_MS)]);
        child.stdout?.destroy();
        child.stderr?.destroy();
        return exit;
      });
      let stopping: Promise<void> | null = null;
      resolve({
        pid,
        exited,
        stop: () => (stopping ??= stopGroup(pid, graceMs)),
      });
    });
  });
}

/** SIGINT (goose stops its turn), SIGTERM, SIGKILL — each to the whole group, each given `graceMs`. */
export async function stopGroup(pgid: number, graceMs: number, signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGKILL']): Promise<void> {
  for (const signal of signals) {
    if (!groupAlive(pgid)) return;
    try {
      process.kill(-pgid, signal);
    } catch {
      return;
    }
    const deadline = Date.now() + (signal === 'SIGKILL' ? 5_000 : graceMs);
    while (groupAlive(pgid) && Date.now() < deadline) await delay(50);
  }
}

/** Whether any process of the group still exists (zombies count until reaped). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLines(child: ChildProcess, stream: 'stdout' | 'stderr', onLine: SpawnOptions['onLine']): Promise<void> {
  const input = child[stream];
  if (!input) return Promise.resolve();
  input.setEncoding('utf8');
  const lines = createInterface({ input, crlfDelay: Infinity });
  lines.on('line', (line) => onLine(stream, line));
  return new Promise((done) => {
    lines.once('close', done);
    input.once('error', () => done());
  });
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
