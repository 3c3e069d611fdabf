// /jobs: job definitions CRUD and POST /jobs/{job_id}/run.
import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, idParam, jsonBody, jsonResponse } from '../contract/common.ts';
import { Job, JobCreate, JobUpdate } from '../contract/jobs.ts';
import { Run } from '../contract/runs.ts';
import { openDb } from '../db/client.ts';
import { deleteJob, findJob, insertJob, listJobs, toJob, updateJob } from '../db/jobs.ts';
import { missingCredentialNames } from '../db/missingCredentials.ts';
import { insertRunFromJob, toRun } from '../db/runs.ts';
import { invalidField, notFound } from '../http/errors.ts';
import { decodeCursor, pageQuery, paginate } from '../http/pagination.ts';
import { createRouter } from '../http/router.ts';
import { wakeClaimers } from '../queue/notify.ts';
import type { Db } from '../db/client.ts';

const tags = ['Jobs'];
const jobId = idParam('job_id', 'Job id');

async function checkCredentials(db: Db, workspaceId: string, names: readonly string[] | undefined) {
  if (!names?.length) return;
  const missing = await missingCredentialNames(db, workspaceId, names);
  if (missing.length > 0) throw invalidField('credential_ids', `no credential named ${missing.map((n) => `'${n}'`).join(', ')} in this workspace`);
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
      const rows = await listJobs(openDb(c.env.DB), c.get('auth').workspaceId, limit, decodeCursor(cursor));
      return c.json(paginate(c, rows, limit, (r) => ({ key: r.createdAt, id: r.id })).map(toJob), 200);
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
      await checkCredentials(db, workspaceId, body.credential_ids);
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
      return c.json(toJob(row), 200);
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
      await checkCredentials(db, workspaceId, body.credential_ids);
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
      const deleted = await deleteJob(openDb(c.env.DB), c.get('auth').workspaceId, c.req.valid('param').job_id);
      if (!deleted) throw notFound('Job');
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
      const run = await insertRunFromJob(db, job);
      // The run is queued either way; parked workers are woken without the caller waiting for the Dispatcher.
      c.executionCtx.waitUntil(wakeClaimers(c.env, job.workspaceId));
      return c.json(toRun(run), 201);
    },
  );

