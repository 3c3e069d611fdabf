// The workspace's admin pages in a real browser against the real stack: the fleet live (workers, the
// run one holds while it runs, draining, gone), credentials from a provider preset whose values never
// reach the page, schedules with their cron in words and next instants, skills uploaded and
// downloaded, deleting behind a confirmation, and a viewer who finds nothing to change.
import { zipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startBrowserStack, type BrowserStack } from './harness.ts';

let b: BrowserStack;

beforeAll(async () => {
  b = await startBrowserStack();
  await b.stack.startWorker('ui-worker-steady');
});

afterAll(async () => {
  await b?.stop();
});

async function signedIn(path: string, options: Parameters<BrowserStack['newPage']>[0] = {}, key = ADMIN_KEY): Promise<Page> {
  const page = await b.newPage(options);
  await b.signIn(page, key);
  await b.open(page, path);
  return page;
}

const SKILL_MD = (name: string) => `---\nname: ${name}\ndescription: Writes the weekly report from the numbers.\nlicense: MIT\n---\n\n# Weekly report\n\nRead numbers.csv, then write the summary.\n`;

async function uploadSkill(name: string): Promise<{ id: string }> {
  const form = new FormData();
  form.set('skill_md', new File([SKILL_MD(name)], 'SKILL.md', { type: 'text/markdown' }));
  const res = await fetch(`${b.stack.base}/api/v1/skills`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}` }, body: form });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string };
}

describe('workers', () => {
  it('shows the fleet live: workers, the run one holds while it runs, draining, and gone under Offline', async () => {
    const page = await signedIn('/workers');
    const active = page.getByRole('region', { name: /^Active/ });
    const steady = active.getByRole('row', { name: /ui-worker-steady/ });
    await steady.waitFor();
    await expect(steady.getByText('online').count()).resolves.toBe(1);
    await expect(steady.getByText('0 of 1').count()).resolves.toBe(1);
    await expect(steady.getByText(/just now|\d+ s ago/).count()).resolves.toBe(1);
    await b.expectAccessible(page, 'workers');

    // A second worker appears without a reload, with its labels and slots.
    const leaving = await b.stack.startWorker('ui-worker-leaving', { ORCH_LABELS: 'pool=drain', ORCH_CONCURRENCY: '2' });
    const row = active.getByRole('row', { name: /ui-worker-leaving/ });
    await row.getByRole('list', { name: 'Labels of ui-worker-leaving' }).getByText('pool=drain').waitFor();
    await expect(row.getByText('0 of 2').count()).resolves.toBe(1);

    // It holds a run that needs its label: the run shows in its row, linked, while it runs.
    b.stack.model.script = { command: 'sleep 15', finalText: 'Slept.' };
    const run = await b.stack.createGooseRun('worker-view', { labels: { pool: 'drain' } });
    const link = row.getByRole('link', { name: 'e2e worker-view' });
    await link.waitFor({ timeout: 15_000 });
    await expect(link.getAttribute('href')).resolves.toBe(`/runs/${run.id}`);
    await expect(row.getByText('1 of 2').count()).resolves.toBe(1);
    await expect(steady.getByText('idle').count()).resolves.toBe(1);
    await b.expectAccessible(page, 'workers with a run');

    // Asked to stop, it drains: it finishes the run, then leaves the fleet.
    leaving.child.kill('SIGTERM');
    await row.getByText('draining').first().waitFor();
    await b.stack.followRun(run.id);
    await leaving.exited;
    const offline = page.getByText(/^Offline workers \(1\)$/);
    await offline.waitFor();
    await expect(row.count()).resolves.toBe(0);
    // Collapsed until asked for.
    await expect(page.getByRole('row', { name: /ui-worker-leaving/ }).isVisible()).resolves.toBe(false);
    await offline.click();
    await page.getByRole('row', { name: /ui-worker-leaving/ }).getByText('offline').waitFor();
    await b.expectAccessible(page, 'workers with one offline');
    expect(b.pageErrors).toEqual([]);
  });

  it('keeps a worker of the fleet in view however many came and went after it, and pages the offline ones', async () => {
    const call = async (path: string, body: unknown) => {
      const res = await fetch(`${b.stack.base}/api/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status).toBeLessThan(300);
      return (await res.json()) as { id: string };
    };
    for (let i = 0; i < 55; i++) {
      const { id } = await call('/workers/register', { name: `ui-worker-gone-${i}` });
      await call('/workers/deregister', { worker_id: id });
    }
    const page = await signedIn('/workers');
    await page.getByRole('region', { name: /^Active/ }).getByRole('row', { name: /ui-worker-steady/ }).waitFor();
    const summary = page.getByText(/^Offline workers \(50\+\)$/);
    await summary.click();
    const offline = page.getByRole('table', { name: 'Offline workers' });
    await expect(offline.getByRole('row', { name: /ui-worker-gone-/ }).count()).resolves.toBe(50);
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.getByText(/^Offline workers \(\d+\)$/).waitFor();
    await expect(offline.getByRole('row', { name: /ui-worker-gone-/ }).count()).resolves.toBe(55);
    await b.expectAccessible(page, 'workers with many offline');
    expect(b.pageErrors).toEqual([]);
  });
});

describe('credentials', () => {
  it('creates one from a provider preset and rotates it, the value never reaching the page', async () => {
    const page = await signedIn('/credentials');
    await page.getByRole('row', { name: /openai/ }).waitFor();
    await b.expectAccessible(page, 'credentials');

    await page.getByRole('button', { name: 'Add credential' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add credential' });
    await dialog.getByLabel('Provider preset').selectOption({ label: 'Anthropic: ANTHROPIC_API_KEY' });
    await expect(dialog.getByLabel('Name').inputValue()).resolves.toBe('anthropic-api-key');
    await expect(dialog.getByLabel('Environment variable').inputValue()).resolves.toBe('ANTHROPIC_API_KEY');
    await expect(dialog.getByLabel('Value').getAttribute('type')).resolves.toBe('password');
    await dialog.getByLabel('Value').fill('sk-ant-first-Secret');
    await dialog.getByLabel('Description').fill('For the Claude jobs');
    await b.expectAccessible(page, 'add credential dialog');
    await dialog.getByRole('button', { name: 'Create credential' }).click();
    const row = page.getByRole('row', { name: /anthropic-api-key/ });
    await row.getByText('For the Claude jobs').waitFor();
    await expect(row.getByText('for Anthropic').count()).resolves.toBe(1);
    await expect(dialog.isVisible()).resolves.toBe(false);
    await page.emulateMedia({ colorScheme: 'dark' });
    await b.expectAccessible(page, 'credentials, dark');
    // On a phone the table scrolls in its own box; the page does not.
    await page.setViewportSize({ width: 375, height: 800 });
    await expect(page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).resolves.toBeLessThanOrEqual(0);
    await b.expectAccessible(page, 'credentials, dark, 375 px');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 900 });

    // The preset for a variable already configured says so.
    await page.getByRole('button', { name: 'Add credential' }).click();
    await expect(dialog.getByRole('option', { name: /ANTHROPIC_API_KEY \(already configured\)/ }).count()).resolves.toBe(1);
    // A taken name is told next to the name field.
    await dialog.getByLabel('Name').fill('openai');
    await dialog.getByLabel('Environment variable').fill('OPENAI_API_KEY');
    await dialog.getByLabel('Value').fill('sk-other');
    await dialog.getByRole('button', { name: 'Create credential' }).click();
    await dialog.getByText('is already taken').waitFor();
    await expect(dialog.getByLabel('Name').getAttribute('aria-invalid')).resolves.toBe('true');
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    const before = (await b.stack.api<{ name: string; updated_at: string }[]>('GET', '/credentials')).find((c) => c.name === 'anthropic-api-key')!;
    await row.getByRole('button', { name: 'Rotate anthropic-api-key' }).click();
    const rotate = page.getByRole('dialog', { name: 'Rotate anthropic-api-key' });
    await expect(rotate.getByLabel('New value').getAttribute('type')).resolves.toBe('password');
    await rotate.getByLabel('New value').fill('sk-ant-second-Secret');
    await rotate.getByRole('button', { name: 'Save new value' }).click();
    await page.getByRole('status').filter({ hasText: 'anthropic-api-key has its new value.' }).waitFor({ state: 'attached' });
    await expect
      .poll(async () => (await b.stack.api<{ name: string; updated_at: string }[]>('GET', '/credentials')).find((c) => c.name === 'anthropic-api-key')!.updated_at)
      .not.toBe(before.updated_at);

    const html = await page.content();
    for (const secret of ['sk-ant-first-Secret', 'sk-ant-second-Secret', 'sk-other']) expect(html).not.toContain(secret);
    const inputs = await page.locator('input').evaluateAll((els) => els.map((el) => (el as HTMLInputElement).value));
    expect(inputs.join('\n')).not.toMatch(/sk-ant|sk-other/);

    await row.getByRole('button', { name: 'Delete anthropic-api-key' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete anthropic-api-key?' });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await expect(row.count()).resolves.toBe(1);
    await row.getByRole('button', { name: 'Delete anthropic-api-key' }).click();
    await confirm.getByRole('button', { name: 'Delete credential' }).click();
    await row.waitFor({ state: 'detached' });
    expect(b.pageErrors).toEqual([]);
  });

});

describe('schedules', () => {
  it('creates one with its cron in words and next instants, toggles, edits, runs and deletes it', async () => {
    await b.stack.api('POST', '/jobs', { name: 'Weekly report', task_prompt: 'Write the weekly report.' });
    const page = await signedIn('/schedules');
    await page.getByText('No schedules yet').waitFor();
    await b.expectAccessible(page, 'schedules, empty');

    await page.getByRole('button', { name: 'New schedule' }).click();
    const dialog = page.getByRole('dialog', { name: 'New schedule' });
    await dialog.getByLabel('Job').selectOption({ label: 'Weekly report' });
    await dialog.getByLabel('Time zone').fill('Europe/Stockholm');
    await dialog.getByLabel('Cron expression').fill('not a cron');
    await dialog.getByText(/Invalid cron expression/).waitFor();
    await dialog.getByLabel('Cron expression').fill('30 6 * * MON');
    await dialog.getByText('At 06:30, only on Monday').waitFor();
    const instants = dialog.getByRole('list', { name: 'Next runs' }).getByRole('listitem');
    await expect.poll(() => instants.allTextContents()).toHaveLength(5);
    for (const text of await instants.allTextContents()) expect(text).toMatch(/Mon.*06:30/);
    // The instants are the zone's wall-clock times of what the API computed.
    const fromApi = await b.stack.api<{ next: string[] }>('GET', '/schedules/preview?cron=30%206%20*%20*%20MON&timezone=Europe/Stockholm&count=5');
    await expect(dialog.locator('time').evaluateAll((els) => els.map((el) => el.getAttribute('datetime')))).resolves.toEqual(fromApi.next);
    await dialog.getByLabel('Time zone').fill('America/New_York');
    await expect.poll(async () => (await instants.allTextContents()).every((t) => /06:30/.test(t) && /(EST|EDT|GMT-[45])/.test(t))).toBe(true);
    await b.expectAccessible(page, 'new schedule dialog');
    await dialog.getByRole('button', { name: 'Create schedule' }).click();

    const row = page.getByRole('row', { name: /Weekly report/ });
    await row.getByText('At 06:30, only on Monday').waitFor();
    await row.getByText('America/New_York', { exact: false }).waitFor();
    const toggle = row.getByRole('switch', { name: 'Enabled: Weekly report' });
    await expect(toggle.isChecked()).resolves.toBe(true);
    await b.expectAccessible(page, 'schedules');

    await toggle.click();
    await expect.poll(() => toggle.isChecked()).toBe(false);
    await expect.poll(() => toggle.isEnabled()).toBe(true);
    const [stored] = await b.stack.api<{ enabled: boolean; next_run_at: string | null }[]>('GET', '/schedules');
    expect(stored).toMatchObject({ enabled: false, next_run_at: null });
    await toggle.click();
    await expect.poll(async () => (await b.stack.api<{ enabled: boolean }[]>('GET', '/schedules'))[0]?.enabled).toBe(true);

    await row.getByRole('button', { name: 'Edit Weekly report' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit schedule Weekly report' });
    await expect(edit.getByLabel('Cron expression').inputValue()).resolves.toBe('30 6 * * MON');
    await edit.getByLabel('Name').fill('Friday report');
    await edit.getByLabel('Cron expression').fill('0 16 * * FRI');
    await edit.getByLabel('If the previous run is still going').selectOption('skip');
    await edit.getByText('At 16:00, only on Friday').waitFor();
    await edit.getByRole('button', { name: 'Save schedule' }).click();
    const renamed = page.getByRole('row', { name: /Friday report/ });
    await renamed.getByText('At 16:00, only on Friday').waitFor();
    await renamed.getByText(/skips while running/).waitFor();

    // Fired by hand: the run opens, and the schedule links its last run.
    await renamed.getByRole('button', { name: 'Run now: Friday report' }).click();
    await page.waitForURL(/\/runs\/[^/]+$/);
    const runId = new URL(page.url()).pathname.split('/').pop();
    await b.open(page, '/schedules');
    await expect(page.getByRole('link', { name: /last run of Friday report/ }).getAttribute('href')).resolves.toBe(`/runs/${runId}`);
    // Its history lists the fire and the run it started.
    await page.getByRole('button', { name: 'History of Friday report' }).click();
    const history = page.getByRole('dialog', { name: 'History of Friday report' });
    await expect(history.getByRole('link', { name: 'Started a run' }).getAttribute('href')).resolves.toBe(`/runs/${runId}`);
    await b.expectAccessible(page, 'schedule history');
    await history.getByRole('button', { name: 'Close' }).click();

    await page.getByRole('button', { name: 'Delete Friday report' }).click();
    await page.getByRole('dialog', { name: 'Delete schedule Friday report?' }).getByRole('button', { name: 'Delete schedule' }).click();
    await page.getByText('No schedules yet').waitFor();

    // The form fits a phone, its preview and all.
    await page.setViewportSize({ width: 375, height: 800 });
    await page.getByRole('button', { name: 'New schedule' }).click();
    await dialog.getByRole('list', { name: 'Next runs' }).waitFor();
    await b.expectAccessible(page, 'new schedule at 375 px');
    await expect(page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).resolves.toBeLessThanOrEqual(0);
    expect(b.pageErrors).toEqual([]);
  });
});

describe('skills', () => {
  it('uploads a SKILL.md with files or a zip, shows its faults by the field, opens it, downloads a file and deletes it after asking', async () => {
    const page = await signedIn('/skills');
    await page.getByText('No skills yet').waitFor();
    await b.expectAccessible(page, 'skills, empty');

    await page.getByRole('button', { name: 'Upload skill' }).click();
    const dialog = page.getByRole('dialog', { name: 'Upload skill' });
    // What the SKILL.md broke is said next to its field.
    await dialog.getByLabel('SKILL.md').setInputFiles({ name: 'SKILL.md', mimeType: 'text/markdown', buffer: Buffer.from('no frontmatter here\n') });
    await dialog.getByRole('button', { name: 'Upload' }).click();
    await expect.poll(() => dialog.getByLabel('SKILL.md').getAttribute('aria-invalid'), { timeout: 10_000 }).toBe('true');
    await b.expectAccessible(page, 'upload skill with an error');

    await dialog.getByLabel('SKILL.md').setInputFiles({ name: 'SKILL.md', mimeType: 'text/markdown', buffer: Buffer.from(SKILL_MD('weekly-report')) });
    await dialog.getByLabel('Files', { exact: true }).setInputFiles([
      { name: 'numbers.csv', mimeType: 'text/csv', buffer: Buffer.from('week,total\n1,42\n') },
      { name: 'style.txt', mimeType: 'text/plain', buffer: Buffer.from('Short sentences.') },
    ]);
    await b.expectAccessible(page, 'upload skill dialog');
    await dialog.getByRole('button', { name: 'Upload' }).click();

    await page.getByRole('heading', { level: 1, name: 'weekly-report' }).waitFor();
    await page.getByText('Writes the weekly report from the numbers.').first().waitFor();
    await page.getByRole('definition').getByText('MIT').waitFor();
    await page.getByText('Read numbers.csv, then write the summary.').waitFor();
    const files = page.getByRole('table', { name: 'Files of weekly-report' });
    await expect(files.getByRole('rowheader').allTextContents()).resolves.toEqual(['SKILL.md', 'numbers.csv', 'style.txt']);
    await b.expectAccessible(page, 'skill detail');

    const [download] = await Promise.all([page.waitForEvent('download'), files.getByRole('button', { name: 'Download numbers.csv' }).click()]);
    expect(download.suggestedFilename()).toBe('numbers.csv');
    const stream = await download.createReadStream();
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('week,total\n1,42\n');

    await page.getByRole('link', { name: '← All skills' }).click();
    const row = page.getByRole('row', { name: /weekly-report/ });
    await row.getByRole('cell', { name: '3', exact: true }).waitFor();
    await b.expectAccessible(page, 'skills');

    // A zip keeps its folders.
    await page.getByRole('button', { name: 'Upload skill' }).click();
    await dialog.getByLabel('SKILL.md').setInputFiles({ name: 'SKILL.md', mimeType: 'text/markdown', buffer: Buffer.from(SKILL_MD('zipped-report')) });
    await dialog.getByLabel('A zip of them').check();
    await dialog.getByLabel('Zip file').setInputFiles({ name: 'bundle.zip', mimeType: 'application/zip', buffer: Buffer.from(zipSync({ 'scripts/run.sh': new TextEncoder().encode('#!/bin/sh\necho hi\n') })) });
    await dialog.getByRole('button', { name: 'Upload' }).click();
    await page.getByRole('heading', { level: 1, name: 'zipped-report' }).waitFor();
    await page.getByRole('rowheader', { name: 'scripts/run.sh' }).waitFor();

    await page.getByRole('button', { name: 'Delete skill' }).click();
    await page.getByRole('dialog', { name: 'Delete skill zipped-report?' }).getByRole('button', { name: 'Delete skill' }).click();
    await page.getByRole('heading', { level: 1, name: 'Skills' }).waitFor();
    await page.getByRole('row', { name: /zipped-report/ }).waitFor({ state: 'detached' });

    await row.getByRole('button', { name: 'Delete weekly-report' }).click();
    await page.getByRole('dialog', { name: 'Delete skill weekly-report?' }).getByRole('button', { name: 'Delete skill' }).click();
    await page.getByText('No skills yet').waitFor();
    expect(b.pageErrors).toEqual([]);
  });
});

describe('a viewer', () => {
  it('sees the fleet, credentials, schedules and skills with nothing to create, change or delete', async () => {
    const job = await b.stack.api<{ id: string }>('POST', '/jobs', { name: 'Viewed job', task_prompt: 'Look.' });
    await b.stack.api('POST', '/schedules', { job_definition_id: job.id, cron_expression: '@daily', name: 'Viewed schedule' });
    const skill = await uploadSkill('viewed-skill');
    const { key } = await b.stack.api<{ key: string }>('POST', '/api-keys', { name: 'ui viewer', role: 'viewer' });

    const page = await signedIn('/workers', {}, key);
    await page.getByRole('row', { name: /ui-worker-steady/ }).waitFor();
    await expect(page.getByRole('main').getByRole('button').count()).resolves.toBe(0);

    await b.open(page, '/credentials');
    await page.getByRole('row', { name: /openai/ }).waitFor();
    await expect(page.getByRole('button', { name: /Add credential|Rotate|Delete/ }).count()).resolves.toBe(0);

    await b.open(page, '/schedules');
    const row = page.getByRole('row', { name: /Viewed schedule/ });
    await row.getByText('Enabled').waitFor();
    await expect(page.getByRole('switch').count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: /New schedule|Edit|Delete|Run/ }).count()).resolves.toBe(0);
    await b.expectAccessible(page, 'schedules as a viewer');

    await b.open(page, '/skills');
    await page.getByRole('link', { name: 'viewed-skill' }).click();
    await page.getByRole('heading', { level: 1, name: 'viewed-skill' }).waitFor();
    await expect(page.getByRole('button', { name: /Delete/ }).count()).resolves.toBe(0);
    // Reading is allowed: the files still download.
    await page.getByRole('button', { name: 'Download SKILL.md' }).waitFor();
    await b.open(page, '/skills');
    await page.getByRole('row', { name: /viewed-skill/ }).waitFor();
    await expect(page.getByRole('button', { name: /Upload|Delete/ }).count()).resolves.toBe(0);
    expect(skill.id).toBeTruthy();
    expect(b.pageErrors).toEqual([]);
  });
});
