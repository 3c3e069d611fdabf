// The options every command takes, wherever they stand on the command line, and what a command acts
// with: the client for the resolved server, key and workspace, and the output format.
import type { ArgsDef } from 'citty';
import { Client } from './client.ts';
import { resolveSettings, type GlobalOptions } from './config.ts';
import { usageError } from './errors.ts';
import { parseFormat, type Format } from './output.ts';

export interface Globals extends GlobalOptions {
  json: boolean;
  output?: string;
}

export interface Session {
  client: Client;
  format: Format;
}

/** Shown in every command's help; main takes them out of the command line before citty parses it. */
export const globalArgs = {
  workspace: { type: 'string', alias: 'w', description: 'Workspace (else FLIGHT_CONTROL_WORKSPACE, the login\'s, or default)' },
  url: { type: 'string', description: 'Server URL (else FLIGHT_CONTROL_URL or the login\'s)' },
  json: { type: 'boolean', description: 'Print the API\'s JSON' },
  output: { type: 'string', alias: 'o', description: 'Output: table, json or yaml' },
} as const satisfies ArgsDef;

let globals: Globals = { json: false };

/** Takes the global options out of `argv`, wherever they are before `--`, and keeps them. */
export function takeGlobals(argv: string[]): string[] {
  const rest: string[] = [];
  const found: Globals = { json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      const next = argv[++i];
      if (next === undefined) throw usageError(`${flag} needs a value`);
      return next;
    };
    if (flag === '--workspace' || flag === '-w') found.workspace = value();
    else if (flag === '--url') found.url = value();
    else if (flag === '--output' || flag === '-o') found.output = value();
    else if (flag === '--json') found.json = true;
    else rest.push(arg);
  }
  globals = found;
  return rest;
}

export function session(): Session {
  return { client: new Client(resolveSettings(globals)), format: parseFormat(globals.json, globals.output) };
}

export function globalOptions(): Globals {
  return globals;
}
