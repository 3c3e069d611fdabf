// /skills: Agent Skills bundles uploaded once (SKILL.md plus files, or a zip) and given to runs; files
// in R2 by checksum, metadata in D1. Also the worker's own route to download a skill's files.
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { errorResponses, idParam, jsonBody, jsonResponse } from '../contract/common.ts';
import { SkillDetail, SkillSummary, SkillUpdate, SkillUpload } from '../contract/skills.ts';
import { openDb } from '../db/client.ts';
import { newId, sha256Hex } from '../db/ids.ts';
import {
  deleteSkill,
  findSkill,
  findSkillFile,
  insertSkill,
  listSkills,
  skillNameTaken,
  toSkillDetail,
  toSkillSummary,
  updateSkill,
  type NewSkillFile,
} from '../db/skills.ts';
import type { AppEnv } from '../env.ts';
import { download } from '../http/downloads.ts';
import { conflict, invalidField, notFound } from '../http/errors.ts';
import { decodeCursor, pageQuery, paginate } from '../http/pagination.ts';
import { createRouter } from '../http/router.ts';
import { BundleError, readBundle, type BundleFile } from '../skills/bundle.ts';
import { renderSkillMd } from '../skills/skill-md.ts';

const tags = ['Skills'];
const skillId = idParam('skill_id', 'Skill id');
const filePath = z.object({ file_path: z.string().min(1).max(255).openapi({ param: { name: 'file_path', in: 'path' }, description: 'The file\'s path in the skill, e.g. scripts/run.sh' }) });

const nameTaken = (name: string) => conflict(`Skill '${name}' already exists in this workspace`);

/** Stores files in R2 under the skill, keyed by checksum, and says what was stored. */
async function storeFiles(c: Context<AppEnv>, workspaceId: string, id: string, files: BundleFile[]): Promise<NewSkillFile[]> {
  return Promise.all(
    files.map(async (f) => {
      const checksumSha256 = await sha256Hex(f.bytes);
      const storageKey = `${workspaceId}/skills/${id}/${checksumSha256}`;
      await c.env.ARTIFACTS.put(storageKey, f.bytes, { httpMetadata: { contentType: f.contentType } });
      return { filePath: f.path, sizeBytes: f.bytes.byteLength, checksumSha256, contentType: f.contentType, storageKey };
    }),
  );
}

async function removeFiles(c: Context<AppEnv>, keys: string[]): Promise<void> {
  if (keys.length > 0) await c.env.ARTIFACTS.delete([...new Set(keys)]);
}

/** A skill's file as a download, from the user's route and the worker's alike. */
async function serveFile(c: Context<AppEnv>, id: string, path: string): Promise<Response> {
  const row = await findSkillFile(openDb(c.env.DB), c.get('auth').workspaceId, id, path);
  const object = row ? await c.env.ARTIFACTS.get(row.storageKey) : null;
  if (!row || !object) throw notFound(row ? 'File' : 'Skill or file');
  return download(object.body as ReadableStream, { filename: path.split('/').pop() ?? path, contentType: row.contentType, sizeBytes: row.sizeBytes, checksumSha256: row.checksumSha256 });
}

/** Whether editing `skill` to `fields` would change nothing. */
function sameFields(fields: Record<string, unknown>, skill: Record<string, unknown>): boolean {
  return Object.entries(fields).every(([key, value]) => JSON.stringify(value) === JSON.stringify(skill[key]));
}

export const skillRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/skills',
      tags,
      summary: 'List skills, by name',
      request: { query: pageQuery },
      responses: { 200: jsonResponse(z.array(SkillSummary), 'A page of skills'), ...errorResponses },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const rows = await listSkills(openDb(c.env.DB), c.get('auth').workspaceId, limit, decodeCursor(cursor));
      return c.json(paginate(c, rows, limit, (r) => ({ key: r.name, id: r.id })).map(toSkillSummary), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/skills',
      tags,
      summary: 'Upload a skill: its SKILL.md and further files, or a zip of them (member)',
      description:
        'Refused with 422 naming the part: a SKILL.md that is not UTF-8 or breaks the Agent Skills rules (the field is named, e.g. `skill_md.name`); a path that is absolute, holds `..` or a backslash, or appears twice; a symbolic link, encrypted or ZIP64 entry; more than 500 files or 50 MiB unpacked; a `zip_file` that is not a zip. A name already taken in the workspace is 409. Nothing is stored unless all of it is accepted.',
      request: { body: { required: true, content: { 'multipart/form-data': { schema: SkillUpload } } } },
      responses: { 201: jsonResponse(SkillSummary, 'The stored skill'), ...errorResponses },
    }),
    async (c) => {
      const form = c.req.valid('form');
      const files = form.files === undefined ? [] : Array.isArray(form.files) ? form.files : [form.files];
      let bundle;
      try {
        bundle = await readBundle(form.skill_md, files, form.zip_file ?? null);
      } catch (err) {
        if (err instanceof BundleError) throw invalidField(err.field, err.message);
        throw err;
      }
      const db = openDb(c.env.DB);
      const { workspaceId } = c.get('auth');
      const { skill } = bundle;
      if (await skillNameTaken(db, workspaceId, skill.name)) throw nameTaken(skill.name);
      const id = newId();
      const stored = await storeFiles(c, workspaceId, id, bundle.files);
      const fields = { name: skill.name, description: skill.description, license: skill.license, compatibility: skill.compatibility, allowedTools: skill.allowedTools, metadataKv: skill.metadata, instructions: skill.instructions };
      const row = await insertSkill(db, workspaceId, id, fields, stored);
      if (!row) {
        await removeFiles(c, stored.map((f) => f.storageKey));
        throw nameTaken(skill.name);
      }
      return c.json(toSkillSummary(row), 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/skills/{skill_id}',
      tags,
      summary: 'Get a skill with its instructions and files',
      request: { params: skillId },
      responses: { 200: jsonResponse(SkillDetail, 'The skill'), ...errorResponses },
    }),
    async (c) => {
      const found = await findSkill(openDb(c.env.DB), c.get('auth').workspaceId, c.req.valid('param').skill_id);
      if (!found) throw notFound('Skill');
      return c.json(toSkillDetail(found.skill, found.files), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/skills/{skill_id}',
      tags,
      summary: 'Change a skill\'s description, instructions or other fields (member); its SKILL.md is written anew, so runs get the change',
      request: { params: skillId, ...jsonBody(SkillUpdate) },
      responses: { 200: jsonResponse(SkillSummary, 'The updated skill'), ...errorResponses },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const db = openDb(c.env.DB);
      const { workspaceId } = c.get('auth');
      const found = await findSkill(db, workspaceId, c.req.valid('param').skill_id);
      if (!found) throw notFound('Skill');
      const { skill, files } = found;
      const fields = {
        name: skill.name,
        description: body.description ?? skill.description,
        license: body.license !== undefined ? body.license : skill.license,
        compatibility: body.compatibility !== undefined ? body.compatibility : skill.compatibility,
        allowedTools: body.allowed_tools !== undefined ? body.allowed_tools : skill.allowedTools,
        metadataKv: body.metadata_kv !== undefined ? body.metadata_kv : skill.metadataKv,
        instructions: body.instructions ?? skill.instructions,
      };
      // An edit that changes nothing leaves the SKILL.md as it was uploaded, and so the skill's checksum.
      if (sameFields(fields, skill)) return c.json(toSkillSummary(skill), 200);
      const text = renderSkillMd({ ...fields, allowedTools: fields.allowedTools, metadata: fields.metadataKv });
      const [skillMd] = await storeFiles(c, workspaceId, skill.id, [{ path: 'SKILL.md', bytes: new TextEncoder().encode(text), contentType: 'text/markdown' }]);
      const row = await updateSkill(db, skill, fields, skillMd!, files);
      const old = files.find((f) => f.filePath === 'SKILL.md')?.storageKey;
      if (old && old !== skillMd!.storageKey && !files.some((f) => f.filePath !== 'SKILL.md' && f.storageKey === old)) await removeFiles(c, [old]);
      return c.json(toSkillSummary(row), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/skills/{skill_id}',
      tags,
      summary: 'Delete a skill and its files (member)',
      request: { params: skillId },
      responses: { 204: { description: 'Deleted' }, ...errorResponses },
    }),
    async (c) => {
      const db = openDb(c.env.DB);
      const { workspaceId } = c.get('auth');
      const id = c.req.valid('param').skill_id;
      const found = await findSkill(db, workspaceId, id);
      if (!found || !(await deleteSkill(db, workspaceId, id))) throw notFound('Skill');
      await removeFiles(c, found.files.map((f) => f.storageKey));
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/skills/{skill_id}/files/{file_path}',
      tags,
      summary: 'Download one of a skill\'s files (its path may have slashes)',
      request: { params: skillId.merge(filePath) },
      responses: { 200: { description: 'The file, as an attachment', content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } }, ...errorResponses },
    }),
    async (c) => serveFile(c, c.req.valid('param').skill_id, c.req.valid('param').file_path),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/workers/skills/{skill_id}/files/{file_path}',
      tags: ['Workers'],
      summary: 'Download one of a skill\'s files, as a worker preparing a run (the path may have slashes)',
      request: { params: skillId.merge(filePath) },
      responses: { 200: { description: 'The file', content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } }, ...errorResponses },
    }),
    async (c) => serveFile(c, c.req.valid('param').skill_id, c.req.valid('param').file_path),
  );
