// The dashboard in a real browser: Debian's chromium driven by playwright-core against the end-to-end
// stack (the control plane on workerd serving ui/dist, real node-workers, goose, the scripted model).
// Pages are found by role and accessible name, as people using assistive tech find them.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { ADMIN_KEY, startStack, type Stack, type StackOptions } from '../../node-worker/test/fixtures/stack.ts';

export const CHROMIUM = process.env.FC_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface BrowserStack {
  stack: Stack;
  browser: Browser;
  /** A fresh browser context (its own storage) and page; errors thrown in the page are collected. */
  newPage(options?: { width?: number; height?: number; colorScheme?: 'light' | 'dark' }): Promise<Page>;
  /** Signs in through the form with `key` (default: the admin key) in `workspace`, and waits for the overview. */
  signIn(page: Page, key?: string, workspace?: string): Promise<void>;
  /** Opens a path of the dashboard in a signed-in page and waits for its h1. */
  open(page: Page, path: string): Promise<void>;
  /** axe-core on the page as it is now: no serious or critical violation. */
  expectAccessible(page: Page, where: string): Promise<void>;
  /** Errors the pages threw (uncaught exceptions), for a test to assert there were none. */
  pageErrors: string[];
  stop(): Promise<void>;
}

export async function startBrowserStack(options: StackOptions = {}): Promise<BrowserStack> {
  if (!existsSync(CHROMIUM)) throw new Error(`chromium should be at ${CHROMIUM} (make test installs Debian's chromium; or apt-get install -y chromium)`);
  if (!existsSync('ui/dist/index.html')) throw new Error('ui/dist should hold the built dashboard (scripts/build-ui.sh)');
  const stack = await startStack(options);
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  } catch (err) {
    await stack.stop();
    throw err;
  }
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  return {
    stack,
    browser,
    pageErrors,
    async newPage({ width = 1280, height = 900, colorScheme = 'light' } = {}) {
      const context = await browser.newContext({ baseURL: stack.base, viewport: { width, height }, colorScheme, acceptDownloads: true });
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (err) => pageErrors.push(`${page.url()}: ${err.message}`));
      page.setDefaultTimeout(15_000);
      return page;
    },
    async signIn(page, key = ADMIN_KEY, workspace = 'default') {
      await page.goto('/');
      await page.getByLabel('API key').fill(key);
      await page.getByLabel('Workspace', { exact: true }).fill(workspace);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    },
    async open(page, path) {
      await page.goto(path);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
    },
    async expectAccessible(page, where) {
      await page.addScriptTag({ content: AXE_SOURCE });
      const violations = await page.evaluate(async () => {
        const result = await (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }> } }).axe.run(document, {
          resultTypes: ['violations'],
        });
        return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
      });
      const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(serious, `${where}: ${JSON.stringify(serious, null, 2)}`).toEqual([]);
    },
    async stop() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await stack.stop();
    },
  };
}

export { ADMIN_KEY };
