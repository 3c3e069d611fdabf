// The run page in a real browser: a goose run's log arrives live while you watch, its tool call is a
// card that opens onto its output, the completion banner and the usage show; the run's artifact and
// log download; a run is cancelled and re-run from its page; #L links land on their line; follow
// pauses when you scroll up; search steps from hit to hit; a socket that drops mid-run loses no line
// and repeats none. Against the real control plane, a real worker and goose.
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

  it('steps through search hits with the buttons and Enter, marking the current one and bringing it into view', async () => {
    expect(watched).not.toBeNull();
    const page = await signedIn({ width: 1024, height: 700 });
    await b.open(page, `/runs/${watched!.id}`);
    await page.getByRole('button', { name: 'Raw' }).click();
    const raw = page.getByRole('region', { name: 'Log lines' });
    await raw.getByRole('link').first().waitFor();
    // seq 1 400 printed 99, 199, 299 and 399, among other lines with 99 in them.
    const search = page.getByLabel('Search the log');
    await search.fill('99');
    const nav = page.getByRole('group', { name: 'Search hits' });
    const count = nav.getByText(/^\d+ hits$/);
    await count.waitFor();
    const hits = Number((await count.textContent())!.split(' ')[0]);
    expect(hits).toBeGreaterThanOrEqual(4);
    const current = raw.locator('[aria-current="true"]');
    /** The marked row's text, once it is the only one marked and lies inside the log's box. */
    const shown = async () => {
      await expect.poll(() => current.count()).toBe(1);
      const inView = await current.evaluate((row) => {
        const box = row.getBoundingClientRect();
        const frame = row.closest('[role="region"]')!.getBoundingClientRect();
        return box.top >= frame.top && box.bottom <= frame.bottom;
      });
      expect(inView).toBe(true);
      return (await current.textContent())!;
    };

    await search.press('Enter');
    await nav.getByText(`1 of ${hits}`, { exact: true }).waitFor();
    const first = await shown();
    expect(first).toContain('99');
    await search.press('Enter');
    await nav.getByText(`2 of ${hits}`, { exact: true }).waitFor();
    const second = await shown();
    expect(second).toContain('99');
    expect(second).not.toBe(first);
    await search.press('Shift+Enter');
    await nav.getByText(`1 of ${hits}`, { exact: true }).waitFor();
    expect(await shown()).toBe(first);
    // Round the ends: before the first hit is the last.
    await page.getByRole('button', { name: 'Previous hit' }).click();
    await nav.getByText(`${hits} of ${hits}`, { exact: true }).waitFor();
    expect(await shown()).toContain('99');
    await page.getByRole('button', { name: 'Next hit' }).click();
    await nav.getByText(`1 of ${hits}`, { exact: true }).waitFor();
    expect(await shown()).toBe(first);
    // Following stopped at the first jump, so the hit stays where it was put.
    await expect(page.getByRole('button', { name: 'Follow' }).getAttribute('aria-pressed')).resolves.toBe('false');
    // Enter straight after typing searches for what was typed and goes to its first hit.
    await search.fill('399');
    await search.press('Enter');
    await nav.getByText(/^1 of \d+$/).waitFor();
    expect(await shown()).toContain('399');
    await b.expectAccessible(page, 'run page, stepping through search hits');
    expect(b.pageErrors).toEqual([]);
  });

  it('shows every line once and in order when its socket drops mid-run and the lines sent meanwhile are lost', async () => {
    const marker = `drop-${Date.now()}`;
    b.stack.model.script = { command: `for i in $(seq 1 40); do echo ${marker}-$i; sleep 0.05; done`, finalText: `Printed ${marker}.`, delayMs: 1_500 };
    const created = await b.stack.createGooseRun(marker);
    const page = await b.newPage();
    // The page's sockets, and a switch that loses what they receive, as a dead connection does; the
    // clipboard is kept in the page, for Copy to hand over every line the viewer holds.
    await page.addInitScript(() => {
      const w = window as unknown as { sockets: WebSocket[]; dropping: boolean; copied: string };
      const Native = WebSocket;
      w.sockets = [];
      w.dropping = false;
      class Dropping extends Native {
        constructor(url: string | URL, protocols?: string | string[]) {
          super(url, protocols);
          w.sockets.push(this);
        }
        override set onmessage(handler: ((e: MessageEvent) => void) | null) {
          super.onmessage = handler && ((e: MessageEvent) => void (w.dropping || handler(e)));
        }
      }
      window.WebSocket = Dropping;
      Object.defineProperty(navigator, 'clipboard', { configurable: true, value: { writeText: async (text: string) => void (w.copied = text) } });
    });
    await b.signIn(page);
    await b.open(page, `/runs/${created.id}`);
    await expect.poll(() => streamState(page).textContent(), { timeout: 20_000 }).toBe('Live');
    await page.getByRole('region', { name: 'Log entries' }).getByRole('link').first().waitFor({ timeout: 20_000 });

    // The connection goes dead: lines the run writes now reach the page and are lost.
    await page.evaluate(() => ((window as unknown as { dropping: boolean }).dropping = true));
    const before = (await b.stack.runLogs(created.id)).length;
    await b.stack.waitFor('lines written while the socket is dead', async () => (await b.stack.runLogs(created.id)).length >= before + 5, 20_000);
    await page.evaluate(() => {
      const w = window as unknown as { sockets: WebSocket[]; dropping: boolean };
      w.sockets.at(-1)!.close();
      w.dropping = false;
    });
    await expect.poll(() => streamState(page).textContent(), { timeout: 10_000 }).toBe('Reconnecting…');
    await expect.poll(() => streamState(page).textContent(), { timeout: 60_000 }).toBe('Complete');
    expect(await page.evaluate(() => (window as unknown as { sockets: WebSocket[] }).sockets.length)).toBeGreaterThanOrEqual(2);

    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByText(/^Copied \d+ lines$/).first().waitFor();
    const copied = await page.evaluate(() => (window as unknown as { copied: string }).copied);
    const stored = await b.stack.runLogs(created.id);
    expect(copied).toBe(stored.map((l) => `[${l.stream}] ${l.line}`).join('\n'));
    expect(copied).toContain(`${marker}-40`);
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
