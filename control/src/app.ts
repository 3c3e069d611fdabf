// Assembles the control plane: middleware, every /api/v1 resource, the OpenAPI document and /docs.
import { swaggerUI } from '@hono/swagger-ui';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import { authenticate, requireRole, workerEndpointRefusal } from './auth/authenticate.ts';
import { loadConfig } from './config.ts';
import type { AppEnv } from './env.ts';
import { ApiError, forbidden, handleError } from './http/errors.ts';
import { limitJsonDepth } from './http/json-depth.ts';
import { createRouter } from './http/router.ts';
import { healthRoutes } from './routes/health.ts';
import { jobRoutes } from './routes/jobs.ts';
import { runRoutes } from './routes/runs.ts';
import { credentialsRoutes } from './routes/credentials.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { schedulesRoutes } from './routes/schedules.ts';
import { workspacesRoutes } from './routes/workspaces.ts';
import { usersRoutes } from './routes/users.ts';
import { apiKeysRoutes } from './routes/api-keys.ts';
import { systemRoutes } from './routes/system.ts';
import { workerRoutes } from './routes/workers.ts';
import { artifactRoutes, limitArtifact } from './routes/artifacts.ts';
import { skillRoutes } from './routes/skills.ts';
import { eventRoutes } from './routes/events.ts';
import type { FeedTopic } from './feed/workspace-feed.ts';
import { tellFeed } from './queue/notify.ts';
import { MAX_SKILL_BYTES } from './limits.ts';

const API = '/api/v1';
const SKILL_FILE = /^(\/api\/v1\/(?:workers\/)?skills\/[^/]+\/files\/)(.+)$/;
// Skill uploads (a zip of up to MAX_SKILL_BYTES, in multipart) get their own limit too.
const SKILL_UPLOAD = /^\/api\/v1\/skills$/;

// Artifact uploads get their own, larger limit.
const ARTIFACT_UPLOAD = /^\/api\/v1\/workers\/runs\/[^/]+\/artifacts$/;

const limitBody = createMiddleware<AppEnv>(async function limitBody(c, next) {
  if (ARTIFACT_UPLOAD.test(c.req.path)) return limitArtifact(c, next);
  const { maxBodyBytes: configured } = await loadConfig(c.env);
  const maxBodyBytes = c.req.method === 'POST' && SKILL_UPLOAD.test(c.req.path) ? Math.max(configured, MAX_SKILL_BYTES + 1024 * 1024) : configured;
  return bodyLimit({
    maxSize: maxBodyBytes,
    onError: () => {
      throw new ApiError(413, 'payload_too_large', `Request body exceeds ${maxBodyBytes} bytes`);
    },
  })(c, next);
});

// Deny by default: reading needs `viewer`, any change `member`; routes that need more say so. The
// worker protocol is for `worker` keys (and the bootstrap key). Workspace routes and key revocation decide for themselves (they act on the path's workspace, or
// let a viewer create a workspace, leave one, or revoke their own key); they still shut out workers.
const baselineRole = createMiddleware<AppEnv>(async function baselineRole(c, next) {
  const path = c.req.path;
  if (path.startsWith(`${API}/workers/`)) {
    const refusal = workerEndpointRefusal(c.get('auth'));
    if (refusal) throw forbidden(refusal);
    return next();
  }
  const decidesItself = path === `${API}/workspaces` || path.startsWith(`${API}/workspaces/`) || (c.req.method === 'DELETE' && path.startsWith(`${API}/api-keys/`));
  // A stream ticket only opens a stream, which viewers may watch anyway.
  const reads = c.req.method === 'GET' || c.req.method === 'HEAD' || (c.req.method === 'POST' && /^\/api\/v1\/runs\/[^/]+\/logs\/ticket$/.test(path));
  return requireRole(decidesItself || reads ? 'viewer' : 'member')(c, next);
});

/**
 * What a successful change through the API touched, for the workspace feed: the topics, and the
 * workspace when the path names one. Null for reads and for the worker protocol's traffic (its run
 * changes and a worker starting to drain are told where they happen; registering and leaving are
 * the fleet's only changes here).
 */
function changeOf(method: string, path: string): { topics: FeedTopic[]; workspaceId?: string } | null {
  if (method === 'GET' || method === 'HEAD') return null;
  const [resource, id, action] = path.slice(API.length + 1).split('/');
  switch (resource) {
    case 'workers':
      return id === 'register' || id === 'deregister' ? { topics: ['workers'] } : null;
    case 'runs':
      return path.endsWith('/logs/ticket') ? null : { topics: ['runs'] };
    case 'jobs':
      return { topics: action === 'run' ? ['runs'] : ['jobs', 'schedules'] };
    case 'schedules':
      return { topics: action === 'run' ? ['schedules', 'runs'] : ['schedules'] };
    case 'workspaces':
      return id ? { topics: ['workspaces', 'members'], workspaceId: id } : { topics: ['workspaces'] };
    case 'credentials':
    case 'skills':
    case 'api-keys':
      return { topics: [resource] };
    default:
      return null;
  }
}

/** After a change through the API succeeded, the workspace's open dashboards hear of it. */
const announceChange = createMiddleware<AppEnv>(async function announceChange(c, next) {
  await next();
  const change = c.res.status < 400 ? changeOf(c.req.method, c.req.path) : null;
  if (change) c.executionCtx.waitUntil(tellFeed(c.env, change.workspaceId ?? c.get('auth').workspaceId, change.topics));
});

export function createApp() {
  const app = createRouter();
  app.onError(handleError);
  // The documented operations, as patterns, to tell a path that exists but not for this method (405).
  let operations: { method: string; path: RegExp }[] | null = null;
  app.notFound((c) => {
    operations ??= app.openAPIRegistry.definitions.flatMap((d) =>
      d.type === 'route' ? [{ method: d.route.method.toUpperCase(), path: new RegExp(`^${d.route.path.replace(/\{[^}]+\}/g, '[^/]+')}$`) }] : [],
    );
    const allowed = [...new Set(operations.filter((o) => o.path.test(c.req.path)).map((o) => o.method))];
    if (allowed.length === 0) throw new ApiError(404, 'not_found', `No route for ${c.req.method} ${c.req.path}`);
    c.header('Allow', allowed.join(', '));
    throw new ApiError(405, 'method_not_allowed', `${c.req.method} is not allowed on ${c.req.path}; it takes ${allowed.join(', ')}`);
  });

  // A skill file's path has slashes, and its route takes the path as one segment: they travel encoded.
  app.use(`${API}/*`, async function skillFilePaths(c, next) {
    const url = new URL(c.req.url);
    const match = SKILL_FILE.exec(url.pathname);
    if (!match?.[2]?.includes('/')) return next();
    url.pathname = `${match[1]}${match[2].replaceAll('/', '%2F')}`;
    return app.fetch(new Request(url, c.req.raw), c.env, c.executionCtx);
  });
  app.use(`${API}/*`, limitBody, limitJsonDepth);
  const api = createRouter();
  api.route('/', healthRoutes);
  api.use('*', authenticate, baselineRole, announceChange);

  const routes = api
    .route('/', jobRoutes)
    .route('/', runRoutes)
    .route('/', credentialsRoutes)
    .route('/', webhookRoutes)
    .route('/', schedulesRoutes)
    .route('/', workspacesRoutes)
    .route('/', usersRoutes)
    .route('/', apiKeysRoutes)
    .route('/', systemRoutes)
    .route('/', workerRoutes)
    .route('/', artifactRoutes)
    .route('/', skillRoutes)
    .route('/', eventRoutes);

  app.route(API, routes);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'An API key' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Flight Control',
      version: '0.1.0',
      description: 'Control plane for AI agent workloads. Send `Authorization: Bearer <key>` and optionally `X-Workspace-ID` (default `default`).',
    },
    security: [{ bearer: [] }],
  });
  // Swagger UI's script and styles come from our own static assets (scripts/build-ui.sh), not a CDN.
  app.get('/docs', swaggerUI({ url: '/openapi.json', title: 'Flight Control API', baseUrl: '/docs/assets' }));
  return app;
}

export type AppType = ReturnType<typeof createApp>;
