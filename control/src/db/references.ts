// The credentials and skills a job or run names (by name) must exist in its workspace when it is
// saved, so a typo is a 422 then rather than a run failed at its claim.
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from './client.ts';
import { credentials, skills } from './schema.ts';

/** The fields that name other things of the workspace, and what they name. */
const named = {
  credential_ids: { table: credentials, sqlTable: 'credentials', what: 'credential' },
  skill_ids: { table: skills, sqlTable: 'skills', what: 'skill' },
} as const;

export type NamingField = keyof typeof named;

/** Which of `names` are not the name of a credential (or skill) of the workspace. */
export async function missingNames(db: Db, field: NamingField, workspaceId: string, names: readonly string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const { table } = named[field];
  // One JSON parameter, not one per name: D1 refuses statements with more than 100 bound parameters.
  const found = await db
    .select({ name: table.name })
    .from(table)
    .where(and(eq(table.workspaceId, workspaceId), sql`${table.name} IN (SELECT value FROM json_each(${JSON.stringify(names)}))`));
  const known = new Set(found.map((r) => r.name));
  return names.filter((n) => !known.has(n));
}

/** The first field whose names are not all there, and what to tell the caller; null when all are. */
export async function unknownNames(db: Db, workspaceId: string, given: Partial<Record<NamingField, readonly string[] | null>>): Promise<{ field: NamingField; detail: string } | null> {
  for (const field of Object.keys(named) as NamingField[]) {
    const missing = await missingNames(db, field, workspaceId, given[field] ?? []);
    if (missing.length > 0) return { field, detail: `no ${named[field].what} named ${missing.map((n) => `'${n}'`).join(', ')} in this workspace` };
  }
  return null;
}

/**
 * The same as SQL a statement can carry: true while every name in the JSON list `names` (a JSON null
 * names none) is a credential (or skill) of `workspace`; both are the statement's placeholders.
 */
export function namesExist(field: NamingField, names: string, workspace: string): string {
  return `NOT EXISTS (
    SELECT 1 FROM json_each(${names}) n
     WHERE NOT EXISTS (SELECT 1 FROM ${named[field].sqlTable} t WHERE t.workspace_id = ${workspace} AND t.name = n.value))`;
}
