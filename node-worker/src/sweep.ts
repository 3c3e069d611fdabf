// Cleans up after a worker that died without cleaning up (kill -9, OOM): stops the agents it left
// running and removes their run directories. Each run directory records which worker made it and
// which process group its agent runs in, so a sweep never touches the runs of a live worker and
// never signals a process that merely inherited a recorded pid.
import { writeFileSync } from 'node:fs';
import { readdir, readFile, readlink, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { groupAlive, stopGroup } from './process.ts';
import type { WorkerLog } from './worker.ts';

const WORKER_FILE = 'worker.pid';
const AGENT_FILE = 'agent.pgid';
/** A directory that names no worker may be one another worker is creating this instant. */
const UNOWNED_GRACE_MS = 60_000;

interface ProcStat {
  state: string;
  pgrp: number;
  /** Clock ticks after boot; with the pid, it names one process for good. */
  startTime: string;
}

/** Marks a fresh run directory as this worker's, before anything runs in it. */
export async function recordWorker(runDir: string): Promise<void> {
  const self = await procStat(process.pid);
  await writeFile(join(runDir, WORKER_FILE), self ? `${process.pid} ${self.startTime}\n` : `${process.pid}\n`);
}

/** Records the agent's process group the moment it exists; synchronous so a kill right after still finds it. */
export function recordAgentGroup(runDir: string, pgid: number): void {
  writeFileSync(join(runDir, AGENT_FILE), `${pgid}\n`);
}

/** Sweeps every run directory under `workRoot` whose worker is gone. Never throws; returns how many it removed. */
export async function sweepWorkRoot(workRoot: string, log: WorkerLog, graceMs = 2_000): Promise<number> {
  let names: string[];
  try {
    names = (await readdir(workRoot, { withFileTypes: true })).filter((e) => e.isDirectory() && e.name.startsWith('run-')).map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn('could not sweep the work directory', { dir: workRoot, error: String(err) });
    return 0;
  }
  const swept = await Promise.all(
    names.map(async (name) => {
      const runDir = join(workRoot, name);
      try {
        return await sweepRunDir(runDir, name, graceMs, log);
      } catch (err) {
        log.warn('could not sweep run directory', { dir: runDir, error: String(err) });
        return false;
      }
    }),
  );
  return swept.filter(Boolean).length;
}

async function sweepRunDir(runDir: string, name: string, graceMs: number, log: WorkerLog): Promise<boolean> {
  const owner = await ownerAlive(runDir);
  if (owner === true) return false;
  if (owner === null && Date.now() - (await stat(runDir)).mtimeMs < UNOWNED_GRACE_MS) return false;

  let agentStopped = false;
  const pgid = await readNumber(join(runDir, AGENT_FILE));
  if (pgid !== null && groupAlive(pgid) && (await groupInDir(pgid, runDir))) {
    await stopGroup(pgid, graceMs, ['SIGTERM', 'SIGKILL']);
    agentStopped = true;
  }
  await rm(runDir, { recursive: true, force: true });
  const runId = /^run-(.+)-[^-]+$/.exec(name)?.[1] ?? null;
  log.info('swept run left by a stopped worker', { run_id: runId, dir: runDir, agent_stopped: agentStopped });
  return true;
}

/** Whether the worker that made the directory still runs; null when the directory does not say. */
async function ownerAlive(runDir: string): Promise<boolean | null> {
  let raw: string;
  try {
    raw = await readFile(join(runDir, WORKER_FILE), 'utf8');
  } catch {
    return null;
  }
  const [pidText, startTime] = raw.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  const now = await procStat(pid);
  if (now) return now.state !== 'Z' && (startTime === undefined || startTime === now.startTime);
  // No /proc entry: either the process is gone or /proc is not there to ask.
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether some process of the group works in the run directory or was given it in its environment. */
async function groupInDir(pgid: number, runDir: string): Promise<boolean> {
  const real = await realpath(runDir);
  const inside = (path: string) => [runDir, real].some((dir) => path === dir || path.startsWith(`${dir}/`));
  for (const pid of await groupMembers(pgid)) {
    try {
      if (inside(await readlink(`/proc/${pid}/cwd`))) return true;
      const environ = await readFile(`/proc/${pid}/environ`, 'utf8');
      if (environ.split('\0').some((entry) => inside(entry.slice(entry.indexOf('=') + 1)))) return true;
    } catch {
      // Gone, or not ours to read: either way no evidence.
    }
  }
  return false;
}

async function groupMembers(pgid: number): Promise<number[]> {
  const members: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = await procStat(Number(entry));
    if (s && s.pgrp === pgid && s.state !== 'Z') members.push(Number(entry));
  }
  return members;
}

async function procStat(pid: number): Promise<ProcStat | null> {
  try {
    const raw = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses; the fields after its last ')' do not.
    const fields = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    const [state, , pgrp] = fields;
    const startTime = fields[19];
    if (state === undefined || pgrp === undefined || startTime === undefined) return null;
    return { state, pgrp: Number(pgrp), startTime };
  } catch {
    return null;
  }
}

async function readNumber(file: string): Promise<number | null> {
  try {
    const n = Number((await readFile(file, 'utf8')).trim());
    return Number.isSafeInteger(n) && n > 1 ? n : null;
  } catch {
    return null;
  }
}
