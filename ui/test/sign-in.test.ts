// Signing in and out in a real browser: a key is checked before it is kept, a wrong one is refused,
// and a viewer's dashboard offers nothing to change.
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
});
