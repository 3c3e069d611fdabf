// Webhooks end to end: the control plane on workerd, a real worker running goose against the scripted
// model, and receivers on loopback that verify every delivery with the `standardwebhooks` package (and
// the original's X-FlightControl-Signature). A receiver that fails its first deliveries still gets every
// event, in order per run, after retries; one that never answers holds up nothing else.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../node-worker/test/fixtures/stack.ts';

interface Received {
  id: string;
  type: string;
  runId: string | null;
  verified: boolean;
}

interface Receiver {
  url: string;
  received: Received[];
  /** Requests answered so far (failed or not). */
  answered: number;
  /** Requests that came in and were never answered. */
  hanging: number;
  secret: string;
  close(): Promise<void>;
}

/** A receiver on loopback: verifies signatures with `secret` (set once the webhook exists), failing the first `failFirst` requests with 503. */
async function startReceiver(options: { failFirst?: number; neverAnswer?: boolean } = {}): Promise<Receiver> {
  let failuresLeft = options.failFirst ?? 0;
  const open = new Set<ServerResponse>();
  const receiver: Receiver = { url: '', received: [], answered: 0, hanging: 0, secret: '', close: async () => undefined };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (options.neverAnswer) {
        receiver.hanging++;
        open.add(res);
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      let verified = false;
      try {
        new Webhook(receiver.secret).verify(body, headers);
        const legacy = `sha256=${createHmac('sha256', receiver.secret).update(body).digest('hex')}`;
        verified = headers['x-flightcontrol-signature'] === legacy;
      } catch {
        verified = false;
      }
      receiver.answered++;
      if (failuresLeft > 0) {
        failuresLeft--;
        res.writeHead(503, { 'content-type': 'text/plain' }).end('busy, try later');
        return;
      }
      const payload = JSON.parse(body) as { type: string; data: { id?: string } };
      receiver.received.push({ id: headers['webhook-id']!, type: payload.type, runId: payload.type.startsWith('run.') ? payload.data.id! : null, verified });
      res.writeHead(verified ? 200 : 401, { 'content-type': 'text/plain' }).end(verified ? 'ok' : 'bad signature');
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const address = server.address();
  receiver.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`;
  receiver.close = () =>
    new Promise((done) => {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      server.close(() => done());
    });
  return receiver;
}

/** The events of one run in the order they first arrived (a repeat of a delivery counts once). */
function eventsOf(receiver: Receiver, runId: string): string[] {
  const seen = new Set<string>();
  const events: string[] = [];
  for (const r of receiver.received) {
    if (r.runId !== runId || seen.has(r.id)) continue;
    seen.add(r.id);
    events.push(r.type);
  }
  return events;
}

let stack: Stack;
const receivers: Receiver[] = [];

beforeAll(async () => {
  stack = await startStack({ controlVars: { ORCH_WEBHOOK_ALLOW_PRIVATE: 'true', ORCH_WEBHOOK_RETRY_SECONDS: '1,1,1,2,2' } });
}, 90_000);

afterAll(async () => {
  for (const r of receivers) await r.close();
  await stack?.stop();
}, 30_000);

async function webhookFor(receiver: Receiver, events: string[]) {
  const created = await stack.api<{ id: string; secret: string }>('POST', '/webhooks', { url: receiver.url, events });
  receiver.secret = created.secret;
  return created;
}

describe('webhooks, delivered', { timeout: 120_000 }, () => {
  it('gets every event of real runs, signed and in order per run, through a receiver that fails its first deliveries', async () => {
    const receiver = await startReceiver({ failFirst: 3 });
    receivers.push(receiver);
    const hook = await webhookFor(receiver, ['run.queued', 'run.started', 'run.completed', 'run.cancelled']);

    await stack.startWorker('hooked');
    const first = await stack.createGooseRun('hook-one');
    const second = await stack.createGooseRun('hook-two');
    // One no worker can take, cancelled while it waits.
    const waiting = await stack.api<{ id: string }>('POST', '/runs', { task_prompt: 'wait', required_labels: { pool: 'nobody' } });
    await stack.api('POST', `/runs/${waiting.id}/cancel`);
    for (const run of [first, second]) expect((await stack.followRun(run.id)).run.status).toBe('completed');

    const done = ['run.queued', 'run.started', 'run.completed'];
    await stack.waitFor(
      'every event to arrive',
      () => eventsOf(receiver, first.id).length === 3 && eventsOf(receiver, second.id).length === 3 && eventsOf(receiver, waiting.id).length === 2,
      30_000,
    );
    expect(eventsOf(receiver, first.id)).toEqual(done);
    expect(eventsOf(receiver, second.id)).toEqual(done);
    expect(eventsOf(receiver, waiting.id)).toEqual(['run.queued', 'run.cancelled']);
    expect(receiver.received.every((r) => r.verified)).toBe(true);

    // The failures are on record: a delivery tried more than once, its 503s, then its 200.
    const deliveries = await stack.api<{ id: string; status: string; tries: { status_code: number | null; latency_ms: number; response_excerpt: string | null }[] }[]>('GET', `/webhooks/${hook.id}/deliveries`);
    expect(deliveries.every((d) => d.status === 'delivered')).toBe(true);
    const retried = deliveries.filter((d) => d.tries.length > 1);
    expect(retried.length).toBeGreaterThan(0);
    for (const d of retried) {
      expect(d.tries.at(-1)).toMatchObject({ status_code: 200, response_excerpt: 'ok' });
      expect(d.tries.slice(0, -1).every((t) => t.status_code === 503 && t.response_excerpt === 'busy, try later')).toBe(true);
    }
    expect(deliveries.flatMap((d) => d.tries).filter((t) => t.status_code === 503)).toHaveLength(3);

    // A delivery sent again on request carries the same webhook-id, so receivers can tell a repeat.
    const again = deliveries[0]!;
    const before = receiver.received.filter((r) => r.id === again.id).length;
    await stack.api('POST', `/webhooks/${hook.id}/deliveries/${again.id}/redeliver`);
    await stack.waitFor('the redelivery', () => receiver.received.filter((r) => r.id === again.id).length === before + 1, 10_000);
  });

  it('keeps delivering to others, and dispatching, while a receiver never answers', async () => {
    const dead = await startReceiver({ neverAnswer: true });
    const live = await startReceiver();
    receivers.push(dead, live);
    const deadHook = await webhookFor(dead, ['run.queued']);
    await webhookFor(live, ['run.queued']);

    const runs: { id: string }[] = [];
    for (let i = 0; i < 5; i++) runs.push(await stack.api<{ id: string }>('POST', '/runs', { task_prompt: `held ${i}`, required_labels: { pool: 'nobody' } }));
    // The dead receiver is holding requests open, and the live one has every event meanwhile.
    await stack.waitFor('the live receiver to get every event', () => runs.every((r) => eventsOf(live, r.id).length === 1), 8_000);
    expect(dead.hanging).toBeGreaterThan(0);
    const stuck = await stack.api<{ status: string; tries: unknown[] }[]>('GET', `/webhooks/${deadHook.id}/deliveries`);
    expect(stuck.every((d) => d.status === 'pending')).toBe(true);
    for (const r of runs) await stack.api('POST', `/runs/${r.id}/cancel`);
  });
});
