// The dashboard follows the caller's role: a viewer, signed in with a viewer key, walks every page of
// a workspace that has something on each and finds no control that would create, change, run,
// cancel or delete anything. The same walk as the owner finds such controls, so the check can fail.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserStack, type BrowserStack } from './harness.ts';
import { personWithKey, seedWorkspace, type Seeded } from './seed.ts';

/** Names of controls that change something; a viewer must be shown none of them. */
const CHANGES = /\b(new|create|add|edit|save|delete|remove|cancel|revoke|rotate|upload|run now|re-?run|enable|disable|drain|change role)\b/i;

let b: BrowserStack;
let seeded: Seeded;
let viewerKey: string;

beforeAll(async () => {
  b = await startBrowserStack();
  seeded = await seedWorkspace(b.stack, { goose: false });
  viewerKey = await personWithKey(b.stack, 'vera', 'viewer');
}, 300_000);

afterAll(async () => {
  await b?.stop();
});

function pages(): [string, string][] {
  return [
    ['overview', '/'],
    ['runs', '/runs'],
    ['a completed run', `/runs/${seeded.doneRunId}`],
    ['a queued run', `/runs/${seeded.queuedRunId}`],
    ['jobs', '/jobs'],
    ['a job', `/jobs/${seeded.jobId}`],
    ['schedules', '/schedules'],
    ['workers', '/workers'],
    ['credentials', '/credentials'],
    ['skills', '/skills'],
    ['a skill', `/skills/${seeded.skillId}`],
    ['API keys', '/settings/keys'],
    ['members', '/settings/members'],
  ];
}

/** Opens `path` and waits until the page has its data (nothing in the main landmark says Loading). */
async function visit(page: Page, path: string): Promise<void> {
  await b.open(page, path);
  await expect.poll(() => page.getByRole('main').getByText(/^Loading\b/).count(), { timeout: 10_000 }).toBe(0);
}

/** The accessible names of the buttons and links on the page that would change something. */
async function changeControls(page: Page): Promise<string[]> {
  const found: string[] = [];
  for (const role of ['button', 'link', 'menuitem'] as const) {
    for (const control of await page.getByRole(role, { name: CHANGES }).all()) {
      found.push(`${role} "${(await control.getAttribute('aria-label')) ?? (await control.textContent())?.trim()}"`);
    }
  }
  return found;
}

describe('a viewer', () => {
  it('finds no control that changes anything on any page, and no way to start a run', async () => {
    const page = await b.newPage();
    await b.signIn(page, viewerKey);
    await expect(page.getByRole('banner').textContent()).resolves.toContain('viewer');
    const offending: string[] = [];
    for (const [what, path] of pages()) {
      await visit(page, path);
      for (const control of await changeControls(page)) offending.push(`${what} (${path}): ${control}`);
    }
    expect(offending).toEqual([]);

    // Refused or hidden: no way to submit a run from the new-run address either.
    await visit(page, '/runs/new');
    await expect(page.getByRole('main').getByRole('button', { name: /start|create|queue|submit|\brun\b/i }).count()).resolves.toBe(0);
    await expect(page.getByRole('main').getByRole('textbox', { name: /prompt/i }).count()).resolves.toBe(0);
    expect(b.pageErrors).toEqual([]);
  });
});

describe('the owner, on the same pages', () => {
  it('is shown the controls a viewer is not', async () => {
    const page = await b.newPage();
    await b.signIn(page);
    const seen = new Map<string, string[]>();
    for (const [what, path] of pages()) {
      await visit(page, path);
      seen.set(what, await changeControls(page));
    }
    // The pages of this check's own area always have them; the others as they are built.
    expect(seen.get('overview')).toContain('link "New run"');
    expect(seen.get('API keys')).toEqual(expect.arrayContaining(['button "Create key"', expect.stringMatching(/^button "Revoke /)]));
    expect(seen.get('members')).toEqual(expect.arrayContaining(['button "Add member"', 'button "Remove vera"']));
    expect(b.pageErrors).toEqual([]);
  });
});
