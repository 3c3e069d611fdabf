// A workspace's feed: open dashboards hear, within a fraction of a second, which kinds of things
// changed (runs, workers, jobs, …) and fetch those lists again. It carries topic names only, never
// data, so what a viewer may read is still decided by the REST call it makes next. One object per
// workspace; its WebSockets hibernate, and while any is open an alarm re-checks their keys.
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.ts';
import { RECHECK_MS, sseEvent, Viewers, type ViewerIdentity } from '../logs/viewers.ts';

export const feedTopics = ['runs', 'workers', 'jobs', 'schedules', 'credentials', 'skills', 'api-keys', 'members', 'workspaces'] as const;
export type FeedTopic = (typeof feedTopics)[number];

/** Changes that arrive this close together go out as one message. */
const COALESCE_MS = 100;

export class WorkspaceFeed extends DurableObject<Env> {
  private readonly viewers: Viewers;
  private readonly pending = new Set<FeedTopic>();
  private flushTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.viewers = new Viewers(ctx, env);
  }

  /** `/stream`: a WebSocket when the request asks to upgrade, Server-Sent Events otherwise. */
  async fetch(request: Request): Promise<Response> {
    const identity = JSON.parse(request.headers.get('X-Viewer') ?? 'null') as ViewerIdentity | null;
    if (!identity) return new Response('a stream needs its viewer', { status: 400 });
    const hello = { type: 'hello', topics: feedTopics };
    const response =
      request.headers.get('Upgrade')?.toLowerCase() === 'websocket'
        ? this.viewers.openWebSocket(identity, request.headers.get('Sec-WebSocket-Protocol'), (send) => send(hello))
        : this.viewers.openSse(identity, (write) => write(sseEvent('hello', hello))).response;
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + RECHECK_MS);
    return response;
  }

  /** Something of these kinds changed in the workspace. Costs nothing while no one watches. */
  changed(topics: FeedTopic[]): void {
    if (this.viewers.count === 0) return;
    for (const topic of topics) this.pending.add(topic);
    this.flushTimer ??= setTimeout(() => this.flush(), COALESCE_MS);
  }

  webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    if (message === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
  }

  webSocketClose(ws: WebSocket, code: number): void {
    this.viewers.closed(ws, code);
  }

  override async alarm(): Promise<void> {
    await this.viewers.recheck();
    if (this.viewers.count > 0) await this.ctx.storage.setAlarm(Date.now() + RECHECK_MS);
  }

  private flush(): void {
    this.flushTimer = null;
    const topics = [...this.pending];
    this.pending.clear();
    if (topics.length > 0) this.viewers.send({ type: 'changed', topics }, sseEvent('changed', { topics }));
  }
}
