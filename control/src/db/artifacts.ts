// Artifact records; the bytes live in R2 under `storage_key`.
import { and, asc, count, eq, gt, or } from 'drizzle-orm';
import type { Artifact } from '../contract/artifacts.ts';
import type { Cursor } from '../http/pagination.ts';
import type { Db } from './client.ts';
import { nowIso } from './ids.ts';
import { artifacts } from './schema.ts';

export type ArtifactRow = typeof artifacts.$inferSelect;

export function toArtifact(row: ArtifactRow): Artifact {
  return {
    id: row.id,
    run_id: row.runId,
    filename: row.filename,
    content_type: row.contentType,
    size_bytes: row.sizeBytes,
    checksum_sha256: row.checksumSha256,
    created_at: row.createdAt,
  };
}

export async function insertArtifact(db: Db, row: Omit<ArtifactRow, 'createdAt' | 'updatedAt'>): Promise<ArtifactRow> {
  const now = nowIso();
  const [inserted] = await db.insert(artifacts).values({ ...row, createdAt: now, updatedAt: now }).returning();
  return inserted!;
}

/** Oldest first, ties broken by id, so pages never skip or repeat an artifact. */
export async function listArtifacts(db: Db, workspaceId: string, runId: string, limit: number, after: Cursor | null): Promise<ArtifactRow[]> {
  const scope = and(eq(artifacts.workspaceId, workspaceId), eq(artifacts.runId, runId));
  const page = after ? or(gt(artifacts.createdAt, after.key), and(eq(artifacts.createdAt, after.key), gt(artifacts.id, after.id))) : undefined;
  return db
    .select()
    .from(artifacts)
    .where(page ? and(scope, page) : scope)
    .orderBy(asc(artifacts.createdAt), asc(artifacts.id))
    .limit(limit + 1);
}

export async function countArtifacts(db: Db, runId: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(artifacts).where(eq(artifacts.runId, runId));
  return row?.n ?? 0;
}

export async function findArtifact(db: Db, workspaceId: string, runId: string, id: string): Promise<ArtifactRow | undefined> {
  const [row] = await db
    .select()
    .from(artifacts)
    .where(and(eq(artifacts.workspaceId, workspaceId), eq(artifacts.runId, runId), eq(artifacts.id, id)));
  return row;
}
