// `flightctl skills ls|push|delete`: Agent Skills bundles (a folder with SKILL.md) the workspace's runs get.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { defineCommand } from 'citty';
import type { SkillSummary } from '../../../control/src/contract/skills.ts';
import { listArgs, listOptions } from '../args.ts';
import type { Client } from '../client.ts';
import { CliError } from '../errors.ts';
import { ago, note, print, table } from '../output.ts';
import { globalArgs, session } from '../session.ts';

async function findSkill(client: Client, nameOrId: string): Promise<SkillSummary | null> {
  return (await client.list<SkillSummary>('/skills', {}, { pageSize: 500 })).find((s) => s.name === nameOrId || s.id === nameOrId) ?? null;
}

/** The folder's files below it, SKILL.md first, as `/`-separated relative paths. */
function skillFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      if (entry.name === '.git' || entry.name === 'node_modules') continue;
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) found.push(relative(dir, path).split(sep).join('/'));
    }
  };
  walk(dir);
  return found.sort();
}

function skillForm(dir: string): FormData {
  try {
    if (!statSync(join(dir, 'SKILL.md')).isFile()) throw new Error();
  } catch {
    throw new CliError(`${dir} has no SKILL.md`);
  }
  const form = new FormData();
  form.append('skill_md', new Blob([readFileSync(join(dir, 'SKILL.md'))]), 'SKILL.md');
  for (const path of skillFiles(dir)) if (path !== 'SKILL.md') form.append('files', new Blob([readFileSync(join(dir, path))]), path);
  return form;
}

const ls = defineCommand({
  meta: { name: 'ls', description: 'List skills by name', alias: 'list' },
  args: { ...listArgs, ...globalArgs },
  async run({ args }) {
    const { client, format } = session();
    const skills = await client.list<SkillSummary>('/skills', {}, listOptions(args, 0));
    await print(format, skills, () =>
      table(
        ['ID', 'NAME', 'FILES', 'SIZE', 'UPDATED', 'DESCRIPTION'],
        skills.map((s) => [s.id, s.name, String(s.file_count), String(s.total_size_bytes), ago(s.updated_at), s.description.split('\n')[0] ?? '']),
        'No skills.',
      ),
    );
  },
});

const push = defineCommand({
  meta: { name: 'push', description: 'Upload a skill folder (SKILL.md and the files beside it)' },
  args: {
    dir: { type: 'positional', required: true, description: 'The skill\'s folder' },
    replace: { type: 'boolean', description: 'Replace a skill of the same name (jobs name skills, so they get the new one)' },
    ...globalArgs,
  },
  async run({ args }) {
    const { client, format } = session();
    const form = skillForm(args.dir);
    if (args.replace) {
      const name = /^name:\s*["']?([^"'\n]+)/m.exec(readFileSync(join(args.dir, 'SKILL.md'), 'utf8'))?.[1]?.trim();
      const existing = name ? await findSkill(client, name) : null;
      if (existing) await client.delete(`/skills/${existing.id}`);
    }
    const skill = await client.form<SkillSummary>('POST', '/skills', form);
    await print(format, skill, () => `pushed skill ${skill.name} (${skill.id}): ${skill.file_count} files, ${skill.total_size_bytes} bytes`);
  },
});

const remove = defineCommand({
  meta: { name: 'delete', description: 'Delete a skill', alias: 'rm' },
  args: { skill: { type: 'positional', required: true, description: 'Skill name or id' }, ...globalArgs },
  async run({ args }) {
    const { client } = session();
    const skill = await findSkill(client, args.skill);
    if (!skill) throw new CliError(`no skill named '${args.skill}'`);
    await client.delete(`/skills/${skill.id}`);
    note(`deleted skill ${skill.name}`);
  },
});

export default defineCommand({ meta: { name: 'skills', description: 'Manage skills' }, subCommands: { ls, push, delete: remove } });
