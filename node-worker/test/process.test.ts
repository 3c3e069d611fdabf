import { describe, expect, it } from 'vitest';
import { groupAlive, spawnGroup } from '../src/process.ts';

describe('spawnGroup', () => {
  it('reads the output line by line and reports the exit code', async () => {
    const lines: string[] = [];
    const proc = await spawnGroup('sh', ['-c', 'echo one; echo two >&2; exit 3'], { cwd: '/', env: { PATH: process.env['PATH'] ?? '' }, onLine: (s, l) => lines.push(`${s}:${l}`) });
    expect(await proc.exited).toEqual({ code: 3, signal: null });
    expect(lines.sort()).toEqual(['stderr:two', 'stdout:one']);
  });

  it('stops the whole group, escalating to SIGKILL for processes that ignore SIGINT and SIGTERM', async () => {
    // The leader and a background child both ignore the polite signals.
    const script = `trap '' INT TERM; (trap '' INT TERM; sleep 60) & echo ready; wait`;
    let ready!: () => void;
    const started = new Promise<void>((r) => (ready = r));
    const proc = await spawnGroup('sh', ['-c', script], { cwd: '/', env: { PATH: process.env['PATH'] ?? '' }, graceMs: 200, onLine: (_, l) => l === 'ready' && ready() });
    await started;
    expect(groupAlive(proc.pid)).toBe(true);

    const t0 = Date.now();
    await proc.stop();

    expect(groupAlive(proc.pid)).toBe(false);
    expect((await proc.exited).signal).toBe('SIGKILL');
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it('rejects when the command does not exist', async () => {
    await expect(spawnGroup('/nonexistent/agent', [], { cwd: '/', env: {}, onLine: () => {} })).rejects.toThrow(/ENOENT/);
  });
});
