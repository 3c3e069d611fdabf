// Resolves an API key hash (or the bootstrap admin) to its user and membership in one workspace.
import { BOOTSTRAP_KEY_ID, BOOTSTRAP_USER_ID, rolesAtLeast, type KeyRole, type MemberRole } from '../auth/roles.ts';

export interface CallerRow {
  keyId: string;
  keyRole: KeyRole;
  keyWorkspaceId: string;
  revoked: boolean;
  /** The key acts only in the workspace it was made in (and those it created): see `api_keys.workspace_only`. */
  bound: boolean;
  /** Bound, and the workspace asked for is not one it may act in. */
  outOfScope: boolean;
  userId: string;
  memberRole: MemberRole | null;
  /** The role of the key's maker in the key's workspace; a worker key lives only while it is admin or owner. */
  creatorRole: MemberRole | null;
  /** Whether `last_used_at` is a minute old (or unset), so this use should be recorded. */
  due: boolean;
}

const CALLER = `
SELECT k.id AS keyId, k.role AS keyRole, k.workspace_id AS keyWorkspaceId, k.revoked_at IS NOT NULL AS revoked,
       (k.workspace_only = 1 AND k.workspace_id != ?1
        AND NOT EXISTS (SELECT 1 FROM workspaces w WHERE w.id = ?1 AND w.created_by_key = k.id)) AS outOfScope,
       k.workspace_only AS bound,
       k.user_id AS userId, m.role AS memberRole, c.role AS creatorRole,
       (k.last_used_at IS NULL OR k.last_used_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-60 seconds')) AS due
  FROM api_keys k
  LEFT JOIN workspace_members m ON m.user_id = k.user_id AND m.workspace_id = ?1
  LEFT JOIN workspace_members c ON c.user_id = k.created_by AND c.workspace_id = k.workspace_id`;

type RawCaller = Omit<CallerRow, 'revoked' | 'bound' | 'outOfScope' | 'due'> & { revoked: number; bound: number; outOfScope: number; due: number };

const fromRaw = (row: RawCaller | null): CallerRow | null =>
  row ? { ...row, revoked: row.revoked === 1, bound: row.bound === 1, outOfScope: row.outOfScope === 1, due: row.due === 1 } : null;

export async function findCallerByKeyHash(d1: D1Database, keyHash: string, workspaceId: string): Promise<CallerRow | null> {
  return fromRaw(await d1.prepare(`${CALLER} WHERE k.key_hash = ?2`).bind(workspaceId, keyHash).first<RawCaller>());
}

/** The same by key id: for re-checking, while a stream stays open, that the key that opened it still may. */
export async function findCallerByKeyId(d1: D1Database, keyId: string, workspaceId: string): Promise<CallerRow | null> {
  return fromRaw(await d1.prepare(`${CALLER} WHERE k.id = ?2`).bind(workspaceId, keyId).first<RawCaller>());
}

/**
 * SQL that is true while the key `key` (an id, or the bootstrap key's) may still take work off
 * `workspace`'s queue: what `admitCaller` and the worker endpoints' role check decide, as a condition a
 * claim carries, so a key revoked or unseated is refused in the same transaction that would have
 * handed it runs. `key` and `workspace` are the statement's placeholders for them.
 */
export function keyMayTakeWork(key: string, workspace: string): string {
  return `(
    (${key} = '${BOOTSTRAP_KEY_ID}' AND EXISTS (SELECT 1 FROM workspace_members WHERE user_id = '${BOOTSTRAP_USER_ID}' AND workspace_id = ${workspace}))
    OR EXISTS (
      SELECT 1 FROM api_keys k
       WHERE k.id = ${key} AND k.role = 'worker' AND k.revoked_at IS NULL
         AND EXISTS (SELECT 1 FROM workspace_members m WHERE m.user_id = k.user_id AND m.workspace_id = ${workspace})
         AND EXISTS (SELECT 1 FROM workspace_members c WHERE c.user_id = k.created_by AND c.workspace_id = k.workspace_id AND c.role IN ('owner', 'admin'))
         AND (k.workspace_only = 0 OR k.workspace_id = ${workspace}
              OR EXISTS (SELECT 1 FROM workspaces w WHERE w.id = ${workspace} AND w.created_by_key = k.id))))`;
}

// Creating a run is a change, which needs the `member` role (app.ts's baseline role policy).
const RUN_CREATORS = rolesAtLeast('member')
  .map((role) => `'${role}'`)
  .join(', ');

/**
 * SQL that is true while the key `key` (an id, or the bootstrap key's) may still create runs in
 * `workspace`: what `admitCaller` and the role check of `POST /runs` decide, as a condition the run's
 * insert carries, so a key revoked, demoted or unseated since its caller was remembered creates
 * nothing. The key's role and its user's membership must both reach `member`, since the weaker of
 * the two applies; worker keys never do. `key` and `workspace` are the statement's placeholders.
 */
export function keyMayCreateRuns(key: string, workspace: string): string {
  return `(
    (${key} = '${BOOTSTRAP_KEY_ID}' AND EXISTS (
       SELECT 1 FROM workspace_members WHERE user_id = '${BOOTSTRAP_USER_ID}' AND workspace_id = ${workspace} AND role IN (${RUN_CREATORS})))
    OR EXISTS (
      SELECT 1 FROM api_keys k JOIN workspace_members m ON m.user_id = k.user_id AND m.workspace_id = ${workspace}
       WHERE k.id = ${key} AND k.revoked_at IS NULL AND k.role IN (${RUN_CREATORS}) AND m.role IN (${RUN_CREATORS})
         AND (k.workspace_only = 0 OR k.workspace_id = ${workspace}
              OR EXISTS (SELECT 1 FROM workspaces w WHERE w.id = ${workspace} AND w.created_by_key = k.id))))`;
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
