// A run hub's viewers: hibernatable WebSockets and Server-Sent Events streams, what they are sent,
// and the checks that keep them honest: each stream is re-checked every few seconds against the key
// that opened it (closed once that key is revoked or its user removed), counted against that key's
// limit of open streams, and ended once the run has ended.
import { callerByKeyId } from '../auth/authenticate.ts';
import type { Env } from '../env.ts';

/** Who opened a stream: the key it acts as (re-checked while it is open) and its slot in the key's count. */
export interface ViewerIdentity {
  keyId: string;
  workspaceId: string;
  streamId: string;
}

/** How often open streams are re-checked against their keys, and their slots renewed. */
export const RECHECK_MS = 3_000;
const SSE_PING_MS = 30_000;
/** WebSocket close code for a stream whose key no longer may watch. */
export const CLOSE_KEY_REVOKED = 4401;

const encoder = new TextEncoder();

interface SseViewer {
  identity: ViewerIdentity;
  writer: WritableStreamDefaultWriter<Uint8Array>;
  ping: ReturnType<typeof setInterval>;
}

export const sseEvent = (event: string, data: unknown, id?: number) => `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

export class Viewers {
  private readonly ctx: DurableObjectState;
  private readonly env: Env;
  /** Open SSE responses; they live only as long as this instance, unlike hibernatable WebSockets. */
  private readonly sse = new Set<SseViewer>();

  constructor(ctx: DurableObjectState, env: Env) {
    this.ctx = ctx;
    this.env = env;
  }

  get count(): number {
    return this.ctx.getWebSockets().length + this.sse.size;
  }

  /** Accepts a hibernatable WebSocket; `greet` sends what it missed, synchronously, before anything new. */
  openWebSocket(identity: ViewerIdentity, protocols: string | null, greet: (send: (message: object) => void) => void): Response {
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment(identity);
    greet((message) => server.send(JSON.stringify(message)));
    const headers = new Headers();
    // A browser that authenticated through a subprotocol expects one echoed back.
    const offered = protocols?.split(',').map((p) => p.trim()).find((p) => p === 'flight-control');
    if (offered) headers.set('Sec-WebSocket-Protocol', offered);
    return new Response(null, { status: 101, webSocket: client, headers });
  }

  /** Starts an event stream; `greet` writes what it missed, synchronously, before anything new. */
  openSse(identity: ViewerIdentity, greet: (write: (text: string) => void) => void): { response: Response; viewer: SseViewer } {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const viewer: SseViewer = { identity, writer: writable.getWriter(), ping: setInterval(() => this.write(viewer, 'event: ping\ndata: \n\n'), SSE_PING_MS) };
    greet((text) => this.write(viewer, text));
    this.sse.add(viewer);
    const response = new Response(readable, { headers: { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' } });
    return { response, viewer };
  }

  /** Sends to every viewer: `message` as JSON to WebSockets, `sseText` (if any) to event streams. */
  send(message: object, sseText: string): void {
    const json = JSON.stringify(message);
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(json);
      } catch {
        // A socket that is closing; its close handler tidies up.
      }
    }
    if (sseText) for (const viewer of this.sse) this.write(viewer, sseText);
  }

  /** The run has ended, or its log is gone: every stream gets `message` and is closed. */
  endAll(message: object, reason: string): void {
    for (const ws of this.ctx.getWebSockets()) this.closeSocket(ws, 1000, reason, message);
    for (const viewer of this.sse) this.endSse(viewer, message);
  }

  endSse(viewer: SseViewer, message: object): void {
    this.write(viewer, sseEvent('end', message));
    this.dropSse(viewer);
  }

  /** A WebSocket that closed from its side: its slot in the key's count is freed. */
  closed(ws: WebSocket, code: number): void {
    // 1005/1006 carry no code a peer may echo back.
    ws.close(code === 1005 || code === 1006 ? 1000 : code, 'closed');
    this.release(ws.deserializeAttachment() as ViewerIdentity | null);
  }

  /**
   * Closes the streams whose key may no longer watch (revoked, its user removed or demoted out of the
   * workspace), and renews the slots of the rest with the Dispatcher.
   */
  async recheck(): Promise<void> {
    const sockets = this.ctx.getWebSockets().map((ws) => ({ ws, identity: ws.deserializeAttachment() as ViewerIdentity | null }));
    const identities = [...sockets.map((s) => s.identity), ...[...this.sse].map((v) => v.identity)].filter((i) => i !== null);
    if (identities.length === 0) return;
    const verdicts = new Map<string, Promise<boolean>>();
    const allowed = (i: ViewerIdentity) => {
      const key = `${i.keyId}\n${i.workspaceId}`;
      if (!verdicts.has(key)) verdicts.set(key, callerByKeyId(this.env, i.keyId, i.workspaceId).then(() => true, () => false));
      return verdicts.get(key)!;
    };
    const gone = { type: 'error', code: 'key_revoked', detail: 'The key this stream was opened with may no longer watch this run' };
    const kept: ViewerIdentity[] = [];
    for (const { ws, identity } of sockets) {
      if (!identity) continue;
      if (await allowed(identity)) kept.push(identity);
      else this.closeSocket(ws, CLOSE_KEY_REVOKED, 'key revoked', gone);
    }
    for (const viewer of [...this.sse]) {
      if (await allowed(viewer.identity)) kept.push(viewer.identity);
      else {
        this.write(viewer, sseEvent('error', gone));
        this.dropSse(viewer);
      }
    }
    const workspaceId = kept[0]?.workspaceId;
    if (workspaceId) await this.dispatcher(workspaceId).renewStreams(kept.map((i) => ({ streamId: i.streamId, keyId: i.keyId })));
  }

  private closeSocket(ws: WebSocket, code: number, reason: string, last: object): void {
    try {
      ws.send(JSON.stringify(last));
      ws.close(code, reason);
    } catch {
      // Already closing.
    }
    this.release(ws.deserializeAttachment() as ViewerIdentity | null);
  }

  private write(viewer: SseViewer, text: string): void {
    viewer.writer.write(encoder.encode(text)).catch(() => this.dropSse(viewer));
  }

  private dropSse(viewer: SseViewer): void {
    if (!this.sse.delete(viewer)) return;
    clearInterval(viewer.ping);
    viewer.writer.close().catch(() => undefined);
    this.release(viewer.identity);
  }

  private release(identity: ViewerIdentity | null): void {
    if (identity) this.ctx.waitUntil(this.dispatcher(identity.workspaceId).closeStream(identity.streamId).catch(() => undefined));
  }

  private dispatcher(workspaceId: string) {
    return this.env.DISPATCHER.get(this.env.DISPATCHER.idFromName(workspaceId));
  }
}
