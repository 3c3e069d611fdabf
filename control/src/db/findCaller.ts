// Resolves an API key hash (or the bootstrap admin) to its user and membership in one workspace.
import type { KeyRole, MemberRole } from '../auth/roles.ts';

export interface CallerRow {
  keyId: string;
  keyRole: KeyRole;
  keyWorkspaceId: string | null;
  revoked: boolean;
  userId: string;
  memberRole: MemberRole | null;
  /** Whether `last_used_at` is a minute old (or unset), so this use should be recorded. */
  due: boolean;
}

export async function findCallerByKeyHash(d1: D1Database, keyHash: string, workspaceId: string): Promise<CallerRow | null> {
  const row = await d1
    .prepare(
      `SELECT k.id AS keyId, k.role AS keyRole, k.workspace_id AS keyWorkspaceId, k.revoked_at IS NOT NULL AS revoked,
              k.user_id AS userId, m.role AS memberRole,
              (k.last_used_at IS NULL OR k.last_used_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-60 seconds')) AS due
         FROM api_keys k
         LEFT JOIN workspace_members m ON m.user_id = k.user_id AND m.workspace_id = ?1
        WHERE k.key_hash = ?2`,
    )
    .bind(workspaceId, keyHash)
    .first<Omit<CallerRow, 'revoked' | 'due'> & { revoked: number; due: number }>();
  return row ? { ...row, revoked: row.revoked === 1, due: row.due === 1 } : null;
}

export async function findMemberRole(d1: D1Database, userId: string, workspaceId: string): Promise<MemberRole | null> {
  const row = await d1
    .prepare('SELECT role FROM workspace_members WHERE user_id = ?1 AND workspace_id = ?2')
    .bind(userId, workspaceId)
    .first<{ role: MemberRole }>();
  return row?.role ?? null;
}

/**
 * Records use at most once a minute per key (callers ask only when `due`), so authentication stays a
 * read on the hot path. D1's clock, as the `due` check that reads it.
 */
export async function touchApiKey(d1: D1Database, keyId: string): Promise<void> {
  await d1
    .prepare(
      `UPDATE api_keys SET last_used_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
        WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-60 seconds'))`,
    )
    .bind(keyId)
    .run();
}
