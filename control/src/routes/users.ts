// /users/me: who the caller is and what they may do in the current workspace.
import { createRoute } from '@hono/zod-openapi';
import { errorResponses, jsonResponse } from '../contract/common.ts';
import { Me } from '../contract/users.ts';
import { openDb } from '../db/client.ts';
import { findUser } from '../db/users.ts';
import { notFound } from '../http/errors.ts';
import { createRouter } from '../http/router.ts';

export const usersRoutes = createRouter().openapi(
  createRoute({
    method: 'get',
    path: '/users/me',
    tags: ['Users'],
    summary: 'The calling user, with their effective role in the current workspace',
    responses: { 200: jsonResponse(Me, 'The calling user'), ...errorResponses },
  }),
  async (c) => {
    const { userId, workspaceId, role } = c.get('auth');
    const user = await findUser(openDb(c.env.DB), userId);
    if (!user) throw notFound('User');
    return c.json(
      { id: user.id, username: user.username, display_name: user.displayName, created_at: user.createdAt, role, workspace_id: workspaceId },
      200,
    );
  },
);
