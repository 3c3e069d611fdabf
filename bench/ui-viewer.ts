// The log viewer under a fast log: Debian's chromium shows the viewer (built alone with Vite) while a
// synthetic agent appends 5,000 lines a second for 20 s, first in the structured view, then in the raw
// one. Prints main-thread long tasks (PerformanceObserver 'longtask'), the lines actually appended,
// frames drawn, DOM size and the JS heap after a forced GC every 5 s, with its growth per line over the
// last 10 s: near zero once the viewer holds as many lines as it keeps. FC_TRACE=1 and FC_PROFILE=1
// (below) look inside the main thread's time.
// Usage: node bench/ui-viewer.ts [seconds=20] [lines-per-second=5000] [lines-already-there=0]
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { chromium, type CDPSession, type Page } from 'playwright-core';
import { build } from 'vite';

const seconds = Number(process.argv[2] ?? 20);
const rate = Number(process.argv[3] ?? 5_000);
const prefill = Number(process.argv[4] ?? 0);
const ROOT = resolve(import.meta.dirname, '..');
const CHROMIUM = process.env.FC_CHROMIUM ?? '/usr/bin/chromium';
/** FC_PROFILE=1: an unminified build, and the functions that took the most main-thread time in each view. */
const PROFILE = process.env.FC_PROFILE === '1';
/**
 * FC_TRACE=1: a Chromium trace of each view, and for every main-thread task over 30 ms its wall time,
 * the time the thread actually ran (the rest it waited for a core), and what filled it.
 */
const TRACE = process.env.FC_TRACE === '1';
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

const out = mkdtempSync(join(tmpdir(), 'fc-viewer-bench-'));
await build({
  configFile: false,
  root: join(ROOT, 'bench', 'ui-viewer'),
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: out, emptyOutDir: true, target: 'es2022', reportCompressedSize: false, minify: !PROFILE },
});
const server = createServer((req, res) => {
  const path = join(out, req.url === '/' ? 'index.html' : (req.url ?? '').split('?')[0]!);
  try {
    const body = readFileSync(path);
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--enable-precise-memory-info'] });

interface Phase {
  view: string;
  appended: number;
  longTasks: number[];
  /** When each long task began, in ms from the phase's start. */
  longTaskAt: number[];
  frames: number;
  heapMiB: number[];
  /** The lines appended when each heap sample was taken. */
  heapAt: number[];
  domNodes: number[];
}

async function phase(page: Page, view: 'Structured' | 'Raw'): Promise<Phase> {
  const cdp = await page.context().newCDPSession(page);
  await page.getByRole('button', { name: view }).click();
  if (process.env.FC_NO_FOLLOW === '1' && (await page.getByRole('button', { name: 'Follow' }).getAttribute('aria-pressed')) === 'true') await page.getByRole('button', { name: 'Follow' }).click();
  await page.evaluate(() => {
    const w = window as unknown as { longTasks: number[]; longTaskAt: number[]; since: number; frames: number; counting?: boolean };
    w.longTasks = [];
    w.longTaskAt = [];
    w.since = performance.now();
    w.frames = 0;
    if (w.counting) return;
    w.counting = true;
    new PerformanceObserver((list) =>
      list.getEntries().forEach((e) => {
        w.longTasks.push(e.duration);
        w.longTaskAt.push(e.startTime - w.since);
      }),
    ).observe({ type: 'longtask' });
    const tick = () => {
      w.frames++;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const before = await page.evaluate(() => (window as unknown as { bench: { lines(): number } }).bench.lines());
  const heapMiB: number[] = [];
  const heapAt: number[] = [];
  const domNodes: number[] = [];
  const sample = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    const { usedSize } = await cdp.send('Runtime.getHeapUsage');
    heapMiB.push(usedSize / 2 ** 20);
    heapAt.push((await page.evaluate(() => (window as unknown as { bench: { lines(): number } }).bench.lines())) - before);
    domNodes.push(await page.evaluate(() => document.getElementsByTagName('*').length));
  };
  // The first sample's forced collection comes before the lines do, not among the first draws.
  await sample();
  const traced = TRACE ? await startTrace(cdp) : null;
  // The phase's clock and its count of long tasks start here, after the trace has (its mark is the trace's zero).
  await page.evaluate(() => {
    const w = window as unknown as { longTasks: number[]; longTaskAt: number[]; since: number };
    w.longTasks = [];
    w.longTaskAt = [];
    w.since = performance.now();
    performance.mark('phase');
  });
  const running = page.evaluate(([r, s]) => (window as unknown as { bench: { start(r: number, s: number): Promise<number> } }).bench.start(r!, s!), [rate, seconds]);
  if (PROFILE) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.start');
  }
  const sampler = setInterval(() => void sample(), 5_000);
  const after = await running;
  clearInterval(sampler);
  if (PROFILE) printHottest((await cdp.send('Profiler.stop')).profile);
  if (traced) printLongTasks(await traced());
  await sample();
  const stats = await page.evaluate(() => {
    const w = window as unknown as { longTasks: number[]; longTaskAt: number[]; frames: number };
    return { longTasks: w.longTasks, longTaskAt: w.longTaskAt, frames: w.frames };
  });
  await cdp.detach();
  return { view, appended: after - before, longTasks: stats.longTasks, longTaskAt: stats.longTaskAt, frames: stats.frames, heapMiB, heapAt, domNodes };
}

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}

/** Starts a trace; the function it returns stops it and resolves to its events. */
async function startTrace(cdp: CDPSession): Promise<() => Promise<TraceEvent[]>> {
  const events: TraceEvent[] = [];
  cdp.on('Tracing.dataCollected', (e) => events.push(...(e.value as unknown as TraceEvent[])));
  await cdp.send('Tracing.start', { categories: 'devtools.timeline,disabled-by-default-devtools.timeline,v8,blink.user_timing,fonts', transferMode: 'ReportEvents' });
  return async () => {
    const done = new Promise<void>((r) => cdp.once('Tracing.tracingComplete', () => r()));
    await cdp.send('Tracing.end');
    await done;
    return events;
  };
}

/** What a task's time goes to: script, style and layout, paint, the collector, and font lookups (the browser process's answers to them). */
const PARTS = ['TimerFire', 'FireAnimationFrame', 'EventDispatch', 'FunctionCall', 'UpdateLayoutTree', 'Layout', 'PrePaint', 'Paint', 'Commit', 'MinorGC', 'MajorGC', 'FontCache::GetFontPlatformData', 'FontDataManager::onMatchFamilyStyle', 'WebSandboxSupportLinux::GetWebFontRenderStyleForStrike'];
/** The benchmark's own forced collection (its heap samples), not the page's work. */
const FORCED_GC = 'V8.GCLowMemoryNotification';

/**
 * The main thread's tasks: the longest by wall time and by thread time, leaving out the benchmark's
 * forced collections; each task over 30 ms with what filled it.
 */
function printLongTasks(events: TraceEvent[]): void {
  const main = events.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  if (!main) return;
  const mine = events.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.dur !== undefined).sort((a, b) => a.ts - b.ts);
  const within = (task: TraceEvent) => mine.filter((e) => e !== task && e.ts >= task.ts && e.ts + e.dur! <= task.ts + task.dur!);
  const tasks = mine.filter((e) => e.name === 'RunTask' && !within(e).some((inner) => inner.name === FORCED_GC));
  const ms = (us: number) => (us / 1000).toFixed(1);
  const longest = Math.max(0, ...tasks.map((t) => t.dur!));
  const longestThread = Math.max(0, ...tasks.map((t) => t.tdur ?? 0));
  console.log(`  ${tasks.length} tasks; longest ${ms(longest)} ms wall; longest on the thread ${ms(longestThread)} ms`);
  // Times are from the phase's start (its performance mark), as the long tasks' are.
  const t0 = events.find((e) => e.name === 'phase' && e.pid === main.pid)?.ts ?? tasks[0]?.ts ?? 0;
  for (const task of tasks.filter((t) => t.dur! > 30_000)) {
    const inside = new Map<string, number>();
    for (const e of within(task)) if (PARTS.includes(e.name)) inside.set(e.name, (inside.get(e.name) ?? 0) + e.dur!);
    const parts = [...inside].sort((a, b) => b[1] - a[1]).map(([n, d]) => `${n} ${ms(d)}`).join(', ');
    console.log(`  at ${((task.ts - t0) / 1e6).toFixed(2)} s: ${ms(task.dur!)} ms wall, ${ms(task.tdur ?? 0)} ms on the thread; ${parts}`);
  }
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

function printHottest(profile: { nodes: ProfileNode[]; samples?: number[] }): void {
  const self = new Map<string, number>();
  const total = profile.nodes.reduce((n, node) => n + (node.hitCount ?? 0), 0);
  for (const node of profile.nodes) {
    const f = node.callFrame;
    const name = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
    self.set(name, (self.get(name) ?? 0) + (node.hitCount ?? 0));
  }
  for (const [name, hits] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${((100 * hits) / total).toFixed(1).padStart(5)}%  ${name}`);
}

try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(base);
  await page.getByRole('region', { name: /Log/ }).waitFor();
  if (prefill > 0) await page.evaluate((n) => (window as unknown as { bench: { prefill(n: number): number } }).bench.prefill(n), prefill);
  console.log(`log viewer: ${prefill} lines to begin with, then ${rate} lines/s for ${seconds} s per view; chromium ${browser.version()}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  for (const view of ['Structured', 'Raw'] as const) {
    const r = await phase(page, view);
    const over50 = r.longTasks.filter((d) => d > 50);
    // The first two seconds include the first draws of code not yet optimised.
    const early = r.longTasks.filter((d, i) => d > 50 && r.longTaskAt[i]! < 2_000).length;
    const heap = r.heapMiB.map((h) => h.toFixed(1)).join(' → ');
    const perLine = ((r.heapMiB.at(-1)! - r.heapMiB[0]!) * 2 ** 20) / r.appended;
    // The last 10 s: two samples back (the last one is taken at the end).
    const from = Math.max(0, r.heapMiB.length - 3);
    const lately = ((r.heapMiB.at(-1)! - r.heapMiB[from]!) * 2 ** 20) / Math.max(1, r.heapAt.at(-1)! - r.heapAt[from]!);
    console.log(
      `${view.padEnd(10)} appended ${r.appended} lines (${Math.round(r.appended / seconds)}/s), ${Math.round(r.frames / seconds)} frames/s, ` +
        `long tasks: ${r.longTasks.length} (${over50.length} over 50 ms, ${early} of them in the first 2 s; longest ${Math.max(0, ...r.longTasks).toFixed(0)} ms${TRACE ? `; at ${r.longTaskAt.map((t) => (t / 1000).toFixed(2)).join(', ')} s` : ''}); ` +
        `heap after GC ${heap} MiB (${perLine.toFixed(0)} B per line appended, ${lately.toFixed(0)} B per line over the last 10 s); DOM elements ${r.domNodes.join(' → ')}`,
    );
  }
} finally {
  await browser.close();
  server.close();
  rmSync(out, { recursive: true, force: true });
}
