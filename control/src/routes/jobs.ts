// /jobs: job definitions CRUD and POST /jobs/{job_id}/run.
import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, idParam, jsonBody, jsonResponse } from '../contract/common.ts';
import { Job, JobCreate, JobUpdate } from '../contract/jobs.ts';
import { Run } from '../contract/runs.ts';
import { openDb } from '../db/client.ts';
import { deleteJob, findJob, insertJob, listJobs, toJob, updateJob } from '../db/jobs.ts';
import { unknownNames } from '../db/references.ts';
import { toRun } from '../db/runs.ts';
import { invalidField, notFound } from '../http/errors.ts';
import { decodeCursor, pageQuery, paginate } from '../http/pagination.ts';
import { shownTo } from '../http/redact.ts';
import { createRouter } from '../http/router.ts';
import { runContext } from '../http/run-context.ts';
import { schedulerFor } from '../queue/notify.ts';
import { enqueueJobRun } from '../queue/transitions.ts';
import type { Db } from '../db/client.ts';

const tags = ['Jobs'];
const jobId = idParam('job_id', 'Job id');

/** The credentials and skills a job names must exist when it is saved. */
async function checkNames(db: Db, workspaceId: string, body: { credential_ids?: string[] | undefined; skill_ids?: string[] | null | undefined }) {
  const unknown = await unknownNames(db, workspaceId, body);
  if (unknown) throw invalidField(unknown.field, unknown.detail);
}

export const jobRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/jobs',
      tags,
      summary: 'List jobs, newest first',
      request: { query: pageQuery },
      responses: { 200: jsonResponse(z.array(Job), 'A page of jobs; `Link: rel="next"` when more exist'), ...errorResponses },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const { workspaceId, role } = c.get('auth');
      const rows = await listJobs(openDb(c.env.DB), workspaceId, limit, decodeCursor(cursor));
      return c.json(paginate(c, rows, limit, (r) => ({ key: r.createdAt, id: r.id })).map((r) => shownTo(role, toJob(r))), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/jobs',
      tags,
      summary: 'Create a job',
      request: jsonBody(JobCreate),
      responses: { 201: jsonResponse(Job, 'The new job'), ...errorResponses },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const db = openDb(c.env.DB);
      const { workspaceId } = c.get('auth');
      await checkNames(db, workspaceId, body);
      return c.json(toJob(await insertJob(db, workspaceId, body)), 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/jobs/{job_id}',
      tags,
      summary: 'Get a job',
      request: { params: jobId },
      responses: { 200: jsonResponse(Job, 'The job'), ...errorResponses },
    }),
    async (c) => {
      const row = await findJob(openDb(c.env.DB), c.get('auth').workspaceId, c.req.valid('param').job_id);
      if (!row) throw notFound('Job');
      return c.json(shownTo(c.get('auth').role, toJob(row)), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/jobs/{job_id}',
      tags,
      summary: 'Update a job (only the fields sent change)',
      request: { params: jobId, ...jsonBody(JobUpdate) },
      responses: { 200: jsonResponse(Job, 'The updated job'), ...errorResponses },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const db = openDb(c.env.DB);
      const { workspaceId } = c.get('auth');
      const id = c.req.valid('param').job_id;
      if (!(await findJob(db, workspaceId, id))) throw notFound('Job');
      await checkNames(db, workspaceId, body);
      const row = await updateJob(db, workspaceId, id, body);
      if (!row) throw notFound('Job');
      return c.json(toJob(row), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/jobs/{job_id}',
      tags,
      summary: 'Delete a job (its runs are kept; its schedules go with it)',
      request: { params: jobId },
      responses: { 204: { description: 'Deleted' }, ...errorResponses },
    }),
    async (c) => {
      const { workspaceId } = c.get('auth');
      const deleted = await deleteJob(openDb(c.env.DB), workspaceId, c.req.valid('param').job_id);
      if (!deleted) throw notFound('Job');
      // Its schedules went with it: the Scheduler's alarm must not stay set for them.
      await schedulerFor(c.env, workspaceId).arm(workspaceId);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/jobs/{job_id}/run',
      tags,
      summary: "Queue a run of the job, snapshotting the job's current settings",
      request: { params: jobId },
      responses: { 201: jsonResponse(Run, 'The queued run'), ...errorResponses },
    }),
    async (c) => {
      const db = openDb(c.env.DB);
      const job = await findJob(db, c.get('auth').workspaceId, c.req.valid('param').job_id);
      if (!job) throw notFound('Job');
      const run = await enqueueJobRun(runContext(c), job);
      return c.json(toRun(run), 201);
    },
  );

