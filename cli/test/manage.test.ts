// flightctl against a real control plane: login, the management commands and their --json / -o yaml
// output compared with the API's own answers, errors, colour, completion and the npm bin shim.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ADMIN_KEY, startStack, type Stack } from '../../node-worker/test/fixtures/stack.ts';
import { cli, configHome, MAIN, SHIM } from './fixtures/cli.ts';

let stack: Stack;
let env: Record<string, string>;
let dir: string;

/** The API's own answer, for comparison with what flightctl printed. */
const api = <T = unknown>(path: string) => stack.api<T>('GET', path);
const json = async (args: string[]) => {
  const result = await cli([...args, '--json'], { env });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as unknown;
};

/** The detail of the error the API answers for this request. */
async function apiDetail(path: string, key = ADMIN_KEY): Promise<string> {
  const response = await fetch(`${stack.base}/api/v1${path}`, { headers: { authorization: `Bearer ${key}` } });
  expect(response.ok).toBe(false);
  return ((await response.json()) as { detail: string }).detail;
}

function expectOneErrorLine(result: { code: number | null; stderr: string; stdout: string }, detail: string, code = 1) {
  expect(result.code).toBe(code);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toContain(detail);
}

beforeAll(async () => {
  stack = await startStack();
  env = { FLIGHT_CONTROL_URL: stack.base, FLIGHT_CONTROL_API_KEY: ADMIN_KEY, XDG_CONFIG_HOME: configHome() };
  dir = mkdtempSync(join(tmpdir(), 'flightctl-files-'));
}, 180_000);

afterAll(async () => {
  await stack?.stop();
}, 30_000);

describe('flightctl manages a workspace', { timeout: 150_000 }, () => {
  it('login checks the key against /users/me and stores it readable by the user alone', async () => {
    const home = configHome();
    const config = join(home, 'flightctl', 'config.json');
    const bare = { XDG_CONFIG_HOME: home, FLIGHT_CONTROL_URL: undefined, FLIGHT_CONTROL_API_KEY: undefined };

    const refused = await cli(['login', '--url', stack.base], { env: bare, input: 'not-a-key\n' });
    expectOneErrorLine(refused, await apiDetail('/users/me', 'not-a-key'));
    expect(existsSync(config)).toBe(false);

    const login = await cli(['login', '--url', `${stack.base}/`, '--workspace', 'default'], { env: bare, input: `${ADMIN_KEY}\n` });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).toContain('logged in');
    expect(login.stderr).toContain('as admin');
    expect(statSync(config).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(config, 'utf8'))).toEqual({ url: stack.base, api_key: ADMIN_KEY, workspace: 'default' });

    // Later commands use the stored login, with no variables set.
    const whoami = await cli(['whoami', '--json'], { env: bare });
    expect(JSON.parse(whoami.stdout)).toEqual(await api('/users/me'));
  });

  it('--json and -o yaml print what the API returns, every page of a list through Link', async () => {
    const jobFile = join(dir, 'job.yaml');
    writeFileSync(jobFile, 'name: nightly-report\ntask_prompt: Write the report.\nagent_config:\n  model: some-model\ntimeout_seconds: 300\nretry:\n  max_attempts: 4\n');
    const job = (await json(['jobs', 'create', '-f', jobFile])) as { id: string };
    expect(job).toEqual(await api(`/jobs/${job.id}`));
    expect(await json(['jobs', 'get', 'nightly-report'])).toEqual(job);

    // No workers here, so the runs stay queued and do not change between the two reads.
    const runs: { id: string }[] = [];
    for (let i = 0; i < 3; i++) runs.push((await json(['jobs', 'run', 'nightly-report'])) as { id: string });
    for (const run of runs) expect(await json(['runs', 'get', run.id])).toEqual(await api(`/runs/${run.id}`));
    // For people: the attempts a run may have are its retry policy's.
    expect((await cli(['runs', 'get', runs[0]!.id], { env })).stdout).toMatch(/^attempt: +0 of 4$/m);
    await json(['run', 'An ad-hoc task.', '--label', 'gpu=yes', '--label', 'zone=eu', '--env', 'A=1', '--timeout', '10m']);

    const all = await api<{ id: string; required_labels: unknown; timeout_seconds: number }[]>('/runs?limit=500');
    expect(all.length).toBe(4);
    expect(await json(['runs', 'ls', '--limit', '0', '--page-size', '1'])).toEqual(all);
    const ofJob = await json(['runs', 'ls', '--job', 'nightly-report', '--status', 'queued', '--page-size', '2']);
    expect(ofJob).toEqual(await api(`/runs?job_id=${job.id}&status=queued&limit=500`));
    expect((ofJob as unknown[]).length).toBe(3);
    const adHoc = all.find((r) => !runs.some((j) => j.id === r.id))!;
    expect(adHoc.required_labels).toEqual({ gpu: 'yes', zone: 'eu' });
    expect(adHoc.timeout_seconds).toBe(600);

    const yaml = await cli(['runs', 'ls', '-o', 'yaml', '--limit', '2'], { env });
    expect(parse(yaml.stdout)).toEqual(all.slice(0, 2));

    // For people: an aligned table, one row per run.
    const table = (await cli(['runs', 'ls'], { env })).stdout.trimEnd().split('\n');
    expect(table[0]).toMatch(/^ID\s+STATUS\s+NAME\s+CREATED\s+DURATION$/);
    expect(table).toHaveLength(5);
    const statusColumn = table[0]!.indexOf('STATUS');
    for (const row of table.slice(1)) expect(row.slice(statusColumn)).toMatch(/^queued /);
  });

  it('schedules, skills, credentials, workers and artifacts: changes land, reads match the API', async () => {
    const schedule = (await json(['schedules', 'create', '--job', 'nightly-report', '--cron', '0 9 * * MON-FRI', '--timezone', 'Europe/Stockholm'])) as { id: string; enabled: boolean };
    expect(schedule.enabled).toBe(true);
    expect(await json(['schedules', 'ls'])).toEqual(await api('/schedules?limit=500'));
    expect((await cli(['schedules', 'disable', schedule.id], { env })).code).toBe(0);
    expect(await api(`/schedules/${schedule.id}`)).toMatchObject({ enabled: false, next_run_at: null });
    expect((await cli(['schedules', 'enable', schedule.id], { env })).code).toBe(0);
    expect(await api(`/schedules/${schedule.id}`)).toMatchObject({ enabled: true });
    expect((await cli(['schedules', 'delete', schedule.id], { env })).code).toBe(0);
    expect(await api<unknown[]>('/schedules')).toEqual([]);

    const skill = join(dir, 'release-notes');
    mkdirSync(join(skill, 'scripts'), { recursive: true });
    writeFileSync(join(skill, 'SKILL.md'), '---\nname: release-notes\ndescription: Writes release notes from the git log.\n---\nRun scripts/notes.sh.\n');
    writeFileSync(join(skill, 'scripts', 'notes.sh'), '#!/bin/sh\ngit log --oneline\n');
    const pushed = (await json(['skills', 'push', skill])) as { id: string; file_count: number };
    expect(pushed.file_count).toBe(2);
    expect(await json(['skills', 'ls'])).toEqual(await api('/skills?limit=500'));
    const detail = await api<{ files: { file_path: string }[] }>(`/skills/${pushed.id}`);
    expect(detail.files.map((f) => f.file_path).sort()).toEqual(['SKILL.md', 'scripts/notes.sh']);
    const replaced = (await json(['skills', 'push', skill, '--replace'])) as { id: string };
    expect(replaced.id).not.toBe(pushed.id);
    expect((await cli(['skills', 'delete', 'release-notes'], { env })).code).toBe(0);
    expect(await api('/skills')).toEqual([]);

    expect(await json(['credentials', 'ls'])).toEqual(await api('/credentials?limit=500'));
    const created = await cli(['credentials', 'set', 'deploy-token', '--env-var', 'DEPLOY_TOKEN'], { env, input: 'tok-123' });
    expect(created.code, created.stderr).toBe(0);
    expect(await api('/credentials')).toContainEqual(expect.objectContaining({ name: 'deploy-token', env_var: 'DEPLOY_TOKEN' }));
    expect((await cli(['credentials', 'delete', 'deploy-token'], { env })).code).toBe(0);
    expect(await api('/credentials')).not.toContainEqual(expect.objectContaining({ name: 'deploy-token' }));

    const staying = await stack.api<{ id: string }>('POST', '/workers/register', { name: 'cli-staying' });
    const leaving = await stack.api<{ id: string }>('POST', '/workers/register', { name: 'cli-leaving' });
    await stack.api('POST', '/workers/deregister', { worker_id: leaving.id });
    expect(await json(['workers', 'ls'])).toEqual(await api('/system/workers?limit=500'));
    const names = async (args: string[]) => ((await json(['workers', 'ls', ...args])) as { name: string }[]).map((w) => w.name);
    expect(await names(['--active'])).toContain('cli-staying');
    expect(await names(['--active'])).not.toContain('cli-leaving');
    expect(await names(['--no-active'])).toContain('cli-leaving');
    expect(await names(['--no-active'])).not.toContain('cli-staying');
    await stack.api('POST', '/workers/deregister', { worker_id: staying.id });
    const [run] = await api<{ id: string }[]>('/runs?limit=1');
    expect(await json(['artifacts', 'ls', run!.id])).toEqual(await api(`/runs/${run!.id}/artifacts`));

    // A job run with options of its own is an ad-hoc run of the job's settings; a re-run links back.
    const changed = (await json(['run', '--job', 'nightly-report', '--model', 'other-model'])) as { id: string; job_definition_id: unknown; task_prompt: string; agent_config: unknown; timeout_seconds: number };
    expect(changed).toMatchObject({ job_definition_id: null, task_prompt: 'Write the report.', agent_config: { model: 'other-model' }, timeout_seconds: 300 });
    expect(await json(['runs', 'rerun', changed.id])).toMatchObject({ rerun_of: changed.id, task_prompt: 'Write the report.' });
    const changes = join(dir, 'changes.yaml');
    writeFileSync(changes, 'timeout_seconds: 120\n');
    expect(await json(['jobs', 'edit', 'nightly-report', '-f', changes])).toMatchObject({ name: 'nightly-report', timeout_seconds: 120, task_prompt: 'Write the report.' });

    expect((await cli(['jobs', 'delete', 'nightly-report'], { env })).code).toBe(0);
    expect(await api('/jobs')).toEqual([]);
  });

  it('errors are one line with the API\'s detail and a non-zero exit', async () => {
    expectOneErrorLine(await cli(['runs', 'get', 'no-such-run'], { env }), await apiDetail('/runs/no-such-run'));
    expectOneErrorLine(await cli(['schedules', 'create', '--job', 'missing-job', '--cron', '@daily'], { env }), "no job named or with id 'missing-job'");
    const invalid = join(dir, 'invalid-job.yaml');
    writeFileSync(invalid, 'name: broken\ntask_prompt: x\ntimeout_seconds: 0\n');
    const refused = await cli(['jobs', 'create', '-f', invalid], { env });
    expectOneErrorLine(refused, 'timeout_seconds');
    expect(refused.stderr).toContain('(422 validation_failed)');
    const unauthenticated = await cli(['runs', 'ls'], { env: { ...env, FLIGHT_CONTROL_API_KEY: 'wrong' } });
    expectOneErrorLine(unauthenticated, await apiDetail('/runs', 'wrong'));
    expect(unauthenticated.stderr).toContain('flightctl login');
    expectOneErrorLine(await cli(['runs', 'ls', '--url', 'http://127.0.0.1:9'], { env }), 'cannot reach http://127.0.0.1:9');
    expectOneErrorLine(await cli(['runz'], { env }), 'Unknown command runz', 2);
    expectOneErrorLine(await cli(['runs', 'ls', '-o', 'xml'], { env }), '-o must be json, yaml or table', 2);
  });

  it('colours only a terminal, and not with NO_COLOR', async () => {
    const onTerminal = (extra: Record<string, string>) =>
      spawnSync('script', ['-qec', `'${process.execPath}' '${MAIN}' runs ls`, '/dev/null'], { env: { ...process.env, ...env, TERM: 'xterm', ...extra }, encoding: 'utf8' });
    delete process.env['NO_COLOR'];
    const coloured = onTerminal({});
    expect(coloured.status).toBe(0);
    expect(coloured.stdout).toContain('\u001b[');
    expect(coloured.stdout).toContain('queued');
    const plain = onTerminal({ NO_COLOR: '1' });
    expect(plain.stdout).toContain('queued');
    expect(plain.stdout).not.toContain('\u001b[');
    expect((await cli(['runs', 'ls'], { env })).stdout).not.toContain('\u001b[');
  });

  it('completes commands and flags in bash and in zsh', async () => {
    const script = join(dir, 'flightctl.bash');
    writeFileSync(script, (await cli(['completion', 'bash'])).stdout);
    const complete = (...words: string[]) =>
      spawnSync('bash', ['-c', `source '${script}'; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _flightctl; echo "\${COMPREPLY[*]}"`], { encoding: 'utf8' }).stdout.trim();
    expect(complete('flightctl', 'r')).toBe('run runs');
    expect(complete('flightctl', '--json', 'runs', 'l')).toBe('ls');
    expect(complete('flightctl', 'runs', 'ls', '--st')).toBe('--status');
    expect(complete('flightctl', 'logs', 'abc123', '--r')).toBe('--raw');
    expect(complete('flightctl', 'credentials', '')).toBe('ls set delete --help');

    const zsh = (await cli(['completion', 'zsh'])).stdout;
    expect(zsh.split('\n')[0]).toBe('#compdef flightctl');
    // Run in a real zsh, with compsys's _describe standing in to print what would be offered.
    const zshScript = join(dir, '_flightctl');
    writeFileSync(zshScript, zsh);
    const offered = (...words: string[]) =>
      spawnSync(
        'zsh',
        ['-f', '-c', `compdef() { : }; source '${zshScript}'; _describe() { local n=\${@[-1]}; print -l -- "\${(@P)n}" }; words=(${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${words.length}; _flightctl`],
        { encoding: 'utf8' },
      ).stdout.split('\n').filter(Boolean).map((line) => line.split(':')[0]);
    expect(offered('flightctl', 'runs', '')).toEqual(['ls', 'get', 'cancel', 'rerun', '--help']);
    expect(offered('flightctl', 'runs', 'ls', '--')).toContain('--status');
    expect(offered('flightctl', '')).toContain('credentials');
    expectOneErrorLine(await cli(['completion', 'fish']), 'completion is for bash or zsh', 2);
  });

  it('the npm bin runs on any Node: a new enough one runs the CLI, an older one hands over to .tools/node', () => {
    const version = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')).version as string;
    expect(spawnSync(process.execPath, [SHIM, '--version'], { encoding: 'utf8' }).stdout.trim()).toBe(version);
    const old = spawnSync('/usr/bin/node', ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout?.trim();
    const [major = 0, minor = 0] = (old ?? '').split('.').map(Number);
    if (old && (major < 22 || (major === 22 && minor < 18))) {
      const handedOver = spawnSync('/usr/bin/node', [SHIM, 'runs', 'get', 'no-such-run'], { env: { ...process.env, ...env }, encoding: 'utf8' });
      expect(handedOver.status).toBe(1);
      expect(handedOver.stderr).toContain('error: ');
    }
  });
});
