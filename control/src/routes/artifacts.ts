// Run artifacts: workers upload files under their lease into R2; members list and download them.
import { createRoute, z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import { loadConfig } from '../config.ts';
import { Artifact, ArtifactUpload } from '../contract/artifacts.ts';
import { errorResponses, idParam, jsonResponse } from '../contract/common.ts';
import { leaseHeader } from '../contract/worker.ts';
import { countArtifacts, findArtifact, insertArtifact, listArtifacts, toArtifact } from '../db/artifacts.ts';
import { download } from '../http/downloads.ts';
import { decodeCursor, pageQuery, paginate } from '../http/pagination.ts';
import { MAX_ARTIFACTS_PER_RUN } from '../limits.ts';
import { openDb } from '../db/client.ts';
import { newId } from '../db/ids.ts';
import { findRun } from '../db/runs.ts';
import type { AppEnv } from '../env.ts';
import { ApiError, notFound } from '../http/errors.ts';
import { createRouter } from '../http/router.ts';
import { notHolder, runContext } from '../http/run-context.ts';
import { checkLease } from '../queue/transitions.ts';

const tags = ['Artifacts'];
const runId = idParam('run_id', 'Run id');

/** Uploads have their own, larger limit than JSON bodies (see app.ts). */
export const limitArtifact = createMiddleware<AppEnv>(async function limitArtifact(c, next) {
  const { maxArtifactBytes } = await loadConfig(c.env);
  return bodyLimit({
    maxSize: maxArtifactBytes,
    onError: () => {
      throw new ApiError(413, 'payload_too_large', `Artifact exceeds ${maxArtifactBytes} bytes`);
    },
  })(c, next);
});

/** Keeps only the last path segment and printable characters, so a name can't climb out of its folder. */
export function safeFilename(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[\u0000-\u001f\u007f"]/g, '').trim().slice(0, 255);
  return clean === '' || clean === '.' || clean === '..' ? 'unnamed' : clean;
}

function hex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export const artifactRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'post',
      path: '/workers/runs/{run_id}/artifacts',
      tags,
      summary: 'Upload a file produced by a run (multipart field `file`)',
      request: {
        params: runId,
        headers: leaseHeader,
        body: { required: true, content: { 'multipart/form-data': { schema: ArtifactUpload } } },
      },
      responses: { 201: jsonResponse(Artifact, 'The stored artifact'), ...errorResponses },
    }),
    async (c) => {
      const { workspaceId, keyId } = c.get('auth');
      const id = c.req.valid('param').run_id;
      const token = c.req.valid('header')['x-lease-token'];
      const fence = token ? { token } : { keyId, workerId: null };
      if (!(await checkLease(runContext(c), workspaceId, id, fence))) throw notHolder(fence);
      if ((await countArtifacts(openDb(c.env.DB), id)) >= MAX_ARTIFACTS_PER_RUN) {
        throw new ApiError(429, 'too_many_artifacts', `A run keeps at most ${MAX_ARTIFACTS_PER_RUN} artifacts`);
      }
      const file = c.req.valid('form').file;
      const bytes = await file.arrayBuffer();
      const artifactId = newId();
      const filename = safeFilename(file.name);
      const contentType = file.type || 'application/octet-stream';
      const storageKey = `${workspaceId}/${id}/${artifactId}/${filename}`;
      await c.env.ARTIFACTS.put(storageKey, bytes, { httpMetadata: { contentType } });
      const row = await insertArtifact(openDb(c.env.DB), {
        id: artifactId,
        workspaceId,
        runId: id,
        filename,
        contentType,
        sizeBytes: bytes.byteLength,
        checksumSha256: hex(await crypto.subtle.digest('SHA-256', bytes)),
        storageKey,
      });
      return c.json(toArtifact(row), 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/runs/{run_id}/artifacts',
      tags,
      summary: 'List a run\'s artifacts, oldest first',
      request: { params: runId, query: pageQuery },
      responses: { 200: jsonResponse(z.array(Artifact), 'A page of the run\'s artifacts; `Link: rel="next"` when more exist'), ...errorResponses },
    }),
    async (c) => {
      const db = openDb(c.env.DB);
      const { workspaceId } = c.get('auth');
      const id = c.req.valid('param').run_id;
      const { limit, cursor } = c.req.valid('query');
      if (!(await findRun(db, workspaceId, id))) throw notFound('Run');
      const rows = await listArtifacts(db, workspaceId, id, limit, decodeCursor(cursor));
      return c.json(paginate(c, rows, limit, (r) => ({ key: r.createdAt, id: r.id })).map(toArtifact), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/runs/{run_id}/artifacts/{artifact_id}',
      tags,
      summary: 'Download an artifact\'s bytes',
      request: { params: runId.merge(idParam('artifact_id', 'Artifact id')) },
      responses: {
        200: { description: 'The file, as an attachment', content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { run_id, artifact_id } = c.req.valid('param');
      const row = await findArtifact(openDb(c.env.DB), c.get('auth').workspaceId, run_id, artifact_id);
      const object = row ? await c.env.ARTIFACTS.get(row.storageKey) : null;
      if (!row || !object) throw notFound('Artifact');
      return download(object.body as ReadableStream, { filename: row.filename, contentType: row.contentType, sizeBytes: row.sizeBytes, checksumSha256: row.checksumSha256 });
    },
  );
