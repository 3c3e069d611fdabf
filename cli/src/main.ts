// flightctl: run, follow and manage Flight Control runs from a terminal, over the public REST API.
// This module is the entry: the command tree, help, and how errors become one line and an exit code.
import { readFileSync } from 'node:fs';
import { renderUsage, runCommand, type CommandDef, type Resolvable } from 'citty';
import { completionCommand } from './commands/completion.ts';
import { ApiError, CliError, EXIT } from './errors.ts';
import { colorFor, err } from './output.ts';
import { globalArgs, takeGlobals } from './session.ts';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const root: CommandDef = {
  meta: { name: 'flightctl', version, description: 'Run, follow and manage Flight Control agent runs' },
  args: globalArgs,
  // Each command's module is loaded only when it runs, so a command starts without loading the others.
  subCommands: {
    login: lazy(() => import('./commands/login.ts')),
    whoami: () => import('./commands/login.ts').then((m) => m.whoami),
    run: lazy(() => import('./commands/run.ts')),
    runs: lazy(() => import('./commands/runs.ts')),
    logs: lazy(() => import('./commands/logs.ts')),
    artifacts: lazy(() => import('./commands/artifacts.ts')),
    jobs: lazy(() => import('./commands/jobs.ts')),
    schedules: lazy(() => import('./commands/schedules.ts')),
    skills: lazy(() => import('./commands/skills.ts')),
    workers: lazy(() => import('./commands/workers.ts')),
    credentials: lazy(() => import('./commands/credentials.ts')),
    completion: completionCommand(() => root),
  },
};

function lazy(load: () => Promise<{ default: unknown }>): () => Promise<CommandDef> {
  return () => load().then((m) => m.default as CommandDef);
}

async function resolved(command: Resolvable<CommandDef>): Promise<CommandDef> {
  return typeof command === 'function' ? await command() : await command;
}

/** The command the words of `argv` name, and its full name (`flightctl runs ls`). */
async function commandAt(argv: string[]): Promise<{ command: CommandDef; name: string }> {
  let command = root;
  const names = ['flightctl'];
  for (const word of argv) {
    if (word.startsWith('-')) continue;
    const subCommands = (await resolved((command.subCommands ?? {}) as Resolvable<CommandDef>)) as unknown as Record<string, Resolvable<CommandDef>>;
    let found: [string, CommandDef] | undefined;
    for (const [name, candidate] of Object.entries(subCommands)) {
      if (name !== word && typeof candidate === 'function') continue;
      const sub = await resolved(candidate);
      if (name === word || (sub.meta as { alias?: string } | undefined)?.alias === word) found = [name, sub];
      if (found) break;
    }
    if (!found) break;
    names.push(found[0]);
    command = found[1];
  }
  return { command, name: names.join(' ') };
}

async function showHelp(argv: string[]): Promise<void> {
  const { command, name } = await commandAt(argv);
  // citty names a command by its parent's name and its own; the parent here carries the whole path.
  const usage = await renderUsage({ ...command, meta: { ...(command.meta as object), name: name.split(' ').at(-1)! } }, { meta: { name: name.split(' ').slice(0, -1).join(' ') } });
  process.stdout.write(`${colorFor(process.stdout) ? usage : stripAnsi(usage)}\n`);
}

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

/** One line on stderr, with the API's detail when the API refused, and the exit code to end with. */
function report(error: unknown): number {
  let line: string;
  let code: number = EXIT.error;
  if (error instanceof ApiError) {
    const hint = error.status === 401 ? ' — run `flightctl login` or set FLIGHT_CONTROL_API_KEY' : '';
    line = `${error.message}${hint} ${err.dim(`(${error.status} ${error.code})`)}`;
    code = error.exitCode;
  } else if (error instanceof CliError) {
    line = error.message;
    code = error.exitCode;
  } else if (error instanceof Error && error.name === 'CLIError') {
    // citty's own: an unknown command or a missing argument.
    line = `${stripAnsi(error.message)} (see flightctl --help)`;
    code = EXIT.usage;
  } else line = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${err.red('error:')} ${line.replace(/\s*\n\s*/g, ' ')}\n`);
  return code;
}

async function main(): Promise<void> {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    // `flightctl runs ls | head`: the reader has gone, which is no error.
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  try {
    const argv = takeGlobals(process.argv.slice(2));
    const words = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : undefined);
    if (argv.length === 0 || words.includes('--help') || words.includes('-h')) return await showHelp(words);
    // A group named without one of its commands (`flightctl runs`): say what it has.
    const named = await commandAt(words);
    if (named.command !== root && named.command.subCommands && !named.command.run && named.name.split(' ').length === 1 + words.filter((w) => !w.startsWith('-')).length) return await showHelp(words);
    if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) return void process.stdout.write(`${version}\n`);
    await runCommand(root, { rawArgs: argv });
  } catch (error) {
    process.exitCode = report(error);
  }
}

await main();
// Done: a closed log socket or idle keep-alive connections would otherwise hold the process for seconds.
// stdout and stderr are written synchronously to pipes, files and terminals on Linux and macOS.
process.exit();
