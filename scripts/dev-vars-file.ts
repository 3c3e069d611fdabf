// Reads and writes .dev.vars, the git-ignored KEY=VALUE file that wrangler dev loads as the Worker's secrets.
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DEV_VARS_PATH = join(REPO_ROOT, '.dev.vars');
/** The path as a person running a script from the repo would type it. */
export const DEV_VARS_SHOWN = relative(process.cwd(), DEV_VARS_PATH) || '.dev.vars';

/** The subset of dotenv syntax we write and document: KEY=VALUE, KEY="VALUE", KEY='VALUE', # comments. */
export function parseDevVars(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match?.[1]) continue;
    vars.set(match[1], unquote(match[2] ?? ''));
  }
  return vars;
}

function unquote(value: string): string {
  const quoted = /^(["'])(.*)\1$/.exec(value);
  if (quoted) return quoted[2] ?? '';
  // An unquoted value ends at an inline comment, as in dotenv.
  return value.replace(/\s+#.*$/, '').trim();
}

/** The file's variables, or null when it does not exist. */
export function readDevVars(path: string = DEV_VARS_PATH): Map<string, string> | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'ENOENT') return null;
    throw err;
  }
  return parseDevVars(text);
}
