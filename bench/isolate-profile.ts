// A CPU profile of one Worker's isolate in the local runtime, taken over the inspector (Miniflare's
// `inspectorPort`): which functions the control plane spends its time in while a benchmark works.
// FC_PROFILE=1 node bench/dispatch.ts prints one of a drain through the API, and bench/live-logs.ts one
// of a round of log ingestion.

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

/** Profiles the isolate of `worker` (its inspector target's title contains the name) while `work` runs. */
export async function profileIsolate(inspectorPort: number, worker: string, work: () => Promise<void>): Promise<Profile> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as { title: string; webSocketDebuggerUrl: string }[];
  const target = targets.find((t) => t.title.includes(`core:user:${worker}`));
  if (!target) throw new Error(`no inspector target for ${worker} among: ${targets.map((t) => t.title).join(', ')}`);
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((opened, failed) => {
    socket.addEventListener('open', opened, { once: true });
    socket.addEventListener('error', failed, { once: true });
  });
  let lastId = 0;
  const replies = new Map<number, (result: unknown) => void>();
  socket.addEventListener('message', (e) => {
    const message = JSON.parse(String(e.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) replies.get(message.id)?.(message.result);
  });
  const send = <T>(method: string, params: object = {}) =>
    new Promise<T>((answered) => {
      const id = ++lastId;
      replies.set(id, answered as (result: unknown) => void);
      socket.send(JSON.stringify({ id, method, params }));
    });
  try {
    await send('Profiler.enable');
    await send('Profiler.setSamplingInterval', { interval: 100 });
    await send('Profiler.start');
    await work();
    return (await send<{ profile: Profile }>('Profiler.stop')).profile;
  } finally {
    socket.close();
  }
}

/** The functions with the most samples: on top of the stack (self) and anywhere in it (inclusive), in % of all samples. */
export function hottest(profile: Profile, count = 20): { self: [string, number][]; inclusive: [string, number][] } {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const name = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber + 1}`;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const sample of profile.samples) {
    const top = nodes.get(sample)!;
    self.set(name(top), (self.get(name(top)) ?? 0) + 1);
    const seen = new Set<string>();
    for (let id: number | undefined = sample; id !== undefined; id = parents.get(id)) {
      const n = name(nodes.get(id)!);
      if (seen.has(n)) continue;
      seen.add(n);
      inclusive.set(n, (inclusive.get(n) ?? 0) + 1);
    }
  }
  const top = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, count).map(([n, c]): [string, number] => [n, (100 * c) / profile.samples.length]);
  return { self: top(self), inclusive: top(inclusive) };
}

/** Prints `hottest` of a profile under a heading. */
export function printHottest(what: string, profile: Profile): void {
  const { self, inclusive } = hottest(profile);
  const show = (rows: [string, number][]) => rows.map(([name, pct]) => `  ${pct.toFixed(1).padStart(5)} %  ${name}`).join('\n');
  console.log(`the control plane's isolate ${what}, by samples on top of the stack:\n${show(self)}\nand anywhere in it:\n${show(inclusive)}`);
}
