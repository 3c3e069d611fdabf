// /credentials: encrypted secrets that runs receive as environment variables; reading never shows a value.
import { createRoute, z } from '@hono/zod-openapi';
import { requireRole } from '../auth/authenticate.ts';
import { loadConfig } from '../config.ts';
import { errorResponses, idParam, jsonBody, jsonResponse } from '../contract/common.ts';
import { Credential, CredentialCreate, CredentialUpdate } from '../contract/credentials.ts';
import { openDb } from '../db/client.ts';
import { deleteCredential, findCredential, insertCredential, listCredentials, toCredential, updateCredential, type CredentialFields } from '../db/credentials.ts';
import { ApiError, notFound } from '../http/errors.ts';
import { decodeCursor, pageQuery, paginate } from '../http/pagination.ts';
import { createRouter } from '../http/router.ts';

const tags = ['Credentials'];
const credId = idParam('cred_id', 'Credential id');

// The only unique index besides the id is (workspace, name), so any violation is a taken name.
const nameTaken = (name: string) =>
  new ApiError(409, 'conflict', `A credential named '${name}' already exists in this workspace`, [{ field: 'name', message: 'is already taken' }]);

export const credentialsRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/credentials',
      tags,
      summary: 'List credentials by name (values are never shown)',
      request: { query: pageQuery },
      responses: { 200: jsonResponse(z.array(Credential), 'A page of credentials; `Link: rel="next"` when more exist'), ...errorResponses },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const rows = await listCredentials(openDb(c.env.DB), c.get('auth').workspaceId, limit, decodeCursor(cursor));
      return c.json(paginate(c, rows, limit, (r) => ({ key: r.name, id: r.id })).map(toCredential), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/credentials',
      tags,
      summary: 'Store a credential, encrypted (admin)',
      middleware: [requireRole('admin')],
      request: jsonBody(CredentialCreate),
      responses: { 201: jsonResponse(Credential, 'The new credential, without its value'), ...errorResponses },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const { keyRing } = await loadConfig(c.env);
      const result = await insertCredential(openDb(c.env.DB), c.get('auth').workspaceId, {
        name: body.name,
        envVar: body.env_var,
        encryptedValue: await keyRing.encrypt(body.value),
        description: body.description ?? null,
      });
      if (!result.ok) throw nameTaken(body.name);
      return c.json(toCredential(result.row), 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/credentials/{cred_id}',
      tags,
      summary: 'Get a credential (without its value)',
      request: { params: credId },
      responses: { 200: jsonResponse(Credential, 'The credential'), ...errorResponses },
    }),
    async (c) => {
      const row = await findCredential(openDb(c.env.DB), c.get('auth').workspaceId, c.req.valid('param').cred_id);
      if (!row) throw notFound('Credential');
      return c.json(toCredential(row), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/credentials/{cred_id}',
      tags,
      summary: 'Update a credential (admin; only the non-null fields sent change)',
      description: 'Renaming a credential renames it in the `credential_ids` of the jobs and runs that name it, in the same transaction, so their next claims (retries, requeues, re-runs) find it.',
      middleware: [requireRole('admin')],
      request: { params: credId, ...jsonBody(CredentialUpdate) },
      responses: { 200: jsonResponse(Credential, 'The updated credential, without its value'), ...errorResponses },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const fields: Partial<CredentialFields> = {};
      if (body.name != null) fields.name = body.name;
      if (body.env_var != null) fields.envVar = body.env_var;
      if (body.description != null) fields.description = body.description;
      if (body.value != null) fields.encryptedValue = await (await loadConfig(c.env)).keyRing.encrypt(body.value);
      // A rename carries the jobs and runs that name the credential along.
      const result = await updateCredential(openDb(c.env.DB), c.get('auth').workspaceId, c.req.valid('param').cred_id, fields);
      if (!result) throw notFound('Credential');
      if (!result.ok) throw nameTaken(body.name ?? '');
      return c.json(toCredential(result.row), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/credentials/{cred_id}',
      tags,
      summary: 'Delete a credential (admin); runs that still name it fail when claimed',
      middleware: [requireRole('admin')],
      request: { params: credId },
      responses: { 204: { description: 'Deleted' }, ...errorResponses },
    }),
    async (c) => {
      const deleted = await deleteCredential(openDb(c.env.DB), c.get('auth').workspaceId, c.req.valid('param').cred_id);
      if (!deleted) throw notFound('Credential');
      return c.body(null, 204);
    },
  );
