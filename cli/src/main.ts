// flightctl: run, follow and manage Flight Control runs from a terminal, over the public REST API.
// This module is the entry: the command tree, help, and how errors become one line and an exit code.
import { readFileSync } from 'node:fs';
import { renderUsage, runCommand, type CommandDef } from 'citty';
import artifacts from './commands/artifacts.ts';
import { completionCommand } from './commands/completion.ts';
import credentials from './commands/credentials.ts';
import jobs from './commands/jobs.ts';
import login, { whoami } from './commands/login.ts';
import logs from './commands/logs.ts';
import run from './commands/run.ts';
import runs from './commands/runs.ts';
import schedules from './commands/schedules.ts';
import skills from './commands/skills.ts';
import workers from './commands/workers.ts';
import { ApiError, CliError, EXIT } from './errors.ts';
import { colorFor, err } from './output.ts';
import { globalArgs, takeGlobals } from './session.ts';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const root: CommandDef = {
  meta: { name: 'flightctl', version, description: 'Run, follow and manage Flight Control agent runs' },
  args: globalArgs,
  subCommands: {
    login,
    whoami,
    run,
    runs,
    logs,
    artifacts,
    jobs,
    schedules,
    skills,
    workers,
    credentials,
    completion: completionCommand(() => root),
  },
};

/** The command the words of `argv` name, and its parent, for help. */
async function commandAt(argv: string[]): Promise<[CommandDef, CommandDef | undefined]> {
  let command = root;
  let parent: CommandDef | undefined;
  for (const word of argv) {
    if (word.startsWith('-')) continue;
    const subCommands = (await command.subCommands) as Record<string, CommandDef> | undefined;
    const next = subCommands?.[word] ?? Object.values(subCommands ?? {}).find((c) => [(c.meta as { alias?: string })?.alias].includes(word));
    if (!next) break;
    parent = command;
    command = next;
  }
  return [command, parent];
}

async function showHelp(argv: string[]): Promise<void> {
  const usage = await renderUsage(...(await commandAt(argv)));
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
