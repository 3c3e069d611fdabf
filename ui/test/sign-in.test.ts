// Signing in and the overview in a real browser: a key is checked before it is kept, a wrong one is
// refused, a stored one survives a reload, the overview follows the queue without reloading and
// without polling while the workspace feed is up, and workspaces can be created and switched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserStack, type BrowserStack } from './harness.ts';

let b: BrowserStack;

beforeAll(async () => {
  b = await startBrowserStack();
});

afterAll(async () => {
  await b?.stop();
});

describe('signing in', () => {
  it('refuses a wrong key, takes a right one, and signs out', async () => {
    const page = await b.newPage();
    await page.goto('/');
    await b.expectAccessible(page, 'sign-in');
    await page.getByLabel('API key').fill('fc_not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/key/i);

    await b.signIn(page);
    await b.expectAccessible(page, 'overview');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in to Flight Control' }).waitFor();
    expect(b.pageErrors).toEqual([]);
  });

  it('remembers the key across a reload only when asked, and lands deep links after sign-in', async () => {
    const page = await b.newPage();
    await page.goto('/workers');
    await page.getByLabel('API key').fill((await import('./harness.ts')).ADMIN_KEY);
    await page.getByLabel('Remember me in this browser').check();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Workers' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Workers' }).waitFor();

    const forgetful = await b.newPage();
    await b.signIn(forgetful);
    await forgetful.evaluate(() => sessionStorage.clear());
    await forgetful.reload();
    await forgetful.getByRole('heading', { level: 1, name: 'Sign in to Flight Control' }).waitFor();
  });
});

describe('the overview', () => {
  it('follows the queue live, without polling while the feed is up', async () => {
    const page = await b.newPage();
    // The feed's first message: by then the page has asked once for everything it shows.
    const feedUp = page
      .waitForEvent('websocket', { predicate: (ws) => new URL(ws.url()).pathname === '/api/v1/events', timeout: 30_000 })
      .then((ws) => ws.waitForEvent('framereceived', { timeout: 30_000 }));
    await b.signIn(page);
    const queued = page.getByRole('link', { name: /^\d+\s*Queued$/ });
    await queued.waitFor();
    const before = Number((await queued.textContent())?.match(/\d+/)?.[0]);
    await feedUp;
    await page.waitForTimeout(1_000);
    // While nothing changes, the counts are not asked for again (polling would ask every 2 s).
    const asked: string[] = [];
    page.on('request', (r) => asked.push(new URL(r.url()).pathname));
    await page.waitForTimeout(6_000);
    expect(asked.filter((p) => p === '/api/v1/system/metrics').length).toBeLessThanOrEqual(1);

    await b.stack.api('POST', '/runs', { name: 'Live count', task_prompt: 'wait in the queue' });
    await page.getByRole('link', { name: new RegExp(`^${before + 1}\\s*Queued`) }).waitFor();
    await page.getByRole('link', { name: 'Live count' }).waitFor();
    await b.expectAccessible(page, 'overview with a run');
  });

  it('creates a workspace from the picker and switches to it', async () => {
    const page = await b.newPage();
    await b.signIn(page);
    await page.getByLabel('Workspace', { exact: true }).selectOption({ label: '+ Create workspace…' });
    const dialog = page.getByRole('dialog', { name: 'Create workspace' });
    await dialog.getByLabel('Name').fill('Research Team');
    await expect(dialog.getByLabel('Slug').inputValue()).resolves.toBe('research-team');
    await dialog.getByRole('button', { name: 'Create workspace' }).click();
    await expect.poll(() => page.getByLabel('Workspace', { exact: true }).evaluate((el) => (el instanceof HTMLSelectElement ? el.selectedOptions[0]?.textContent : undefined))).toBe('Research Team');
    await page.getByText('No runs yet').waitFor();
    expect(b.pageErrors).toEqual([]);
  });
});
