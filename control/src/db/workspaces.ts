// Workspace queries: create (with its first owner), read, list a user's, rename, delete.
import { and, asc, eq, gt, or } from 'drizzle-orm';
import type { Workspace, WorkspaceCreate, WorkspaceUpdate } from '../contract/workspaces.ts';
import type { Cursor } from '../http/pagination.ts';
import type { Db } from './client.ts';
import { newId, nowIso } from './ids.ts';
import { workspaceMembers, workspaces } from './schema.ts';

export type WorkspaceRow = typeof workspaces.$inferSelect;

/** A write either succeeds or names the unique column that another row already holds. */
export type UniqueResult<T> = { ok: true; row: T } | { ok: false; taken: string };

export function toWorkspace(row: WorkspaceRow): Workspace {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    description: row.description,
    max_concurrent_runs: row.maxConcurrentRuns,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

/**
 * The column of a UNIQUE violation (`slug` for "UNIQUE constraint failed: workspaces.slug"), or
 * null for any other error. Drizzle wraps D1's error, so the whole cause chain is searched.
 */
export function violatedUniqueColumn(err: unknown): string | null {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const match = /UNIQUE constraint failed: \w+\.(\w+)/.exec(e.message);
    if (match?.[1]) return match[1];
  }
  return null;
}

/** `keyId` is the key that asked: one held to its own workspace may act in the workspaces it creates. */
export async function insertWorkspaceWithOwner(db: Db, body: WorkspaceCreate, ownerId: string, keyId: string): Promise<UniqueResult<WorkspaceRow>> {
  const now = nowIso();
  const id = newId();
  try {
    const [inserted] = await db.batch([
      db
        .insert(workspaces)
        .values({ id, name: body.name, slug: body.slug, description: body.description ?? null, maxConcurrentRuns: body.max_concurrent_runs ?? null, createdByKey: keyId, createdAt: now, updatedAt: now })
        .returning(),
      db.insert(workspaceMembers).values({ id: newId(), workspaceId: id, userId: ownerId, role: 'owner', createdAt: now, updatedAt: now }),
    ]);
    return { ok: true, row: inserted[0]! };
  } catch (err) {
    const taken = violatedUniqueColumn(err);
    if (taken) return { ok: false, taken };
    throw err;
  }
}

export async function findWorkspace(db: Db, id: string): Promise<WorkspaceRow | undefined> {
  return db.query.workspaces.findFirst({ where: eq(workspaces.id, id) });
}

/** The workspaces a user belongs to, by name; ties broken by id so pages never skip or repeat. */
/**
 * The user's workspaces by name. `heldTo` narrows them to what a key held to one workspace may see:
 * that workspace and those the key created, so such a key never learns of the user's others.
 */
export async function listWorkspacesOfUser(
  db: Db,
  userId: string,
  heldTo: { keyId: string; workspaceId: string } | null,
  limit: number,
  after: Cursor | null,
): Promise<WorkspaceRow[]> {
  const member = eq(workspaceMembers.userId, userId);
  const scope = heldTo ? and(member, or(eq(workspaces.id, heldTo.workspaceId), eq(workspaces.createdByKey, heldTo.keyId))) : member;
  const page = after ? or(gt(workspaces.name, after.key), and(eq(workspaces.name, after.key), gt(workspaces.id, after.id))) : undefined;
  const rows = await db
    .select({ workspace: workspaces })
    .from(workspaces)
    .innerJoin(workspaceMembers, eq(workspaceMembers.workspaceId, workspaces.id))
    .where(page ? and(scope, page) : scope)
    .orderBy(asc(workspaces.name), asc(workspaces.id))
    .limit(limit + 1);
  return rows.map((r) => r.workspace);
}

export async function updateWorkspace(db: Db, id: string, body: WorkspaceUpdate): Promise<UniqueResult<WorkspaceRow> | undefined> {
  const changes: Partial<WorkspaceRow> = { updatedAt: nowIso() };
  if (body.name !== undefined) changes.name = body.name;
  if (body.description !== undefined) changes.description = body.description;
  if (body.max_concurrent_runs !== undefined) changes.maxConcurrentRuns = body.max_concurrent_runs;
  try {
    const [row] = await db.update(workspaces).set(changes).where(eq(workspaces.id, id)).returning();
    return row && { ok: true, row };
  } catch (err) {
    const taken = violatedUniqueColumn(err);
    if (taken) return { ok: false, taken };
    throw err;
  }
}

/** Foreign keys cascade: the workspace's jobs, runs, credentials, members and keys go with it. */
export async function deleteWorkspace(db: Db, id: string): Promise<boolean> {
  const rows = await db.delete(workspaces).where(eq(workspaces.id, id)).returning({ id: workspaces.id });
  return rows.length > 0;
}
