// Where flightctl finds its server, key and workspace: flags, then FLIGHT_CONTROL_* variables, then
// the file `flightctl login` writes (mode 600) in the user's config directory. The one reader of
// process.env in the command line.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError } from './errors.ts';

/** What `flightctl login` stores. */
export interface StoredConfig {
  url?: string;
  api_key?: string;
  workspace?: string;
}

/** The settings a command acts with. */
export interface Settings {
  url: string;
  apiKey: string | null;
  workspace: string;
  /** Where the stored settings live, for messages and `login`. */
  configPath: string;
}

/** Options every command takes, wherever they appear on the command line. */
export interface GlobalOptions {
  url?: string;
  workspace?: string;
}

export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** The environment, read once. */
export const environment = {
  url: nonEmpty(process.env['FLIGHT_CONTROL_URL']),
  apiKey: nonEmpty(process.env['FLIGHT_CONTROL_API_KEY']),
  workspace: nonEmpty(process.env['FLIGHT_CONTROL_WORKSPACE']),
  configHome: nonEmpty(process.env['XDG_CONFIG_HOME']) ?? join(homedir(), '.config'),
  noColor: process.env['NO_COLOR'] !== undefined && process.env['NO_COLOR'] !== '',
  dumbTerminal: process.env['TERM'] === 'dumb',
  shell: process.env['SHELL'] ?? '',
};

export function configPath(): string {
  return join(environment.configHome, 'flightctl', 'config.json');
}

export function readStoredConfig(path = configPath()): StoredConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not valid JSON; fix it or run flightctl login again`);
  }
  if (!value || typeof value !== 'object') return {};
  const { url, api_key, workspace } = value as Record<string, unknown>;
  return {
    ...(typeof url === 'string' ? { url } : {}),
    ...(typeof api_key === 'string' ? { api_key } : {}),
    ...(typeof workspace === 'string' ? { workspace } : {}),
  };
}

/** Writes the config readable by its owner only, the directory too, whatever the umask. */
export function writeStoredConfig(config: StoredConfig, path = configPath()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  // A file that already existed keeps its mode through writeFileSync; this one holds a key.
  chmodSync(path, 0o600);
}

export function resolveSettings(options: GlobalOptions): Settings {
  const path = configPath();
  const stored = readStoredConfig(path);
  return {
    url: stripSlash(options.url ?? environment.url ?? stored.url ?? DEFAULT_URL),
    apiKey: environment.apiKey ?? stored.api_key ?? null,
    workspace: options.workspace ?? environment.workspace ?? stored.workspace ?? 'default',
    configPath: path,
  };
}

function stripSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
