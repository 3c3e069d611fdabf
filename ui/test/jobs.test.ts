// Jobs and runs in a real browser: a job created through the agent form (the API's message beside
// the field it names, a warning when no credential holds the provider's key), listed, edited, run
// now with its run appearing and finishing live in the job's history and the runs list, runs
// filtered by status through the address, a job deleted after confirming, and a viewer given no
// controls. Every page passes axe, in light, once in dark and once at phone width.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MCP_FIXTURE } from '../../node-worker/test/fixtures/stack.ts';
import { startBrowserStack, type BrowserStack } from './harness.ts';

let b: BrowserStack;
/** One signed-in admin tab, shared by the tests that act as the admin. */
let admin: Page;
const JOB = 'Nightly docs';

beforeAll(async () => {
  b = await startBrowserStack();
  await b.stack.startWorker('ui-jobs-worker');
  b.stack.model.script = { command: 'echo tidied the docs', finalText: 'The docs are tidy.' };
  admin = await signedIn();
});

afterAll(async () => {
  await b?.stop();
});

async function signedIn(options?: Parameters<BrowserStack['newPage']>[0]): Promise<Page> {
  const page = await b.newPage(options);
  await b.signIn(page);
  return page;
}

describe('jobs', () => {
  it('creates a job through the form: the API error beside its field, a warning for the missing key', async () => {
    const page = admin;
    await b.open(page, '/jobs');
    await page.getByText('No jobs yet').waitFor();
    await b.expectAccessible(page, 'jobs, empty');
    await page.getByRole('link', { name: 'New job' }).click();
    await page.getByRole('heading', { level: 1, name: 'New job' }).waitFor();

    await page.getByRole('main').getByLabel('Name', { exact: true }).fill(JOB);
    await page.getByRole('main').getByLabel('Description', { exact: true }).fill('Keeps the docs tidy');
    await page.getByRole('main').getByLabel('Prompt', { exact: true }).fill('Run the shell command for the docs, then say what happened.');
    await page.getByRole('main').getByLabel('Provider', { exact: true }).selectOption({ label: 'OpenAI' });
    await expect.poll(() => page.getByRole('main').getByLabel('Model', { exact: true }).inputValue()).toBe('gpt-4.1');
    await page.getByRole('main').getByLabel('Model', { exact: true }).selectOption({ label: 'Other model…' });
    await page.getByRole('main').getByLabel('Model name', { exact: true }).fill('scripted-model');
    await page.getByRole('main').getByLabel('Max turns', { exact: true }).fill('5');
    const warning = page.getByRole('status').filter({ hasText: 'no chosen credential supplies it' });
    await warning.waitFor();
    await expect(warning.textContent()).resolves.toContain('OPENAI_API_KEY');

    await page.getByRole('button', { name: 'Add MCP server' }).click();
    const server = page.getByRole('group', { name: /^MCP server 1/ });
    await server.getByLabel('Name', { exact: true }).fill('probe tools');
    await server.getByLabel('Command', { exact: true }).fill(process.execPath);
    await server.getByLabel('Arguments', { exact: true }).fill(MCP_FIXTURE);
    await server.getByRole('button', { name: 'Add server 1 variable' }).click();
    await server.getByLabel('server 1 variable 1 name', { exact: true }).fill('PROBE_WORD');
    await server.getByLabel('server 1 variable 1 value', { exact: true }).fill('banana');
    await page.getByRole('button', { name: 'Add variable', exact: true }).click();
    await page.getByRole('main').getByLabel('variable 1 name', { exact: true }).fill('OPENAI_HOST');
    await page.getByRole('main').getByLabel('variable 1 value', { exact: true }).fill(b.stack.model.url);
    await page.getByRole('main').getByLabel('Timeout (seconds)', { exact: true }).fill('60');
    await page.getByRole('main').getByLabel('Max attempts', { exact: true }).fill('1');

    // No credential for OPENAI_API_KEY: asked before anything is sent.
    await page.getByRole('button', { name: 'Create job', exact: true }).click();
    const ask = page.getByRole('dialog', { name: "No credential for the provider's key" });
    await ask.waitFor();
    await b.expectAccessible(page, 'new job, missing-key warning');
    await ask.getByRole('button', { name: 'Create job anyway' }).click();

    // The API refuses the server's name; its message sits beside that field, which is marked invalid.
    const nameField = server.getByLabel('Name', { exact: true });
    await server.getByText("must be letters, digits, '-' or '_'").waitFor();
    await expect(nameField.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect.poll(() => nameField.evaluate((el) => el === document.activeElement)).toBe(true);
    await expect(page.getByRole('alert').textContent()).resolves.toBe('One field needs attention: see the message beside it above.');
    await expect(nameField.evaluate((el) => document.getElementById(el.getAttribute('aria-describedby')!.split(' ').pop()!)?.textContent)).resolves.toMatch(/must be letters/);
    await b.expectAccessible(page, 'new job, with an API error');

    await nameField.fill('probe');
    await page.getByRole('checkbox', { name: /^openai/ }).check();
    await expect.poll(() => warning.count()).toBe(0);
    await page.getByRole('button', { name: 'Create job', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: JOB }).waitFor();
    await expect(page.getByRole('dialog').filter({ visible: true }).count()).resolves.toBe(0);
    const settings = page.getByRole('region', { name: 'Settings' });
    await settings.getByText('OpenAI · scripted-model · at most 5 turns').waitFor();
    await settings.getByText('probe', { exact: true }).waitFor();
    const [created] = await b.stack.api<{ mcp_servers: unknown[]; env_vars: unknown; credential_ids: string[] }[]>('GET', '/jobs');
    expect(created).toMatchObject({ mcp_servers: [{ name: 'probe', type: 'stdio', command: process.execPath, args: [MCP_FIXTURE], env: { PROBE_WORD: 'banana' } }], env_vars: { OPENAI_HOST: b.stack.model.url }, credential_ids: ['openai'] });
    await page.getByText('This job has not run yet.').waitFor();
    await b.expectAccessible(page, 'job detail');
    expect(b.pageErrors).toEqual([]);
  });

  it('lists the job, edits it, and runs it now: the run appears and finishes live in its history and the runs list', async () => {
    const page = admin;
    await b.open(page, '/jobs');
    const row = page.getByRole('row', { name: new RegExp(JOB) });
    await row.getByRole('link', { name: JOB }).waitFor();
    await row.getByText('OpenAI · scripted-model').waitFor();
    await b.expectAccessible(page, 'jobs');

    await row.getByRole('link', { name: 'Edit' }).click();
    await page.getByRole('heading', { level: 1, name: `Edit ${JOB}` }).waitFor();
    await expect(page.getByRole('main').getByLabel('Model name', { exact: true }).inputValue()).resolves.toBe('scripted-model');
    await expect(page.getByRole('checkbox', { name: /^openai/ }).isChecked()).resolves.toBe(true);
    await expect(page.getByRole('group', { name: /^MCP server 1/ }).getByLabel('Arguments', { exact: true }).inputValue()).resolves.toBe(MCP_FIXTURE);
    await b.expectAccessible(page, 'edit job');
    await page.getByRole('main').getByLabel('Description', { exact: true }).fill('Tidies the docs every night');
    await page.getByRole('main').getByLabel('Priority', { exact: true }).fill('5');
    await page.getByRole('button', { name: 'Remove MCP server 1 (probe)' }).click();
    await page.getByText("None: the agent gets goose's built-in tools only.").waitFor();
    await page.getByRole('button', { name: 'Save job' }).click();
    await page.getByRole('heading', { level: 1, name: JOB }).waitFor();
    await page.getByText('Tidies the docs every night').waitFor();
    const [stored] = await b.stack.api<{ priority: number; mcp_servers: unknown[] }[]>('GET', '/jobs');
    expect(stored).toMatchObject({ priority: 5, mcp_servers: [] });

    // A second tab on the runs list, to see the run arrive there without a reload.
    const list = await signedIn();
    await b.open(list, '/runs');
    await list.getByText('No runs yet').waitFor();

    await page.getByRole('button', { name: 'Run now' }).click();
    await page.getByRole('status').getByRole('link', { name: JOB }).waitFor();
    const history = page.getByRole('table', { name: `Runs of ${JOB}` });
    await history.getByRole('row').nth(1).waitFor();
    await list.getByRole('link', { name: JOB }).waitFor();
    // It runs on the worker and ends; both pages follow without a reload.
    await history.getByText('completed').waitFor({ timeout: 45_000 });
    await list.getByRole('table').getByText('completed').waitFor();
    await page.getByText(/Latest 1: 1 completed; median duration (\d+ min )?\d+ s/).waitFor();
    await expect.poll(() => history.getByRole('row').nth(1).getByRole('cell').nth(3).textContent()).toMatch(/^(\d+ min )?\d+ s$/);

    await page.emulateMedia({ colorScheme: 'dark' });
    await b.expectAccessible(page, 'job detail with a run, dark');
    await page.emulateMedia({ colorScheme: 'light' });
    expect(b.pageErrors).toEqual([]);
  });
});

describe('runs', () => {
  it('filters by status from the address and the select, and starts a new run from the form', async () => {
    await b.stack.api('POST', '/runs', { name: 'Waiting run', task_prompt: 'wait for a worker that is not there', required_labels: { pool: 'nowhere' } });
    const page = admin;
    await b.open(page, '/runs?status=queued');
    const status = page.getByRole('main').getByLabel('Status', { exact: true });
    await expect(status.inputValue()).resolves.toBe('queued');
    await page.getByRole('link', { name: 'Waiting run' }).waitFor();
    await expect(page.getByRole('link', { name: JOB }).count()).resolves.toBe(0);
    await b.expectAccessible(page, 'runs, queued');

    await status.selectOption('completed');
    await page.getByRole('link', { name: JOB }).waitFor();
    await expect(page.getByRole('link', { name: 'Waiting run' }).count()).resolves.toBe(0);
    expect(new URL(page.url()).search).toBe('?status=completed');

    await status.selectOption('failed');
    await page.getByText('No runs match these filters.').waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByRole('link', { name: 'Waiting run' }).waitFor();
    await page.getByRole('link', { name: JOB }).waitFor();
    expect(new URL(page.url()).search).toBe('');

    // The job filter, as the job page links to it.
    const jobs = await b.stack.api<{ id: string }[]>('GET', '/jobs');
    await b.open(page, `/runs?job_id=${jobs[0]!.id}`);
    await page.getByRole('link', { name: JOB }).waitFor();
    await expect(page.getByRole('link', { name: 'Waiting run' }).count()).resolves.toBe(0);

    // At phone width: a run from the form, with no provider chosen (the worker's default).
    const phone = await signedIn({ width: 375, height: 800 });
    await b.open(phone, '/runs/new');
    await b.expectAccessible(phone, 'new run, 375 px');
    await phone.getByRole('main').getByLabel('Prompt', { exact: true }).fill('wait for a worker that is not there either');
    await phone.getByRole('button', { name: 'Add label' }).click();
    await phone.getByRole('main').getByLabel('label 1 name', { exact: true }).fill('pool');
    await phone.getByRole('main').getByLabel('label 1 value', { exact: true }).fill('nowhere');
    await phone.getByRole('button', { name: 'Start run' }).click();
    await phone.waitForURL(/\/runs\/(?!new$)[^/]+$/);
    const id = new URL(phone.url()).pathname.split('/').pop()!;
    await expect(b.stack.api('GET', `/runs/${id}`)).resolves.toMatchObject({ name: 'Ad-hoc Run', status: 'queued', required_labels: { pool: 'nowhere' }, skill_ids: null });

    // A new run with an earlier run's settings, as a re-run with changes starts.
    await b.open(phone, `/runs/new?from=${id}`);
    await expect.poll(() => phone.getByRole('main').getByLabel('Prompt', { exact: true }).inputValue()).toBe('wait for a worker that is not there either');
    await expect(phone.getByRole('main').getByLabel('label 1 value', { exact: true }).inputValue()).resolves.toBe('nowhere');
    expect(b.pageErrors).toEqual([]);
  });
});

describe('deleting and viewing', () => {
  it('shows a viewer no create, edit, run or delete controls', async () => {
    const { key } = await b.stack.api<{ key: string }>('POST', '/api-keys', { name: 'ui viewer', role: 'viewer' });
    const page = await b.newPage();
    await b.signIn(page, key);
    await b.open(page, '/jobs');
    await page.getByRole('link', { name: JOB }).click();
    await page.getByRole('heading', { level: 1, name: JOB }).waitFor();
    await page.getByRole('region', { name: 'Run history' }).getByRole('table').waitFor();
    await expect(page.getByRole('main').getByRole('button').count()).resolves.toBe(0);
    await expect(page.getByRole('link', { name: 'Edit' }).count()).resolves.toBe(0);
    await b.open(page, '/jobs');
    await page.getByRole('link', { name: JOB }).waitFor();
    await expect(page.getByRole('main').getByRole('button').count()).resolves.toBe(0);
    await expect(page.getByRole('link', { name: 'New job' }).count()).resolves.toBe(0);
    await b.open(page, '/runs');
    await page.getByRole('link', { name: JOB }).waitFor();
    await expect(page.getByRole('link', { name: 'New run' }).count()).resolves.toBe(0);
    await b.open(page, '/runs/new');
    await page.getByText('can look at runs but not start them').waitFor();
    await expect(page.getByRole('button', { name: 'Start run' }).count()).resolves.toBe(0);
  });

  it('deletes a job only once confirmed', async () => {
    const page = admin;
    await b.open(page, '/jobs');
    const row = page.getByRole('row', { name: new RegExp(JOB) });
    await row.getByRole('link', { name: /completed/ }).waitFor();
    await row.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: `Delete job ${JOB}?` });
    await dialog.waitFor();
    await b.expectAccessible(page, 'jobs, delete dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(b.stack.api<unknown[]>('GET', '/jobs')).resolves.toHaveLength(1);

    await row.getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('button', { name: 'Delete job' }).click();
    await page.getByText('No jobs yet').waitFor();
    await expect(b.stack.api<unknown[]>('GET', '/jobs')).resolves.toHaveLength(0);
    // Its runs are kept.
    await b.open(page, '/runs?status=completed');
    await page.getByRole('link', { name: JOB }).waitFor();
    expect(b.pageErrors).toEqual([]);
  });
});
