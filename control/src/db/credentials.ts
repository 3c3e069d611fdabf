// Credential queries, all scoped to one workspace; values arrive and stay encrypted.
import { and, asc, eq, gt, or, sql, type SQL } from 'drizzle-orm';
import type { Credential } from '../contract/credentials.ts';
import type { Cursor } from '../http/pagination.ts';
import type { Db } from './client.ts';
import { newId, nowIso } from './ids.ts';
import { credentials, jobDefinitions, jobRuns } from './schema.ts';
import { violatedUniqueColumn, type UniqueResult } from './workspaces.ts';

type CredentialRow = typeof credentials.$inferSelect;

/** What a write may set; `encryptedValue` is a Fernet token, never the plaintext. */
export interface CredentialFields {
  name: string;
  envVar: string;
  encryptedValue: string;
  description: string | null;
}

/** The response form: everything but the encrypted value. */
export function toCredential(row: CredentialRow): Credential {
  return {
    id: row.id,
    workspace_id: row.workspaceId,
    name: row.name,
    env_var: row.envVar,
    description: row.description,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

/**
 * Drizzle's query errors quote every bound parameter, the ciphertext included, and the app's error
 * handler logs messages; this keeps only the database's own reason.
 */
function withoutParams(err: unknown): unknown {
  if (!(err instanceof Error) || !err.message.startsWith('Failed query:')) return err;
  const reason = err.cause instanceof Error ? err.cause.message : 'unknown database error';
  return new Error(`credential write failed: ${reason}`);
}

/** Runs a write whose only expected failure is the (workspace, name) unique index. */
async function uniqueWrite<T>(write: () => PromiseLike<T>): Promise<{ ok: true; value: T } | { ok: false; taken: string }> {
  try {
    return { ok: true, value: await write() };
  } catch (err) {
    const taken = violatedUniqueColumn(err);
    if (taken) return { ok: false, taken };
    throw withoutParams(err);
  }
}

export async function insertCredential(db: Db, workspaceId: string, fields: CredentialFields): Promise<UniqueResult<CredentialRow>> {
  const now = nowIso();
  const result = await uniqueWrite(() =>
    db
      .insert(credentials)
      .values({ id: newId(), workspaceId, ...fields, createdAt: now, updatedAt: now })
      .returning(),
  );
  return result.ok ? { ok: true, row: result.value[0]! } : result;
}

export async function findCredential(db: Db, workspaceId: string, id: string): Promise<CredentialRow | undefined> {
  return db.query.credentials.findFirst({ where: and(eq(credentials.workspaceId, workspaceId), eq(credentials.id, id)) });
}

/** By name, as the original; ties (impossible today, names are unique) broken by id so pages never skip. */
export async function listCredentials(db: Db, workspaceId: string, limit: number, after: Cursor | null): Promise<CredentialRow[]> {
  const scope = eq(credentials.workspaceId, workspaceId);
  const page = after ? or(gt(credentials.name, after.key), and(eq(credentials.name, after.key), gt(credentials.id, after.id))) : undefined;
  return db
    .select()
    .from(credentials)
    .where(page ? and(scope, page) : scope)
    .orderBy(asc(credentials.name), asc(credentials.id))
    .limit(limit + 1);
}

/**
 * Jobs and runs name their credentials by name, and a claim (a retry, a requeue, a re-run's) looks the
 * name up each time: a rename carries every one of them along. The old name is read in the same
 * batch, before the rename, so two renames at once cannot leave the references behind.
 */
function renameReferences(db: Db, workspaceId: string, id: string, to: string, now: string) {
  const from = sql`(SELECT name FROM credentials WHERE id = ${id} AND workspace_id = ${workspaceId})`;
  const renamed = (column: SQL) =>
    sql`(SELECT json_group_array(CASE WHEN n.value = ${from} THEN ${to} ELSE n.value END) FROM (SELECT value FROM json_each(${column}) ORDER BY key) n)`;
  const names = (column: SQL) => sql`${from} <> ${to} AND EXISTS (SELECT 1 FROM json_each(${column}) WHERE value = ${from})`;
  return [
    db
      .update(jobDefinitions)
      .set({ credentialIds: renamed(sql`${jobDefinitions.credentialIds}`), updatedAt: now })
      .where(and(eq(jobDefinitions.workspaceId, workspaceId), names(sql`${jobDefinitions.credentialIds}`))),
    db
      .update(jobRuns)
      .set({ credentialIds: renamed(sql`${jobRuns.credentialIds}`) })
      .where(and(eq(jobRuns.workspaceId, workspaceId), names(sql`${jobRuns.credentialIds}`))),
  ] as const;
}

/** Sets the fields given; undefined when the workspace has no such credential. */
export async function updateCredential(db: Db, workspaceId: string, id: string, fields: Partial<CredentialFields>): Promise<UniqueResult<CredentialRow> | undefined> {
  const now = nowIso();
  const changes: Partial<CredentialRow> = { updatedAt: now };
  if (fields.name !== undefined) changes.name = fields.name;
  if (fields.envVar !== undefined) changes.envVar = fields.envVar;
  if (fields.encryptedValue !== undefined) changes.encryptedValue = fields.encryptedValue;
  if (fields.description !== undefined) changes.description = fields.description;
  const update = db
    .update(credentials)
    .set(changes)
    .where(and(eq(credentials.workspaceId, workspaceId), eq(credentials.id, id)))
    .returning();
  // One batch: a name already taken fails the rename and leaves the references as they were.
  const result = await uniqueWrite(async () =>
    fields.name !== undefined ? (await db.batch([...renameReferences(db, workspaceId, id, fields.name, now), update]))[2] : await update,
  );
  if (!result.ok) return result;
  const row = result.value[0];
  return row && { ok: true, row };
}

export async function deleteCredential(db: Db, workspaceId: string, id: string): Promise<boolean> {
  const rows = await db
    .delete(credentials)
    .where(and(eq(credentials.workspaceId, workspaceId), eq(credentials.id, id)))
    .returning({ id: credentials.id });
  return rows.length > 0;
}
