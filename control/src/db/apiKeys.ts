// API key queries: mint (returning the plaintext once), list, find and revoke, per workspace.
import { and, desc, eq, lt, or, sql } from 'drizzle-orm';
import type { KeyRole } from '../auth/roles.ts';
import type { ApiKey } from '../contract/api-keys.ts';
import type { Cursor } from '../http/pagination.ts';
import type { Db } from './client.ts';
import { newId, nowIso, sha256Hex } from './ids.ts';
import { apiKeys } from './schema.ts';

export type ApiKeyRow = typeof apiKeys.$inferSelect;

const KEY_PREFIX = 'fc_';
const KEY_RANDOM_BYTES = 32;
/** 'fc_' plus 8 characters: enough to tell keys apart in a list, far too little to guess the rest. */
const SHOWN_PREFIX_LENGTH = 11;

export function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    role: row.role,
    user_id: row.userId,
    workspace_id: row.workspaceId,
    created_by: row.createdBy,
    workspace_only: row.workspaceOnly,
    created_at: row.createdAt,
    last_used_at: row.lastUsedAt,
    revoked_at: row.revokedAt,
  };
}

function base64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

export function generateKey(): string {
  return KEY_PREFIX + base64Url(crypto.getRandomValues(new Uint8Array(KEY_RANDOM_BYTES)));
}

/** Stores only the key's hash; the plaintext in the result is the one and only copy. */
export async function insertApiKey(
  db: Db,
  fields: { name: string; role: KeyRole; userId: string; workspaceId: string; createdBy: string; workspaceOnly: boolean },
): Promise<{ row: ApiKeyRow; key: string }> {
  const key = generateKey();
  const now = nowIso();
  const [row] = await db
    .insert(apiKeys)
    .values({
      id: newId(),
      name: fields.name,
      keyHash: await sha256Hex(key),
      prefix: key.slice(0, SHOWN_PREFIX_LENGTH),
      role: fields.role,
      userId: fields.userId,
      workspaceId: fields.workspaceId,
      createdBy: fields.createdBy,
      workspaceOnly: fields.workspaceOnly,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return { row: row!, key };
}

/** Newest first; `userId` narrows the list to one user's keys. */
export async function listApiKeys(db: Db, workspaceId: string, userId: string | null, limit: number, after: Cursor | null): Promise<ApiKeyRow[]> {
  const scope = and(eq(apiKeys.workspaceId, workspaceId), userId === null ? undefined : eq(apiKeys.userId, userId));
  const page = after ? or(lt(apiKeys.createdAt, after.key), and(eq(apiKeys.createdAt, after.key), lt(apiKeys.id, after.id))) : undefined;
  return db
    .select()
    .from(apiKeys)
    .where(page ? and(scope, page) : scope)
    .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
    .limit(limit + 1);
}

export async function findApiKey(db: Db, workspaceId: string, id: string): Promise<ApiKeyRow | undefined> {
  return db.query.apiKeys.findFirst({ where: and(eq(apiKeys.workspaceId, workspaceId), eq(apiKeys.id, id)) });
}

/** Idempotent: revoking a revoked key keeps its original revocation time. */
export async function revokeApiKey(db: Db, workspaceId: string, id: string): Promise<ApiKeyRow | undefined> {
  const now = nowIso();
  const [row] = await db
    .update(apiKeys)
    .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, ${now})`, updatedAt: now })
    .where(and(eq(apiKeys.workspaceId, workspaceId), eq(apiKeys.id, id)))
    .returning();
  return row;
}
