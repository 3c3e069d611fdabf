// Artifact records; the bytes live in R2 under `storage_key`.
import { and, asc, eq } from 'drizzle-orm';
import type { Artifact } from '../contract/artifacts.ts';
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

export async function listArtifacts(db: Db, workspaceId: string, runId: string): Promise<ArtifactRow[]> {
  return db
    .select()
    .from(artifacts)
    .where(and(eq(artifacts.workspaceId, workspaceId), eq(artifacts.runId, runId)))
    .orderBy(asc(artifacts.createdAt), asc(artifacts.id));
}

export async function findArtifact(db: Db, workspaceId: string, runId: string, id: string): Promise<ArtifactRow | undefined> {
  const [row] = await db
    .select()
    .from(artifacts)
    .where(and(eq(artifacts.workspaceId, workspaceId), eq(artifacts.runId, runId), eq(artifacts.id, id)));
  return row;
}
