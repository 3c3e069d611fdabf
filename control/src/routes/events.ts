// GET /events: the workspace's feed of what changed, for dashboards that keep their lists live.
import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses } from '../contract/common.ts';
import { ApiError } from '../http/errors.ts';
import { createRouter } from '../http/router.ts';
import { MAX_STREAMS_PER_KEY } from '../limits.ts';
import { dispatcherFor, feedFor } from '../queue/notify.ts';

export const eventRoutes = createRouter().openapi(
  createRoute({
    method: 'get',
    path: '/events',
    tags: ['System'],
    summary: 'Hear which kinds of things change in the workspace: a WebSocket on Upgrade, Server-Sent Events otherwise',
    description:
      'Messages name topics only (`runs`, `workers`, `jobs`, `schedules`, `credentials`, `skills`, `api-keys`, `members`, `workspaces`), never data: ' +
      '`{"type":"hello","topics":[…]}` first, then `{"type":"changed","topics":[…]}` within about 100 ms of a change; fetch those lists again. ' +
      'Browsers authenticate with the WebSocket subprotocol `bearer.<key>` (offer `flight-control` too) and `?workspace_id=`. ' +
      'The stream closes (4401) within a few seconds of its key being revoked, and counts against the key\'s open streams.',
    request: { query: z.object({ workspace_id: z.string().optional().openapi({ description: 'The workspace, when no X-Workspace-ID header can be sent.' }) }) },
    responses: {
      101: { description: 'Switched to a WebSocket' },
      200: { description: 'An event stream', content: { 'text/event-stream': { schema: z.string() } } },
      ...errorResponses,
    },
  }),
  async (c) => {
    const { workspaceId, keyId } = c.get('auth');
    const streamId = crypto.randomUUID();
    if (!(await dispatcherFor(c.env, workspaceId).openStream(keyId, streamId))) {
      throw new ApiError(429, 'too_many_streams', `This key already holds ${MAX_STREAMS_PER_KEY} open streams in this workspace; close one first`);
    }
    const headers = new Headers({ 'X-Viewer': JSON.stringify({ keyId, workspaceId, streamId }) });
    for (const name of ['Upgrade', 'Sec-WebSocket-Protocol']) {
      const value = c.req.header(name);
      if (value) headers.set(name, value);
    }
    return (await feedFor(c.env, workspaceId).fetch('https://feed/stream', { headers })) as unknown as Response;
  },
);
