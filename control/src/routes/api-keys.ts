// /api-keys: mint, list and revoke the keys of the current workspace (X-Workspace-ID).
import { createRoute, z } from '@hono/zod-openapi';
import { effectiveRole, hasRole, mayRevoke } from '../auth/roles.ts';
import { ApiKey, ApiKeyCreate, ApiKeyCreated } from '../contract/api-keys.ts';
import { errorResponses, idParam, jsonBody, jsonResponse } from '../contract/common.ts';
import { findApiKey, insertApiKey, listApiKeys, revokeApiKey, toApiKey } from '../db/apiKeys.ts';
import { openDb } from '../db/client.ts';
import { findMember } from '../db/members.ts';
import { forbidden, invalidField, notFound } from '../http/errors.ts';
import { decodeCursor, pageQuery, paginate } from '../http/pagination.ts';
import { createRouter } from '../http/router.ts';

const tags = ['API keys'];
const keyId = idParam('key_id', 'API key id');

export const apiKeysRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'post',
      path: '/api-keys',
      tags,
      summary: 'Create a key for yourself, or (admin) for another member; the key is shown only in this response',
      description:
        "The key's role may not exceed your own effective role, nor the role of the member it is for. Only admins and owners create `worker` keys, and a `worker` key stops working when its creator is no longer an admin or owner of the workspace. A `worker` key, a key created for someone else, and any key created with such a key work only in the current workspace (and in workspaces they create); a key you create for yourself with a key not so held works in every workspace you belong to, never above the key's role or your membership there.",
      request: jsonBody(ApiKeyCreate),
      responses: { 201: jsonResponse(ApiKeyCreated, 'The new key, with its plaintext `key`'), ...errorResponses },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const auth = c.get('auth');
      const db = openDb(c.env.DB);
      const userId = body.user_id ?? auth.userId;
      let ceiling = auth.role;
      if (userId !== auth.userId) {
        if (!hasRole(auth.role, 'admin')) throw forbidden('Only an admin may create keys for other members');
        const member = await findMember(db, auth.workspaceId, userId);
        if (!member) throw invalidField('user_id', 'is not a member of this workspace');
        // Capped by the caller too: the admin sees the plaintext, so it must not outrank them.
        ceiling = effectiveRole(auth.role, member.role);
      }
      // A worker key receives decrypted credentials with every claim: only admins hand those out.
      if (body.role === 'worker' && !hasRole(auth.role, 'admin')) throw forbidden(`Only an admin or owner may create worker keys; you are '${auth.role}'`);
      if (!hasRole(ceiling, body.role === 'worker' ? 'member' : body.role)) {
        throw forbidden(
          body.role === 'worker' ? `A worker key is for a member or above; the ceiling here is '${ceiling}'` : `A key's role may not exceed '${ceiling}' here; '${body.role}' was asked for`,
        );
      }
      // Whoever sees the plaintext must not be able to act as that user elsewhere, so a key for someone
      // else, and every key made with such a key, is held to this workspace.
      const workspaceOnly = body.role === 'worker' || userId !== auth.userId || auth.keyHome !== null;
      const { row, key } = await insertApiKey(db, { name: body.name, role: body.role, userId, workspaceId: auth.workspaceId, createdBy: auth.userId, workspaceOnly });
      return c.json({ ...toApiKey(row), key }, 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/api-keys',
      tags,
      summary: "List keys, newest first: admins see the workspace's, others their own (never the key itself)",
      request: { query: pageQuery },
      responses: { 200: jsonResponse(z.array(ApiKey), 'A page of keys; `Link: rel="next"` when more exist'), ...errorResponses },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const auth = c.get('auth');
      const owner = hasRole(auth.role, 'admin') ? null : auth.userId;
      const rows = await listApiKeys(openDb(c.env.DB), auth.workspaceId, owner, limit, decodeCursor(cursor));
      return c.json(paginate(c, rows, limit, (r) => ({ key: r.createdAt, id: r.id })).map(toApiKey), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/api-keys/{key_id}',
      tags,
      summary: 'Revoke a key (your own, or any in the workspace as admin); it stops working at once',
      description:
        'A key may always revoke itself. Any other key it may revoke only if that key does not outrank it: a `viewer` key revokes no `member` or `admin` key, even of the same user, and only admins and owners revoke `worker` keys (as only they create them).',
      request: { params: keyId },
      responses: { 204: { description: 'Revoked' }, ...errorResponses },
    }),
    async (c) => {
      const auth = c.get('auth');
      const db = openDb(c.env.DB);
      const id = c.req.valid('param').key_id;
      const row = await findApiKey(db, auth.workspaceId, id);
      // Someone else's key is as invisible here as it is in the list.
      if (!row || (row.userId !== auth.userId && !hasRole(auth.role, 'admin'))) throw notFound('API key');
      // A leaked weaker key must not be able to lock out the stronger keys, or stop the fleet.
      if (row.id !== auth.keyId && !mayRevoke(auth.role, row.role)) {
        const which = row.role === 'worker' ? "only an admin or owner may revoke a 'worker' key" : `only a key of role '${row.role}' or above may revoke a '${row.role}' key`;
        throw forbidden(`A key acting as '${auth.role}' may not revoke this key: ${which}`);
      }
      await revokeApiKey(db, auth.workspaceId, id);
      return c.body(null, 204);
    },
  );
