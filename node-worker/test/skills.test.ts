import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SkillManifest } from '../../control/src/contract/worker.ts';
import { installSkills, SkillInstallError, type SkillSource } from '../src/skills.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), 'fc-skills-'));
  dirs.push(dir);
  return dir;
};

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** Files as the control plane would serve them, counting downloads; `tamper` serves other bytes. */
function source(files: Record<string, string>, tamper = false) {
  const downloads: string[] = [];
  const src: SkillSource = {
    async skillFile(_skillId, path) {
      downloads.push(path);
      const text = files[path];
      if (text === undefined) return { ok: false, status: 404, code: 'not_found', error: 'File not found' };
      return { ok: true, data: new TextEncoder().encode(tamper ? `${text}!` : text) };
    },
  };
  return { src, downloads };
}

function manifest(name: string, files: Record<string, string>): SkillManifest {
  return {
    id: 's1',
    name,
    description: 'd',
    instructions: 'i',
    allowed_tools: null,
    checksum_sha256: 'x',
    files: Object.entries(files).map(([file_path, text]) => ({ file_path, size_bytes: text.length, checksum_sha256: sha(text), content_type: 'text/plain' })),
  };
}

describe('installSkills', () => {
  const files = { 'SKILL.md': '---\nname: tidy\n---\n', 'scripts/run.sh': '#!/bin/sh\necho hi\n', 'docs/a.md': '# a' };

  it('writes each file under .goose/skills/<name>/, scripts executable, and fetches a file once however many runs use it', async () => {
    const cache = scratch();
    const { src, downloads } = source(files);
    const first = scratch();
    expect(await installSkills(src, [manifest('tidy', files)], first, cache)).toEqual({ skills: ['tidy'], files: 3, cached: 0 });
    const root = join(first, '.goose', 'skills', 'tidy');
    expect(readFileSync(join(root, 'scripts', 'run.sh'), 'utf8')).toBe(files['scripts/run.sh']);
    expect(statSync(join(root, 'scripts', 'run.sh')).mode & 0o777).toBe(0o755);
    expect(statSync(join(root, 'docs', 'a.md')).mode & 0o777).toBe(0o644);
    const second = scratch();
    expect(await installSkills(src, [manifest('tidy', files)], second, cache)).toEqual({ skills: ['tidy'], files: 3, cached: 3 });
    expect(downloads).toHaveLength(3);
    expect(readFileSync(join(second, '.goose', 'skills', 'tidy', 'docs', 'a.md'), 'utf8')).toBe('# a');
  });

  it('refuses a file that does not match its checksum, and keeps nothing of it', async () => {
    const cache = scratch();
    const error = await installSkills(source(files, true).src, [manifest('tidy', files)], scratch(), cache).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SkillInstallError);
    expect((error as Error).message).toMatch(/does not match its checksum/);
    expect(readdirSync(cache)).toEqual([]);
  });

  it('refuses paths and names that would leave the skills folder', async () => {
    for (const skill of [manifest('tidy', { '../../evil.sh': 'x' }), manifest('../up', { 'a.txt': 'x' }), manifest('tidy', { '/etc/x': 'x' })]) {
      await expect(installSkills(source({}).src, [skill], scratch(), scratch())).rejects.toBeInstanceOf(SkillInstallError);
    }
  });
});
