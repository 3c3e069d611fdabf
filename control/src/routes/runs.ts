// /runs: list, read, ad-hoc create, re-run and cancel; attempts, logs and their streams.
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { authenticateAfresh, type AuthContext } from '../auth/authenticate.ts';
import { errorResponses, idParam, jsonBody, jsonResponse } from '../contract/common.ts';
import { LogLine, LogPageQuery, LogStreamQuery, Run, RunAttempt, RunCreate, RunListQuery, StreamTicket } from '../contract/runs.ts';
import { openDb } from '../db/client.ts';
import { unknownNames } from '../db/references.ts';
import { findRun, listAttempts, listRuns, toRun } from '../db/runs.ts';
import { ApiError, invalidField, notFound } from '../http/errors.ts';
import { decodeCursor, pageQuery, paginate } from '../http/pagination.ts';
import { shownTo } from '../http/redact.ts';
import { createRouter } from '../http/router.ts';
import { viewLine } from '../logs/run-hub.ts';
import { dispatcherFor, runHubFor } from '../queue/notify.ts';
import { mintStreamTicket } from '../auth/tickets.ts';
import { loadConfig } from '../config.ts';
import { MAX_STREAMS_PER_KEY } from '../limits.ts';
import { enqueueAdHocRun, enqueueRerun, requestCancel, waitingReasons } from '../queue/transitions.ts';
import { runContext } from '../http/run-context.ts';
import type { AppEnv } from '../env.ts';

const tags = ['Runs'];
const runId = idParam('run_id', 'Run id');

/**
 * Why a run's insert was refused: the key is looked up afresh (a 401 or 403 for a key no longer
 * admitted, or no longer a member, and the remembered caller forgotten), then the credentials and
 * skills it names (422). Returns the fresh caller when neither explains it.
 */
async function whyNotEnqueued(c: Context<AppEnv>, body: RunCreate): Promise<AuthContext> {
  const auth = await authenticateAfresh(c);
  const unknown = await unknownNames(openDb(c.env.DB), auth.workspaceId, body);
  if (unknown) throw invalidField(unknown.field, unknown.detail);
  return auth;
}

export const runRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/runs',
      tags,
      summary: 'List runs, newest first',
      request: { query: pageQuery.extend(RunListQuery.shape) },
      responses: { 200: jsonResponse(z.array(Run), 'A page of runs; `Link: rel="next"` when more exist'), ...errorResponses },
    }),
    async (c) => {
      const { limit, cursor, job_id, status } = c.req.valid('query');
      const { workspaceId, role } = c.get('auth');
      const rows = await listRuns(openDb(c.env.DB), workspaceId, { jobId: job_id, status }, limit, decodeCursor(cursor));
      const page = paginate(c, rows, limit, (r) => ({ key: r.createdAt, id: r.id }));
      const waiting = await waitingReasons(c.env, workspaceId, page);
      return c.json(page.map((r) => shownTo(role, toRun(r, waiting.get(r.id)))), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/runs',
      tags,
      summary: 'Queue an ad-hoc run (no job needed)',
      request: jsonBody(RunCreate),
      responses: { 201: jsonResponse(Run, 'The queued run'), ...errorResponses },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const ctx = runContext(c);
      // One statement: the insert itself checks the key and the credentials, since authentication may
      // have remembered the caller without a lookup. A refused insert is explained or tried once more.
      const run = (await enqueueAdHocRun(ctx, c.get('auth'), body)) ?? (await enqueueAdHocRun(ctx, await whyNotEnqueued(c, body), body));
      if (!run) {
        await whyNotEnqueued(c, body);
        throw new Error('POST /runs: the insert refused a run whose caller and credentials check out');
      }
      return c.json(toRun(run), 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/runs/{run_id}',
      tags,
      summary: 'Get a run',
      request: { params: runId },
      responses: { 200: jsonResponse(Run, 'The run'), ...errorResponses },
    }),
    async (c) => {
      const { workspaceId } = c.get('auth');
      const row = await findRun(openDb(c.env.DB), workspaceId, c.req.valid('param').run_id);
      if (!row) throw notFound('Run');
      const waiting = await waitingReasons(c.env, workspaceId, [row]);
      return c.json(shownTo(c.get('auth').role, toRun(row, waiting.get(row.id))), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/runs/{run_id}/attempts',
      tags,
      summary: 'Every claim of the run, oldest first: the worker, when it claimed, started and ended, and how',
      request: { params: runId },
      responses: { 200: jsonResponse(z.array(RunAttempt), 'The attempts'), ...errorResponses },
    }),
    async (c) => {
      const db = openDb(c.env.DB);
      const run = await findRun(db, c.get('auth').workspaceId, c.req.valid('param').run_id);
      if (!run) throw notFound('Run');
      return c.json(await listAttempts(db, run.id), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/runs/{run_id}/rerun',
      tags,
      summary: 'Run again: a new queued run with the same settings (the same snapshot, env vars included), linked by rerun_of',
      request: { params: runId },
      responses: { 201: jsonResponse(Run, 'The new run'), ...errorResponses },
    }),
    async (c) => {
      const original = await findRun(openDb(c.env.DB), c.get('auth').workspaceId, c.req.valid('param').run_id);
      if (!original) throw notFound('Run');
      return c.json(toRun(await enqueueRerun(runContext(c), original)), 201);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/runs/{run_id}/cancel',
      tags,
      summary: 'Cancel a run: a queued run at once, an assigned or running one through its worker',
      request: { params: runId },
      responses: { 200: jsonResponse(Run, 'The run after the cancel request'), ...errorResponses },
    }),
    async (c) => {
      const db = openDb(c.env.DB);
      const { workspaceId } = c.get('auth');
      const id = c.req.valid('param').run_id;
      const row = await requestCancel(runContext(c), workspaceId, id);
      if (row) return c.json(toRun(row), 200);
      const existing = await findRun(db, workspaceId, id);
      if (!existing) throw notFound('Run');
      throw new ApiError(409, 'not_cancellable', `Run cannot be cancelled: it is already ${existing.status}`);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/runs/{run_id}/logs',
      tags,
      summary: 'Page through the run\'s stored log, oldest first',
      request: { params: runId, query: LogPageQuery },
      responses: { 200: jsonResponse(z.array(LogLine), 'Lines after `after`; `Link: rel="next"` when more exist'), ...errorResponses },
    }),
    async (c) => {
      const id = c.req.valid('param').run_id;
      const { after, limit } = c.req.valid('query');
      if (!(await findRun(openDb(c.env.DB), c.get('auth').workspaceId, id))) throw notFound('Run');
      const lines = await runHubFor(c.env, id).read(after, limit + 1);
      const page = lines.slice(0, limit);
      const last = page[page.length - 1];
      if (lines.length > limit && last) c.header('Link', `<${c.req.path}?after=${last.sequence}&limit=${limit}>; rel="next"`);
      return c.json(page.map(viewLine), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/runs/{run_id}/logs/download',
      tags,
      summary: 'Download the whole stored log as plain text, one `[stream] line` per line',
      request: { params: runId },
      responses: { 200: { description: 'The log', content: { 'text/plain': { schema: z.string() } } }, ...errorResponses },
    }),
    async (c) => {
      const id = c.req.valid('param').run_id;
      if (!(await findRun(openDb(c.env.DB), c.get('auth').workspaceId, id))) throw notFound('Run');
      const text = await runHubFor(c.env, id).fetch('https://run-hub/text');
      c.header('Content-Disposition', `attachment; filename="run-${id}.log"`);
      return c.body(text.body as ReadableStream, 200, { 'Content-Type': 'text/plain; charset=utf-8' }) as never;
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/runs/{run_id}/logs/stream',
      tags,
      summary: 'Follow the run\'s log live: a WebSocket on Upgrade, Server-Sent Events otherwise',
      description:
        'Replays the lines after `after` (or `Last-Event-ID`), then sends new lines and status changes as they happen. ' +
        'WebSocket messages are JSON: `{"type":"log","lines":[{sequence,attempt,stream,line,at}]}` and `{"type":"status","status":…}`. ' +
        'The SSE form sends `log` events with `{stream, line, sequence}`, `status` events, and a `ping` every 30 s. ' +
        'Without an Authorization header, authenticate with `?token=&workspace_id=` or the WebSocket subprotocol `bearer.<key>` (offer `flight-control` too to get one echoed back).',
      request: { params: runId, query: LogStreamQuery },
      responses: {
        101: { description: 'Switched to a WebSocket' },
        200: { description: 'An event stream', content: { 'text/event-stream': { schema: z.string() } } },
        ...errorResponses,
      },
    }),
    async (c) => {
      const id = c.req.valid('param').run_id;
      const { workspaceId, keyId } = c.get('auth');
      if (!(await findRun(openDb(c.env.DB), workspaceId, id))) throw notFound('Run');
      const streamId = crypto.randomUUID();
      const dispatcher = dispatcherFor(c.env, workspaceId);
      if (!(await dispatcher.openStream(keyId, streamId))) {
        throw new ApiError(429, 'too_many_streams', `This key already holds ${MAX_STREAMS_PER_KEY} open log streams in this workspace; close one first`);
      }
      const headers = new Headers({ 'X-Viewer': JSON.stringify({ keyId, workspaceId, streamId }) });
      for (const name of ['Upgrade', 'Sec-WebSocket-Protocol', 'Last-Event-ID']) {
        const value = c.req.header(name);
        if (value) headers.set(name, value);
      }
      const after = c.req.valid('query').after;
      const query = new URLSearchParams({ after: after === undefined ? '' : String(after), run: id, workspace: workspaceId });
      const response = await runHubFor(c.env, id).fetch(`https://run-hub/stream?${query}`, { headers });
      // An ended run's stream that had nothing to replay holds no slot.
      if (response.status === 204) await dispatcher.closeStream(streamId);
      return response as unknown as Response;
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/runs/{run_id}/logs/ticket',
      tags,
      summary: 'Get a ticket that opens this run\'s log stream for a minute, so no API key goes into a URL',
      description:
        'For browsers, whose EventSource and WebSocket cannot send headers: open `/runs/{run_id}/logs/stream?ticket=<ticket>` instead of putting the key in `?token=`. The ticket works only for this run, for 60 s (reconnects within that time may reuse it), and the stream acts as, and is re-checked against, the key that asked for it.',
      request: { params: runId },
      responses: { 201: jsonResponse(StreamTicket, 'The ticket and the stream URL'), ...errorResponses },
    }),
    async (c) => {
      const id = c.req.valid('param').run_id;
      const { workspaceId, keyId } = c.get('auth');
      if (!(await findRun(openDb(c.env.DB), workspaceId, id))) throw notFound('Run');
      const { keyRing } = await loadConfig(c.env);
      const { ticket, expiresAt } = await mintStreamTicket(keyRing, { runId: id, workspaceId, keyId });
      return c.json({ ticket, expires_at: new Date(expiresAt).toISOString(), stream_url: `/api/v1/runs/${id}/logs/stream?ticket=${encodeURIComponent(ticket)}` }, 201);
    },
  );
