// Dashboard budgets: the entry JavaScript's gzipped size (index.html's module script and what it
// imports statically; the lazy pages are left out) against 50 kB, and the first contentful paint of a
// run page on localhost against 1 s, from chromium's paint entries over cold loads.
// Usage: node bench/ui.ts [loads=7]   (after scripts/build-ui.sh; needs Debian's chromium)
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { api, machine, percentile, startControlPlane } from './harness.ts';

const ROOT = resolve(import.meta.dirname, '..');
const DIST = join(ROOT, 'ui', 'dist');
const CHROMIUM = process.env.FC_CHROMIUM ?? '/usr/bin/chromium';
const ENTRY_BUDGET_BYTES = 50 * 1000;
const FCP_BUDGET_MS = 1_000;
const LOADS = Number(process.argv[2] ?? 7);
const LOG_LINES = 2_000;

if (!existsSync(join(DIST, 'index.html'))) throw new Error('build the dashboard first: scripts/build-ui.sh');
if (!existsSync(CHROMIUM)) throw new Error(`chromium should be at ${CHROMIUM} (apt-get install -y chromium)`);

/** The entry's files: the module script(s) of index.html and, transitively, their static imports. */
function entryFiles(): string[] {
  const html = readFileSync(join(DIST, 'index.html'), 'utf8');
  const pending = [...html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g)].map((m) => m[1]!);
  const seen = new Set<string>();
  while (pending.length > 0) {
    const url = pending.pop()!;
    if (seen.has(url)) continue;
    seen.add(url);
    const code = readFileSync(join(DIST, url), 'utf8');
    // `import … from "./x.js"` and `import "./x.js"`, never `import("./x.js")` (a lazy page).
    for (const m of code.matchAll(/\bimport\s*(?:[\w$*{}\s,]*?\bfrom\s*)?["']([^"']+\.js)["']/g)) {
      pending.push(new URL(m[1]!, `http://dist${url}`).pathname);
    }
  }
  return [...seen].sort();
}

function entrySize(): { files: { file: string; raw: number; gzip: number }[]; gzip: number; raw: number; css: number } {
  const files = entryFiles().map((file) => {
    const bytes = readFileSync(join(DIST, file));
    return { file, raw: bytes.length, gzip: gzipSync(bytes).length };
  });
  const html = readFileSync(join(DIST, 'index.html'), 'utf8');
  const css = [...html.matchAll(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g)].reduce((sum, m) => sum + gzipSync(readFileSync(join(DIST, m[1]!))).length, 0);
  return { files, gzip: files.reduce((s, f) => s + f.gzip, 0), raw: files.reduce((s, f) => s + f.raw, 0), css };
}

/** A finished run with a log, as a worker leaves it: claimed, started, LOG_LINES lines, completed. */
async function finishedRun(base: string): Promise<string> {
  const worker = await api(base, '/workers/register', { body: { name: 'bench-ui', labels: {}, concurrency: 1 } });
  const run = await api(base, '/runs', { body: { name: 'Summarise the changelog', task_prompt: 'Summarise what changed since the last release.' } });
  const { runs } = await api(base, '/workers/claim', { body: { worker_id: worker.id, max_runs: 1, wait_seconds: 5 } });
  const headers = { 'x-lease-token': runs[0].lease_token as string };
  await api(base, `/workers/runs/${run.id}/start`, { method: 'POST', headers });
  for (let from = 0; from < LOG_LINES; from += 500) {
    const lines = Array.from({ length: 500 }, (_, i) => ({ stream: 'stdout', line: `line ${from + i + 1}: reading CHANGELOG.md and the merged pull requests`, sequence: from + i + 1 }));
    await api(base, `/workers/runs/${run.id}/logs`, { body: { lines }, headers });
  }
  await api(base, `/workers/runs/${run.id}/complete`, {
    body: { status: 'completed', result: 'Three changes since v1.4.', exit_code: 0, usage: { input_tokens: 1200, output_tokens: 300, total_tokens: 1500, cost_usd: 0.012 } },
    headers,
  });
  return run.id as string;
}

const kB = (n: number) => `${(n / 1000).toFixed(1)} kB`;

const size = entrySize();
console.log(machine());
console.log(`\nEntry JavaScript (index.html's module script and its static imports), gzip level 6:`);
for (const f of size.files) console.log(`  ${f.file}  ${kB(f.raw)} raw, ${kB(f.gzip)} gzipped`);
console.log(`  total ${kB(size.raw)} raw, ${kB(size.gzip)} gzipped (budget ${kB(ENTRY_BUDGET_BYTES)}): ${size.gzip <= ENTRY_BUDGET_BYTES ? 'within' : 'OVER'}`);
console.log(`  (entry stylesheet ${kB(size.css)} gzipped, not counted)`);

const cp = await startControlPlane();
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
try {
  const runId = await finishedRun(cp.base);
  const fcp: number[] = [];
  const ready: number[] = [];
  for (let i = 0; i < LOADS; i++) {
    // A fresh context each time: nothing cached, signed in as a remembered key would be.
    const context = await browser.newContext({ baseURL: cp.base, viewport: { width: 1280, height: 800 } });
    await context.addInitScript(() => {
      sessionStorage.setItem('fc.key', 'admin');
      localStorage.setItem('fc.workspace', 'default');
    });
    const page = await context.newPage();
    await page.goto(`/runs/${runId}`);
    // The page is there when its h1 is (before that the frame shows "Loading your workspace…").
    const shown = await page.waitForFunction(() => (document.querySelector('main h1') ? performance.now() : null), undefined, { polling: 'raf', timeout: 15_000 });
    const timings = { ready: (await shown.jsonValue()) as number, fcp: await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN) };
    fcp.push(timings.fcp);
    ready.push(timings.ready);
    await context.close();
  }
  fcp.sort((a, b) => a - b);
  ready.sort((a, b) => a - b);
  const fmt = (xs: number[]) => `p50 ${percentile(xs, 50).toFixed(0)} ms, best ${xs[0]!.toFixed(0)} ms, worst ${xs[xs.length - 1]!.toFixed(0)} ms`;
  console.log(`\nRun page (/runs/{id}, ${LOG_LINES}-line log, finished), ${LOADS} cold loads on ${cp.base}:`);
  console.log(`  first contentful paint: ${fmt(fcp)} (budget ${FCP_BUDGET_MS} ms): ${percentile(fcp, 50) <= FCP_BUDGET_MS ? 'within' : 'OVER'}`);
  console.log(`  the page's h1 on screen: ${fmt(ready)}`);
} finally {
  await browser.close();
  await cp.stop();
}
