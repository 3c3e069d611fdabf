// Workspace membership queries: list, add (creating the user if new), change role, remove.
import { and, asc, eq, gt, isNull, ne, or, sql } from 'drizzle-orm';
import type { MemberRole } from '../auth/roles.ts';
import type { Member } from '../contract/workspaces.ts';
import type { Cursor } from '../http/pagination.ts';
import type { Db } from './client.ts';
import { newId, nowIso } from './ids.ts';
import { apiKeys, users, workspaceMembers } from './schema.ts';
import { violatedUniqueColumn, type UniqueResult } from './workspaces.ts';

export interface MemberRow {
  id: string;
  workspaceId: string;
  userId: string;
  role: MemberRole;
  username: string;
  displayName: string | null;
  createdAt: string;
}

export function toMember(row: MemberRow): Member {
  return {
    id: row.id,
    workspace_id: row.workspaceId,
    user_id: row.userId,
    role: row.role,
    username: row.username,
    display_name: row.displayName,
    created_at: row.createdAt,
  };
}

const memberColumns = {
  id: workspaceMembers.id,
  workspaceId: workspaceMembers.workspaceId,
  userId: workspaceMembers.userId,
  role: workspaceMembers.role,
  username: users.username,
  displayName: users.displayName,
  createdAt: workspaceMembers.createdAt,
};

/** Oldest membership first, as the original; ties broken by id. */
export async function listMembers(db: Db, workspaceId: string, limit: number, after: Cursor | null): Promise<MemberRow[]> {
  const scope = eq(workspaceMembers.workspaceId, workspaceId);
  const page = after
    ? or(gt(workspaceMembers.createdAt, after.key), and(eq(workspaceMembers.createdAt, after.key), gt(workspaceMembers.id, after.id)))
    : undefined;
  return db
    .select(memberColumns)
    .from(workspaceMembers)
    .innerJoin(users, eq(users.id, workspaceMembers.userId))
    .where(page ? and(scope, page) : scope)
    .orderBy(asc(workspaceMembers.createdAt), asc(workspaceMembers.id))
    .limit(limit + 1);
}

export async function findMember(db: Db, workspaceId: string, userId: string): Promise<MemberRow | undefined> {
  const [row] = await db
    .select(memberColumns)
    .from(workspaceMembers)
    .innerJoin(users, eq(users.id, workspaceMembers.userId))
    .where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId)));
  return row;
}

/** Adds an existing user; undefined when they are already a member. */
export async function addMember(db: Db, workspaceId: string, userId: string, role: MemberRole): Promise<MemberRow | undefined> {
  const now = nowIso();
  const inserted = await db
    .insert(workspaceMembers)
    .values({ id: newId(), workspaceId, userId, role, createdAt: now, updatedAt: now })
    .onConflictDoNothing()
    .returning({ id: workspaceMembers.id });
  return inserted.length > 0 ? findMember(db, workspaceId, userId) : undefined;
}

/** Creates the user and the membership together, so a failure leaves neither behind. */
export async function addNewUserAsMember(
  db: Db,
  workspaceId: string,
  user: { username: string; displayName: string | null },
  role: MemberRole,
): Promise<UniqueResult<MemberRow>> {
  const now = nowIso();
  const userId = newId();
  try {
    await db.batch([
      db.insert(users).values({ id: userId, username: user.username, displayName: user.displayName, createdAt: now, updatedAt: now }),
      db.insert(workspaceMembers).values({ id: newId(), workspaceId, userId, role, createdAt: now, updatedAt: now }),
    ]);
  } catch (err) {
    const taken = violatedUniqueColumn(err);
    if (taken) return { ok: false, taken };
    throw err;
  }
  const row = await findMember(db, workspaceId, userId);
  return { ok: true, row: row! };
}

// Part of the same statement as the change it guards, so two concurrent demotions can't both pass.
const anotherOwnerRemains = (workspaceId: string) =>
  sql`(SELECT count(*) FROM ${workspaceMembers} WHERE ${workspaceMembers.workspaceId} = ${workspaceId} AND ${workspaceMembers.role} = 'owner') > 1`;

export type MemberChange = { ok: true; row: MemberRow } | { ok: false; reason: 'not_found' | 'last_owner' };

export async function setMemberRole(db: Db, workspaceId: string, userId: string, role: MemberRole): Promise<MemberChange> {
  const keepsAnOwner = role === 'owner' ? undefined : or(ne(workspaceMembers.role, 'owner'), anotherOwnerRemains(workspaceId));
  const updated = await db
    .update(workspaceMembers)
    .set({ role, updatedAt: nowIso() })
    .where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId), keepsAnOwner))
    .returning({ id: workspaceMembers.id });
  const row = await findMember(db, workspaceId, userId);
  if (!row) return { ok: false, reason: 'not_found' };
  return updated.length > 0 ? { ok: true, row } : { ok: false, reason: 'last_owner' };
}

/**
 * Removes the membership and revokes the user's keys for the workspace, so re-adding them later
 * does not bring old keys back to life.
 */
export async function removeMember(db: Db, workspaceId: string, userId: string): Promise<'removed' | 'not_found' | 'last_owner'> {
  const now = nowIso();
  const [deleted] = await db.batch([
    db
      .delete(workspaceMembers)
      .where(
        and(
          eq(workspaceMembers.workspaceId, workspaceId),
          eq(workspaceMembers.userId, userId),
          or(ne(workspaceMembers.role, 'owner'), anotherOwnerRemains(workspaceId)),
        ),
      )
      .returning({ id: workspaceMembers.id }),
    db
      .update(apiKeys)
      .set({ revokedAt: now, updatedAt: now })
      .where(
        and(
          eq(apiKeys.workspaceId, workspaceId),
          eq(apiKeys.userId, userId),
          isNull(apiKeys.revokedAt),
          sql`NOT EXISTS (SELECT 1 FROM ${workspaceMembers} WHERE ${workspaceMembers.workspaceId} = ${workspaceId} AND ${workspaceMembers.userId} = ${userId})`,
        ),
      ),
  ]);
  if (deleted.length > 0) return 'removed';
  return (await findMember(db, workspaceId, userId)) ? 'last_owner' : 'not_found';
}
