// End to end with a fleet: two real node-worker processes (four runs at a time each) share one control
// plane whose leases are short, so a worker killed mid-run loses its run to the other within seconds.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processesWith, startStack, type RunView, type Stack, type WorkerProcess } from './fixtures/stack.ts';

const LEASE_SECONDS = 6;
const CONCURRENCY = 4;

let stack: Stack;
let fleet: WorkerProcess[];

interface TimedRun extends RunView {
  started_at: string | null;
  completed_at: string | null;
}

/** The worker id a worker process logged when it registered. */
function workerIdOf(worker: WorkerProcess): string {
  const id = /registered \{"worker_id":"([^"]+)"/.exec(worker.output)?.[1];
  if (!id) throw new Error(`${worker.name} logged no worker id:\n${worker.output}`);
  return id;
}

/** Run ids a worker process logged claiming, once per claim. */
function claimsBy(worker: WorkerProcess): string[] {
  return [...worker.output.matchAll(/claimed run \{"run_id":"([^"]+)"/g)].map((m) => m[1]!);
}

/** The most runs that were running at one moment, from their start and end times. */
function mostAtOnce(runs: TimedRun[]): number {
  const edges = runs.flatMap((r) => [
    { at: Date.parse(r.started_at!), delta: 1 },
    { at: Date.parse(r.completed_at!), delta: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let now = 0;
  let most = 0;
  for (const edge of edges) most = Math.max(most, (now += edge.delta));
  return most;
}

beforeAll(async () => {
  stack = await startStack({ controlVars: { ORCH_LEASE_SECONDS: String(LEASE_SECONDS) } });
  fleet = await Promise.all(['fleet-a', 'fleet-b'].map((name) => stack.startWorker(name, { ORCH_CONCURRENCY: String(CONCURRENCY) })));
}, 90_000);

afterAll(async () => {
  await stack?.stop();
}, 30_000);

describe('a fleet of node-workers', { timeout: 90_000 }, () => {
  it('shares 50 runs between two workers: every run completes, each is claimed exactly once, both workers take some', async () => {
    stack.model.script = { command: 'echo fleet run', finalText: 'fleet run done' };
    const created = await Promise.all(Array.from({ length: 50 }, (_, i) => stack.createGooseRun(`fleet-${i}`, { mcp_servers: [] })));

    const runs: TimedRun[] = [];
    for (const run of created) runs.push((await stack.followRun(run.id, 60_000)).run as TimedRun);

    expect(runs.map((r) => r.status)).toEqual(runs.map(() => 'completed'));
    expect(runs.map((r) => r.result)).toEqual(runs.map(() => 'fleet run done'));
    expect(runs.map((r) => r.attempt)).toEqual(runs.map(() => 1));

    const ids = fleet.map(workerIdOf);
    const perWorker = ids.map((id) => runs.filter((r) => r.worker_id === id).length);
    expect(perWorker[0]! + perWorker[1]!).toBe(50);
    expect(Math.min(...perWorker)).toBeGreaterThan(0);
    // Each worker's own log agrees: it claimed exactly the runs recorded as its, once each.
    for (const [i, worker] of fleet.entries()) {
      const claimed = claimsBy(worker).filter((id) => created.some((r) => r.id === id));
      expect(claimed.toSorted()).toEqual(runs.filter((r) => r.worker_id === ids[i]).map((r) => r.id).toSorted());
    }
    // Workers really ran several at a time, not one after another.
    expect(mostAtOnce(runs)).toBeGreaterThan(2);
  });

  it('requeues the run of a worker killed with SIGKILL mid-run, and the other worker completes it', async () => {
    const marker = `orphan-${Date.now()}`;
    const seconds = `303.${Date.now() % 100000}`;
    const lock = join(stack.tmp, `${marker}.lock`);
    // The first attempt takes the lock and hangs in the tool; the retry finds the lock taken and finishes.
    stack.model.script = { command: `if mkdir ${lock} 2>/dev/null; then sleep ${seconds}; else echo retried ${marker}; fi`, finalText: 'finished on the retry' };
    const created = await stack.createGooseRun(marker, { max_attempts: 2, mcp_servers: [] });
    try {
      await stack.waitFor('the first attempt to be in its tool', () => processesWith(`sleep ${seconds}`).length > 0);
      const holder = (await stack.api<RunView>('GET', `/runs/${created.id}`)).worker_id;
      const victim = fleet.find((w) => workerIdOf(w) === holder);
      const survivor = fleet.find((w) => w !== victim)!;
      expect(victim, `the run is held by worker ${holder}`).toBeDefined();

      const killedAt = Date.now();
      victim!.child.kill('SIGKILL');
      await victim!.exited;
      const { run } = await stack.followRun(created.id, 40_000);

      expect(run.status).toBe('completed');
      expect(run.result).toBe('finished on the retry');
      expect(run.attempt).toBe(2);
      expect(run.worker_id).toBe(workerIdOf(survivor));
      // The lease runs out, the next reap (every 5 s) requeues, and the retry itself takes a moment.
      expect(Date.now() - killedAt).toBeLessThan((LEASE_SECONDS + 5 + 15) * 1000);
      const logs = await stack.runLogs(run.id);
      expect(logs.some((l) => l.stream === 'system' && l.line === '[flight-control] worker lost; run requeued for attempt 2')).toBe(true);
      expect(logs.some((l) => l.stream === 'stdout' && l.line === `retried ${marker}`)).toBe(true);
      expect(logs.some((l) => l.stream === 'system' && l.line.startsWith('attempt 2/2: starting goose'))).toBe(true);

      // The first attempt's goose and tool outlived their worker; a worker started on the same work
      // directory stops them and removes the run directory before it takes any run.
      expect(processesWith(`sleep ${seconds}`).length).toBeGreaterThan(0);
      const runDirs = () => readdirSync(stack.workDir).filter((name) => name.startsWith(`run-${created.id}-`));
      expect(runDirs()).toHaveLength(1);
      const restarted = await stack.startWorker('fleet-c');
      expect(restarted.output).toContain(`swept run left by a stopped worker {"run_id":"${created.id}"`);
      expect(processesWith(`sleep ${seconds}`)).toEqual([]);
      expect(processesWith(marker)).toEqual([]);
      expect(runDirs()).toEqual([]);
    } finally {
      // Should the sweep have failed, end the first attempt's goose and tool here.
      for (const pid of [...processesWith(marker), ...processesWith(`sleep ${seconds}`)]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
  });
});
