// Puts a run's skills where goose finds them, `<work dir>/.goose/skills/<name>/<path>`, with the files
// under scripts/ executable. Each file is checked against the SHA-256 the claim gave and kept in a
// cache by checksum, so a skill that many runs use is fetched once.
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { SkillManifest } from '../../control/src/contract/worker.ts';
import type { ApiResult } from './client.ts';

export interface SkillSource {
  skillFile(skillId: string, path: string): Promise<ApiResult<Uint8Array>>;
}

export class SkillInstallError extends Error {
  override name = 'SkillInstallError';
}

/** What was put in place, and how many files came from the cache rather than the control plane. */
export interface Installed {
  skills: string[];
  files: number;
  cached: number;
}

const DOWNLOADS_AT_ONCE = 8;

/** Where, under `root`, `path` would land; null when it would leave `root` (the control plane checked too). */
function inside(root: string, path: string): string | null {
  if (path.includes('\\') || path.startsWith('/')) return null;
  const target = resolve(root, path);
  return target.startsWith(root + sep) ? target : null;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export async function installSkills(source: SkillSource, skills: SkillManifest[], workDir: string, cacheDir: string): Promise<Installed> {
  const installed: Installed = { skills: [], files: 0, cached: 0 };
  const skillsRoot = join(workDir, '.goose', 'skills');
  const jobs = skills.flatMap((skill) => {
    const folder = inside(skillsRoot, skill.name);
    if (!folder || skill.name.includes('/')) throw new SkillInstallError(`skill '${skill.name}' has a name that is not a folder name`);
    installed.skills.push(skill.name);
    return skill.files.map((file) => {
      const target = inside(folder, file.file_path);
      if (!target) throw new SkillInstallError(`skill '${skill.name}' has a file outside its folder: '${file.file_path}'`);
      return { skill, file, target };
    });
  });
  await mkdir(cacheDir, { recursive: true });
  for (let i = 0; i < jobs.length; i += DOWNLOADS_AT_ONCE) {
    await Promise.all(
      jobs.slice(i, i + DOWNLOADS_AT_ONCE).map(async ({ skill, file, target }) => {
        const cached = join(cacheDir, file.checksum_sha256);
        if (await exists(cached)) installed.cached++;
        else {
          const res = await source.skillFile(skill.id, file.file_path);
          if (!res.ok) throw new SkillInstallError(`could not download '${file.file_path}' of skill '${skill.name}': ${res.error}`);
          const actual = createHash('sha256').update(res.data).digest('hex');
          if (actual !== file.checksum_sha256) throw new SkillInstallError(`'${file.file_path}' of skill '${skill.name}' does not match its checksum (got ${actual})`);
          // Written whole, then renamed: a cache entry is never half a file.
          const partial = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}`;
          await writeFile(partial, res.data, { mode: 0o644 });
          await rename(partial, cached);
        }
        await mkdir(dirname(target), { recursive: true });
        await copyFile(cached, target);
        await chmod(target, file.file_path.startsWith('scripts/') ? 0o755 : 0o644);
        installed.files++;
      }),
    );
  }
  return installed;
}
