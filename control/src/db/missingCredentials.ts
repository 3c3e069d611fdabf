// Which of a list of credential names do not exist in a workspace.
import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from './client.ts';
import { credentials } from './schema.ts';

export async function missingCredentialNames(db: Db, workspaceId: string, names: readonly string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const found = await db
    .select({ name: credentials.name })
    .from(credentials)
    .where(and(eq(credentials.workspaceId, workspaceId), inArray(credentials.name, [...names])));
  const known = new Set(found.map((r) => r.name));
  return names.filter((n) => !known.has(n));
}
