// The log viewer alone, fed by a synthetic agent at a chosen rate, for bench/ui-viewer.ts (its page is
// bench/ui-viewer/index.html; it is not part of the dashboard): assistant text, tool calls and their
// output, as goose writes them.
import { render } from 'preact';
import type { LogView } from '../api/types.ts';
import { LogViewer } from './log-viewer.tsx';
import { StatusBadge } from './status.tsx';
import type { FollowOptions } from '../lib/log-stream.ts';
import '../styles.css';

let sequence = 0;
const at = new Date().toISOString();

/** The line numbered `n`: the same every time it is asked for, as the stored log answers. */
function lineAt(n: number): LogView {
  const step = n % 40;
  const call = `call_${Math.floor(n / 40)}`;
  if (step === 1) return { sequence: n, stream: 'event', line: `▸ shell {"command":"make test STEP=${n}"}`, attempt: 1, at, event: 'tool_request', data: { id: call, name: 'developer__shell', arguments: { command: `make test STEP=${n}` } } };
  if (step < 34) return { sequence: n, stream: 'stdout', line: `ok ${n} - compiles module ${n % 97} in ${(n % 13) * 7} ms without warnings`, attempt: 1, at, event: 'tool_response', data: { id: call, name: 'developer__shell', status: 'success' } };
  return { sequence: n, stream: 'stdout', line: `Step ${n}: the build passed, so I move on to the next module and check its tests.`, attempt: 1, at, event: 'message', data: { id: `msg_${Math.floor(n / 40)}` } };
}

const nextLine = () => lineAt(++sequence);

/** The lines the viewer let go and asks for again. */
const readLines = async (after: number, limit: number) => Array.from({ length: Math.max(0, Math.min(limit, sequence - after)) }, (_, i) => lineAt(after + 1 + i));

let feed: ((lines: LogView[]) => void) | null = null;

/** Appends `perSecond` lines a second for `seconds`, in a batch every 20 ms as a busy stream delivers them. */
function start(perSecond: number, seconds: number): Promise<number> {
  const perTick = Math.round(perSecond / 50);
  const until = performance.now() + seconds * 1000;
  return new Promise((done) => {
    const timer = setInterval(() => {
      const batch: LogView[] = [];
      for (let i = 0; i < perTick; i++) batch.push(nextLine());
      feed?.(batch);
      if (performance.now() >= until) {
        clearInterval(timer);
        done(sequence);
      }
    }, 20);
  });
}

const source = (options: FollowOptions) => {
  feed = options.onLines;
  options.onState('live');
  return () => (feed = null);
};

/** Appends `count` lines at once, as a long log read on opening the page. */
function prefill(count: number): number {
  for (let done = 0; done < count; done += 1_000) feed?.(Array.from({ length: Math.min(1_000, count - done) }, nextLine));
  return sequence;
}

(window as unknown as { bench: object }).bench = { start, prefill, lines: () => sequence };
// As the run page shows it: under the page's heading and status, in its Log section (so the type the
// page has drawn before the first line, as the run page has, is not counted against the first draw).
render(
  <main>
    <h1>
      Run <StatusBadge status="running" />
    </h1>
    <section>
      <h2>Log</h2>
      <LogViewer runId="bench" final={false} source={source} readLines={readLines} />
    </section>
  </main>,
  document.getElementById('app')!,
);
