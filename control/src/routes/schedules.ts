// /schedules: cron triggers for jobs, each with the time it fires next (firing itself lives elsewhere).
import { createRoute, z } from '@hono/zod-openapi';
import { requireRole } from '../auth/authenticate.ts';
import { errorResponses, idParam, jsonBody, jsonResponse } from '../contract/common.ts';
import { Schedule, ScheduleCreate, ScheduleUpdate } from '../contract/schedules.ts';
import { openDb } from '../db/client.ts';
import { deleteSchedule, findSchedule, insertSchedule, listSchedules, toSchedule, updateSchedule } from '../db/schedules.ts';
import { invalidField, notFound } from '../http/errors.ts';
import { decodeCursor, pageQuery, paginate } from '../http/pagination.ts';
import { createRouter } from '../http/router.ts';
import { nextFireTime } from '../schedules/cron.ts';

const tags = ['Schedules'];
const scheduleId = idParam('schedule_id', 'Schedule id');

/** When a schedule with these settings fires next, counted from now; null while it is disabled. */
function nextRunAt(timing: { cronExpression: string; timezone: string; enabled: boolean }): string | null {
  if (!timing.enabled) return null;
  return nextFireTime(timing.cronExpression, timing.timezone, new Date())?.toISOString() ?? null;
}

const noSuchJob = (id: string) => invalidField('job_definition_id', `no job with id '${id}' in this workspace`);

export const schedulesRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/schedules',
      tags,
      summary: 'List schedules, newest first',
      request: { query: pageQuery },
      responses: { 200: jsonResponse(z.array(Schedule), 'A page of schedules; `Link: rel="next"` when more exist'), ...errorResponses },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const rows = await listSchedules(openDb(c.env.DB), c.get('auth').workspaceId, limit, decodeCursor(cursor));
      return c.json(paginate(c, rows, limit, (r) => ({ key: r.createdAt, id: r.id })).map(toSchedule), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/schedules',
      tags,
      summary: 'Schedule a job on a cron expression (admin)',
      middleware: [requireRole('admin')],
      request: jsonBody(ScheduleCreate),
      responses: { 201: jsonResponse(Schedule, 'The new schedule'), ...errorResponses },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const timing = { cronExpression: body.cron_expression, timezone: body.timezone, enabled: body.enabled };
      const row = await insertSchedule(openDb(c.env.DB), c.get('auth').workspaceId, body.job_definition_id, {
        ...timing,
        name: body.name ?? null,
        nextRunAt: nextRunAt(timing),
      });
      if (!row) throw noSuchJob(body.job_definition_id);
      return c.json(toSchedule(row), 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/schedules/{schedule_id}',
      tags,
      summary: 'Get a schedule',
      request: { params: scheduleId },
      responses: { 200: jsonResponse(Schedule, 'The schedule'), ...errorResponses },
    }),
    async (c) => {
      const row = await findSchedule(openDb(c.env.DB), c.get('auth').workspaceId, c.req.valid('param').schedule_id);
      if (!row) throw notFound('Schedule');
      return c.json(toSchedule(row), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/schedules/{schedule_id}',
      tags,
      summary: 'Update a schedule (admin; only the fields sent change; the next run is counted again from now)',
      middleware: [requireRole('admin')],
      request: { params: scheduleId, ...jsonBody(ScheduleUpdate) },
      responses: { 200: jsonResponse(Schedule, 'The updated schedule'), ...errorResponses },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const db = openDb(c.env.DB);
      const { workspaceId } = c.get('auth');
      const id = c.req.valid('param').schedule_id;
      const current = await findSchedule(db, workspaceId, id);
      if (!current) throw notFound('Schedule');
      // All three timing fields are written together with next_run_at, so the row never disagrees with itself.
      const timing = {
        cronExpression: body.cron_expression ?? current.cronExpression,
        timezone: body.timezone ?? current.timezone,
        enabled: body.enabled ?? current.enabled,
      };
      const row = await updateSchedule(db, workspaceId, id, {
        ...timing,
        ...(body.name !== undefined ? { name: body.name } : {}),
        nextRunAt: nextRunAt(timing),
      });
      if (!row) throw notFound('Schedule');
      return c.json(toSchedule(row), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/schedules/{schedule_id}',
      tags,
      summary: 'Delete a schedule (admin)',
      middleware: [requireRole('admin')],
      request: { params: scheduleId },
      responses: { 204: { description: 'Deleted' }, ...errorResponses },
    }),
    async (c) => {
      const deleted = await deleteSchedule(openDb(c.env.DB), c.get('auth').workspaceId, c.req.valid('param').schedule_id);
      if (!deleted) throw notFound('Schedule');
      return c.body(null, 204);
    },
  );
