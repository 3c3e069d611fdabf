// /schedules: cron triggers for jobs, each with the time it fires next. The workspace's Scheduler
// (schedules/scheduler.ts) fires them; every change here re-arms it.
import { createRoute, z } from '@hono/zod-openapi';
import { requireRole } from '../auth/authenticate.ts';
import { errorResponses, idParam, jsonBody, jsonResponse } from '../contract/common.ts';
import { Run } from '../contract/runs.ts';
import { Schedule, ScheduleCreate, ScheduleFire, SchedulePreview, SchedulePreviewQuery, ScheduleUpdate } from '../contract/schedules.ts';
import { openDb } from '../db/client.ts';
import { findRun, toRun } from '../db/runs.ts';
import { deleteSchedule, findSchedule, insertSchedule, listFires, listSchedules, toSchedule, toScheduleFire, updateSchedule } from '../db/schedules.ts';
import type { AppEnv } from '../env.ts';
import { schedulerFor } from '../queue/notify.ts';
import { invalidField, notFound } from '../http/errors.ts';
import { decodeCursor, pageQuery, paginate } from '../http/pagination.ts';
import { createRouter } from '../http/router.ts';
import { nextFireTime, nextFireTimes } from '../schedules/cron.ts';
import type { Context } from 'hono';

const tags = ['Schedules'];
const scheduleId = idParam('schedule_id', 'Schedule id');

/** When a schedule with these settings fires next, counted from now; null while it is disabled. */
function nextRunAt(timing: { cronExpression: string; timezone: string; enabled: boolean }): string | null {
  if (!timing.enabled) return null;
  return nextFireTime(timing.cronExpression, timing.timezone, new Date())?.toISOString() ?? null;
}

const noSuchJob = (id: string) => invalidField('job_definition_id', `no job with id '${id}' in this workspace`);

/** The Scheduler's alarm follows the schedules: set for the next due one, cleared when none is left. */
async function rearm(c: Context<AppEnv>, workspaceId: string): Promise<void> {
  await schedulerFor(c.env, workspaceId).arm(workspaceId);
}

export const schedulesRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/schedules/preview',
      tags,
      summary: 'The next instants a cron expression fires at in a time zone (for forms)',
      request: { query: SchedulePreviewQuery },
      responses: { 200: jsonResponse(SchedulePreview, 'The next instants, in UTC'), ...errorResponses },
    }),
    async (c) => {
      const { cron, timezone, count, from } = c.req.valid('query');
      const next = nextFireTimes(cron, timezone, from ? new Date(from) : new Date(), count).map((d) => d.toISOString());
      return c.json({ cron_expression: cron, timezone, next }, 200);
    },
  )
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
      const { workspaceId } = c.get('auth');
      const row = await insertSchedule(openDb(c.env.DB), workspaceId, body.job_definition_id, {
        ...timing,
        name: body.name ?? null,
        misfire: body.misfire,
        overlap: body.overlap,
        nextRunAt: nextRunAt(timing),
      });
      if (!row) throw noSuchJob(body.job_definition_id);
      await rearm(c, workspaceId);
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
        ...(body.misfire !== undefined ? { misfire: body.misfire } : {}),
        ...(body.overlap !== undefined ? { overlap: body.overlap } : {}),
        nextRunAt: nextRunAt(timing),
      });
      if (!row) throw notFound('Schedule');
      await rearm(c, workspaceId);
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
      const { workspaceId } = c.get('auth');
      const deleted = await deleteSchedule(openDb(c.env.DB), workspaceId, c.req.valid('param').schedule_id);
      if (!deleted) throw notFound('Schedule');
      await rearm(c, workspaceId);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/schedules/{schedule_id}/run',
      tags,
      summary: 'Fire a schedule now: a run of its job, recorded as this schedule\'s (member); its next instant is unchanged',
      request: { params: scheduleId },
      responses: { 201: jsonResponse(Run, 'The queued run'), ...errorResponses },
    }),
    async (c) => {
      const { workspaceId } = c.get('auth');
      const runId = await schedulerFor(c.env, workspaceId).fireNow(workspaceId, c.req.valid('param').schedule_id);
      const run = runId ? await findRun(openDb(c.env.DB), workspaceId, runId) : undefined;
      if (!run) throw notFound('Schedule');
      return c.json(toRun(run), 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/schedules/{schedule_id}/fires',
      tags,
      summary: 'The instants a schedule fired at, newest first: the run each created, or why it was skipped',
      request: { params: scheduleId, query: pageQuery },
      responses: { 200: jsonResponse(z.array(ScheduleFire), 'A page of fires'), ...errorResponses },
    }),
    async (c) => {
      const db = openDb(c.env.DB);
      const id = c.req.valid('param').schedule_id;
      const { limit, cursor } = c.req.valid('query');
      if (!(await findSchedule(db, c.get('auth').workspaceId, id))) throw notFound('Schedule');
      const rows = await listFires(db, id, limit, decodeCursor(cursor));
      return c.json(paginate(c, rows, limit, (r) => ({ key: r.scheduledFor, id: r.id })).map(toScheduleFire), 200);
    },
  );
