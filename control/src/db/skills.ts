// Skill records: metadata and one row per file (its R2 key and SHA-256), per workspace; and the
// manifest of skills a claimed run is given.
import { and, asc, eq, gt, or } from 'drizzle-orm';
import type { SkillDetail, SkillSummary } from '../contract/skills.ts';
import type { SkillManifest } from '../contract/worker.ts';
import type { Cursor } from '../http/pagination.ts';
import { inList, type Db } from './client.ts';
import { newId, nowIso, sha256Hex } from './ids.ts';
import { skillFiles, skills } from './schema.ts';

export type SkillRow = typeof skills.$inferSelect;
export type SkillFileRow = typeof skillFiles.$inferSelect;
export type NewSkillFile = Pick<SkillFileRow, 'filePath' | 'sizeBytes' | 'checksumSha256' | 'contentType' | 'storageKey'>;

export function toSkillSummary(row: SkillRow): SkillSummary {
  return {
    id: row.id,
    workspace_id: row.workspaceId,
    name: row.name,
    description: row.description,
    license: row.license,
    compatibility: row.compatibility,
    allowed_tools: row.allowedTools,
    total_size_bytes: row.totalSizeBytes,
    file_count: row.fileCount,
    checksum_sha256: row.checksumSha256,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

export function toSkillDetail(row: SkillRow, files: SkillFileRow[]): SkillDetail {
  return {
    ...toSkillSummary(row),
    metadata_kv: row.metadataKv,
    instructions: row.instructions,
    files: files.map((f) => ({ id: f.id, file_path: f.filePath, size_bytes: f.sizeBytes, checksum_sha256: f.checksumSha256, content_type: f.contentType, created_at: f.createdAt })),
  };
}

/** One checksum for a whole skill, from its files' paths and checksums: any change to a file changes it. */
export async function skillChecksum(files: Pick<SkillFileRow, 'filePath' | 'checksumSha256'>[]): Promise<string> {
  const lines = files.map((f) => `${f.filePath}\t${f.checksumSha256}\n`).sort();
  return sha256Hex(lines.join(''));
}

/** By name, as the original; ties cannot happen (names are unique per workspace). */
export async function listSkills(db: Db, workspaceId: string, limit: number, after: Cursor | null): Promise<SkillRow[]> {
  const scope = eq(skills.workspaceId, workspaceId);
  const page = after ? or(gt(skills.name, after.key), and(eq(skills.name, after.key), gt(skills.id, after.id))) : undefined;
  return db
    .select()
    .from(skills)
    .where(page ? and(scope, page) : scope)
    .orderBy(asc(skills.name), asc(skills.id))
    .limit(limit + 1);
}

export async function findSkill(db: Db, workspaceId: string, id: string): Promise<{ skill: SkillRow; files: SkillFileRow[] } | null> {
  const skill = await db.query.skills.findFirst({ where: and(eq(skills.workspaceId, workspaceId), eq(skills.id, id)) });
  if (!skill) return null;
  const files = await db.select().from(skillFiles).where(eq(skillFiles.skillId, id)).orderBy(asc(skillFiles.filePath));
  return { skill, files };
}

export async function findSkillFile(db: Db, workspaceId: string, skillId: string, path: string): Promise<SkillFileRow | null> {
  const [row] = await db
    .select({ file: skillFiles })
    .from(skillFiles)
    .innerJoin(skills, eq(skills.id, skillFiles.skillId))
    .where(and(eq(skills.workspaceId, workspaceId), eq(skills.id, skillId), eq(skillFiles.filePath, path)));
  return row?.file ?? null;
}

export async function skillNameTaken(db: Db, workspaceId: string, name: string): Promise<boolean> {
  return (await db.query.skills.findFirst({ columns: { id: true }, where: and(eq(skills.workspaceId, workspaceId), eq(skills.name, name)) })) !== undefined;
}

export type SkillFields = Omit<SkillRow, 'id' | 'workspaceId' | 'totalSizeBytes' | 'fileCount' | 'checksumSha256' | 'createdAt' | 'updatedAt'>;

/** The skill and its files in one batch; `null` when the name was taken meanwhile (a unique violation). */
export async function insertSkill(db: Db, workspaceId: string, id: string, fields: SkillFields, files: NewSkillFile[]): Promise<SkillRow | null> {
  const now = nowIso();
  const row = {
    id,
    workspaceId,
    ...fields,
    totalSizeBytes: files.reduce((n, f) => n + f.sizeBytes, 0),
    fileCount: files.length,
    checksumSha256: await skillChecksum(files),
    createdAt: now,
    updatedAt: now,
  };
  try {
    await db.batch([
      db.insert(skills).values(row),
      ...chunk(files, 10).map((part) => db.insert(skillFiles).values(part.map((f) => ({ ...f, id: newId(), skillId: id, createdAt: now, updatedAt: now })))),
    ]);
  } catch (err) {
    for (let e: unknown = err; e instanceof Error; e = e.cause) if (e.message.includes('UNIQUE constraint failed')) return null;
    throw err;
  }
  return row;
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** New fields and a new SKILL.md (its file row replaced), with the totals and checksum recomputed. */
export async function updateSkill(db: Db, skill: SkillRow, fields: SkillFields, skillMd: NewSkillFile, files: SkillFileRow[]): Promise<SkillRow> {
  const now = nowIso();
  const after = files.map((f) => (f.filePath === 'SKILL.md' ? { ...f, ...skillMd } : f));
  const changes = {
    ...fields,
    totalSizeBytes: after.reduce((n, f) => n + f.sizeBytes, 0),
    checksumSha256: await skillChecksum(after),
    updatedAt: now,
  };
  const [row] = await db.batch([
    db.update(skills).set(changes).where(eq(skills.id, skill.id)).returning(),
    db
      .update(skillFiles)
      .set({ ...skillMd, updatedAt: now })
      .where(and(eq(skillFiles.skillId, skill.id), eq(skillFiles.filePath, 'SKILL.md'))),
  ]);
  return row[0]!;
}

export async function deleteSkill(db: Db, workspaceId: string, id: string): Promise<boolean> {
  const rows = await db.delete(skills).where(and(eq(skills.workspaceId, workspaceId), eq(skills.id, id))).returning({ id: skills.id });
  return rows.length > 0;
}

export type RunSkills = { ok: true; skills: SkillManifest[] } | { ok: false; detail: string };

/**
 * Resolves each claimed run's `skill_ids`: null gives every skill of the workspace, [] none, names
 * those skills; a name that no longer exists makes the run unable to start, as a missing credential does.
 */
export async function skillsForRuns(db: Db, workspaceId: string, runs: { id: string; skillIds: string[] | null }[]): Promise<Map<string, RunSkills>> {
  const out = new Map<string, RunSkills>();
  const everything = runs.some((r) => r.skillIds === null);
  const named = [...new Set(runs.flatMap((r) => r.skillIds ?? []))];
  let rows: SkillRow[] = [];
  if (everything) rows = await db.select().from(skills).where(eq(skills.workspaceId, workspaceId));
  else if (named.length > 0) rows = await db.select().from(skills).where(and(eq(skills.workspaceId, workspaceId), inList(skills.name, named)));
  const files = rows.length === 0 ? [] : await db.select().from(skillFiles).where(inList(skillFiles.skillId, rows.map((r) => r.id)));
  const byName = new Map(
    rows.map((r): [string, SkillManifest] => [
      r.name,
      {
        id: r.id,
        name: r.name,
        description: r.description,
        instructions: r.instructions,
        allowed_tools: r.allowedTools,
        checksum_sha256: r.checksumSha256,
        files: files
          .filter((f) => f.skillId === r.id)
          .sort((a, b) => (a.filePath < b.filePath ? -1 : a.filePath > b.filePath ? 1 : 0))
          .map((f) => ({ file_path: f.filePath, size_bytes: f.sizeBytes, checksum_sha256: f.checksumSha256, content_type: f.contentType })),
      },
    ]),
  );
  for (const run of runs) {
    if (run.skillIds === null) {
      out.set(run.id, { ok: true, skills: [...byName.values()].sort((a, b) => a.name.localeCompare(b.name)) });
      continue;
    }
    const missing = run.skillIds.filter((name) => !byName.has(name));
    out.set(run.id, missing.length > 0 ? { ok: false, detail: `skill ${missing.map((n) => `'${n}'`).join(', ')} no longer exists in this workspace` } : { ok: true, skills: run.skillIds.map((n) => byName.get(n)!) });
  }
  return out;
}
