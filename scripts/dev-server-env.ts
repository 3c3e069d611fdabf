// Writes the file `make dev-server` hands `wrangler dev --env-file`: .dev.vars with the environment's ORCH_*
// settings winning. wrangler dev takes secrets only from files, and a `--var` would show them in `ps`.
// Usage: node scripts/dev-server-env.ts <file>
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { controlSettings } from './control-settings.ts';
import { readDevVars, REPO_ROOT } from './dev-vars-file.ts';

/**
 * One line that wrangler's dotenv reading (dotenv, then dotenv-expand) turns back into exactly `value`:
 * quoted so nothing is cut at `#` or trimmed, with `$` escaped so nothing is expanded.
 */
export function envFileLine(name: string, value: string): string {
  if (/[\r\n]/.test(value) || value.endsWith('\\')) throw new Error(`${name}: a value with a line break or a trailing backslash cannot be passed to wrangler dev`);
  // dotenv turns \n into a line break only between double quotes, so those come last.
  const quote = ["'", '`', '"'].find((q) => !value.includes(q) && !(q === '"' && /\\[nr]/.test(value)));
  if (!quote) throw new Error(`${name}: this value cannot be quoted so that wrangler dev reads it back unchanged`);
  return `${name}=${quote}${value.replaceAll('$', '\\$')}${quote}`;
}

export function devServerEnv(environment: NodeJS.ProcessEnv = process.env, devVars: Map<string, string> | null = readDevVars()): string {
  const vars = new Map(devVars ?? []);
  for (const [name, value] of Object.entries(controlSettings(environment, devVars).values)) vars.set(name, value);
  return [...vars].map(([name, value]) => `${envFileLine(name, value)}\n`).join('');
}

if (import.meta.main) {
  const target = resolve(REPO_ROOT, process.argv[2] ?? '.wrangler/dev-server.env');
  let text: string;
  try {
    text = devServerEnv();
  } catch (err) {
    console.error(`dev-server-env: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  mkdirSync(dirname(target), { recursive: true });
  // Written aside and renamed, mode 600 from the start, so no reader ever sees it half written or open to others.
  const partial = `${target}.${process.pid}`;
  writeFileSync(partial, text, { mode: 0o600 });
  chmodSync(partial, 0o600);
  renameSync(partial, target);
}
