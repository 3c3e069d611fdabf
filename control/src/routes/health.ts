// GET /health: liveness without authentication, as the original.
import { createRoute, z } from '@hono/zod-openapi';
import { jsonResponse } from '../contract/common.ts';
import { createRouter } from '../http/router.ts';

export const healthRoutes = createRouter().openapi(
  createRoute({
    method: 'get',
    path: '/health',
    tags: ['System'],
    summary: 'Liveness check (no authentication)',
    responses: { 200: jsonResponse(z.object({ status: z.literal('healthy') }).openapi('Health'), 'The server is up') },
  }),
  (c) => c.json({ status: 'healthy' as const }, 200),
);
