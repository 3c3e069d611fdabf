// SKILL.md, as the Agent Skills format (agentskills.io) defines it: YAML frontmatter between `---`
// lines, then the instructions. Parsed and checked field by field, and written back after an edit.
import { parse, stringify } from 'yaml';

export interface SkillFrontmatter {
  name: string;
  description: string;
  license: string | null;
  compatibility: string | null;
  /** Space-separated tool names, as the format writes them. */
  allowedTools: string | null;
  metadata: Record<string, string> | null;
}

export interface ParsedSkillMd extends SkillFrontmatter {
  instructions: string;
}

/** A problem with one field of SKILL.md; the route answers 422 naming `skill_md.<field>`. */
export class SkillMdError extends Error {
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.name = 'SkillMdError';
    this.field = field;
  }
}

export const MAX_NAME = 64;
export const MAX_DESCRIPTION = 1024;
export const MAX_COMPATIBILITY = 500;
const NAME = /^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$/;

/** Why `name` is not a skill name, or null: lowercase letters, digits and single hyphens, at most 64. */
export function skillNameProblem(name: string): string | null {
  if (name.length > MAX_NAME) return `must be at most ${MAX_NAME} characters`;
  if (!NAME.test(name)) return 'must be lowercase letters, digits and hyphens, not starting or ending with a hyphen';
  if (name.includes('--')) return 'must not contain two hyphens in a row';
  return null;
}

const optionalText = (value: unknown, field: string, max: number): string | null => {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new SkillMdError(field, 'must be a string');
  if (value.length > max) throw new SkillMdError(field, `must be at most ${max} characters`);
  return value;
};

/** Parses a SKILL.md's bytes; throws SkillMdError for the first problem, naming its field. */
export function parseSkillMd(bytes: Uint8Array): ParsedSkillMd {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    throw new SkillMdError('skill_md', 'must be UTF-8 text');
  }
  if (text.trim() === '') throw new SkillMdError('skill_md', 'is empty');
  const match = /^---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)([\s\S]*)$/.exec(text);
  if (!match) throw new SkillMdError('skill_md', 'must start with YAML frontmatter between two --- lines');
  let front: unknown;
  try {
    front = parse(match[1] ?? '');
  } catch (err) {
    throw new SkillMdError('skill_md', `frontmatter is not valid YAML: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  if (!front || typeof front !== 'object' || Array.isArray(front)) throw new SkillMdError('skill_md', 'frontmatter must be a mapping of fields');
  const f = front as Record<string, unknown>;

  if (typeof f['name'] !== 'string' || f['name'] === '') throw new SkillMdError('name', 'is required');
  const nameProblem = skillNameProblem(f['name']);
  if (nameProblem) throw new SkillMdError('name', nameProblem);
  if (typeof f['description'] !== 'string' || f['description'].trim() === '') throw new SkillMdError('description', 'is required');
  if (f['description'].length > MAX_DESCRIPTION) throw new SkillMdError('description', `must be at most ${MAX_DESCRIPTION} characters`);

  return {
    name: f['name'],
    description: f['description'],
    license: optionalText(f['license'], 'license', 500),
    compatibility: optionalText(f['compatibility'], 'compatibility', MAX_COMPATIBILITY),
    allowedTools: allowedTools(f['allowed-tools']),
    metadata: metadata(f['metadata']),
    instructions: (match[2] ?? '').trim(),
  };
}

function allowedTools(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value.trim() || null;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(' ');
  throw new SkillMdError('allowed-tools', 'must be a space-separated string of tool names (or a list of them)');
}

function metadata(value: unknown): Record<string, string> | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw new SkillMdError('metadata', 'must be a mapping of keys to values');
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'string') out[key] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[key] = String(v);
    else throw new SkillMdError(`metadata.${key}`, 'must be a string');
  }
  return out;
}

/** SKILL.md for these fields, as stored after an edit: the frontmatter the format defines, then the instructions. */
export function renderSkillMd(skill: ParsedSkillMd): string {
  const front: Record<string, unknown> = { name: skill.name, description: skill.description };
  if (skill.license !== null) front['license'] = skill.license;
  if (skill.compatibility !== null) front['compatibility'] = skill.compatibility;
  if (skill.metadata !== null) front['metadata'] = skill.metadata;
  if (skill.allowedTools !== null) front['allowed-tools'] = skill.allowedTools;
  return `---\n${stringify(front).trimEnd()}\n---\n\n${skill.instructions}\n`;
}
