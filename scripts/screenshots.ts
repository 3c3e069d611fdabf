// `make screenshots`: the dashboard's main pages as a new user sees them, written to docs/screenshots/
// for the README. It starts the browser-test stack (the control plane on workerd serving ui/dist, a
// real worker running goose against the scripted model), fills a workspace through the API, and
// photographs each page in the light theme at 1280×800.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../node-worker/test/fixtures/stack.ts';
import { startBrowserStack } from '../ui/test/harness.ts';
import { seedWorkspace } from '../ui/test/seed.ts';

const OUT = join(ROOT, 'docs', 'screenshots');

const b = await startBrowserStack();
try {
  const seeded = await seedWorkspace(b.stack, { goose: true });
  const shots: [string, string][] = [
    ['overview', '/'],
    ['runs', '/runs'],
    ['run-detail', `/runs/${seeded.doneRunId}`],
    ['jobs', '/jobs'],
    ['job-edit', `/jobs/${seeded.jobId}/edit`],
    ['workers', '/workers'],
    ['schedules', '/schedules'],
    ['credentials', '/credentials'],
    ['skills', '/skills'],
  ];
  mkdirSync(OUT, { recursive: true });
  const page = await b.newPage({ width: 1280, height: 800, colorScheme: 'light' });
  await b.signIn(page);
  for (const [name, path] of shots) {
    await b.open(page, path);
    // Until the page has its data: nothing loading, no request in flight, the chart drawn.
    await page.getByRole('main').getByText(/^Loading\b/).first().waitFor({ state: 'detached', timeout: 15_000 });
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(400);
    const file = join(OUT, `${name}.png`);
    await page.screenshot({ path: file });
    console.log(`${path} → ${file.slice(ROOT.length + 1)}`);
  }
  if (b.pageErrors.length > 0) throw new Error(`the pages threw:\n${b.pageErrors.join('\n')}`);
} finally {
  await b.stop();
}
