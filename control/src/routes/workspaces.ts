// /workspaces: the caller's workspaces, each workspace's settings, and its members.
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { resolveCaller } from '../auth/authenticate.ts';
import { hasRole, type EffectiveRole, type MemberRole } from '../auth/roles.ts';
import { errorResponses, idParam, jsonBody, jsonResponse } from '../contract/common.ts';
import { Member, MemberCreate, MemberUpdate, Workspace, WorkspaceCreate, WorkspaceUpdate } from '../contract/workspaces.ts';
import { openDb } from '../db/client.ts';
import { addMember, addNewUserAsMember, findMember, listMembers, removeMember, setMemberRole, toMember } from '../db/members.ts';
import { findUser, findUserByUsername } from '../db/users.ts';
import {
  deleteWorkspace,
  findWorkspace,
  insertWorkspaceWithOwner,
  listWorkspacesOfUser,
  toWorkspace,
  updateWorkspace,
} from '../db/workspaces.ts';
import type { AppEnv } from '../env.ts';
import { ApiError, conflict, forbidden, invalidField, notFound } from '../http/errors.ts';
import { decodeCursor, pageQuery, paginate } from '../http/pagination.ts';
import { createRouter } from '../http/router.ts';

const tags = ['Workspaces'];
const workspacePath = idParam('workspace_id', 'Workspace id');
const memberPath = workspacePath.extend(idParam('user_id', 'User id of the member').shape);
const DEFAULT_WORKSPACE_ID = 'default';

const taken = (what: string, field: string) =>
  new ApiError(409, 'conflict', `A ${what} with this ${field} already exists`, [{ field, message: 'is already taken' }]);

/**
 * The caller's role in the workspace a path names, which may differ from X-Workspace-ID. It is
 * resolved exactly as authentication would for that workspace (key binding, membership, the key's
 * role cap); a caller who may not act there gets 404, as if the workspace did not exist, and a
 * member whose role is too low gets 403.
 */
async function authorizeInWorkspace(c: Context<AppEnv>, workspaceId: string, needed: MemberRole): Promise<EffectiveRole> {
  const auth = c.get('auth');
  let role = auth.role;
  if (workspaceId !== auth.workspaceId) {
    // authenticate has already accepted this header, so the token is there and well-formed.
    const token = /^Bearer\s+(\S+)/i.exec(c.req.header('Authorization') ?? '')?.[1] ?? '';
    try {
      role = (await resolveCaller(c.env, token, workspaceId)).role;
    } catch (err) {
      if (err instanceof ApiError && err.status === 403) throw notFound('Workspace');
      throw err;
    }
  }
  if (!hasRole(role, needed)) {
    throw forbidden(`This action needs the '${needed}' role in workspace '${workspaceId}'; you are '${role}'`);
  }
  return role;
}

export const workspacesRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/workspaces',
      tags,
      summary: 'List the workspaces you are a member of, by name',
      request: { query: pageQuery },
      responses: { 200: jsonResponse(z.array(Workspace), 'A page of workspaces; `Link: rel="next"` when more exist'), ...errorResponses },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const auth = c.get('auth');
      const heldTo = auth.keyHome === null ? null : { keyId: auth.keyId, workspaceId: auth.keyHome };
      const rows = await listWorkspacesOfUser(openDb(c.env.DB), auth.userId, heldTo, limit, decodeCursor(cursor));
      return c.json(paginate(c, rows, limit, (r) => ({ key: r.name, id: r.id })).map(toWorkspace), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/workspaces',
      tags,
      summary: 'Create a workspace; you become its owner',
      request: jsonBody(WorkspaceCreate),
      responses: { 201: jsonResponse(Workspace, 'The new workspace'), ...errorResponses },
    }),
    async (c) => {
      const result = await insertWorkspaceWithOwner(openDb(c.env.DB), c.req.valid('json'), c.get('auth').userId, c.get('auth').keyId);
      if (!result.ok) throw taken('workspace', result.taken);
      return c.json(toWorkspace(result.row), 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/workspaces/{workspace_id}',
      tags,
      summary: 'Get a workspace you are a member of',
      request: { params: workspacePath },
      responses: { 200: jsonResponse(Workspace, 'The workspace'), ...errorResponses },
    }),
    async (c) => {
      const id = c.req.valid('param').workspace_id;
      await authorizeInWorkspace(c, id, 'viewer');
      const row = await findWorkspace(openDb(c.env.DB), id);
      if (!row) throw notFound('Workspace');
      return c.json(toWorkspace(row), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/workspaces/{workspace_id}',
      tags,
      summary: "Rename a workspace, change its description or its limit of concurrent runs (admin); the slug and id don't change",
      request: { params: workspacePath, ...jsonBody(WorkspaceUpdate) },
      responses: { 200: jsonResponse(Workspace, 'The updated workspace'), ...errorResponses },
    }),
    async (c) => {
      const id = c.req.valid('param').workspace_id;
      await authorizeInWorkspace(c, id, 'admin');
      const result = await updateWorkspace(openDb(c.env.DB), id, c.req.valid('json'));
      if (!result) throw notFound('Workspace');
      if (!result.ok) throw taken('workspace', result.taken);
      return c.json(toWorkspace(result.row), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/workspaces/{workspace_id}',
      tags,
      summary: 'Delete a workspace and everything in it (owner; not the default workspace)',
      request: { params: workspacePath },
      responses: { 204: { description: 'Deleted' }, ...errorResponses },
    }),
    async (c) => {
      const id = c.req.valid('param').workspace_id;
      await authorizeInWorkspace(c, id, 'owner');
      // The bootstrap key and every fresh install depend on it.
      if (id === DEFAULT_WORKSPACE_ID) throw conflict('The default workspace cannot be deleted');
      if (!(await deleteWorkspace(openDb(c.env.DB), id))) throw notFound('Workspace');
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/workspaces/{workspace_id}/members',
      tags,
      summary: 'List the members of a workspace, oldest membership first',
      request: { params: workspacePath, query: pageQuery },
      responses: { 200: jsonResponse(z.array(Member), 'A page of members; `Link: rel="next"` when more exist'), ...errorResponses },
    }),
    async (c) => {
      const id = c.req.valid('param').workspace_id;
      const { limit, cursor } = c.req.valid('query');
      await authorizeInWorkspace(c, id, 'viewer');
      const rows = await listMembers(openDb(c.env.DB), id, limit, decodeCursor(cursor));
      return c.json(paginate(c, rows, limit, (r) => ({ key: r.createdAt, id: r.id })).map(toMember), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/workspaces/{workspace_id}/members',
      tags,
      summary: 'Add a member (admin; only an owner may add an owner). A new username creates the user.',
      request: { params: workspacePath, ...jsonBody(MemberCreate) },
      responses: { 201: jsonResponse(Member, 'The new membership'), ...errorResponses },
    }),
    async (c) => {
      const id = c.req.valid('param').workspace_id;
      const body = c.req.valid('json');
      const callerRole = await authorizeInWorkspace(c, id, 'admin');
      if (body.role === 'owner' && callerRole !== 'owner') throw forbidden('Only an owner may make someone an owner');
      const db = openDb(c.env.DB);
      const user = body.user_id !== undefined ? await findUser(db, body.user_id) : await findUserByUsername(db, body.username!);
      if (!user && body.user_id !== undefined) throw invalidField('user_id', 'no user has this id');
      if (!user) {
        const result = await addNewUserAsMember(db, id, { username: body.username!, displayName: body.display_name ?? null }, body.role);
        if (!result.ok) throw taken('user', result.taken);
        return c.json(toMember(result.row), 201);
      }
      const row = await addMember(db, id, user.id, body.role);
      if (!row) throw conflict(`'${user.username}' is already a member of this workspace`);
      return c.json(toMember(row), 201);
    },
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/workspaces/{workspace_id}/members/{user_id}',
      tags,
      summary: "Change a member's role (admin; only an owner may grant or take away owner; the last owner stays)",
      request: { params: memberPath, ...jsonBody(MemberUpdate) },
      responses: { 200: jsonResponse(Member, 'The updated membership'), ...errorResponses },
    }),
    async (c) => {
      const { workspace_id: id, user_id: userId } = c.req.valid('param');
      const { role } = c.req.valid('json');
      const callerRole = await authorizeInWorkspace(c, id, 'admin');
      const db = openDb(c.env.DB);
      const target = await findMember(db, id, userId);
      if (!target) throw notFound('Member');
      if ((role === 'owner' || target.role === 'owner') && callerRole !== 'owner') {
        throw forbidden('Only an owner may grant or take away the owner role');
      }
      const result = await setMemberRole(db, id, userId, role);
      if (!result.ok) throw result.reason === 'not_found' ? notFound('Member') : conflict('A workspace must keep at least one owner');
      return c.json(toMember(result.row), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/workspaces/{workspace_id}/members/{user_id}',
      tags,
      summary: 'Remove a member and revoke their keys for the workspace (admin, or yourself; the last owner stays)',
      request: { params: memberPath },
      responses: { 204: { description: 'Removed' }, ...errorResponses },
    }),
    async (c) => {
      const { workspace_id: id, user_id: userId } = c.req.valid('param');
      const leaving = userId === c.get('auth').userId;
      const callerRole = await authorizeInWorkspace(c, id, leaving ? 'viewer' : 'admin');
      const db = openDb(c.env.DB);
      const target = await findMember(db, id, userId);
      if (!target) throw notFound('Member');
      if (target.role === 'owner' && callerRole !== 'owner') throw forbidden('Only an owner may remove an owner');
      const outcome = await removeMember(db, id, userId);
      if (outcome === 'not_found') throw notFound('Member');
      if (outcome === 'last_owner') throw conflict('A workspace must keep at least one owner');
      return c.body(null, 204);
    },
  );
