// The run page in a real browser: a goose run's log arrives live while you watch, its tool call is a
// card that opens onto its output, the completion banner and the usage show; the run's artifact and
// log download; a run is cancelled and re-run from its page; #L links land on their line; follow
// pauses when you scroll up. Against the real control plane, a real worker and goose.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startBrowserStack, type BrowserStack } from './harness.ts';

let b: BrowserStack;
/** The goose run the first test watches, for the tests after it. */
let watched: { id: string; marker: string } | null = null;

beforeAll(async () => {
  b = await startBrowserStack();
  await b.stack.startWorker('ui-run-worker');
});

afterAll(async () => {
  await b?.stop();
});

async function signedIn(options: Parameters<BrowserStack['newPage']>[0] = {}): Promise<Page> {
  const page = await b.newPage(options);
  await b.signIn(page);
  return page;
}

/** The log viewer's connection state (Live, Reconnecting…, Complete, …). */
function streamState(page: Page) {
  return page.getByRole('status').filter({ hasText: /^(Live|Connecting|Reconnecting|Complete|Stream failed)/ });
}

async function downloaded(page: Page, click: () => Promise<void>): Promise<string> {
  const [file] = await Promise.all([page.waitForEvent('download'), click()]);
  return readFileSync((await file.path())!, 'utf8');
}

describe('the run page', () => {
  it('shows a goose run live: its tool call as a card with output, the completion banner, tokens and its artifact', async () => {
    const marker = `ui-${Date.now()}`;
    b.stack.model.script = {
      command: `echo ${marker} && seq 1 400 && printf 'report for ${marker}' > "$FLIGHT_CONTROL_ARTIFACTS_DIR/report.txt"`,
      finalText: `The command printed ${marker}.`,
      // Slow enough to open the page while the run is still going.
      delayMs: 3_000,
    };
    const created = await b.stack.createGooseRun(marker);
    watched = { id: created.id, marker };
    const page = await signedIn();
    const documents: string[] = [];
    page.on('request', (r) => r.resourceType() === 'document' && documents.push(r.url()));
    await b.open(page, `/runs/${created.id}`);
    await page.getByRole('heading', { level: 1, name: `e2e ${marker}` }).waitFor();

    // The stream is live before the run has ended, and the lines come in without a reload.
    await expect.poll(() => streamState(page).textContent(), { timeout: 20_000 }).toBe('Live');
    const log = page.getByRole('region', { name: 'Log entries' });
    const card = log.getByRole('button', { name: /shell/ });
    await card.waitFor({ timeout: 30_000 });
    await log.getByRole('button', { name: /shell.*ok/ }).waitFor({ timeout: 30_000 });
    await card.click();
    await expect(card.getAttribute('aria-expanded')).resolves.toBe('true');
    await log.getByText(marker, { exact: true }).waitFor();
    await log.getByText('Agent finished').waitFor({ timeout: 30_000 });
    await log.getByText(/300 tokens \(240 in, 60 out\)/).waitFor();
    await page.getByText(`The command printed ${marker}.`).first().waitFor();
    await expect.poll(() => streamState(page).textContent(), { timeout: 10_000 }).toBe('Complete');
    expect(documents).toHaveLength(1);

    // The run's own record, updated live: the timeline's outcome, tokens.
    await page.getByRole('list', { name: 'Timeline' }).getByText('Completed', { exact: true }).waitFor({ timeout: 10_000 });
    await page.getByText('240 in, 60 out').first().waitFor();
    await b.expectAccessible(page, 'run page, completed, tool card open');

    const artifact = await downloaded(page, () => page.getByRole('button', { name: 'Download report.txt' }).click());
    expect(artifact).toBe(`report for ${marker}`);
    const logText = await downloaded(page, () => page.getByRole('button', { name: 'Download log' }).click());
    expect(logText).toContain(`[stdout] ${marker}`);
    expect(b.pageErrors).toEqual([]);
  });

  it('lands on a linked line, filters by text and kind, and pauses follow when you scroll up', async () => {
    expect(watched).not.toBeNull();
    const { id, marker } = watched!;
    const page = await signedIn({ width: 375, height: 800 });
    await b.open(page, `/runs/${id}#L5`);
    const line5 = page.getByRole('link', { name: 'Line 5', exact: true });
    await line5.waitFor();
    await expect(line5.getAttribute('aria-current')).resolves.toBe('location');
    await expect(line5.isVisible()).resolves.toBe(true);
    await b.expectAccessible(page, 'run page at 375 px');

    // Raw: one row per line; the seq output makes the log taller than its box.
    await page.getByRole('button', { name: 'Raw' }).click();
    const raw = page.getByRole('region', { name: 'Log lines' });
    await raw.getByText(marker, { exact: true }).first().waitFor();
    await page.getByLabel('Search the log').fill('report for');
    await page.getByText(/\b1 of \d+ lines match/).waitFor();
    await page.getByLabel('Search the log').fill('');
    await page.getByLabel('Kind of line').selectOption({ label: 'Errors' });
    await raw.getByText('No lines match.').waitFor();
    await page.getByLabel('Kind of line').selectOption({ label: 'All kinds' });

    // At the end, follow is on; scrolling up pauses it and offers the way back.
    const jump = page.getByRole('button', { name: /Jump to latest/ });
    if (await jump.isVisible()) await jump.click();
    await raw.hover();
    await page.mouse.wheel(0, -3_000);
    await jump.waitFor();
    await expect(page.getByRole('button', { name: 'Follow' }).getAttribute('aria-pressed')).resolves.toBe('false');
    await jump.click();
    await jump.waitFor({ state: 'hidden' });
    const last = await raw.getByRole('link').last().textContent();
    const lines = (await b.stack.runLogs(id)).length;
    expect(Number(last)).toBe(lines);
    expect(b.pageErrors).toEqual([]);
  });

  it('cancels a waiting run from its page and re-runs it as a new run', async () => {
    // No worker has this label, so the run waits in the queue until it is cancelled.
    const waiting = await b.stack.api<{ id: string }>('POST', '/runs', { name: 'Waits forever', task_prompt: 'never picked up', required_labels: { pool: 'nowhere' } });
    const page = await signedIn({ colorScheme: 'dark' });
    await b.open(page, `/runs/${waiting.id}`);
    await page.getByRole('heading', { level: 1, name: 'Waits forever' }).waitFor();
    await expect.poll(() => streamState(page).textContent(), { timeout: 10_000 }).toBe('Live');
    await b.expectAccessible(page, 'queued run page, dark');
    // A browser whose WebSockets do not get through follows the log over Server-Sent Events.
    const sseOnly = await b.newPage();
    await sseOnly.addInitScript(() => Reflect.deleteProperty(window, 'WebSocket'));
    await b.signIn(sseOnly);
    await b.open(sseOnly, `/runs/${waiting.id}`);
    await expect.poll(() => streamState(sseOnly).textContent(), { timeout: 10_000 }).toBe('Live');

    await page.getByRole('button', { name: 'Cancel run' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this run?' });
    await dialog.getByRole('button', { name: 'Stop the run' }).click();
    const timeline = page.getByRole('list', { name: 'Timeline' });
    await dialog.waitFor({ state: 'hidden' });
    await timeline.getByText('Cancelled', { exact: true }).waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Cancel run' }).waitFor({ state: 'detached' });
    await expect(timeline.getByText('skipped', { exact: true }).count()).resolves.toBe(2);
    await expect.poll(() => streamState(page).textContent(), { timeout: 10_000 }).toBe('Complete');
    await expect.poll(() => streamState(sseOnly).textContent(), { timeout: 10_000 }).toBe('Complete');

    await page.getByRole('button', { name: 'Re-run' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/runs/') && !url.pathname.endsWith(waiting.id));
    const rerunId = new URL(page.url()).pathname.split('/').pop()!;
    await page.getByRole('heading', { level: 1, name: 'Waits forever' }).waitFor();
    await page.getByRole('link', { name: waiting.id }).waitFor();
    const rerun = await b.stack.api<{ rerun_of: string; status: string }>('GET', `/runs/${rerunId}`);
    expect(rerun).toMatchObject({ rerun_of: waiting.id, status: 'queued' });
    await b.stack.api('POST', `/runs/${rerunId}/cancel`);
    await page.getByRole('list', { name: 'Timeline' }).getByText('Cancelled', { exact: true }).waitFor({ timeout: 15_000 });
    expect(b.pageErrors).toEqual([]);
  });
});
