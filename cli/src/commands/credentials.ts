// `flightctl credentials ls|set|delete`: secrets runs receive as environment variables. The value is
// read from stdin or a silent prompt, never from the command line.
import { defineCommand } from 'citty';
import type { Credential } from '../../../control/src/contract/credentials.ts';
import { listArgs, listOptions } from '../args.ts';
import type { Client } from '../client.ts';
import { CliError, usageError } from '../errors.ts';
import { ago, note, print, table } from '../output.ts';
import { readSecret } from '../secret.ts';
import { globalArgs, session } from '../session.ts';

async function findCredential(client: Client, name: string): Promise<Credential | null> {
  return (await client.list<Credential>('/credentials', {}, { pageSize: 500 })).find((c) => c.name === name || c.id === name) ?? null;
}

const ls = defineCommand({
  meta: { name: 'ls', description: 'List credentials by name (values are never shown)', alias: 'list' },
  args: { ...listArgs, ...globalArgs },
  async run({ args }) {
    const { client, format } = session();
    const credentials = await client.list<Credential>('/credentials', {}, listOptions(args, 0));
    await print(format, credentials, () =>
      table(
        ['NAME', 'ENV VAR', 'DESCRIPTION', 'UPDATED'],
        credentials.map((c) => [c.name, c.env_var, c.description ?? '', ago(c.updated_at)]),
        'No credentials.',
      ),
    );
  },
});

const set = defineCommand({
  meta: { name: 'set', description: 'Create or replace a credential; the value is read from stdin or a prompt' },
  args: {
    name: { type: 'positional', required: true, description: 'Credential name (jobs name it in credential_ids)' },
    'env-var': { type: 'string', alias: 'e', description: 'The variable the agent gets the value in (needed for a new credential)' },
    description: { type: 'string', description: 'What it is for' },
    ...globalArgs,
  },
  async run({ args }) {
    // A second positional would be a value typed on the command line, where `ps` and shell history keep it.
    if (args._.length > 1) throw usageError('the value is never taken from the command line: pipe it on stdin or type it at the prompt');
    const { client, format } = session();
    const existing = await findCredential(client, args.name);
    if (!existing && !args['env-var']) throw usageError(`credential ${args.name} is new: give --env-var, e.g. --env-var ANTHROPIC_API_KEY`);
    const value = await readSecret(`Value for ${args.name}: `);
    const fields = { ...(args['env-var'] ? { env_var: args['env-var'] } : {}), ...(args.description ? { description: args.description } : {}), value };
    const saved = existing
      ? await client.put<Credential>(`/credentials/${existing.id}`, fields)
      : await client.post<Credential>('/credentials', { name: args.name, ...fields });
    await print(format, saved, () => `${existing ? 'updated' : 'created'} credential ${saved.name} (${saved.env_var})`);
  },
});

const remove = defineCommand({
  meta: { name: 'delete', description: 'Delete a credential', alias: 'rm' },
  args: { name: { type: 'positional', required: true, description: 'Credential name or id' }, ...globalArgs },
  async run({ args }) {
    const { client } = session();
    const credential = await findCredential(client, args.name);
    if (!credential) throw new CliError(`no credential named '${args.name}'`);
    await client.delete(`/credentials/${credential.id}`);
    note(`deleted credential ${credential.name}`);
  },
});

export default defineCommand({ meta: { name: 'credentials', description: 'Manage credentials' }, subCommands: { ls, set, delete: remove } });
