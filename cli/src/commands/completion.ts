// `flightctl completion bash|zsh`: a completion script made from the command tree itself, so it
// offers exactly the commands and flags flightctl has.
import { defineCommand, type ArgsDef, type CommandDef } from 'citty';
import { usageError } from '../errors.ts';

interface Entry {
  word: string;
  description: string;
}

/** For each command path (`runs:ls`), the words that may come next: subcommands, then flags. */
async function completionTable(root: CommandDef): Promise<Map<string, Entry[]>> {
  const table = new Map<string, Entry[]>();
  const visit = async (command: CommandDef, path: string) => {
    const entries: Entry[] = [];
    const subCommands = (await resolve(command.subCommands)) ?? {};
    for (const [name, sub] of Object.entries(subCommands)) {
      const resolved = (await resolve(sub)) as CommandDef;
      const meta = await resolve(resolved.meta);
      entries.push({ word: name, description: meta?.description ?? '' });
      await visit(resolved, path === '' ? name : `${path}:${name}`);
    }
    const args = ((await resolve(command.args)) ?? {}) as ArgsDef;
    for (const [name, def] of Object.entries(args)) {
      if (def.type === 'positional') continue;
      entries.push({ word: `--${name}`, description: def.description ?? '' });
    }
    entries.push({ word: '--help', description: 'Show help' });
    table.set(path, entries);
  };
  await visit(root, '');
  return table;
}

async function resolve<T>(value: T | Promise<T> | (() => T) | (() => Promise<T>) | undefined): Promise<T | undefined> {
  return typeof value === 'function' ? await (value as () => T | Promise<T>)() : await value;
}

const shellQuote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

export function bashScript(table: Map<string, Entry[]>): string {
  const paths = [...table.keys()].filter((p) => p !== '').join(' ');
  const cases = [...table]
    .map(([path, entries]) => `    ${shellQuote(path)}) words=${shellQuote(entries.map((e) => e.word).join(' '))} ;;`)
    .join('\n');
  return `# flightctl completion for bash: source it, e.g. from ~/.bashrc:  source <(flightctl completion bash)
_flightctl() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" word words="" i
  local paths=" ${paths} "
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case "$word" in -*) continue ;; esac
    if [[ "$paths" == *" \${path:+$path:}$word "* ]]; then path="\${path:+$path:}$word"; fi
  done
  case "$path" in
${cases}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _flightctl flightctl
`;
}

export function zshScript(table: Map<string, Entry[]>): string {
  const paths = [...table.keys()].filter((p) => p !== '').join(' ');
  const item = (e: Entry) => shellQuote(`${e.word.replaceAll(':', '\\:')}:${e.description.replaceAll(':', '\\:')}`);
  const cases = [...table].map(([path, entries]) => `    ${shellQuote(path)}) items=(${entries.map(item).join(' ')}) ;;`).join('\n');
  return `#compdef flightctl
# flightctl completion for zsh: put it on $fpath as _flightctl, or:  source <(flightctl completion zsh)
_flightctl() {
  local path_so_far="" word
  local paths=" ${paths} "
  local -a items
  for word in "\${(@)words[2,CURRENT-1]}"; do
    [[ "$word" == -* ]] && continue
    if [[ "$paths" == *" \${path_so_far:+$path_so_far:}$word "* ]]; then path_so_far="\${path_so_far:+$path_so_far:}$word"; fi
  done
  case "$path_so_far" in
${cases}
  esac
  _describe -t commands 'flightctl' items
}
if [[ "$funcstack[1]" == "_flightctl" ]]; then _flightctl "$@"; else compdef _flightctl flightctl; fi
`;
}

export function completionCommand(root: () => CommandDef) {
  return defineCommand({
    meta: { name: 'completion', description: 'Print a shell completion script: bash or zsh' },
    args: { shell: { type: 'positional', required: true, description: 'bash or zsh' } },
    async run({ args }) {
      if (args.shell !== 'bash' && args.shell !== 'zsh') throw usageError(`completion is for bash or zsh, not '${args.shell}'`);
      const table = await completionTable(root());
      process.stdout.write(args.shell === 'bash' ? bashScript(table) : zshScript(table));
    },
  });
}
