// flightctl against a real control plane, a real worker, goose and the scripted model: following
// runs live (the transcript, the exit code for each way a run ends, Ctrl-C, a dropped connection),
// and credentials whose value never reaches the command line.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startStack, type Stack } from '../../node-worker/test/fixtures/stack.ts';
import { cli, configHome, startCli, startProxy, type CliProcess } from './fixtures/cli.ts';

let stack: Stack;
let env: Record<string, string>;
/** The value `credentials set` gives the `openai` credential the runs use. */
const SECRET = `sk-cli-${process.pid}/value+=`;
const GOLDEN = join(import.meta.dirname, 'golden', 'follow-tool-call.txt');

/** An ad-hoc run against the scripted model, with the credential the stack made. */
const scripted = () => ['--provider', 'openai', '--model', 'scripted-model', '--credential', 'openai', '--env', `OPENAI_HOST=${stack.model.url}`, '--max-attempts', '1'];

/** Timings and ids vary from run to run; everything else in a transcript must not. */
const mask = (text: string) =>
  text
    .replace(/ in (\d+(\.\d+)?(ms|s)|\d+m \d+s)/g, ' in <duration>')
    .replace(/\b[0-9a-f]{12}\b/g, '<id>');

async function waitForOutput(p: CliProcess, text: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!p.stdout.includes(text)) {
    if (Date.now() > deadline) throw new Error(`flightctl did not print ${text}\nstdout: ${p.stdout}\nstderr: ${p.stderr}\n${stack.workerOutput()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const runIdOf = (stderr: string) => /run ([0-9a-f]{12}) queued/.exec(stderr)?.[1] ?? '';

beforeAll(async () => {
  stack = await startStack();
  await stack.startWorker('cli-worker', { ORCH_CONCURRENCY: '2' });
  env = { FLIGHT_CONTROL_URL: stack.base, FLIGHT_CONTROL_API_KEY: ADMIN_KEY, XDG_CONFIG_HOME: configHome() };
}, 180_000);

afterAll(async () => {
  await stack?.stop();
}, 30_000);

describe('flightctl follows runs', { timeout: 120_000 }, () => {
  it('credentials set takes the value from stdin, never from the command line', async () => {
    const setting = startCli(['credentials', 'set', 'openai'], { env, keepStdin: true });
    // While it waits for the value, the process list shows nothing of it.
    await stack.waitFor('flightctl to start', () => existsSync(`/proc/${setting.child.pid}/cmdline`));
    expect(readFileSync(`/proc/${setting.child.pid}/cmdline`, 'utf8')).not.toContain('sk-cli');
    setting.child.stdin!.end(`${SECRET}\n`);
    const set = await setting.done;
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(set.stdout.trim()).toBe('updated credential openai (OPENAI_API_KEY)');

    const onArgv = await cli(['credentials', 'set', 'openai', 'sk-typed-on-the-command-line'], { env });
    expect(onArgv.code).toBe(2);
    expect(onArgv.stderr.trim().split('\n')).toHaveLength(1);
    expect(onArgv.stderr).toContain('never taken from the command line');
  });

  it('run --follow of a run with a tool call prints the golden transcript and exits 0', async () => {
    stack.model.script = { command: 'echo golden-line-1 && echo golden-line-2', finalText: 'The command printed two lines.' };
    const seen = stack.model.requests.length;
    const result = await cli(['run', 'Print two lines with the shell, then say so.', ...scripted(), '--follow'], { env });
    expect(result.code, result.stderr).toBe(0);
    if (process.env['UPDATE_GOLDEN']) writeFileSync(GOLDEN, mask(result.stdout));
    expect(mask(result.stdout)).toBe(readFileSync(GOLDEN, 'utf8'));
    // Progress went to stderr, not into the transcript.
    expect(result.stderr).toContain('queued');
    // For scripts, the same follow as JSON: each line as the API stores it, then the ended run.
    const id = runIdOf(result.stderr);
    const followed = await cli(['logs', '-f', id, '--json'], { env });
    expect(followed.code).toBe(0);
    const documents = followed.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown);
    expect(documents.slice(0, -1)).toEqual(await stack.api('GET', `/runs/${id}/logs`));
    expect(documents.at(-1)).toEqual(await stack.api('GET', `/runs/${id}`));
    // The run got exactly the value `credentials set` read from stdin.
    expect(stack.model.requests.slice(seen).map((r) => r.authorization)).toEqual([`Bearer ${SECRET}`, `Bearer ${SECRET}`]);
  });

  it('exits 3 when the run fails, 4 when it times out', async () => {
    // No credential: the worker refuses to start goose without the provider's key.
    const failed = await cli(['run', 'Anything.', '--provider', 'openai', '--model', 'scripted-model', '--max-attempts', '1', '--follow'], { env });
    expect(failed.code, failed.stderr).toBe(3);
    expect(failed.stdout.trim().split('\n').at(-1)).toMatch(/^✗ failed/);
    expect(failed.stdout).toContain('OPENAI_API_KEY');

    stack.model.script = { command: 'sleep 30', finalText: 'unreachable' };
    const timedOut = await cli(['run', 'Sleep.', ...scripted(), '--timeout', '3s', '--follow'], { env });
    expect(timedOut.code, timedOut.stderr).toBe(4);
    expect(timedOut.stdout.trim().split('\n').at(-1)).toMatch(/^✗ timed out/);
  });

  it('Ctrl-C detaches (130) and says how to re-attach; a cancelled run exits 5; --cancel-on-interrupt cancels', async () => {
    stack.model.script = { command: 'sleep 30', finalText: 'unreachable' };
    const watching = startCli(['run', 'Sleep.', ...scripted(), '--follow'], { env });
    await waitForOutput(watching, '▸ shell');
    watching.child.kill('SIGINT');
    const detached = await watching.done;
    expect(detached.code).toBe(130);
    const id = runIdOf(detached.stderr);
    expect(detached.stderr).toContain(`Re-attach with: flightctl logs -f ${id}`);
    expect((await stack.api<{ status: string }>('GET', `/runs/${id}`)).status).toBe('running');

    const cancel = await cli(['runs', 'cancel', id], { env });
    expect(cancel.code, cancel.stderr).toBe(0);
    const reattached = await cli(['logs', '-f', id], { env });
    expect(reattached.code, reattached.stderr).toBe(5);
    expect(reattached.stdout).toContain('▸ shell command="sleep 30"');
    expect(reattached.stdout.trim().split('\n').at(-1)).toMatch(/^⊘ cancelled/);

    const cancelling = startCli(['run', 'Sleep.', ...scripted(), '--follow', '--cancel-on-interrupt'], { env });
    await waitForOutput(cancelling, '▸ shell');
    cancelling.child.kill('SIGINT');
    const cancelled = await cancelling.done;
    expect(cancelled.code, cancelled.stderr).toBe(5);
    expect(cancelled.stderr).toContain('cancelling run');
    expect(cancelled.stdout.trim().split('\n').at(-1)).toMatch(/^⊘ cancelled/);
  });

  it('loses no line and repeats none when the connection drops mid-follow', async () => {
    const proxy = await startProxy({ host: '127.0.0.1', port: Number(new URL(stack.base).port) });
    try {
      stack.model.script = { command: 'echo before-the-drop && sleep 8 && echo after-the-drop-1 && echo after-the-drop-2', finalText: 'Finished after the drop.' };
      const following = startCli(['--url', proxy.url, 'run', 'Print, wait, print.', ...scripted(), '--follow', '--raw'], { env });
      await waitForOutput(following, '▸ shell');
      await proxy.cut();
      await new Promise((r) => setTimeout(r, 1500));
      await proxy.restore();
      const result = await following.done;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain('reconnecting');

      // Every stored line, once and in order, then the closing line.
      const id = runIdOf(result.stderr);
      const stored = await cli(['logs', id, '--raw'], { env });
      const lines = result.stdout.trimEnd().split('\n');
      expect(lines.slice(0, -1).join('\n')).toBe(stored.stdout.trimEnd());
      expect(lines.at(-1)).toMatch(/^✓ completed/);
      expect(stored.stdout).toContain('after-the-drop-2');
    } finally {
      await proxy.stop();
    }
  });
});
