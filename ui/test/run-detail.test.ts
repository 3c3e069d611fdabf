// The run page in a real browser: a goose run's log arrives live while you watch, its tool call is a
// card that opens onto its output, the completion banner and the usage show; the run's artifact and
// log download; a run is cancelled and re-run from its page; #L links land on their line; follow
// pauses when you scroll up; search steps from hit to hit; a socket that drops mid-run loses no line
// and repeats none; a log longer than the viewer holds says how many earlier lines it let go, reads
// them back on request, and reads back to a linked line no longer held. Against the real control
// plane, a real worker and goose.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { ADMIN_KEY, startBrowserStack, type BrowserStack } from './harness.ts';

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

/** Whether the element lies wholly inside the log's scrolling box. */
function insideLogBox(element: Locator): Promise<boolean> {
  return element.evaluate((el) => {
    const box = el.getBoundingClientRect();
    const frame = el.closest('[role="region"]')!.getBoundingClientRect();
    return box.top >= frame.top && box.bottom <= frame.bottom;
  });
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
      delayMs: 5_000,
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
    await page.getByText(/lines match/).waitFor({ state: 'detached' });
    await page.getByLabel('Kind of line').selectOption({ label: 'Errors' });
    await raw.getByText('No lines match.').waitFor();
    await page.getByLabel('Kind of line').selectOption({ label: 'All kinds' });

    // At the end, follow is on; scrolling up pauses it and offers the way back.
    const jump = page.getByRole('button', { name: /Jump to latest/ });
    const fromEnd = () => raw.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
    if (await jump.isVisible()) await jump.click();
    await expect.poll(fromEnd).toBeLessThanOrEqual(4);
    await raw.hover();
    await page.mouse.wheel(0, -3_000);
    await jump.waitFor();
    await expect(page.getByRole('button', { name: 'Follow' }).getAttribute('aria-pressed')).resolves.toBe('false');
    // The wheel's scroll lands (it may glide) before the way back is taken.
    const settled = async () => {
      const before = await fromEnd();
      await page.waitForTimeout(200);
      return before > 1_000 && (await fromEnd()) === before;
    };
    await expect.poll(settled).toBe(true);
    // Shown over the log, where a pointer reaches it (a trial click checks that nothing covers it).
    await jump.click({ trial: true });
    // By keyboard: the way back comes right after the toolbar, before the log's line links.
    await page.getByRole('button', { name: 'Download log' }).focus();
    await page.keyboard.press('Tab');
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Jump to latest ↓');
    await page.keyboard.press('Enter');
    await jump.waitFor({ state: 'hidden' });
    const lines = (await b.stack.runLogs(id)).length;
    await expect.poll(async () => Number(await raw.getByRole('link').last().textContent())).toBe(lines);
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
      await expect.poll(() => insideLogBox(current)).toBe(true);
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
    await expect.poll(() => current.textContent()).toContain('399');
    await nav.getByText(/^1 of \d+$/).waitFor();
    expect(await shown()).toContain('399');
    await b.expectAccessible(page, 'run page, stepping through search hits');
    expect(b.pageErrors).toEqual([]);
  });

  it('shows every line once and in order when its socket drops mid-run and the lines sent meanwhile are lost', async () => {
    const marker = `drop-${Date.now()}`;
    b.stack.model.script = { command: `for i in $(seq 1 40); do echo ${marker}-$i; sleep 0.2; done`, finalText: `Printed ${marker}.`, delayMs: 1_500 };
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

    await page.getByRole('button', { name: 'Copy', exact: true }).click();
    await page.getByText(/^Copied \d+ lines$/).first().waitFor();
    const copied = await page.evaluate(() => (window as unknown as { copied: string }).copied);
    const stored = await b.stack.runLogs(created.id);
    expect(copied).toBe(stored.map((l) => `[${l.stream}] ${l.line}`).join('\n'));
    expect(copied).toContain(`${marker}-40`);
    expect(b.pageErrors).toEqual([]);
  });

  it('cancels a waiting run from its page and re-runs it as a new run', async () => {
    // No worker has this label, so the run waits in the queue until it is cancelled.
    const waiting = await b.stack.api<{ id: string }>('POST', '/runs', { name: 'Waits forever', task_prompt: 'never picked up', required_labels: { pool: 'nowhere' }, retry: { max_attempts: 5 } });
    const page = await signedIn({ colorScheme: 'dark' });
    await b.open(page, `/runs/${waiting.id}`);
    await page.getByRole('heading', { level: 1, name: 'Waits forever' }).waitFor();
    await expect.poll(() => streamState(page).textContent(), { timeout: 10_000 }).toBe('Live');
    await b.expectAccessible(page, 'queued run page, dark');
    // No attempt has started, so none is counted; its retry policy allows five.
    await page.getByText('none yet (up to 5)', { exact: true }).waitFor();
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
    await page.getByText('none started (up to 5)', { exact: true }).waitFor();
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

/** More lines than the viewer holds (50,000 of them, let go of past 55,000). */
const LONG_LOG = 56_000;
/** Held once the whole log has been read: the newest 50,000. */
const LONG_NOT_LOADED = LONG_LOG - 50_000;
/** "Load earlier lines" reads this many at a time. */
const EARLIER_PAGE = 5_000;

/** The text of line `n` of the long log; `step-000042` is in line 42 only. */
const stepText = (n: number) => `step-${String(n).padStart(6, '0')} compiling the long build`;

/**
 * A completed run with `count` lines, taken through the worker protocol by a stand-in worker that
 * writes them in batches of a thousand (the most one batch may carry). The run needs a label only the
 * stand-in has, so the goose worker leaves it alone.
 */
async function longRun(count: number): Promise<string> {
  const { stack } = b;
  const labels = { pool: 'long-log' };
  const worker = await stack.api<{ id: string }>('POST', '/workers/register', { name: 'long-log-box', labels, concurrency: 1 });
  const run = await stack.api<{ id: string }>('POST', '/runs', { name: 'Build everything', task_prompt: 'Build every module and report what failed.', required_labels: labels });
  const { runs } = await stack.api<{ runs: { run_id: string; lease_token: string }[] }>('POST', '/workers/claim', { worker_id: worker.id, max_runs: 1, wait_seconds: 5 });
  const lease = runs.find((r) => r.run_id === run.id);
  if (!lease) throw new Error(`the stand-in worker did not get run ${run.id}`);
  const asWorker = async <T>(path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${stack.base}/api/v1/workers/runs/${run.id}/${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', 'x-lease-token': lease.lease_token },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`${path} → ${res.status}: ${await res.text()}`);
    return (await res.json()) as T;
  };
  await asWorker('start');
  let last = 0;
  for (let from = 1; from <= count; from += 1_000) {
    const lines = Array.from({ length: Math.min(1_000, count - from + 1) }, (_, i) => ({ stream: 'stdout', line: stepText(from + i), sequence: from + i }));
    last = (await asWorker<{ last_sequence: number }>('logs', { lines })).last_sequence;
  }
  // The hub numbers the lines itself: with no note of its own in between, they keep the worker's numbers.
  if (last !== count) throw new Error(`the log ends at line ${last}, not ${count}`);
  await asWorker('complete', { status: 'completed', result: 'Built every module.', exit_code: 0 });
  return run.id;
}

describe('a log longer than the viewer holds', () => {
  let longRunId: string;

  beforeAll(async () => {
    longRunId = await longRun(LONG_LOG);
  });

  /** A signed-in page on the long run (at `hash`), once its whole stored log has been read. */
  async function openLongRun(hash = ''): Promise<Page> {
    const page = await signedIn({ width: 1024, height: 800 });
    await b.open(page, `/runs/${longRunId}${hash}`);
    await page.getByRole('heading', { level: 1, name: 'Build everything' }).waitFor();
    await expect.poll(() => streamState(page).textContent(), { timeout: 30_000 }).toBe('Complete');
    return page;
  }

  /** The row at the top that stands for the lines not held, saying how many. */
  const notLoaded = (page: Page, count: number) => page.getByText(`${count.toLocaleString('en-US')} earlier lines not loaded (the download has the whole log).`, { exact: true });

  /** Waits for `line`'s link to be marked as the linked line and to lie inside the log's box. */
  async function markedInView(page: Page, line: number): Promise<void> {
    const link = page.getByRole('link', { name: `Line ${line}`, exact: true });
    await link.waitFor();
    await expect.poll(() => link.getAttribute('aria-current')).toBe('location');
    await expect.poll(() => insideLogBox(link)).toBe(true);
  }

  it('says how many earlier lines are not loaded, and loads them back a page at a time', async () => {
    const page = await openLongRun();
    const log = page.getByRole('region', { name: 'Log entries' });
    await notLoaded(page, LONG_NOT_LOADED).waitFor();
    await page.getByText(`the newest 50,000 of ${LONG_LOG.toLocaleString('en-US')} lines loaded`).waitFor();
    // The newest line is there; an early one is not, and the search says where to look for it.
    await log.getByText(stepText(LONG_LOG), { exact: true }).waitFor();
    const search = page.getByLabel('Search the log');
    const hits = page.getByRole('group', { name: 'Search hits' });
    await search.fill('step-000042');
    await hits.getByText('0 hits', { exact: true }).waitFor();
    await page.getByText(`(in the loaded lines: ${LONG_NOT_LOADED.toLocaleString('en-US')} earlier lines are not loaded)`).waitFor();
    await search.fill('');
    await hits.waitFor({ state: 'detached' });

    // A page back: the count drops by a page, the line that was the oldest stays in view with the
    // lines just read above it, and follow is off so they are kept.
    const load = page.getByRole('button', { name: 'Load earlier lines' });
    await load.click();
    await notLoaded(page, LONG_NOT_LOADED - EARLIER_PAGE).waitFor();
    const oldest = LONG_NOT_LOADED + 1;
    await expect.poll(() => log.getByRole('link', { name: `Line ${oldest}`, exact: true }).isVisible()).toBe(true);
    await log.getByText(stepText(oldest - 1), { exact: true }).waitFor();
    await expect(page.getByRole('button', { name: 'Follow' }).getAttribute('aria-pressed')).resolves.toBe('false');

    // The rest: the top row goes, and an early line is found by the search and the log's first line
    // is at its top.
    await load.click();
    await load.waitFor({ state: 'detached' });
    await expect(page.getByText(/earlier lines? not loaded/).count()).resolves.toBe(0);
    await page.getByText(new RegExp(`^Complete · ${LONG_LOG.toLocaleString('en-US')} lines$`)).waitFor();
    await search.fill('step-000042');
    await search.press('Enter');
    await hits.getByText('1 of 1', { exact: true }).waitFor();
    await log.getByText(stepText(42), { exact: true }).waitFor();
    await search.fill('');
    await log.press('Home');
    await expect.poll(() => log.getByText(stepText(1), { exact: true }).isVisible()).toBe(true);
    await b.expectAccessible(page, 'run page, a long log loaded back to its first line');
    expect(b.pageErrors).toEqual([]);
  });

  it('opens at a #L link to an early line, and reads back to a linked line no longer held', async () => {
    // Opened at the link, the line is brought into view and marked, and stays so while the lines
    // after it (more than the viewer holds while following) arrive.
    const linked = await openLongRun('#L2000');
    await markedInView(linked, 2000);
    await linked.getByRole('region', { name: 'Log entries' }).getByText(stepText(2000), { exact: true }).waitFor();
    await expect(linked.getByRole('button', { name: 'Follow' }).getAttribute('aria-pressed')).resolves.toBe('false');
    await linked.close();

    // A page that has let the early lines go: a link to one of them (typed into the address bar)
    // reads back to it, with a hundred lines before it, then shows and marks it.
    const page = await openLongRun();
    await notLoaded(page, LONG_NOT_LOADED).waitFor();
    const target = 3_000;
    const readBack = page.waitForRequest((r) => {
      const url = new URL(r.url());
      return url.pathname.endsWith(`/runs/${longRunId}/logs`) && url.searchParams.get('after') === String(target - 101);
    });
    await page.goto(`/runs/${longRunId}#L${target}`);
    await readBack;
    await markedInView(page, target);
    await page.getByRole('region', { name: 'Log entries' }).getByText(stepText(target), { exact: true }).waitFor();
    await notLoaded(page, target - 101).waitFor();
    expect(b.pageErrors).toEqual([]);
  });
});
