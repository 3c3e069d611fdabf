// Fails when control/src/db/schema.ts and migrations/ disagree, by asking drizzle-kit to generate against a copy.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const SCHEMA = join(ROOT, 'control/src/db/schema.ts');
const DRIZZLE_KIT = join(ROOT, 'node_modules/drizzle-kit/bin.cjs');

const tempDirs: string[] = [];
afterEach(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A scratch copy of migrations/ (SQL and meta) that drizzle-kit may write into freely. */
function copyMigrations(): { dir: string; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fc-drift-'));
  tempDirs.push(dir);
  const out = join(dir, 'migrations');
  cpSync(join(ROOT, 'migrations'), out, { recursive: true });
  return { dir, out };
}

/**
 * Runs `drizzle-kit generate` in `dir` for `schema` into `out` and returns the migration files left there.
 * drizzle-kit prefixes paths with './' and exits 0 even on errors, so paths are relative and callers check the output.
 */
async function generate(dir: string, schema: string, out: string): Promise<{ files: string[]; output: string }> {
  const config = { dialect: 'sqlite', schema: relative(dir, schema), out: relative(dir, out), migrations: { prefix: 'index' } };
  writeFileSync(join(dir, 'drizzle.config.mjs'), `export default ${JSON.stringify(config)};\n`);
  const { stdout, stderr } = await run(process.execPath, [DRIZZLE_KIT, 'generate', '--config', 'drizzle.config.mjs'], {
    cwd: dir,
    env: { ...process.env, CI: 'true', NO_COLOR: '1' },
  });
  return { files: sqlFiles(out), output: stdout + stderr };
}

const sqlFiles = (dir: string) => readdirSync(dir).filter((name) => name.endsWith('.sql')).sort();

describe('migrations/ and the drizzle schema', () => {
  it('are in step: generating from the schema produces no new migration', async () => {
    const { dir, out } = copyMigrations();
    const before = sqlFiles(out);
    const journal = readFileSync(join(out, 'meta/_journal.json'), 'utf8');

    const { files, output } = await generate(dir, SCHEMA, out);

    expect(output, 'drizzle-kit did not compare the schema').toMatch(/No schema changes/);
    expect(files, `drizzle-kit generated a migration; run \`make db-revision msg=...\`:\n${output}`).toEqual(before);
    expect(readFileSync(join(out, 'meta/_journal.json'), 'utf8')).toBe(journal);
  });

  it('would be caught drifting: a column added to a copy of the schema yields a new migration', async () => {
    const { dir, out } = copyMigrations();
    // The copy imports drizzle-orm, so it needs the repo's packages beside it.
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    // Its relative imports point back into the repository.
    const source = readFileSync(SCHEMA, 'utf8').replace(/from '(\.\.?\/[^']+)'/g, (_, path: string) => `from '${join(dirname(SCHEMA), path)}'`);
    const changed = source.replace(/sqliteTable\(\s*'users',\s*\{/, (table) => `${table}\n  driftProbe: text('drift_probe'),`);
    expect(changed, 'the users table was not found in schema.ts').not.toBe(source);
    const schema = join(dir, 'schema.ts');
    writeFileSync(schema, changed);
    const before = sqlFiles(out);

    const { files, output } = await generate(dir, schema, out);

    const added = files.filter((name) => !before.includes(name));
    expect(added, output).toHaveLength(1);
    expect(readFileSync(join(out, added[0] ?? ''), 'utf8')).toMatch(/ALTER TABLE `users` ADD `drift_probe` text/);
  });
});
