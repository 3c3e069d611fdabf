// `flightctl artifacts ls|get`: the files a run left.
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { defineCommand } from 'citty';
import type { Artifact } from '../../../control/src/contract/artifacts.ts';
import { CliError } from '../errors.ts';
import { ago, note, print, table } from '../output.ts';
import { globalArgs, session } from '../session.ts';

const runArg = { run: { type: 'positional', required: true, description: 'Run id' } } as const;

const ls = defineCommand({
  meta: { name: 'ls', description: 'List a run\'s artifacts, oldest first', alias: 'list' },
  args: { ...runArg, ...globalArgs },
  async run({ args }) {
    const { client, format } = session();
    const artifacts = await client.list<Artifact>(`/runs/${encodeURIComponent(args.run)}/artifacts`, {}, { pageSize: 500 });
    await print(format, artifacts, () =>
      table(
        ['ID', 'FILENAME', 'SIZE', 'TYPE', 'CREATED'],
        artifacts.map((a) => [a.id, a.filename, `${a.size_bytes}`, a.content_type, ago(a.created_at)]),
        'No artifacts.',
      ),
    );
  },
});

const get = defineCommand({
  meta: { name: 'get', description: 'Download an artifact (by id or filename) to a file, or to stdout with -O -' },
  args: {
    ...runArg,
    artifact: { type: 'positional', required: true, description: 'Artifact id or filename' },
    out: { type: 'string', alias: 'O', description: 'Where to write it (default: its filename; - for stdout)' },
    ...globalArgs,
  },
  async run({ args }) {
    const { client } = session();
    const runPath = `/runs/${encodeURIComponent(args.run)}/artifacts`;
    const artifacts = await client.list<Artifact>(runPath, {}, { pageSize: 500 });
    const artifact = artifacts.find((a) => a.id === args.artifact) ?? artifacts.find((a) => a.filename === args.artifact);
    if (!artifact) throw new CliError(`run ${args.run} has no artifact '${args.artifact}'`);
    const response = await client.request('GET', `${runPath}/${artifact.id}`);
    const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
    const target = args.out ?? artifact.filename;
    if (target === '-') return pipeline(body, process.stdout);
    await pipeline(body, createWriteStream(target, { flags: 'wx' })).catch((err: NodeJS.ErrnoException) => {
      throw new CliError(err.code === 'EEXIST' ? `${target} exists; choose another name with -O` : `cannot write ${target}: ${err.message}`);
    });
    note(`wrote ${target} (${artifact.size_bytes} bytes)`);
  },
});

export default defineCommand({ meta: { name: 'artifacts', description: 'List and download run artifacts' }, subCommands: { ls, get } });
