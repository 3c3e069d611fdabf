// An uploaded skill bundle, checked whole before anything is stored: SKILL.md, and the other files
// from `files` parts or one `zip_file`, each under a path that stays inside the skill's folder.
import { MAX_SKILL_BYTES, MAX_SKILL_FILES } from '../limits.ts';
import { parseSkillMd, SkillMdError, type ParsedSkillMd } from './skill-md.ts';
import { readZip, ZipError } from './zip.ts';

export interface BundleFile {
  path: string;
  bytes: Uint8Array;
  contentType: string;
}

export interface Bundle {
  skill: ParsedSkillMd;
  /** SKILL.md first, as uploaded, then the other files. */
  files: BundleFile[];
}

/** A problem with one part of the upload; the route answers 422 naming `field`. */
export class BundleError extends Error {
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.name = 'BundleError';
    this.field = field;
  }
}

const MAX_PATH = 255;

/** Why `path` may not name a file of a skill, or null: relative, forward slashes, no `..`, no oddities. */
export function pathProblem(path: string): string | null {
  if (path === '') return 'is empty';
  if (path.length > MAX_PATH) return `is longer than ${MAX_PATH} characters`;
  if (path.includes('\\')) return 'contains a backslash';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'is absolute';
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'contains a control character';
  const segments = path.split('/');
  if (segments.some((s) => s === '..')) return 'climbs out of the skill with ..';
  if (segments.some((s) => s === '' || s === '.')) return 'has an empty or . segment';
  return null;
}

const TYPES: Record<string, string> = {
  md: 'text/markdown',
  txt: 'text/plain',
  json: 'application/json',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  py: 'text/x-python',
  sh: 'text/x-shellscript',
  js: 'text/javascript',
  ts: 'text/plain',
  csv: 'text/csv',
  html: 'text/html',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  pdf: 'application/pdf',
};

export function contentTypeOf(path: string): string {
  return TYPES[path.split('.').pop()?.toLowerCase() ?? ''] ?? 'application/octet-stream';
}

/** Checks an upload: SKILL.md's fields, every path, duplicates, and the limits on count and size. */
export async function readBundle(skillMd: File, files: File[], zip: File | null): Promise<Bundle> {
  const skillBytes = new Uint8Array(await skillMd.arrayBuffer());
  let skill: ParsedSkillMd;
  try {
    skill = parseSkillMd(skillBytes);
  } catch (err) {
    if (err instanceof SkillMdError) throw new BundleError(err.field === 'skill_md' ? 'skill_md' : `skill_md.${err.field}`, err.message);
    throw err;
  }
  let others: { path: string; bytes: Uint8Array; field: string }[];
  if (zip) {
    try {
      const entries = readZip(new Uint8Array(await zip.arrayBuffer()), { maxEntries: MAX_SKILL_FILES, maxTotalBytes: MAX_SKILL_BYTES });
      // The skill_md part is the skill's SKILL.md; one at the archive's root is left out.
      others = entries.filter((e) => e.path !== 'SKILL.md').map((e) => ({ ...e, field: 'zip_file' }));
    } catch (err) {
      if (err instanceof ZipError) throw new BundleError('zip_file', err.message);
      throw err;
    }
  } else {
    if (files.length > MAX_SKILL_FILES) throw new BundleError('files', `has ${files.length} files; at most ${MAX_SKILL_FILES} are accepted`);
    others = await Promise.all(files.map(async (f) => ({ path: f.name, bytes: new Uint8Array(await f.arrayBuffer()), field: 'files' })));
  }
  const seen = new Set<string>(['SKILL.md']);
  let total = skillBytes.byteLength;
  for (const file of others) {
    const problem = pathProblem(file.path);
    if (problem) throw new BundleError(file.field, `'${file.path}' ${problem}`);
    if (seen.has(file.path)) throw new BundleError(file.field, `'${file.path}' appears twice`);
    seen.add(file.path);
    total += file.bytes.byteLength;
  }
  if (total > MAX_SKILL_BYTES) throw new BundleError(zip ? 'zip_file' : 'files', `the skill's files come to ${total} bytes; at most ${MAX_SKILL_BYTES} are accepted`);
  return {
    skill,
    files: [{ path: 'SKILL.md', bytes: skillBytes, contentType: 'text/markdown' }, ...others.map((f) => ({ path: f.path, bytes: f.bytes, contentType: contentTypeOf(f.path) }))],
  };
}
