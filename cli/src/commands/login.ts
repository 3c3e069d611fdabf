// `flightctl login`: the server and API key to use from now on, the key checked against /users/me
// first and then stored in the user's config directory, readable by them alone.
import { defineCommand } from 'citty';
import type { Me } from '../../../control/src/contract/users.ts';
import { Client } from '../client.ts';
import { configPath, DEFAULT_URL, environment, readStoredConfig, writeStoredConfig } from '../config.ts';
import { note, print } from '../output.ts';
import { readSecret } from '../secret.ts';
import { globalArgs, globalOptions, session } from '../session.ts';

const login = defineCommand({
  meta: { name: 'login', description: 'Store the server URL and API key (read from stdin or a prompt), after checking the key' },
  args: { ...globalArgs },
  async run() {
    const globals = globalOptions();
    const stored = readStoredConfig();
    const url = (globals.url ?? environment.url ?? stored.url ?? DEFAULT_URL).replace(/\/+$/, '');
    const workspace = globals.workspace ?? environment.workspace ?? stored.workspace ?? 'default';
    const apiKey = await readSecret(`API key for ${url}: `);
    const client = new Client({ url, apiKey, workspace, configPath: configPath() });
    const me = await client.get<Me>('/users/me');
    writeStoredConfig({ url, api_key: apiKey, workspace });
    note(`logged in to ${url} as ${me.username} (${me.role} in ${me.workspace_id}); saved to ${configPath()}`);
  },
});

export const whoami = defineCommand({
  meta: { name: 'whoami', description: 'Show who the configured key acts as, and where' },
  args: { ...globalArgs },
  async run() {
    const { client, format } = session();
    const me = await client.get<Me>('/users/me');
    await print(format, me, () => `${me.username} (${me.role} in ${me.workspace_id}) at ${client.settings.url}`);
  },
});

export default login;
