// Which of a list of credential names do not exist in a workspace.
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from './client.ts';
import { credentials } from './schema.ts';

export async function missingCredentialNames(db: Db, workspaceId: string, names: readonly string[]): Promise<string[]> {
  if (names.length === 0) return [];
  // One JSON parameter, not one per name: D1 refuses statements with more than 100 bound parameters.
  const found = await db
    .select({ name: credentials.name })
    .from(credentials)
    .where(and(eq(credentials.workspaceId, workspaceId), sql`${credentials.name} IN (SELECT value FROM json_each(${JSON.stringify(names)}))`));
  const known = new Set(found.map((r) => r.name));
  return names.filter((n) => !known.has(n));
}

/**
 * The same as SQL a statement can carry: true while every name in the JSON list `names` is a
 * credential of `workspace` (both the statement's placeholders).
 */
export function credentialsExist(names: string, workspace: string): string {
  return `NOT EXISTS (
    SELECT 1 FROM json_each(${names}) n
     WHERE NOT EXISTS (SELECT 1 FROM credentials c WHERE c.workspace_id = ${workspace} AND c.name = n.value))`;
}
