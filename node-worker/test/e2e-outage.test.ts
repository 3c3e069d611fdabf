// End to end, as a user tried it: the control plane is frozen (SIGSTOP) for 20 s while a run is held,
// resumes, and then the worker holding the run is killed with SIGKILL. With the default 60 s lease,
// the reaper must still requeue the run, and another worker completes it. And a run claimed for a
// worker that died waiting for work goes back to the queue once it is not started, uncounted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processesWith, startStack, type Stack } from './fixtures/stack.ts';

let stack: Stack;
const seconds = `240.${process.pid}`;

beforeAll(async () => {
  stack = await startStack();
}, 90_000);

afterAll(async () => {
  // The killed worker's agent outlived it; nothing else would stop it here.
  for (const pid of processesWith(`sleep ${seconds}`)) process.kill(pid, 'SIGKILL');
  await stack?.stop();
}, 30_000);

describe('a worker killed while it waits for work', () => {
  it('gets the next run back in the queue within the pickup window, uncounted, and a live worker completes it as its first attempt', { timeout: 150_000 }, async () => {
    const idle = await stack.startWorker('idle');
    // Its claim is parked in the control plane, waiting for work, when it dies (a parked claim waits
    // far longer than this).
    await new Promise((r) => setTimeout(r, 5_000));
    idle.child.kill('SIGKILL');
    await idle.exited;

    const marker = `parked-${Date.now()}`;
    stack.model.script = { command: `echo ${marker}`, finalText: 'taken by a live worker' };
    const created = await stack.createGooseRun(marker, { max_attempts: 1 });
    const createdAt = Date.now();
    const live = await stack.startWorker('live');
    const { run } = await stack.followRun(created.id, 120_000);
    // The dead worker's parked claim took the run, but never started it: with max_attempts 1 the run
    // still completes, as attempt 1, and sooner than a lease (60 s) would have let it.
    expect(run).toMatchObject({ status: 'completed', attempt: 1, result: 'taken by a live worker' });
    expect(Date.now() - createdAt).toBeLessThan(60_000);
    const attempts = await stack.api<{ worker_name: string; outcome: string }[]>('GET', `/runs/${created.id}/attempts`);
    expect(attempts.map((a) => [a.worker_name, a.outcome])).toEqual([['live', 'completed']]);
    const logs = await stack.runLogs(created.id);
    expect(logs.some((l) => l.stream === 'system' && l.line.includes('never started it; run back in the queue'))).toBe(true);
    live.child.kill('SIGTERM');
    await live.exited;
  });
});

describe('an outage, then a dead worker', () => {
  it('requeues the dead worker\'s run once its lease ends, though the control plane was frozen before', { timeout: 240_000 }, async () => {
    const first = await stack.startWorker('first');
    const marker = `outage-${Date.now()}`;
    stack.model.script = { command: `echo ${marker} && sleep ${seconds}`, finalText: 'finished' };
    const created = await stack.createGooseRun(marker, { max_attempts: 2, timeout_seconds: 600 });
    await stack.waitFor('the run to be running', async () => (await stack.api<{ status: string }>('GET', `/runs/${created.id}`)).status === 'running', 30_000);
    await stack.waitFor('the agent to be working', () => processesWith(`sleep ${seconds}`).length > 0, 30_000);
    // Held long enough for the reaper's alarm to have come round a few times before the outage.
    await new Promise((r) => setTimeout(r, 12_000));

    await stack.freezeControl(20_000);
    // The live worker renews its lease after the freeze; its run is not taken from it.
    await new Promise((r) => setTimeout(r, 25_000));
    expect(await stack.api('GET', `/runs/${created.id}`)).toMatchObject({ status: 'running', attempt: 1 });

    first.child.kill('SIGKILL');
    await first.exited;
    stack.model.script = { command: `echo second attempt of ${marker}`, finalText: 'finished on the second attempt' };
    await stack.startWorker('second');
    const killedAt = Date.now();
    const { run } = await stack.followRun(created.id, 120_000);
    expect(run).toMatchObject({ status: 'completed', attempt: 2, result: 'finished on the second attempt' });
    // Within the 60 s lease, the reaper's 5 s and the second goose run.
    expect(Date.now() - killedAt).toBeLessThan(100_000);
    const logs = await stack.runLogs(created.id);
    expect(logs.some((l) => l.stream === 'system' && l.line.includes('worker lost; run requeued for attempt 2'))).toBe(true);
  });
});
