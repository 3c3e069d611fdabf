// API keys and members in a real browser: a key is minted with a role the caller may hand out, shown
// once with a copy button, works, and stops working when revoked; a member can mint only up to their
// own role and sees only their own keys; admins add people, change their roles and remove them.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserStack, type BrowserStack } from './harness.ts';
import { personWithKey } from './seed.ts';

let b: BrowserStack;

beforeAll(async () => {
  b = await startBrowserStack();
});

afterAll(async () => {
  await b?.stop();
});

async function whoIs(key: string): Promise<{ status: number; role?: string }> {
  const res = await fetch(`${b.stack.base}/api/v1/users/me`, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, ...(res.ok ? { role: ((await res.json()) as { role: string }).role } : {}) };
}

async function roleOptions(page: Page): Promise<string[]> {
  return page.getByLabel('Role', { exact: true }).locator('option').allTextContents();
}

describe('API keys', () => {
  it('creates a key shown once with a copy button, which works until it is revoked', async () => {
    const page = await b.newPage();
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await b.signIn(page);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();
    await b.expectAccessible(page, 'API keys');
    // The bootstrap admin owns the workspace: every role, worker keys included.
    expect(await roleOptions(page)).toEqual(['owner', 'admin', 'member', 'viewer', 'worker']);

    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('CI deploys');
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByRole('region', { name: /Your new key/ });
    await shown.getByText('you will not see it again').waitFor();
    const key = await shown.getByLabel('New API key').inputValue();
    expect(key).toMatch(/^fc_/);
    await b.expectAccessible(page, 'API keys with a new key shown');
    await shown.getByRole('button', { name: 'Copy key' }).click();
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(key);
    await expect(whoIs(key)).resolves.toEqual({ status: 200, role: 'viewer' });

    // Once dismissed, or after a reload, only its prefix is ever on screen again.
    await shown.getByRole('button', { name: /Done/ }).click();
    await expect(page.getByLabel('New API key').count()).resolves.toBe(0);
    const row = page.getByRole('row', { name: /CI deploys/ });
    await expect(row.textContent()).resolves.toContain(key.slice(0, 8));
    await page.reload();
    await page.getByRole('row', { name: /CI deploys/ }).waitFor();
    await expect(page.getByLabel('New API key').count()).resolves.toBe(0);
    await expect(page.content()).resolves.not.toContain(key);

    // Revoking asks first; "Cancel" keeps the key.
    await page.getByRole('button', { name: 'Revoke CI deploys' }).click();
    const confirm = page.getByRole('dialog', { name: /Revoke the key “CI deploys”/ });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await expect(whoIs(key)).resolves.toEqual({ status: 200, role: 'viewer' });
    await page.getByRole('button', { name: 'Revoke CI deploys' }).click();
    await confirm.getByRole('button', { name: 'Revoke key' }).click();
    await page.getByRole('row', { name: /CI deploys.*revoked/ }).waitFor();
    await expect(page.getByRole('button', { name: 'Revoke CI deploys' }).count()).resolves.toBe(0);
    await expect(whoIs(key)).resolves.toMatchObject({ status: 401 });
    expect(b.pageErrors).toEqual([]);
  });

  it('offers a member only the roles they may mint, and shows them only their own keys', async () => {
    const memberKey = await personWithKey(b.stack, 'mia', 'member');
    const page = await b.newPage({ colorScheme: 'dark' });
    await b.signIn(page, memberKey);
    await b.open(page, '/settings/keys');
    await page.getByRole('heading', { level: 2, name: 'Your keys' }).waitFor();
    expect(await roleOptions(page)).toEqual(['member', 'viewer']);
    await expect(page.getByLabel('For').count()).resolves.toBe(0);
    await page.getByRole('row', { name: /mia's laptop/ }).waitFor();
    await expect(page.getByRole('row', { name: /mia's laptop/ }).count()).resolves.toBe(1);
    // The admin's bootstrap and worker keys are not hers to see.
    await expect(page.getByRole('row', { name: /e2e worker/ }).count()).resolves.toBe(0);
    await b.expectAccessible(page, 'API keys, dark, as a member');

    // What the page offers, the API accepts.
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('scripts');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = await page.getByLabel('New API key').inputValue();
    await expect(whoIs(key)).resolves.toEqual({ status: 200, role: 'member' });
    await b.expectAccessible(page, 'API keys, dark, new key shown');
    expect(b.pageErrors).toEqual([]);
  });

  it('lets an admin make a key for another member, capped at their role', async () => {
    await personWithKey(b.stack, 'victor', 'viewer');
    const page = await b.newPage({ width: 375, height: 800 });
    await b.signIn(page);
    await b.open(page, '/settings/keys');
    await page.getByLabel('For').selectOption({ label: 'victor (viewer)' });
    expect(await roleOptions(page)).toEqual(['viewer']);
    await b.expectAccessible(page, 'API keys at 375 px');
    await expect(page.evaluate(() => document.documentElement.scrollWidth)).resolves.toBeLessThanOrEqual(375);
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('victor reads');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = await page.getByLabel('New API key').inputValue();
    await expect(whoIs(key)).resolves.toEqual({ status: 200, role: 'viewer' });
    await page.getByRole('button', { name: /Done/ }).click();
    await expect(page.getByRole('row', { name: /victor reads/ }).textContent()).resolves.toContain('victor');
  });
});

describe('members', () => {
  it('adds a member by username, changes their role and removes them after confirming', async () => {
    const page = await b.newPage();
    await b.signIn(page);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Members' }).click();
    await page.getByRole('heading', { level: 1, name: 'Members' }).waitFor();
    await b.expectAccessible(page, 'members');

    await page.getByLabel('Username').fill('noah');
    await page.getByLabel('Display name').fill('Noah Fischer');
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Add member' }).click();
    const row = page.getByRole('row', { name: /noah/ });
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('Noah Fischer');
    await expect(page.getByRole('combobox', { name: 'Role of noah' }).inputValue()).resolves.toBe('viewer');

    const members = () => b.stack.api<{ username: string; role: string; user_id: string }[]>('GET', '/workspaces/default/members?limit=100');
    // Choosing a role changes nothing until it is confirmed.
    await page.getByRole('combobox', { name: 'Role of noah' }).selectOption('member');
    await page.getByRole('combobox', { name: 'Role of noah' }).selectOption('admin');
    expect((await members()).find((m) => m.username === 'noah')?.role).toBe('viewer');
    await page.getByRole('button', { name: 'Change role of noah to admin' }).click();
    await expect.poll(async () => (await members()).find((m) => m.username === 'noah')?.role).toBe('admin');
    await page.getByRole('status').filter({ hasText: 'noah is now an admin.' }).waitFor({ state: 'attached' });

    // A name already in the workspace is refused, and the form says so.
    await page.getByLabel('Username').fill('noah');
    await page.getByRole('button', { name: 'Add member' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/already a member/);

    await page.getByRole('button', { name: 'Remove noah' }).click();
    const confirm = page.getByRole('dialog', { name: 'Remove noah from this workspace?' });
    await b.expectAccessible(page, 'members, confirming removal');
    await confirm.getByRole('button', { name: 'Remove member' }).click();
    await expect.poll(() => page.getByRole('row', { name: /noah/ }).count()).toBe(0);
    expect((await members()).some((m) => m.username === 'noah')).toBe(false);
    expect(b.pageErrors).toEqual([]);
  });

  it('is read-only below admin, in dark and at 375 px', async () => {
    const memberKey = await personWithKey(b.stack, 'milo', 'member');
    const page = await b.newPage({ width: 375, height: 800, colorScheme: 'dark' });
    await b.signIn(page, memberKey);
    await b.open(page, '/settings/members');
    await page.getByRole('row', { name: /milo/ }).waitFor();
    await expect(page.getByRole('row', { name: /^admin\b/ }).count()).resolves.toBe(1);
    await expect(page.getByRole('button', { name: /Add member|Remove/ }).count()).resolves.toBe(0);
    await expect(page.getByRole('combobox', { name: /Role of/ }).count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: /Change role/ }).count()).resolves.toBe(0);
    await expect(page.getByLabel('Username').count()).resolves.toBe(0);
    await b.expectAccessible(page, 'members, dark, 375 px');
    await expect(page.evaluate(() => document.documentElement.scrollWidth)).resolves.toBeLessThanOrEqual(375);
    expect(b.pageErrors).toEqual([]);
  });
});
