// Wire schemas for skills: Agent Skills bundles (SKILL.md and its files) a workspace gives its runs.
import { z } from '@hono/zod-openapi';
import { MAX_COMPATIBILITY, MAX_DESCRIPTION } from '../skills/skill-md.ts';
import { timestamp, uploadedFile as file } from './common.ts';

export const SkillUpload = z
  .object({
    skill_md: file.openapi({ description: 'The SKILL.md: YAML frontmatter (name, description, and optionally license, compatibility, metadata, allowed-tools), then the instructions.' }),
    files: z.union([file, z.array(file)], { error: 'must be files: multipart/form-data parts with filenames' }).optional().openapi({ description: 'Further files, each stored under its part\'s filename (a relative path).' }),
    zip_file: file.optional().openapi({ description: 'A zip of further files; wins over `files`. A SKILL.md at its root is left out.' }),
  })
  .openapi('SkillUpload');

export const SkillUpdate = z
  .object({
    description: z.string().trim().min(1).max(MAX_DESCRIPTION),
    license: z.string().max(500).nullable(),
    compatibility: z.string().max(MAX_COMPATIBILITY).nullable(),
    metadata_kv: z.record(z.string().min(1).max(128), z.string().max(4096)).nullable(),
    allowed_tools: z.string().max(4096).nullable(),
    instructions: z.string().max(1_000_000),
  })
  .partial()
  .openapi('SkillUpdate');

export const SkillSummary = z
  .object({
    id: z.string(),
    workspace_id: z.string(),
    name: z.string(),
    description: z.string(),
    license: z.string().nullable(),
    compatibility: z.string().nullable(),
    allowed_tools: z.string().nullable(),
    total_size_bytes: z.number().int(),
    file_count: z.number().int(),
    checksum_sha256: z.string().openapi({ description: 'SHA-256 over the skill\'s file paths and checksums: changes whenever any file does.' }),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi('SkillSummary');

export const SkillFile = z
  .object({
    id: z.string(),
    file_path: z.string(),
    size_bytes: z.number().int(),
    checksum_sha256: z.string(),
    content_type: z.string(),
    created_at: timestamp,
  })
  .openapi('SkillFile');

export const SkillDetail = SkillSummary.extend({
  metadata_kv: z.record(z.string(), z.string()).nullable(),
  instructions: z.string(),
  files: z.array(SkillFile),
}).openapi('SkillDetail');

export type SkillSummary = z.infer<typeof SkillSummary>;
export type SkillDetail = z.infer<typeof SkillDetail>;
export type SkillUpdate = z.infer<typeof SkillUpdate>;
