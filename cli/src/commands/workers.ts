// `flightctl workers ls`: the fleet serving the workspace.
import { defineCommand } from 'citty';
import type { Worker } from '../../../control/src/contract/system.ts';
import { listArgs, listOptions } from '../args.ts';
import { ago, out, print, table } from '../output.ts';
import { globalArgs, session } from '../session.ts';

const ls = defineCommand({
  meta: { name: 'ls', description: 'List workers, newest first', alias: 'list' },
  args: {
    status: { type: 'string', alias: 's', description: 'Only workers in this status (online, busy, draining, offline)' },
    active: { type: 'boolean', description: 'Only workers still in the fleet (online, busy or draining); --no-active: only offline ones' },
    ...listArgs,
    ...globalArgs,
  },
  async run({ args }) {
    const { client, format } = session();
    const active = args.active === undefined ? undefined : String(args.active);
    const workers = await client.list<Worker>('/system/workers', { status: args.status, active }, listOptions(args));
    await print(format, workers, () =>
      table(
        ['ID', 'NAME', 'STATUS', 'RUNS', 'LABELS', 'LAST HEARTBEAT'],
        workers.map((w) => [
          w.id,
          w.name,
          w.status === 'offline' ? out.dim(w.status) : out.green(w.status),
          `${w.run_ids.length}/${w.concurrency}`,
          Object.entries(w.labels).map(([k, v]) => `${k}=${v}`).join(',') || '-',
          ago(w.last_heartbeat),
        ]),
        'No workers.',
      ),
    );
  },
});

export default defineCommand({ meta: { name: 'workers', description: 'Show the workers' }, subCommands: { ls } });
