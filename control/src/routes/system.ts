// /system: the fleet of workers and queue metrics.
import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, jsonResponse } from '../contract/common.ts';
import { ActivityHour, ActivityQuery, Metrics, Worker, WorkerListQuery } from '../contract/system.ts';
import { openDb } from '../db/client.ts';
import { activity, countByStatus, heldRuns, listWorkers, toWorker } from '../db/system.ts';
import { markSilentWorkersOffline } from '../queue/transitions.ts';
import { decodeCursor, pageQuery, paginate } from '../http/pagination.ts';
import { createRouter } from '../http/router.ts';

const tags = ['System'];

export const systemRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/system/workers',
      tags,
      summary: 'List the workspace\'s workers, newest first',
      request: { query: pageQuery.extend(WorkerListQuery.shape) },
      responses: { 200: jsonResponse(z.array(Worker), 'A page of workers'), ...errorResponses },
    }),
    async (c) => {
      const { limit, cursor, status, active } = c.req.valid('query');
      await markSilentWorkersOffline(c.env, c.get('auth').workspaceId);
      const db = openDb(c.env.DB);
      const found = await listWorkers(db, c.get('auth').workspaceId, { status, active }, limit, decodeCursor(cursor));
      const page = paginate(c, found, limit, (r) => ({ key: r.createdAt, id: r.id }));
      const held = await heldRuns(db, page.map((w) => w.id));
      return c.json(page.map((w) => toWorker(w, held.get(w.id) ?? [])), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/system/metrics',
      tags,
      summary: 'Runs and workers per status, and the queue depth',
      responses: { 200: jsonResponse(Metrics, 'Current counts'), ...errorResponses },
    }),
    async (c) => {
      await markSilentWorkersOffline(c.env, c.get('auth').workspaceId);
      return c.json(await countByStatus(openDb(c.env.DB), c.get('auth').workspaceId), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/system/activity',
      tags,
      summary: 'Runs created, and runs ended by outcome, per hour of the last day (or `hours`)',
      request: { query: ActivityQuery },
      responses: { 200: jsonResponse(z.array(ActivityHour), 'One entry per hour, oldest first'), ...errorResponses },
    }),
    async (c) => c.json(await activity(c.env.DB, c.get('auth').workspaceId, c.req.valid('query').hours), 200),
  );
