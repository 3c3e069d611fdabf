import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { groupAlive } from '../src/process.ts';
import { recordAgentGroup, sweepWorkRoot } from '../src/sweep.ts';
import type { WorkerLog } from '../src/worker.ts';

let root: string;
let lines: string[];
const log: WorkerLog = {
  info: (msg, fields) => lines.push(`info ${msg} ${JSON.stringify(fields)}`),
  warn: (msg, fields) => lines.push(`warn ${msg} ${JSON.stringify(fields)}`),
};
const groups: number[] = [];

/** A pid that no process has any more: a finished, reaped child's. */
function deadPid(): number {
  return spawnSync('true').pid!;
}

/** A run directory as a worker leaves it: its worker's pid and, if given, an agent group working inside it. */
function runDir(name: string, workerPid: number): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'work'), { recursive: true });
  writeFileSync(join(dir, 'worker.pid'), `${workerPid}\n`);
  return dir;
}

/** An "agent" leading its own group, with a child of its own, both working in `dir`. */
function startAgent(dir: string, cwd = join(dir, 'work')): number {
  const child = spawn('sh', ['-c', 'sleep 300 & wait'], { cwd, detached: true, stdio: 'ignore' });
  child.unref();
  groups.push(child.pid!);
  return child.pid!;
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'fc-sweep-'));
  lines = [];
});

afterEach(() => {
  for (const pgid of groups.splice(0)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  rmSync(root, { recursive: true, force: true });
});

describe('sweepWorkRoot', () => {
  it('stops the agent group of a dead worker and removes its run directory', async () => {
    const dir = runDir('run-r1-abc123', deadPid());
    const pgid = startAgent(dir);
    recordAgentGroup(dir, pgid);
    await waitFor(() => groupAlive(pgid));

    expect(await sweepWorkRoot(root, log, 200)).toBe(1);

    expect(groupAlive(pgid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^info swept run left by a stopped worker .*"run_id":"r1".*"agent_stopped":true/);
  });

  it('leaves the run directory and agent of a live worker alone', async () => {
    const dir = runDir('run-r2-abc123', process.pid);
    const pgid = startAgent(dir);
    recordAgentGroup(dir, pgid);

    expect(await sweepWorkRoot(root, log, 200)).toBe(0);

    expect(groupAlive(pgid)).toBe(true);
    expect(existsSync(join(dir, 'agent.pgid'))).toBe(true);
    expect(lines).toEqual([]);
  });

  it('never signals a recorded group that does not work in the run directory', async () => {
    const dir = runDir('run-r3-abc123', deadPid());
    // The recorded pgid now belongs to an unrelated process, as after pid reuse.
    const stranger = startAgent(dir, tmpdir());
    recordAgentGroup(dir, stranger);

    expect(await sweepWorkRoot(root, log, 200)).toBe(1);

    expect(groupAlive(stranger)).toBe(true);
    expect(existsSync(dir)).toBe(false);
    expect(lines[0]).toMatch(/"agent_stopped":false/);
  });

  it('removes a dead worker\'s directory whose agent already ended, and tolerates a missing work root', async () => {
    const dir = runDir('run-r4-abc123', deadPid());
    recordAgentGroup(dir, deadPid());

    expect(await sweepWorkRoot(root, log)).toBe(1);
    expect(existsSync(dir)).toBe(false);
    expect(await sweepWorkRoot(join(root, 'missing'), log)).toBe(0);
    expect(lines).toHaveLength(1);
  });
});

async function waitFor(probe: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
